"""Drives the deadlines table with APScheduler (through PTB's JobQueue).

The table is the only place deadlines live. A repeating job (first run at once, so what fell
due while the bot was down runs right after start) works off every due row, then books a
one-off job at the next pending due time so that a deadline fires on time rather than at the
next tick. Misfire grace is unlimited and runs coalesce: a late job still runs, once.

Each action claims its row and re-reads the state in one transaction (bot.services.timers),
so overlapping runs, a second process, or a restart in the middle cannot make an action
happen twice.
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


class DeadlineScheduler:
    def __init__(self, app: Application, rt: Runtime, interval: float = 5.0) -> None:
        self.app = app
        self.rt = rt
        self.interval = interval
        self._tick_job: Job | None = None
        self._next_job: Job | None = None
        self._next_at: int | None = None

    def start(self) -> None:
        jq = self.app.job_queue
        assert jq is not None, "install python-telegram-bot[job-queue]"
        self._tick_job = jq.run_repeating(
            self._run, interval=self.interval, first=0, name="deadlines", job_kwargs=JOB_KWARGS
        )

    def stop(self) -> None:
        for job in (self._tick_job, self._next_job):
            _remove(job)
        self._tick_job = self._next_job = None

    async def tick(self) -> int:
        """Run every due deadline now; returns how many acted."""
        acted = await timers.run_due(self.rt.svc)
        if acted and self.rt.dispatcher is not None:
            self.rt.dispatcher.kick()
        return acted

    async def _run(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await self.tick()
            await self._book_next()
        except Exception:
            log.exception("deadline run failed")

    async def _book_next(self) -> None:
        """A one-off run at the next due time, if it comes before the next tick."""
        svc = self.rt.svc
        async with svc.read() as tx:
            row = await tx.fetchone(
                "SELECT MIN(due_at) AS t FROM deadlines WHERE state = 'pending'"
            )
            now = tx.now
        due = None if row is None or row["t"] is None else int(row["t"])
        if due is None or due - now >= self.interval or due == self._next_at:
            return
        jq = self.app.job_queue
        assert jq is not None
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
