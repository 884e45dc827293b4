"""The custom context handlers get, and the wrapper every handler goes through.

The wrapper records the person (create or refresh), resolves their language for this update
(never a global), turns a DomainError into its one translated sentence, and an unexpected
error into a logged traceback and a true sentence: "nothing was changed" only when this
update committed nothing, else that the request went through.

Replies are retried after a short 429 (bot.pacing.SharedRateLimiter); one that still cannot be
sent (429s for longer, network errors) after this update committed its change goes through
the outbox instead, so the person still gets the true answer.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    WebAppInfo,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import Application, CallbackContext, ExtBot

from bot.domain.errors import DomainError
from bot.domain.models import User
from bot.domain.numbers import parse_id
from bot.metrics import mark_outcome
from bot.pacing import REPLY_RETRIES
from bot.runtime import Runtime
from bot.services import buttons, profiles
from bot.services.base import Services
from bot.services.replies import queue_reply
from bot.storage.db import commits_not_counted, committed_here
from bot.storage.inbox import AlreadyHandled
from bot.text import MESSAGE_LIMIT, cut_html

log = logging.getLogger(__name__)

# A button as the views describe it: (label, ("cb", action, *args)), (label, ("url", href)) or
# (label, ("webapp", href)): the Mini App.
Button = tuple[str, tuple[Any, ...]]
Keyboard = Sequence[Sequence[Button]]


@dataclass(frozen=True)
class Follow:
    """An answer whose buttons follow a state: drawn again by bot.views.keyboards[`view`]
    from `params` when `ref` (deal:5, job:3) changes."""

    view: str
    ref: str
    params: dict[str, Any]


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

    def duration(self, seconds: int) -> str:
        return self.rt.i18n.duration(self.locale, seconds)

    def when(self, epoch: int) -> str:
        return self.rt.i18n.when(self.locale, epoch, self.svc.clock.now())

    def keyboard(self, rows: Keyboard | None) -> InlineKeyboardMarkup | None:
        return build_keyboard(self.rt, rows)

    async def say(
        self,
        update: Update,
        text: str,
        rows: Keyboard | None = None,
        *,
        edit: bool = False,
        follow: Follow | None = None,
    ) -> Message | None:
        """Answer the person: edit the pressed message (edit=True) or send a new message.
        Sent through the outbox when Telegram will not take it after this update's commit.
        With `follow`, the message's buttons are redrawn when the state they show changes."""
        markup = self.keyboard(rows)
        sent = await self._say(update, text, markup, rows, edit)
        if follow is not None and sent is not None:
            with commits_not_counted():  # bookkeeping, not what the person asked for
                await buttons.follow(
                    self.svc,
                    sent.chat.id,
                    sent.message_id,
                    follow.ref,
                    follow.view,
                    follow.params,
                    markup_digest(markup) if markup is not None else None,
                )
        return sent

    async def _say(
        self,
        update: Update,
        text: str,
        markup: InlineKeyboardMarkup | None,
        rows: Keyboard | None,
        edit: bool,
    ) -> Message | None:
        text = cut_html(text, MESSAGE_LIMIT)
        query = update.callback_query
        chat = update.effective_chat
        try:
            if edit and query is not None and query.message is not None:
                try:
                    return await self.bot.edit_message_text(  # type: ignore[return-value]
                        text,
                        chat_id=query.message.chat.id,
                        message_id=query.message.message_id,
                        reply_markup=markup,
                        rate_limit_args=REPLY_RETRIES,
                    )
                except BadRequest as exc:
                    if "not modified" in str(exc).lower():
                        return None
                    raise
            if chat is None:
                return None
            return await self.bot.send_message(
                chat.id,
                text,
                reply_markup=markup,
                parse_mode=ParseMode.HTML,
                rate_limit_args=REPLY_RETRIES,
                message_thread_id=_topic_of(update),
            )
        except BadRequest:
            raise  # refused as it is: the outbox could not send it either
        except (RetryAfter, NetworkError) as exc:
            if chat is None or not committed_here():
                raise
            log.warning("reply to chat %s goes through the outbox: %s", chat.id, exc)
            await queue_reply(self.svc, chat.id, text, rows)
            return None

    async def refuse(self, update: Update, text: str) -> None:
        """One sentence: an alert on a pressed button (not answered yet), a message otherwise."""
        query = update.callback_query
        if query is not None and query.id not in _answered.get():
            await _answer_query(query, text, alert=True)
            return
        await self.say(update, text)


def markup_digest(markup: InlineKeyboardMarkup | None) -> str:
    """What a message's buttons are, in a few characters: a redraw that gives the same
    digest needs no call (bot.notify)."""
    if markup is None:
        return "none"
    data = json.dumps(markup.to_dict(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def _topic_of(update: Update) -> int | None:
    """The forum topic the update came from: the answer goes into it, not to General."""
    message = update.effective_message
    if message is None or not getattr(message, "is_topic_message", False):
        return None
    return message.message_thread_id


def build_keyboard(rt: Runtime, rows: Keyboard | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    out = []
    for row in rows:
        buttons = []
        for label, target in row:
            if target[0] == "url":
                buttons.append(InlineKeyboardButton(label, url=target[1]))
            elif target[0] == "webapp":  # opens the Mini App (bot/miniapp) at this address
                buttons.append(InlineKeyboardButton(label, web_app=WebAppInfo(url=target[1])))
            elif target[0] == "pay":
                buttons.append(InlineKeyboardButton(label, pay=True))
            else:
                buttons.append(
                    InlineKeyboardButton(label, callback_data=rt.buttons.pack(*target[1:]))
                )
        if buttons:
            out.append(buttons)
    return InlineKeyboardMarkup(out) if out else None


# The callback queries answered by the update being handled (a task of its own): Telegram
# takes one answer per query and refuses a second.
_answered: ContextVar[frozenset[str]] = ContextVar("answered_queries", default=frozenset())
# The language of the person behind the update being handled, for its error handler.
_locale: ContextVar[str | None] = ContextVar("update_locale", default=None)


async def _answer_query(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    answered = _answered.get()
    if query.id in answered:
        return
    _answered.set(answered | {query.id})
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
        with commits_not_counted():  # the person's record is not what they asked for
            context.me = await profiles.touch_user(
                rt.svc, tg.id, tg.username, tg.first_name or "", tg.language_code
            )
    override = context.me.locale_override if context.me else None
    context.locale = rt.i18n.negotiate(override, tg.language_code)
    _locale.set(context.locale)


async def refresh_menu(context: MarketContext) -> None:
    """The command menu of a person who chose a language, registered again if it changed
    since (bot/handlers/commands.py); after the answer, so it never delays it."""
    from bot.handlers.commands import refresh_person_menu

    me = context.me
    if me is None or not me.locale_override:
        return
    cache = context.bot_data.setdefault("menu_stamps", {})
    await refresh_person_menu(
        context.bot, context.rt, me.id, me.locale_override, context.user_data, cache
    )


def handler(fn: HandlerFn) -> HandlerFn:
    """Wrap a handler: identify, run, explain refusals, never leak a traceback to the person."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: MarketContext) -> Any:
        await identify(update, context)
        try:
            return await fn(update, context)
        except DomainError as err:
            mark_outcome("refused")
            await context.refuse(update, context.rt.i18n.error(context.locale, err))
            return None
        finally:
            if context.rt.dispatcher is not None:
                context.rt.dispatcher.kick()
            await refresh_menu(context)

    return wrapper


ALERT_EVERY_SECONDS = 60


async def on_error(update: object, context: MarketContext) -> None:
    """The application's error handler: log the traceback, tell the person what is true, and
    alert the moderator group (at most one alert a minute).

    PTB runs it in the task that handled the update (awaited from `process_update`), so
    `committed_here()` tells whether this update's change was saved: "nothing was changed"
    is said only when it was not. An update another process handled already (its handling
    here rolled back: bot.storage.inbox) is not an error the person should hear of."""
    if isinstance(context.error, AlreadyHandled):
        log.info("update %s: %s", getattr(update, "update_id", "?"), context.error)
        return
    mark_outcome("error")
    log.error(
        "unhandled error in update %s", getattr(update, "update_id", "?"), exc_info=context.error
    )
    if isinstance(update, Update) and update.effective_chat is not None:
        context.locale = _locale.get() or context.rt.i18n.default
        try:
            if committed_here():
                if update.callback_query is not None:
                    await _answer_query(update.callback_query)
                await context.say(update, context.t("error-after-commit"))
            else:
                await context.refuse(update, context.t("error-internal"))
        except Exception:  # pragma: no cover - best effort
            log.exception("could not tell the person about the error")
    await _alert_moderators(context)


async def _alert_moderators(context: MarketContext) -> None:
    """At most one alert a minute, through the outbox (written in a transaction of its own:
    whatever the handler did has committed or rolled back by now)."""
    import time

    from bot.services import moderation

    if context.svc.settings.moderator_chat_id is None:
        return
    now = time.monotonic()
    last = context.bot_data.get("last_alert", -ALERT_EVERY_SECONDS)
    if now - last < ALERT_EVERY_SECONDS:
        return
    context.bot_data["last_alert"] = now
    error = type(context.error).__name__ if context.error else "error"
    try:
        with commits_not_counted():
            await moderation.alert_internal_error(context.svc, error)
    except Exception:  # pragma: no cover - the alert is best effort
        log.exception("could not queue the alert for the moderator group")
    if context.rt.dispatcher is not None:
        context.rt.dispatcher.kick()


def args_of(context: MarketContext) -> list[str]:
    return list(context.args or [])


def int_arg(value: str | None, key: str = "args.number", **params: Any) -> int:
    """A bare entity number like `34` (also `#34`), by the one rule (bot.domain.numbers)."""
    return parse_id(value, key, **params)


def me(update: Update) -> int:
    """The id of the person an update comes from (every handler's first question)."""
    user = update.effective_user
    assert user is not None
    return user.id
