"""Where updates come in: a webhook or long polling, both into the inbox.

An update is acknowledged to Telegram only once it is stored (bot/storage/inbox.py): a
webhook request is answered 200 after the commit, and a polled batch is confirmed by the next
getUpdates offset only after its commit. A process killed after that loses nothing: the
update waits in the inbox and is handled at the next start (bot/updates.py), and a delivery
Telegram repeats is stored once.

Storing is a group commit: updates that arrive while a commit is under way are stored
together in the next one, so concurrent deliveries cost one sync of the disk, not one each.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import time
from collections.abc import Sequence
from typing import Any

from aiohttp import web
from telegram import Bot, Update
from telegram.error import Conflict, TelegramError, TimedOut

from bot.services.base import Services
from bot.updates import NOBODY, InboxRunner, person_of

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
REFUSAL_LOG_EVERY = 60.0  # at most one warning a minute about refused webhook requests


class Intake:
    """Stores updates (as Telegram sent them) durably, then tells the runner."""

    def __init__(self, svc: Services, runner: InboxRunner, bot: Bot) -> None:
        self.svc = svc
        self.runner = runner
        self.bot = bot
        self._pending: list[tuple[list[tuple[int, int, str]], asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    def row(self, data: dict[str, Any], payload: str | None = None) -> tuple[int, int, str]:
        """(update_id, person, payload) of an update; its person is read by PTB's rules."""
        update_id = int(data["update_id"])
        try:
            person = person_of(Update.de_json(data, self.bot))
        except Exception:  # stored anyway: the runner logs it and marks it handled
            person = NOBODY + update_id
        if payload is None:
            payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        return update_id, person, payload

    async def store(self, rows: Sequence[tuple[int, int, str]]) -> None:
        """Return once `rows` are committed (raises if the commit failed)."""
        if not rows:
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((list(rows), done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush())
        await asyncio.shield(done)

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            rows = [row for rows, _done in batch for row in rows]
            persons = list(dict.fromkeys(person for _u, person, _p in rows))
            try:
                async with self.svc.tx() as tx:
                    await tx.inbox.store(rows)
                    taken = await self.runner.take_turns(tx, persons)
            except Exception as exc:
                log.exception("could not store %s updates", len(rows))
                for _rows, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for _rows, done in batch:
                if not done.done():
                    done.set_result(None)
            self.runner.notify(persons, taken)

    async def stop(self) -> None:
        if self._flusher is not None:
            with contextlib.suppress(Exception):
                await self._flusher
            self._flusher = None


class Webhook:
    """The route Telegram posts updates to: the secret checked, the update stored, then 200."""

    def __init__(self, intake: Intake, secret: str) -> None:
        self.intake = intake
        self._secret = secret.encode()
        self._last_warning = -REFUSAL_LOG_EVERY

    async def handle(self, request: web.Request) -> web.StreamResponse:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            self._refused(request, "no secret token")
            return web.Response(status=401, text="secret token required")
        if not hmac.compare_digest(given.encode(), self._secret):
            self._refused(request, "a wrong secret token")
            return web.Response(status=403, text="wrong secret token")
        body = await request.text()
        try:
            data = json.loads(body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
        except ValueError:
            return web.Response(status=400, text="not an update")
        try:
            await self.intake.store([self.intake.row(data, body)])
        except Exception:  # Telegram delivers it again
            return web.Response(status=500, text="not stored")
        return web.Response(status=200)

    def _refused(self, request: web.Request, why: str) -> None:
        now = time.monotonic()
        if now - self._last_warning >= REFUSAL_LOG_EVERY:
            self._last_warning = now
            log.warning("webhook request from %s refused: %s", request.remote, why)


class Poller:
    """Long polling into the inbox: a batch is confirmed (the next offset) once stored."""

    def __init__(
        self,
        bot: Bot,
        intake: Intake,
        *,
        timeout: int = 30,
        allowed_updates: Sequence[str] = Update.ALL_TYPES,
    ) -> None:
        self.bot = bot
        self.intake = intake
        self.timeout = timeout
        self.allowed = list(allowed_updates)
        self.offset: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        self._stopping = False
        await self.bot.delete_webhook(drop_pending_updates=False)
        self._task = asyncio.create_task(self._loop(), name="poller")

    async def stop(self) -> None:
        """Stop polling; confirm what was stored, so that it is not fetched again."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.offset is not None:
            with contextlib.suppress(TelegramError):
                await self._get(wait=0, limit=1)

    async def _get(self, wait: int, limit: int = 100) -> list[dict[str, Any]]:
        data = {
            "offset": self.offset,
            "timeout": wait,
            "limit": limit,
            "allowed_updates": self.allowed,
        }
        # Bot._post gives the raw updates (stored as Telegram sent them); Bot.get_updates
        # would parse them.
        result = await self.bot._post(
            "getUpdates",
            {k: v for k, v in data.items() if v is not None},
            read_timeout=wait + 10,
        )
        return list(result) if isinstance(result, list) else []

    async def _loop(self) -> None:
        delay = 0.5
        while not self._stopping:
            try:
                updates = await self._get(self.timeout)
                if updates:
                    rows = [self.intake.row(u) for u in updates]
                    await self.intake.store(rows)
                    self.offset = max(r[0] for r in rows) + 1
                delay = 0.5
            except TimedOut:
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                level = logging.WARNING if isinstance(exc, Conflict | TelegramError) else 40
                log.log(level, "getUpdates failed (%s); trying again in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
