"""Deadlines: every timed action lives in this table until it is done, cancelled, or given up
after failing too often (state 'failed'; see bot.services.timers for the backoff)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.storage.db import Tx


class Deadlines:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx
        self._by = tx.dialect.indexed_by

    async def set(self, kind: str, subject_id: int, due_at: int) -> None:
        """Schedule (or move) the one pending deadline of this kind for this subject; a
        moved one starts over (its failed attempts were about the old schedule)."""
        # One statement (an upsert on the partial unique index deadlines_one_pending), so
        # that two transactions setting the same deadline at once never both insert.
        await self.tx.execute(
            "INSERT INTO deadlines (kind, subject_id, due_at, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (kind, subject_id) WHERE state = 'pending' DO UPDATE SET"
            " due_at = excluded.due_at, attempts = 0, retry_at = 0, last_error = NULL",
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
        """Pending deadlines due now, oldest first, except those backing off after a failure
        (so that rows which keep failing never fill the batch)."""
        rows = await self.tx.fetchall(
            "SELECT * FROM deadlines"
            f"{self._by('deadlines_due')}"
            " WHERE state = 'pending' AND due_at <= ? AND retry_at <= ?"
            " ORDER BY due_at, id LIMIT ?",
            (now, now, limit),
        )
        return [dict(r) for r in rows]

    async def next_due_at(self) -> int | None:
        """When the next pending deadline may run: the earliest due time of one that never
        failed, or the end of a backoff (whichever comes first)."""
        first = await self.tx.fetchone(
            "SELECT due_at FROM deadlines"
            f"{self._by('deadlines_due')}"
            " WHERE state = 'pending' AND retry_at = 0 ORDER BY due_at LIMIT 1"
        )
        retry = await self.tx.fetchone(
            "SELECT MIN(CASE WHEN due_at > retry_at THEN due_at ELSE retry_at END) AS t"
            f" FROM deadlines{self._by('deadlines_backed_off')}"
            " WHERE state = 'pending' AND retry_at > 0"
        )
        times = [r[0] for r in (first, retry) if r is not None and r[0] is not None]
        return min(times) if times else None

    async def back_off(self, deadline_id: int, attempts: int, error: str, retry_at: int) -> bool:
        """Record a failed run; the row stays pending and is not run again before retry_at."""
        return bool(
            await self.tx.update(
                "UPDATE deadlines SET attempts = ?, last_error = ?, retry_at = ?"
                " WHERE id = ? AND state = 'pending'",
                (attempts, error, retry_at, deadline_id),
            )
        )

    async def give_up(self, deadline_id: int, attempts: int, error: str) -> bool:
        """Stop retrying: the row is kept, 'failed', for the audit and the moderators."""
        return bool(
            await self.tx.update(
                "UPDATE deadlines SET state = 'failed', done_at = ?, attempts = ?,"
                " last_error = ? WHERE id = ? AND state = 'pending'",
                (self.tx.now, attempts, error, deadline_id),
            )
        )

    async def unalerted(self, *, lock: bool = False) -> tuple[dict[str, Any] | None, int]:
        """The oldest given-up deadline the moderators were not told about, and how many
        such there are (`lock`: the rows stay locked until the commit)."""
        if lock and self.tx.locks_rows:
            await self.tx.fetchall(
                "SELECT id FROM deadlines WHERE state = 'failed' AND alerted_at IS NULL"
                " ORDER BY id FOR UPDATE"
            )
        row = await self.tx.fetchone(
            "SELECT * FROM deadlines"
            f"{self._by('deadlines_failed')}"
            " WHERE state = 'failed' AND alerted_at IS NULL ORDER BY id LIMIT 1"
        )
        if row is None:
            return None, 0
        count = await self.tx.fetchone(
            "SELECT COUNT(*) FROM deadlines"
            f"{self._by('deadlines_failed')}"
            " WHERE state = 'failed' AND alerted_at IS NULL"
        )
        assert count is not None
        return dict(row), int(count[0])

    async def last_alert_at(self) -> int | None:
        row = await self.tx.fetchone(
            "SELECT MAX(alerted_at) FROM deadlines"
            f"{self._by('deadlines_failed')}"
            " WHERE state = 'failed'"
        )
        return None if row is None or row[0] is None else int(row[0])

    async def mark_alerted(self) -> int:
        """Every given-up deadline not yet told about is told about now."""
        return await self.tx.update(
            "UPDATE deadlines SET alerted_at = ? WHERE state = 'failed' AND alerted_at IS NULL",
            (self.tx.now,),
        )

    async def failed(self) -> list[dict[str, Any]]:
        """Every deadline given up (for the audit)."""
        rows = await self.tx.fetchall(
            f"SELECT * FROM deadlines{self._by('deadlines_failed')}"
            " WHERE state = 'failed' ORDER BY id"
        )
        return [dict(r) for r in rows]
