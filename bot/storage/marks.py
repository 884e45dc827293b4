"""How far the bot has read a stream it reconciles with (table sync_marks): its Star
transactions, which Telegram lists oldest first and only by offset."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.storage.db import Tx


@dataclass(frozen=True)
class Mark:
    position: int  # how many items of the stream have been looked at
    last_id: str | None  # the id of the last of them, to recognise the stream


class SyncMarks:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def get(self, name: str) -> Mark | None:
        row = await self.tx.fetchone(
            "SELECT position, last_id FROM sync_marks WHERE name = ?", (name,)
        )
        return None if row is None else Mark(int(row["position"]), row["last_id"])

    async def set(self, name: str, mark: Mark) -> None:
        await self.tx.execute(
            "INSERT INTO sync_marks (name, position, last_id, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(name) DO UPDATE SET position = excluded.position,"
            " last_id = excluded.last_id, updated_at = excluded.updated_at",
            (name, mark.position, mark.last_id, self.tx.now),
        )
