"""The Mini App's job drafts (migration 0020): one a person, the form as JSON text."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.storage.db import Tx


class DraftsRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def get(self, user_id: int) -> dict[str, Any] | None:
        row = await self.tx.fetchone(
            "SELECT data FROM miniapp_drafts WHERE user_id = ?", (user_id,)
        )
        if row is None:
            return None
        data = json.loads(row["data"] or "{}")
        return data if isinstance(data, dict) else {}

    async def put(self, user_id: int, data: dict[str, Any]) -> None:
        await self.tx.execute(
            "INSERT INTO miniapp_drafts (user_id, data, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET data = excluded.data,"
            " updated_at = excluded.updated_at",
            (user_id, json.dumps(data, ensure_ascii=False), self.tx.now),
        )

    async def drop(self, user_id: int) -> None:
        await self.tx.execute("DELETE FROM miniapp_drafts WHERE user_id = ?", (user_id,))
