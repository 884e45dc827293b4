"""The loopback Bot API server delivers updates by webhook as Telegram does
(sandbox/webhooks.py): the secret header, a chat's updates one at a time and in order,
different chats concurrently, retries on non-2xx and timeouts, getUpdates refused meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from sandbox.botapi import BotApiServer
from sandbox.webhooks import SECRET_HEADER

TOKEN = "123456:TEST-TOKEN"


class Receiver:
    """A webhook endpoint that records what it gets and answers as told."""

    def __init__(self) -> None:
        self.got: list[tuple[dict[str, Any], str | None]] = []
        self.statuses: list[int] = []  # answers for the next requests (then 200)
        self.gates: dict[int, asyncio.Event] = {}  # chat -> hold its requests until set
        self.sleep = 0.0
        self.changed = asyncio.Event()
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        update = json.loads(await request.text())
        self.got.append((update, request.headers.get(SECRET_HEADER)))
        self.changed.set()
        chat = update.get("message", {}).get("chat", {}).get("id")
        if chat in self.gates:
            await self.gates[chat].wait()
        if self.sleep:
            await asyncio.sleep(self.sleep)
        status = self.statuses.pop(0) if self.statuses else 200
        return web.Response(status=status)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/hook"

    async def until(self, n: int, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Until `n` requests came in."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            self.changed.clear()
            if len(self.got) >= n:
                return
            assert loop.time() < end, self.got
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), end - loop.time())


@pytest.fixture
async def env() -> AsyncIterator[tuple[BotApiServer, Receiver, aiohttp.ClientSession]]:
    receiver = Receiver()
    await receiver.start()
    async with BotApiServer(token=TOKEN) as server, aiohttp.ClientSession() as session:
        server.webhooks.retry_base = 0.02
        yield server, receiver, session
        for gate in receiver.gates.values():
            gate.set()
    assert receiver.runner is not None
    await receiver.runner.cleanup()


async def call(session: aiohttp.ClientSession, server: BotApiServer, method: str, **params):
    async with session.post(f"{server.base_url}{TOKEN}/{method}", json=params) as resp:
        return resp.status, await resp.json()


async def test_set_webhook_rules(env) -> None:
    server, receiver, session = env
    status, body = await call(session, server, "setWebhook", url=receiver.url, secret_token="a b")
    assert status == 400 and "secret token" in body["description"]
    status, _ = await call(session, server, "setWebhook", url="not a url")
    assert status == 400
    status, _ = await call(session, server, "setWebhook", url=receiver.url, secret_token="s-1")
    assert status == 200
    status, body = await call(session, server, "getUpdates")
    assert status == 409 and "webhook is active" in body["description"]
    _, info = await call(session, server, "getWebhookInfo")
    assert info["result"]["url"] == receiver.url
    await call(session, server, "deleteWebhook")
    status, body = await call(session, server, "getUpdates")
    assert status == 200 and body["result"] == []


async def test_delivered_with_the_secret_and_confirmed_by_a_200(env) -> None:
    server, receiver, session = env
    await call(session, server, "setWebhook", url=receiver.url, secret_token="s-1")
    ann = server.add_user(1001, "Ann", started=True)
    await ann.send("hello")
    await receiver.until(1)
    await server.drain_updates()
    [(update, secret)] = receiver.got
    assert secret == "s-1" and update["message"]["text"] == "hello"
    _, info = await call(session, server, "getWebhookInfo")
    assert info["result"]["pending_update_count"] == 0


async def test_a_chats_updates_one_at_a_time_other_chats_meanwhile(env) -> None:
    server, receiver, session = env
    await call(session, server, "setWebhook", url=receiver.url, secret_token="s")
    ann, bob = server.add_user(1001, "Ann"), server.add_user(1002, "Bob")
    receiver.gates[1001] = asyncio.Event()  # Ann's first request hangs
    await ann.send("one")
    await ann.send("two")
    await bob.send("hi")
    await receiver.until(2)
    texts = [u["message"]["text"] for u, _ in receiver.got]
    assert texts == ["one", "hi"]  # Ann's second waits for her first's answer; Bob's goes
    for _ in range(500):  # Bob's is confirmed once its 200 is in; Ann's two stay pending
        if len(server.pending_updates) == 2:
            break
        await asyncio.sleep(0.01)
    assert [u["message"]["text"] for u in server.pending_updates] == ["one", "two"]
    receiver.gates[1001].set()
    await receiver.until(3)
    await server.drain_updates()
    assert [u["message"]["text"] for u, _ in receiver.got] == ["one", "hi", "two"]


async def test_retried_after_errors_and_timeouts(env) -> None:
    server, receiver, session = env
    await call(session, server, "setWebhook", url=receiver.url, secret_token="s")
    receiver.statuses = [500, 502]
    ann = server.add_user(1001, "Ann")
    await ann.send("hello")
    await receiver.until(3)
    await server.drain_updates()
    assert [d.status for d in server.webhooks.log] == [500, 502, 200]
    _, info = await call(session, server, "getWebhookInfo")
    assert "502" in info["result"]["last_error_message"]

    server.webhooks.timeout = 0.1
    receiver.sleep = 0.3  # no answer in time: Telegram gives up on it and sends it again
    await ann.send("again")
    await receiver.until(5)
    receiver.sleep = 0.0
    await server.drain_updates()
    tail = server.webhooks.log[3:]
    assert tail[0].status is None and "timeout" in (tail[0].error or "").lower()
    assert tail[-1].status == 200
