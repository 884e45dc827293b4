"""Trust signals: what a person's record says before someone commits to them.

Computed from the counts a storage query gathers for a whole list of people at once
(`bot.storage.records.RecordsRepo.trust`); no I/O here. The rules (also in the README):

- **Completion rate** (a freelancer): deals released / deals funded, over the funded deals
  that have ended (released, split or refunded), so a deal still running counts for nothing
  yet. A split counts as funded, not released.
- **On time** (a freelancer): deliveries made by the due date in force then (extensions and
  revision dates included) / deals delivered.
- **Disputes lost**: as a freelancer, refunded to the client; as a client, released to the
  freelancer (a split is lost by nobody).
- **Top rated** (a freelancer): at least `TOP_MIN_RELEASED` released deals, an average rating
  of at least `TOP_MIN_RATING` (public ratings), and no dispute lost in the last
  `TOP_CLEAN_DAYS` days.
- **Hire rate** (a client): jobs that funded a deal / jobs posted that are no longer open
  (an open job has had no chance to hire yet; a removed one is not counted).
- **Payment record** (a client): deals funded / bids accepted that ended up funded or not
  (a bid accepted whose funding lapsed counts against), and disputes lost as a client.
"""

from __future__ import annotations

from dataclasses import dataclass

TOP_MIN_RELEASED = 5
TOP_MIN_RATING = 4.5
TOP_CLEAN_DAYS = 90


@dataclass(frozen=True)
class TrustCounts:
    """A person's raw figures, as the storage query returns them (zeros when none)."""

    funded_ended: int = 0  # as freelancer: funded deals that ended
    released: int = 0  # as freelancer: of those, released
    delivered: int = 0  # as freelancer: deals with a delivery
    on_time: int = 0  # of those, delivered by the due date
    lost_as_freelancer: int = 0
    lost_recently: int = 0  # as freelancer, resolved within TOP_CLEAN_DAYS
    jobs_closed: int = 0  # as client: jobs posted that are no longer open
    jobs_hired: int = 0  # of those, with a funded deal
    deals_owed: int = 0  # as client: accepted bids whose funding was decided
    deals_paid: int = 0  # of those, funded
    lost_as_client: int = 0


@dataclass(frozen=True)
class Trust:
    """What the cards show. A rate is None when there is nothing to divide yet."""

    completion_rate: float | None
    on_time_rate: float | None
    disputes_lost: int
    released: int
    funded_ended: int
    delivered: int
    top_rated: bool
    hire_rate: float | None
    jobs_closed: int
    jobs_hired: int
    deals_paid: int
    deals_owed: int
    client_disputes_lost: int

    @property
    def as_freelancer(self) -> bool:
        """Whether there is a freelancer's record to show."""
        return self.funded_ended > 0 or self.delivered > 0 or self.disputes_lost > 0

    @property
    def as_client(self) -> bool:
        return self.jobs_closed > 0 or self.deals_owed > 0 or self.client_disputes_lost > 0


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def top_rated(released: int, rating_avg: float | None, lost_recently: int) -> bool:
    return (
        released >= TOP_MIN_RELEASED
        and rating_avg is not None
        and rating_avg >= TOP_MIN_RATING
        and lost_recently == 0
    )


def trust_of(counts: TrustCounts, rating_avg: float | None) -> Trust:
    return Trust(
        completion_rate=_rate(counts.released, counts.funded_ended),
        on_time_rate=_rate(counts.on_time, counts.delivered),
        disputes_lost=counts.lost_as_freelancer,
        released=counts.released,
        funded_ended=counts.funded_ended,
        delivered=counts.delivered,
        top_rated=top_rated(counts.released, rating_avg, counts.lost_recently),
        hire_rate=_rate(counts.jobs_hired, counts.jobs_closed),
        jobs_closed=counts.jobs_closed,
        jobs_hired=counts.jobs_hired,
        deals_paid=counts.deals_paid,
        deals_owed=counts.deals_owed,
        client_disputes_lost=counts.lost_as_client,
    )


def percent(rate: float) -> int:
    """A rate as a whole percent, rounded half up (2/3 is 67 %)."""
    return int(rate * 100 + 0.5)
