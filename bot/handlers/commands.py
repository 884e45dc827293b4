"""The command menu, registered in each language (setMyCommands).

- Private chats: everyone's commands, in every supported language (and in DEFAULT_LOCALE for
  people whose language is not translated).
- The moderator group (BotCommandScopeChat(MODERATOR_CHAT_ID)): the moderator commands.
- Each ADMIN_USER_IDS user's private chat: everyone's commands plus the moderator commands
  (admins are moderators everywhere).

A person who chose a language with /language gets their own menu in it
(BotCommandScopeChat(their id), no language_code: it wins over every list above for that
chat, whatever their Telegram language). Telegram keeps it across restarts, so it is not
registered again at each start: the stamp of the menu last registered for the person is kept in
their user_data and, when the menu changed since (a new command, a new translation, the person
became an admin), it is registered again at their next update. An admin's chat also holds one
list per language from the start; those are deleted so the chosen one applies.

A failure (a group the bot is not in yet, an admin who never started the bot) is logged and
never stops the start or the update: the menu is a convenience.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import TelegramError
from telegram.ext import Application, ExtBot

from bot.i18n import SUPPORTED
from bot.runtime import Runtime
from bot.services import profiles

log = logging.getLogger(__name__)

PRIVATE_COMMANDS = (
    "start",
    "help",
    "post",
    "jobs",
    "myjobs",
    "mybids",
    "alerts",
    "deals",
    "balance",
    "profile",
    "editprofile",
    "payout",
    "language",
    "mydata",
    "deleteaccount",
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
    "audit",
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


def person_menu(rt: Runtime, user_id: int, lang: str) -> list[BotCommand]:
    """The menu of one person's private chat: an admin's or everyone's."""
    if user_id in rt.svc.settings.admin_user_ids:
        return admin_menu(rt, lang)
    return private_menu(rt, lang)


MENU_KEY = "menu"  # user_data: the stamp of the menu registered for the person's chat


def menu_stamp(rt: Runtime, user_id: int, lang: str, cache: dict[Any, str]) -> str:
    """What the person's menu is made of, short: equal stamps, equal menus."""
    key = (user_id in rt.svc.settings.admin_user_ids, lang)
    if key not in cache:
        text = "\n".join(f"{c.command} {c.description}" for c in person_menu(rt, user_id, lang))
        cache[key] = f"{lang}:{hashlib.sha256(text.encode()).hexdigest()[:16]}"
    return cache[key]


async def register_person_menu(bot: ExtBot, rt: Runtime, user_id: int, lang: str) -> bool:
    """Register the person's own menu in `lang`; False (logged) when Telegram refused."""
    scope = BotCommandScopeChat(user_id)
    try:
        await bot.set_my_commands(person_menu(rt, user_id, lang), scope=scope)
        if user_id in rt.svc.settings.admin_user_ids:
            for code in SUPPORTED:  # the start's per-language lists would win over it
                await bot.delete_my_commands(scope=scope, language_code=code)
    except TelegramError as exc:
        log.warning("setMyCommands(chat %s, %s) failed: %s", user_id, lang, exc)
        return False
    return True


async def refresh_person_menu(
    bot: ExtBot,
    rt: Runtime,
    user_id: int,
    lang: str | None,
    user_data: dict | None,
    cache: dict[Any, str],
) -> None:
    """Register the person's chosen-language menu unless the one registered is current."""
    if lang is None or user_data is None:
        return
    stamp = menu_stamp(rt, user_id, lang, cache)
    if user_data.get(MENU_KEY) == stamp:
        return
    if await register_person_menu(bot, rt, user_id, lang):
        user_data[MENU_KEY] = stamp


async def register_commands(app: Application) -> None:
    rt: Runtime = app.bot_data["rt"]
    settings = rt.svc.settings
    scopes: list[tuple[BotCommandScope, Callable[[Runtime, str], list[BotCommand]]]] = [
        (BotCommandScopeAllPrivateChats(), private_menu)
    ]
    if settings.moderator_chat_id is not None:
        scopes.append((BotCommandScopeChat(settings.moderator_chat_id), moderator_menu))
    chosen = await profiles.chosen_languages(rt.svc, settings.admin_user_ids)
    for admin in settings.admin_user_ids:
        if admin in chosen:  # an admin who chose a language: that language only
            await register_person_menu(app.bot, rt, admin, chosen[admin])
        else:
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
