"""`/metrics` and `/healthz` over HTTP (aiohttp), for Prometheus and a load balancer.

`add_ops_routes(web_app, application)` adds both routes to any `aiohttp.web.Application`
(the webhook server mounts them there); in polling mode `OpsServer` serves them on
METRICS_PORT (all interfaces: Prometheus scrapes from another host; keep the port off the
public internet). Both answer from the running Application's `Ops`: the metrics registry, the
Telegram signal the transport keeps, the scheduler's and dispatcher's heartbeats.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

from aiohttp import web
from telegram.ext import Application

from bot.health import Health, Heartbeats, TelegramSignal
from bot.metrics import CONTENT_TYPE_LATEST, Metrics
from bot.pacing import PACED, is_send
from bot.services import ops as ops_service

log = logging.getLogger(__name__)

SCRAPE_TIMEOUT = 5.0  # seconds the scrape waits for the database's figures
OPS_KEY: web.AppKey[Application] = web.AppKey("market_application", Application)


@dataclass
class Ops:
    """What the HTTP routes read, kept up by the transport, the dispatcher and the scheduler."""

    metrics: Metrics = field(default_factory=Metrics)
    signal: TelegramSignal = field(default_factory=TelegramSignal)
    beats: Heartbeats = field(default_factory=Heartbeats)
    health: Health | None = None  # built once the bot and the database are there

    def telegram_call(self, method: str, status: int | None, error: str = "") -> None:
        """Every Bot API call's outcome (bot.transport): an HTTP status, or None and why."""
        source = "outbox" if PACED.get() else ("answer" if is_send(method) else "other")
        self.metrics.telegram_call(method, status, source)
        now = time.monotonic()
        if status is None or status >= 500 or status in (401, 404):
            self.signal.failed(now, error or f"HTTP {status}")
        else:
            self.signal.ok(now)
            self.metrics.telegram_last_ok.set(time.time())

    def dispatcher_pass(self) -> None:
        self.beats.dispatcher = time.monotonic()
        self.metrics.dispatcher_last_pass.set(time.time())

    def scheduler_ran(self, acted: int, failed: int) -> None:
        self.beats.scheduler = time.monotonic()
        self.metrics.scheduler_ran(acted, failed)


def ops_of(application: Application) -> Ops:
    return application.bot_data["ops"]


async def metrics_view(request: web.Request) -> web.Response:
    application = request.app[OPS_KEY]
    ops = ops_of(application)
    svc = application.bot_data["rt"].svc
    start = time.perf_counter()
    try:
        gauges = await asyncio.wait_for(ops_service.gauges(svc), SCRAPE_TIMEOUT)
    except Exception as exc:
        log.warning("the scrape could not read the database: %s", exc)
        gauges = None
    ops.metrics.set_gauges(gauges, time.perf_counter() - start)
    return web.Response(
        body=ops.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST}
    )


async def healthz_view(request: web.Request) -> web.Response:
    ops = ops_of(request.app[OPS_KEY])
    if ops.health is None:
        return web.json_response({"status": "starting"}, status=503)
    report = await ops.health.report()
    return web.json_response(report.as_json(), status=200 if report.healthy else 503)


def add_ops_routes(web_app: web.Application, application: Application) -> None:
    """Mount /metrics and /healthz of `application` (the bot) on `web_app`."""
    web_app[OPS_KEY] = application
    web_app.router.add_get("/metrics", metrics_view)
    web_app.router.add_get("/healthz", healthz_view)


class OpsServer:
    """The routes on a port of their own (polling mode: METRICS_PORT)."""

    def __init__(self, application: Application, port: int, host: str = "0.0.0.0") -> None:
        self.application = application
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        web_app = web.Application()
        add_ops_routes(web_app, self.application)
        self._runner = web.AppRunner(web_app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        log.info("serving /metrics and /healthz on port %s", self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
