"""Milestone contracts in private chat (issue 14): /milestones <bid> [plan] (the bid's
freelancer proposes a plan, the job's client edits it before hiring; alone: shows it),
/addmilestone <deal> Title = amount (the client, later), the freelancer's Accept / Decline.
Funding, delivery, review, release and disputes of the current milestone are /deal's."""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.domain.milestones import Milestone, MilestoneState
from bot.domain.models import Deal
from bot.handlers.arguments import command_args
from bot.handlers.base import MarketContext, handler, int_arg
from bot.handlers.callbacks import yes_no_buttons
from bot.i18n import Markup, id_params
from bot.services import milestones
from bot.views.deal_card import plan_lines


def _me(update: Update) -> int:
    assert update.effective_user is not None
    return update.effective_user.id


def _t(context: MarketContext, key: str, **params: Any) -> str:
    return context.t(key, **id_params(params))


def _plan_text(context: MarketContext, plan: list[Milestone], currency: str) -> str:
    return "\n".join(plan_lines(context, plan, currency, None))


@handler
async def plan(update: Update, context: MarketContext) -> None:
    """/milestones <bid> Title = amount; Title = amount: sets the plan; alone: shows it."""
    args, text = command_args(update.effective_message, 1, "milestones.usage")
    bid_id = int_arg(args[0], "milestones.usage")
    me = _me(update)
    if text:
        parts = await milestones.set_plan(context.svc, me, bid_id, text)
        bid, currency, _ = await milestones.show_plan(context.svc, me, bid_id)
        head = _t(context, "milestones-set", bid=bid_id, count=len(parts))
        await context.say(update, head + "\n" + _plan_text(context, parts, currency))
        return
    bid, currency, parts = await milestones.show_plan(context.svc, me, bid_id)
    if not parts:
        await context.say(update, _t(context, "milestones-none", bid=bid_id))
        return
    head = _t(
        context,
        "milestones-show",
        bid=bid_id,
        count=len(parts),
        amount=Markup(context.money(bid.amount, currency)),
    )
    await context.say(update, head + "\n" + _plan_text(context, parts, currency))


@handler
async def add(update: Update, context: MarketContext) -> None:
    """/addmilestone <deal> Title = amount."""
    args, text = command_args(update.effective_message, 1, "milestones.usage_add", rest=True)
    deal_id = int_arg(args[0], "milestones.usage_add")
    added = await milestones.propose(context.svc, _me(update), deal_id, text)
    deal, _ = await milestones.of_deal(context.svc, _me(update), deal_id)
    await context.say(
        update,
        _t(
            context,
            "milestones-added",
            deal=deal_id,
            name=added.title,
            amount=Markup(context.money(added.amount, deal.currency)),
        ),
    )


@yes_no_buttons("ms")
async def answer(update: Update, context: MarketContext, args: list[str], agree: bool) -> None:
    deal_id = int_arg(args[0] if args else None)
    done = await milestones.answer_proposal(context.svc, _me(update), deal_id, agree)
    deal, _ = await milestones.of_deal(context.svc, _me(update), deal_id)
    key = "milestones-accepted" if agree else "milestones-declined"
    text = _t(
        context,
        key,
        deal=deal_id,
        name=done.title,
        amount=Markup(context.money(done.amount, deal.currency)),
        total=Markup(context.money(deal.amount, deal.currency)),
    )
    await context.say(update, text, edit=True)


async def cycle_amount(context: MarketContext, deal: Deal) -> int:
    """What one release moves: the deal's amount, or its current milestone's."""
    if not milestones.is_milestones(deal):
        return deal.amount
    _, plan = await milestones.of_deal(context.svc, deal.client_id, deal.id)
    current = [m for m in plan if m.state == MilestoneState.CURRENT]
    return current[0].amount if current else deal.amount


async def released_text(context: MarketContext, deal: Deal) -> str | None:
    """The client's answer to releasing a milestone (None: not a milestone contract)."""
    if not milestones.is_milestones(deal):
        return None
    _, plan = await milestones.of_deal(context.svc, deal.client_id, deal.id)
    settled = [m for m in plan if m.state == MilestoneState.RELEASED]
    done = max(settled, key=lambda m: (m.ended_at or 0, m.position))
    current = [m for m in plan if m.state == MilestoneState.CURRENT]
    text = _t(
        context,
        "milestones-released",
        deal=deal.id,
        name=done.title,
        amount=Markup(context.money(done.amount, deal.currency)),
    )
    if current:
        text += "\n" + _t(
            context,
            "milestones-next-invoice",
            position=current[0].position,
            name=current[0].title,
            amount=Markup(context.money(current[0].amount, deal.currency)),
        )
    return text
