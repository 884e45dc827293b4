"""Questions about a job (/ask), private client-bidder threads (/msg), and Telegram replies to
relayed messages, which go back into the same thread."""

from __future__ import annotations

from telegram import Update

from bot.domain import rules
from bot.handlers.arguments import command_args
from bot.handlers.base import MarketContext, handler, int_arg, me
from bot.handlers.common import send_hint
from bot.services import messages
from bot.text import clip
from bot.views import cards

QUOTE_MAX = 500  # characters of the question quoted in its confirmation


def _id_and_text(update: Update, key: str) -> tuple[int, str]:
    """`<number> <text>`, the text as typed (line breaks kept); one usage sentence when
    either is missing."""
    args, text = command_args(update.effective_message, 1, key, rest=True)
    return int_arg(args[0], key), text


@handler
async def ask(update: Update, context: MarketContext) -> None:
    job_id, text = _id_and_text(update, "args.ask")
    await send_question(update, context, job_id, text)


async def send_question(update: Update, context: MarketContext, job_id: int, text: str) -> None:
    """/ask, or the answer to the Ask button's question; the answer quotes it."""
    await messages.ask(context.svc, me(update), job_id, text)
    quoted = clip(rules.clean_text(text), QUOTE_MAX)
    await context.say(update, cards.tr(context, "ask-sent", job=job_id, text=quoted))


@handler
async def msg(update: Update, context: MarketContext) -> None:
    bid_id, text = _id_and_text(update, "args.msg")
    await send_message(update, context, bid_id, text)


async def send_message(update: Update, context: MarketContext, bid_id: int, text: str) -> None:
    """/msg, or the answer to the Message button's question."""
    await messages.message_bid(context.svc, me(update), bid_id, text)
    await context.say(update, cards.tr(context, "msg-sent", bid=bid_id))


@handler
async def relay_reply(update: Update, context: MarketContext) -> None:
    message = update.effective_message
    chat = update.effective_chat
    target = message.reply_to_message if message else None
    if message is None or chat is None or target is None:
        await send_hint(update, context)
        return
    thread = await messages.thread_of_reply(context.svc, chat.id, target.message_id)
    if thread is None:
        await send_hint(update, context)
        return
    await messages.reply(context.svc, me(update), thread, message.text or "")
    await context.say(update, context.t("reply-sent"))
