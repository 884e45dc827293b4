"""Ledger invariants, checked by the tests after every step and by `python main.py check`."""

from __future__ import annotations

from bot.domain.states import FINAL_DEAL_STATES
from bot.storage.db import Tx

REFUND_LATE_AFTER = 24 * 3600  # the dispatcher settles a refund within a day (GIVE_UP_AFTER)


async def ledger_problems(tx: Tx) -> list[str]:
    """Everything wrong with the books; an empty list means they are sound."""
    problems: list[str] = []
    for row in await tx.fetchall(
        "SELECT transaction_id, SUM(amount) AS s, COUNT(*) AS n FROM ledger_entries"
        " GROUP BY transaction_id HAVING SUM(amount) <> 0 OR COUNT(*) < 2"
    ):
        problems.append(f"transaction {row['transaction_id']} sums to {row['s']} ({row['n']} legs)")
    for row in await tx.fetchall(
        "SELECT a.code, a.balance, COALESCE(SUM(e.amount), 0) AS s FROM ledger_accounts a"
        " LEFT JOIN ledger_entries e ON e.account_id = a.id GROUP BY a.id"
        " HAVING a.balance <> COALESCE(SUM(e.amount), 0)"
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
        " WHERE d.state IN ('funded','delivered','disputed') AND d.kind = 'fixed'"
        " AND COALESCE(a.balance, 0) <> d.amount"
    ):
        problems.append(f"running deal {row['id']} holds {row['b']} instead of {row['amount']}")
    for row in await tx.fetchall(
        "SELECT currency, SUM(CASE WHEN kind = 'world_in' THEN -balance ELSE 0 END) AS money_in,"
        " SUM(CASE WHEN kind <> 'world_in' THEN balance ELSE 0 END) AS held"
        " FROM ledger_accounts GROUP BY currency HAVING"
        " SUM(CASE WHEN kind = 'world_in' THEN -balance ELSE 0 END)"
        " <> SUM(CASE WHEN kind <> 'world_in' THEN balance ELSE 0 END)"
    ):
        problems.append(
            f"{row['currency']}: money in {row['money_in']} but escrow+balances+fees+payable"
            f"+refunds pending+money out {row['held']}"
        )
    for row in await tx.fetchall(
        "SELECT currency, balance, owed FROM (SELECT a.currency, a.balance,"
        " COALESCE((SELECT SUM(r.amount) FROM refunds r"
        " WHERE r.state = 'pending' AND r.currency = a.currency), 0) AS owed"
        " FROM ledger_accounts a WHERE a.kind = 'refund_pending') AS pending"
        " WHERE balance <> owed"
        " UNION ALL SELECT r.currency, 0, SUM(r.amount) FROM refunds r WHERE r.state = 'pending'"
        " AND NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.kind = 'refund_pending'"
        " AND a.currency = r.currency) GROUP BY r.currency"
    ):
        problems.append(
            f"{row['currency']}: refund_pending holds {row['balance']} but pending refunds"
            f" add up to {row['owed']}"
        )
    for row in await tx.fetchall(
        "SELECT id, deal_id, amount, currency, created_at FROM refunds"
        " WHERE state = 'pending' AND created_at < ? ORDER BY id",
        (tx.now - REFUND_LATE_AFTER,),
    ):
        problems.append(
            f"refund {row['id']} of {row['amount']} {row['currency']} (deal {row['deal_id']})"
            f" is pending for {(tx.now - row['created_at']) // 3600} hours: Telegram has not"
            " confirmed it"
        )
    problems += await tx.milestones.problems()
    problems += await hourly_problems(tx)
    twice = await tx.fetchone(
        "SELECT COUNT(*) AS n FROM ledger_transactions WHERE kind = 'fund'"
        " GROUP BY memo HAVING COUNT(*) > 1 LIMIT 1"
    )
    if twice is not None:
        problems.append("a charge id was applied more than once")
    return problems


async def hourly_problems(tx: Tx) -> list[str]:
    """Hourly contracts (bot.services.hourly): a running one's escrow holds the limits of
    the weeks it has not settled (the rest is credit); no week pays more than its logged
    hours, nor logs more than the weekly limit; a week's pay less its fee went to the
    freelancer; every week of a finished contract is settled."""
    problems: list[str] = []
    for row in await tx.fetchall(
        "SELECT d.id, COALESCE(a.balance, 0) AS b, (SELECT COALESCE(SUM(w.limit_amount), 0)"
        " FROM hourly_weeks w WHERE w.deal_id = d.id"
        " AND w.state IN ('funded', 'review', 'disputed')) AS held"
        " FROM deals d LEFT JOIN ledger_accounts a ON a.kind = 'escrow' AND a.owner_id = d.id"
        " WHERE d.kind = 'hourly' AND d.state = 'funded'"
    ):
        if row["b"] < row["held"]:
            problems.append(
                f"hourly deal {row['id']} holds {row['b']} but its open weeks need {row['held']}"
            )
    for row in await tx.fetchall(
        "SELECT w.id, w.deal_id, w.minutes, w.paid, w.fee, w.state, c.rate, c.weekly_minutes"
        " FROM hourly_weeks w JOIN hourly_contracts c ON c.deal_id = w.deal_id"
        " WHERE w.minutes > c.weekly_minutes OR w.paid * 60 > w.minutes * c.rate"
        " OR w.fee > w.paid OR (w.paid > 0 AND w.state NOT IN ('approved', 'resolved'))"
    ):
        problems.append(
            f"hourly week {row['id']} (deal {row['deal_id']}, {row['state']}): {row['minutes']}"
            f" minutes of {row['weekly_minutes']}, paid {row['paid']} at {row['rate']}/h"
        )
    for row in await tx.fetchall(
        "SELECT d.id, COALESCE((SELECT SUM(w.paid - w.fee) FROM hourly_weeks w"
        " WHERE w.deal_id = d.id), 0) AS weeks, COALESCE((SELECT SUM(e.amount)"
        " FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id"
        " JOIN ledger_accounts a ON a.id = e.account_id WHERE t.kind = 'hourly_release'"
        " AND t.deal_id = d.id AND a.kind = 'user'), 0) AS ledger"
        " FROM deals d WHERE d.kind = 'hourly'"
    ):
        if row["weeks"] != row["ledger"]:
            problems.append(
                f"hourly deal {row['id']}: its weeks paid {row['weeks']} but the ledger"
                f" {row['ledger']}"
            )
    finals = ",".join(f"'{s.value}'" for s in FINAL_DEAL_STATES)
    for row in await tx.fetchall(
        "SELECT w.id, w.deal_id, w.state FROM hourly_weeks w JOIN deals d ON d.id = w.deal_id"
        f" WHERE d.state IN ({finals}) AND d.state <> 'cancelled'"
        " AND w.state IN ('awaiting_funding', 'funded', 'review', 'disputed')"
    ):
        problems.append(
            f"hourly week {row['id']} of finished deal {row['deal_id']} is still {row['state']}"
        )
    return problems
