"""Inline mode: `@bot words` in any chat lists the open jobs those words find, exactly as
`/jobs words` would (a category first, in either language, then words; nothing: the newest),
PAGE at a time (Telegram asks for the next page with the `next_offset` we gave). Each result
posts the job with deep links into the bot: its card (`job_<id>`) and a bid (`bid_<id>`).

Results are in the asker's language, so they are personal (`is_personal`), and cached by
Telegram for CACHE_SECONDS: long enough for the few queries a person types while choosing,
short enough that a job posted or closed shows within a minute. Inline mode is switched on
in @BotFather (/setinline); the README says how.
"""

from __future__ import annotations

from telegram import InlineQueryResultArticle, InputTextMessageContent, Message, Update
from telegram.constants import ParseMode
from telegram.ext import ApplicationHandlerStop, filters

from bot.domain import rules
from bot.domain.numbers import whole
from bot.handlers.base import MarketContext, build_keyboard, handler
from bot.handlers.jobs import QUERY_MAX, _category_first
from bot.services import jobs
from bot.text import clip
from bot.views.inline import job_result

PAGE = 20  # results a page (Telegram takes at most 50)
CACHE_SECONDS = 30
OFFSET_MAX = 1000  # pages beyond this are not offered


@handler
async def inline_query(update: Update, context: MarketContext) -> None:
    query = update.inline_query
    if query is None:
        return
    text = clip(rules.clean_text(query.query), QUERY_MAX)
    offset = whole(query.offset or "0", 0, OFFSET_MAX) or 0
    found = await jobs.list_open_jobs(
        context.svc, _category_first(context, text), limit=PAGE + 1, offset=offset
    )
    results = []
    for job in found[:PAGE]:
        r = job_result(context, job, context.rt.bot_username)
        results.append(
            InlineQueryResultArticle(
                id=r.id,
                title=r.title,
                description=r.description,
                input_message_content=InputTextMessageContent(r.html, parse_mode=ParseMode.HTML),
                reply_markup=build_keyboard(context.rt, r.rows),
            )
        )
    more = len(found) > PAGE and offset + PAGE <= OFFSET_MAX
    await query.answer(
        results,
        cache_time=CACHE_SECONDS,
        is_personal=True,
        # None, not "": PTB 22 with Defaults sends an empty next_offset as "[]", which a
        # client would ask for as the next page (the first page again, for ever).
        next_offset=str(offset + PAGE) if more else None,
    )


class _ViaMe(filters.MessageFilter):
    """A message a person posted through this bot's inline mode."""

    def filter(self, message: Message) -> bool:
        return message.via_bot is not None and message.via_bot.id == message.get_bot().id


POSTED_VIA_ME = filters.ChatType.PRIVATE & _ViaMe(name="posted_via_me")


async def posted_via_me(update: Update, context: MarketContext) -> None:
    """A result chosen in the person's own chat with the bot is a message to no one: it is
    not answered (nor taken for a step of a flow)."""
    raise ApplicationHandlerStop
