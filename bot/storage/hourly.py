"""Hourly contracts' rows (migration 0018): bid terms, contract terms, weeks, time entries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.storage.db import Tx

# A week's states: awaiting_funding (its invoice is out) -> funded (time is logged) ->
# review (edits are over, the client approves or disputes) -> approved | disputed ->
# resolved. A week that ends unpaid is unfunded. Settled weeks pay nothing more.
HELD = ("funded", "review", "disputed")  # weeks whose limit the escrow holds
SETTLED = ("approved", "resolved", "unfunded")


@dataclass(frozen=True)
class Contract:
    deal_id: int
    rate: int
    weekly_minutes: int
    ended_at: int | None
    ended_by: int | None


@dataclass(frozen=True)
class Week:
    id: int
    deal_id: int
    starts_at: int
    state: str
    limit_amount: int
    invoice_amount: int
    charge_id: str | None
    funded_at: int | None
    closes_at: int
    edit_ends_at: int
    review_ends_at: int
    minutes: int
    paid: int
    fee: int
    dispute_id: int | None
    settled_at: int | None
    settled_by: int | None


@dataclass(frozen=True)
class Entry:
    id: int
    week_id: int
    deal_id: int
    user_id: int
    minutes: int
    note: str
    created_at: int
    updated_at: int


def _week(row: Any) -> Week:
    return Week(**{k: row[k] for k in Week.__dataclass_fields__})


class HourlyRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    # --- bids --------------------------------------------------------------------------
    async def set_bid_terms(self, bid_id: int, weekly_minutes: int | None) -> None:
        """An hourly bid's weekly limit; None makes the bid a fixed one again."""
        await self.tx.execute("DELETE FROM hourly_bids WHERE bid_id = ?", (bid_id,))
        if weekly_minutes is not None:
            await self.tx.execute(
                "INSERT INTO hourly_bids (bid_id, weekly_minutes) VALUES (?, ?)",
                (bid_id, weekly_minutes),
            )

    async def bid_terms(self, bid_id: int) -> int | None:
        row = await self.tx.fetchone(
            "SELECT weekly_minutes FROM hourly_bids WHERE bid_id = ?", (bid_id,)
        )
        return None if row is None else int(row[0])

    # --- contracts ---------------------------------------------------------------------
    async def create_contract(self, deal_id: int, rate: int, weekly_minutes: int) -> None:
        await self.tx.execute("UPDATE deals SET kind = 'hourly' WHERE id = ?", (deal_id,))
        await self.tx.execute(
            "INSERT INTO hourly_contracts (deal_id, rate, weekly_minutes) VALUES (?, ?, ?)",
            (deal_id, rate, weekly_minutes),
        )

    async def contract(self, deal_id: int) -> Contract | None:
        row = await self.tx.fetchone("SELECT * FROM hourly_contracts WHERE deal_id = ?", (deal_id,))
        if row is None:
            return None
        return Contract(
            row["deal_id"], row["rate"], row["weekly_minutes"], row["ended_at"], row["ended_by"]
        )

    async def end_contract(self, deal_id: int, by: int | None) -> bool:
        return bool(
            await self.tx.update(
                "UPDATE hourly_contracts SET ended_at = ?, ended_by = ?"
                " WHERE deal_id = ? AND ended_at IS NULL",
                (self.tx.now, by, deal_id),
            )
        )

    # --- weeks -------------------------------------------------------------------------
    async def create_week(self, deal_id: int, starts_at: int, **fields: Any) -> Week:
        cols = ["deal_id", "starts_at", *fields]
        week_id = await self.tx.insert(
            f"INSERT INTO hourly_weeks ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            (deal_id, starts_at, *fields.values()),
        )
        week = await self.week(week_id)
        assert week is not None
        return week

    async def week(self, week_id: int) -> Week | None:
        row = await self.tx.fetchone("SELECT * FROM hourly_weeks WHERE id = ?", (week_id,))
        return None if row is None else _week(row)

    async def week_at(self, deal_id: int, starts_at: int) -> Week | None:
        row = await self.tx.fetchone(
            "SELECT * FROM hourly_weeks WHERE deal_id = ? AND starts_at = ?", (deal_id, starts_at)
        )
        return None if row is None else _week(row)

    async def weeks(self, deal_id: int) -> list[Week]:
        rows = await self.tx.fetchall(
            "SELECT * FROM hourly_weeks WHERE deal_id = ? ORDER BY starts_at", (deal_id,)
        )
        return [_week(r) for r in rows]

    async def by_dispute(self, dispute_id: int) -> Week | None:
        row = await self.tx.fetchone(
            "SELECT * FROM hourly_weeks WHERE dispute_id = ?", (dispute_id,)
        )
        return None if row is None else _week(row)

    async def move_week(self, week_id: int, expect: str, new: str, **fields: Any) -> bool:
        """The conditional write every week change goes through."""
        sets = ", ".join(["state = ?", *(f"{k} = ?" for k in fields)])
        return bool(
            await self.tx.update(
                f"UPDATE hourly_weeks SET {sets} WHERE id = ? AND state = ?",
                (new, *fields.values(), week_id, expect),
            )
        )

    async def set_week(self, week_id: int, expect: str, **fields: Any) -> bool:
        sets = ", ".join(f"{k} = ?" for k in fields)
        return bool(
            await self.tx.update(
                f"UPDATE hourly_weeks SET {sets} WHERE id = ? AND state = ?",
                (*fields.values(), week_id, expect),
            )
        )

    # --- time entries ------------------------------------------------------------------
    async def add_entry(self, week: Week, user_id: int, minutes: int, note: str) -> int:
        entry_id = await self.tx.insert(
            "INSERT INTO hourly_entries (week_id, deal_id, user_id, minutes, note, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (week.id, week.deal_id, user_id, minutes, note, self.tx.now, self.tx.now),
        )
        await self._recount(week.id)
        return entry_id

    async def entry(self, entry_id: int) -> Entry | None:
        row = await self.tx.fetchone("SELECT * FROM hourly_entries WHERE id = ?", (entry_id,))
        if row is None:
            return None
        return Entry(**{k: row[k] for k in Entry.__dataclass_fields__})

    async def edit_entry(self, entry: Entry, minutes: int, note: str) -> None:
        await self.tx.execute(
            "UPDATE hourly_entries SET minutes = ?, note = ?, updated_at = ? WHERE id = ?",
            (minutes, note, self.tx.now, entry.id),
        )
        await self._recount(entry.week_id)

    async def entries(self, week_id: int) -> list[Entry]:
        rows = await self.tx.fetchall(
            "SELECT * FROM hourly_entries WHERE week_id = ? AND minutes > 0 ORDER BY id",
            (week_id,),
        )
        return [Entry(**{k: r[k] for k in Entry.__dataclass_fields__}) for r in rows]

    async def _recount(self, week_id: int) -> None:
        await self.tx.execute(
            "UPDATE hourly_weeks SET minutes = (SELECT COALESCE(SUM(minutes), 0)"
            " FROM hourly_entries WHERE week_id = ?) WHERE id = ?",
            (week_id, week_id),
        )
