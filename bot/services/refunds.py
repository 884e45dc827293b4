"""Settling Stars refunds, the second phase of a money movement that leaves through Telegram.

`escrow.start_star_refund` moved the money into refund_pending and queued refundStarPayment;
the dispatcher makes the call and reports Telegram's answer here, and each settlement is one
transaction together with the outbox row's mark:

- `confirm`: Telegram refunded it (or answers CHARGE_ALREADY_REFUNDED: an earlier call did,
  and the bot did not get to record it): refund_pending -> world_out, the payer told the Stars
  are back.
- `fail`: Telegram refused (a 400 other than that, a 403) or could not be reached for a day:
  the compensating entry credits the payer's balance and opens a payout request, the
  moderators are alerted and the payer is told what happened.

Both are idempotent: a refund already settled (a second dispatcher, a replayed row) changes
nothing but the outbox row's mark.
"""

from __future__ import annotations

import logging

from bot.domain.models import Refund
from bot.services import escrow
from bot.services.base import Services

log = logging.getLogger(__name__)


async def confirm(
    svc: Services, charge_id: str, outbox_id: int | None = None, *, claimer: str | None = None
) -> bool:
    """Telegram returned the Stars. True when this call settled the refund. `outbox_id` (and
    the dispatcher's `claimer`) is the row that made the call, marked in the same
    transaction."""
    async with svc.tx() as tx:
        if outbox_id is not None:
            await tx.outbox.mark_sent(outbox_id, None, claimer=claimer)
        refund = await tx.refunds.by_charge(charge_id)
        if refund is None:
            log.error(
                "refundStarPayment (outbox row %s) succeeded but no refund is recorded", outbox_id
            )
            log.debug("refundStarPayment of charge %s: no refund recorded", charge_id)
            return False
        if not await tx.refunds.settle(refund.id, "confirmed"):
            return False
        await escrow.refund_sent(tx, refund)
        await tx.outbox.add(
            refund.payer_id,
            "notify.refund_confirmed",
            _params(refund),
            ref=f"deal:{refund.deal_id}",
        )
        return True


async def fail(
    svc: Services,
    charge_id: str,
    error: str,
    outbox_id: int | None = None,
    *,
    claimer: str | None = None,
) -> bool:
    """Telegram will not return the Stars. True when this call settled the refund."""
    async with svc.tx() as tx:
        if outbox_id is not None:
            await tx.outbox.give_up(outbox_id, error, state="failed", claimer=claimer)
        refund = await tx.refunds.by_charge(charge_id)
        if refund is None:
            log.error(
                "refundStarPayment (outbox row %s) failed (%s), no refund recorded",
                outbox_id,
                error,
            )
            log.debug("refundStarPayment of charge %s: no refund recorded", charge_id)
            return False
        if not await tx.refunds.settle(refund.id, "failed", error):
            return False
        log.info("refund %s (deal %s) failed: %s", refund.id, refund.deal_id, error)
        payout_id = await escrow.refund_refused(tx, refund)
        await tx.refunds.set_payout(refund.id, payout_id)
        params = _params(refund, payout=payout_id)
        await tx.outbox.add(
            refund.payer_id, "notify.refund_failed", params, ref=f"deal:{refund.deal_id}"
        )
        if svc.settings.moderator_chat_id:
            await tx.outbox.add(
                svc.settings.moderator_chat_id,
                "mod.refund_failed",
                {**params, "user": refund.payer_id, "error": error[:300]},
            )
        return True


async def pending_for(svc: Services, user_id: int) -> list[Refund]:
    async with svc.read() as tx:
        return await tx.refunds.pending_for(user_id)


def _params(refund: Refund, **extra: object) -> dict[str, object]:
    return {
        "refund": refund.id,
        "deal": refund.deal_id,
        "amount": refund.amount,
        "currency": refund.currency,
        **extra,
    }
