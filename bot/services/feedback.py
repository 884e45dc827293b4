"""Double-blind feedback: shown when both sides rated or FEEDBACK_WINDOW has passed."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import rules
from bot.domain.errors import Conflict
from bot.domain.models import Feedback
from bot.domain.states import DealState
from bot.services.base import Services, party_deal
from bot.storage.db import Tx

RATEABLE = (DealState.RELEASED, DealState.REFUNDED, DealState.SPLIT)


@dataclass(frozen=True)
class Rated:
    """`both`: this rating made the pair complete (both now visible); `received`: then the
    rating the actor got, which their answer shows (the other side is told by a message)."""

    both: bool
    received: Feedback | None = None


async def rate(svc: Services, actor: int, deal_id: int, stars: int, comment: str = "") -> Rated:
    stars = rules.stars(stars)
    comment = rules.clean_text(comment)[: rules.COMMENT_MAX]
    async with svc.tx() as tx:
        deal = await party_deal(tx, deal_id, actor, lock=True)
        if deal.state not in RATEABLE:
            raise Conflict("rate.not_finished", deal=deal_id)
        other = deal.other(actor)
        if not await tx.feedback.add(deal.id, actor, other, stars, comment):
            raise Conflict("rate.already", deal=deal_id)
        await tx.keyboards.refresh(f"deal:{deal.id}")  # the rater's 1⭐-5⭐ rows go
        rows = await tx.feedback.for_deal(deal.id)
        both = len(rows) == 2
        key = "notify.feedback_revealed" if both else "notify.feedback_received"
        await tx.outbox.add(other, key, {"deal": deal.id}, ref=f"deal:{deal.id}")
        if not both:
            return Rated(False)
        await tx.deadlines.cancel(deal.id, "feedback_request")
        return Rated(True, next((f for f in rows if f.ratee_id == actor), None))


async def visible_feedback(svc: Services, deal_id: int, viewer: int) -> list[Feedback]:
    """The ratings of a deal a party may see now (their own always; the other's once public)."""
    async with svc.read() as tx:
        deal = await party_deal(tx, deal_id, viewer)
        rows = await tx.feedback.for_deal(deal.id)
        public = len(rows) == 2 or (
            deal.ended_at is not None and deal.ended_at + svc.settings.feedback_window <= tx.now
        )
        return [f for f in rows if f.rater_id == viewer or public]


async def request_feedback(tx: Tx, svc: Services, deal_id: int) -> bool:
    """Timer: a day after a deal ends, ask whoever has not rated yet."""
    deal = await tx.deals.get(deal_id)
    if deal is None or deal.state not in RATEABLE:
        return False
    rated = {f.rater_id for f in await tx.feedback.for_deal(deal.id)}
    asked = False
    for user_id in (deal.client_id, deal.freelancer_id):
        if user_id not in rated:
            await tx.outbox.add(
                user_id, "notify.feedback_request", {"deal": deal.id}, ref=f"deal:{deal.id}"
            )
            asked = True
    return asked
