"""The audit trail (migration 0013): moderator and admin decisions, append-only.

Each decision is written by the service that makes it, in the transaction that makes it, so a
decision and its record commit or roll back together. Triggers refuse UPDATE and DELETE.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.storage.db import Tx


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: int
    actor_id: int | None  # None: the operator (the environment), not a person in the bot
    action: str
    subject: str
    subject_id: int | None
    user_id: int | None
    reason: str
    details: dict[str, Any]


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=int(row["id"]),
        at=int(row["at"]),
        actor_id=row["actor_id"],
        action=row["action"],
        subject=row["subject"],
        subject_id=row["subject_id"],
        user_id=row["user_id"],
        reason=row["reason"],
        details=json.loads(row["details"] or "{}"),
    )


class AuditTrail:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def add(
        self,
        actor_id: int | None,
        action: str,
        subject: str,
        subject_id: int | None = None,
        *,
        user_id: int | None = None,
        reason: str = "",
        details: dict[str, Any] | None = None,
    ) -> int:
        return await self.tx.insert(
            "INSERT INTO audit_log (at, actor_id, action, subject, subject_id, user_id, reason,"
            " details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.tx.now,
                actor_id,
                action,
                subject,
                subject_id,
                user_id,
                reason,
                json.dumps(details or {}, ensure_ascii=False, sort_keys=True),
            ),
        )

    async def latest(self, subject: str) -> AuditEntry | None:
        row = await self.tx.fetchone(
            "SELECT * FROM audit_log WHERE subject = ? ORDER BY id DESC LIMIT 1",
            (subject,),
        )
        return None if row is None else _entry(row)

    async def page(self, limit: int, offset: int = 0) -> list[AuditEntry]:
        """Everything, newest first."""
        rows = await self.tx.fetchall(
            "SELECT * FROM audit_log ORDER BY id DESC LIMIT ? OFFSET ?", (limit, offset)
        )
        return [_entry(r) for r in rows]

    async def about(
        self, subject: str, subject_id: int, limit: int, offset: int = 0
    ) -> list[AuditEntry]:
        """One deal's, job's or payout's entries, newest first."""
        rows = await self.tx.fetchall(
            "SELECT * FROM audit_log WHERE subject = ? AND subject_id = ?"
            " ORDER BY id DESC LIMIT ? OFFSET ?",
            (subject, subject_id, limit, offset),
        )
        return [_entry(r) for r in rows]

    async def of_person(self, user_id: int, limit: int, offset: int = 0) -> list[AuditEntry]:
        """What concerns a person, newest first: decisions about them (a ban, their payouts,
        their jobs), about the deals they are a party to, and the decisions they made."""
        rows = await self.tx.fetchall(
            "SELECT * FROM audit_log WHERE id IN ("
            " SELECT id FROM audit_log WHERE user_id = ?1"
            " UNION SELECT id FROM audit_log WHERE actor_id = ?1"
            " UNION SELECT a.id FROM audit_log a JOIN deals d"
            "  ON a.subject = 'deal' AND a.subject_id = d.id"
            "  WHERE d.client_id = ?1 OR d.freelancer_id = ?1)"
            " ORDER BY id DESC LIMIT ?2 OFFSET ?3",
            (user_id, limit, offset),
        )
        return [_entry(r) for r in rows]
