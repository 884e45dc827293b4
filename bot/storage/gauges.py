"""What /metrics reads from the database at scrape time: each figure one indexed query.

- outbox depth and oldest row per lane: a count over `outbox_lane_pending` (lane, id) of the
  pending rows and its first id (migration 0013);
- deadlines: pending (the partial index `deadlines_due`), due and overdue (ranges of it up to
  now), backing off (`deadlines_backed_off`), the scheduler's lag (its first due entry);
- money held per account kind and currency: `ledger_accounts_held`, which holds only the
  accounts with money in them (running deals' escrow, not every deal's).
bench figures: README, "Metrics and health".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.storage.db import Tx

OVERDUE_AFTER = 60  # seconds past its due time a deadline counts as overdue
HELD_KINDS = ("escrow", "user", "payable", "refund_pending", "fees")


@dataclass
class Gauges:
    outbox_depth: dict[int, int] = field(default_factory=dict)  # lane -> rows
    outbox_age: dict[int, int] = field(default_factory=dict)  # lane -> seconds
    deadlines_pending: int = 0
    deadlines_due: int = 0
    deadlines_overdue: int = 0
    deadlines_backing_off: int = 0
    scheduler_lag: int = 0
    money: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, currency)
    currencies: list[str] = field(default_factory=list)  # every currency with an account


async def read_gauges(tx: Tx) -> Gauges:
    now = tx.now
    g = Gauges()
    for row in await tx.fetchall(
        "SELECT lane, COUNT(*) AS n, MIN(id) AS first FROM outbox WHERE state = 'pending'"
        " GROUP BY lane"
    ):
        g.outbox_depth[int(row["lane"])] = int(row["n"])
        first = await tx.fetchone("SELECT created_at FROM outbox WHERE id = ?", (row["first"],))
        if first is not None:
            g.outbox_age[int(row["lane"])] = max(0, now - int(first["created_at"]))
    g.deadlines_pending = await _count(
        tx, "SELECT COUNT(*) AS n FROM deadlines WHERE state = 'pending'"
    )
    g.deadlines_due = await _count(
        tx, "SELECT COUNT(*) AS n FROM deadlines WHERE state = 'pending' AND due_at <= ?", now
    )
    g.deadlines_overdue = await _count(
        tx,
        "SELECT COUNT(*) AS n FROM deadlines WHERE state = 'pending' AND due_at <= ?",
        now - OVERDUE_AFTER,
    )
    g.deadlines_backing_off = await _count(
        tx,
        "SELECT COUNT(*) AS n FROM deadlines WHERE state = 'pending'"
        " AND retry_at > 0 AND retry_at > ?",  # (retry_at > 0: its partial index)
        now,
    )
    oldest = await tx.fetchone(
        "SELECT MIN(due_at) AS first FROM deadlines WHERE state = 'pending' AND due_at <= ?"
        " AND retry_at <= ?",
        (now, now),
    )
    if oldest is not None and oldest["first"] is not None:
        g.scheduler_lag = max(0, now - int(oldest["first"]))
    marks = ",".join("?" * (len(HELD_KINDS) + 1))
    for row in await tx.fetchall(
        "SELECT kind, currency, SUM(balance) AS total FROM ledger_accounts"
        f" WHERE balance <> 0 AND kind IN ({marks}) GROUP BY kind, currency",
        (*HELD_KINDS, "world_in"),
    ):
        if row["kind"] == "world_in":  # money came in: the currency is in use
            g.currencies.append(row["currency"])
        else:
            g.money[(row["kind"], row["currency"])] = int(row["total"])
    return g


async def _count(tx: Tx, sql: str, *params: int) -> int:
    row = await tx.fetchone(sql, params)
    return int(row["n"]) if row is not None else 0
