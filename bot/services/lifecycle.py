"""What the services of jobs, deals and disputes share about a deal's life (its state moves,
its timers, who is told) and a job's channel post: one module below all three, so none of
them imports another's private helpers."""

from __future__ import annotations

from typing import Any

from bot.domain.models import Deal, Job
from bot.domain.states import BidState, DealAction, DealState, JobState, next_deal_state
from bot.services import escrow
from bot.services.base import Services, lost_race
from bot.storage.db import Tx
from bot.storage.offers import ReviewersRepo

DELIVERY_DEADLINES = ("delivery_nudge", "delivery_due", "delivery_refund")
REVIEW_DEADLINES = ("review_nudge", "review_release")
ALL_DEAL_DEADLINES = (
    "funding_expire",
    *DELIVERY_DEADLINES,
    *REVIEW_DEADLINES,
    "dispute_sla",
)

JOB_DEADLINES = ("job_nudge", "job_expire")


async def refresh_channel_post(tx: Tx, svc: Services, job: Job) -> None:
    """Queue an edit of the job's channel post (it shows the job's current state)."""
    if svc.settings.jobs_channel_id and not job.is_private:  # a direct offer's: never posted
        await tx.outbox.add(
            svc.settings.jobs_channel_id,
            "channel.job",
            {"job": job.id},
            method="edit",
            ref=f"channel:{job.id}",
        )


async def move_deal(tx: Tx, deal: Deal, action: DealAction, **fields: Any) -> DealState:
    new = next_deal_state(deal.state, action, deal.id)
    if not await tx.deals.transition(deal.id, deal.state, new, **fields):
        raise lost_race(deal)
    await tx.deals.add_event(deal.id, None, action.value)
    # The buttons earlier messages offered for the old state are drawn again.
    await tx.keyboards.refresh(f"deal:{deal.id}")
    return new


def notify_params(deal: Deal, **extra: Any) -> dict[str, Any]:
    return {
        "deal": deal.id,
        "job": deal.job_id,
        "amount": deal.amount,
        "currency": deal.currency,
        **extra,
    }


async def tell_both(tx: Tx, deal: Deal, key: str, *, skip: int | None = None, **extra: Any) -> None:
    """Tell both parties, except `skip`: the one who acted, whom their handler answers."""
    for user_id in (deal.client_id, deal.freelancer_id):
        if user_id != skip:
            await tx.outbox.add(user_id, key, notify_params(deal, **extra), ref=f"deal:{deal.id}")


async def finish_deal(tx: Tx, svc: Services, deal: Deal, job_state: JobState) -> None:
    """After a deal ends: its job closes, its timers stop, feedback is asked a day later."""
    await tx.deadlines.cancel(deal.id, *ALL_DEAL_DEADLINES)
    await tx.jobs.set_state(deal.job_id, job_state, [JobState.IN_PROGRESS, JobState.HIRING])
    await tx.deadlines.set("feedback_request", deal.id, tx.now + 86400)
    await reviewer_leaves(tx, deal)
    job = await tx.jobs.get(deal.job_id)
    if job is not None:
        await refresh_channel_post(tx, svc, job)


async def reviewer_leaves(tx: Tx, deal: Deal) -> None:
    """The contract ended: its QA reviewer (bot.services.reviewers) leaves and is told."""
    repo = ReviewersRepo(tx)
    reviewer = await repo.of_deal(deal.id)
    if reviewer is not None:
        await repo.leave(deal.id)
        await tx.outbox.add(reviewer, "review.ended", notify_params(deal), ref=f"deal:{deal.id}")


async def cancel_unfunded_for_removal(tx: Tx, svc: Services, job_id: int) -> list[int]:
    """A moderator took the job down while a deal awaited funding: cancel that deal. The
    freelancer is told here; the client hears it in the removal notice (one message).
    Returns the deals cancelled."""
    cancelled = []
    for deal in await tx.deals.for_job(job_id):
        if deal.state == DealState.AWAITING_FUNDING and await tx.milestones.any_settled(deal.id):
            continue  # a milestone contract between two milestones runs on, as funded ones do
        if deal.state == DealState.AWAITING_FUNDING:
            await move_deal(tx, deal, DealAction.CANCEL_UNFUNDED, ended_at=tx.now)
            await tx.milestones.cancel_rest(deal.id)  # a milestone contract's plan: never funded
            await tx.deadlines.cancel(deal.id, *ALL_DEAL_DEADLINES)
            await tx.bids.set_state(deal.bid_id, BidState.DECLINED, [BidState.ACCEPTED], "removed")
            await tx.keyboards.refresh(f"bid:{deal.bid_id}")
            await tell_both(tx, deal, "notify.deal_cancelled", skip=deal.client_id)
            cancelled.append(deal.id)
    return cancelled


async def record_charge(
    tx: Tx,
    deal: Deal,
    *,
    payer: int,
    amount: int,
    currency: str,
    charge_id: str,
    provider_charge_id: str | None,
    fits: bool,
    answered: bool,
) -> tuple[str, escrow.Returned | None]:
    """Record a successful charge for `deal` (a deal's or a week's invoice) once: "funded"
    when it `fits` (the caller then funds), "refunded" when it does not (the money goes
    straight back, and the payer is told unless their own update answers them), "duplicate"
    when the same charge was recorded meanwhile. With how the money went back."""
    outcome = "funded" if fits else "refunded"
    recorded = await tx.payments.record(
        charge_id=charge_id,
        provider_charge_id=provider_charge_id,
        deal_id=deal.id,
        payer_id=payer,
        amount=amount,
        currency=currency,
        outcome=outcome,
    )
    if not recorded:
        return "duplicate", None
    if fits:
        return outcome, None
    back = await escrow.refund_stray_payment(tx, payer, amount, currency, charge_id, deal.id)
    if not answered:
        await tx.outbox.add(
            payer,
            "notify.payment_refunded",
            notify_params(deal, amount=amount, currency=currency, **back.params()),
            ref=f"deal:{deal.id}",
        )
    return outcome, back
