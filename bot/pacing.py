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
long.

Several instances on one PostgreSQL database share the overall budget (`SharedBudget`,
table send_budget, bot/storage/budget.py): Telegram counts the bot's sends, not a process's.
Time is cut into windows of WINDOW (0.2 s) with PER_WINDOW (5) tokens each, for the whole
cluster; a Pacer lets a send go only with a token of the current window, which it claims from
the database for as many waiters as it has (up to a window's worth, one conditional UPDATE
in one short transaction, never held across a send). Tokens expire with their window, so a
dead instance's unused ones cost at most 0.2 s of budget. Any second meets at most 6 windows:
never more than 30 sends in any second, also after up to 0.2 s of jitter on the way, at 25 a
second at most. Answers first across instances too: a claim for notifications alone may take
only PER_WINDOW - 1 of a window, so an answer finds a token in the next window at the latest.
A 429 on a private chat closes the shared budget for its `retry_after`, for every instance.
A group's sliding window is shared too (`SharedBudget.group_take`, table group_sends): each
send to a group is counted in the database, in a short transaction of its own that locks the
group's row, so the instances between them send a group no more than `group_per_minute` in
any window; a 429 for a group fills its window for every instance. With SQLite (one process
owns the file) the budget and the windows are this process's alone, as they were:
`build_application` shares them on PostgreSQL (SEND_BUDGET).
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from typing import Any, Protocol

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

RATE = 27.0  # sends a second, evenly spaced (Telegram allows about 30: room for jitter)
GROUP_PER_MINUTE = 19  # sends to one group or channel in any GROUP_WINDOW (Telegram: 20/min)
GROUP_WINDOW = 61.0
ANSWER_LANE = 0
REPLY_RETRIES = 3  # an answer that meets a 429 is tried again up to this many times,
REPLY_MAX_WAIT = 5.0  # each after Telegram's retry_after, while that is at most this (seconds)

# The budget shared by instances (see the module's docstring).
CLUSTER_LIMIT = 30  # Telegram's: messages a second for the whole bot
WINDOW = 0.2  # seconds: the shared budget's windows
PER_WINDOW = 5  # tokens a window: a second meets at most 1/WINDOW + 1 = 6 windows, 6 x 5 = 30
CLAIM_RESERVE = 1  # of a window's tokens, left to answers by a claim for notifications alone
FALLBACK_TOKENS = 1  # a window's tokens an instance takes alone while the database fails

log = logging.getLogger(__name__)

# Set in the dispatcher's tasks: their calls are paced already.
PACED: ContextVar[bool] = ContextVar("outbox_paced", default=False)


class Budget(Protocol):
    """Where a Pacer claims its tokens (`SharedBudget`; tests give their own)."""

    async def claim(self, name: str, window_no: int, want: int, limit: int) -> int:
        """Up to `want` tokens of window `window_no` (at most `limit` in it, cluster-wide)."""

    async def close(self, name: str, until_window: int, limit: int) -> None:
        """No tokens for anyone before window `until_window`."""


class GroupBudget(Protocol):
    """Where a Pacer counts its sends to groups (`SharedBudget`; tests give their own)."""

    async def group_take(self, chat: str, now_ms: int, window_ms: int, limit: int) -> int:
        """0: a send to `chat` may go (counted); else milliseconds until one may."""

    async def group_hold(self, chat: str, until_ms: int, window_ms: int, limit: int) -> None:
        """No sends to `chat` for anyone before `until_ms`."""


class SharedBudget:
    """The budget in the database the instances share (bot/storage/budget.py): each call is
    one short write transaction of its own, outside any update's handling."""

    def __init__(self, db: Any) -> None:
        self.db = db

    async def claim(self, name: str, window_no: int, want: int, limit: int) -> int:
        from bot.storage.engine import commits_not_counted

        with commits_not_counted():
            async with self.db.transaction(int(time.time())) as tx:
                return int(await tx.send_budget.claim(name, window_no, want, limit))

    async def close(self, name: str, until_window: int, limit: int) -> None:
        from bot.storage.engine import commits_not_counted

        with commits_not_counted():
            async with self.db.transaction(int(time.time())) as tx:
                await tx.send_budget.close(name, until_window, limit)

    async def group_take(self, chat: str, now_ms: int, window_ms: int, limit: int) -> int:
        from bot.storage.engine import commits_not_counted

        with commits_not_counted():
            async with self.db.transaction(now_ms // 1000) as tx:
                return int(await tx.group_sends.take(chat, now_ms, window_ms, limit))

    async def group_hold(self, chat: str, until_ms: int, window_ms: int, limit: int) -> None:
        from bot.storage.engine import commits_not_counted

        with commits_not_counted():
            async with self.db.transaction(int(time.time())) as tx:
                await tx.group_sends.hold(chat, until_ms, window_ms, limit)


def window_of(at: float, window: float = WINDOW) -> int:
    """The number of the shared budget's window epoch time `at` falls in."""
    return int(at * 1000) // round(window * 1000)


class Pacer:
    """Hands out send slots `1/rate` apart, most urgent lane first; counts group windows.
    With a `budget`, a slot also takes a token of the shared budget's current window.

    `wait(lane)` returns when a send may go; `pause(seconds)` holds every send (a 429 that
    speaks for the whole bot); `group_wait(chat)` says how long a group must wait (0: go, and
    the send is counted): in `groups` when given (the instances' shared windows), else here."""

    def __init__(
        self,
        rate: float = RATE,
        group_per_minute: int = GROUP_PER_MINUTE,
        group_window: float = GROUP_WINDOW,
        *,
        budget: Budget | None = None,
        groups: GroupBudget | None = None,
        window: float = WINDOW,
        per_window: int = PER_WINDOW,
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.group_limit = group_per_minute
        self.group_window = group_window
        self.budget = budget
        self.groups = groups
        self._groups_failed_at = float("-inf")
        self.window = window
        self.per_window = per_window
        self.reserve = min(CLAIM_RESERVE, per_window - 1)
        self._tokens = 0  # tokens held, of window `_tokens_window`
        self._tokens_window = -1
        self.claims = 0  # round trips to the budget (tests, metrics)
        self._failed_at = float("-inf")
        self._last = float("-inf")  # loop time the last send was let go
        self._queue: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._runner: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()
        self._groups: dict[int | str, deque[float]] = {}

    @property
    def shared(self) -> bool:
        return self.budget is not None

    def pause(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        self._last = max(self._last, loop.time() + seconds - self.interval)
        if self.budget is not None and self.interval:  # every instance waits as long
            self._tokens = 0
            until = window_of(time.time() + seconds, self.window)
            task = loop.create_task(
                self._close(until), name="pacer-close", context=contextvars.Context()
            )
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def _close(self, until: int) -> None:
        assert self.budget is not None
        try:
            await self.budget.close("bot", until, self.per_window)
        except Exception:
            log.exception("could not close the shared send budget")

    def _take(self) -> bool:
        """A token of the current window, if this instance holds one (always, unshared)."""
        if self.budget is None:
            return True
        if self._tokens > 0 and self._tokens_window == window_of(time.time(), self.window):
            self._tokens -= 1
            return True
        return False

    async def wait(self, lane: int = 2) -> None:
        if not self.interval:
            return
        loop = asyncio.get_running_loop()
        if not self._queue and loop.time() >= self._last + self.interval and self._take():
            self._last = loop.time()
            return
        slot: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._queue, (lane, next(self._seq), slot))
        if self._runner is None or self._runner.done():
            # A context of its own: the budget's transactions are no update's.
            self._runner = loop.create_task(
                self._hand_out(), name="pacer", context=contextvars.Context()
            )
        await slot

    async def _hand_out(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            left = self._last + self.interval - loop.time()
            if left > 0:  # (again after the sleep if a 429 paused everything meanwhile)
                await asyncio.sleep(left)
                continue
            if self._queue[0][2].done():  # its waiter was cancelled
                heapq.heappop(self._queue)
                continue
            if not self._take():
                await self._claim()
                continue
            _lane, _seq, slot = heapq.heappop(self._queue)
            self._last = loop.time()
            slot.set_result(None)

    async def _claim(self) -> None:
        """Claim tokens of the current window for the waiters (a window's worth at most);
        none left: sleep to the next window."""
        assert self.budget is not None
        window = window_of(time.time(), self.window)
        waiting = sum(1 for _lane, _seq, slot in self._queue if not slot.done())
        answers = any(lane == ANSWER_LANE and not slot.done() for lane, _seq, slot in self._queue)
        limit = self.per_window if answers else self.per_window - self.reserve
        self.claims += 1
        try:
            got = await self.budget.claim("bot", window, min(waiting, limit), limit)
        except Exception:
            now = time.monotonic()
            if now - self._failed_at > 60:
                log.exception("the shared send budget failed: %s a window alone", FALLBACK_TOKENS)
                self._failed_at = now
            got = FALLBACK_TOKENS
        if got > 0 and window_of(time.time(), self.window) == window:
            self._tokens, self._tokens_window = got, window
            return
        if got <= 0:  # spent: the next window's tokens
            ends = (window + 1) * round(self.window * 1000) / 1000
            await asyncio.sleep(max(0.001, ends - time.time()))

    async def group_wait(self, chat_id: int | str) -> float:
        """0 when a send to group `chat_id` may go now (it is counted), else the seconds until
        its window allows one (nothing counted). Private chats (positive ids) never wait."""
        if (isinstance(chat_id, int) and chat_id >= 0) or self.group_limit <= 0:
            return 0.0
        if self.groups is not None:
            window_ms = round(self.group_window * 1000)
            take = self.groups.group_take(
                str(chat_id), int(time.time() * 1000), window_ms, self.group_limit
            )
            try:  # a context of its own: the window's transaction is no update's
                ms = await asyncio.get_running_loop().create_task(
                    take, name="pacer-group", context=contextvars.Context()
                )
            except Exception:
                self._groups_failing()
            else:
                if ms <= 0:
                    self._local_group_wait(chat_id, count_only=True)
                    return 0.0
                return ms / 1000
        return self._local_group_wait(chat_id)

    def _groups_failing(self) -> None:
        now = time.monotonic()
        if now - self._groups_failed_at > 60:
            log.exception("the shared group windows failed: counted by this instance alone")
            self._groups_failed_at = now

    def _local_group_wait(self, chat_id: int | str, *, count_only: bool = False) -> float:
        """This process's own window for the group (alone, or while the shared one fails;
        `count_only`: the shared window let a send go, keep this one in step)."""
        now = time.monotonic()
        sent = self._groups.setdefault(chat_id, deque())
        while sent and now - sent[0] >= self.group_window:
            sent.popleft()
        if count_only or len(sent) < self.group_limit:
            sent.append(now)
            return 0.0
        return max(0.001, sent[0] + self.group_window - now)

    def hold_group(self, chat_id: int | str, seconds: float) -> None:
        """Telegram said 429 for this group: its window is full for `seconds` (for every
        instance, with shared windows)."""
        if self.group_limit <= 0:
            return
        until = time.monotonic() + seconds - self.group_window
        self._groups[chat_id] = deque([until] * self.group_limit)
        if self.groups is not None:
            window_ms = round(self.group_window * 1000)
            until_ms = int((time.time() + seconds) * 1000)
            hold = self.groups.group_hold(str(chat_id), until_ms, window_ms, self.group_limit)
            task = asyncio.get_running_loop().create_task(
                self._quietly(hold), name="pacer-hold", context=contextvars.Context()
            )
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def _quietly(self, call: Coroutine[Any, Any, None]) -> None:
        try:
            await call
        except Exception:
            self._groups_failing()

    async def wait_group(self, chat_id: int | str) -> None:
        """Sleep until the group's window allows a send (for a handler's answer in a group)."""
        for _ in itertools.count():
            left = await self.group_wait(chat_id)
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
