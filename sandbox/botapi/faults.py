"""Limits and faults: the record of every Bot API call, injected faults (``inject_fault``,
``flood``, ``fail_next``, ``drop_next``, ``hold``) and flood control (429 with
``retry_after``)."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable
from typing import Any

from sandbox.botapi.errors import ApiError, _too_many
from sandbox.botapi.model import CallRecord, Fault, SimChat


class FaultsMixin:
    """Call records, injectable faults and flood control."""

    # -- calls and faults ---------------------------------------------------------------
    @property
    def calls(self) -> list[tuple[str, dict]]:
        return [(r.method, r.params) for r in self.call_records]

    def call_count(self, method: str, *, ok_only: bool = False) -> int:
        low = method.lower()
        return sum(
            1
            for r in self.call_records
            if r.method.lower() == low and (not ok_only or r.status == 200)
        )

    def calls_of(self, method: str) -> list[dict]:
        low = method.lower()
        return [r.params for r in self.call_records if r.method.lower() == low]

    def failed_calls(self) -> list[CallRecord]:
        return [r for r in self.call_records if r.status != 200]

    def reset_calls(self) -> None:
        self.call_records.clear()

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[dict], Any] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        since: int = 0,
    ) -> CallRecord:
        """Wait until the bot calls ``method`` (optionally with params matching)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        low = method.lower()
        while True:
            for rec in self.call_records[since:]:
                if rec.method.lower() == low and (predicate is None or predicate(rec.params)):
                    return rec
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"bot did not call {method} within {timeout}s; calls so far: "
                    f"{[r.method for r in self.call_records]}"
                )
            event = self._log_changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def inject_fault(
        self,
        method: str | None = None,
        *,
        times: int | None = 1,
        seconds: float | None = None,
        status: int | None = 429,
        retry_after: int | None = 5,
        description: str | None = None,
        drop: bool = False,
        delay: float = 0.0,
        chat_id: int | None = None,
        after_work: bool = False,
    ) -> Fault:
        """Make the next ``times`` calls of ``method`` (None = any method but getUpdates)
        fail, or all calls for ``seconds`` (pass ``times=None``); with ``chat_id``, only
        calls about that chat.

        ``status`` 429 answers with ``parameters.retry_after``; any other status answers with
        that error code; ``drop=True`` closes the connection without an answer (with
        ``after_work=True`` once the call was performed: the bot does not learn that it
        happened); ``delay`` sleeps before answering (with ``status=None`` the call then
        succeeds).
        """
        until = time.monotonic() + seconds if seconds is not None else None
        if seconds is not None and times == 1:
            times = None
        fault = Fault(
            method=method,
            remaining=times,
            until=until,
            status=status or 0,
            retry_after=retry_after,
            description=description,
            drop=drop,
            delay=delay,
            chat_id=chat_id,
            after_work=after_work,
        )
        self.faults.append(fault)
        return fault

    def flood(
        self,
        method: str | None,
        retry_after: int = 5,
        times: int | None = 1,
        seconds: float | None = None,
    ) -> Fault:
        """Shortcut: 429 Too Many Requests with ``retry_after``."""
        return self.inject_fault(
            method, times=times, seconds=seconds, status=429, retry_after=retry_after
        )

    def fail_next(
        self,
        method: str | None,
        status: int = 500,
        times: int = 1,
        description: str | None = None,
    ) -> Fault:
        return self.inject_fault(method, times=times, status=status, description=description)

    def drop_next(self, method: str | None, times: int = 1, *, after_work: bool = False) -> Fault:
        """Close the connection of the next ``times`` calls without an answer; with
        ``after_work`` each call is performed first (its answer is what gets lost)."""
        return self.inject_fault(method, times=times, drop=True, after_work=after_work)

    def hold(self, chat_id: int, method: str | None = None) -> Fault:
        """Leave every call about ``chat_id`` (of ``method``; None = any) unanswered until
        ``fault.release()``; ``fault.hits`` counts the calls held so far. A bot whose answers
        to one person hang (a slow connection, a stuck proxy) without any timing in a test."""
        fault = Fault(method=method, remaining=None, status=0, retry_after=None)
        fault.chat_id, fault.gate = chat_id, asyncio.Event()
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        for fault in self.faults:
            if fault.gate is not None:
                fault.gate.set()
        self.faults.clear()

    def _take_fault(self, method: str, chat_id: object = None) -> Fault | None:
        now = time.monotonic()
        self.faults = [
            f
            for f in self.faults
            if not (
                (f.until is not None and now >= f.until)
                or (f.remaining is not None and f.remaining <= 0)
            )
        ]
        for fault in self.faults:
            if fault.matches(method, now, chat_id):
                fault.hits += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                return fault
        return None

    @staticmethod
    def _fault_error(fault: Fault) -> ApiError:
        if fault.status == 429:
            retry_after = fault.retry_after
            desc = fault.description or f"Too Many Requests: retry after {retry_after}"
            return ApiError(429, desc, {"retry_after": retry_after} if retry_after else None)
        default = {
            400: "Bad Request",
            403: "Forbidden",
            409: "Conflict",
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
        }.get(fault.status, "Error")
        return ApiError(fault.status, fault.description or default)

    def _add_record(self, record: CallRecord) -> None:
        self.call_records.append(record)
        self._bump_log()

    def _check_flood(self, chat: SimChat) -> None:
        if not self.flood_control:
            return
        now = time.monotonic()
        while self._sent_times and now - self._sent_times[0][0] >= 60.0:
            self._sent_times.popleft()
        last_second = [t for t, _ in self._sent_times if now - t < 1.0]
        if len(last_second) >= self.global_rate:
            raise _too_many(math.ceil(last_second[0] + 1.0 - now))
        if chat.type != "private":
            in_chat = [t for t, c in self._sent_times if c == chat.id]
            if len(in_chat) >= self.group_rate_per_minute:
                raise _too_many(math.ceil(in_chat[0] + 60.0 - now))
