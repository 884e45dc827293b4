"""Webhook delivery for the loopback Bot API server, as Telegram does it.

While a webhook is set (setWebhook) getUpdates is refused with 409, and every pending update
is POSTed to the URL as JSON, with `X-Telegram-Bot-Api-Secret-Token` when a secret was
given. As in Telegram's own server (tdlib/telegram-bot-api, WebhookActor): updates are
queued per chat, a chat's next update is sent only once the one before was answered with a
2xx, different chats' updates go out concurrently (up to `max_connections`); a non-2xx
answer, a connection error or no answer within `timeout` is retried, at once the first time,
then after 2, 4, 8 ... seconds (at most a minute; `retry_base` scales it for tests), and
honours a `Retry-After` header.

Knobs for tests, none of which Telegram has: `pause()` / `resume(shuffle=rng)` hold the
deliveries back and then send everything pending at once, concurrently and in a shuffled
order (`in_order=False` drops the per-chat queue); `balance(urls)` delivers to several URLs
in turn, as a load balancer in front of several instances would; `repeat_next(n)` sends the
next n delivered updates again after their 200 (as when Telegram did not get the answer);
`wrong_secret` sends that instead of the secret; `log` records every attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp

if TYPE_CHECKING:
    from sandbox.botapi import BotApiServer

_LOG = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
MAX_RETRY_DELAY = 60.0


@dataclass
class Delivery:
    """One attempt to deliver an update."""

    update_id: int
    url: str
    status: int | None  # the HTTP status, None when there was no answer
    error: str | None
    at: float


class WebhookDelivery:
    def __init__(self, server: BotApiServer) -> None:
        self.server = server
        self.url: str | None = None
        self.secret: str | None = None
        self.max_connections = 40
        self.timeout = 10.0
        self.retry_base = 1.0
        self.in_order = True
        self.wrong_secret: str | None = None
        self.targets: list[str] | None = None
        self.log: list[Delivery] = []
        self.last_error: tuple[int, str] | None = None
        self._shuffle: random.Random | None = None
        self._paused = False
        self._repeat = 0
        self._turn = 0
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._fails: dict[int, int] = {}
        self._wakeup: dict[int, float] = {}
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None

    # -- the Bot API methods ------------------------------------------------------------------

    def set(self, url: str, secret: str | None, max_connections: int | None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("Bad Request: bad webhook: invalid URL")
        if secret is not None and not SECRET_TOKEN.fullmatch(secret):
            raise ValueError("Bad Request: secret token contains unallowed characters")
        if max_connections is not None and not 1 <= max_connections <= 100:
            raise ValueError("Bad Request: bad webhook: max_connections must be 1-100")
        self.url, self.secret = url, secret
        self.max_connections = max_connections or 40
        self.last_error = None
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="webhooks")
        self.kick()

    def delete(self) -> None:
        self.url = self.secret = None
        self.kick()

    def info(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "url": self.url or "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.server._updates),
        }
        if self.url:
            out["max_connections"] = self.max_connections
        if self.last_error is not None:
            out["last_error_date"], out["last_error_message"] = self.last_error
        return out

    # -- test knobs ---------------------------------------------------------------------------

    def pause(self) -> None:
        """Hold every delivery back (updates stay pending) until `resume`."""
        self._paused = True

    def resume(self, shuffle: random.Random | None = None) -> None:
        """Deliver again; with `shuffle`, everything pending goes out at once, concurrently,
        in an order drawn from it (no per-chat queue while it is set)."""
        self._paused = False
        self._shuffle = shuffle
        self.kick()

    def balance(self, urls: list[str] | None) -> None:
        """Deliver to these URLs in turn (None: to the URL of setWebhook)."""
        self.targets = list(urls) if urls else None

    def repeat_next(self, times: int = 1) -> None:
        """Deliver each of the next `times` delivered updates once more after its 2xx."""
        self._repeat += times

    def kick(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        self.url = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        tasks = list(self._in_flight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._in_flight.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- delivery -----------------------------------------------------------------------------

    def _eligible(self, now: float) -> list[dict]:
        """Updates to send now: a chat's first pending one (any, without the queue), not in
        flight, not waiting for a retry."""
        seen: set[object] = set()
        out = []
        in_order = self.in_order and self._shuffle is None
        for update in self.server._deliverable_updates():
            uid = update["update_id"]
            if in_order:
                queue = _queue_of(update)
                if queue in seen:
                    continue
                seen.add(queue)
            if uid in self._in_flight or self._wakeup.get(uid, 0.0) > now:
                continue
            out.append(update)
        if self._shuffle is not None:
            self._shuffle.shuffle(out)
        return out

    async def _loop(self) -> None:
        while not self.server._closing:
            self._wake.clear()
            now = time.monotonic()
            if self.url and not self._paused:
                for update in self._eligible(now):
                    if len(self._in_flight) >= self.max_connections:
                        break
                    uid = update["update_id"]
                    self._in_flight[uid] = asyncio.get_running_loop().create_task(
                        self._deliver(update), name=f"webhook-{uid}"
                    )
            waits = [t - now for t in self._wakeup.values() if t > now]
            timeout = min(waits) if waits else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    def _target(self) -> str:
        if self.targets:
            url = self.targets[self._turn % len(self.targets)]
            self._turn += 1
            return url
        assert self.url is not None
        return self.url

    async def _deliver(self, update: dict) -> None:
        uid = update["update_id"]
        url = self._target()
        headers = {"Content-Type": "application/json"}
        secret = self.wrong_secret if self.wrong_secret is not None else self.secret
        if secret:
            headers[SECRET_HEADER] = secret
        status: int | None = None
        error: str | None = None
        retry_after = 0.0
        try:
            if self._session is None:
                self._session = aiohttp.ClientSession()
            async with self._session.post(
                url,
                data=json.dumps(update),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as resp:
                status = resp.status
                await resp.read()
                if not 200 <= status < 300:
                    error = f"Wrong response from the webhook: {status} {resp.reason}"
                    with contextlib.suppress(ValueError):
                        retry_after = float(resp.headers.get("Retry-After", "0"))
        except TimeoutError:
            error = "Read timeout expired"
        except aiohttp.ClientError as exc:
            error = f"Connection failed: {exc}"
        finally:
            self._in_flight.pop(uid, None)
        self.log.append(Delivery(uid, url, status, error, time.time()))
        if error is None and self._repeat > 0:
            self._repeat -= 1  # "Telegram did not get the answer": the same update again
        elif error is None:
            self._fails.pop(uid, None)
            self._wakeup.pop(uid, None)
            self.server._confirm_one(uid)
        else:
            fails = self._fails.get(uid, 0)
            self._fails[uid] = fails + 1
            delay = 0.0 if fails == 0 else self.retry_base * 2**fails
            delay = max(retry_after, min(delay, MAX_RETRY_DELAY * self.retry_base))
            self._wakeup[uid] = time.monotonic() + delay
            self.last_error = (int(time.time()), error)
            _LOG.debug("webhook delivery of update %s failed: %s", uid, error)
        self.kick()


def _queue_of(update: dict) -> object:
    """The queue Telegram keeps an update in: its chat (or user), else an own one."""
    for key, obj in update.items():
        if key == "update_id" or not isinstance(obj, dict):
            continue
        chat = obj.get("chat") or (obj.get("message") or {}).get("chat")
        if isinstance(chat, dict) and "id" in chat:
            return chat["id"]
        user = obj.get("from") or obj.get("user")
        if isinstance(user, dict) and "id" in user:
            return user["id"]
    return ("update", update["update_id"])
