"""Everyone's basics: /start (and its `job_<id>` deep link), /help, /cancel outside a flow,
/language, and the answers to unknown commands and stray text."""

from __future__ import annotations

from telegram import Update

from bot.domain.errors import InvalidInput
from bot.domain.numbers import parse_id
from bot.handlers.base import MarketContext, args_of, handler, me, refresh_menu
from bot.handlers.callbacks import button
from bot.services import profiles

LANGUAGES = ("en", "ru")


@handler
async def start(update: Update, context: MarketContext) -> None:
    payload = (args_of(context) or [""])[0]
    if payload.startswith("bid_"):  # the bid flow's entry point takes every such link
        raise InvalidInput("args.link")
    if payload.startswith("job_"):
        from bot.handlers.jobs import send_job_card

        await send_job_card(update, context, parse_id(payload[4:], "args.link"))
        return
    name = context.me.display_name if context.me else ""
    await context.say(update, context.t("start-welcome", name=name))


@handler
async def help_cmd(update: Update, context: MarketContext) -> None:
    await context.say(update, context.t("help-text"))


@handler
async def cancel(update: Update, context: MarketContext) -> None:
    """Only reached outside every flow (each flow answers its own /cancel)."""
    await context.say(update, context.t("cancel-nothing"))


@handler
async def language(update: Update, context: MarketContext) -> None:
    rows = [[(context.t(f"language-name-{lang}"), ("cb", "lang", lang)) for lang in LANGUAGES]]
    await context.say(update, context.t("language-choose"), rows)


@button("lang")
async def language_button(update: Update, context: MarketContext, args: list[str]) -> None:
    context.me = await profiles.set_language(context.svc, me(update), (args or [""])[0])
    context.locale = context.me.locale_override or context.locale
    await refresh_menu(context)  # the menu in the new language before the answer says so
    await context.say(update, context.t("language-set"), edit=True)


@handler
async def unknown(update: Update, context: MarketContext) -> None:
    await context.say(update, context.t("unknown-command"))


@handler
async def plain_text(update: Update, context: MarketContext) -> None:
    await send_hint(update, context)


async def send_hint(update: Update, context: MarketContext) -> None:
    """Text outside any flow, or a reply to something that is not a relayed message."""
    await context.say(update, context.t("plain-text-hint"))
