"""The timed actions of SPEC section 7, run from the deadlines table.

`run_due` claims each due deadline and runs its action in one transaction; the action re-reads
the state and does nothing if it moved on, so running a deadline twice is harmless and a
crash between claim and commit leaves it pending.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.services import deals, disputes, feedback, jobs
from bot.services.base import Services
from bot.storage.db import Tx

log = logging.getLogger(__name__)

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
}


async def run_deadline(svc: Services, deadline_id: int) -> bool:
    """Run one deadline if it is still pending and due; returns whether its action acted."""
    async with svc.tx() as tx:
        row = await tx.deadlines.get(deadline_id)
        if row is None or row["state"] != "pending" or row["due_at"] > tx.now:
            return False
        if not await tx.deadlines.complete(deadline_id):
            return False
        action = ACTIONS.get(row["kind"])
        if action is None:
            log.error("unknown deadline kind %s (id %s)", row["kind"], deadline_id)
            return False
        return await action(tx, svc, int(row["subject_id"]))


async def run_due(svc: Services, limit: int = 500) -> int:
    """Run every deadline due now; returns how many acted."""
    async with svc.read() as tx:
        due = await tx.deadlines.due(tx.now, limit)
    acted = 0
    for row in due:
        try:
            acted += await run_deadline(svc, int(row["id"]))
        except Exception:
            log.exception("deadline %s (%s) failed", row["id"], row["kind"])
    return acted
