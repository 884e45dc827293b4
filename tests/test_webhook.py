"""Webhook mode end to end: the loopback Bot API server POSTs updates to the bot's own HTTP
server; each is stored in the inbox before the 200, handled once, one person at a time in
update_id order, and a person's flow passes between two instances update by update."""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram.error import Conflict

from bot.config import ConfigError, load_settings
from bot.intake import SECRET_HEADER
from bot.services.base import Clock
from bot.storage.audit import ledger_problems
from sandbox.botapi import BotApiServer
from tests.conftest import make_settings
from tests.factories import CLIENT, FREELANCER
from tests.harness import (
    SECRET,
    TOKEN,
    Market,
    idle,
    labels,
    start_app,
    step,
    stop_app,
    webhook_settings,
)

pytestmark = pytest.mark.usefixtures("market_engine")  # on both engines

# -- configuration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("over", "named"),
    [
        ({"webhook_url": "ftp://bot.example.com/tg", "webhook_secret": "s"}, "WEBHOOK_URL"),
        ({"webhook_url": "bot.example.com/tg", "webhook_secret": "s"}, "WEBHOOK_URL"),
        ({"webhook_url": "https://bot.example.com/tg"}, "WEBHOOK_SECRET"),
        ({"webhook_secret": "not allowed!"}, "WEBHOOK_SECRET"),
        ({"webhook_listen": "8443"}, "WEBHOOK_LISTEN"),
        ({"webhook_listen": "0.0.0.0:99999"}, "WEBHOOK_LISTEN"),
        ({"webhook_listen": ":8443"}, "WEBHOOK_LISTEN"),
    ],
)
def test_a_bad_webhook_setting_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, over: dict[str, str], named: str
) -> None:
    for name, value in over.items():
        monkeypatch.setenv(name.upper(), value)
    with pytest.raises(ConfigError) as info:
        load_settings(_env_file=None)
    text = str(info.value)
    assert text.startswith(f"Configuration error: {named}:") and "\n" not in text, text


def test_webhook_settings() -> None:
    s = make_settings()
    assert s.webhook_url == "" and s.webhook_listen == "0.0.0.0:8443"  # polling by default
    s = make_settings(webhook_url="https://bot.example.com/tg/hook", webhook_secret="a-b_9")
    assert s.webhook_path == "/tg/hook"
    assert make_settings(webhook_url="https://x.org", webhook_secret="s").webhook_path == "/"


# -- helpers ------------------------------------------------------------------------------------


def raw_update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    """A message update as Telegram would POST it."""
    user = {"id": user_id, "is_bot": False, "first_name": "Eve", "language_code": "en"}
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": "Eve"},
        "from": user,
        "text": text,
    }
    if text.startswith("/"):
        length = len(text.split()[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"update_id": update_id, "message": message}


async def post(m: Market, body: Any, secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    async with (
        aiohttp.ClientSession() as session,
        session.post(m.settings.webhook_url, data=json.dumps(body), headers=headers) as resp,
    ):
        return resp.status


async def count(m: Market, sql: str, params: tuple = ()) -> int:
    async with m.svc.read() as tx:
        row = await tx.fetchone(sql, params)
    return int(row[0])


def sends_to(m: Market, chat_id: int) -> int:
    return sum(
        1
        for r in m.server.call_records
        if r.method == "sendMessage" and str(r.params.get("chat_id")) == str(chat_id)
    )


# -- end to end ---------------------------------------------------------------------------------


async def test_webhook_mode_end_to_end(tmp_path: Path) -> None:
    async with Market(tmp_path, webhook=True) as m:
        assert m.server.webhook_url == m.settings.webhook_url
        [set_webhook] = m.server.calls_of("setWebhook")
        assert set_webhook["secret_token"] == SECRET
        assert m.server.call_count("getUpdates") == 0
        # While the webhook is set, Telegram refuses getUpdates.
        assert m.app is not None
        with pytest.raises(Conflict):
            await m.app.bot.get_updates()

        clara = m.person(CLIENT, "Clara")
        await clara.send("/start")
        await clara.wait_for("Welcome to the marketplace")
        msg = await step(clara, "/post", "choose the category", buttons=True)
        msg = await step(clara, None, "title of the job", press="✍️ Writing", on=msg)
        assert labels(msg) == ["◀ Back", "✖ Cancel"]
        await step(clara, "A blog about sourdough", "Describe the job")
        await m.quiet()
        deliveries = [(d.status, d.error) for d in m.server.webhooks.log]
        assert deliveries == [(200, None)] * 4
        async with m.svc.read() as tx:
            rows = await tx.fetchall("SELECT update_id, handled_at FROM inbox ORDER BY update_id")
        assert [r["update_id"] for r in rows] == [1, 2, 3, 4]
        assert all(r["handled_at"] for r in rows)
        info = await m.app.bot.get_webhook_info()
        assert info.url == m.settings.webhook_url and info.pending_update_count == 0

        # A restart keeps the webhook (Telegram holds updates meanwhile) and the person's place.
        await m.restart()
        await step(clara, "An article about sourdough, 1500 words, friendly tone.", "question 1")


async def test_polling_when_no_webhook_url(tmp_path: Path) -> None:
    async with Market(tmp_path) as m:
        clara = m.person(CLIENT, "Clara")
        await clara.send("/start")
        await clara.wait_for("Welcome to the marketplace")
        await m.quiet()
        assert m.server.call_count("setWebhook") == 0
        assert m.server.call_count("deleteWebhook") == 1
        assert m.server.call_count("getUpdates") >= 1
        assert await count(m, "SELECT COUNT(*) FROM inbox WHERE handled_at IS NOT NULL") == 1


async def test_a_wrong_or_missing_secret_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    async with Market(tmp_path, webhook=True) as m:
        update = raw_update(500, CLIENT, "/start")
        assert await post(m, update, None) == 401
        assert await post(m, update, SECRET + "x") == 403
        assert await post(m, update, "") == 403
        # Refused before anything is stored: the answer comes after the commit otherwise.
        assert await count(m, "SELECT COUNT(*) FROM inbox") == 0
        assert await count(m, "SELECT COUNT(*) FROM users WHERE id = ?", (CLIENT,)) == 0
        assert sends_to(m, CLIENT) == 0

        # Telegram sending a wrong secret (a stale one after a rotation): every delivery is
        # refused and retried, Telegram shows the error, and nothing reaches the bot.
        clara = m.person(CLIENT, "Clara")
        m.server.webhooks.wrong_secret = "stale-secret"
        await clara.send("/start")
        loop = asyncio.get_running_loop()
        end = loop.time() + 10
        while len([d for d in m.server.webhooks.log if d.status == 403]) < 3:
            assert loop.time() < end, m.server.webhooks.log
            await asyncio.sleep(0.01)
        assert m.app is not None
        info = await m.app.bot.get_webhook_info()
        assert "403" in (info.last_error_message or "") and info.pending_update_count == 1
        assert await count(m, "SELECT COUNT(*) FROM inbox") == 0
        assert sends_to(m, CLIENT) == 0

        # With the right secret, the same update goes through, once.
        m.server.webhooks.wrong_secret = None
        await clara.wait_for("Welcome to the marketplace")
        await m.quiet()
        assert await count(m, "SELECT COUNT(*) FROM inbox") == 1
        assert sum("Welcome" in msg.text for msg in clara.messages) == 1


async def test_a_repeated_delivery_is_stored_and_handled_once(tmp_path: Path) -> None:
    async with Market(tmp_path, webhook=True) as m:
        clara = m.person(CLIENT, "Clara")
        msg = await step(clara, "/post", "choose the category", buttons=True)
        msg = await step(clara, None, "title of the job", press="✍️ Writing", on=msg)
        await m.quiet()
        # Telegram does not get the bot's answer to the title, and sends it again: handled
        # twice, the repeat would be taken as the description (too short: "Describe" again).
        m.server.webhooks.repeat_next(1)
        await clara.send("A blog about sourdough")
        await clara.wait_for("Describe the job")
        await m.quiet()
        title = [d for d in m.server.webhooks.log if d.update_id == 3]
        assert [d.status for d in title] == [200, 200]
        assert sum("Describe the job" in x.text for x in clara.messages) == 1
        assert (await m.user_data(CLIENT))["post"]["title"] == "A blog about sourdough"
        assert await count(m, "SELECT COUNT(*) FROM inbox WHERE update_id = 3") == 1

        # The same by hand: a POST of one update again, later, is answered 200, not handled.
        update = raw_update(900, FREELANCER, "/help")
        assert await post(m, update, SECRET) == 200
        await m.quiet()
        answers = sends_to(m, FREELANCER)
        assert answers >= 1
        assert await post(m, update, SECRET) == 200
        await m.quiet()
        assert await count(m, "SELECT COUNT(*) FROM inbox WHERE update_id = 900") == 1
        assert sends_to(m, FREELANCER) == answers


async def test_one_persons_updates_in_update_id_order_however_they_arrive(
    tmp_path: Path,
) -> None:
    """Alice's first answer hangs (a stuck connection); her next updates arrive meanwhile,
    all at once over concurrent connections and out of order, among Bob's. Bob is answered
    while she waits; her updates are handled in update_id order, not in arrival order."""
    flood = 24
    async with Market(tmp_path, webhook=True) as m:
        alice, bob = m.person(CLIENT, "Alice"), m.person(FREELANCER, "Bob")
        for user in (alice, bob):
            await user.send("/start")
            await user.wait_for("Welcome")
        await m.quiet()
        held = m.server.hold(alice.id)
        try:
            await alice.send("/job 1")
            loop = asyncio.get_running_loop()
            end = loop.time() + 10
            while held.hits < 1:  # her first answer hangs: her turn is held
                assert loop.time() < end
                await asyncio.sleep(0.01)
            m.server.webhooks.pause()
            first = len(m.server.webhooks.log)
            for n in range(2, flood + 1):
                await alice.send(f"/job {n}")
                if n % 4 == 0:
                    await bob.send("/help")
            m.server.webhooks.resume(shuffle=random.Random(13))
            await m.server.drain_updates(timeout=10)  # every one stored and answered 200

            arrived = [d.update_id for d in m.server.webhooks.log[first:] if d.status == 200]
            assert len(arrived) == flood - 1 + flood // 4
            assert arrived != sorted(arrived), "the deliveries came in order"
            answer = await bob.wait_for("Clients", timeout=10)
            assert "/post" in answer.text
            assert held.hits == 1  # her other updates wait for her first one
        finally:
            held.release()
        await alice.wait_for(f"#{flood}.", timeout=20)
        answered = [int(x.group(1)) for x in re.finditer(r"Job #(\d+)\.", alice.transcript())]
        assert answered == list(range(flood - len(answered) + 1, flood + 1))
        assert len(answered) >= flood - 1  # (the first may have met the bot's read timeout)


async def test_a_flow_passes_between_two_instances_update_by_update(tmp_path: Path) -> None:
    """Two Applications on one database behind a balancer that alternates: each step of
    Clara's /post is handled by the other instance than the step before, which reads her
    place and draft from the database."""
    async with BotApiServer(token=TOKEN, bot_username="market_bot") as server:
        server.webhooks.retry_base = 0.05
        clock = Clock()
        base = {
            "bot_token": TOKEN,
            "bot_api_base_url": server.base_url,
            "database_url": Market.default_url or f"sqlite:///{tmp_path / 'market.db'}",
        }
        first = await start_app(make_settings(**base, **webhook_settings()), clock)
        second = await start_app(make_settings(**base, **webhook_settings()), clock)
        apps = (first, second)
        svc = first.bot_data["rt"].svc
        server.webhooks.balance([a.bot_data["rt"].svc.settings.webhook_url for a in apps])
        try:
            clara = server.add_user(CLIENT, "Clara", username="clara")

            async def go(text: str | None, expect: str, press: str | None = None, on=None):
                msg = await step(clara, text, expect, press=press, on=on, buttons=True)
                await idle(svc, server)  # handled, and her turn given back
                return msg

            msg = await go("/post", "choose the category")
            msg = await go(None, "title of the job", press="💻 Programming", on=msg)
            await go("Build a Telegram bot", "Describe the job")
            await go("A marketplace bot with escrow and disputes, in Python.", "question 1 of 2")
            msg = await go("Python, PTB", "question 2 of 2")
            msg = await go(None, "budget", press="Skip ▶", on=msg)
            await go("100-200", "delivered")
            msg = await go("2w", "private brief")
            msg = await go(None, "files", press="Skip ▶", on=msg)
            msg = await go(None, "Preview", press="✔ Done", on=msg)
            assert "Build a Telegram bot" in msg.text
            await clara.press(msg, "✅ Publish")
            await clara.wait_for("Job #1 is live.", timeout=10)
            await idle(svc, server)

            async with svc.read() as tx:
                rows = await tx.fetchall("SELECT handled_by FROM inbox ORDER BY update_id")
                job = await tx.jobs.get(1)
                assert await ledger_problems(tx) == []
            names = [a.bot_data["inbox"].name for a in apps]
            handled_by = [r["handled_by"] for r in rows]
            assert len(handled_by) >= 10
            assert handled_by == [names[n % 2] for n in range(len(handled_by))]
            assert job is not None and job.title == "Build a Telegram bot"
            assert job.answers == {"stack": "Python, PTB"}
            assert job.budget_min == 100 and job.budget_max == 200
        finally:
            for app in apps:
                await stop_app(app)
