"""Answers lost between a handling's commit and its answer: the person is told, once.

An update's handling commits its effects together with the inbox mark, then answers (a
message sent directly, or queued in the outbox when Telegram will not take it), then closes
(bot/updates.py). The mark records that the answer is owed and the closing transaction
clears it (bot/storage/inbox.py, migration 0021). A handling killed in between leaves it
owed: the update is not handled again (its effects are there, once), and the answer may
never have left. `settle` finds such updates whose handler is over (its process gone and
its turns freed, its lease ended, or this runner's own handling that closed without
clearing it) and queues one message in the person's language, quoting what they sent, that
it was received and done but its answer was lost, and where to see how things stand. The
queuing is conditional (`Inbox.settle_orphan`), so however many instances look at once, one
message is queued.

A kill after the answer left but before the closing transaction gives the person both the
answer and this message: a spurious notice, never a missing answer.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from typing import Any

from bot.services.base import Services
from bot.text import clip

log = logging.getLogger(__name__)

LOST_KEY = "reply.lost"
EXCERPT = 60  # characters of what the person sent, quoted in the message
BATCH = 100  # owed answers looked at per pass


def what_was_sent(payload: str) -> tuple[int | None, str, str]:
    """From a stored update's JSON: the chat to tell (None: no one), what kind of thing
    the person sent (message, button, payment, other) and a short excerpt of it (plain
    text; the message escapes it)."""
    try:
        data: dict[str, Any] = json.loads(payload)
    except ValueError:
        return None, "other", ""
    query = data.get("callback_query")
    if isinstance(query, dict):
        message = query.get("message") or {}
        chat = (message.get("chat") or {}).get("id") or (query.get("from") or {}).get("id")
        return _int(chat), "button", clip(_label(message, query.get("data")), EXCERPT)
    for field in ("message", "edited_message", "business_message"):
        message = data.get(field)
        if isinstance(message, dict):
            chat = _int((message.get("chat") or {}).get("id"))
            if message.get("successful_payment"):
                return chat, "payment", ""
            said = message.get("text") or message.get("caption") or ""
            return chat, ("message" if said else "other"), clip(str(said), EXCERPT)
    for value in data.values():  # any other kind: its sender, if it names one
        if isinstance(value, dict) and isinstance(value.get("from"), dict):
            return _int(value["from"].get("id")), "other", ""
    return None, "other", ""


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _label(message: dict[str, Any], data: Any) -> str:
    """The pressed button's label, from the message it was on."""
    markup = message.get("reply_markup") or {}
    for row in markup.get("inline_keyboard") or []:
        for button in row or []:
            if isinstance(button, dict) and button.get("callback_data") == data:
                return str(button.get("text") or "")
    return ""


async def settle(svc: Services, holder: str, in_hand: Collection[int] = ()) -> int:
    """Tell the people whose answers are owed by handlings that are over (`holder`: the
    caller's runner; `in_hand`: the people it is handling now, whose owed answers are still
    coming). The number of messages queued."""
    async with svc.read() as tx:
        rows = await tx.inbox.owed_orphans(holder, BATCH)
    told = 0
    for row in rows:
        mine = row["handled_by"] == holder
        if mine and int(row["person_id"]) in in_hand:
            continue  # this runner's handling of it is still going
        chat, kind, said = what_was_sent(str(row["payload"]))
        update_id = int(row["update_id"])
        async with svc.tx() as tx:
            if not await tx.inbox.settle_orphan(update_id, holder if mine else None):
                continue  # the handling closed meanwhile, or another instance took it
            if chat is None:
                continue
            await tx.outbox.add(chat, LOST_KEY, {"kind": kind, "said": said, "update": update_id})
        told += 1
    if told:
        log.warning("told %s people that an answer of theirs was lost in a restart", told)
    return told
