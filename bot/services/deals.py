"""The deal lifecycle: hire, pay, deliver, revise, extend, release, cancel, refund.

Every change goes through `_move`, which asks the transition table whether the move is legal
and then makes the conditional write; a lost race is a clear Conflict, never a double move.

One message per event: the person who acted is answered by their handler, so a service writes
notifications only for the other people concerned (`tell_both(..., skip=actor)`); an event
nobody acted on (a timer, a payment found by reconciliation) tells each party once. A payment
is the exception: its handler stays silent and the payer's notice, queued in the payment's own
transaction, is their one message (durable if the bot dies right after the commit).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import rules
from bot.domain.durations import parse_extension
from bot.domain.errors import Conflict, Forbidden, InvalidInput
from bot.domain.models import Deal
from bot.domain.numbers import entity_id
from bot.domain.states import (
    BidState,
    ContractKind,
    DealAction,
    DealState,
    JobState,
    next_deal_state,
)
from bot.services import escrow, hourly, milestones, reviewers
from bot.services.base import (
    Services,
    active_user,
    bid_or_404,
    deal_or_404,
    job_or_404,
    lost_race,
    party_deal,
)
from bot.services.lifecycle import (
    ALL_DEAL_DEADLINES,
    DELIVERY_DEADLINES,
    JOB_DEADLINES,
    REVIEW_DEADLINES,
    finish_deal,
    move_deal,
    notify_params,
    record_charge,
    refresh_channel_post,
    tell_both,
)
from bot.storage.db import Tx

REVISION_MIN_SECONDS = 86400  # a revision leaves the freelancer at least a day


def invoice_payload(deal_id: int) -> str:
    return f"deal:{deal_id}"


def parse_payload(payload: str) -> int | None:
    """The deal an invoice names: `deal:<id>`, or `deal:<id>:m<milestone>` for a milestone."""
    kind, _, ident = (payload or "").partition(":")
    return entity_id(ident.partition(":")[0]) if kind == "deal" else None


def _not_hourly(deal: Deal) -> None:
    """Delivery, release, revisions and extensions are a fixed deal's; an hourly contract
    is settled week by week (bot.services.hourly)."""
    if deal.kind == ContractKind.HOURLY:
        raise Conflict("hourly.not_for_hourly", deal=deal.id)


# --- hire and fund -------------------------------------------------------------------------


async def hire(svc: Services, actor: int, bid_id: int) -> Deal:
    """The client accepts a bid: a deal awaiting funding, and an invoice for the client.
    The deal is in its job's currency, which must be payable with today's configuration."""
    async with svc.tx() as tx:
        await active_user(tx, actor)
        bid = await bid_or_404(tx, bid_id, lock=True)
        job = await job_or_404(tx, bid.job_id)
        if job.client_id != actor:
            raise Forbidden("bid.not_client", job=job.id)
        if job.state != JobState.OPEN or job.bidding_ends_at <= tx.now:
            raise Conflict("job.not_open_for_hire", job=job.id)
        if bid.state != BidState.ACTIVE:
            raise Conflict("bid.not_active", bid=bid_id)
        if not svc.settings.can_pay(job.currency):
            # A fiat job from before the provider was removed: an invoice could not be sent.
            raise Conflict("deal.currency_unpayable", job=job.id, currency=job.currency)
        freelancer = await tx.users.get(bid.freelancer_id)
        if freelancer is None or freelancer.banned:
            raise Forbidden("bid.freelancer_banned", bid=bid_id)
        plan = await milestones.plan_for_hire(tx, bid, job.currency)
        if not await tx.jobs.set_state(job.id, JobState.HIRING, [JobState.OPEN]):
            raise Conflict("job.not_open_for_hire", job=job.id)
        if not await tx.bids.set_state(bid.id, BidState.ACCEPTED, [BidState.ACTIVE]):
            raise Conflict("bid.not_active", bid=bid_id)
        deal = await tx.deals.create(job, bid, tx.now + svc.settings.funding_window)
        await tx.deals.add_event(deal.id, actor, "hired")
        await tx.keyboards.refresh(f"job:{job.id}", f"bids:{job.id}", f"bid:{bid.id}")
        await tx.deadlines.set("funding_expire", deal.id, deal.funding_ends_at or tx.now)
        params = notify_params(deal, title=job.title, bid=bid.id)
        weekly = None if plan else await tx.hourly.bid_terms(bid.id)
        if plan:
            deal = await milestones.start(tx, deal)  # the first milestone's invoice
        elif weekly is not None:  # the first week's invoice instead of the deal's
            await hourly.open_contract(tx, svc, deal, weekly)
            deal = await deal_or_404(tx, deal.id)
        else:
            await tx.outbox.add(
                actor, "invoice.deal", params, method="invoice", ref=f"deal:{deal.id}"
            )
        await tx.outbox.add(
            bid.freelancer_id, "notify.hired_pending", params, ref=f"deal:{deal.id}"
        )
        return deal


@dataclass(frozen=True)
class PaymentCheck:
    ok: bool
    error_key: str | None = None


async def precheckout(
    svc: Services, payer: int, payload: str, amount: int, currency: str
) -> PaymentCheck:
    """Approve a pre-checkout query only for a deal still awaiting funding, at its price."""
    week_id = hourly.parse_week_payload(payload)
    if week_id is not None:
        error = await hourly.precheckout(svc, payer, week_id, amount, currency)
        return PaymentCheck(error is None, error)
    deal_id = parse_payload(payload)
    if deal_id is None:
        return PaymentCheck(False, "payment.unknown")
    async with svc.read() as tx:
        deal = await tx.deals.get(deal_id)
    if deal is None:
        return PaymentCheck(False, "payment.unknown")
    if deal.client_id != payer:
        return PaymentCheck(False, "payment.not_client")
    if deal.state != DealState.AWAITING_FUNDING:
        return PaymentCheck(False, "payment.not_awaiting")
    if deal.funding_ends_at is not None and deal.funding_ends_at <= svc.clock.now():
        return PaymentCheck(False, "payment.not_awaiting")
    if milestones.is_milestones(deal):
        async with svc.read() as tx:
            fits = await milestones.payable(tx, deal, payload, amount)
        if not fits or deal.currency != currency:
            return PaymentCheck(False, "payment.mismatch")
        return PaymentCheck(True)
    if deal.amount != amount or deal.currency != currency:
        return PaymentCheck(False, "payment.mismatch")
    return PaymentCheck(True)


@dataclass(frozen=True)
class Payment:
    """What a successful payment did: `outcome` is "funded", "duplicate" (this charge id was
    seen: nothing changes) or "refunded" (the deal no longer awaits funding, or the amount is
    wrong: the money goes back, as `returned` says); `deal` as it is now."""

    outcome: str
    deal: Deal | None = None
    returned: escrow.Returned | None = None


async def record_payment(
    svc: Services,
    payer: int,
    payload: str,
    amount: int,
    currency: str,
    charge_id: str,
    provider_charge_id: str | None = None,
) -> str:
    """Apply a successful payment exactly once per charge id, where nobody is answered (a
    payment found by reconciliation): the payer is told through the outbox. Returns the
    outcome (see `Payment`)."""
    paid = await apply_payment(svc, payer, payload, amount, currency, charge_id, provider_charge_id)
    return paid.outcome


async def apply_payment(
    svc: Services,
    payer: int,
    payload: str,
    amount: int,
    currency: str,
    charge_id: str,
    provider_charge_id: str | None = None,
    *,
    answered: bool = False,
) -> Payment:
    """Apply a successful payment exactly once per charge id. `answered`: the payer's own
    update is being handled, and its answer tells them (no notification to the payer)."""
    if not charge_id:
        raise InvalidInput("payment.unknown")
    week_id = hourly.parse_week_payload(payload)
    if week_id is not None:
        outcome, deal, back = await hourly.apply_payment(
            svc, payer, week_id, amount, currency, charge_id, provider_charge_id, answered
        )
        return Payment(outcome, deal, back)
    deal_id = parse_payload(payload)
    async with svc.tx() as tx:
        if deal_id is not None:
            await tx.jobs.lock_of_deal(deal_id)
        if await tx.payments.get(charge_id) is not None:
            return Payment("duplicate", await tx.deals.get(deal_id) if deal_id else None)
        deal = await tx.deals.get(deal_id) if deal_id is not None else None
        if deal is None:
            # Money for nothing we know: record it against no deal is impossible (FK), so
            # refuse loudly; Telegram only sends payloads we issued.
            raise InvalidInput("payment.unknown")
        fits = (
            deal.state == DealState.AWAITING_FUNDING
            and (
                await milestones.payable(tx, deal, payload, amount)
                if milestones.is_milestones(deal)
                else deal.amount == amount and milestones.payload_milestone(payload) is None
            )
            and deal.currency == currency
            and deal.client_id == payer
        )
        outcome, back = await record_charge(
            tx,
            deal,
            payer=payer,
            amount=amount,
            currency=currency,
            charge_id=charge_id,
            provider_charge_id=provider_charge_id,
            fits=fits,
            answered=answered,
        )
        if outcome != "funded":  # the same charge recorded meanwhile, or the money went back
            return Payment(outcome, deal, back)
        await _fund(tx, svc, deal, charge_id, answered)
        return Payment(outcome, await deal_or_404(tx, deal.id))


async def _fund(tx: Tx, svc: Services, deal: Deal, charge_id: str, answered: bool) -> None:
    s = svc.settings
    due = tx.now + deal.days * 86400
    await move_deal(tx, deal, DealAction.PAY, funded_at=tx.now, due_at=due, charge_id=charge_id)
    deal = await deal_or_404(tx, deal.id)
    if milestones.is_milestones(deal):
        await milestones.funded(tx, deal, charge_id)
    await escrow.fund(tx, await milestones.part(tx, deal), charge_id)
    await tx.deadlines.cancel(deal.id, "funding_expire")
    await _schedule_delivery(tx, deal.id, due, s.nudge_lead, s.delivery_grace)
    await tx.jobs.set_state(deal.job_id, JobState.IN_PROGRESS, [JobState.HIRING])
    job = await job_or_404(tx, deal.job_id)
    await tx.deadlines.cancel(job.id, *JOB_DEADLINES)
    await tx.keyboards.refresh(f"job:{job.id}", f"bids:{job.id}")
    for other in await tx.bids.for_job(job.id, [BidState.ACTIVE]):
        await tx.bids.set_state(other.id, BidState.DECLINED, [BidState.ACTIVE], "filled")
        await tx.keyboards.refresh(f"bid:{other.id}")
        await tx.outbox.add(
            other.freelancer_id,
            "notify.job_filled",
            {"job": job.id, "title": job.title, "bid": other.id},
            ref=f"bid:{other.id}",
        )
    skip = deal.client_id if answered else None
    part = await milestones.part(tx, deal)
    await tell_both(tx, part, "notify.deal_funded", skip=skip, title=job.title, due_at=due)
    await refresh_channel_post(tx, svc, job)


async def _schedule_delivery(tx: Tx, deal_id: int, due: int, lead: int, grace: int) -> None:
    if due - lead > tx.now:
        await tx.deadlines.set("delivery_nudge", deal_id, due - lead)
    else:
        await tx.deadlines.cancel(deal_id, "delivery_nudge")
    await tx.deadlines.set("delivery_due", deal_id, due)
    await tx.deadlines.set("delivery_refund", deal_id, due + grace)


async def expire_funding(tx: Tx, svc: Services, deal_id: int) -> bool:
    """Timer: the funding window ended unpaid; the job is open again with its bids."""
    deal = await tx.deals.get(deal_id)
    if deal is None or deal.state != DealState.AWAITING_FUNDING:
        return False
    if deal.funding_ends_at and deal.funding_ends_at > tx.now:
        return False
    if await milestones.close_unfunded(tx, svc, deal, None):
        return True  # milestones were paid before: the contract ends there
    await _unfunded_cancel(tx, svc, deal, DealAction.FUNDING_EXPIRED, BidState.ACTIVE)
    await tell_both(tx, deal, "notify.funding_expired")
    return True


async def _unfunded_cancel(
    tx: Tx, svc: Services, deal: Deal, action: DealAction, bid_state: BidState
) -> None:
    await move_deal(tx, deal, action, ended_at=tx.now)
    await tx.deadlines.cancel(deal.id, *ALL_DEAL_DEADLINES)
    if (await job_or_404(tx, deal.job_id)).is_private:
        # A direct offer's job never opens (it would be listed): it closes with its bid.
        await tx.jobs.set_state(deal.job_id, JobState.CLOSED, [JobState.HIRING])
        await tx.bids.set_state(deal.bid_id, BidState.WITHDRAWN, [BidState.ACCEPTED])
        await tx.keyboards.refresh(f"job:{deal.job_id}", f"bid:{deal.bid_id}")
        return
    reopened = await tx.jobs.set_state(deal.job_id, JobState.OPEN, [JobState.HIRING])
    await tx.bids.set_state(deal.bid_id, bid_state, [BidState.ACCEPTED])
    await tx.keyboards.refresh(f"job:{deal.job_id}", f"bids:{deal.job_id}", f"bid:{deal.bid_id}")
    if reopened:
        job = await job_or_404(tx, deal.job_id)
        # Bidding goes on: at least one more nudge period if the window ran out meanwhile.
        lead = svc.settings.nudge_lead
        ends = max(job.bidding_ends_at, tx.now + lead)
        await tx.jobs.set_bidding_ends(job.id, ends)
        await tx.deadlines.set("job_expire", job.id, ends)
        if ends - lead > tx.now:
            await tx.deadlines.set("job_nudge", job.id, ends - lead)


# --- work ------------------------------------------------------------------------------------


async def may_deliver(
    tx: Tx, svc: Services, actor: int, deal_id: int, *, lock: bool = False
) -> Deal:
    """The freelancer delivers a funded deal."""
    deal = await party_deal(tx, deal_id, actor, lock=lock)
    _not_hourly(deal)
    if actor != deal.freelancer_id:
        raise Forbidden("deal.only_freelancer", deal=deal_id)
    next_deal_state(deal.state, DealAction.DELIVER, deal.id)
    return deal


async def may_revise(
    tx: Tx, svc: Services, actor: int, deal_id: int, *, lock: bool = False
) -> Deal:
    """The client asks for changes to a delivery, at most MAX_REVISIONS times."""
    deal = await party_deal(tx, deal_id, actor, lock=lock)
    if actor != deal.client_id:
        raise Forbidden("deal.only_client", deal=deal_id)
    next_deal_state(deal.state, DealAction.REVISE, deal.id)
    if deal.revisions >= svc.settings.max_revisions:
        raise Conflict("revise.limit", deal=deal_id, max=svc.settings.max_revisions)
    return deal


async def deliver(
    svc: Services, actor: int, deal_id: int, note: str = "", files: list[dict] | None = None
) -> Deal:
    note = rules.clean_text(note)
    if len(note) > rules.NOTE_MAX:
        raise InvalidInput("deliver.note_too_long", max=rules.NOTE_MAX, length=len(note))
    s = svc.settings
    async with svc.tx() as tx:
        deal = await may_deliver(tx, svc, actor, deal_id, lock=True)
        ends = tx.now + s.review_window
        # A delivery answers a pending client cancel request: it cannot be confirmed later.
        await move_deal(
            tx,
            deal,
            DealAction.DELIVER,
            delivered_at=tx.now,
            review_ends_at=ends,
            cancel_requested_at=None,
        )
        event = await tx.deals.add_event(deal.id, actor, "delivery", note, files or [])
        await tx.deadlines.cancel(deal.id, *DELIVERY_DEADLINES)
        if s.review_window > s.nudge_lead:
            await tx.deadlines.set("review_nudge", deal.id, ends - s.nudge_lead)
        await tx.deadlines.set("review_release", deal.id, ends)
        await tx.outbox.add(
            deal.client_id,
            "notify.delivered",
            notify_params(
                deal, note=note, files=len(files or []), review_ends_at=ends, event=event
            ),
            ref=f"deal:{deal.id}",
        )
        await reviewers.tell_reviewer(tx, deal, event, note, len(files or []))
        return await deal_or_404(tx, deal_id)


async def attach_files(svc: Services, actor: int, deal_id: int, files: list[dict]) -> None:
    """Files sent right after /deliver join the latest delivery."""
    async with svc.tx() as tx:
        deal = await party_deal(tx, deal_id, actor, lock=True)
        if actor != deal.freelancer_id or deal.state != DealState.DELIVERED:
            raise Conflict("deliver.no_open_delivery", deal=deal_id)
        event = await tx.deals.add_event(deal.id, actor, "delivery_file", "", files)
        await reviewers.tell_reviewer(tx, deal, event, "", len(files))
        await tx.outbox.add(
            deal.client_id,
            "notify.delivery_files",
            notify_params(deal, files=len(files), event=event),
            ref=f"deal:{deal.id}",
        )


async def revise(svc: Services, actor: int, deal_id: int, what: str) -> Deal:
    what = rules.text_in_range(what, 1, rules.NOTE_MAX, "revise.text_required")
    s = svc.settings
    async with svc.tx() as tx:
        deal = await may_revise(tx, svc, actor, deal_id, lock=True)
        due = max(deal.due_at or tx.now, tx.now + REVISION_MIN_SECONDS)
        await move_deal(
            tx,
            deal,
            DealAction.REVISE,
            revisions=deal.revisions + 1,
            due_at=due,
            delivered_at=None,
            review_ends_at=None,
        )
        await tx.deals.add_event(deal.id, actor, "revision", what)
        await tx.deadlines.cancel(deal.id, *REVIEW_DEADLINES)
        await _schedule_delivery(tx, deal.id, due, s.nudge_lead, s.delivery_grace)
        await tx.outbox.add(
            deal.freelancer_id,
            "notify.revision",
            notify_params(deal, text=what, due_at=due, left=s.max_revisions - deal.revisions - 1),
            ref=f"deal:{deal.id}",
        )
        return await deal_or_404(tx, deal_id)


async def extend(svc: Services, actor: int, deal_id: int, duration: str) -> Deal:
    seconds = parse_extension(duration)
    async with svc.tx() as tx:
        deal = await party_deal(tx, deal_id, actor, lock=True)
        _not_hourly(deal)
        if actor != deal.client_id:
            raise Forbidden("deal.only_client", deal=deal_id)
        next_deal_state(deal.state, DealAction.EXTEND, deal.id)
        due = (deal.due_at or tx.now) + seconds
        if not await tx.deals.set_fields(deal.id, DealState.FUNDED, due_at=due):
            raise lost_race(deal)
        await tx.deals.add_event(deal.id, actor, "extend", str(seconds))
        await tx.keyboards.refresh(f"deal:{deal.id}")  # "Refund now" once overdue, no more
        s = svc.settings
        await _schedule_delivery(tx, deal.id, due, s.nudge_lead, s.delivery_grace)
        await tx.outbox.add(
            deal.freelancer_id,
            "notify.extended",
            notify_params(deal, due_at=due),
            ref=f"deal:{deal.id}",
        )
        return await deal_or_404(tx, deal_id)


async def log_time(svc: Services, actor: int, deal_id: int, hours: str, note: str) -> int:
    """A fixed deal's time log (shown on its card); an hourly contract's time is logged
    against its current week (bot.services.hourly.log_time)."""
    minutes = rules.hours_to_minutes(hours)
    note = rules.clean_text(note)[: rules.NOTE_MAX]
    async with svc.tx() as tx:
        deal = await party_deal(tx, deal_id, actor, lock=True)
        if deal.state not in (DealState.FUNDED, DealState.DELIVERED, DealState.DISPUTED):
            raise Conflict("log.not_running", deal=deal_id)
        return await tx.deals.log_time(deal.id, actor, minutes, note)


# --- endings ---------------------------------------------------------------------------------


async def release(svc: Services, actor: int, deal_id: int) -> Deal:
    async with svc.tx() as tx:
        deal = await party_deal(tx, deal_id, actor, lock=True)
        _not_hourly(deal)
        if actor != deal.client_id:
            raise Forbidden("deal.only_client_release", deal=deal_id)
        await _release(tx, svc, deal, DealAction.RELEASE)
        return await deal_or_404(tx, deal_id)


async def _release(tx: Tx, svc: Services, deal: Deal, action: DealAction) -> None:
    next_deal_state(deal.state, action, deal.id)  # before any money moves
    part = await milestones.part(tx, deal)  # a milestone contract: its current milestone
    more = await milestones.has_next(tx, deal)
    if not more:
        await move_deal(tx, deal, action, ended_at=tx.now)
    paid, fee = await escrow.release(tx, part, svc.settings.platform_fee_percent)
    done = await milestones.settle(tx, deal, milestones.M.RELEASED, paid, fee)
    if more:
        actor = deal.client_id if action == DealAction.RELEASE else None
        await milestones.open_next(tx, svc, deal, done, actor=actor)
    else:
        await milestones.end_rest(tx, deal)
        await finish_deal(tx, svc, deal, JobState.COMPLETED)
    await tx.outbox.add(
        deal.freelancer_id,
        "notify.milestone_released" if more else "notify.released_freelancer",
        notify_params(part, paid=paid, fee=fee, name=done.title if done else ""),
        ref=f"deal:{deal.id}",
    )
    if (
        action == DealAction.AUTO_RELEASE and not more
    ):  # else: told of the next milestone  # a client who released is answered by /release
        await tx.outbox.add(
            deal.client_id,
            "notify.released_client",
            notify_params(deal, auto=True),
            ref=f"deal:{deal.id}",
        )


async def _refund(
    tx: Tx, svc: Services, deal: Deal, action: DealAction, why: str, actor: int | None = None
) -> escrow.Returned:
    await move_deal(tx, deal, action, ended_at=tx.now, cancel_requested_at=None)
    part = await milestones.part(tx, deal)  # a milestone contract: only the funded one
    back = await escrow.refund(tx, part)
    await milestones.settle(tx, deal, milestones.M.REFUNDED, returned=part.amount)
    await milestones.end_rest(tx, deal)
    await finish_deal(tx, svc, deal, JobState.CLOSED)
    await tell_both(tx, part, "notify.refunded", skip=actor, why=why, **back.params())
    return back


async def cancel(svc: Services, actor: int, deal_id: int) -> str:
    """/canceldeal. Unfunded: cancelled at once by either side. Funded: the freelancer's cancel
    refunds at once; the client's asks the freelancer; either ends an hourly contract. Returns
    "cancelled", "refunded", "requested", or for an hourly contract "ended" or "ending"."""
    async with svc.tx() as tx:
        deal = await party_deal(tx, deal_id, actor, lock=True)
        if deal.state == DealState.AWAITING_FUNDING and await milestones.close_unfunded(
            tx, svc, deal, actor
        ):
            return "closed"  # a milestone contract whose next milestone was not funded
        if deal.state == DealState.AWAITING_FUNDING:
            bid_state = BidState.WITHDRAWN if actor == deal.freelancer_id else BidState.ACTIVE
            await _unfunded_cancel(tx, svc, deal, DealAction.CANCEL_UNFUNDED, bid_state)
            await tx.outbox.add(
                deal.other(actor),
                "notify.deal_cancelled",
                notify_params(deal),
                ref=f"deal:{deal.id}",
            )
            return "cancelled"
        if deal.kind == ContractKind.HOURLY:
            return await hourly.end_in(tx, svc, deal, actor)  # "ended" or "ending"
        next_deal_state(deal.state, DealAction.CANCEL, deal.id)
        if actor == deal.freelancer_id:
            await _refund(tx, svc, deal, DealAction.CANCEL, "freelancer_cancelled", actor)
            return "refunded"
        if deal.cancel_requested_at is not None:
            raise Conflict("cancel.already_requested", deal=deal_id)
        if not await tx.deals.set_fields(deal.id, DealState.FUNDED, cancel_requested_at=tx.now):
            raise lost_race(deal)
        await tx.deals.add_event(deal.id, actor, "cancel_requested")
        await tx.keyboards.refresh(f"deal:{deal.id}")
        await tx.outbox.add(
            deal.freelancer_id,
            "notify.cancel_requested",
            notify_params(await milestones.part(tx, deal)),
            ref=f"deal:{deal.id}",
        )
        return "requested"


async def answer_cancel(svc: Services, actor: int, deal_id: int, agree: bool) -> str:
    """The freelancer confirms (refund) or refuses (both pointed to /dispute) a client cancel."""
    async with svc.tx() as tx:
        deal = await party_deal(tx, deal_id, actor, lock=True)
        if actor != deal.freelancer_id:
            raise Forbidden("deal.only_freelancer", deal=deal_id)
        if deal.state != DealState.FUNDED or deal.cancel_requested_at is None:
            raise Conflict("cancel.not_requested", deal=deal_id)
        if agree:
            await _refund(tx, svc, deal, DealAction.CANCEL, "cancel_confirmed", actor)
            return "refunded"
        if not await tx.deals.set_fields(deal.id, DealState.FUNDED, cancel_requested_at=None):
            raise lost_race(deal)
        await tx.deals.add_event(deal.id, actor, "cancel_refused")
        await tx.keyboards.refresh(f"deal:{deal.id}")
        await tell_both(tx, deal, "notify.cancel_refused", skip=actor)
        return "refused"


async def refund_overdue(svc: Services, actor: int, deal_id: int) -> tuple[Deal, escrow.Returned]:
    """The client's "Refund now" once delivery is overdue and nothing was delivered: the
    deal, and how the money comes back (which the client's answer says)."""
    async with svc.tx() as tx:
        deal = await party_deal(tx, deal_id, actor, lock=True)
        _not_hourly(deal)
        if actor != deal.client_id:
            raise Forbidden("deal.only_client", deal=deal_id)
        if deal.state != DealState.FUNDED or (deal.due_at or 0) > tx.now:
            raise Conflict("refund.not_overdue", deal=deal_id)
        back = await _refund(tx, svc, deal, DealAction.CANCEL, "overdue", actor)
        return await deal_or_404(tx, deal_id), back


# --- timers ----------------------------------------------------------------------------------


async def auto_release(tx: Tx, svc: Services, deal_id: int) -> bool:
    deal = await tx.deals.get(deal_id)
    if deal is None or deal.state != DealState.DELIVERED:
        return False
    if deal.review_ends_at is None or deal.review_ends_at > tx.now:
        return False
    await _release(tx, svc, deal, DealAction.AUTO_RELEASE)
    return True


async def auto_refund(tx: Tx, svc: Services, deal_id: int) -> bool:
    deal = await tx.deals.get(deal_id)
    if deal is None or deal.state != DealState.FUNDED:
        return False
    if (deal.due_at or 0) + svc.settings.delivery_grace > tx.now:
        return False
    await _refund(tx, svc, deal, DealAction.AUTO_REFUND, "not_delivered")
    return True


async def delivery_due(tx: Tx, svc: Services, deal_id: int) -> bool:
    deal = await tx.deals.get(deal_id)
    if deal is None or deal.state != DealState.FUNDED or (deal.due_at or 0) > tx.now:
        return False
    refund_at = (deal.due_at or 0) + svc.settings.delivery_grace
    if refund_at <= tx.now:
        return False  # the refund is due as well: offering "Extend / Wait" would be stale
    await tell_both(tx, deal, "notify.delivery_overdue", refund_at=refund_at)
    return True


async def nudge_delivery(tx: Tx, svc: Services, deal_id: int) -> bool:
    deal = await tx.deals.get(deal_id)
    if deal is None or deal.state != DealState.FUNDED or (deal.due_at or 0) <= tx.now:
        return False  # moved on, or already overdue (the bot was down): no stale reminder
    await tx.outbox.add(
        deal.freelancer_id,
        "notify.delivery_nudge",
        notify_params(deal, due_at=deal.due_at),
        ref=f"deal:{deal.id}",
    )
    return True


async def nudge_review(tx: Tx, svc: Services, deal_id: int) -> bool:
    deal = await tx.deals.get(deal_id)
    if deal is None or deal.state != DealState.DELIVERED or (deal.review_ends_at or 0) <= tx.now:
        return False
    await tx.outbox.add(
        deal.client_id,
        "notify.review_nudge",
        notify_params(deal, review_ends_at=deal.review_ends_at),
        ref=f"deal:{deal.id}",
    )
    return True


# --- reading ---------------------------------------------------------------------------------


async def my_deals(svc: Services, actor: int) -> list[Deal]:
    async with svc.read() as tx:
        return await tx.deals.for_user(actor)
