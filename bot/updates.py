"""Concurrent updates, but one at a time per person.

Different people's updates are handled side by side (one slow Telegram call must not hold up
everyone), while one person's updates keep their order: two quick answers in a conversation
must reach the flow in the order they were typed.

Fairness: an update first waits for its person's turn and only then for one of the
`max_concurrent_updates` slots. PTB's own `process_update` takes the slot first, so a
person's flood (an album, 64 quick messages) would fill every slot with updates that only
wait for that person's lock, and everyone else would wait behind them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot import logs
from bot.metrics import Metrics
from bot.storage.db import forget_commits


class PerPersonUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 64, metrics: Metrics | None = None) -> None:
        super().__init__(max_concurrent_updates)
        self.metrics = metrics
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def initialize(self) -> None:
        self._locks.clear()
        self._waiting.clear()

    async def shutdown(self) -> None:
        self._locks.clear()

    async def process_update(  # type: ignore[misc]  # PTB marks it final; see the docstring
        self, update: object, coroutine: Awaitable[Any]
    ) -> None:
        """The person's turn first, then a slot: waiting for one's turn holds no slot."""
        forget_commits()  # this task's commits are this update's (see bot.storage.db)
        key = _key(update)
        if isinstance(update, Update):  # this task's log lines are about this update
            user = update.effective_user
            logs.bind(update=update.update_id, user=user.id if user is not None else None)
        if key is None:
            async with self._semaphore:
                await self.do_process_update(update, coroutine)
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock, self._semaphore:
                await self.do_process_update(update, coroutine)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # forget idle people so the map stays small
                del self._waiting[key]
                self._locks.pop(key, None)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Handle it, counted by kind and outcome (bot.metrics), from the person's turn."""
        metrics = self.metrics
        if metrics is None:
            await coroutine
            return
        holder = metrics.start_update()
        start = time.perf_counter()
        try:
            await coroutine
        finally:
            metrics.update_done(update, holder, time.perf_counter() - start)


def _key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None
