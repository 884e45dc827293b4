"""The milestones of a bid's plan and of a contract (migration 0017)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.domain.milestones import Milestone, MilestoneState, Part

if TYPE_CHECKING:
    from bot.storage.engine import Tx

_LIVE = ("pending", "current")  # the contract's plan still to be paid, in order


class MilestonesRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def _all(self, where: str, params: tuple[Any, ...]) -> list[Milestone]:
        rows = await self.tx.fetchall(
            f"SELECT * FROM milestones WHERE {where} ORDER BY position", params
        )
        return [Milestone.model_validate(dict(r)) for r in rows]

    async def of_bid(self, bid_id: int) -> list[Milestone]:
        """A bid's plan before the hire (or the contract's, after it)."""
        return await self._all("bid_id = ?", (bid_id,))

    async def of_deal(self, deal_id: int) -> list[Milestone]:
        return await self._all("deal_id = ?", (deal_id,))

    async def replace_plan(self, bid_id: int, parts: list[Part]) -> None:
        """A bid's proposed plan, instead of the one it had (none is a contract's yet)."""
        await self.tx.execute(
            "DELETE FROM milestones WHERE bid_id = ? AND deal_id IS NULL", (bid_id,)
        )
        await self.tx.executemany(
            "INSERT INTO milestones (bid_id, position, title, amount, state, created_at)"
            " VALUES (?, ?, ?, ?, 'pending', ?)",
            [(bid_id, n, t, a, self.tx.now) for n, (t, a) in enumerate(parts, 1)],
        )

    async def attach(self, bid_id: int, deal_id: int) -> None:
        """The hire: the bid's plan becomes the contract's, its first milestone current."""
        await self.tx.update(
            "UPDATE milestones SET deal_id = ?,"
            " state = CASE WHEN position = 1 THEN 'current' ELSE 'pending' END"
            " WHERE bid_id = ? AND deal_id IS NULL",
            (deal_id, bid_id),
        )

    async def current(self, deal_id: int) -> Milestone | None:
        found = await self._all("deal_id = ? AND state = 'current'", (deal_id,))
        return found[0] if found else None

    async def get(self, milestone_id: int) -> Milestone | None:
        found = await self._all("id = ?", (milestone_id,))
        return found[0] if found else None

    async def any_settled(self, deal_id: int) -> bool:
        """Whether a milestone of this contract was paid (released, split or refunded)."""
        row = await self.tx.fetchone(
            "SELECT 1 FROM milestones WHERE deal_id = ?"
            " AND state IN ('released', 'split', 'refunded') LIMIT 1",
            (deal_id,),
        )
        return row is not None

    async def next_pending(self, deal_id: int) -> Milestone | None:
        found = await self._all("deal_id = ? AND state = 'pending'", (deal_id,))
        return found[0] if found else None

    async def proposed(self, deal_id: int) -> Milestone | None:
        found = await self._all("deal_id = ? AND state = 'proposed'", (deal_id,))
        return found[0] if found else None

    async def propose(self, bid_id: int, deal_id: int, title: str, amount: int) -> Milestone:
        row = await self.tx.fetchone(
            "SELECT COALESCE(MAX(position), 0) AS n FROM milestones WHERE bid_id = ?", (bid_id,)
        )
        new_id = await self.tx.insert(
            "INSERT INTO milestones (bid_id, deal_id, position, title, amount, state, created_at)"
            " VALUES (?, ?, ?, ?, ?, 'proposed', ?)",
            (bid_id, deal_id, int(row["n"]) + 1, title, amount, self.tx.now),
        )
        found = await self.get(new_id)
        assert found is not None
        return found

    async def drop_proposed(self, milestone_id: int) -> bool:
        return bool(
            await self.tx.update(
                "DELETE FROM milestones WHERE id = ? AND state = 'proposed'", (milestone_id,)
            )
        )

    async def move(self, milestone_id: int, expect: MilestoneState, new: str, **f: Any) -> bool:
        """The conditional write every milestone change goes through."""
        sets = ", ".join(["state = ?", *(f"{k} = ?" for k in f)])
        return bool(
            await self.tx.update(
                f"UPDATE milestones SET {sets} WHERE id = ? AND state = ?",
                (new, *f.values(), milestone_id, expect.value),
            )
        )

    async def cancel_rest(self, deal_id: int) -> None:
        """The contract ended: what was planned and never funded is cancelled; a milestone
        the freelancer had not accepted yet is dropped (it never was the contract's)."""
        await self.tx.execute(
            "DELETE FROM milestones WHERE deal_id = ? AND state = 'proposed'", (deal_id,)
        )
        await self.tx.update(
            "UPDATE milestones SET state = 'cancelled', ended_at = ?"
            " WHERE deal_id = ? AND state IN ('pending', 'current')",
            (self.tx.now, deal_id),
        )

    async def detach(self, deal_id: int) -> None:
        """A contract cancelled before anything was funded: its plan is the bid's proposal
        again (the bid may be hired anew); milestones added since are dropped."""
        await self.tx.execute(
            "DELETE FROM milestones WHERE deal_id = ? AND state = 'proposed'", (deal_id,)
        )
        await self.tx.update(
            "UPDATE milestones SET deal_id = NULL, state = 'pending' WHERE deal_id = ?",
            (deal_id,),
        )

    async def count_by_kind(self) -> dict[str, int]:
        """Contracts by type, for /stats."""
        rows = await self.tx.fetchall("SELECT kind, COUNT(*) AS n FROM deals GROUP BY kind")
        return {r["kind"]: int(r["n"]) for r in rows}

    async def problems(self) -> list[str]:
        """The books of milestone contracts (bot.storage.audit): a running one holds its
        current milestone in escrow and one waiting for the next funding holds nothing; a
        contract's total is its plan; a settled milestone's money went somewhere in full."""
        out: list[str] = []
        for r in await self.tx.fetchall(
            "SELECT d.id, d.state, COALESCE(a.balance, 0) AS b, COALESCE(m.amount, 0) AS want"
            " FROM deals d LEFT JOIN ledger_accounts a ON a.kind = 'escrow' AND a.owner_id = d.id"
            " LEFT JOIN milestones m ON m.deal_id = d.id AND m.state = 'current'"
            " WHERE d.kind = 'milestones' AND d.state IN"
            " ('awaiting_funding', 'funded', 'delivered', 'disputed')"
        ):
            want = r["want"] if r["state"] != "awaiting_funding" else 0
            if r["b"] != want:
                out.append(f"milestone deal {r['id']} holds {r['b']} in escrow instead of {want}")
        for r in await self.tx.fetchall(
            "SELECT d.id, d.amount, COALESCE(SUM(m.amount), 0) AS s FROM deals d"
            " LEFT JOIN milestones m ON m.deal_id = d.id AND m.state <> 'proposed'"
            " WHERE d.kind = 'milestones' AND d.state <> 'cancelled' GROUP BY d.id, d.amount"
            " HAVING d.amount <> COALESCE(SUM(m.amount), 0)"
        ):
            out.append(f"milestone deal {r['id']} is for {r['amount']} but its plan is {r['s']}")
        for r in await self.tx.fetchall(
            "SELECT id, deal_id, amount, paid + fee + returned AS settled FROM milestones"
            " WHERE state IN ('released', 'split', 'refunded') AND paid + fee + returned <> amount"
        ):
            out.append(
                f"milestone {r['id']} (deal {r['deal_id']}) of {r['amount']} settled {r['settled']}"
            )
        return out
