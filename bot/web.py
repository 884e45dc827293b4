"""The bot's own HTTP server (aiohttp): the webhook today; /metrics, /healthz and a Mini App
mount on it the same way (`add_route` before `start`).

Behind a TLS reverse proxy (README: "Webhook mode"): it speaks plain HTTP on WEBHOOK_LISTEN.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.config import parse_listen

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_BODY = 1024 * 1024  # an update is a few KB; Telegram's largest are far below this


class WebServer:
    """One aiohttp application and its listening socket; routes are added before `start`."""

    def __init__(self, listen: str) -> None:
        self.host, self.port = parse_listen(listen)
        self.app = web.Application(client_max_size=MAX_BODY)
        self._runner: web.AppRunner | None = None

    def add_route(self, method: str, path: str, handler: Handler) -> None:
        self.app.router.add_route(method, path, handler)

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(self) -> None:
        runner = web.AppRunner(self.app, handle_signals=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        log.info("HTTP server listening on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
