"""Direct offers (issue 14): a contract proposed to one person, without a public job.

A client sends an offer to a freelancer (`/offer`), or a freelancer proposes the next
contract to a past client (`/propose`); the other one accepts or declines within
OFFER_WINDOW, after which the offer lapses (the `offer_lapse` deadline). Accepting creates
what a deal stands on, in the same transaction: a private job (born 'hiring', never 'open',
so no listing shows it: bot.storage.offers) and the freelancer's bid, accepted; then the
deal awaiting funding and the client's invoice, as a hire makes them. From there it is
today's deal flow.

An offer's changes take its row's lock first (PostgreSQL), as a job's family takes its
job's: the answer and the lapse run one after the other, and the loser is told the offer
moved on. An offer is fixed, hourly (`20/h 10`: a rate and a weekly limit in hours, kept in
`terms`) or in milestones (a plan after the description, kept in `terms`): accepting gives the
bid those terms, and the contract starts as a hire of such a bid does (its first week's or
first milestone's invoice).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import rules
from bot.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from bot.domain.milestones import check_plan, parse_plan
from bot.domain.models import Deal, User
from bot.domain.money import parse_amount
from bot.domain.states import ContractKind
from bot.services import hourly, milestones
from bot.services.base import (
    Services,
    active_user,
    bid_or_404,
    deal_or_404,
    job_or_404,
    user_or_404,
)
from bot.services.lifecycle import notify_params
from bot.services.profiles import find_user
from bot.storage.db import Tx
from bot.storage.offers import Offer, OffersRepo

LAPSE = "offer_lapse"  # the deadline kind; its subject is the offer


@dataclass(frozen=True)
class OfferTerms:
    """What the person typed: `150 5 Title | Description` (amount, days, then the text);
    hourly: `20/h 10 Title | Description` (a rate, then the weekly limit in hours); in
    milestones: `300 14 Title | Description | Sketch = 100; Final = 200`."""

    amount: str
    days: int
    title: str
    description: str
    weekly: str | None = None  # an hourly offer's weekly limit, in hours as typed
    plan: str | None = None  # a milestone offer's plan as typed

    @property
    def kind(self) -> ContractKind:
        if self.weekly is not None:
            return ContractKind.HOURLY
        return ContractKind.MILESTONES if self.plan else ContractKind.FIXED


RATE_SUFFIXES = ("/h", "/ч")
HOURLY_DAYS = 7  # an hourly offer's private job has no delivery date: a week, as a bid's


def parse_terms(text: str, usage: str = "offer.usage") -> OfferTerms:
    """`<amount> <days> <title> | <description>` (or the description on the next line), a
    rate `<n>/h` and a weekly limit instead of amount and days, and a last `| A = 1; B = 2`
    section as a milestone plan; anything else is the command's usage sentence."""
    parts = (text or "").strip().split(None, 2)
    if len(parts) < 3 or not parts[1].isdigit():
        raise InvalidInput(usage)
    rest = parts[2]
    sep = "\n" if "\n" in rest else "|"
    title, _, description = rest.partition(sep)
    plan = None
    head, bar, tail = description.rpartition("|")
    if bar and "=" in tail and head.strip():  # the last section is a milestone plan
        description, plan = head, tail.strip()
    if not description.strip():
        raise InvalidInput(usage)
    amount = parts[0]
    if amount.lower().endswith(RATE_SUFFIXES):
        if plan:
            raise InvalidInput("offer.hourly_plan")
        return OfferTerms(
            amount[:-2], HOURLY_DAYS, title.strip(), description.strip(), weekly=parts[1]
        )
    return OfferTerms(amount, int(parts[1]), title.strip(), description.strip(), plan=plan)


async def offer_or_404(tx: Tx, offer_id: int, *, lock: bool = False) -> Offer:
    offer = await OffersRepo(tx).get(offer_id, lock=lock)
    if offer is None:
        raise NotFound("offer.not_found", offer=offer_id)
    return offer


async def lock_offer(tx: Tx, offer_id: int) -> None:
    """Take an offer's lock (its row, PostgreSQL), as its deadline runs."""
    await OffersRepo(tx).get(offer_id, lock=True)


async def may_offer(tx: Tx, svc: Services, actor: int, target: int) -> None:
    """A client may offer `target` a contract (the checks `send_offer` makes first)."""
    await active_user(tx, actor)
    other = await user_or_404(tx, target)
    _check_recipient(actor, other)


async def may_propose(tx: Tx, svc: Services, actor: int, target: int) -> None:
    """A freelancer may propose the next contract to `target`, a client they worked for."""
    await active_user(tx, actor)
    other = await user_or_404(tx, target)
    _check_recipient(actor, other)
    if not await tx.deals.worked_together(other.id, actor):
        raise Forbidden("offer.not_past_client", name=other.display_name)


def _check_recipient(actor: int, other: User) -> None:
    if other.deleted:
        raise NotFound("user.not_found", user=other.id)
    if other.id == actor:
        raise InvalidInput("offer.self")
    if other.banned:
        raise Forbidden("offer.banned", name=other.display_name)


async def send_offer(
    svc: Services, actor: int, ref: str, terms: OfferTerms, *, propose: bool = False
) -> Offer:
    """A client's offer to `ref` (`propose`: a freelancer's proposal to a past client).
    Refused: to oneself, to an unknown or banned person, while banned, bad terms."""
    title = rules.title(terms.title)
    description = rules.description(terms.description)
    days = rules.days(terms.days)
    s = svc.settings
    amount = parse_amount(terms.amount, s.currency)
    extra: dict[str, object] = {}
    if terms.weekly is not None:
        extra["weekly_minutes"] = hourly.parse_limit(terms.weekly)
    elif terms.plan:
        parts = parse_plan(terms.plan, s.currency)
        total = sum(part for _title, part in parts)
        if total != amount:  # said of the offer, not of a bid (check_plan's sentence)
            raise InvalidInput("offer.plan_sum", amount=total, total=amount, currency=s.currency)
        parts = check_plan(parts, amount, s.currency)
        extra["plan"] = [[title, part] for title, part in parts]
    async with svc.tx() as tx:
        await active_user(tx, actor)
        other = await find_user(tx, ref)
        _check_recipient(actor, other)
        client, freelancer = (other.id, actor) if propose else (actor, other.id)
        if propose and not await tx.deals.worked_together(client, freelancer):
            raise Forbidden("offer.not_past_client", name=other.display_name)
        offer = await OffersRepo(tx).create(
            client_id=client,
            freelancer_id=freelancer,
            sender_id=actor,
            kind=terms.kind,
            title=title,
            description=description,
            amount=amount,
            currency=s.currency,
            days=days,
            expires_at=tx.now + s.offer_window,
            terms=extra,
        )
        await tx.deadlines.set(LAPSE, offer.id, offer.expires_at)
        await tx.outbox.add(other.id, "offer.received", _params(offer), ref=f"offer:{offer.id}")
        return offer


def _params(offer: Offer, **extra: object) -> dict[str, object]:
    return {
        "offer": offer.id,
        "from": offer.sender_id,
        "to": offer.recipient_id,
        "title": offer.title,
        "amount": offer.amount,
        "currency": offer.currency,
        "days": offer.days,
        "expires_at": offer.expires_at,
        **extra,
    }


def _check_answerable(offer: Offer, actor: int, now: int) -> None:
    """Only the recipient answers, and only a pending offer within its window."""
    if actor == offer.sender_id:
        raise Forbidden("offer.own", offer=offer.id)
    if actor != offer.recipient_id:
        raise Forbidden("offer.not_yours", offer=offer.id)
    if offer.state == "accepted":
        raise Conflict("offer.accepted", offer=offer.id, deal=offer.deal_id or 0)
    if offer.state == "declined":
        raise Conflict("offer.declined", offer=offer.id)
    if offer.state == "lapsed" or offer.expires_at <= now:
        raise Conflict("offer.lapsed", offer=offer.id)


async def accept_offer(svc: Services, actor: int, offer_id: int) -> Deal:
    """The recipient accepts: the private job, the accepted bid, the deal awaiting funding
    and the client's invoice, in one transaction; the sender is told."""
    async with svc.tx() as tx:
        await active_user(tx, actor)
        repo = OffersRepo(tx)
        offer = await offer_or_404(tx, offer_id, lock=True)
        _check_answerable(offer, actor, tx.now)
        sender = await tx.users.get(offer.sender_id)
        if sender is None or sender.banned or sender.deleted:
            raise Forbidden("offer.sender_gone", offer=offer.id)
        if not svc.settings.can_pay(offer.currency):
            raise Conflict("offer.currency_unpayable", offer=offer.id, currency=offer.currency)
        job_id = await repo.private_job(offer, tx.now + offer.days * 86400)
        bid_id = await repo.accepted_bid(job_id, offer)
        weekly = offer.terms.get("weekly_minutes") if offer.kind == ContractKind.HOURLY else None
        if offer.kind == ContractKind.HOURLY:
            await tx.hourly.set_bid_terms(bid_id, int(weekly or 0))
        elif offer.kind == ContractKind.MILESTONES:
            plan = [(str(t), int(a)) for t, a in offer.terms.get("plan", [])]
            await tx.milestones.replace_plan(bid_id, plan)
        job = await job_or_404(tx, job_id)
        bid = await bid_or_404(tx, bid_id)
        deal = await tx.deals.create(job, bid, tx.now + svc.settings.funding_window)
        if not await repo.answer(offer.id, "accepted", deal.id):
            raise Conflict("offer.lapsed", offer=offer.id)
        await tx.deadlines.cancel(offer.id, LAPSE)
        await tx.deals.add_event(deal.id, actor, "hired")
        await tx.keyboards.refresh(f"offer:{offer.id}")
        await tx.deadlines.set("funding_expire", deal.id, deal.funding_ends_at or tx.now)
        params = notify_params(deal, title=job.title, bid=bid.id)
        await tx.outbox.add(
            offer.sender_id,
            "offer.accepted",
            _params(offer, deal=deal.id, job=job.id),
            ref=f"deal:{deal.id}",
        )
        if offer.kind == ContractKind.MILESTONES:
            deal = await milestones.start(tx, deal)  # the first milestone's invoice
        elif offer.kind == ContractKind.HOURLY:
            await hourly.open_contract(tx, svc, deal, int(weekly or 0))  # the first week's
            deal = await deal_or_404(tx, deal.id)
        else:
            await tx.outbox.add(
                offer.client_id, "invoice.deal", params, method="invoice", ref=f"deal:{deal.id}"
            )
        return deal


async def decline_offer(svc: Services, actor: int, offer_id: int) -> Offer:
    async with svc.tx() as tx:
        offer = await offer_or_404(tx, offer_id, lock=True)
        _check_answerable(offer, actor, tx.now)
        if not await OffersRepo(tx).answer(offer.id, "declined"):
            raise Conflict("offer.lapsed", offer=offer.id)
        await tx.deadlines.cancel(offer.id, LAPSE)
        await tx.keyboards.refresh(f"offer:{offer.id}")
        await tx.outbox.add(offer.sender_id, "offer.declined", _params(offer))
        return await offer_or_404(tx, offer.id)


async def lapse_offer(tx: Tx, svc: Services, offer_id: int) -> bool:
    """Timer: OFFER_WINDOW passed unanswered; both are told."""
    offer = await OffersRepo(tx).get(offer_id, lock=True)
    if offer is None or offer.state != "pending" or offer.expires_at > tx.now:
        return False
    if not await OffersRepo(tx).answer(offer.id, "lapsed"):
        return False
    await tx.keyboards.refresh(f"offer:{offer.id}")
    for user_id in (offer.sender_id, offer.recipient_id):
        await tx.outbox.add(user_id, "offer.lapsed", _params(offer), ref=f"offer:{offer.id}")
    return True


async def my_offers(svc: Services, actor: int) -> list[Offer]:
    async with svc.read() as tx:
        return await OffersRepo(tx).for_user(actor)


async def view_offer(svc: Services, actor: int, offer_id: int) -> Offer:
    """An offer, for its two people only."""
    async with svc.read() as tx:
        offer = await offer_or_404(tx, offer_id)
        if actor not in (offer.client_id, offer.freelancer_id):
            raise Forbidden("offer.not_yours", offer=offer.id)
        return offer
