"""One send budget for the whole bot: the outbox's rows and the handlers' own answers.

Telegram lets a bot send about 30 messages a second overall and 20 a minute to one group or
channel; beyond that it answers 429. Both kinds of sending share one `Pacer`:

- Overall, sends are spaced evenly, one every 1/`rate` seconds (27 a second: room for
  jitter under Telegram's 30), measured from when the previous send was let go (a busy loop's
  late sends do not bunch up). The next slot goes to the most urgent waiter: lane 0 (a
  person's answer) before the outbox's other lanes, first come first served within a lane,
  so a backlog of notifications never delays an answer by more than one slot.
- Per group or channel, a sliding window of `group_per_minute` (19) sends in GROUP_WINDOW
  (61 s) that callers ask (`group_wait`) instead of sleeping in it: the dispatcher defers a
  group's row to when the window allows and goes on with everyone else.

`SharedRateLimiter` is the bot's PTB rate limiter: a handler's message (an answer) waits for a
lane-0 slot (and, in a group, for the group's window); the dispatcher's calls, already paced,
run with `PACED` set and pass straight through. A 429 on a private chat speaks for the whole
bot: every send pauses for its `retry_after`; on a group, that group's window is closed as
long. The window lives in this process: instances sharing a database (a later issue) will
need the budget in a shared store.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

RATE = 27.0  # sends a second, evenly spaced (Telegram allows about 30: room for jitter)
GROUP_PER_MINUTE = 19  # sends to one group or channel in any GROUP_WINDOW (Telegram: 20/min)
GROUP_WINDOW = 61.0
ANSWER_LANE = 0
REPLY_RETRIES = 3  # an answer that meets a 429 is tried again up to this many times,
REPLY_MAX_WAIT = 5.0  # each after Telegram's retry_after, while that is at most this (seconds)

# Set in the dispatcher's tasks: their calls are paced already.
PACED: ContextVar[bool] = ContextVar("outbox_paced", default=False)


class Pacer:
    """Hands out send slots `1/rate` apart, most urgent lane first; counts group windows.

    `wait(lane)` returns when a send may go; `pause(seconds)` holds every send (a 429 that
    speaks for the whole bot); `group_wait(chat)` says how long a group must wait (0: go, and
    the send is counted)."""

    def __init__(
        self,
        rate: float = RATE,
        group_per_minute: int = GROUP_PER_MINUTE,
        group_window: float = GROUP_WINDOW,
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.group_limit = group_per_minute
        self.group_window = group_window
        self._last = float("-inf")  # loop time the last send was let go
        self._queue: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._runner: asyncio.Task[None] | None = None
        self._groups: dict[int | str, deque[float]] = {}

    def pause(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        self._last = max(self._last, loop.time() + seconds - self.interval)

    async def wait(self, lane: int = 2) -> None:
        if not self.interval:
            return
        loop = asyncio.get_running_loop()
        if not self._queue and loop.time() >= self._last + self.interval:
            self._last = loop.time()
            return
        slot: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._queue, (lane, next(self._seq), slot))
        if self._runner is None or self._runner.done():
            self._runner = loop.create_task(self._hand_out(), name="pacer")
        await slot

    async def _hand_out(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            left = self._last + self.interval - loop.time()
            if left > 0:  # (again after the sleep if a 429 paused everything meanwhile)
                await asyncio.sleep(left)
                continue
            _lane, _seq, slot = heapq.heappop(self._queue)
            if slot.done():  # its waiter was cancelled
                continue
            self._last = loop.time()
            slot.set_result(None)

    def group_wait(self, chat_id: int | str) -> float:
        """0 when a send to group `chat_id` may go now (it is counted), else the seconds until
        its window allows one (nothing counted). Private chats (positive ids) never wait."""
        if (isinstance(chat_id, int) and chat_id >= 0) or self.group_limit <= 0:
            return 0.0
        now = time.monotonic()
        sent = self._groups.setdefault(chat_id, deque())
        while sent and now - sent[0] >= self.group_window:
            sent.popleft()
        if len(sent) < self.group_limit:
            sent.append(now)
            return 0.0
        return max(0.001, sent[0] + self.group_window - now)

    def hold_group(self, chat_id: int | str, seconds: float) -> None:
        """Telegram said 429 for this group: its window is full for `seconds`."""
        if self.group_limit <= 0:
            return
        until = time.monotonic() + seconds - self.group_window
        self._groups[chat_id] = deque([until] * self.group_limit)

    async def wait_group(self, chat_id: int | str) -> None:
        """Sleep until the group's window allows a send (for a handler's answer in a group)."""
        for _ in itertools.count():
            left = self.group_wait(chat_id)
            if left <= 0:
                return
            await asyncio.sleep(left)


def is_send(endpoint: str) -> bool:
    """Calls that put a message in a chat (what Telegram's limits count)."""
    return (
        (endpoint.startswith("send") and endpoint != "sendChatAction")
        or endpoint.startswith("edit")
        or endpoint in ("copyMessage", "copyMessages", "forwardMessage", "forwardMessages")
    )


class SharedRateLimiter(BaseRateLimiter[int]):
    """PTB's rate limiter over the bot's one `Pacer` (see the module's docstring).

    A call that asks for it (`rate_limit_args=REPLY_RETRIES`: the handlers' answers) is tried
    again after a 429, up to that many times, while Telegram's `retry_after` is at most
    `max_wait`. A longer wait is not the person's to sit through with their turn held
    (bot.updates): the 429 is raised and the answer goes through the outbox instead
    (bot.handlers.base). The outbox's own sends are never retried here; the dispatcher
    schedules its retries itself."""

    def __init__(self, pacer: Pacer, max_wait: float = REPLY_MAX_WAIT) -> None:
        self.pacer = pacer
        self.max_wait = max_wait

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        raw = data.get("chat_id")
        if PACED.get() or raw is None or not is_send(endpoint):
            return await callback(*args, **kwargs)
        try:
            chat: int | str = int(raw)
        except (TypeError, ValueError):
            chat = str(raw)  # "@channel"
        private = isinstance(chat, int) and chat > 0
        retries = rate_limit_args or 0
        for attempt in itertools.count():
            if not private:
                await self.pacer.wait_group(chat)
            await self.pacer.wait(ANSWER_LANE)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = retry_seconds(exc)
                # The next slot comes after the wait: `pacer.wait` above sleeps through it.
                if private:
                    self.pacer.pause(max(1.0, seconds))
                else:
                    self.pacer.hold_group(chat, max(1.0, seconds))
                if attempt >= retries or seconds > self.max_wait:
                    raise
        raise AssertionError("unreachable")


def retry_seconds(exc: RetryAfter) -> float:
    wait = exc.retry_after
    return wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
