"""Deadlines: every timed action lives in this table until it is done or cancelled."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.storage.db import Tx


class Deadlines:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def set(self, kind: str, subject_id: int, due_at: int) -> None:
        """Schedule (or move) the one pending deadline of this kind for this subject."""
        changed = await self.tx.update(
            "UPDATE deadlines SET due_at = ?"
            " WHERE kind = ? AND subject_id = ? AND state = 'pending'",
            (due_at, kind, subject_id),
        )
        if not changed:
            await self.tx.insert(
                "INSERT INTO deadlines (kind, subject_id, due_at, created_at) VALUES (?, ?, ?, ?)",
                (kind, subject_id, due_at, self.tx.now),
            )

    async def cancel(self, subject_id: int, *kinds: str) -> None:
        marks = ",".join("?" * len(kinds))
        await self.tx.execute(
            f"UPDATE deadlines SET state = 'cancelled', done_at = ?"
            f" WHERE subject_id = ? AND state = 'pending' AND kind IN ({marks})",
            (self.tx.now, subject_id, *kinds),
        )

    async def shift(self, subject_id: int, seconds: int, *kinds: str) -> None:
        """Move pending deadlines later (used by /extend and when a dispute ends)."""
        marks = ",".join("?" * len(kinds))
        await self.tx.execute(
            f"UPDATE deadlines SET due_at = due_at + ?"
            f" WHERE subject_id = ? AND state = 'pending' AND kind IN ({marks})",
            (seconds, subject_id, *kinds),
        )

    async def complete(self, deadline_id: int) -> bool:
        """Claim a due deadline; False if another worker already did (run it once)."""
        return bool(
            await self.tx.update(
                "UPDATE deadlines SET state = 'done', done_at = ?"
                " WHERE id = ? AND state = 'pending'",
                (self.tx.now, deadline_id),
            )
        )

    async def get(self, deadline_id: int) -> dict[str, Any] | None:
        row = await self.tx.fetchone("SELECT * FROM deadlines WHERE id = ?", (deadline_id,))
        return None if row is None else dict(row)

    async def pending(self, subject_id: int | None = None) -> list[dict[str, Any]]:
        if subject_id is None:
            rows = await self.tx.fetchall(
                "SELECT * FROM deadlines WHERE state = 'pending' ORDER BY due_at, id"
            )
        else:
            rows = await self.tx.fetchall(
                "SELECT * FROM deadlines WHERE state = 'pending' AND subject_id = ?"
                " ORDER BY due_at, id",
                (subject_id,),
            )
        return [dict(r) for r in rows]

    async def due(self, now: int, limit: int = 500) -> list[dict[str, Any]]:
        rows = await self.tx.fetchall(
            "SELECT * FROM deadlines WHERE state = 'pending' AND due_at <= ?"
            " ORDER BY due_at, id LIMIT ?",
            (now, limit),
        )
        return [dict(r) for r in rows]
