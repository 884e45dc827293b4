"""The outbox: notifications and Telegram side effects written in the causing transaction.

A row names a message key and its parameters, not rendered text: the dispatcher renders it in
the recipient's language when it sends. `method` is what the dispatcher does with it:
`send` a message, `edit` one it sent before (params carry the target), `invoice`, or
`refund_star` (params carry the charge id).

**A queue whose cost does not grow with its backlog.** Every row has a lane (`LANES`, derived
from its key; `Outbox.add(lane=)` overrides) and belongs to a stream, (chat_id, lane). A
stream's rows go out one at a time in id order; streams are independent, so a direct answer
never waits behind a chat's reminders and a chat that waits for a retry holds back only its
own later rows in that lane. Rows of different lanes in one chat may overtake each other:
what must stay in order (a card and its edits, a channel post and its edits) shares a lane;
a refund (a call, no message; its notice is written when Telegram confirms it) has a lane
of its own. Only a stream's head (its oldest pending row) is ever
looked at; `stage` says where it is:

- `ready`: due now. The claim takes ready heads in (lane, id) order from the partial index
  `outbox_ready`, which holds ready heads only: a LIMIT-n range scan, whatever waits
  elsewhere.
- `waiting`: not before `next_attempt_at` (a retry, a group's deferral, a delay). The claim
  first moves the waiting heads whose time has come to ready (a range scan of
  `outbox_waiting` up to now, per lane): each row costs that once, not once per pass.
- `claimed`: leased to one dispatcher (`claimed_by`) until `lease_until`. The claim is a
  conditional UPDATE inside the write transaction, so two dispatchers (two connections,
  processes or instances on one database) never hold one row; an expired lease makes the
  row ready again (`outbox_leased`), so a dead dispatcher's rows go out after all.
- `queued`: behind its stream's head; never scanned.

Triggers in the schema (migration 0006) keep the streams whatever writes the table: a row
inserted with nothing of its stream pending before it becomes the head, and a head leaving
`pending` (sent, given up, failed; by this class or by hand) hands the stream to the next
row. So every statement here is an index lookup or an index range bounded by its LIMIT.

**Pruning.** Rows no longer pending are deleted after `OUTBOX_RETENTION` (`prune`); of a
sent row with a message id, `outbox_sent` keeps what later lookups need: the chat, message
id, key, ref and the numeric parameters (which thread or deal a reply answers, which card an
edit targets), never a person's text.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.storage.db import Tx

# --- lanes -----------------------------------------------------------------------------------

ANSWER = 0  # a direct answer to what a person just did ("reply.*")
# Money leaving through Telegram (refundStarPayment): no message, and a stream of its own, so
# that a refund Telegram keeps refusing (retried for up to a day) holds back no notice.
EFFECTS = 1
TRANSACTIONAL = 2  # money, deal states, deadline actions, invoices, moderator cards
BULK = 3  # reminders, feedback asks, channel posts and their edits (later: job alerts)
LANES = (ANSWER, EFFECTS, TRANSACTIONAL, BULK)

# The lane of every key that is not TRANSACTIONAL, and a few that are, for the record.
LANE_OF_KEY: dict[str, int] = {
    "reply.text": ANSWER,  # an answer that could not be sent directly
    "notify.job_nudge": BULK,
    "notify.delivery_nudge": BULK,
    "notify.review_nudge": BULK,
    "notify.feedback_request": BULK,
    "notify.feedback_received": BULK,
    "notify.feedback_revealed": BULK,
    "mod.sla_reminder": BULK,
    "channel.job": BULK,  # the post and its edits
    "refund_star": EFFECTS,
    "invoice.deal": TRANSACTIONAL,
    "invoice.milestone": TRANSACTIONAL,
    "mod.dispute_card": TRANSACTIONAL,
    "mod.evidence": TRANSACTIONAL,
    "mod.payout_requested": TRANSACTIONAL,
}
LANE_OF_PREFIX: tuple[tuple[str, int], ...] = (("reply.", ANSWER), ("alert.", BULK))


def lane_of(key: str) -> int:
    """The lane a key's rows go in: every "reply.*" key is an answer; unknown keys are
    transactional (better early than late)."""
    if key.startswith("reply."):
        return ANSWER
    lane = LANE_OF_KEY.get(key)
    if lane is not None:
        return lane
    for prefix, by_prefix in LANE_OF_PREFIX:
        if key.startswith(prefix):
            return by_prefix
    return TRANSACTIONAL


LEASE = 120  # seconds a claim holds a row; the dispatcher renews it while the row is in hand
PROMOTE_BATCH = 500  # waiting heads made ready per lane and claim (the rest the next time)

# What a claim's wake has to do (Outbox.wake): per lane, a waiting head that is due; a lease
# that ended; a ready row. ?1: now.
_DUE = (
    "SELECT "
    + "".join(
        f"EXISTS (SELECT 1 FROM outbox WHERE stage = 'waiting' AND lane = {lane}"
        f" AND next_attempt_at <= ?1) AS w{lane}, "
        for lane in LANES
    )
    + "EXISTS (SELECT 1 FROM outbox WHERE stage = 'claimed' AND lease_until <= ?1) AS expired,"
    " EXISTS (SELECT 1 FROM outbox WHERE stage = 'ready') AS ready"
)
KEPT_PARAM_TYPES = (int,)  # what outbox_sent keeps of a pruned row's parameters


class Outbox:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def add(
        self,
        chat_id: int,
        key: str,
        params: dict[str, Any] | None = None,
        *,
        method: str = "send",
        ref: str | None = None,
        delay: int = 0,
        lane: int | None = None,
    ) -> int:
        """Queue a row; `lane` overrides the key's lane (`lane_of`)."""
        lane = lane_of(key) if lane is None else lane
        if lane not in LANES:
            raise ValueError(f"no lane {lane}")
        return await self.tx.insert(
            "INSERT INTO outbox (method, chat_id, key, params, ref, lane, next_attempt_at,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                method,
                chat_id,
                key,
                json.dumps(params or {}, ensure_ascii=False, sort_keys=True),
                ref,
                lane,
                self.tx.now + max(0, delay),
                self.tx.now,
            ),
        )

    # --- the dispatcher's side ---------------------------------------------------------------

    async def claim(
        self,
        claimer: str,
        limit: int,
        *,
        max_lane: int = BULK,
        lease: int = LEASE,
        wake: bool = True,
    ) -> list[dict[str, Any]]:
        """Lease up to `limit` ready heads of lanes 0..`max_lane` to `claimer`, in (lane, id)
        order; first (unless `wake` is false: a second claim in one transaction) the waiting
        heads and expired leases that are due become ready."""
        now = self.tx.now
        if wake and not await self.wake(now):
            return []
        if limit <= 0:
            return []
        first, chosen = self.tx.dialect.pick(
            "SELECT id FROM outbox WHERE stage = 'ready' AND lane <= ?3 ORDER BY lane, id LIMIT ?4"
        )
        rows = await self.tx.fetchall(
            f"{first}UPDATE outbox SET stage = 'claimed', claimed_by = ?1, lease_until = ?2"
            f" WHERE id IN ({chosen}) AND stage = 'ready' RETURNING *",
            (claimer, now + lease, max_lane, limit),
        )
        return sorted((_row(r) for r in rows), key=lambda r: (r["lane"], r["id"]))

    async def wake(self, now: int) -> bool:
        """Waiting heads whose time has come, and rows whose lease ended, become ready;
        whether any row is ready. One statement first says what there is to do (each of its
        tests one index probe: nothing grows with the backlog), so that a pass with nothing
        due costs one statement. (On PostgreSQL rows another dispatcher is moving are
        skipped, not waited for; the outer conditions hold when the row was changed
        meanwhile.)"""
        due = await self.tx.fetchone(_DUE, (now,))
        woke = False
        pick = self.tx.dialect.pick
        for lane in LANES:
            if not due[f"w{lane}"]:
                continue
            first, chosen = pick(
                "SELECT id FROM outbox WHERE stage = 'waiting' AND lane = ? AND"
                " next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?"
            )
            woke |= bool(
                await self.tx.update(
                    f"{first}UPDATE outbox SET stage = 'ready' WHERE id IN ({chosen})"
                    " AND stage = 'waiting'",
                    (lane, now, PROMOTE_BATCH),
                )
            )
        if due["expired"]:
            first, chosen = pick(
                "SELECT id FROM outbox WHERE stage = 'claimed' AND lease_until <= ?1"
                " ORDER BY lease_until LIMIT ?2"
            )
            woke |= bool(
                await self.tx.update(
                    f"{first}UPDATE outbox SET stage = 'ready', claimed_by = NULL,"
                    f" lease_until = NULL WHERE id IN ({chosen}) AND stage = 'claimed'"
                    " AND lease_until <= ?1",
                    (now, PROMOTE_BATCH),
                )
            )
        return woke or bool(due["ready"])

    async def renew(self, row_id: int, claimer: str, lease_until: int) -> bool:
        """Extend a claim; False when the row is no longer this claimer's."""
        return bool(
            await self.tx.update(
                "UPDATE outbox SET lease_until = ? WHERE id = ? AND stage = 'claimed'"
                " AND claimed_by = ?",
                (lease_until, row_id, claimer),
            )
        )

    async def release(self, claimer: str, *, prefix: bool = False) -> int:
        """Hand back the claims of `claimer` (or of every claimer whose name starts with it):
        a dispatcher stopping, or the claims of a process that died. The rows are ready again
        at once."""
        args: tuple[Any, ...]
        if prefix:
            match, args = "substr(claimed_by, 1, ?) = ?", (len(claimer), claimer)
        else:
            match, args = "claimed_by = ?", (claimer,)
        return await self.tx.update(
            "UPDATE outbox SET stage = 'ready', claimed_by = NULL, lease_until = NULL"
            f" WHERE id IN (SELECT id FROM outbox WHERE stage = 'claimed' AND {match})",
            args,
        )

    async def claimers(self) -> list[str]:
        """Who holds claims now (a handful of rows: the ones in flight)."""
        rows = await self.tx.fetchall(
            f"SELECT DISTINCT claimed_by FROM outbox{self.tx.dialect.indexed_by('outbox_leased')}"
            " WHERE stage = 'claimed'"
        )
        return [r["claimed_by"] for r in rows if r["claimed_by"]]

    def _mine(self, claimer: str | None) -> tuple[str, tuple[Any, ...]]:
        """The condition that the row is still pending (and, with a claimer, still theirs)."""
        if claimer is None:
            return "state = 'pending'", ()
        return "state = 'pending' AND stage = 'claimed' AND claimed_by = ?", (claimer,)

    async def mark_sent(
        self, row_id: int, message_id: int | None, *, claimer: str | None = None
    ) -> bool:
        cond, args = self._mine(claimer)
        return bool(
            await self.tx.update(
                "UPDATE outbox SET state = 'sent', sent_at = ?, message_id = ?,"
                f" attempts = attempts + 1 WHERE id = ? AND {cond}",
                (self.tx.now, message_id, row_id, *args),
            )
        )

    async def progress(
        self, row_id: int, parts_sent: int, message_id: int | None, *, claimer: str | None = None
    ) -> None:
        """Record that the first `parts_sent` calls of a many-part row went out."""
        cond, args = self._mine(claimer)
        await self.tx.execute(
            f"UPDATE outbox SET parts_sent = ?, message_id = ? WHERE id = ? AND {cond}",
            (parts_sent, message_id, row_id, *args),
        )

    async def retry_later(
        self, row_id: int, at: int, error: str, *, claimer: str | None = None
    ) -> None:
        """The row failed; its stream waits for it until `at`."""
        cond, args = self._mine(claimer)
        await self.tx.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, error = ?,"
            " stage = 'waiting', claimed_by = NULL, lease_until = NULL"
            f" WHERE id = ? AND {cond}",
            (at, error[:500], row_id, *args),
        )

    async def defer(self, row_id: int, at: int, *, claimer: str | None = None) -> None:
        """Not sent yet, and not a failure (a group's per-minute budget is spent): the row
        waits until `at` without counting an attempt."""
        cond, args = self._mine(claimer)
        await self.tx.execute(
            "UPDATE outbox SET next_attempt_at = ?, stage = 'waiting', claimed_by = NULL,"
            f" lease_until = NULL WHERE id = ? AND {cond}",
            (at, row_id, *args),
        )

    async def give_up(
        self, row_id: int, error: str, state: str = "gave_up", *, claimer: str | None = None
    ) -> bool:
        cond, args = self._mine(claimer)
        return bool(
            await self.tx.update(
                f"UPDATE outbox SET state = ?, attempts = attempts + 1, error = ?"
                f" WHERE id = ? AND {cond}",
                (state, error[:500], row_id, *args),
            )
        )

    # --- reading -------------------------------------------------------------------------

    async def due(self, now: int, limit: int = 100) -> list[dict[str, Any]]:
        """Pending rows that would go out now, in (lane, id) order: due, and not behind a
        head that waits for a retry. For tests and diagnostics (it reads every pending row);
        the dispatcher claims with `claim`."""
        rows = await self.tx.fetchall(
            "SELECT * FROM outbox o WHERE o.state = 'pending' AND o.next_attempt_at <= ?"
            " AND NOT EXISTS (SELECT 1 FROM (SELECT h.stage, h.next_attempt_at FROM outbox h"
            "   WHERE h.state = 'pending' AND h.chat_id = o.chat_id AND h.lane = o.lane"
            "   ORDER BY h.id LIMIT 1) AS head"
            "   WHERE head.stage = 'waiting' AND head.next_attempt_at > ?)"
            " ORDER BY o.lane, o.id LIMIT ?",
            (now, now, limit),
        )
        return [_row(r) for r in rows]

    async def in_flight(self, chat_id: int) -> bool:
        """Whether a row of this chat is claimed: being sent now, its mark not yet written."""
        row = await self.tx.fetchone(
            "SELECT 1 FROM outbox WHERE chat_id = ? AND stage = 'claimed' LIMIT 1", (chat_id,)
        )
        return row is not None

    async def pending_count(self) -> int:
        row = await self.tx.fetchone("SELECT COUNT(*) AS n FROM outbox WHERE state = 'pending'")
        assert row is not None
        return int(row["n"])

    async def next_due_at(self) -> int | None:
        """When the next row is due: now if a head is ready, else the earliest waiting head
        (a claimed row is in someone's hands)."""
        ready = await self.tx.fetchone("SELECT 1 FROM outbox WHERE stage = 'ready' LIMIT 1")
        if ready is not None:
            return self.tx.now
        times = []
        for lane in LANES:
            row = await self.tx.fetchone(
                "SELECT MIN(next_attempt_at) AS t FROM outbox WHERE stage = 'waiting' AND lane = ?",
                (lane,),
            )
            if row is not None and row["t"] is not None:
                times.append(int(row["t"]))
        return min(times) if times else None

    async def sent_message(self, ref: str, chat_id: int) -> int | None:
        """The id of the latest message sent about `ref` to `chat_id` (to edit a card)."""
        row = await self.tx.fetchone(
            "SELECT message_id FROM outbox WHERE ref = ? AND chat_id = ? AND state = 'sent'"
            " AND message_id IS NOT NULL ORDER BY id DESC LIMIT 1",
            (ref, chat_id),
        )
        if row is None:
            row = await self.tx.fetchone(
                "SELECT message_id FROM outbox_sent WHERE ref = ? AND chat_id = ?"
                " ORDER BY id DESC LIMIT 1",
                (ref, chat_id),
            )
        return None if row is None else int(row["message_id"])

    async def find_by_message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """The row that sent (or last edited) message `message_id` of `chat_id`: the first
        one, which is the sending; after pruning, what outbox_sent kept of it."""
        row = await self.tx.fetchone(
            "SELECT * FROM outbox WHERE chat_id = ? AND message_id = ? ORDER BY id LIMIT 1",
            (chat_id, message_id),
        )
        if row is None:
            row = await self.tx.fetchone(
                "SELECT * FROM outbox_sent WHERE chat_id = ? AND message_id = ?"
                " ORDER BY id LIMIT 1",
                (chat_id, message_id),
            )
        return None if row is None else _row(row)

    # --- pruning -------------------------------------------------------------------------

    async def prune(self, before: int, limit: int = 1000) -> int:
        """Delete up to `limit` rows created before `before` that are no longer pending,
        keeping in outbox_sent what the lookups above need of those that were sent; returns
        how many were deleted (call again while it returns `limit`)."""
        rows = await self.tx.fetchall(
            "SELECT id, chat_id, message_id, key, ref, params, sent_at, state FROM outbox"
            " WHERE created_at < ? AND state <> 'pending' ORDER BY created_at LIMIT ?",
            (before, limit),
        )
        if not rows:
            return 0
        kept = [
            (
                r["id"],
                r["chat_id"],
                r["message_id"],
                r["key"],
                r["ref"],
                _slim(r["params"]),
                r["sent_at"],
            )
            for r in rows
            if r["state"] == "sent" and r["message_id"] is not None
        ]
        await self.tx.executemany(
            "INSERT INTO outbox_sent (id, chat_id, message_id, key, ref, params, sent_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            kept,
        )
        await self.tx.executemany(
            "DELETE FROM outbox WHERE id = ? AND state <> 'pending'", [(r["id"],) for r in rows]
        )
        return len(rows)


def _slim(params: str) -> str:
    """A pruned row's parameters as outbox_sent keeps them: the numbers only."""
    try:
        data = json.loads(params)
    except ValueError:
        return "{}"
    if not isinstance(data, dict):
        return "{}"
    kept = {
        k: v for k, v in data.items() if isinstance(v, KEPT_PARAM_TYPES) and not isinstance(v, bool)
    }
    return json.dumps(kept, sort_keys=True)


def _row(r: Any) -> dict[str, Any]:
    d = dict(r)
    d["params"] = json.loads(d["params"])
    return d
