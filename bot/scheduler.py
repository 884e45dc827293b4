"""Runs the deadlines table: what is due now runs at once, also right after a restart.

The table is the only place deadlines live, so nothing is lost when the bot is down: the
first tick after start runs everything that fell due meanwhile. Each action claims its row
and re-reads the state in one transaction (see bot.services.timers), so a tick that overlaps
another, or a second process, cannot make an action happen twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.runtime import Runtime
from bot.services import timers

log = logging.getLogger(__name__)


class DeadlineRunner:
    def __init__(self, rt: Runtime, interval: float = 1.0) -> None:
        self.rt = rt
        self.interval = interval
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="deadline-runner")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def tick(self) -> int:
        acted = await timers.run_due(self.rt.svc)
        if acted and self.rt.dispatcher is not None:
            self.rt.dispatcher.kick()
        return acted

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("deadline tick failed")
            await asyncio.sleep(self.interval)
