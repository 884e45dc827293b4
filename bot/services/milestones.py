"""Milestone contracts (issue 14): a fixed price in parts, funded and paid one at a time.

The deal row runs the current milestone exactly as it runs a fixed deal (awaiting funding,
funded, delivered, disputed, with the same timers keyed by the deal), so /deal, /deliver,
/revise, /release, /dispute and the buttons act on the current milestone unchanged. What
differs is the money of one cycle, `part(tx, deal)`: the deal as the escrow sees it, priced
at the current milestone. When a milestone is settled (released, split or refunded) this
module records where its money went; if more of the plan is left (and the outcome was not a
refund) the contract goes back to awaiting funding for the next one, with a new invoice and
a new funding window; otherwise the caller ends the deal as it ends a fixed one.
"""

from __future__ import annotations

from bot.domain import milestones as plan_rules
from bot.domain.errors import Conflict, Forbidden, InvalidInput
from bot.domain.milestones import MAX_MILESTONES, Milestone, MilestoneState
from bot.domain.models import Bid, Deal
from bot.domain.states import FINAL_DEAL_STATES, BidState, ContractKind, DealAction, JobState
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
    DELIVERY_DEADLINES,
    REVIEW_DEADLINES,
    finish_deal,
    move_deal,
    notify_params,
    tell_both,
)
from bot.storage.db import Tx

M = MilestoneState


def payload(deal_id: int, milestone_id: int) -> str:
    """The invoice payload of one milestone (bot.services.deals.parse_payload reads the deal)."""
    return f"deal:{deal_id}:m{milestone_id}"


def payload_milestone(text: str) -> int | None:
    """The milestone an invoice payload names, or None (a fixed deal's payload)."""
    parts = (text or "").split(":")
    if len(parts) != 3 or parts[0] != "deal" or not parts[2].startswith("m"):
        return None
    ident = parts[2][1:]
    return int(ident) if ident.isdigit() and len(ident) < 19 else None


def is_milestones(deal: Deal) -> bool:
    return deal.kind == ContractKind.MILESTONES


async def part(tx: Tx, deal: Deal) -> Deal:
    """The deal as the current cycle's money sees it: itself for a fixed deal, priced at the
    current milestone for a milestone contract."""
    if not is_milestones(deal):
        return deal
    current = await tx.milestones.current(deal.id)
    if current is None:  # pragma: no cover - the plan has a current milestone while it runs
        raise Conflict("deal.changed", deal=deal.id)
    return deal.model_copy(update={"amount": current.amount})


# --- the plan of a bid, before the hire ------------------------------------------------------


async def set_plan(svc: Services, actor: int, bid_id: int, text: str) -> list[Milestone]:
    """/milestones <bid> Title = amount; ...: the bid's freelancer proposes a plan, or the
    job's client edits it, while the bid waits for a hire. Refused unless it sums to the bid."""
    async with svc.tx() as tx:
        await active_user(tx, actor)
        bid = await bid_or_404(tx, bid_id, lock=True)
        job = await job_or_404(tx, bid.job_id)
        if actor not in (bid.freelancer_id, job.client_id):
            raise Forbidden("milestones.not_party", bid=bid_id)
        if bid.state != BidState.ACTIVE or job.state != JobState.OPEN:
            raise Conflict("milestones.bid_not_open", bid=bid_id)
        parts = plan_rules.check_plan(
            plan_rules.parse_plan(text, job.currency), bid.amount, job.currency
        )
        await tx.milestones.replace_plan(bid.id, parts)
        other = job.client_id if actor == bid.freelancer_id else bid.freelancer_id
        await tx.outbox.add(
            other,
            "notify.milestones_plan",
            {"bid": bid.id, "job": job.id, "count": len(parts), "by": actor},
            ref=f"bid:{bid.id}",
        )
        return await tx.milestones.of_bid(bid.id)


async def show_plan(svc: Services, actor: int, bid_id: int) -> tuple[Bid, str, list[Milestone]]:
    """A bid's plan, for its freelancer and the job's client: (bid, currency, milestones)."""
    async with svc.read() as tx:
        bid = await bid_or_404(tx, bid_id)
        job = await job_or_404(tx, bid.job_id)
        if actor not in (bid.freelancer_id, job.client_id):
            raise Forbidden("milestones.not_party", bid=bid_id)
        return bid, job.currency, await tx.milestones.of_bid(bid.id)


async def plan_for_hire(tx: Tx, bid: Bid, currency: str) -> list[Milestone]:
    """The bid's plan at the hire (empty: a fixed deal); it must still add up to the bid,
    which bidding again may have changed."""
    plan = [m for m in await tx.milestones.of_bid(bid.id) if m.deal_id is None]
    if plan and sum(m.amount for m in plan) != bid.amount:
        raise Conflict(
            "milestones.stale_sum",
            bid=bid.id,
            amount=sum(m.amount for m in plan),
            total=bid.amount,
            currency=currency,
        )
    return plan


async def start(tx: Tx, deal: Deal) -> Deal:
    """The hire of a bid with a plan: the contract's first milestone awaits funding."""
    await tx.milestones.attach(deal.bid_id, deal.id)
    if not await tx.deals.set_fields(deal.id, deal.state, kind=ContractKind.MILESTONES.value):
        raise lost_race(deal)
    deal = await deal_or_404(tx, deal.id)
    await _invoice(tx, deal)
    return deal


async def _invoice(tx: Tx, deal: Deal) -> None:
    current = await tx.milestones.current(deal.id)
    assert current is not None
    await tx.outbox.add(
        deal.client_id,
        "invoice.milestone",
        notify_params(
            deal,
            amount=current.amount,
            milestone=current.id,
            position=current.position,
            name=current.title,
            total=deal.amount,
        ),
        method="invoice",
        ref=f"deal:{deal.id}",
    )


# --- payments --------------------------------------------------------------------------------


async def payable(tx: Tx, deal: Deal, payload_text: str, amount: int) -> bool:
    """A payment fits a milestone contract only for its current milestone, at its amount."""
    current = await tx.milestones.current(deal.id)
    wanted = payload_milestone(payload_text)
    return current is not None and current.id == wanted and current.amount == amount


async def funded(tx: Tx, deal: Deal, charge_id: str) -> None:
    current = await tx.milestones.current(deal.id)
    assert current is not None
    if not await tx.milestones.move(
        current.id, M.CURRENT, M.CURRENT.value, charge_id=charge_id, funded_at=tx.now
    ):
        raise lost_race(deal)


# --- settling the current milestone ------------------------------------------------------------


async def settle(
    tx: Tx, deal: Deal, state: MilestoneState, paid: int = 0, fee: int = 0, returned: int = 0
) -> Milestone | None:
    """Record where the current (funded) milestone's money went. Nothing for a fixed deal."""
    if not is_milestones(deal):
        return None
    current = await tx.milestones.current(deal.id)
    assert current is not None
    if not await tx.milestones.move(
        current.id,
        M.CURRENT,
        state.value,
        paid=paid,
        fee=fee,
        returned=returned,
        ended_at=tx.now,
    ):
        raise lost_race(deal)
    return current


async def has_next(tx: Tx, deal: Deal) -> bool:
    return is_milestones(deal) and await tx.milestones.next_pending(deal.id) is not None


async def open_next(
    tx: Tx, svc: Services, deal: Deal, settled: Milestone | None, *, actor: int | None = None
) -> None:
    """After `settled`, the next milestone of the plan awaits funding: the cycle's fields are
    cleared, its timers stop, a new funding window and an invoice for the client."""
    nxt = await tx.milestones.next_pending(deal.id)
    assert nxt is not None
    ends = tx.now + svc.settings.funding_window
    await move_deal(
        tx,
        deal,
        DealAction.NEXT_MILESTONE,
        funding_ends_at=ends,
        funded_at=None,
        due_at=None,
        delivered_at=None,
        review_ends_at=None,
        revisions=0,
        charge_id=None,
        cancel_requested_at=None,
    )
    if not await tx.milestones.move(nxt.id, M.PENDING, M.CURRENT.value):
        raise lost_race(deal)
    await tx.deals.add_event(deal.id, actor, "milestone_next", nxt.title)
    await tx.deadlines.cancel(deal.id, *DELIVERY_DEADLINES, *REVIEW_DEADLINES, "dispute_sla")
    await tx.deadlines.set("funding_expire", deal.id, ends)
    deal = await deal_or_404(tx, deal.id)
    await tell_both(
        tx,
        deal,
        "notify.milestone_next",
        skip=actor,
        position=nxt.position,
        name=nxt.title,
        amount=nxt.amount,
        done=settled.title if settled else "",
        due_at=ends,
    )
    await _invoice(tx, deal)


async def close_unfunded(tx: Tx, svc: Services, deal: Deal, actor: int | None) -> bool:
    """The contract ends while its next milestone awaits funding (cancelled by a party, or
    its funding window ran out). True when milestones were paid before: the contract ends
    released (what was paid stays paid) and nothing else is to be done; False when none was
    (the caller cancels it as a fixed deal that never started)."""
    if not is_milestones(deal):
        return False
    done = [m for m in await tx.milestones.of_deal(deal.id) if m.state in plan_rules.SETTLED]
    if not done:
        await tx.milestones.detach(deal.id)
        return False
    await move_deal(tx, deal, DealAction.CLOSE_MILESTONES, ended_at=tx.now)
    await tx.milestones.cancel_rest(deal.id)
    await tx.deals.add_event(deal.id, actor, "milestones_closed")
    await finish_deal(tx, svc, deal, JobState.COMPLETED)
    paid = sum(m.amount for m in done)
    await tell_both(tx, deal, "notify.milestones_closed", skip=actor, paid=paid, count=len(done))
    return True


async def end_rest(tx: Tx, deal: Deal) -> None:
    """The contract ended with its current milestone settled: the rest is never funded."""
    if is_milestones(deal):
        await tx.milestones.cancel_rest(deal.id)


# --- a milestone added after the hire ----------------------------------------------------------


async def propose(svc: Services, actor: int, deal_id: int, text: str) -> Milestone:
    """/addmilestone <deal> Title = amount: the client adds a milestone to a running
    contract; it joins the plan once the freelancer accepts it."""
    async with svc.tx() as tx:
        await active_user(tx, actor)
        deal = await party_deal(tx, deal_id, actor, lock=True)
        if actor != deal.client_id:
            raise Forbidden("deal.only_client", deal=deal_id)
        if not is_milestones(deal):
            raise Conflict("milestones.not_milestones", deal=deal_id)
        if deal.state in FINAL_DEAL_STATES:
            raise Conflict("milestones.contract_ended", deal=deal_id)
        title, amount = plan_rules.parse_part(text, deal.currency)
        plan = await tx.milestones.of_deal(deal.id)
        if any(m.state == M.PROPOSED for m in plan):
            raise Conflict("milestones.proposal_waiting", deal=deal_id)
        if len([m for m in plan if m.state != M.CANCELLED]) >= MAX_MILESTONES:
            raise InvalidInput("milestones.too_many", max=MAX_MILESTONES, count=MAX_MILESTONES + 1)
        added = await tx.milestones.propose(deal.bid_id, deal.id, title, amount)
        await tx.deals.add_event(deal.id, actor, "milestone_proposed", title)
        await tx.outbox.add(
            deal.freelancer_id,
            "notify.milestone_proposed",
            notify_params(deal, amount=amount, name=title, position=added.position),
            ref=f"deal:{deal.id}",
        )
        return added


async def answer_proposal(svc: Services, actor: int, deal_id: int, agree: bool) -> Milestone:
    """The freelancer accepts the client's added milestone (it joins the plan and the
    contract's total) or declines it (it is dropped)."""
    async with svc.tx() as tx:
        deal = await party_deal(tx, deal_id, actor, lock=True)
        if actor != deal.freelancer_id:
            raise Forbidden("deal.only_freelancer", deal=deal_id)
        proposed = await tx.milestones.proposed(deal.id)
        if proposed is None or deal.state in FINAL_DEAL_STATES:
            raise Conflict("milestones.no_proposal", deal=deal_id)
        if agree:
            if not await tx.milestones.move(proposed.id, M.PROPOSED, M.PENDING.value):
                raise lost_race(deal)
            total = deal.amount + proposed.amount
            if not await tx.deals.set_fields(deal.id, deal.state, amount=total):
                raise lost_race(deal)
        elif not await tx.milestones.drop_proposed(proposed.id):
            raise lost_race(deal)
        kind = "milestone_accepted" if agree else "milestone_declined"
        await tx.deals.add_event(deal.id, actor, kind, proposed.title)
        await tx.keyboards.refresh(f"deal:{deal.id}")
        await tx.outbox.add(
            deal.client_id,
            f"notify.{kind}",
            notify_params(deal, amount=proposed.amount, name=proposed.title),
            ref=f"deal:{deal.id}",
        )
        return proposed


async def of_deal(svc: Services, actor: int, deal_id: int) -> tuple[Deal, list[Milestone]]:
    async with svc.read() as tx:
        deal = await party_deal(tx, deal_id, actor)
        return deal, await tx.milestones.of_deal(deal.id)
