"""The timed actions of SPEC section 7, run from the deadlines table.

`run_deadline` claims a due deadline and runs its action in one transaction; the action
re-reads the state and does nothing if it moved on, so running a deadline twice is harmless
and a crash between claim and commit leaves it pending.

An action that raises rolls back, and `deadline_failed` records the failure: the row backs off
(BACKOFF_FIRST_S, doubling, at most BACKOFF_MAX_S) and is skipped by the due query meanwhile,
so that it never holds back the deadlines due after it; after MAX_ATTEMPTS failed runs (about
an hour) it is given up: state 'failed', kept with its last error for the audit. The
moderator group hears of given-up deadlines through the outbox, at most one alert a minute
(`alert_given_up`: the oldest one, and how many more).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot import logs
from bot.services import alerts, deals, disputes, feedback, hourly, jobs, offers
from bot.services.base import Services
from bot.storage.db import Tx
from bot.storage.engine import LOCKS

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8  # failed runs before a deadline is given up
BACKOFF_FIRST_S = 30  # the wait after the first failure; doubled after each one
BACKOFF_MAX_S = 3600
ALERT_EVERY_S = 60  # at most one alert a minute to the moderator group
ERROR_MAX = 500  # characters of the last error kept

Action = Callable[[Tx, Services, int], Awaitable[bool]]

ACTIONS: dict[str, Action] = {
    "job_nudge": jobs.nudge_job,
    "job_expire": jobs.expire_job,
    "funding_expire": deals.expire_funding,
    "delivery_nudge": deals.nudge_delivery,
    "delivery_due": deals.delivery_due,
    "delivery_refund": deals.auto_refund,
    "review_nudge": deals.nudge_review,
    "review_release": deals.auto_release,
    "dispute_sla": disputes.remind_sla,
    "feedback_request": feedback.request_feedback,
    "job_alerts": alerts.continue_fanout,
    "alert_digest": alerts.send_digest,
    hourly.TICK: hourly.tick,
    offers.LAPSE: offers.lapse_offer,
}


async def run_deadline(svc: Services, deadline_id: int) -> bool:
    """Run one deadline if it is still pending and due; returns whether its action acted."""
    async with svc.tx() as tx:
        # Another scheduler (another instance) running this one now will complete it or
        # record its failure: skip it rather than wait (PostgreSQL; always free on SQLite).
        if not await tx.try_lock(LOCK_DEADLINE, deadline_id):
            return False
        row = await tx.deadlines.get(deadline_id)
        if row is None or row["state"] != "pending":
            return False
        # The subject's job first (the lock of its family, bot/services/base.py), then the
        # deadline row: the order every service that changes a deadline takes them in. Read
        # again once it is held: a service may have moved the deadline meanwhile (/extend).
        if row["kind"] in JOB_KINDS:
            await tx.jobs.lock(int(row["subject_id"]))
        elif row["kind"] in OFFER_KINDS:  # an offer's row is its lock (bot.services.offers)
            await offers.lock_offer(tx, int(row["subject_id"]))
        elif row["kind"] in ACTIONS:
            await tx.jobs.lock_of_deal(int(row["subject_id"]))
        row = await tx.deadlines.get(deadline_id)
        if row is None or row["state"] != "pending" or max(row["due_at"], row["retry_at"]) > tx.now:
            return False  # done, moved on, or backing off since the caller read it
        if not await tx.deadlines.complete(deadline_id):
            return False
        action = ACTIONS.get(row["kind"])
        if action is None:
            log.error("unknown deadline kind %s (id %s)", row["kind"], deadline_id)
            return False
        return await action(tx, svc, int(row["subject_id"]))


JOB_KINDS = ("job_nudge", "job_expire")  # the others' subject is a deal, but:
OFFER_KINDS = (offers.LAPSE,)  # whose subject is an offer
LOCK_DEADLINE = LOCKS["deadline"]


def backoff(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failed run."""
    return min(BACKOFF_FIRST_S * 2 ** (attempts - 1), BACKOFF_MAX_S)


async def deadline_failed(svc: Services, deadline_id: int, exc: BaseException) -> str:
    """Record that a deadline's action raised: "retry" (backing off), "failed" (given up
    now), or "gone" (no longer pending)."""
    error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX]
    async with svc.tx() as tx:
        row = await tx.deadlines.get(deadline_id)
        if row is None or row["state"] != "pending":
            return "gone"
        attempts = int(row["attempts"]) + 1
        if attempts >= MAX_ATTEMPTS:
            await tx.deadlines.give_up(deadline_id, attempts, error)
            return "failed"
        await tx.deadlines.back_off(deadline_id, attempts, error, tx.now + backoff(attempts))
        return "retry"


async def alert_given_up(svc: Services) -> bool:
    """Tell the moderator group about deadlines given up since the last alert, in one
    outbox row, if the last alert is a minute old; returns whether one was written."""
    group = svc.settings.moderator_chat_id
    if group is None:
        return False
    async with svc.read() as tx:
        first, _ = await tx.deadlines.unalerted()
    if first is None:
        return False
    async with svc.tx() as tx:
        # The rows first, locked (PostgreSQL): a second scheduler alerting at the same
        # moment waits, then finds them alerted.
        first, count = await tx.deadlines.unalerted(lock=True)
        if first is None:
            return False
        last = await tx.deadlines.last_alert_at()
        if last is not None and tx.now - last < ALERT_EVERY_S:
            return False
        await tx.outbox.add(
            group,
            "mod.deadline_failed",
            {
                "kind": first["kind"],
                "subject": int(first["subject_id"]),
                "attempts": int(first["attempts"]),
                "error": first["last_error"] or "",
                "others": count - 1,
            },
            ref=f"deadline:{first['id']}",
        )
        await tx.deadlines.mark_alerted()
    return True


@dataclass(frozen=True)
class Batch:
    due: int  # due deadlines found (at most the limit)
    acted: int  # whose action acted
    handled: int  # that ran, or whose failure was recorded
    failed: int = 0  # given up in this run (after their last attempt)


async def work_off(svc: Services, limit: int = 500) -> Batch:
    """Run the deadlines due now, oldest first, yielding to the loop between them (each is
    a transaction on the loop). A failure is recorded (backoff, or given up) and the others
    go on; given-up ones are then reported to the moderators."""
    async with svc.read() as tx:
        due = await tx.deadlines.due(tx.now, limit)
    acted = handled = failed = 0
    for row in due:
        await asyncio.sleep(0)
        not_deal = row["kind"].startswith("job_") or row["kind"] in OFFER_KINDS
        deal = None if not_deal else int(row["subject_id"])
        with logs.bound(deal=deal):
            try:
                acted += await run_deadline(svc, int(row["id"]))
                handled += 1
            except Exception as exc:
                log.exception(
                    "deadline %s (%s of %s) failed", row["id"], row["kind"], row["subject_id"]
                )
                try:
                    failed += await deadline_failed(svc, int(row["id"]), exc) == "failed"
                    handled += 1
                except Exception:
                    log.exception("could not record the failure of deadline %s", row["id"])
    await asyncio.sleep(0)
    try:  # also when nothing was due: one held back by the once-a-minute budget goes now
        await alert_given_up(svc)
    except Exception:
        log.exception("could not alert the moderators about given-up deadlines")
    return Batch(len(due), acted, handled, failed)


async def run_due(svc: Services, limit: int = 500) -> int:
    """Run every deadline due now; returns how many acted."""
    return (await work_off(svc, limit)).acted
