"""What a deal card shows, read in one transaction (the card itself is drawn by
bot.views.deal_card from this data, and opens no transaction of its own)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.domain.errors import Forbidden
from bot.domain.milestones import Milestone
from bot.domain.models import Deal, DealEvent, Dispute, Feedback, Job, User
from bot.services.base import RUNNING_DEAL_STATES, Services, deal_or_404, party_deal
from bot.services.hourly import HourlyView
from bot.services.hourly import view as hourly_view
from bot.storage.offers import ReviewersRepo


@dataclass
class DealData:
    deal: Deal
    job: Job | None
    users: dict[int, User]
    time_log: list[dict[str, Any]]
    events: list[DealEvent]
    dispute: Dispute | None
    feedback: list[Feedback]  # only what the viewer may see
    rated_by: set[int]
    max_revisions: int
    messages: list[dict[str, Any]] = field(default_factory=list)  # moderators only
    milestones: list[Milestone] = field(default_factory=list)  # a milestone contract's plan
    hourly: HourlyView | None = None  # an hourly contract's terms, weeks and money
    reviewer: int | None = None  # the contract's QA reviewer (bot.services.reviewers)
    verdict: dict[str, Any] | None = None  # the reviewer's latest verdict

    def name(self, user_id: int | None) -> str:
        if user_id is None:
            return "—"
        return person(self.users.get(user_id), user_id)


def person(user: User | None, user_id: int | None = None) -> str:
    """`Alice (@alice)`, `@alice` or `user 42`: plain text, escaped by the translator."""
    if user is None:
        return f"#{user_id}" if user_id is not None else "?"
    if user.first_name and user.username:
        return f"{user.first_name} (@{user.username})"
    return user.display_name


async def load_deal(
    svc: Services, deal_id: int, viewer: int | None, *, reviewer_ok: bool = False
) -> DealData:
    """Everything a card shows. `viewer` None means a moderator: any deal, whole history.
    `reviewer_ok`: the deal's QA reviewer may read it too (the /deal card, read-only)."""
    async with svc.read() as tx:
        reviewers = ReviewersRepo(tx)
        if viewer is None:
            deal = await deal_or_404(tx, deal_id)
        elif reviewer_ok and await reviewers.of_deal(deal_id) == viewer:
            deal = await deal_or_404(tx, deal_id)
            if deal.state not in RUNNING_DEAL_STATES:
                raise Forbidden("reviewer.ended", deal=deal_id)
        else:
            deal = await party_deal(tx, deal_id, viewer)
        reviewer = await reviewers.of_deal(deal.id)
        verdicts = await reviewers.verdicts(deal.id) if reviewer is not None else []
        job = await tx.jobs.get(deal.job_id)
        events = await tx.deals.events(deal.id)
        time_log = await tx.deals.time_log(deal.id)
        dispute = await tx.disputes.latest_for(deal.id)
        feedback = await tx.feedback.for_deal(deal.id)
        plan = await tx.milestones.of_deal(deal.id)
        hourly = await hourly_view(tx, deal)
        ids = {deal.client_id, deal.freelancer_id, *([reviewer] if reviewer else [])}
        ids |= {e.actor_id for e in events if e.actor_id is not None}
        ids |= {int(r["user_id"]) for r in time_log}
        messages: list[dict[str, Any]] = []
        if viewer is None:
            messages = await tx.misc.thread(deal.bid_id)
            ids |= {int(m["sender_id"]) for m in messages}
        users = {}
        for uid in ids:
            user = await tx.users.get(uid)
            if user is not None:
                users[uid] = user
        public = len(feedback) == 2 or (
            deal.ended_at is not None and deal.ended_at + svc.settings.feedback_window <= tx.now
        )
    rated_by = {f.rater_id for f in feedback}
    visible = [f for f in feedback if viewer is None or public or f.rater_id == viewer]
    return DealData(
        deal=deal,
        job=job,
        users=users,
        time_log=time_log,
        events=events,
        dispute=dispute,
        feedback=visible,
        rated_by=rated_by,
        max_revisions=svc.settings.max_revisions,
        messages=messages,
        milestones=plan,
        hourly=hourly,
        reviewer=reviewer,
        verdict=verdicts[-1] if verdicts else None,
    )


async def load_deal_list(svc: Services, user_id: int) -> list[tuple[Deal, Job | None]]:
    async with svc.read() as tx:
        deals = await tx.deals.for_user(user_id, limit=200)
        return [(d, await tx.jobs.get(d.job_id)) for d in deals]
