"""The custom context handlers get, and the wrapper every handler goes through.

The wrapper records the person (create or refresh), resolves their language for this update
(never a global), turns a DomainError into its one translated sentence, and an unexpected
error into "nothing was changed" plus a logged traceback.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, CallbackContext, ExtBot

from bot.domain.errors import DomainError
from bot.domain.models import User
from bot.runtime import Runtime
from bot.services import profiles
from bot.services.base import Services
from bot.text import MESSAGE_LIMIT, cut_html

log = logging.getLogger(__name__)

# A button as the views describe it: (label, ("cb", action, *args)) or (label, ("url", href)).
Button = tuple[str, tuple[Any, ...]]
Keyboard = Sequence[Sequence[Button]]


class MarketContext(CallbackContext[ExtBot, dict, dict, dict]):
    """`context.rt` (services and friends), `context.locale`, `context.t(...)`, `context.me`."""

    def __init__(
        self, application: Application, chat_id: int | None = None, user_id: int | None = None
    ) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self.locale: str = "en"
        self.me: User | None = None

    @property
    def rt(self) -> Runtime:
        return self.application.bot_data["rt"]

    @property
    def svc(self) -> Services:
        return self.rt.svc

    def t(self, key: str, **params: Any) -> str:
        return self.rt.i18n.t(self.locale, key, **params)

    def money(self, minor: int, currency: str) -> str:
        """Always the thing's own currency (a job's, a deal's, a payout's), never CURRENCY's:
        a CURRENCY change leaves older jobs, deals and balances in theirs."""
        return self.rt.i18n.money(self.locale, minor, currency)

    def when(self, epoch: int) -> str:
        return self.rt.i18n.when(self.locale, epoch, self.svc.clock.now())

    def keyboard(self, rows: Keyboard | None) -> InlineKeyboardMarkup | None:
        return build_keyboard(self.rt, rows)

    async def say(
        self, update: Update, text: str, rows: Keyboard | None = None, *, edit: bool = False
    ) -> Message | None:
        """Answer the person: edit the pressed message (edit=True) or send a new message."""
        markup = self.keyboard(rows)
        text = cut_html(text, MESSAGE_LIMIT)
        query = update.callback_query
        if edit and query is not None and query.message is not None:
            try:
                return await query.edit_message_text(text, reply_markup=markup)  # type: ignore[return-value]
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    return None
                raise
        chat = update.effective_chat
        if chat is None:
            return None
        return await self.bot.send_message(
            chat.id, text, reply_markup=markup, parse_mode=ParseMode.HTML
        )

    async def refuse(self, update: Update, text: str) -> None:
        """One sentence: an alert on a pressed button, a message otherwise."""
        if update.callback_query is not None:
            await _answer_query(update.callback_query, text, alert=True)
            return
        await self.say(update, text)


def build_keyboard(rt: Runtime, rows: Keyboard | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    out = []
    for row in rows:
        buttons = []
        for label, target in row:
            if target[0] == "url":
                buttons.append(InlineKeyboardButton(label, url=target[1]))
            elif target[0] == "pay":
                buttons.append(InlineKeyboardButton(label, pay=True))
            else:
                buttons.append(
                    InlineKeyboardButton(label, callback_data=rt.buttons.pack(*target[1:]))
                )
        if buttons:
            out.append(buttons)
    return InlineKeyboardMarkup(out) if out else None


async def _answer_query(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    try:
        await query.answer(text[:200] if text else None, show_alert=alert)
    except BadRequest:
        log.debug("callback query too old to answer")


HandlerFn = Callable[[Update, MarketContext], Awaitable[Any]]


async def identify(update: Update, context: MarketContext) -> None:
    """Record the person behind the update and pick their language."""
    tg = update.effective_user
    rt = context.rt
    if tg is None:
        context.locale = rt.i18n.default
        return
    # No per-person memo here: touch_user is already a read for someone known as they are,
    # and a map of everyone ever seen would only grow.
    if context.me is None or context.me.id != tg.id:
        context.me = await profiles.touch_user(
            rt.svc, tg.id, tg.username, tg.first_name or "", tg.language_code
        )
    override = context.me.locale_override if context.me else None
    context.locale = rt.i18n.negotiate(override, tg.language_code)


def handler(fn: HandlerFn) -> HandlerFn:
    """Wrap a handler: identify, run, explain refusals, never leak a traceback to the person."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: MarketContext) -> Any:
        await identify(update, context)
        try:
            return await fn(update, context)
        except DomainError as err:
            await context.refuse(update, context.rt.i18n.error(context.locale, err))
            return None
        finally:
            if context.rt.dispatcher is not None:
                context.rt.dispatcher.kick()

    return wrapper


ALERT_EVERY_SECONDS = 60


async def on_error(update: object, context: MarketContext) -> None:
    """The application's error handler: log the traceback, tell the person nothing changed,
    and alert the moderator group (at most one alert a minute)."""
    log.error(
        "unhandled error in update %s", getattr(update, "update_id", "?"), exc_info=context.error
    )
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.refuse(update, context.t("error-internal"))
        except Exception:  # pragma: no cover - best effort
            log.exception("could not tell the person about the error")
    await _alert_moderators(context)


async def _alert_moderators(context: MarketContext) -> None:
    import time

    group = context.svc.settings.moderator_chat_id
    if group is None:
        return
    now = time.monotonic()
    last = context.bot_data.get("last_alert", -ALERT_EVERY_SECONDS)
    if now - last < ALERT_EVERY_SECONDS:
        return
    context.bot_data["last_alert"] = now
    error = type(context.error).__name__ if context.error else "error"
    try:
        await context.bot.send_message(
            group, context.rt.i18n.t(context.rt.i18n.default, "alert-internal-error", error=error)
        )
    except Exception:  # pragma: no cover - the alert is best effort
        log.exception("could not alert the moderator group")


def args_of(context: MarketContext) -> list[str]:
    return list(context.args or [])


def int_arg(value: str | None, key: str = "args.number", **params: Any) -> int:
    """A bare entity number like `34` (also `#34`)."""
    from bot.domain.errors import InvalidInput

    text = (value or "").strip().lstrip("#")
    if not text.isdigit() or len(text) > 12:
        raise InvalidInput(key, **params)
    return int(text)
