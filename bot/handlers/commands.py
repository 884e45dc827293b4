"""The command menu, registered in each language (setMyCommands)."""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeAllPrivateChats
from telegram.error import TelegramError
from telegram.ext import Application

from bot.i18n import SUPPORTED
from bot.runtime import Runtime

log = logging.getLogger(__name__)

PRIVATE_COMMANDS = (
    "start",
    "help",
    "post",
    "jobs",
    "myjobs",
    "mybids",
    "deals",
    "balance",
    "profile",
    "editprofile",
    "payout",
    "language",
    "cancel",
)


async def register_commands(app: Application) -> None:
    rt: Runtime = app.bot_data["rt"]
    for lang in SUPPORTED:
        commands = [BotCommand(c, rt.i18n.t(lang, f"cmd-{c}")) for c in PRIVATE_COMMANDS]
        try:
            await app.bot.set_my_commands(
                commands,
                scope=BotCommandScopeAllPrivateChats(),
                language_code=None if lang == rt.i18n.default else lang,
            )
        except TelegramError as exc:  # the menu is a convenience; never stop the start for it
            log.warning("setMyCommands(%s) failed: %s", lang, exc)
