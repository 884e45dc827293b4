"""A person's data: everything stored about them (/mydata), and erasing it (/deleteaccount).

**Export** reads the rows that are the person's: their profile, the jobs they posted, the
bids they placed (and the trials asked on them), the deals they are a party to, what they
wrote in those deals, the disputes on them, the messages they sent and received, the lines
of their balance accounts, their payments, refunds and payouts, the feedback they gave and
got, their time logs and favourites, and the bot's drafts of their unfinished flows. Never
another person's private data: no one else's bids, profile, balance or correspondence.

**Erasure** keeps what other people and the books need and removes who the person was:
- their row moves to a new id no Telegram user has (`DELETED_BASE` and up), with the profile
  emptied (name, username, languages, bio, skills, experience, portfolio) and `deleted_at`
  set; every row that pointed at them (jobs, bids, deals, deal events, disputes, feedback,
  time logs, messages, payments, refunds, payouts, their balance accounts) points at the new
  id, so a deal shows "deleted account" as its party and the ledger stays whole;
- the texts of the messages and bid cover letters they wrote are replaced by a mark shown
  as "(deleted)"; deal history (delivery notes, evidence), feedback and job descriptions
  stay: the other party and the moderators need them;
- their favourites, flow drafts and conversations' state are deleted, and notifications
  still queued for them are given up;
- the Telegram user is unknown to the bot afterwards: their next update starts a new
  profile. A banned person's ban stays on their Telegram id (a fresh row, banned).
Nothing here touches `ledger_entries` or `ledger_transactions` (append-only).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bot.domain.models import DELETED_TEXT

if TYPE_CHECKING:
    from bot.storage.db import Tx

DELETED_BASE = 2**53  # Telegram user ids stay below 2^52
RUNNING = ("awaiting_funding", "funded", "delivered", "disputed")


def _rows(rows: Any, json_columns: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        d = dict(r)
        for key in json_columns:
            if key in d and isinstance(d[key], str):
                d[key] = json.loads(d[key] or "null")
        out.append(d)
    return out


class PeopleRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    # --- what stops an erasure ---------------------------------------------------------------

    async def running_deal(self, user_id: int) -> int | None:
        row = await self.tx.fetchone(
            "SELECT id FROM deals WHERE id IN (SELECT id FROM deals WHERE client_id = ?1"
            " UNION SELECT id FROM deals WHERE freelancer_id = ?1)"
            f" AND state IN ({','.join('?' * len(RUNNING))}) ORDER BY id LIMIT 1",
            (user_id, *RUNNING),
        )
        return None if row is None else int(row["id"])

    async def pending_payout(self, user_id: int) -> int | None:
        row = await self.tx.fetchone(
            "SELECT id FROM payouts WHERE user_id = ? AND state = 'pending' ORDER BY id LIMIT 1",
            (user_id,),
        )
        return None if row is None else int(row["id"])

    async def pending_refund(self, user_id: int) -> int | None:
        row = await self.tx.fetchone(
            "SELECT deal_id FROM refunds WHERE payer_id = ? AND state = 'pending'"
            " ORDER BY id LIMIT 1",
            (user_id,),
        )
        return None if row is None else int(row["deal_id"])

    async def live_work(self, user_id: int) -> tuple[list[int], list[int]]:
        """(open jobs they posted, live bids they placed): closed and withdrawn first."""
        jobs = await self.tx.fetchall(
            "SELECT id FROM jobs WHERE client_id = ? AND state = 'open' ORDER BY id", (user_id,)
        )
        bids = await self.tx.fetchall(
            "SELECT id FROM bids WHERE freelancer_id = ? AND state = 'active' ORDER BY id",
            (user_id,),
        )
        return [int(r["id"]) for r in jobs], [int(r["id"]) for r in bids]

    # --- export ------------------------------------------------------------------------------

    async def export(self, user_id: int) -> dict[str, Any]:
        tx, uid = self.tx, (user_id,)
        profile = await tx.fetchone("SELECT * FROM users WHERE id = ?", uid)
        deals = _rows(
            await tx.fetchall(
                "SELECT * FROM deals WHERE client_id = ?1 UNION SELECT * FROM deals"
                " WHERE freelancer_id = ?1 ORDER BY id",
                uid,
            )
        )
        deal_ids = json.dumps([d["id"] for d in deals])
        own_bids = "SELECT id FROM bids WHERE freelancer_id = ?"
        return {
            "profile": _rows([profile], ("portfolio",))[0] if profile else None,
            "jobs": _rows(
                await tx.fetchall("SELECT * FROM jobs WHERE client_id = ? ORDER BY id", uid),
                ("answers", "files"),
            ),
            "bids": _rows(
                await tx.fetchall("SELECT * FROM bids WHERE freelancer_id = ? ORDER BY id", uid)
            ),
            "trials_on_my_bids": _rows(
                await tx.fetchall(
                    f"SELECT * FROM trials WHERE bid_id IN ({own_bids}) ORDER BY id", uid
                ),
                ("files",),
            ),
            "trials_i_asked": _rows(
                await tx.fetchall(
                    "SELECT t.id, t.bid_id, t.task, t.state, t.created_at FROM trials t"
                    " JOIN bids b ON b.id = t.bid_id JOIN jobs j ON j.id = b.job_id"
                    " WHERE j.client_id = ? ORDER BY t.id",
                    uid,
                )
            ),
            "deals": deals,
            "deal_events_i_wrote": _rows(
                await tx.fetchall("SELECT * FROM deal_events WHERE actor_id = ? ORDER BY id", uid),
                ("files",),
            ),
            "disputes": [
                {**d, "reason": d["reason"] if d["opened_by"] == user_id else None}
                for d in _rows(
                    await tx.fetchall(
                        "SELECT id, deal_id, opened_by, reason, opened_at, respond_by,"
                        " resolved_at, outcome, percent, note FROM disputes"
                        f" WHERE deal_id IN ({tx.dialect.id_list()}) ORDER BY id",
                        (deal_ids,),
                    )
                )
            ],
            "messages_sent": _rows(
                await tx.fetchall("SELECT * FROM messages WHERE sender_id = ? ORDER BY id", uid)
            ),
            "messages_received": _rows(
                await tx.fetchall("SELECT * FROM messages WHERE recipient_id = ? ORDER BY id", uid)
            ),
            "ledger": _rows(
                await tx.fetchall(
                    "SELECT t.id AS transaction_id, t.kind, t.deal_id, t.payout_id,"
                    " t.created_at, e.amount, e.currency, a.code AS account"
                    " FROM ledger_accounts a JOIN ledger_entries e ON e.account_id = a.id"
                    " JOIN ledger_transactions t ON t.id = e.transaction_id"
                    " WHERE a.owner_id = ? AND a.kind = 'user' ORDER BY e.id",
                    uid,
                )
            ),
            "balances": _rows(
                await tx.fetchall(
                    "SELECT currency, balance FROM ledger_accounts WHERE owner_id = ?"
                    " AND kind = 'user' ORDER BY currency",
                    uid,
                )
            ),
            "payments": _rows(
                await tx.fetchall(
                    "SELECT charge_id, deal_id, amount, currency, outcome, created_at"
                    " FROM payments WHERE payer_id = ? ORDER BY created_at",
                    uid,
                )
            ),
            "refunds": _rows(
                await tx.fetchall(
                    "SELECT id, deal_id, amount, currency, state, created_at, settled_at,"
                    " payout_id FROM refunds WHERE payer_id = ? ORDER BY id",
                    uid,
                )
            ),
            "payouts": _rows(
                await tx.fetchall(
                    "SELECT id, amount, currency, state, created_at, paid_at FROM payouts"
                    " WHERE user_id = ? ORDER BY id",
                    uid,
                )
            ),
            "feedback_given": _rows(
                await tx.fetchall("SELECT * FROM feedback WHERE rater_id = ? ORDER BY deal_id", uid)
            ),
            "feedback_received": _rows(
                await tx.fetchall("SELECT * FROM feedback WHERE ratee_id = ? ORDER BY deal_id", uid)
            ),
            "time_logs": _rows(
                await tx.fetchall("SELECT * FROM time_logs WHERE user_id = ? ORDER BY id", uid)
            ),
            "favourites": [
                int(r["freelancer_id"])
                for r in await tx.fetchall(
                    "SELECT freelancer_id FROM favourites WHERE client_id = ? ORDER BY created_at",
                    uid,
                )
            ],
            "job_alerts": _rows(
                await tx.fetchall("SELECT * FROM alert_searches WHERE user_id = ? ORDER BY id", uid)
            ),
            "direct_offers": _rows(
                await tx.fetchall(
                    "SELECT * FROM offers WHERE client_id = ?1 OR freelancer_id = ?1 ORDER BY id",
                    uid,
                ),
                ("terms",),
            ),
            "reviews": _rows(
                await tx.fetchall(
                    "SELECT * FROM deal_verdicts WHERE reviewer_id = ? ORDER BY id", uid
                ),
                ("files",),
            ),
            "drafts": [
                json.loads(r["data"])
                for r in await tx.fetchall("SELECT data FROM ptb_user_data WHERE user_id = ?", uid)
            ],
            "miniapp_drafts": [
                json.loads(r["data"])
                for r in await tx.fetchall("SELECT data FROM miniapp_drafts WHERE user_id = ?", uid)
            ],
        }

    # --- erasure -----------------------------------------------------------------------------

    async def erase(self, user_id: int) -> int:
        """Detach the person from their Telegram id (see the module's docstring); returns
        the id their rows now carry."""
        tx, old = self.tx, user_id
        user = await tx.fetchone("SELECT * FROM users WHERE id = ?", (old,))
        if user is None:
            raise LookupError(f"no user {old}")
        # The next free id above DELETED_BASE, taken by a conditional insert: two erasures at
        # once on PostgreSQL compute the same id; the second waits for the first's commit,
        # inserts nothing, and takes the id after it (each statement reads afresh).
        for _attempt in range(100):
            row = await tx.fetchone(
                "INSERT INTO users (id, username, first_name, created_at, unreachable, deleted_at)"
                " SELECT COALESCE(MAX(id) + 1, ?), NULL, '', ?, 1, ? FROM users WHERE id >= ?"
                " ON CONFLICT (id) DO NOTHING RETURNING id",
                (DELETED_BASE, user["created_at"], tx.now, DELETED_BASE),
            )
            if row is not None:
                new = int(row["id"])
                break
        else:
            raise RuntimeError("no free id for an erased account")
        moves = (
            ("jobs", "client_id"),
            ("bids", "freelancer_id"),
            ("deals", "client_id"),
            ("deals", "freelancer_id"),
            ("deal_events", "actor_id"),
            ("payments", "payer_id"),
            ("refunds", "payer_id"),
            ("disputes", "opened_by"),
            ("disputes", "resolved_by"),
            ("feedback", "rater_id"),
            ("feedback", "ratee_id"),
            ("time_logs", "user_id"),
            ("payouts", "user_id"),
            ("payouts", "paid_by"),
            ("messages", "recipient_id"),
            ("deal_reviewers", "reviewer_id"),
            ("deal_verdicts", "reviewer_id"),
        )
        for table, column in moves:
            await tx.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", (new, old))
        # Direct offers: the three columns in one statement (the sender is one of the two).
        await tx.execute(
            "UPDATE offers SET client_id = CASE WHEN client_id = ?1 THEN ?2 ELSE client_id END,"
            " freelancer_id = CASE WHEN freelancer_id = ?1 THEN ?2 ELSE freelancer_id END,"
            " sender_id = CASE WHEN sender_id = ?1 THEN ?2 ELSE sender_id END"
            " WHERE client_id = ?1 OR freelancer_id = ?1",
            (old, new),
        )
        await tx.execute(
            "UPDATE messages SET sender_id = ?, text = ? WHERE sender_id = ?",
            (new, DELETED_TEXT, old),
        )
        await tx.execute(
            "UPDATE bids SET cover = ? WHERE freelancer_id = ? AND cover <> ''",
            (DELETED_TEXT, new),
        )
        await tx.execute(
            "UPDATE ledger_accounts SET owner_id = ?,"
            " code = 'user:' || CAST(? AS TEXT) || ':' || currency"
            " WHERE owner_id = ? AND kind = 'user'",
            (new, str(new), old),
        )
        await tx.execute(
            "DELETE FROM favourites WHERE client_id = ? OR freelancer_id = ?", (old, old)
        )
        await tx.execute("DELETE FROM ptb_user_data WHERE user_id = ?", (old,))
        await tx.execute("DELETE FROM pending_inputs WHERE user_id = ?", (old,))
        await tx.execute("DELETE FROM miniapp_drafts WHERE user_id = ?", (old,))
        for table in ("alert_keys", "alert_deliveries", "alert_counts", "alert_searches"):
            await tx.execute(f"DELETE FROM {table} WHERE user_id = ?", (old,))
        await tx.execute("DELETE FROM keyboards WHERE chat_id = ?", (old,))
        await tx.execute(
            "DELETE FROM ptb_conversations WHERE key = ?",
            (json.dumps([old, old], separators=(",", ":")),),
        )
        await tx.execute(
            "UPDATE outbox SET state = 'gave_up', error = 'account deleted'"
            " WHERE chat_id = ? AND state = 'pending'",
            (old,),
        )
        await tx.execute("DELETE FROM users WHERE id = ?", (old,))
        if user["banned"]:  # the ban belongs to the Telegram account, not to the profile
            await tx.execute(
                "INSERT INTO users (id, first_name, created_at, banned, ban_reason)"
                " VALUES (?, '', ?, 1, ?)",
                (old, tx.now, user["ban_reason"]),
            )
        return new
