"""Drives the deadlines table with APScheduler (through PTB's JobQueue).

The table is the only place deadlines live. A run at start (so what fell due while the bot was
down runs at once) and a repeating job work off every due row, then book a one-off job at the
next pending due time so that a deadline fires on time rather than at the next tick; while a
backlog remains (more due than one run takes), the next run follows at once. Misfire grace is
unlimited and runs coalesce: a late job still runs, once.

Each action claims its row and re-reads the state in one transaction (bot.services.timers),
so overlapping runs, a second process, or a restart in the middle cannot make an action
happen twice. A run yields to the loop between deadlines, so that working off a backlog never
stalls the chats. An action that raises leaves its row pending (its transaction rolled back)
and backing off, retried later and given up after a bound with an alert to the moderator
group through the outbox (bot.services.timers); the rows due after it run meanwhile.
"""

from __future__ import annotations

import contextlib
import logging

from apscheduler.jobstores.base import JobLookupError
from telegram.ext import Application, ContextTypes, Job

from bot.runtime import Runtime
from bot.services import timers

log = logging.getLogger(__name__)

JOB_KWARGS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
BATCH = 500


class DeadlineScheduler:
    def __init__(self, app: Application, rt: Runtime, interval: float = 5.0) -> None:
        self.app = app
        self.rt = rt
        self.interval = interval
        self._tick_job: Job | None = None
        self._next_job: Job | None = None
        self._next_at: int | None = None
        self._backlog = False  # the last run found a full batch: run again at once

    def start(self) -> None:
        jq = self.app.job_queue
        assert jq is not None, "install python-telegram-bot[job-queue]"
        # The first run is a one-off "now": an interval job whose first time has already passed
        # when the scheduler looks at it (`first=0`, or added before the scheduler started)
        # would first fire a whole interval later (APScheduler's IntervalTrigger rounds up).
        self._next_job = jq.run_once(
            self._run, when=0, name="deadlines-start", job_kwargs=JOB_KWARGS
        )
        self._tick_job = jq.run_repeating(
            self._run,
            interval=self.interval,
            first=self.interval,
            name="deadlines",
            job_kwargs=JOB_KWARGS,
        )

    def stop(self) -> None:
        for job in (self._tick_job, self._next_job):
            _remove(job)
        self._tick_job = self._next_job = None

    async def tick(self) -> int:
        """Run every due deadline now, oldest first; returns how many acted."""
        batch = await timers.work_off(self.rt.svc, BATCH)
        self._backlog = batch.due == BATCH and batch.handled > 0
        if self.rt.ops is not None:
            self.rt.ops.scheduler_ran(batch.acted, batch.failed)
        if batch.handled:
            # What was booked has run: a deadline these set due now (the next batch of an
            # alerts fan-out) is booked again, even within the same second.
            self._next_at = None
        if batch.acted and self.rt.dispatcher is not None:
            self.rt.dispatcher.kick()
        return batch.acted

    async def _run(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await self.tick()
            await self._book_next()
        except Exception:
            log.exception("deadline run failed")

    async def _book_next(self) -> None:
        """A one-off run at the next due time, if it comes before the next tick (at once when
        a backlog, e.g. after a long downtime, is still being worked off)."""
        jq = self.app.job_queue
        assert jq is not None
        if self._backlog:
            self._next_at = None
            self._next_job = jq.run_once(
                self._run, when=0, name="deadline-backlog", job_kwargs=JOB_KWARGS
            )
            return
        svc = self.rt.svc
        async with svc.read() as tx:
            due = await tx.deadlines.next_due_at()
            now = tx.now
        if due is None or due - now >= self.interval or due == self._next_at:
            return
        _remove(self._next_job)
        self._next_at = due
        self._next_job = jq.run_once(
            self._run,
            when=max(0.0, float(due - now)),
            name="deadline-next",
            job_kwargs=JOB_KWARGS,
        )


def _remove(job: Job | None) -> None:
    """Unschedule a job; one that already ran (a one-off) is simply gone."""
    if job is None or job.removed:
        return
    with contextlib.suppress(JobLookupError):
        job.schedule_removal()
