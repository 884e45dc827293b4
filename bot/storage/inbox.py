"""The inbox (migration 0012): updates stored before Telegram is told they arrived, handled
from here exactly once, one person at a time.

- `store` keeps an update unique by its `update_id`: a delivery Telegram repeats (its answer
  was lost, a timeout) is stored once.
- An update is handled when `mark_handled` ran in the transaction of the handling's effects
  (bot/updates.py arranges that through bot/storage/db.py's write hook). The mark is
  conditional: an update already marked is refused (`AlreadyHandled`), and that rolls the
  second handling's effects back, whoever (which process) tried.
- A person's turn (`inbox_turns`): whoever holds it handles that person's updates, oldest
  first, one at a time. A turn is taken only when free or when its lease has ended, renewed
  while its holder lives (`renew_turns`), and given back only when the person has nothing
  unhandled left (`release_turn` checks in the same statement), so an update stored while
  its person's turn is being given back is never left without a holder. On PostgreSQL
  (READ COMMITTED, concurrent writers) that check alone could miss an update another
  instance is storing at that moment: `store` and `release_turn` both lock the person's
  `inbox_turns` row first (`lock_turns`), so one waits for the other and the release's
  check, a statement after the lock, sees what the store committed (or the store, after
  the release, finds the turn free and takes it). On SQLite a write transaction already
  excludes every other, and the lock is nothing.
- An answer owed (migration 0021): the mark of a handling that has yet to answer sets
  `answer_owed`; the handling's closing transaction clears it (`answered`). One left set by
  a handling that is over (its process killed between the commit and the answer) is taken
  once cluster-wide (`settle_orphan`, conditional) by whoever tells the person
  (bot/services/lost_answers.py).

Every statement is an index lookup or a range bounded by a LIMIT; the SQL is portable (upserts
with `ON CONFLICT`, partial indexes).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.storage.db import Tx

LEASE = 30  # seconds a turn holds a person without renewal
RETENTION = 2 * 86400  # handled updates are kept this long (Telegram repeats within a day)


class AlreadyHandled(Exception):
    """The update was marked handled by someone else: this handling's effects roll back."""

    def __init__(self, update_id: int) -> None:
        super().__init__(f"update {update_id} was already handled")
        self.update_id = update_id


class Inbox:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    # -- updates ------------------------------------------------------------------------------

    async def store(self, rows: Sequence[tuple[int, int, str]]) -> None:
        """Keep (update_id, person_id, payload JSON) rows; ones already there are left as
        they are. The people's turns are locked first (see the module's docstring)."""
        await self.lock_turns(p for _u, p, _payload in rows)
        await self.tx.executemany(
            "INSERT INTO inbox (update_id, person_id, payload, received_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (update_id) DO NOTHING",
            [(u, p, payload, self.tx.now) for u, p, payload in rows],
        )

    async def get(self, update_id: int) -> dict[str, Any] | None:
        row = await self.tx.fetchone("SELECT * FROM inbox WHERE update_id = ?", (update_id,))
        return None if row is None else dict(row)

    async def next_for(self, person_id: int, holder: str) -> dict[str, Any] | None:
        """The person's oldest unhandled update, if `holder` holds the person's turn."""
        row = await self.tx.fetchone(
            "SELECT i.update_id, i.payload FROM inbox i"
            " JOIN inbox_turns t ON t.person_id = i.person_id AND t.holder = ?"
            " WHERE i.person_id = ? AND i.handled_at IS NULL ORDER BY i.update_id LIMIT 1",
            (holder, person_id),
        )
        return None if row is None else dict(row)

    async def has_unhandled(self, person_id: int) -> bool:
        row = await self.tx.fetchone(
            "SELECT 1 FROM inbox WHERE person_id = ? AND handled_at IS NULL LIMIT 1",
            (person_id,),
        )
        return row is not None

    async def mark_handled(self, update_id: int, holder: str, *, owed: bool = False) -> None:
        """Mark the update handled in the current transaction; `AlreadyHandled` if it was.
        `owed`: the handling has yet to answer (its answer is owed until `answered`)."""
        changed = await self.tx.update(
            "UPDATE inbox SET handled_at = ?, handled_by = ?, answer_owed = ? WHERE update_id = ?"
            " AND handled_at IS NULL",
            (self.tx.now, holder, self.tx.now if owed else None, update_id),
        )
        if not changed:
            raise AlreadyHandled(update_id)

    async def answered(self, update_id: int) -> None:
        """The handling ended (its answer sent or queued, or none): nothing is owed."""
        await self.tx.execute(
            "UPDATE inbox SET answer_owed = NULL WHERE update_id = ? AND answer_owed IS NOT NULL",
            (update_id,),
        )

    async def owed_orphans(self, holder: str, limit: int = 100) -> list[dict[str, Any]]:
        """Updates whose answer is owed by a handling that is over without saying so: its
        handler no longer holds the person's turn (its process is gone and the turn freed,
        or the lease ended), or it is `holder` itself (the caller checks that the handling
        is not in hand). Oldest first."""
        rows = await self.tx.fetchall(
            "SELECT i.update_id, i.person_id, i.payload, i.handled_by FROM inbox i"
            " WHERE i.answer_owed IS NOT NULL AND (i.handled_by = ? OR NOT EXISTS"
            " (SELECT 1 FROM inbox_turns t WHERE t.person_id = i.person_id"
            " AND t.holder = i.handled_by AND t.lease_until >= ?))"
            " ORDER BY i.update_id LIMIT ?",
            (holder, self.tx.now, limit),
        )
        return [dict(r) for r in rows]

    async def settle_orphan(self, update_id: int, mine: str | None = None) -> bool:
        """Take the owed answer of a handling that is over (checked again here, under the
        row's lock, so only one transaction cluster-wide wins); `mine`: the caller's name,
        when the handling was its own and it knows the handling is not in hand."""
        changed = await self.tx.update(
            "UPDATE inbox SET answer_owed = NULL WHERE update_id = ? AND answer_owed IS NOT NULL"
            " AND (handled_by = ? OR NOT EXISTS (SELECT 1 FROM inbox_turns t"
            " WHERE t.person_id = inbox.person_id AND t.holder = inbox.handled_by"
            " AND t.lease_until >= ?))",
            (update_id, mine or "", self.tx.now),
        )
        return changed > 0

    async def waiting(self, holder: str, limit: int) -> list[int]:
        """People with unhandled updates whose turn is free, ended, or `holder`'s own, the
        longest waiting first."""
        rows = await self.tx.fetchall(
            "SELECT i.person_id, MIN(i.update_id) AS first FROM inbox i"
            " LEFT JOIN inbox_turns t ON t.person_id = i.person_id"
            " WHERE i.handled_at IS NULL"
            " AND (t.person_id IS NULL OR t.lease_until < ? OR t.holder = ?)"
            " GROUP BY i.person_id ORDER BY first LIMIT ?",
            (self.tx.now, holder, limit),
        )
        return [int(r["person_id"]) for r in rows]

    async def prune(self, limit: int = 1000, retention: int = RETENTION) -> int:
        """Forget handled updates older than `retention` seconds (a batch of `limit`)."""
        return await self.tx.update(
            "DELETE FROM inbox WHERE update_id IN (SELECT update_id FROM inbox"
            " WHERE received_at < ? AND handled_at IS NOT NULL AND answer_owed IS NULL"
            " ORDER BY received_at LIMIT ?)",
            (self.tx.now - retention, limit),
        )

    # -- turns --------------------------------------------------------------------------------

    async def take_turn(self, person_id: int, holder: str, lease: int = LEASE) -> bool:
        """Take the person's turn if it is free, ended, or already `holder`'s."""
        changed = await self.tx.update(
            "INSERT INTO inbox_turns (person_id, holder, lease_until) VALUES (?, ?, ?)"
            " ON CONFLICT (person_id) DO UPDATE SET holder = excluded.holder,"
            " lease_until = excluded.lease_until"
            " WHERE inbox_turns.lease_until < ? OR inbox_turns.holder = excluded.holder",
            (person_id, holder, self.tx.now + lease, self.tx.now),
        )
        return changed > 0

    async def lock_turns(self, persons: Iterable[int]) -> None:
        """Lock these people's turn rows until the transaction ends (PostgreSQL; in id
        order, so two transactions locking several never wait for each other in a circle).
        Nothing on SQLite, whose write transaction holds the whole database."""
        if not self.tx.locks_rows:
            return
        ids = sorted({int(p) for p in persons})
        if not ids:
            return
        await self.tx.fetchall(
            f"SELECT person_id FROM inbox_turns WHERE person_id IN ({self.tx.dialect.id_list()})"
            f" ORDER BY person_id{self.tx.for_update}",
            (json.dumps(ids),),
        )

    async def release_turn(self, person_id: int, holder: str) -> bool:
        """Give the turn back, only if the person has nothing unhandled left (checked once
        the turn is locked: an update being stored meanwhile is seen)."""
        await self.lock_turns((person_id,))
        changed = await self.tx.update(
            "DELETE FROM inbox_turns WHERE person_id = ? AND holder = ? AND NOT EXISTS"
            " (SELECT 1 FROM inbox WHERE person_id = ? AND handled_at IS NULL)",
            (person_id, holder, person_id),
        )
        return changed > 0

    async def holds_turn(self, person_id: int, holder: str) -> bool:
        row = await self.tx.fetchone(
            "SELECT 1 FROM inbox_turns WHERE person_id = ? AND holder = ?", (person_id, holder)
        )
        return row is not None

    async def _lock_holders_turns(self, holder: str) -> None:
        """PostgreSQL: `holder`'s turn rows locked in id order, as `lock_turns` locks them (an
        UPDATE locks in the order it finds them, and could wait in a circle with intake)."""
        if self.tx.locks_rows:
            await self.tx.fetchall(
                "SELECT person_id FROM inbox_turns WHERE holder = ? ORDER BY person_id"
                + self.tx.for_update,
                (holder,),
            )

    async def renew_turns(self, holder: str, lease: int = LEASE) -> int:
        await self._lock_holders_turns(holder)
        return await self.tx.update(
            "UPDATE inbox_turns SET lease_until = ? WHERE holder = ?",
            (self.tx.now + lease, holder),
        )

    async def drop_turns(self, holder: str) -> int:
        """Every turn of `holder` (it stops, or its process is gone): free at once."""
        await self._lock_holders_turns(holder)
        return await self.tx.update("DELETE FROM inbox_turns WHERE holder = ?", (holder,))

    async def holders(self) -> list[str]:
        rows = await self.tx.fetchall("SELECT DISTINCT holder FROM inbox_turns")
        return [r["holder"] for r in rows]
