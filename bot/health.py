"""`/healthz`: is the bot able to do its work right now?

Four checks, each with the reason it fails:

- database: a read through the bot's own connection answers within `db_timeout` (not when
  it is closed, locked by another process, or failing with I/O errors);
- telegram: the last Bot API call got an answer (bot.transport tells every call's outcome)
  within `telegram_fresh` seconds and none failed since; otherwise a getMe within
  `probe_timeout`, whose result is kept for `probe_cache` seconds (a load balancer polling
  every second makes one call every 15 s at most). In polling mode getUpdates answers at
  least every long-poll timeout, so a healthy bot rarely probes;
- scheduler: the deadline scheduler ran within `stale_after` (it runs every few seconds);
- dispatcher: the outbox dispatcher looked for rows within `stale_after` (it looks at least
  every poll interval) and its loop is alive.

Times are the monotonic clock's (`clock`, which tests replace).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot

from bot.services import ops
from bot.services.base import Services


@dataclass
class TelegramSignal:
    """What the transport saw of the Bot API last (monotonic times)."""

    last_ok: float | None = None
    last_failure: float | None = None
    failure: str = ""

    def ok(self, at: float) -> None:
        self.last_ok = at

    def failed(self, at: float, why: str) -> None:
        self.last_failure, self.failure = at, why


@dataclass
class Heartbeats:
    """When the scheduler and the dispatcher last did their rounds (monotonic times)."""

    scheduler: float | None = None
    dispatcher: float | None = None
    dispatcher_alive: Callable[[], bool] = field(default=lambda: False)


@dataclass(frozen=True)
class Report:
    healthy: bool
    checks: dict[str, str]  # check -> "ok" or why not

    @property
    def reason(self) -> str:
        return "; ".join(f"{k}: {v}" for k, v in self.checks.items() if v != "ok")

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": "ok" if self.healthy else "unhealthy"}
        if not self.healthy:
            out["reason"] = self.reason
        out["checks"] = self.checks
        return out


class Health:
    def __init__(
        self,
        svc: Services,
        bot: Bot,
        signal: TelegramSignal,
        beats: Heartbeats,
        *,
        clock: Callable[[], float] = time.monotonic,
        db_timeout: float = 2.0,
        telegram_fresh: float = 60.0,
        probe_timeout: float = 3.0,
        probe_cache: float = 15.0,
        stale_after: float = 60.0,
    ) -> None:
        self.svc = svc
        self.bot = bot
        self.signal = signal
        self.beats = beats
        self.clock = clock
        self.db_timeout = db_timeout
        self.telegram_fresh = telegram_fresh
        self.probe_timeout = probe_timeout
        self.probe_cache = probe_cache
        self.stale_after = stale_after
        self._probe: tuple[float, str] | None = None  # (when, "ok" or why not)
        self._probing: asyncio.Lock = asyncio.Lock()

    async def report(self) -> Report:
        checks = {
            "database": await self._database(),
            "telegram": await self._telegram(),
            "scheduler": self._beat(self.beats.scheduler, "has not run"),
            "dispatcher": self._dispatcher(),
        }
        return Report(all(v == "ok" for v in checks.values()), checks)

    async def _database(self) -> str:
        try:
            await asyncio.wait_for(ops.ping(self.svc), self.db_timeout)
        except TimeoutError:
            return f"no answer within {self.db_timeout:g} s"
        except Exception as exc:
            return f"unreachable ({type(exc).__name__}: {exc})"
        return "ok"

    async def _telegram(self) -> str:
        now = self.clock()
        s = self.signal
        if (
            s.last_ok is not None
            and now - s.last_ok < self.telegram_fresh
            and (s.last_failure is None or s.last_failure < s.last_ok)
        ):
            return "ok"
        async with self._probing:  # one probe at a time; the others wait for its answer
            if self._probe is not None and self.clock() - self._probe[0] < self.probe_cache:
                return self._probe[1]
            try:
                await asyncio.wait_for(self.bot.get_me(), self.probe_timeout)
                verdict = "ok"
            except TimeoutError:
                verdict = f"getMe had no answer within {self.probe_timeout:g} s"
            except Exception as exc:
                verdict = f"unreachable ({type(exc).__name__}: {exc})"
            self._probe = (self.clock(), verdict)
            return verdict

    def _beat(self, at: float | None, never: str) -> str:
        if at is None:
            return never
        age = self.clock() - at
        if age >= self.stale_after:
            return f"last ran {age:.0f} s ago"
        return "ok"

    def _dispatcher(self) -> str:
        if not self.beats.dispatcher_alive():
            return "not running"
        return self._beat(self.beats.dispatcher, "has not run")
