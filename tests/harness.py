"""End-to-end harness: a loopback Bot API server and the real Application polling it.

    async with Market(tmp_path) as m:
        alice = m.person(1001, "Alice")
        await alice.send("/start")
        await alice.wait_for("Welcome")

`m.restart()` stops the bot (as a process exit would, after PTB flushes its persistence) and
starts a new Application on the same database: the restart tests use it.
"""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.app import build_application
from bot.config import Settings
from bot.domain.errors import DomainError
from bot.sandbox.botapi import BotApiServer, SimMessage, SimUser
from bot.services.base import Clock, Services
from tests.conftest import make_settings

TOKEN = "123456:TEST-TOKEN"


class Market:
    # The database of a test run on both engines (the `market_engine` fixture sets it to a
    # fresh PostgreSQL database's URL); None: an SQLite file in the test's tmp_path.
    default_url: str | None = None

    def __init__(self, tmp_path: Path, **settings: Any) -> None:
        self.tmp_path = Path(tmp_path)
        self.server = BotApiServer(token=TOKEN, bot_username="market_bot")
        self.settings_over = settings
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
        app = build_application(
            self.settings,
            clock=self.clock,
            outbox_poll=0.05,
            deadline_tick=0.2,
            persistence_interval=0.2,
        )
        await app.initialize()
        if app.post_init is not None:  # run_polling() would call it; tests start by hand
            await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        self.app = app

    async def stop_bot(self) -> None:
        app, self.app = self.app, None
        if app is None:
            return
        assert app.updater is not None
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)

    async def restart(self) -> None:
        await self.stop_bot()
        await self.start_bot()

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
