"""The dispatcher's side of forum topics (bot/services/topics.py queues them).

- `create_topic`: getChat (remembered for FORUM_CACHE_S) says whether the group is a forum; if
  it is, createForumTopic with the name the row renders to, and the topic's thread id is what
  the row records as its message id. In a plain group the row is done with nothing sent.
- `edit_topic`, `close_topic`: editForumTopic (the rendered name) and closeForumTopic on the
  topic the row's ref names; nothing when it has none (a plain group, or a topic never made).
  TOPIC_NOT_MODIFIED (done already: a retry after a lost answer) counts as done.
- `thread_of`: the topic a row's `topic` parameter names, for the message_thread_id of a
  message sent about it.

A 429, an outage or a restart is the dispatcher's usual business: the row is retried. A topic
made but whose answer was lost is made again on the retry (at least once, like a message).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from telegram.error import BadRequest

if TYPE_CHECKING:
    from bot.notify import Claim, Dispatcher
    from bot.runtime import Runtime

METHODS = ("create_topic", "edit_topic", "close_topic")
FORUM_CACHE_S = 600.0
NAME_MAX = 128


async def thread_of(rt: Runtime, row: dict[str, Any]) -> int | None:
    topic = row["params"].get("topic")
    if not isinstance(topic, str):
        return None
    async with rt.svc.read() as tx:
        return await tx.outbox.sent_message(topic, int(row["chat_id"]))


async def is_forum(dispatcher: Dispatcher, chat_id: int) -> bool:
    cache: dict[int, tuple[bool, float]] = dispatcher.__dict__.setdefault("_forums", {})
    hit = cache.get(chat_id)
    if hit is not None and hit[1] > time.monotonic():
        return hit[0]
    chat = await dispatcher.bot.get_chat(chat_id)
    forum = bool(getattr(chat, "is_forum", False))
    cache[chat_id] = (forum, time.monotonic() + FORUM_CACHE_S)
    return forum


async def call(dispatcher: Dispatcher, claim: Claim, locale: str) -> int | None:
    """Perform a topic row; returns the thread id of a topic it created."""
    row = claim.row
    chat_id = claim.chat_id
    method = row["method"]
    bot = dispatcher.bot
    if method == "create_topic":
        if not await is_forum(dispatcher, chat_id):
            return None
        out = await dispatcher.render(dispatcher.rt, row, locale)
        await dispatcher._pace(claim)
        topic = await bot.create_forum_topic(chat_id, name=out.text[:NAME_MAX])
        return topic.message_thread_id
    async with dispatcher.rt.svc.read() as tx:
        thread = await tx.outbox.sent_message(row["ref"], chat_id) if row["ref"] else None
    if thread is None:
        return None
    name = None
    if method == "edit_topic":
        name = (await dispatcher.render(dispatcher.rt, row, locale)).text[:NAME_MAX]
    await dispatcher._pace(claim)
    try:
        if name is not None:
            await bot.edit_forum_topic(chat_id, thread, name=name)
        else:
            await bot.close_forum_topic(chat_id, thread)
    except BadRequest as exc:
        if "topic_not_modified" not in str(exc).lower():
            raise
    return None
