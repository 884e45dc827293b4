"""Hourly contracts (issue 14): funded, logged and settled week by week.

The contract is a deal of kind 'hourly' whose amount is the rate per hour; its weekly limit is
in `hourly_contracts`. Each week (bot.domain.weeks) the client funds the limit, less the
contract's free credit, into the deal's one escrow account; an unfunded week pauses the
contract (no time can be logged). The freelancer logs time in the current week and edits it
until Monday 12:00 UTC after; the client then approves or disputes the week's hours until
HOURLY_REVIEW_WINDOW ends, when silence approves. Approved hours x rate go to the freelancer
less the fee; the rest of the week's limit stays in escrow as free credit:

    escrow = the limits of the weeks it holds (funded, review, disputed) + free credit

When the contract ends (either party; the last week settled the same way) what is left goes
back to the client: whole Stars charges no payment touched through refundStarPayment, the
rest to the client's balance and a payout request. Every deadline is the deal's one
`hourly_tick`, set to the next moment something is due; the tick does everything due then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.domain import rules
from bot.domain import weeks as W
from bot.domain.durations import utc_text
from bot.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from bot.domain.models import Deal, Dispute
from bot.domain.money import STARS, percent_of
from bot.domain.states import BidState, DealAction, DealState, JobState
from bot.services import escrow, topics
from bot.services.base import Moderator, Services, deal_or_404, lost_race, party_deal
from bot.services.lifecycle import (
    JOB_DEADLINES,
    finish_deal,
    move_deal,
    notify_params,
    record_charge,
    refresh_channel_post,
    tell_both,
)
from bot.storage.db import Tx
from bot.storage.hourly import HELD, Contract, Week

TICK = "hourly_tick"
PAYLOAD = "week"


def week_payload(week_id: int) -> str:
    return f"{PAYLOAD}:{week_id}"


def parse_week_payload(payload: str) -> int | None:
    kind, _, ident = (payload or "").partition(":")
    return int(ident) if kind == PAYLOAD and ident.isdigit() and len(ident) < 19 else None


def hours_text(minutes: int) -> str:
    """90 -> `1.5`, 20 -> `0.33` (for display only; minutes are what is stored)."""
    return f"{minutes / 60:.2f}".rstrip("0").rstrip(".")


def parse_limit(text: str | int) -> int:
    """A weekly limit in whole hours -> minutes."""
    try:
        hours = int(str(text).strip())
    except ValueError:
        raise InvalidInput("hourly.limit_invalid", max=W.MAX_WEEKLY_HOURS) from None
    if not 1 <= hours <= W.MAX_WEEKLY_HOURS:
        raise InvalidInput("hourly.limit_invalid", max=W.MAX_WEEKLY_HOURS)
    return hours * 60


def _params(deal: Deal, week: Week | None = None, **extra: Any) -> dict[str, Any]:
    p = notify_params(deal, **extra)
    if week is not None:
        p.update(week=W.week_label(week.starts_at), week_id=week.id)
    return p


async def contract_or_404(tx: Tx, deal: Deal) -> Contract:
    contract = await tx.hourly.contract(deal.id)
    if contract is None:
        raise Conflict("hourly.not_hourly", deal=deal.id)
    return contract


async def free_credit(tx: Tx, deal: Deal, weeks: list[Week] | None = None) -> int:
    """What the escrow holds beyond the limits of the weeks still to be settled."""
    weeks = weeks if weeks is not None else await tx.hourly.weeks(deal.id)
    held = sum(w.limit_amount for w in weeks if w.state in HELD)
    return await tx.ledger.balance("escrow", deal.currency, deal.id) - held


# --- the contract's start ----------------------------------------------------------------


async def open_contract(tx: Tx, svc: Services, deal: Deal, weekly_minutes: int) -> None:
    """Hire on an hourly bid (bot.services.deals.hire): the terms, the first week and its
    invoice, in the hire's transaction."""
    await tx.hourly.create_contract(deal.id, deal.amount, weekly_minutes)
    contract = await contract_or_404(tx, deal)
    await _open_week(tx, svc, deal, contract, W.week_start(tx.now), first=True)
    await _schedule(tx, deal.id)


async def _open_week(
    tx: Tx, svc: Services, deal: Deal, contract: Contract, starts: int, *, first: bool = False
) -> Week:
    """A new week: funded from free credit if that covers the limit, else an invoice for the
    limit less the credit (the contract is paused until it is paid)."""
    limit = W.weekly_limit_amount(contract.rate, contract.weekly_minutes)
    credit = 0 if first else max(await free_credit(tx, deal), 0)
    times = {
        "closes_at": W.week_end(starts),
        "edit_ends_at": W.edit_ends(starts),
        "review_ends_at": W.review_ends(starts, svc.settings.hourly_review_window),
        "limit_amount": limit,
    }
    if credit >= limit:
        week = await tx.hourly.create_week(
            deal.id, starts, state="funded", funded_at=tx.now, **times
        )
        await tx.deals.add_event(deal.id, None, "hourly_week", W.week_label(starts))
        await tell_both(tx, deal, "notify.hourly_week_credit", **_week_params(week, contract))
        return week
    week = await tx.hourly.create_week(
        deal.id, starts, state="awaiting_funding", invoice_amount=limit - credit, **times
    )
    params = _params(deal, week, amount=limit - credit, credit=credit, limit=limit)
    await tx.outbox.add(
        deal.client_id, "invoice.week", params, method="invoice", ref=f"deal:{deal.id}"
    )
    if not first:
        ref = f"deal:{deal.id}"
        await tx.outbox.add(deal.freelancer_id, "notify.hourly_week_unpaid", params, ref=ref)
    return week


def _week_params(week: Week, contract: Contract) -> dict[str, Any]:
    return {
        "week": W.week_label(week.starts_at),
        "week_id": week.id,
        "limit_hours": hours_text(contract.weekly_minutes),
        "closes_at": week.closes_at,
    }


# --- payments ----------------------------------------------------------------------------


async def precheckout(
    svc: Services, payer: int, week_id: int, amount: int, currency: str
) -> str | None:
    """None when the week's invoice may be paid now, else the refusal's key."""
    async with svc.read() as tx:
        week = await tx.hourly.week(week_id)
        deal = await tx.deals.get(week.deal_id) if week else None
        contract = await tx.hourly.contract(deal.id) if deal else None
    if week is None or deal is None or contract is None:
        return "payment.unknown"
    if deal.client_id != payer:
        return "payment.not_client"
    if not _payable(week, deal, contract, svc.clock.now()):
        return "payment.not_awaiting"
    if week.invoice_amount != amount or deal.currency != currency:
        return "payment.mismatch"
    return None


def _payable(week: Week, deal: Deal, contract: Contract, now: int) -> bool:
    return (
        week.state == "awaiting_funding"
        and week.closes_at > now
        and contract.ended_at is None
        and deal.state in (DealState.AWAITING_FUNDING, DealState.FUNDED)
        and (
            deal.state != DealState.AWAITING_FUNDING
            or deal.funding_ends_at is None
            or deal.funding_ends_at > now
        )
    )


async def apply_payment(
    svc: Services,
    payer: int,
    week_id: int,
    amount: int,
    currency: str,
    charge_id: str,
    provider_charge_id: str | None,
    answered: bool,
) -> tuple[str, Deal | None, escrow.Returned | None]:
    """A week's invoice was paid: "funded", "duplicate" or "refunded" (the week no longer
    waits for it: the money goes straight back), and the deal as it is now."""
    async with svc.tx() as tx:
        week = await tx.hourly.week(week_id)
        if week is None:
            raise InvalidInput("payment.unknown")
        deal = await deal_or_404(tx, week.deal_id, lock=True)
        if await tx.payments.get(charge_id) is not None:
            return "duplicate", deal, None
        week = await tx.hourly.week(week_id)
        contract = await contract_or_404(tx, deal)
        assert week is not None
        fits = (
            _payable(week, deal, contract, tx.now)
            and week.invoice_amount == amount
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
        if outcome != "funded":
            return outcome, deal, back
        await _fund_week(tx, svc, deal, contract, week, amount, charge_id, answered)
        return outcome, await deal_or_404(tx, deal.id), None


async def _fund_week(
    tx: Tx,
    svc: Services,
    deal: Deal,
    contract: Contract,
    week: Week,
    amount: int,
    charge_id: str,
    answered: bool,
) -> None:
    escrow_acc = await tx.ledger.account("escrow", deal.currency, deal.id)
    world = await tx.ledger.account("world_in", deal.currency)
    await tx.ledger.move(
        "fund", deal.currency, world, [(escrow_acc, amount)], deal_id=deal.id, memo=charge_id
    )
    if not await tx.hourly.move_week(
        week.id, "awaiting_funding", "funded", funded_at=tx.now, charge_id=charge_id
    ):
        raise lost_race(deal)
    await tx.deals.add_event(deal.id, deal.client_id, "hourly_week", W.week_label(week.starts_at))
    if deal.state == DealState.AWAITING_FUNDING:
        await move_deal(tx, deal, DealAction.PAY, funded_at=tx.now, charge_id=charge_id)
        await tx.deadlines.cancel(deal.id, "funding_expire")
        await _job_in_progress(tx, svc, deal)
    params = notify_params(deal, amount=amount, **_week_params(week, contract))
    if not answered:
        ref = f"deal:{deal.id}"
        await tx.outbox.add(deal.client_id, "notify.hourly_paid_client", params, ref=ref)
    await tx.outbox.add(
        deal.freelancer_id, "notify.hourly_funded_freelancer", params, ref=f"deal:{deal.id}"
    )
    await _schedule(tx, deal.id)


async def _job_in_progress(tx: Tx, svc: Services, deal: Deal) -> None:
    """The first week is paid: the job is in progress and its other bids are declined (as a
    fixed deal's funding does)."""
    await tx.jobs.set_state(deal.job_id, JobState.IN_PROGRESS, [JobState.HIRING])
    job = await tx.jobs.get(deal.job_id)
    assert job is not None
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
    await refresh_channel_post(tx, svc, job)


# --- time --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Logged:
    entry_id: int
    deal: Deal
    week: Week
    minutes: int  # of this entry
    limit_minutes: int


async def _running(tx: Tx, deal_id: int, actor: int) -> tuple[Deal, Contract]:
    deal = await party_deal(tx, deal_id, actor, lock=True)
    contract = await contract_or_404(tx, deal)
    if actor != deal.freelancer_id:
        raise Forbidden("hourly.only_freelancer", deal=deal_id)
    return deal, contract


async def log_time(svc: Services, actor: int, deal_id: int, hours: str, note: str) -> Logged:
    """The freelancer logs time in the current week: refused while it is unfunded, after the
    contract ended, and beyond the weekly limit."""
    minutes = rules.hours_to_minutes(hours)
    note = rules.clean_text(note)[: rules.NOTE_MAX]
    async with svc.tx() as tx:
        deal, contract = await _running(tx, deal_id, actor)
        if deal.state not in (DealState.AWAITING_FUNDING, DealState.FUNDED) or (
            contract.ended_at is not None
        ):
            raise Conflict("hourly.ended", deal=deal_id)
        current = W.week_start(tx.now)
        week = await tx.hourly.week_at(deal.id, current)
        if week is None or week.state != "funded" or week.closes_at <= tx.now:
            raise Conflict("hourly.unfunded", deal=deal_id, week=W.week_label(current))
        _within_limit(deal, contract, week.minutes, minutes)
        entry_id = await tx.hourly.add_entry(week, actor, minutes, note)
        await tx.deals.add_event(deal.id, actor, "hourly_log", f"{minutes} {note}")
        await tx.keyboards.refresh(f"deal:{deal.id}")
        week = await tx.hourly.week(week.id)
        assert week is not None
        return Logged(entry_id, deal, week, minutes, contract.weekly_minutes)


def _within_limit(deal: Deal, contract: Contract, logged: int, minutes: int) -> None:
    """Hours over the weekly limit are refused when logged (`logged`: the week's others)."""
    if logged + minutes > contract.weekly_minutes:
        raise Conflict(
            "hourly.over_limit",
            deal=deal.id,
            limit=hours_text(contract.weekly_minutes),
            left=hours_text(max(contract.weekly_minutes - logged, 0)),
        )


async def edit_time(
    svc: Services, actor: int, entry_id: int, hours: str, note: str | None = None
) -> Logged:
    """The freelancer changes an entry (0 hours removes it) until the week's editing ends."""
    zero = str(hours).strip() in ("0", "0.0", "0,0")
    minutes = 0 if zero else rules.hours_to_minutes(hours)
    async with svc.tx() as tx:
        entry = await tx.hourly.entry(entry_id)
        if entry is None:
            raise NotFound("hourly.entry_not_found", entry=entry_id)
        deal, contract = await _running(tx, entry.deal_id, actor)
        week = await tx.hourly.week(entry.week_id)
        assert week is not None
        if week.state != "funded" or week.edit_ends_at <= tx.now:
            raise Conflict(
                "hourly.edit_closed",
                deal=deal.id,
                week=W.week_label(week.starts_at),
                until=utc_text(week.edit_ends_at),
            )
        _within_limit(deal, contract, week.minutes - entry.minutes, minutes)
        text = entry.note if note is None else rules.clean_text(note)[: rules.NOTE_MAX]
        await tx.hourly.edit_entry(entry, minutes, text)
        await tx.deals.add_event(deal.id, actor, "hourly_edit", f"{entry.id} {minutes}")
        await tx.keyboards.refresh(f"deal:{deal.id}")
        week = await tx.hourly.week(week.id)
        assert week is not None
        return Logged(entry.id, deal, week, minutes, contract.weekly_minutes)


# --- review ------------------------------------------------------------------------------


async def _in_review(tx: Tx, deal: Deal, actor: int, what: str) -> tuple[Contract, Week]:
    contract = await contract_or_404(tx, deal)
    if actor != deal.client_id:
        raise Forbidden(f"hourly.only_client_{what}", deal=deal.id)
    for week in await tx.hourly.weeks(deal.id):
        if week.state == "review":
            return contract, week
    raise Conflict("hourly.nothing_in_review", deal=deal.id)


async def approve(svc: Services, actor: int, deal_id: int) -> tuple[Deal, Week]:
    """The client approves the hours of the week in review (the oldest one)."""
    async with svc.tx() as tx:
        deal = await party_deal(tx, deal_id, actor, lock=True)
        contract, week = await _in_review(tx, deal, actor, "approve")
        week = await _settle(tx, svc, deal, contract, week, "review", "approved", actor)
        await _after_settle(tx, svc, deal)
        return await deal_or_404(tx, deal_id), week


async def open_dispute(svc: Services, actor: int, deal_id: int, reason: str) -> Dispute:
    """The client disputes the hours of the week in review: the moderators decide it like a
    deal's dispute (the same card and /resolve), the contract goes on meanwhile."""
    reason = rules.text_in_range(reason, 1, rules.REASON_MAX, "dispute.reason_required")
    s = svc.settings
    async with svc.tx() as tx:
        deal = await party_deal(tx, deal_id, actor, lock=True)
        contract, week = await _in_review(tx, deal, actor, "dispute")
        if await tx.disputes.open_for(deal.id) is not None:
            raise Conflict("hourly.dispute_open", deal=deal_id)
        dispute = await tx.disputes.open(
            deal.id, actor, reason, DealState.FUNDED.value, tx.now + s.dispute_response_window
        )
        if not await tx.hourly.move_week(week.id, "review", "disputed", dispute_id=dispute.id):
            raise lost_race(deal)
        await tx.deals.add_event(deal.id, actor, "dispute", reason)
        await tx.deadlines.set("dispute_sla", deal.id, tx.now + s.dispute_sla)
        pay = W.pay_for(week.minutes, contract.rate)
        await tx.outbox.add(
            deal.freelancer_id,
            "notify.dispute_opened_other",
            notify_params(deal, reason=reason, by=actor, respond_by=dispute.respond_by),
            ref=f"deal:{deal.id}",
        )
        if s.moderator_chat_id:
            await topics.open_topic(tx, svc, deal, dispute)
            await tx.outbox.add(
                s.moderator_chat_id,
                "mod.dispute_card",
                {"deal": deal.id, "dispute": dispute.id, "pay": pay, **topics.param(dispute.id)},
                ref=f"dispute:{dispute.id}",
            )
        await _schedule(tx, deal.id)
        return dispute


async def resolve_dispute(
    tx: Tx,
    svc: Services,
    mod: Moderator,
    deal: Deal,
    outcome: str,
    percent: int,
    note: str,
) -> None:
    """A moderator decides a disputed week (bot.services.disputes.resolve, in its
    transaction): release pays every logged hour, refund none (the week's limit stays as
    credit), split `percent` of the hours' pay. The contract goes on."""
    contract = await contract_or_404(tx, deal)
    dispute = await tx.disputes.open_for(deal.id)
    week = await tx.hourly.by_dispute(dispute.id) if dispute else None
    if dispute is None or week is None or week.state != "disputed":
        raise Conflict("dispute.none_open", deal=deal.id)
    if not await tx.disputes.resolve(dispute.id, mod.user_id, outcome, percent, note):
        raise lost_race(deal)
    full = W.pay_for(week.minutes, contract.rate)
    pay = {"release": full, "refund": 0}.get(outcome, W.split_pay(full, percent))
    week = await _settle(
        tx, svc, deal, contract, week, "disputed", "resolved", mod.user_id, pay=pay, tell=False
    )
    await tx.deals.add_event(deal.id, mod.user_id, "resolved", f"{outcome} {percent} {note}")
    details = {"outcome": outcome, "percent": percent, "paid": week.paid - week.fee}
    details.update(fee=week.fee, back=full - pay, currency=deal.currency, week=week.id)
    await tx.trail.add(mod.user_id, "resolve", "deal", deal.id, reason=note, details=details)
    await tx.deadlines.cancel(deal.id, "dispute_sla")
    await tell_both(
        tx,
        deal,
        "notify.hourly_resolved",
        week=W.week_label(week.starts_at),
        week_id=week.id,
        outcome=outcome,
        percent=percent,
        hours=hours_text(week.minutes),
        paid=week.paid - week.fee,
        fee=week.fee,
        back=full - pay,
        note=note,
    )
    if svc.settings.moderator_chat_id:
        await tx.outbox.add(
            svc.settings.moderator_chat_id,
            "mod.dispute_card",
            {"deal": deal.id, "dispute": dispute.id},
            method="edit",
            ref=f"dispute:{dispute.id}",
        )
        await topics.close_topic(tx, svc, deal, dispute)
    await _after_settle(tx, svc, deal)


async def _settle(
    tx: Tx,
    svc: Services,
    deal: Deal,
    contract: Contract,
    week: Week,
    expect: str,
    state: str,
    by: int | None,
    *,
    pay: int | None = None,
    tell: bool = True,
) -> Week:
    """Pay a week once: `pay` (all its logged hours by default) to the freelancer less the
    fee; the rest of its limit becomes free credit."""
    if pay is None:
        pay = W.pay_for(week.minutes, contract.rate)
    assert 0 <= pay <= week.limit_amount
    fee = percent_of(pay, svc.settings.platform_fee_percent)
    if not await tx.hourly.move_week(
        week.id, expect, state, paid=pay, fee=fee, settled_at=tx.now, settled_by=by
    ):
        raise lost_race(deal)
    if pay:
        cur = deal.currency
        source = await tx.ledger.account("escrow", cur, deal.id)
        legs = []
        if pay - fee:
            legs.append((await tx.ledger.account("user", cur, deal.freelancer_id), pay - fee))
        if fee:
            legs.append((await tx.ledger.account("fees", cur), fee))
        await tx.ledger.move("hourly_release", cur, source, legs, deal_id=deal.id)
    label = W.week_label(week.starts_at)
    await tx.deals.add_event(deal.id, by, f"hourly_{state}", f"{label} {week.minutes} {pay}")
    await tx.keyboards.refresh(f"deal:{deal.id}")
    settled = await tx.hourly.week(week.id)
    assert settled is not None
    if tell:
        params = _params(
            deal,
            settled,
            paid=pay - fee,
            fee=fee,
            hours=hours_text(week.minutes),
            auto="yes" if by is None else "no",
        )
        await tx.outbox.add(
            deal.freelancer_id, "notify.hourly_approved_freelancer", params, ref=f"deal:{deal.id}"
        )
        if by is None:
            await tx.outbox.add(
                deal.client_id, "notify.hourly_approved_client", params, ref=f"deal:{deal.id}"
            )
    return settled


async def _after_settle(tx: Tx, svc: Services, deal: Deal) -> None:
    deal = await deal_or_404(tx, deal.id)
    contract = await contract_or_404(tx, deal)
    if contract.ended_at is not None and await _all_settled(tx, deal):
        await _close(tx, svc, deal, contract)
    else:
        await _schedule(tx, deal.id)


async def _all_settled(tx: Tx, deal: Deal) -> bool:
    return all(w.state not in (*HELD, "awaiting_funding") for w in await tx.hourly.weeks(deal.id))


# --- the end -----------------------------------------------------------------------------


async def end_contract(svc: Services, actor: int, deal_id: int) -> str:
    """Either party ends a running contract (/canceldeal): no more time is logged; the last
    week is settled the same way as every other, then the rest goes back to the client.
    Returns "ended" (all settled now) or "ending" (weeks still to settle)."""
    async with svc.tx() as tx:
        deal = await party_deal(tx, deal_id, actor, lock=True)
        return await end_in(tx, svc, deal, actor)


async def end_in(tx: Tx, svc: Services, deal: Deal, actor: int) -> str:
    """`end_contract` in the caller's transaction (/canceldeal of an hourly deal)."""
    contract = await contract_or_404(tx, deal)
    if deal.state != DealState.FUNDED or contract.ended_at is not None:
        raise Conflict("hourly.ended", deal=deal.id)
    await tx.hourly.end_contract(deal.id, actor)
    contract = await contract_or_404(tx, deal)
    for week in await tx.hourly.weeks(deal.id):
        if week.state == "awaiting_funding":
            await tx.hourly.move_week(week.id, "awaiting_funding", "unfunded")
        elif week.state == "funded" and week.closes_at > tx.now:
            await tx.hourly.set_week(week.id, "funded", closes_at=tx.now)
    await tx.deals.add_event(deal.id, actor, "hourly_end")
    await tx.keyboards.refresh(f"deal:{deal.id}")
    if await _all_settled(tx, deal):
        await _close(tx, svc, deal, contract, actor=actor)
        return "ended"
    params = notify_params(deal, by=actor)
    await tx.outbox.add(deal.other(actor), "notify.hourly_ending", params, ref=f"deal:{deal.id}")
    await _schedule(tx, deal.id)
    return "ending"


async def _close(
    tx: Tx, svc: Services, deal: Deal, contract: Contract, *, actor: int | None = None
) -> None:
    """Every week is settled: the rest of the escrow back to the client, the deal ends."""
    weeks = await tx.hourly.weeks(deal.id)
    cur = deal.currency
    remaining = await tx.ledger.balance("escrow", cur, deal.id)
    charges = [(w.charge_id, w.invoice_amount) for w in weeks if w.charge_id]
    back = W.returning(remaining, charges, cur == STARS)
    source = await tx.ledger.account("escrow", cur, deal.id)
    for charge_id, amount in back.charges:
        await escrow.start_star_refund(
            tx, "refund", source, deal.client_id, amount, charge_id, deal.id
        )
    payout = None
    if back.to_balance:
        client = await tx.ledger.account("user", cur, deal.client_id)
        await tx.ledger.move("refund", cur, source, [(client, back.to_balance)], deal_id=deal.id)
        payout = await escrow.queue_payout(tx, deal.client_id, back.to_balance, cur)
    await move_deal(tx, deal, DealAction.END_CONTRACT, ended_at=tx.now)
    await tx.deadlines.cancel(deal.id, TICK)
    await finish_deal(tx, svc, deal, JobState.COMPLETED)
    paid = sum(w.paid - w.fee for w in weeks)
    await tell_both(
        tx,
        deal,
        "notify.hourly_closed",
        skip=actor,
        paid=paid,
        back=remaining,
        stars=sum(a for _, a in back.charges),
        balance=back.to_balance,
        payout=payout or 0,
    )


# --- the timer -----------------------------------------------------------------------------


async def tick(tx: Tx, svc: Services, deal_id: int) -> bool:
    """Timer: everything due for one contract, in order: weeks that ended unfunded, weeks
    whose editing ended (to review), reviews that ended (approved by silence), the new week;
    then the next tick."""
    deal = await tx.deals.get(deal_id)
    if deal is None or deal.state not in (DealState.AWAITING_FUNDING, DealState.FUNDED):
        return False
    contract = await tx.hourly.contract(deal.id)
    if contract is None:
        return False
    acted = False
    for week in await tx.hourly.weeks(deal.id):
        if week.state == "awaiting_funding" and week.closes_at <= tx.now:
            await tx.hourly.move_week(week.id, "awaiting_funding", "unfunded")
            await tx.deals.add_event(deal.id, None, "hourly_unfunded", W.week_label(week.starts_at))
            if deal.state == DealState.FUNDED:
                await tell_both(tx, deal, "notify.hourly_unfunded", **_week_params(week, contract))
            acted = True
        elif week.state == "funded" and week.edit_ends_at <= tx.now:
            await tx.hourly.move_week(week.id, "funded", "review")
            week = await tx.hourly.week(week.id) or week
            acted = True
            if week.minutes == 0:  # nothing to review: the whole limit is credit now
                await _settle(tx, svc, deal, contract, week, "review", "approved", None, tell=False)
                continue
            pay = W.pay_for(week.minutes, contract.rate)
            await tx.outbox.add(
                deal.client_id,
                "notify.hourly_review",
                _params(
                    deal,
                    week,
                    hours=hours_text(week.minutes),
                    paid=pay,
                    review_ends_at=week.review_ends_at,
                ),
                ref=f"deal:{deal.id}",
            )
            if week.review_ends_at <= tx.now:
                await _settle(tx, svc, deal, contract, week, "review", "approved", None)
        elif week.state == "review" and week.review_ends_at <= tx.now:
            await _settle(tx, svc, deal, contract, week, "review", "approved", None)
            acted = True
    deal = await deal_or_404(tx, deal.id)
    current = W.week_start(tx.now)
    if contract.ended_at is None and await tx.hourly.week_at(deal.id, current) is None:
        if deal.state == DealState.FUNDED:
            await _open_week(tx, svc, deal, contract, current)
            acted = True
        elif deal.state == DealState.AWAITING_FUNDING:
            # The first week ended unpaid: the invoice is for the week that runs now.
            await _open_week(tx, svc, deal, contract, current, first=True)
            acted = True
    if contract.ended_at is not None and await _all_settled(tx, deal):
        await _close(tx, svc, deal, contract)
        return True
    await _schedule(tx, deal.id)
    return acted


async def _schedule(tx: Tx, deal_id: int) -> None:
    """The deal's one tick, at the next moment something is due."""
    deal = await tx.deals.get(deal_id)
    contract = await tx.hourly.contract(deal_id)
    if deal is None or contract is None:
        return
    times = []
    if contract.ended_at is None:
        times.append(W.week_end(W.week_start(tx.now)))
    for week in await tx.hourly.weeks(deal_id):
        if week.state == "awaiting_funding":
            times.append(week.closes_at)
        elif week.state == "funded":
            times.append(week.edit_ends_at)
        elif week.state == "review":
            times.append(week.review_ends_at)
    if times:
        await tx.deadlines.set(TICK, deal_id, max(min(times), tx.now))
    else:
        await tx.deadlines.cancel(deal_id, TICK)


# --- reading -------------------------------------------------------------------------------


async def is_hourly(svc: Services, deal_id: int) -> bool:
    async with svc.read() as tx:
        deal = await tx.deals.get(deal_id)
    return deal is not None and deal.kind == "hourly"


@dataclass(frozen=True)
class HourlyView:
    """What the deal card shows of a contract."""

    contract: Contract
    weeks: list[Week]
    escrow: int
    credit: int


async def view(tx: Tx, deal: Deal) -> HourlyView | None:
    contract = await tx.hourly.contract(deal.id)
    if contract is None:
        return None
    weeks = await tx.hourly.weeks(deal.id)
    held = await tx.ledger.balance("escrow", deal.currency, deal.id)
    return HourlyView(
        contract, weeks, held, held - sum(w.limit_amount for w in weeks if w.state in HELD)
    )
