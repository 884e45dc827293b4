"""Ledger invariants, checked by the tests after every step and by `python main.py check`."""

from __future__ import annotations

from bot.domain.states import FINAL_DEAL_STATES
from bot.storage.db import Tx


async def ledger_problems(tx: Tx) -> list[str]:
    """Everything wrong with the books; an empty list means they are sound."""
    problems: list[str] = []
    for row in await tx.fetchall(
        "SELECT transaction_id, SUM(amount) AS s, COUNT(*) AS n FROM ledger_entries"
        " GROUP BY transaction_id HAVING s <> 0 OR n < 2"
    ):
        problems.append(f"transaction {row['transaction_id']} sums to {row['s']} ({row['n']} legs)")
    for row in await tx.fetchall(
        "SELECT a.code, a.balance, COALESCE(SUM(e.amount), 0) AS s FROM ledger_accounts a"
        " LEFT JOIN ledger_entries e ON e.account_id = a.id GROUP BY a.id HAVING a.balance <> s"
    ):
        problems.append(f"account {row['code']} caches {row['balance']} but entries sum {row['s']}")
    for row in await tx.fetchall(
        "SELECT code, balance FROM ledger_accounts WHERE may_go_negative = 0 AND balance < 0"
    ):
        problems.append(f"account {row['code']} is negative: {row['balance']}")
    finals = ",".join(f"'{s.value}'" for s in FINAL_DEAL_STATES)
    for row in await tx.fetchall(
        "SELECT d.id, a.balance FROM deals d JOIN ledger_accounts a"
        f" ON a.kind = 'escrow' AND a.owner_id = d.id WHERE d.state IN ({finals})"
        " AND a.balance <> 0"
    ):
        problems.append(f"finished deal {row['id']} still holds {row['balance']} in escrow")
    for row in await tx.fetchall(
        "SELECT d.id, d.amount, COALESCE(a.balance, 0) AS b FROM deals d LEFT JOIN"
        " ledger_accounts a ON a.kind = 'escrow' AND a.owner_id = d.id"
        " WHERE d.state IN ('funded','delivered','disputed') AND COALESCE(a.balance, 0) <> d.amount"
    ):
        problems.append(f"running deal {row['id']} holds {row['b']} instead of {row['amount']}")
    for row in await tx.fetchall(
        "SELECT currency, SUM(CASE WHEN kind = 'world_in' THEN -balance ELSE 0 END) AS money_in,"
        " SUM(CASE WHEN kind <> 'world_in' THEN balance ELSE 0 END) AS held"
        " FROM ledger_accounts GROUP BY currency HAVING money_in <> held"
    ):
        problems.append(
            f"{row['currency']}: money in {row['money_in']} but escrow+balances+fees+payable"
            f"+money out {row['held']}"
        )
    row = await tx.fetchone(
        "SELECT COUNT(*) AS n FROM ledger_transactions WHERE kind = 'fund'"
        " GROUP BY memo HAVING n > 1 LIMIT 1"
    )
    if row is not None:
        problems.append("a charge id was applied more than once")
    return problems
