"""What the three flows share: the ConversationHandler they are built on, prompts that keep
only the current step's buttons alive, and step-tagged buttons.

Every flow keeps its draft in `context.user_data[<flow name>]` as plain JSON types (stored as
JSON in the database with the flow's state, read back for each update: bot/updates.py),
including `step` (the step being asked) and `msg` (the id of the message that asked it).
Every button of a flow carries the step it belongs to, so a press on an older prompt answers
"This button has expired." and changes nothing.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from telegram import CallbackQuery, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import BaseHandler, ConversationHandler, filters

from bot.handlers.base import Keyboard, MarketContext, _answer_query
from bot.services import inputs
from bot.storage.db import commits_not_counted

log = logging.getLogger(__name__)

END = ConversationHandler.END
PRIVATE = filters.ChatType.PRIVATE
# What a person may type or send at a step: a new message (an edit of an old one is not an
# answer), anything but commands (they reach the command handlers, and /cancel the flow's
# fallback), payments and service messages.
INPUT = (
    PRIVATE
    & filters.UpdateType.MESSAGE
    & ~filters.COMMAND
    & ~filters.SUCCESSFUL_PAYMENT
    & ~filters.StatusUpdate.ALL
)
TEXT = INPUT & filters.TEXT


class Flow(ConversationHandler):
    """A private-chat conversation whose draft lives in user_data[data_key]. Its state is not
    PTB-persistent (PTB reads that only at start): bot/updates.py loads it from the database
    before each update and writes it back with the update's handling."""

    def __init__(
        self,
        name: str,
        data_key: str,
        entry_points: list[BaseHandler],
        states: dict[object, list[BaseHandler]],
        fallbacks: list[BaseHandler],
    ) -> None:
        with warnings.catch_warnings():
            # Buttons are tracked per chat and user, on purpose (per_message=False): each
            # button carries its step instead.
            warnings.filterwarnings("ignore", message=".*per_message=False.*")
            super().__init__(
                entry_points=entry_points,
                states=states,
                fallbacks=fallbacks,
                name=name,
                persistent=False,
                per_chat=True,
                per_user=True,
                per_message=False,
                allow_reentry=True,
            )
        self.data_key = data_key

    def end_for(self, update: Update) -> None:
        """Leave this flow for the person behind `update` (another flow is starting)."""
        self._update_state(self.END, self._get_key(update))


def leave_flows(update: Update, context: MarketContext, keep: str | None = None) -> None:
    """Leave every flow but `keep` (their drafts go too)."""
    for group in context.application.handlers.values():
        for handler in group:
            if isinstance(handler, Flow) and handler.name != keep:
                handler.end_for(update)
                if context.user_data is not None:
                    context.user_data.pop(handler.data_key, None)


async def end_other_flows(update: Update, context: MarketContext, keep: str) -> None:
    """Only one thing reads what a person types: starting a flow leaves the other flows and
    drops a question a button asked (bot.handlers.inputs), whose Cancel button goes."""
    leave_flows(update, context, keep)
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    if await inputs.current(context.svc, user.id) is None:
        return  # (a read: most flows start with no question open)
    with commits_not_counted():
        dropped = await inputs.take(context.svc, user.id)
    if dropped is not None:
        await strip_buttons(context, chat.id, dropped.prompt_message_id)


def in_private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == "private"


async def answer(update: Update, text: str | None = None, alert: bool = False) -> None:
    """Answer a pressed button (quietly, unless a text is given)."""
    if update.callback_query is not None:
        await _answer_query(update.callback_query, text, alert)


async def strip_buttons(context: MarketContext, chat_id: int, message_id: int | None) -> None:
    """Remove the buttons of an earlier prompt; it may be gone or unchanged already."""
    if not message_id:
        return
    try:
        await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
    except BadRequest:
        pass
    except TelegramError as exc:  # never let a cosmetic edit break the step
        log.debug("could not remove the buttons of message %s: %s", message_id, exc)


async def prompt(
    update: Update,
    context: MarketContext,
    draft: dict[str, Any],
    text: str,
    rows: Keyboard | None = None,
) -> None:
    """Ask the current step: the previous prompt loses its buttons, the new one has them."""
    chat = update.effective_chat
    if chat is not None:
        await strip_buttons(context, chat.id, draft.get("msg"))
    sent = await context.say(update, text, rows)
    draft["msg"] = sent.message_id if sent is not None else None


def pressed(update: Update, context: MarketContext) -> tuple[str, str, list[str]] | None:
    """(op, step, args) of a flow button `<action>:<op>:<step>:<args>`, None if forged."""
    query: CallbackQuery | None = update.callback_query
    decoded = context.rt.buttons.unpack(query.data if query else None)
    if decoded is None or len(decoded[1]) < 2:
        return None
    op, step, *args = decoded[1]
    return op, step, args


async def expired(update: Update, context: MarketContext) -> None:
    await answer(update, context.t("button-expired"), alert=True)


def yes_no(text: str) -> bool | None:
    low = (text or "").strip().lower()
    if low in {"yes", "y", "да", "д", "true", "1"}:
        return True
    if low in {"no", "n", "нет", "н", "false", "0"}:
        return False
    return None
