"""`/alerts`: the person's saved searches, with Stop and a switch between "at once" and the
daily digest; "Stop these alerts" under an alert. A new alert is the flow in
bot/flows/alert.py (its entry is the list's "New alert" button)."""

from __future__ import annotations

from telegram import Update

from bot.flows.common import answer
from bot.handlers.base import MarketContext, handler, int_arg, me
from bot.handlers.callbacks import button
from bot.i18n import Markup
from bot.services import alerts
from bot.views import alerts as views
from bot.views.cards import tr


async def send_list(update: Update, context: MarketContext, *, edit: bool = False) -> None:
    searches = await alerts.my_searches(context.svc, me(update))
    text, rows = views.alerts_list(
        context, searches, context.svc.settings.alerts_per_day, alerts.MAX_SEARCHES
    )
    await context.say(update, text, rows, edit=edit)


@handler
async def alerts_cmd(update: Update, context: MarketContext) -> None:
    await send_list(update, context)


@button("al_stop")
async def stop_button(update: Update, context: MarketContext, args: list[str]) -> None:
    """Under an alert or a digest: stop that search and say so; on the list: redraw it."""
    search = await alerts.stop_search(context.svc, me(update), int_arg(args[0] if args else None))
    if args[1:] == ["list"]:
        await send_list(update, context, edit=True)
        return
    await context.say(update, tr(context, "alerts-stopped", alert=search.id))


@button("al_mode")
async def mode_button(update: Update, context: MarketContext, args: list[str]) -> None:
    search_id = int_arg(args[0] if args else None)
    search = await alerts.set_mode(context.svc, me(update), search_id, (args[1:] or [""])[0])
    await send_list(update, context, edit=True)
    mode = Markup(context.t(f"alerts-mode-{search.mode}"))
    await answer(update, tr(context, "alerts-mode-set", alert=search.id, mode=mode))  # a toast
