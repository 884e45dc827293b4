"""Direct answers that Telegram would not take at once, after their change was committed.

The change is done (a bid placed, a deal released) and the person must hear so, truly: the
answer as it was rendered goes into the outbox, which retries for as long as Telegram
refuses (429s, network errors) and sends it in the first lane, ahead of any backlog.
"""

from __future__ import annotations

from typing import Any

from bot.services.base import Services

REPLY_KEY = "reply.text"


async def queue_reply(svc: Services, chat_id: int, text: str, rows: Any = None) -> int:
    """An outbox row with the rendered HTML `text` and its keyboard `rows` (JSON)."""
    async with svc.tx() as tx:
        return await tx.outbox.add(chat_id, REPLY_KEY, {"text": text, "rows": rows or []})
