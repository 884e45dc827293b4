"""The command menu, registered in each language (setMyCommands).

- Private chats: everyone's commands, in every supported language (and in DEFAULT_LOCALE for
  people whose language is not translated).
- The moderator group (BotCommandScopeChat(MODERATOR_CHAT_ID)): the moderator commands.
- Each ADMIN_USER_IDS user's private chat: everyone's commands plus the moderator commands
  (admins are moderators everywhere).

A failure (a group the bot is not in yet, an admin who never started the bot) is logged and
never stops the start: the menu is a convenience.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
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

MODERATOR_COMMANDS = (
    "resolve",
    "deal",
    "ban",
    "unban",
    "removejob",
    "payouts",
    "paid",
    "stats",
)


def private_menu(rt: Runtime, lang: str) -> list[BotCommand]:
    return [BotCommand(c, rt.i18n.t(lang, f"cmd-{c}")) for c in PRIVATE_COMMANDS]


def moderator_menu(rt: Runtime, lang: str) -> list[BotCommand]:
    return [BotCommand(c, rt.i18n.t(lang, f"cmd-mod-{c}")) for c in MODERATOR_COMMANDS]


def admin_menu(rt: Runtime, lang: str) -> list[BotCommand]:
    """In an admin's private chat: everyone's commands, then the moderators' (`/deal` once)."""
    own = private_menu(rt, lang)
    names = {c.command for c in own}
    return own + [c for c in moderator_menu(rt, lang) if c.command not in names]


async def register_commands(app: Application) -> None:
    rt: Runtime = app.bot_data["rt"]
    settings = rt.svc.settings
    scopes: list[tuple[BotCommandScope, Callable[[Runtime, str], list[BotCommand]]]] = [
        (BotCommandScopeAllPrivateChats(), private_menu)
    ]
    if settings.moderator_chat_id is not None:
        scopes.append((BotCommandScopeChat(settings.moderator_chat_id), moderator_menu))
    for admin in settings.admin_user_ids:
        scopes.append((BotCommandScopeChat(admin), admin_menu))
    for scope, menu in scopes:
        # The default language answers everyone whose language is not translated; each
        # translated language is registered under its own code.
        for lang in (None, *SUPPORTED):
            commands = menu(rt, lang or rt.i18n.default)
            try:
                await app.bot.set_my_commands(commands, scope=scope, language_code=lang)
            except TelegramError as exc:
                log.warning("setMyCommands(%s, %s) failed: %s", scope.type, lang, exc)
