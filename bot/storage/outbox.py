"""The outbox: notifications and Telegram side effects written in the causing transaction.

A row names a message key and its parameters, not rendered text: the dispatcher renders it in
the recipient's language when it sends. `method` is what the dispatcher does with it:
`send` a message, `edit` one it sent before (params carry the target), `invoice`, or
`refund_star` (params carry the charge id).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.storage.db import Tx


class Outbox:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def add(
        self,
        chat_id: int,
        key: str,
        params: dict[str, Any] | None = None,
        *,
        method: str = "send",
        ref: str | None = None,
        delay: int = 0,
    ) -> int:
        return await self.tx.insert(
            "INSERT INTO outbox (method, chat_id, key, params, ref, next_attempt_at, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                method,
                chat_id,
                key,
                json.dumps(params or {}, ensure_ascii=False, sort_keys=True),
                ref,
                self.tx.now + delay,
                self.tx.now,
            ),
        )

    async def due(self, now: int, limit: int = 100) -> list[dict[str, Any]]:
        """Due rows in id order, but none behind an earlier row of the same chat that waits
        for a retry: a chat's messages keep their order even when one of them failed. A
        refund (no message, retried for up to a day) holds back none of its chat's messages.
        Found through the index of pending rows; the table keeps every row ever sent."""
        rows = await self.tx.fetchall(
            "SELECT * FROM outbox o INDEXED BY outbox_pending"
            " WHERE o.state = 'pending' AND o.next_attempt_at <= ?"
            " AND NOT EXISTS (SELECT 1 FROM outbox h WHERE h.state = 'pending'"
            " AND h.next_attempt_at > ? AND h.chat_id = o.chat_id AND h.id < o.id"
            " AND h.method <> 'refund_star')"
            " ORDER BY o.id LIMIT ?",
            (now, now, limit),
        )
        return [_row(r) for r in rows]

    async def pending_count(self) -> int:
        row = await self.tx.fetchone("SELECT COUNT(*) AS n FROM outbox WHERE state = 'pending'")
        return int(row["n"])

    async def next_due_at(self) -> int | None:
        row = await self.tx.fetchone(
            "SELECT MIN(next_attempt_at) AS t FROM outbox WHERE state = 'pending'"
        )
        return None if row is None or row["t"] is None else int(row["t"])

    async def mark_sent(self, row_id: int, message_id: int | None) -> None:
        await self.tx.execute(
            "UPDATE outbox SET state = 'sent', sent_at = ?, message_id = ?, attempts = attempts + 1"
            " WHERE id = ? AND state = 'pending'",
            (self.tx.now, message_id, row_id),
        )

    async def progress(self, row_id: int, parts_sent: int, message_id: int | None) -> None:
        """Record that the first `parts_sent` calls of a many-part row went out."""
        await self.tx.execute(
            "UPDATE outbox SET parts_sent = ?, message_id = ? WHERE id = ? AND state = 'pending'",
            (parts_sent, message_id, row_id),
        )

    async def retry_later(self, row_id: int, at: int, error: str) -> None:
        await self.tx.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, error = ?"
            " WHERE id = ? AND state = 'pending'",
            (at, error[:500], row_id),
        )

    async def give_up(self, row_id: int, error: str, state: str = "gave_up") -> None:
        await self.tx.execute(
            "UPDATE outbox SET state = ?, attempts = attempts + 1, error = ?"
            " WHERE id = ? AND state = 'pending'",
            (state, error[:500], row_id),
        )

    async def sent_message(self, ref: str, chat_id: int) -> int | None:
        """The id of the latest message sent about `ref` to `chat_id` (to edit a card)."""
        row = await self.tx.fetchone(
            "SELECT message_id FROM outbox WHERE ref = ? AND chat_id = ? AND state = 'sent'"
            " AND message_id IS NOT NULL ORDER BY id DESC LIMIT 1",
            (ref, chat_id),
        )
        return None if row is None else int(row["message_id"])

    async def find_by_message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        row = await self.tx.fetchone(
            "SELECT * FROM outbox WHERE chat_id = ? AND message_id = ?", (chat_id, message_id)
        )
        return None if row is None else _row(row)


def _row(r: Any) -> dict[str, Any]:
    d = dict(r)
    d["params"] = json.loads(d["params"])
    return d
