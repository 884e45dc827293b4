"""Repositories: the only place that writes SQL for the marketplace's entities.

State changes are conditional writes: `set_state(id, new, expect=...)` returns False when the
row was not in an expected state, and the service turns that into a clear refusal.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from bot.domain.models import (
    Bid,
    Deal,
    DealEvent,
    Dispute,
    Feedback,
    Job,
    Payout,
    User,
)

if TYPE_CHECKING:
    from bot.storage.db import Tx

_JSON_COLUMNS = {"answers", "files", "portfolio"}


def _decode(row: Any) -> dict[str, Any]:
    d = dict(row)
    for key in _JSON_COLUMNS & d.keys():
        d[key] = json.loads(d[key]) if d[key] else ({} if key == "answers" else [])
    return d


def _has_token(word: str) -> bool:
    """Whether the FTS5 unicode61 tokenizer finds a token in `word` (a letter, a digit or a
    private-use character); a word without one would be an empty phrase, matching nothing."""
    return any(ch.isalnum() or unicodedata.category(ch) == "Co" for ch in word)


def _states(values: Iterable[str]) -> tuple[str, list[str]]:
    vals = [str(v) for v in values]
    return ",".join("?" * len(vals)), vals


class Repo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx


class UsersRepo(Repo):
    async def upsert(
        self, user_id: int, username: str | None, first_name: str, language: str | None
    ) -> User:
        """Create a user on first sight, or refresh their Telegram name and language."""
        await self.tx.execute(
            "INSERT INTO users (id, username, first_name, language, created_at)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET username = excluded.username,"
            " first_name = excluded.first_name, language = excluded.language, unreachable = 0",
            (user_id, username, first_name or "", language, self.tx.now),
        )
        user = await self.get(user_id)
        assert user is not None
        return user

    async def get(self, user_id: int) -> User | None:
        row = await self.tx.fetchone("SELECT * FROM users WHERE id = ?", (user_id,))
        return None if row is None else User.model_validate(_decode(row))

    async def by_username(self, username: str) -> User | None:
        row = await self.tx.fetchone(
            "SELECT * FROM users WHERE lower(username) = lower(?) ORDER BY id LIMIT 1",
            (username.lstrip("@"),),
        )
        return None if row is None else User.model_validate(_decode(row))

    async def update_profile(self, user_id: int, **fields: Any) -> None:
        allowed = {"bio", "skills", "experience_years", "portfolio", "locale_override"}
        cols = {k: v for k, v in fields.items() if k in allowed}
        if not cols:
            return
        if "portfolio" in cols:
            cols["portfolio"] = json.dumps(cols["portfolio"], ensure_ascii=False)
        sets = ", ".join(f"{k} = ?" for k in cols)
        await self.tx.execute(f"UPDATE users SET {sets} WHERE id = ?", (*cols.values(), user_id))

    async def set_banned(self, user_id: int, banned: bool, reason: str | None) -> bool:
        return bool(
            await self.tx.update(
                "UPDATE users SET banned = ?, ban_reason = ? WHERE id = ? AND banned = ?",
                (int(banned), reason, user_id, int(not banned)),
            )
        )

    async def set_unreachable(self, user_id: int, unreachable: bool = True) -> None:
        await self.tx.execute(
            "UPDATE users SET unreachable = ? WHERE id = ?", (int(unreachable), user_id)
        )


class JobsRepo(Repo):
    async def create(self, **f: Any) -> Job:
        job_id = await self.tx.insert(
            "INSERT INTO jobs (client_id, category, title, description, answers, budget_min,"
            " budget_max, currency, deadline_at, brief, nda_required, nda_text, files, state,"
            " created_at, bidding_ends_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
            (
                f["client_id"],
                f["category"],
                f["title"],
                f["description"],
                json.dumps(f.get("answers") or {}, ensure_ascii=False),
                f["budget_min"],
                f["budget_max"],
                f["currency"],
                f["deadline_at"],
                f.get("brief"),
                int(bool(f.get("nda_required"))),
                f.get("nda_text"),
                json.dumps(f.get("files") or [], ensure_ascii=False),
                self.tx.now,
                f["bidding_ends_at"],
            ),
        )
        job = await self.get(job_id)
        assert job is not None
        return job

    async def get(self, job_id: int, *, lock: bool = False) -> Job | None:
        """The job; `lock`: and its family's lock (see `lock`)."""
        row = await self.tx.fetchone(
            "SELECT * FROM jobs WHERE id = ?" + (self.tx.for_update if lock else ""), (job_id,)
        )
        return None if row is None else Job.model_validate(_decode(row))

    # The job row is the lock of its family: its bids, trials and messages, its deal, the
    # deal's dispute and feedback, and their deadlines. On PostgreSQL a write transaction
    # that decides from any of them takes it first (SELECT ... FOR UPDATE, held until the
    # commit), so that two such transactions run one after the other, as every write does on
    # SQLite, where these are no-ops. Shared rows (ledger accounts, deadlines, outbox
    # streams) are always locked after it.

    async def lock(self, job_id: int) -> None:
        if self.tx.locks_rows:
            await self.tx.fetchone("SELECT id FROM jobs WHERE id = ? FOR UPDATE", (job_id,))

    async def lock_of_deal(self, deal_id: int) -> None:
        if self.tx.locks_rows:
            await self.tx.fetchone(
                "SELECT id FROM jobs WHERE id = (SELECT job_id FROM deals WHERE id = ?) FOR UPDATE",
                (deal_id,),
            )

    async def lock_of_bid(self, bid_id: int) -> None:
        if self.tx.locks_rows:
            await self.tx.fetchone(
                "SELECT id FROM jobs WHERE id = (SELECT job_id FROM bids WHERE id = ?) FOR UPDATE",
                (bid_id,),
            )

    async def lock_of_trial(self, trial_id: int) -> None:
        if self.tx.locks_rows:
            await self.tx.fetchone(
                "SELECT id FROM jobs WHERE id = (SELECT b.job_id FROM trials t"
                " JOIN bids b ON b.id = t.bid_id WHERE t.id = ?) FOR UPDATE",
                (trial_id,),
            )

    async def set_state(self, job_id: int, new: str, expect: Iterable[str]) -> bool:
        marks, vals = _states(expect)
        closed = self.tx.now if new not in ("open", "hiring", "in_progress") else None
        return bool(
            await self.tx.update(
                f"UPDATE jobs SET state = ?, closed_at = ? WHERE id = ? AND state IN ({marks})",
                (new, closed, job_id, *vals),
            )
        )

    async def set_bidding_ends(self, job_id: int, at: int) -> None:
        await self.tx.execute("UPDATE jobs SET bidding_ends_at = ? WHERE id = ?", (at, job_id))

    async def set_channel_message(self, job_id: int, message_id: int) -> None:
        await self.tx.execute(
            "UPDATE jobs SET channel_message_id = ? WHERE id = ?", (message_id, job_id)
        )

    async def by_client(self, client_id: int, limit: int = 50, offset: int = 0) -> list[Job]:
        rows = await self.tx.fetchall(
            "SELECT * FROM jobs WHERE client_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
            (client_id, limit, offset),
        )
        return [Job.model_validate(_decode(r)) for r in rows]

    async def search_open(
        self,
        category: str | None = None,
        words: list[str] | None = None,
        limit: int = 10,
        offset: int = 0,
        budget: tuple[int | None, int | None, str] | None = None,
    ) -> list[Job]:
        """Open jobs of `category` (an id) whose title or description has every word,
        newest first; with `budget` (low, high, currency: the Mini App's range), only jobs in
        that currency whose budget range meets it.

        Words go through the full-text index of migration 0003 (FTS5 over the open jobs on
        SQLite, a tsvector's partial GIN index on PostgreSQL): a word matches a job with a
        word *starting* with it, in any case and with or without accents, in any script
        (`logo` finds "Logos", `прог` finds "Программист", `cafe` finds "Café").
        Unlike the substring scan this replaced, a word no longer matches the middle of
        another (`gram` does not find "programming"). A word without a single letter or
        digit (`$$$`, an emoji) has nothing to index and is still matched as a substring.
        User text never reaches the FTS query syntax: each word is one quoted string.
        """
        terms: list[str] = []
        substrings: list[str] = []
        for word in words or []:
            if _has_token(word):
                terms.append(word)
            elif word.strip():
                substrings.append(word.lower())
        params: list[Any] = []
        if terms:
            # The index hands out matches newest first; the join checks state and category
            # until the page is full, so a common word costs no more than a rare one.
            where, params, order = self.tx.dialect.open_jobs_matching(terms)
            sql = "SELECT j.* " + where
        else:
            sql = "SELECT j.* FROM jobs j WHERE j.state = 'open'"
            order = "j.id DESC"
        sql += " AND j.is_private = 0"  # never a direct offer's job (migration 0019)
        if category:
            sql += " AND j.category = ?"
            params.append(category)
        if budget is not None:
            low, high, currency = budget
            sql += " AND j.currency = ?"
            params.append(currency)
            if low is not None:
                sql += " AND j.budget_max >= ?"
                params.append(low)
            if high is not None:
                sql += " AND j.budget_min <= ?"
                params.append(high)
        contains = self.tx.dialect.contains
        for word in substrings:
            sql += f" AND ({contains('lower(j.title)')} OR {contains('lower(j.description)')})"
            params += [word, word]
        sql += f" ORDER BY {order} LIMIT ? OFFSET ?"
        params += [limit, offset]
        rows = await self.tx.fetchall(sql, params)
        return [Job.model_validate(_decode(r)) for r in rows]

    async def count_by_state(self) -> dict[str, int]:
        rows = await self.tx.fetchall("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state")
        return {r["state"]: int(r["n"]) for r in rows}


class BidsRepo(Repo):
    async def live_for(self, job_id: int, freelancer_id: int) -> Bid | None:
        row = await self.tx.fetchone(
            "SELECT * FROM bids WHERE job_id = ? AND freelancer_id = ?"
            " AND state IN ('active','accepted')",
            (job_id, freelancer_id),
        )
        return None if row is None else Bid.model_validate(dict(row))

    async def create(
        self, job_id: int, freelancer_id: int, amount: int, days: int, cover: str
    ) -> Bid:
        bid_id = await self.tx.insert(
            "INSERT INTO bids (job_id, freelancer_id, amount, days, cover, state, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, 'active', ?, ?)",
            (job_id, freelancer_id, amount, days, cover, self.tx.now, self.tx.now),
        )
        bid = await self.get(bid_id)
        assert bid is not None
        return bid

    async def update_terms(self, bid_id: int, amount: int, days: int, cover: str) -> bool:
        return bool(
            await self.tx.update(
                "UPDATE bids SET amount = ?, days = ?, cover = ?, updated_at = ?"
                " WHERE id = ? AND state = 'active'",
                (amount, days, cover, self.tx.now, bid_id),
            )
        )

    async def get(self, bid_id: int) -> Bid | None:
        row = await self.tx.fetchone("SELECT * FROM bids WHERE id = ?", (bid_id,))
        return None if row is None else Bid.model_validate(dict(row))

    async def set_state(
        self, bid_id: int, new: str, expect: Iterable[str], reason: str | None = None
    ) -> bool:
        marks, vals = _states(expect)
        return bool(
            await self.tx.update(
                f"UPDATE bids SET state = ?, updated_at = ?,"
                f" decline_reason = COALESCE(?, decline_reason)"
                f" WHERE id = ? AND state IN ({marks})",
                (new, self.tx.now, reason, bid_id, *vals),
            )
        )

    async def set_shortlisted(self, bid_id: int) -> bool:
        return bool(
            await self.tx.update(
                "UPDATE bids SET shortlisted_at = ? WHERE id = ? AND shortlisted_at IS NULL",
                (self.tx.now, bid_id),
            )
        )

    async def answer_nda(self, bid_id: int, accept: bool) -> bool:
        """Record the freelancer's one answer to the NDA; False if it was already given."""
        column = "nda_accepted_at" if accept else "nda_declined_at"
        return bool(
            await self.tx.update(
                f"UPDATE bids SET {column} = ? WHERE id = ?"
                " AND nda_accepted_at IS NULL AND nda_declined_at IS NULL",
                (self.tx.now, bid_id),
            )
        )

    async def for_job(self, job_id: int, states: Iterable[str] | None = None) -> list[Bid]:
        if states is None:
            rows = await self.tx.fetchall(
                "SELECT * FROM bids WHERE job_id = ? ORDER BY id", (job_id,)
            )
        else:
            marks, vals = _states(states)
            rows = await self.tx.fetchall(
                f"SELECT * FROM bids WHERE job_id = ? AND state IN ({marks}) ORDER BY id",
                (job_id, *vals),
            )
        return [Bid.model_validate(dict(r)) for r in rows]

    async def by_freelancer(self, freelancer_id: int, limit: int = 50) -> list[Bid]:
        rows = await self.tx.fetchall(
            "SELECT * FROM bids WHERE freelancer_id = ? ORDER BY id DESC LIMIT ?",
            (freelancer_id, limit),
        )
        return [Bid.model_validate(dict(r)) for r in rows]

    async def count_live(self, job_id: int) -> int:
        row = await self.tx.fetchone(
            "SELECT COUNT(*) AS n FROM bids WHERE job_id = ? AND state IN ('active','accepted')",
            (job_id,),
        )
        assert row is not None
        return int(row["n"])

    async def count_placed(self, job_id: int) -> int:
        """Every bid placed on the job and not withdrawn (bot.domain.states.BID_PLACED)."""
        row = await self.tx.fetchone(
            "SELECT COUNT(*) AS n FROM bids WHERE job_id = ? AND state <> 'withdrawn'",
            (job_id,),
        )
        assert row is not None
        return int(row["n"])

    async def count_by_state(self) -> dict[str, int]:
        rows = await self.tx.fetchall("SELECT state, COUNT(*) AS n FROM bids GROUP BY state")
        return {r["state"]: int(r["n"]) for r in rows}


class DealsRepo(Repo):
    async def create(self, job: Job, bid: Bid, funding_ends_at: int) -> Deal:
        deal_id = await self.tx.insert(
            "INSERT INTO deals (job_id, bid_id, client_id, freelancer_id, amount, currency, days,"
            " state, created_at, funding_ends_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'awaiting_funding', ?, ?)",
            (
                job.id,
                bid.id,
                job.client_id,
                bid.freelancer_id,
                bid.amount,
                job.currency,
                bid.days,
                self.tx.now,
                funding_ends_at,
            ),
        )
        deal = await self.get(deal_id)
        assert deal is not None
        return deal

    async def get(self, deal_id: int) -> Deal | None:
        row = await self.tx.fetchone("SELECT * FROM deals WHERE id = ?", (deal_id,))
        return None if row is None else Deal.model_validate(dict(row))

    async def transition(self, deal_id: int, expect: str, new: str, **fields: Any) -> bool:
        """Move a deal from `expect` to `new`, setting `fields`, only if it is still in
        `expect`. The single conditional write every deal change goes through."""
        sets = ", ".join(["state = ?", *(f"{k} = ?" for k in fields)])
        return bool(
            await self.tx.update(
                f"UPDATE deals SET {sets} WHERE id = ? AND state = ?",
                (new, *fields.values(), deal_id, expect),
            )
        )

    async def set_fields(self, deal_id: int, expect: str, **fields: Any) -> bool:
        """Change fields of a deal that is still in state `expect`."""
        sets = ", ".join(f"{k} = ?" for k in fields)
        return bool(
            await self.tx.update(
                f"UPDATE deals SET {sets} WHERE id = ? AND state = ?",
                (*fields.values(), deal_id, expect),
            )
        )

    async def for_user(self, user_id: int, limit: int = 50) -> list[Deal]:
        rows = await self.tx.fetchall(
            "SELECT * FROM deals WHERE client_id = ? OR freelancer_id = ? ORDER BY id DESC LIMIT ?",
            (user_id, user_id, limit),
        )
        return [Deal.model_validate(dict(r)) for r in rows]

    async def for_job(self, job_id: int) -> list[Deal]:
        rows = await self.tx.fetchall("SELECT * FROM deals WHERE job_id = ? ORDER BY id", (job_id,))
        return [Deal.model_validate(dict(r)) for r in rows]

    async def count_by_state(self) -> dict[str, int]:
        rows = await self.tx.fetchall("SELECT state, COUNT(*) AS n FROM deals GROUP BY state")
        return {r["state"]: int(r["n"]) for r in rows}

    async def any_in(self, currency: str) -> bool:
        row = await self.tx.fetchone("SELECT 1 FROM deals WHERE currency = ? LIMIT 1", (currency,))
        return row is not None

    async def completed_count(self, user_id: int) -> int:
        row = await self.tx.fetchone(
            "SELECT COUNT(*) AS n FROM deals WHERE (client_id = ? OR freelancer_id = ?)"
            " AND state IN ('released','split')",
            (user_id, user_id),
        )
        assert row is not None
        return int(row["n"])

    async def completed_as_freelancer(self, user_id: int) -> int:
        row = await self.tx.fetchone(
            "SELECT COUNT(*) AS n FROM deals WHERE freelancer_id = ?"
            " AND state IN ('released','split')",
            (user_id,),
        )
        assert row is not None
        return int(row["n"])

    async def worked_together(self, client_id: int, freelancer_id: int) -> bool:
        row = await self.tx.fetchone(
            "SELECT 1 FROM deals WHERE client_id = ? AND freelancer_id = ?"
            " AND state IN ('funded','delivered','disputed','released','split') LIMIT 1",
            (client_id, freelancer_id),
        )
        return row is not None

    async def add_event(
        self,
        deal_id: int,
        actor_id: int | None,
        kind: str,
        text: str = "",
        files: list[dict[str, Any]] | None = None,
    ) -> int:
        return await self.tx.insert(
            "INSERT INTO deal_events (deal_id, actor_id, kind, text, files, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                deal_id,
                actor_id,
                kind,
                text,
                json.dumps(files or [], ensure_ascii=False),
                self.tx.now,
            ),
        )

    async def events(self, deal_id: int) -> list[DealEvent]:
        rows = await self.tx.fetchall(
            "SELECT * FROM deal_events WHERE deal_id = ? ORDER BY id", (deal_id,)
        )
        return [DealEvent.model_validate(_decode(r)) for r in rows]

    async def log_time(self, deal_id: int, user_id: int, minutes: int, note: str) -> int:
        return await self.tx.insert(
            "INSERT INTO time_logs (deal_id, user_id, minutes, note, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (deal_id, user_id, minutes, note, self.tx.now),
        )

    async def time_log(self, deal_id: int) -> list[dict[str, Any]]:
        rows = await self.tx.fetchall(
            "SELECT * FROM time_logs WHERE deal_id = ? ORDER BY id", (deal_id,)
        )
        return [dict(r) for r in rows]


class PaymentsRepo(Repo):
    async def get(self, charge_id: str) -> dict[str, Any] | None:
        row = await self.tx.fetchone("SELECT * FROM payments WHERE charge_id = ?", (charge_id,))
        return None if row is None else dict(row)

    async def known(self, charge_ids: list[str]) -> set[str]:
        """Which of these charge ids are already recorded."""
        if not charge_ids:
            return set()
        marks = ",".join("?" * len(charge_ids))
        rows = await self.tx.fetchall(
            f"SELECT charge_id FROM payments WHERE charge_id IN ({marks})", list(charge_ids)
        )
        return {r["charge_id"] for r in rows}

    async def stars_recorded(self) -> int:
        """About how many Stars payments are recorded (the rowid of the newest: rows are
        never deleted), found without counting them."""
        rowid = self.tx.dialect.rowid
        row = await self.tx.fetchone(
            f"SELECT {rowid} FROM payments WHERE currency = 'XTR' ORDER BY {rowid} DESC LIMIT 1"
        )
        return 0 if row is None else int(row[0])

    async def record(self, **f: Any) -> bool:
        """Insert a payment; False if this charge id was already recorded."""
        cur = await self.tx.execute(
            "INSERT INTO payments (charge_id, provider_charge_id, deal_id, payer_id, amount,"
            " currency, outcome, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(charge_id) DO NOTHING",
            (
                f["charge_id"],
                f.get("provider_charge_id"),
                f["deal_id"],
                f["payer_id"],
                f["amount"],
                f["currency"],
                f["outcome"],
                self.tx.now,
            ),
        )
        return cur.rowcount == 1


class DisputesRepo(Repo):
    async def open(
        self, deal_id: int, opened_by: int, reason: str, from_state: str, respond_by: int
    ) -> Dispute:
        dispute_id = await self.tx.insert(
            "INSERT INTO disputes (deal_id, opened_by, reason, from_state, opened_at, respond_by)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (deal_id, opened_by, reason, from_state, self.tx.now, respond_by),
        )
        row = await self.tx.fetchone("SELECT * FROM disputes WHERE id = ?", (dispute_id,))
        assert row is not None
        return Dispute.model_validate(dict(row))

    async def open_for(self, deal_id: int) -> Dispute | None:
        row = await self.tx.fetchone(
            "SELECT * FROM disputes WHERE deal_id = ? AND resolved_at IS NULL", (deal_id,)
        )
        return None if row is None else Dispute.model_validate(dict(row))

    async def latest_for(self, deal_id: int) -> Dispute | None:
        row = await self.tx.fetchone(
            "SELECT * FROM disputes WHERE deal_id = ? ORDER BY id DESC LIMIT 1", (deal_id,)
        )
        return None if row is None else Dispute.model_validate(dict(row))

    async def resolve(
        self, dispute_id: int, by: int, outcome: str, percent: int | None, note: str
    ) -> bool:
        return bool(
            await self.tx.update(
                "UPDATE disputes SET resolved_at = ?, resolved_by = ?, outcome = ?, percent = ?,"
                " note = ? WHERE id = ? AND resolved_at IS NULL",
                (self.tx.now, by, outcome, percent, note, dispute_id),
            )
        )

    async def set_card(self, dispute_id: int, message_id: int) -> None:
        await self.tx.execute(
            "UPDATE disputes SET card_message_id = ? WHERE id = ?", (message_id, dispute_id)
        )

    async def open_list(self) -> list[Dispute]:
        rows = await self.tx.fetchall(
            "SELECT * FROM disputes WHERE resolved_at IS NULL ORDER BY id"
        )
        return [Dispute.model_validate(dict(r)) for r in rows]

    async def counts_for(self, user_id: int) -> tuple[int, int]:
        """(disputes the person was party to, disputes they lost)."""
        row = await self.tx.fetchone(
            "SELECT COUNT(*) AS n,"
            " SUM(CASE WHEN (d.outcome = 'refund' AND deals.freelancer_id = ?)"
            "            OR (d.outcome = 'release' AND deals.client_id = ?) THEN 1 ELSE 0 END)"
            "   AS lost"
            " FROM disputes d JOIN deals ON deals.id = d.deal_id"
            " WHERE deals.client_id = ? OR deals.freelancer_id = ?",
            (user_id, user_id, user_id, user_id),
        )
        assert row is not None
        return int(row["n"] or 0), int(row["lost"] or 0)


class FeedbackRepo(Repo):
    async def add(
        self, deal_id: int, rater_id: int, ratee_id: int, stars: int, comment: str
    ) -> bool:
        cur = await self.tx.execute(
            "INSERT INTO feedback (deal_id, rater_id, ratee_id, stars, comment, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(deal_id, rater_id) DO NOTHING",
            (deal_id, rater_id, ratee_id, stars, comment, self.tx.now),
        )
        return cur.rowcount == 1

    async def for_deal(self, deal_id: int) -> list[Feedback]:
        rows = await self.tx.fetchall("SELECT * FROM feedback WHERE deal_id = ?", (deal_id,))
        return [Feedback.model_validate(dict(r)) for r in rows]

    async def visible_for(
        self, ratee_id: int, window: int, limit: int | None = None
    ) -> list[Feedback]:
        """Ratings about a person that are public: both sides rated, or the window passed."""
        sql = (
            "SELECT f.* FROM feedback f JOIN deals d ON d.id = f.deal_id WHERE f.ratee_id = ?"
            " AND ((SELECT COUNT(*) FROM feedback g WHERE g.deal_id = f.deal_id) = 2"
            "      OR d.ended_at + ? <= ?)"
            " ORDER BY f.created_at DESC, f.deal_id DESC"
        )
        params: list[Any] = [ratee_id, window, self.tx.now]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        rows = await self.tx.fetchall(sql, params)
        return [Feedback.model_validate(dict(r)) for r in rows]


class PayoutsRepo(Repo):
    async def create(self, user_id: int, amount: int, currency: str) -> Payout:
        payout_id = await self.tx.insert(
            "INSERT INTO payouts (user_id, amount, currency, state, created_at)"
            " VALUES (?, ?, ?, 'pending', ?)",
            (user_id, amount, currency, self.tx.now),
        )
        payout = await self.get(payout_id)
        assert payout is not None
        return payout

    async def get(self, payout_id: int) -> Payout | None:
        row = await self.tx.fetchone("SELECT * FROM payouts WHERE id = ?", (payout_id,))
        return None if row is None else Payout.model_validate(dict(row))

    async def mark_paid(self, payout_id: int, by: int) -> bool:
        return bool(
            await self.tx.update(
                "UPDATE payouts SET state = 'paid', paid_at = ?, paid_by = ?"
                " WHERE id = ? AND state = 'pending'",
                (self.tx.now, by, payout_id),
            )
        )

    async def pending(self) -> list[Payout]:
        rows = await self.tx.fetchall("SELECT * FROM payouts WHERE state = 'pending' ORDER BY id")
        return [Payout.model_validate(dict(r)) for r in rows]

    async def for_user(self, user_id: int) -> list[Payout]:
        rows = await self.tx.fetchall(
            "SELECT * FROM payouts WHERE user_id = ? ORDER BY id DESC", (user_id,)
        )
        return [Payout.model_validate(dict(r)) for r in rows]


class MiscRepo(Repo):
    """Favourites and job messages (questions and private threads)."""

    async def add_favourite(self, client_id: int, freelancer_id: int) -> bool:
        cur = await self.tx.execute(
            "INSERT INTO favourites (client_id, freelancer_id, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (client_id, freelancer_id, self.tx.now),
        )
        return cur.rowcount == 1

    async def favourites(self, client_id: int) -> list[int]:
        rows = await self.tx.fetchall(
            "SELECT freelancer_id FROM favourites WHERE client_id = ? ORDER BY created_at",
            (client_id,),
        )
        return [int(r["freelancer_id"]) for r in rows]

    async def add_message(
        self, job_id: int, bid_id: int | None, sender_id: int, recipient_id: int, text: str
    ) -> int:
        return await self.tx.insert(
            "INSERT INTO messages (job_id, bid_id, sender_id, recipient_id, text, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (job_id, bid_id, sender_id, recipient_id, text, self.tx.now),
        )

    async def get_message(self, message_id: int) -> dict[str, Any] | None:
        row = await self.tx.fetchone("SELECT * FROM messages WHERE id = ?", (message_id,))
        return None if row is None else dict(row)

    async def thread(self, bid_id: int) -> list[dict[str, Any]]:
        rows = await self.tx.fetchall(
            "SELECT * FROM messages WHERE bid_id = ? ORDER BY id", (bid_id,)
        )
        return [dict(r) for r in rows]

    async def asked_before(self, job_id: int, user_id: int) -> bool:
        row = await self.tx.fetchone(
            "SELECT 1 FROM messages WHERE job_id = ? AND sender_id = ? LIMIT 1", (job_id, user_id)
        )
        return row is not None


class TrialsRepo(Repo):
    async def create(self, bid_id: int, task: str) -> int:
        return await self.tx.insert(
            "INSERT INTO trials (bid_id, task, state, created_at, updated_at)"
            " VALUES (?, ?, 'requested', ?, ?)",
            (bid_id, task, self.tx.now, self.tx.now),
        )

    async def get(self, trial_id: int) -> dict[str, Any] | None:
        row = await self.tx.fetchone("SELECT * FROM trials WHERE id = ?", (trial_id,))
        return None if row is None else _decode(row)

    async def open_for(self, bid_id: int) -> dict[str, Any] | None:
        row = await self.tx.fetchone(
            "SELECT * FROM trials WHERE bid_id = ? AND state IN ('requested','accepted')",
            (bid_id,),
        )
        return None if row is None else _decode(row)

    async def latest_for(self, bid_id: int) -> dict[str, Any] | None:
        row = await self.tx.fetchone(
            "SELECT * FROM trials WHERE bid_id = ? ORDER BY id DESC LIMIT 1", (bid_id,)
        )
        return None if row is None else _decode(row)

    async def set_state(
        self,
        trial_id: int,
        new: str,
        expect: str,
        result: str | None = None,
        files: list[dict[str, Any]] | None = None,
    ) -> bool:
        return bool(
            await self.tx.update(
                "UPDATE trials SET state = ?, updated_at = ?, result = COALESCE(?, result),"
                " files = COALESCE(?, files) WHERE id = ? AND state = ?",
                (
                    new,
                    self.tx.now,
                    result,
                    None if files is None else json.dumps(files, ensure_ascii=False),
                    trial_id,
                    expect,
                ),
            )
        )
