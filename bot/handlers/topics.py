"""Inside a dispute's topic of the moderator group (a forum): `/resolve release|refund|split
<percent> [note]` decides that dispute without naming its deal, and a moderator's message
(text, a file, a photo) is a note in the deal's history. `/resolve <deal> ...` still works
there as anywhere in the group; messages in other topics (or General) are left alone."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.domain import rules
from bot.domain.errors import InvalidInput
from bot.domain.numbers import entity_id
from bot.handlers.base import MarketContext, args_of, handler
from bot.handlers.deals import files_of
from bot.handlers.moderation import _decide, moderator_of
from bot.services import topics


async def _topic_deal(update: Update, context: MarketContext) -> int | None:
    """The deal of the dispute whose topic this message is in (in the moderator group)."""
    message = update.effective_message
    chat = update.effective_chat
    group = context.svc.settings.moderator_chat_id
    if message is None or chat is None or chat.id != group or not message.is_topic_message:
        return None
    if message.message_thread_id is None:
        return None
    found = await topics.dispute_of_thread(context.svc, chat.id, message.message_thread_id)
    return None if found is None else found[0]


@handler
async def _resolve_here(update: Update, context: MarketContext) -> bool:
    args = args_of(context)
    if args and entity_id(args[0]) is not None:
        return False  # /resolve <deal> ...: the group's own command
    deal_id = await _topic_deal(update, context)
    if deal_id is None:
        return False
    if not args:
        raise InvalidInput("mod.resolve_usage")
    outcome = args[0].lower()
    percent = None
    rest = args[1:]
    if outcome == "split":
        if not rest:
            raise InvalidInput("percent.invalid")
        percent = rules.parse_percent(rest[0])
        rest = rest[1:]
    await _decide(update, context, deal_id, outcome, percent, " ".join(rest))
    return True


async def resolve_here(update: Update, context: MarketContext) -> None:
    if await _resolve_here(update, context) is not False:
        raise ApplicationHandlerStop


@handler
async def _note(update: Update, context: MarketContext) -> bool:
    deal_id = await _topic_deal(update, context)
    if deal_id is None:
        return False
    message = update.effective_message
    assert message is not None
    mod = await moderator_of(update, context)
    text = message.text or message.caption or ""
    await topics.add_note(context.svc, mod, deal_id, text, files_of(message))
    return True


async def note(update: Update, context: MarketContext) -> None:
    """Kept, not answered: the topic itself shows the note to the other moderators."""
    if await _note(update, context) is not False:
        raise ApplicationHandlerStop


def topic_handlers() -> list[BaseHandler]:
    """Run before the group's ordinary handlers (a group of their own)."""
    in_topic = filters.ChatType.SUPERGROUP & filters.IS_TOPIC_MESSAGE
    content = (filters.TEXT & ~filters.COMMAND) | filters.Document.ALL | filters.PHOTO
    return [
        CommandHandler("resolve", resolve_here, filters=in_topic),
        MessageHandler(in_topic & content & ~filters.VIA_BOT, note),
    ]
