"""/metrics and /healthz (issue 16), served on METRICS_PORT by the running bot and read over
HTTP: every listed family is there and moves with a lifecycle driven through Telegram
updates; /healthz answers 503 with the reason while the database or Telegram cannot be
reached, the dispatcher is not running or the scheduler has stopped."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.services import payouts
from tests import factories as f
from tests.factories import CLIENT, FREELANCER, STRANGER
from tests.harness import Market, free_port

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning"),
    pytest.mark.usefixtures("market_engine"),  # on both engines
]

FAMILIES = (
    "market_updates",  # updates handled by kind and outcome
    "market_update_seconds",  # handler latency histogram
    "market_outbox_pending",  # outbox depth per lane
    "market_outbox_oldest_age_seconds",  # outbox age per lane
    "market_telegram_429",  # 429s
    "market_outbox_gave_up",  # give-ups
    "market_deadlines_due",
    "market_deadlines_overdue",
    "market_scheduler_lag_seconds",
    "market_event_loop_lag_seconds",
    "market_money_minor",  # money in escrow by currency (account="escrow")
)


class Scraper:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"

    async def get(self, path: str) -> tuple[int, str, dict]:
        async with aiohttp.ClientSession() as session, session.get(self.base + path) as r:
            body = await r.text()
            return r.status, body, dict(r.headers)

    async def metrics(self) -> dict[tuple[str, tuple], float]:
        status, body, headers = await self.get("/metrics")
        assert status == 200 and headers["Content-Type"].startswith("text/plain")
        out: dict[tuple[str, tuple], float] = {}
        for family in text_string_to_metric_families(body):
            out[(family.name, ())] = 0.0  # the family is exposed
            for sample in family.samples:
                out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return out

    async def health(self) -> tuple[int, dict]:
        async with aiohttp.ClientSession() as session, session.get(self.base + "/healthz") as r:
            return r.status, await r.json()


def value(got: dict, name: str, **labels: str) -> float:
    return got.get((name, tuple(sorted(labels.items()))), 0.0)


async def eventually(check, timeout: float = 10.0):  # noqa: ASYNC109
    """Poll `check` (a coroutine function) until it returns something true."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        result = await check()
        if result:
            return result
        assert loop.time() < end, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_metrics_expose_every_family_and_move_with_a_lifecycle(tmp_path, monkeypatch) -> None:
    port = free_port()
    async with Market(tmp_path, metrics_port=port) as m:
        web = Scraper(port)
        svc = m.svc
        clara = m.person(CLIENT, "Clara")
        fred = m.person(FREELANCER, "Fred")
        before = await web.metrics()
        for name in FAMILIES:
            assert (name, ()) in before, name
        assert value(before, "market_money_minor", account="escrow", currency="XTR") == 0
        assert value(before, "market_outbox_pending", lane="transactional") == 0
        assert value(before, "market_database_up") == 1

        # Updates by kind and outcome, and their latency.
        await clara.send("/start")
        await clara.wait_for("/help")
        await fred.send("/start")
        await fred.wait_for("/help")
        await clara.send("/release 999")  # refused: one sentence
        await clara.wait_for("Deal #999")
        job = await f.job(svc, CLIENT)
        bid = await f.bid(svc, job.id, FREELANCER)
        await clara.send(f"/accept {bid.id}")
        invoice = await clara.wait_for(lambda x: x.invoice is not None)
        await clara.pay(invoice)
        async with svc.read() as tx:
            deal_id = (await tx.deals.for_job(job.id))[0].id
        await clara.wait_for(f"Deal #{deal_id} is funded")
        await m.settle()
        funded = await web.metrics()
        assert value(funded, "market_updates_total", kind="command", outcome="ok") >= 3
        assert value(funded, "market_updates_total", kind="command", outcome="refused") == 1
        assert value(funded, "market_updates_total", kind="payment", outcome="ok") == 1
        assert value(funded, "market_updates_total", kind="pre_checkout", outcome="ok") == 1
        assert value(funded, "market_commands_total", command="accept") == 1
        assert value(funded, "market_update_seconds_count", kind="command") >= 4
        assert value(funded, "market_money_minor", account="escrow", currency="XTR") == 150
        assert value(funded, "market_outbox_sent_total", lane="transactional") >= 2

        # The outbox backs up while the dispatcher is stopped: depth and age per lane.
        dispatcher = m.app.bot_data["rt"].dispatcher
        await dispatcher.stop()
        await fred.send(f"/deliver {deal_id} Done")
        await fred.wait_for(f"Deal #{deal_id} is delivered")
        m.clock.advance(30)
        backed = await web.metrics()
        assert value(backed, "market_outbox_pending", lane="transactional") >= 1
        assert value(backed, "market_outbox_oldest_age_seconds", lane="transactional") >= 30
        await dispatcher.start()
        await m.settle()
        drained = await web.metrics()
        assert value(drained, "market_outbox_pending", lane="transactional") == 0
        assert value(drained, "market_outbox_oldest_age_seconds", lane="transactional") == 0

        # Deadlines due and overdue, the scheduler's lag, while the scheduler is stopped.
        scheduler = m.app.bot_data["deadlines"]
        scheduler.stop()
        await asyncio.sleep(0)
        m.clock.advance(svc.settings.review_window + 120)
        late = await web.metrics()
        assert value(late, "market_deadlines_due") >= 1
        assert value(late, "market_deadlines_overdue") >= 1
        assert value(late, "market_scheduler_lag_seconds") >= 120
        assert await scheduler.tick() >= 1  # the review window ends: auto-release
        await m.settle()
        released = await web.metrics()
        assert value(released, "market_deadlines_due") == 0
        assert value(released, "market_deadlines_overdue") == 0
        assert value(released, "market_scheduler_lag_seconds") == 0
        assert value(released, "market_money_minor", account="escrow", currency="XTR") == 0
        assert value(released, "market_money_minor", account="user", currency="XTR") == 135
        assert value(released, "market_money_minor", account="fees", currency="XTR") == 15
        assert value(released, "market_deadlines_acted_total") >= 1

        # A 429 met by an answer, and a notification given up (the person never started
        # the bot: 403).
        m.server.flood("sendMessage", retry_after=1)
        await clara.send("/help")
        await clara.wait_for("Everyone")
        sam = m.person(STRANGER, "Sam")
        assert not sam.started
        async with svc.tx() as tx:
            await tx.outbox.add(STRANGER, "reply.text", {"text": "hello"})
        dispatcher.kick()
        await m.settle()
        last = await web.metrics()
        assert value(last, "market_telegram_429_total", source="answer") == 1
        assert value(last, "market_outbox_gave_up_total", lane="answer", reason="blocked") == 1
        assert value(last, "market_telegram_calls_total", method="sendMessage", result="429") == 1
        assert value(last, "market_event_loop_lag_seconds") >= 0
        assert value(last, "market_event_loop_lag_observed_seconds_count") >= 1
        assert 0 < value(last, "market_database_scrape_seconds") < 1
        assert time.time() - value(last, "market_dispatcher_last_pass_timestamp_seconds") < 60

        # An update that fails unexpectedly is counted as an error.
        async def broken(*args: object) -> None:
            raise RuntimeError("boom")

        monkeypatch.setattr(payouts, "balances", broken)
        await clara.send("/balance")
        await clara.wait_for("Something went wrong")
        # Counted when the handling ends, which is after the answer (and the moderators'
        # alert): the figure is read once the update is done and its turn given back.
        await m.quiet()
        failed = await web.metrics()
        assert value(failed, "market_updates_total", kind="command", outcome="error") == 1
        # Nothing of a person's text or a token in the exposition.
        _status, body, _headers = await web.get("/metrics")
        assert "TEST-TOKEN" not in body and "hello" not in body


async def test_healthz_turns_unhealthy_with_a_reason(tmp_path) -> None:
    port = free_port()
    async with Market(tmp_path, metrics_port=port) as m:
        web = Scraper(port)
        ops = m.app.bot_data["ops"]

        async def status_is(code: int):
            status, body = await web.health()
            return body if status == code else None

        body = await eventually(lambda: status_is(200))
        assert body == {
            "status": "ok",
            "checks": {"database": "ok", "telegram": "ok", "scheduler": "ok", "dispatcher": "ok"},
        }

        # Telegram unreachable: every call answers 502 (getUpdates too).
        m.server.inject_fault(None, times=None, status=502, retry_after=None)
        m.server.inject_fault("getUpdates", times=None, status=502, retry_after=None)
        body = await eventually(lambda: status_is(503))
        assert body["status"] == "unhealthy" and body["reason"].startswith("telegram: ")
        assert body["checks"]["database"] == "ok" and body["checks"]["telegram"] != "ok"
        assert m.server.calls_of("getMe")  # the probe asked
        m.server.clear_faults()
        await eventually(lambda: status_is(200), timeout=15)

        # The database does not answer: transactions hold the bot's connection (SQLite's
        # one; every connection of PostgreSQL's pool).
        ops.health.db_timeout = 0.2
        gate = asyncio.Event()
        holders = getattr(m.svc.db, "pool_size", 1)
        holding = [asyncio.Event() for _ in range(holders)]

        async def stuck(held: asyncio.Event) -> None:
            async with m.svc.tx():
                held.set()
                await gate.wait()

        tasks = [asyncio.create_task(stuck(held)) for held in holding]
        for held in holding:
            await held.wait()
        status, body = await web.health()
        assert status == 503
        assert body["reason"] == "database: no answer within 0.2 s"
        gate.set()
        await asyncio.gather(*tasks)
        assert (await web.health())[0] == 200

        # The dispatcher is not running; the scheduler has not run for two minutes.
        dispatcher = m.app.bot_data["rt"].dispatcher
        await dispatcher.stop()
        status, body = await web.health()
        assert status == 503 and body["reason"] == "dispatcher: not running"
        await dispatcher.start()
        m.app.bot_data["deadlines"].stop()
        real = ops.health.clock
        ops.health.clock = lambda: real() + 120
        status, body = await web.health()
        assert status == 503 and "scheduler: last ran 12" in body["reason"]
        ops.health.clock = real

        # The database is gone (its connection closed).
        await m.svc.db.close()
        status, body = await web.health()
        assert status == 503
        assert body["checks"]["database"].startswith("unreachable (RuntimeError: database is")
        # /metrics still answers, saying the database did not.
        got = await web.metrics()
        assert value(got, "market_database_up") == 0
        await m.svc.db.connect()  # for the harness's shutdown


async def test_no_metrics_port_serves_nothing(tmp_path) -> None:
    port = free_port()
    async with Market(tmp_path) as m:
        assert m.app.bot_data.get("ops_server") is None
        with pytest.raises(aiohttp.ClientConnectionError):
            await Scraper(port).get("/metrics")


async def test_the_routes_mount_on_another_aiohttp_application(tmp_path) -> None:
    """The webhook server mounts the same routes (add_ops_routes) on its own application."""
    from aiohttp import web as aioweb

    from bot.ops import add_ops_routes

    async with Market(tmp_path) as m:
        web_app = aioweb.Application()
        add_ops_routes(web_app, m.app)
        runner = aioweb.AppRunner(web_app)
        await runner.setup()
        port = free_port()
        await aioweb.TCPSite(runner, "127.0.0.1", port).start()
        try:
            got = await Scraper(port).metrics()
            assert ("market_updates", ()) in got
            assert (await Scraper(port).health())[0] in (200, 503)
        finally:
            await runner.cleanup()
