"""End-to-end harness: a loopback Bot API server and the real Application polling it.

    async with Market(tmp_path) as m:
        alice = m.person(1001, "Alice")
        await alice.send("/start")
        await alice.wait_for("Welcome")

`m.restart()` stops the bot (as a process exit would) and starts a new Application on the
same database: the restart tests use it.

Updates reach the bot by long polling into its inbox; `Market(tmp_path, webhook=True)` has the
loopback server deliver them by webhook to the bot's own HTTP server instead (on a free port).
"""

from __future__ import annotations

import asyncio
import html
import json
import random
import re
import socket
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.app import build_application, start_receiving, stop_receiving
from bot.config import Settings
from bot.domain.errors import DomainError
from bot.services.base import Clock, Services
from bot.storage.conversations import encode
from sandbox.botapi import BotApiServer, SimMessage, SimUser
from tests.conftest import make_settings

TOKEN = "123456:TEST-TOKEN"
SECRET = "test-webhook-secret"


def free_port() -> int:
    """A port to listen on later, outside the kernel's ephemeral range (32768 and up), which
    outgoing connections (database clients, HTTP clients) take from meanwhile: a port 0 pick
    was once taken by such a connection before the bot bound it (EADDRINUSE)."""
    for _ in range(200):
        port = random.randint(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 20000-32000")


def webhook_settings(port: int | None = None, path: str = "/telegram") -> dict[str, Any]:
    """Settings for webhook mode on 127.0.0.1 (a free port unless given)."""
    port = port or free_port()
    return {
        "webhook_url": f"http://127.0.0.1:{port}{path}",
        "webhook_listen": f"127.0.0.1:{port}",
        "webhook_secret": SECRET,
    }


class Market:
    # The database of a test run on both engines (the `market_engine` fixture sets it to a
    # fresh PostgreSQL database's URL); None: an SQLite file in the test's tmp_path.
    default_url: str | None = None

    def __init__(self, tmp_path: Path, *, webhook: bool = False, **settings: Any) -> None:
        self.tmp_path = Path(tmp_path)
        self.server = BotApiServer(token=TOKEN, bot_username="market_bot")
        self.server.webhooks.retry_base = 0.05  # Telegram's seconds, in tens of milliseconds
        self.settings_over = {**(webhook_settings() if webhook else {}), **settings}
        self.clock = Clock()
        self.app: Application | None = None

    async def __aenter__(self) -> Market:
        await self.server.start()
        try:
            await self.start_bot()
        except BaseException:
            await self.server.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.stop_bot()
        finally:
            await self.server.stop()

    @property
    def settings(self) -> Settings:
        over = {
            "bot_token": TOKEN,
            "bot_api_base_url": self.server.base_url,
            "database_url": Market.default_url or f"sqlite:///{self.tmp_path / 'market.db'}",
            **self.settings_over,
        }
        return make_settings(**over)

    @property
    def svc(self) -> Services:
        assert self.app is not None
        return self.app.bot_data["rt"].svc

    async def start_bot(self) -> None:
        self.app = await start_app(self.settings, self.clock)

    async def stop_bot(self) -> None:
        app, self.app = self.app, None
        if app is not None:
            await stop_app(app)

    async def restart(self) -> None:
        await self.stop_bot()
        await self.start_bot()

    async def quiet(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Until every update is handled and no one's turn is held (the bot is idle)."""
        await idle(self.svc, self.server, timeout)

    async def user_data(self, user_id: int) -> dict[str, Any]:
        """A person's user_data as the database holds it (memory keeps none between updates)."""
        async with self.svc.read() as tx:
            text = await tx.conversations.user_data(user_id)
        return json.loads(text) if text else {}

    async def set_user_data(self, user_id: int, data: dict[str, Any]) -> None:
        async with self.svc.tx() as tx:
            await tx.conversations.set_user_data(user_id, encode(data, "user_data"))

    def sentence(self, err: DomainError) -> str:
        """What a person sees for a refusal (visible text, in English)."""
        assert self.app is not None
        return visible(self.app.bot_data["rt"].i18n.error("en", err))

    def person(
        self, user_id: int, name: str, language: str = "en", username: str | None = None
    ) -> SimUser:
        return self.server.add_user(
            user_id, name, username=username or name.lower(), language_code=language
        )

    async def settle(self, seconds: float = 5.0) -> None:
        """Wait until the outbox has nothing pending that is due (notifications delivered)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while loop.time() < end:
            async with self.svc.read() as tx:
                due = await tx.outbox.due(tx.now, 1)
            if not due:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("outbox still has due rows")


async def idle(svc: Services, server: BotApiServer, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    """Until the server has no update pending, and every update stored is handled with no
    one's turn held: the bots on this database are idle."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        async with svc.read() as tx:
            row = await tx.fetchone(
                "SELECT (SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL)"
                " + (SELECT COUNT(*) FROM inbox_turns) AS n"
            )
        if not row["n"] and not server.pending_updates:
            return
        if loop.time() > end:
            raise AssertionError("the bot is still handling updates")
        await asyncio.sleep(0.01)


async def start_app(settings: Settings, clock: Clock) -> Application:
    """A started Application taking updates (as `bot.app.serve` starts it)."""
    app = build_application(
        settings, clock=clock, outbox_poll=0.05, deadline_tick=0.2, inbox_poll=0.2
    )
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()
    await start_receiving(app, poll_timeout=1)
    return app


async def stop_app(app: Application) -> None:
    await stop_receiving(app)
    await app.stop()
    await app.shutdown()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)


def visible(markup: str) -> str:
    """The text Telegram shows for HTML `markup`: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def labels(msg: SimMessage) -> list[str]:
    """The texts of a message's buttons, in order."""
    return [b.text for b in msg.buttons]


async def step(
    user: SimUser,
    text: str | None,
    expect: str,
    press: str | None = None,
    on: SimMessage | None = None,
    *,
    buttons: bool = False,
) -> SimMessage:
    """Type `text` (or press `press` on `on`), then wait for the bot's message containing
    `expect` (with inline buttons, when `buttons`)."""
    if press is not None:
        assert on is not None
        await user.press(on, press)
    elif text is not None:
        await user.send(text)
    if buttons:
        return await user.wait_for(lambda m: expect in m.text and m.inline, timeout=10)
    return await user.wait_for(expect, timeout=10)
