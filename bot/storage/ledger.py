"""Double-entry ledger: append-only transactions whose entries sum to zero.

Accounts (one per currency):
  user:<id>        a person's available balance
  escrow:<deal>    the money a funded deal holds
  fees             the platform's fees
  payable          balances moved into payout requests, owed to people outside the bot
  world_in         money that came in through Telegram payments (goes negative)
  refund_pending   Stars refunds asked of Telegram and not yet confirmed (bot.services.refunds)
  world_out        money that went out: confirmed Stars refunds and paid payouts
So at every moment: -world_in = escrow + user + fees + payable + refund_pending + world_out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.storage.db import Tx

NEGATIVE_OK = {"world_in"}


class LedgerError(Exception):
    """A transaction that would break the books; always a programming error."""


class Ledger:
    """The books of one transaction.

    A shared account (no owner: world_in, fees, payable, refund_pending, world_out) is one row
    that every payment, release and refund of its currency changes. On PostgreSQL an UPDATE
    locks its row until the COMMIT, so a transaction that changed `fees` first and then went
    on with its deal, its notices and its timers held every other instance's releases
    waiting all that while (the statement's mean was 25 ms under three instances). So the
    shared accounts' changes are summed here and written by `flush`, which the engines call
    last before COMMIT (engine.before_commit): the row is held for one round trip. A read of
    a shared account flushes first, so a transaction always reads its own changes. A
    person's and a deal's accounts are written at once, as before (their rows are not
    shared), and so is an account id this transaction's `account` did not give (nothing says
    it is shared)."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx
        self.shared: dict[int, int] = {}  # shared account id -> change not yet written
        self.shared_ids: set[int] = set()  # the shared accounts `account` has opened

    async def flush(self) -> None:
        """Write the shared accounts' pending changes, in the order of their ids (so that
        transactions locking the same shared rows never wait in a circle). The CHECK that
        refuses a balance below zero still aborts the transaction, here."""
        pending, self.shared = self.shared, {}
        for acc, amt in sorted(pending.items()):
            if amt:
                await self._add(acc, amt)

    async def _add(self, acc: int, amt: int) -> None:
        await self.tx.execute(
            "UPDATE ledger_accounts SET balance = balance + ? WHERE id = ?", (amt, acc)
        )

    async def account(self, kind: str, currency: str, owner_id: int | None = None) -> int:
        acc = await self._account(kind, currency, owner_id)
        if owner_id is None:
            self.shared_ids.add(acc)
        return acc

    async def _account(self, kind: str, currency: str, owner_id: int | None) -> int:
        code = f"{kind}:{owner_id}:{currency}" if owner_id is not None else f"{kind}:{currency}"
        row = await self.tx.fetchone("SELECT id FROM ledger_accounts WHERE code = ?", (code,))
        if row:
            return int(row["id"])
        # Two transactions may open the same account at once (PostgreSQL): the second waits
        # for the first's row, does nothing, and reads it.
        row = await self.tx.fetchone(
            "INSERT INTO ledger_accounts (code, kind, currency, owner_id, may_go_negative)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING RETURNING id",
            (code, kind, currency, owner_id, int(kind in NEGATIVE_OK)),
        )
        if row is None:
            row = await self.tx.fetchone("SELECT id FROM ledger_accounts WHERE code = ?", (code,))
        return int(row["id"])

    async def balance(self, kind: str, currency: str, owner_id: int | None = None) -> int:
        if owner_id is None:  # a shared account: its own changes first
            await self.flush()
        code = f"{kind}:{owner_id}:{currency}" if owner_id is not None else f"{kind}:{currency}"
        row = await self.tx.fetchone("SELECT balance FROM ledger_accounts WHERE code = ?", (code,))
        return int(row["balance"]) if row else 0

    async def post(
        self,
        kind: str,
        currency: str,
        legs: list[tuple[int, int]],
        *,
        deal_id: int | None = None,
        payout_id: int | None = None,
        memo: str = "",
    ) -> int:
        """Record one balanced transaction. `legs` are (account id, signed amount)."""
        legs = [(acc, amt) for acc, amt in legs if amt != 0]
        for _, amt in legs:
            if isinstance(amt, bool) or not isinstance(amt, int):
                raise LedgerError("ledger amounts must be int minor units")
        if len(legs) < 2 or sum(amt for _, amt in legs) != 0:
            raise LedgerError(f"unbalanced ledger transaction {kind}: {legs}")
        txn_id = await self.tx.insert(
            "INSERT INTO ledger_transactions (kind, deal_id, payout_id, memo, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (kind, deal_id, payout_id, memo, self.tx.now),
        )
        await self.tx.executemany(
            "INSERT INTO ledger_entries (transaction_id, account_id, amount, currency)"
            " VALUES (?, ?, ?, ?)",
            [(txn_id, acc, amt, currency) for acc, amt in legs],
        )
        for acc, amt in sorted(legs):
            if acc in self.shared_ids:
                self.shared[acc] = self.shared.get(acc, 0) + amt
                continue
            # The CHECK constraint refuses a balance below zero on accounts that may not go
            # negative; that aborts the whole transaction. In the order of the accounts' ids:
            # on PostgreSQL each UPDATE locks its account until the commit, and transactions
            # that lock accounts in one order never wait in a circle.
            await self._add(acc, amt)
        return txn_id

    async def move(
        self,
        kind: str,
        currency: str,
        source: int,
        targets: list[tuple[int, int]],
        *,
        deal_id: int | None = None,
        payout_id: int | None = None,
        memo: str = "",
    ) -> int:
        """Take the sum of `targets` from `source` and credit each target its amount."""
        total = sum(amt for _, amt in targets)
        return await self.post(
            kind,
            currency,
            [(source, -total), *targets],
            deal_id=deal_id,
            payout_id=payout_id,
            memo=memo,
        )

    async def balances_of(self, kind: str, owner_id: int, *, lock: bool = False) -> dict[str, int]:
        """{currency: balance} of one owner's accounts of `kind` (a person's money in each).
        `lock`: in a write transaction, the accounts stay locked until the commit, so that
        what is taken out of them is what was read (a payout of the whole balance)."""
        rows = await self.tx.fetchall(
            "SELECT currency, balance FROM ledger_accounts WHERE owner_id = ? AND kind = ?"
            " ORDER BY currency" + (self.tx.for_update if lock else ""),
            (owner_id, kind),
        )
        return {r["currency"]: int(r["balance"]) for r in rows}

    async def totals_by_currency(self) -> dict[str, dict[str, int]]:
        """{currency: {kind: total}} over every account: each currency's books on their own."""
        await self.flush()
        rows = await self.tx.fetchall(
            "SELECT currency, kind, SUM(balance) AS total FROM ledger_accounts"
            " GROUP BY currency, kind ORDER BY currency"
        )
        out: dict[str, dict[str, int]] = {}
        for r in rows:
            out.setdefault(r["currency"], {})[r["kind"]] = int(r["total"])
        return out
