"""The whole marketplace on one machine: `python main.py sandbox [--port 8080]`.

Starts, in one process and one event loop:

* the loopback Bot API server (:mod:`sandbox.botapi`) on a free 127.0.0.1 port;
* the unmodified bot (:func:`bot.app.build_application`) long-polling it: the production code
  path, only ``BOT_API_BASE_URL`` differs;
* the chat page (:mod:`sandbox.web`) at ``http://127.0.0.1:8080``.

Five personas (two clients, two freelancers, a moderator) have started the bot; the moderator
is also in the moderator group.  Windows are minutes instead of days so that reminders and
auto-release can be seen, and the page can fast-forward the shared clock by an hour or a day.

The chats survive a restart (:mod:`sandbox.history`, next to the database), and the page's
Reset starts over: a fresh database, empty chats, the clock at real time, the bot restarted.

Tests drive the same thing with ``async with Sandbox(port=0, database=tmp_path / "s.db")``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.services.base import Clock
from sandbox.botapi import BotApiServer, SimUser
from sandbox.history import ChatHistory
from sandbox.miniapp import MiniAppLink
from sandbox.web import Persona, SandboxWeb

__all__ = [
    "CHANNEL_ID",
    "MODERATOR_CHAT_ID",
    "PERSONAS",
    "SANDBOX_SETTINGS",
    "TOKEN",
    "Sandbox",
    "run_sandbox",
]

log = logging.getLogger(__name__)

TOKEN = "100000:SANDBOX"
BOT_USERNAME = "market_sandbox_bot"
BOT_NAME = "Marketplace"
MODERATOR_CHAT_ID = -1001000000001
CHANNEL_ID = -1001000000002
DEFAULT_DATABASE = Path("data/sandbox.db")

PERSONAS: tuple[Persona, ...] = (
    Persona(1001, "Alice", "alice_client", "en", "client", "runs a small publishing house"),
    Persona(1002, "Борис", "boris_client", "ru", "client", "владелец интернет-магазина"),
    Persona(2001, "Carol", "carol_writes", "en", "freelancer", "copywriter and editor"),
    Persona(2002, "Dev", "dev_builds", "en", "freelancer", "Python and web developer"),
    Persona(9001, "Maya", "maya_moderator", "en", "moderator", "keeps the marketplace fair"),
)

# Minutes instead of days, so that a session sees reminders, expiry and auto-release.
SANDBOX_SETTINGS: dict[str, Any] = {
    "bidding_window": "30m",
    "funding_window": "10m",
    "review_window": "10m",
    "delivery_grace": "5m",
    "nudge_lead": "2m",
    "dispute_response_window": "10m",
    "dispute_sla": "10m",
    "feedback_window": "30m",
    "min_deadline": "1m",
    "payment_provider_token": "",
}


class Sandbox:
    """The Bot API server, the bot and the chat page, started and stopped together."""

    def __init__(
        self,
        *,
        port: int = 8080,
        host: str = "127.0.0.1",
        database: str | Path = DEFAULT_DATABASE,
        personas: tuple[Persona, ...] = PERSONAS,
        settings: Mapping[str, Any] | None = None,
        deadline_tick: float = 1.0,
        outbox_poll: float = 0.2,
        start_personas: bool = True,
        jobs_channel: bool = True,
        persist_clock: bool = True,
        persist_chats: bool = True,
        miniapp_port: int | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.database = Path(database)
        self.personas = personas
        self.settings_over = dict(settings or {})
        self.deadline_tick = deadline_tick
        self.outbox_poll = outbox_poll
        self.start_personas = start_personas
        self.jobs_channel = jobs_channel
        self.persist_clock = persist_clock
        self.clock = Clock(self._load_offset())
        self.server = BotApiServer(token=TOKEN, bot_username=BOT_USERNAME, bot_name=BOT_NAME)
        self.history = ChatHistory(self.server, self.database) if persist_chats else None
        self.web: SandboxWeb | None = None
        # The Mini App on a port of its own, as in polling mode (bot/miniapp/server.py); the
        # page's 📱 App panel frames it with initData signed for the persona.
        self.miniapp_port = miniapp_port if miniapp_port is not None else _free_port(host)
        self.miniapp_url = f"http://{host}:{self.miniapp_port}/app/"
        self.app: Any = None  # telegram.ext.Application once started
        self._housekeeping: asyncio.Task | None = None
        self._resetting = asyncio.Lock()

    # -- pieces -------------------------------------------------------------------------
    @property
    def clock_file(self) -> Path:
        return self.database.with_name(self.database.name + ".clock")

    def _load_offset(self) -> int:
        if not self.persist_clock or not self.database.exists():
            return 0  # a fresh database starts at real time
        with contextlib.suppress(OSError, ValueError, TypeError):
            return max(0, int(json.loads(self.clock_file.read_text())["offset"]))
        return 0

    def _save_offset(self, _seconds: int = 0) -> None:
        if self.persist_clock:
            with contextlib.suppress(OSError):
                self.clock_file.write_text(json.dumps({"offset": self.clock.offset}))

    @property
    def moderator(self) -> Persona:
        return next(p for p in self.personas if p.role == "moderator")

    def user(self, key: int | str) -> SimUser:
        """A persona's simulated user, by user id, name or username."""
        for p in self.personas:
            if key in (p.user_id, p.name, p.username):
                return self.server.user(p.user_id)
        raise KeyError(key)

    def settings(self) -> Any:
        from bot.config import Settings

        values: dict[str, Any] = {
            "bot_token": TOKEN,
            "bot_api_base_url": self.server.base_url,
            "database_url": f"sqlite:///{self.database}",
            "moderator_chat_id": MODERATOR_CHAT_ID,
            "admin_user_ids": [self.moderator.user_id],
            "jobs_channel_id": CHANNEL_ID if self.jobs_channel else None,
            "miniapp_url": self.miniapp_url,
            "miniapp_port": self.miniapp_port,
            **SANDBOX_SETTINGS,
            **self.settings_over,
        }
        # No .env: a production token or database there must not leak into the sandbox.
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    def _populate(self) -> None:
        for p in self.personas:
            self.server.add_user(
                p.user_id, p.name, username=p.username, language_code=p.language, started=True
            )
        members = {p.user_id: "member" for p in self.personas if p.role == "moderator"}
        if members:
            first = next(iter(members))
            members[first] = "creator"
        self.server.add_chat(MODERATOR_CHAT_ID, "supergroup", "Moderators", members)
        if self.jobs_channel:
            self.server.add_chat(
                CHANNEL_ID, "channel", "Marketplace jobs", username="market_sandbox_jobs"
            )

    # -- lifecycle ----------------------------------------------------------------------
    async def start(self) -> Sandbox:
        await self.server.start()
        self._populate()
        # The page first: a port already in use fails before the database is touched.
        groups = [MODERATOR_CHAT_ID] + ([CHANNEL_ID] if self.jobs_channel else [])
        self.web = SandboxWeb(
            self.server,
            self.personas,
            group_ids=groups,
            clock=self.clock,
            on_advance=self._save_offset,
            on_reset=self.reset,
            host=self.host,
            port=self.port,
            title="Marketplace sandbox",
            miniapp=MiniAppLink(self.miniapp_url, TOKEN, self.clock.now, self.personas),
        )
        await self.web.start()
        self.port = self.web.port
        restored = self.history.load() if self.history is not None else False
        await self._start_bot(greet=self.start_personas and not restored)
        if self.history is not None:
            self.history.watch()
        self._housekeeping = asyncio.create_task(self._trim_records())
        return self

    async def _start_bot(self, *, greet: bool) -> None:
        """The unmodified bot on the database; with `greet`, every persona sends /start."""
        from bot.app import build_application, start_receiving

        self.database.parent.mkdir(parents=True, exist_ok=True)
        app = build_application(
            self.settings(),
            clock=self.clock,
            outbox_poll=self.outbox_poll,
            deadline_tick=self.deadline_tick,
        )
        # The order of bot.app.serve(), which owns its signals and so can't be used here.
        self.app = app
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        await start_receiving(app, poll_timeout=10)
        if greet:
            for p in self.personas:
                await self.server.user(p.user_id).send("/start")

    async def _stop_bot(self) -> None:
        app, self.app = self.app, None
        if app is not None:  # as bot.app.serve() ends
            from bot.app import stop_receiving

            if app.running:
                await stop_receiving(app)
                await app.stop()
                if app.post_stop is not None:
                    await app.post_stop(app)
            await app.shutdown()
            if app.post_shutdown is not None:
                await app.post_shutdown(app)

    async def stop(self) -> None:
        if self._housekeeping is not None:
            self._housekeeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._housekeeping
            self._housekeeping = None
        if self.web is not None:
            await self.web.stop()
            self.web = None
        started = self.app is not None
        await self._stop_bot()
        if self.history is not None and started:
            self.history.close()  # after the bot: everything it sent is in
        await self.server.stop()
        self._save_offset()

    async def reset(self) -> None:
        """Start over, as if the sandbox had never run: the bot stops, the database, its
        history and the clock file go, the server forgets every chat, the clock returns to
        real time, and the bot starts again on a new database; every persona sends /start."""
        async with self._resetting:
            await self._stop_bot()
            if self.history is not None:
                self.history.discard()
            self.server.reset()
            for suffix in ("", "-wal", "-shm", "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    self.database.with_name(self.database.name + suffix).unlink()
            with contextlib.suppress(FileNotFoundError):
                self.clock_file.unlink()
            self.clock.offset = 0
            self._populate()
            await self._start_bot(greet=self.start_personas)
            self._save_offset()

    async def __aenter__(self) -> Sandbox:
        try:
            return await self.start()
        except BaseException:
            await self.stop()
            raise

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def advance(self, seconds: int) -> None:
        """Fast-forward the shared clock; the deadline scheduler acts at its next tick."""
        if self.web is not None:
            await self.web.advance(seconds)
        else:
            self.clock.advance(seconds)
            self._save_offset()

    async def _trim_records(self) -> None:
        """The server records every call for tests; a long session only needs the recent."""
        while True:
            await asyncio.sleep(60)
            records = self.server.call_records
            if len(records) > 2000:
                del records[: len(records) - 1000]


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _banner(sandbox: Sandbox) -> str:
    lines = [
        "",
        f"  Sandbox running: open {sandbox.url} in your browser",
        f"  Bot API (loopback): {sandbox.server.base_url}   database: {sandbox.database}",
        f"  Mini App: {sandbox.miniapp_url} (the page's 📱 App opens it as each persona)",
        "  Personas: " + ", ".join(f"{p.name} ({p.role}, {p.language})" for p in sandbox.personas),
        "  Ctrl+C to stop; the chats are kept for the next start; Reset on the page starts over.",
        "",
    ]
    return "\n".join(lines)


async def _serve(port: int, database: Path) -> None:
    sandbox = Sandbox(port=port, database=database)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await sandbox.start()
    except OSError as exc:
        await sandbox.stop()
        raise SystemExit(f"Sandbox: cannot listen on {sandbox.host}:{port}: {exc}") from None
    except BaseException:
        await sandbox.stop()
        raise
    print(_banner(sandbox), flush=True)
    try:
        await stop.wait()
    finally:
        print("Sandbox: stopping…", flush=True)
        await sandbox.stop()


def run_sandbox(port: int = 8080, database: str | Path = DEFAULT_DATABASE) -> None:
    """Run the sandbox until Ctrl+C (the `sandbox` command of main.py)."""
    # The deadline job ticks every second here; its INFO lines would drown everything else.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(port, Path(database)))
