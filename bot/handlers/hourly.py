"""Hourly contracts in private chat: /log against the current week (from bot.handlers.deals
for a deal of kind 'hourly'), /edithours and /approve."""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.domain import weeks as W
from bot.handlers.arguments import command_args
from bot.handlers.base import MarketContext, handler, int_arg
from bot.i18n import Markup, id_params
from bot.services import hourly
from bot.services.hourly import Logged, hours_text


def _me(update: Update) -> int:
    assert update.effective_user is not None
    return update.effective_user.id


def _logged(context: MarketContext, key: str, logged: Logged) -> str:
    params: dict[str, Any] = {
        "deal": logged.deal.id,
        "entry": logged.entry_id,
        "hours": hours_text(logged.minutes),
        "total": hours_text(logged.week.minutes),
        "limit": hours_text(logged.limit_minutes),
        "week": W.week_label(logged.week.starts_at),
    }
    return context.t(key, **id_params(params))


async def log_hourly(
    update: Update, context: MarketContext, deal_id: int, hours: str, note: str
) -> None:
    logged = await hourly.log_time(context.svc, _me(update), deal_id, hours, note)
    await context.say(update, _logged(context, "hourly-log-done", logged))


@handler
async def edit_hours(update: Update, context: MarketContext) -> None:
    """/edithours <entry> <hours> [note]: 0 hours removes the entry."""
    args, note = command_args(update.effective_message, 2, "dealcmd.usage_edithours")
    entry_id = int_arg(args[0], "dealcmd.usage_edithours")
    logged = await hourly.edit_time(context.svc, _me(update), entry_id, args[1], note or None)
    await context.say(update, _logged(context, "hourly-edit-done", logged))


@handler
async def approve(update: Update, context: MarketContext) -> None:
    """/approve <deal>: the client approves the hours of the week in review."""
    args, _ = command_args(update.effective_message, 1, "dealcmd.usage_approve")
    deal, week = await hourly.approve(
        context.svc, _me(update), int_arg(args[0], "dealcmd.usage_approve")
    )
    params = {
        "deal": deal.id,
        "week": W.week_label(week.starts_at),
        "hours": hours_text(week.minutes),
        "paid": Markup(context.money(week.paid, deal.currency)),
    }
    await context.say(update, context.t("hourly-approve-done", **id_params(params)))
