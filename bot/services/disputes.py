"""Disputes: opened by either party, they freeze the deal's timers; a moderator decides."""

from __future__ import annotations

from bot.domain import rules
from bot.domain.errors import Conflict, InvalidInput
from bot.domain.models import Deal, Dispute
from bot.domain.states import ContractKind, DealAction, DealState, JobState, next_deal_state
from bot.services import escrow, hourly, milestones, topics
from bot.services.base import (
    Moderator,
    Services,
    deal_or_404,
    lost_race,
    party_deal,
    replied_notice,
)
from bot.services.lifecycle import (
    ALL_DEAL_DEADLINES,
    finish_deal,
    move_deal,
    notify_params,
    tell_both,
)
from bot.storage.db import Tx

MILESTONE_OUTCOMES = {
    "release": milestones.M.RELEASED,
    "refund": milestones.M.REFUNDED,
    "split": milestones.M.SPLIT,
}
OUTCOMES = {
    "release": DealAction.RESOLVE_RELEASE,
    "refund": DealAction.RESOLVE_REFUND,
    "split": DealAction.RESOLVE_SPLIT,
}


async def may_dispute(
    tx: Tx, svc: Services, actor: int, deal_id: int, *, lock: bool = False
) -> Deal:
    """Either party disputes a funded or delivered deal."""
    deal = await party_deal(tx, deal_id, actor, lock=lock)
    next_deal_state(deal.state, DealAction.DISPUTE, deal.id)
    return deal


async def may_add_evidence(
    tx: Tx, svc: Services, actor: int, deal_id: int, *, lock: bool = False
) -> tuple[Deal, Dispute]:
    """Either party adds to a dispute while it is open."""
    deal = await party_deal(tx, deal_id, actor, lock=lock)
    dispute = await tx.disputes.open_for(deal.id)
    if dispute is None:
        raise Conflict("dispute.none_open", deal=deal_id)
    return deal, dispute


async def open_dispute(svc: Services, actor: int, deal_id: int, reason: str) -> Dispute:
    reason = rules.text_in_range(reason, 1, rules.REASON_MAX, "dispute.reason_required")
    s = svc.settings
    async with svc.read() as tx:
        found = await tx.deals.get(deal_id)
    if found is not None and found.kind == ContractKind.HOURLY:
        return await hourly.open_dispute(svc, actor, deal_id, reason)  # a week's hours
    async with svc.tx() as tx:
        deal = await may_dispute(tx, svc, actor, deal_id, lock=True)
        from_state = deal.state
        await move_deal(tx, deal, DealAction.DISPUTE, cancel_requested_at=None)
        dispute = await tx.disputes.open(
            deal.id, actor, reason, from_state, tx.now + s.dispute_response_window
        )
        await tx.deals.add_event(deal.id, actor, "dispute", reason)
        # A dispute freezes every timer of the deal; only the moderators' SLA runs.
        await tx.deadlines.cancel(deal.id, *ALL_DEAL_DEADLINES)
        await tx.deadlines.set("dispute_sla", deal.id, tx.now + s.dispute_sla)
        other = deal.other(actor)
        await tx.outbox.add(
            other,
            "notify.dispute_opened_other",
            notify_params(deal, reason=reason, by=actor, respond_by=dispute.respond_by),
            ref=f"deal:{deal.id}",
        )
        # The opener is answered by their handler (how to add evidence included).
        if s.moderator_chat_id:
            await topics.open_topic(tx, svc, deal, dispute)  # a forum group: its own topic
            await tx.outbox.add(
                s.moderator_chat_id,
                "mod.dispute_card",
                {"deal": deal.id, "dispute": dispute.id, **topics.param(dispute.id)},
                ref=f"dispute:{dispute.id}",
            )
        return dispute


async def add_evidence(
    svc: Services, actor: int, deal_id: int, text: str, files: list[dict] | None = None
) -> None:
    """Either party adds their side (text and files) to an open dispute."""
    text = rules.clean_text(text)
    if not text and not files:
        raise InvalidInput("dispute.evidence_empty")
    if len(text) > rules.NOTE_MAX:
        raise InvalidInput("dispute.evidence_too_long", max=rules.NOTE_MAX, length=len(text))
    s = svc.settings
    async with svc.tx() as tx:
        deal, dispute = await may_add_evidence(tx, svc, actor, deal_id, lock=True)
        await tx.deals.add_event(deal.id, actor, "evidence", text, files or [])
        if s.moderator_chat_id:
            await tx.outbox.add(
                s.moderator_chat_id,
                "mod.evidence",
                {
                    "deal": deal.id,
                    "by": actor,
                    "text": text,
                    "files": files or [],
                    **topics.param(dispute.id),
                },
                ref=f"dispute:{dispute.id}",
            )


async def resolve(
    svc: Services,
    mod: Moderator,
    deal_id: int,
    outcome: str,
    percent: int | None = None,
    note: str = "",
) -> Deal:
    """release | refund | split <percent to the freelancer>."""
    if outcome not in OUTCOMES:
        raise InvalidInput("resolve.outcome_invalid")
    if outcome == "split":
        if percent is None:
            raise InvalidInput("percent.invalid")
        percent = rules.percent(percent)
    else:
        percent = 100 if outcome == "release" else 0
    note = rules.clean_text(note)[: rules.REASON_MAX]
    fee_pct = svc.settings.platform_fee_percent
    async with svc.tx() as tx:
        deal = await deal_or_404(tx, deal_id, lock=True)
        if deal.kind == ContractKind.HOURLY:  # a week's hours; the contract goes on
            await hourly.resolve_dispute(tx, svc, mod, deal, outcome, percent, note)
            return await deal_or_404(tx, deal_id)
        action = OUTCOMES[outcome]
        next_deal_state(deal.state, action, deal.id)
        dispute = await tx.disputes.open_for(deal.id)
        if dispute is None:
            raise Conflict("dispute.none_open", deal=deal_id)
        if not await tx.disputes.resolve(dispute.id, mod.user_id, outcome, percent, note):
            raise lost_race(deal)
        # A milestone contract: the decision is about the disputed (current) milestone; but
        # for a refund, the next one is then offered for funding.
        part = await milestones.part(tx, deal)
        more = outcome != "refund" and await milestones.has_next(tx, deal)
        if not more:
            await move_deal(tx, deal, action, ended_at=tx.now)
        paid = fee = back = 0
        returned: escrow.Returned | None = None
        if outcome == "release":
            paid, fee = await escrow.release(tx, part, fee_pct)
            job_state = JobState.COMPLETED
        elif outcome == "refund":
            returned = await escrow.refund(tx, part)
            back = part.amount
            job_state = JobState.CLOSED
        else:
            paid, fee, back, returned = await escrow.split(tx, part, percent, fee_pct)
            job_state = JobState.COMPLETED
        settled = await milestones.settle(tx, deal, MILESTONE_OUTCOMES[outcome], paid, fee, back)
        await tx.deals.add_event(deal.id, mod.user_id, "resolved", f"{outcome} {percent} {note}")
        await tx.trail.add(
            mod.user_id,
            "resolve",
            "deal",
            deal.id,
            reason=note,
            details={
                "outcome": outcome,
                "percent": percent,
                "paid": paid,
                "fee": fee,
                "back": back,
                "currency": deal.currency,
            },
        )
        if more:
            await milestones.open_next(tx, svc, deal, settled, actor=mod.user_id)
        else:
            await milestones.end_rest(tx, deal)
            await finish_deal(tx, svc, deal, job_state)
        await tell_both(
            tx,
            part,
            "notify.resolved",
            outcome=outcome,
            percent=percent,
            paid=paid,
            fee=fee,
            back=back,
            note=note,
            **(returned.params() if returned else {"how": None}),
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
        return await deal_or_404(tx, deal_id)


async def remind_sla(tx: Tx, svc: Services, deal_id: int) -> bool:
    """Timer: a dispute still open after DISPUTE_SLA; remind the moderators, then again."""
    deal = await tx.deals.get(deal_id)
    if deal is None or (deal.state != DealState.DISPUTED and deal.kind != ContractKind.HOURLY):
        return False  # an hourly contract's week is disputed while the contract runs
    dispute = await tx.disputes.open_for(deal.id)
    if dispute is None:
        return False
    if svc.settings.moderator_chat_id:
        await tx.outbox.add(
            svc.settings.moderator_chat_id,
            "mod.sla_reminder",
            {
                "deal": deal.id,
                "dispute": dispute.id,
                "opened_at": dispute.opened_at,
                **topics.param(dispute.id),
            },
        )
    await tx.deadlines.set("dispute_sla", deal.id, tx.now + svc.settings.dispute_sla)
    return True


async def dispute_view(svc: Services, deal_id: int) -> tuple[Deal, Dispute | None]:
    async with svc.read() as tx:
        deal = await deal_or_404(tx, deal_id)
        return deal, await tx.disputes.latest_for(deal.id)


# The opener's own notice is no longer written (their answer says how to add evidence, with
# /evidence); replies to the other party's notice are evidence.
DISPUTE_NOTICES = ("notify.dispute_opened_other",)


async def dispute_of_reply(svc: Services, chat_id: int, message_id: int) -> int | None:
    """The deal whose dispute notification `message_id` in `chat_id` is (a party replying to
    it adds evidence); None for any other message."""
    return await replied_notice(svc, chat_id, message_id, DISPUTE_NOTICES, "deal")
