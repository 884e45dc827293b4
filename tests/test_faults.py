"""Fault tests: the bot killed mid-burst, Telegram failing, people racing, text from anywhere.

1. SIGKILL: the real bot (`python main.py run`, a process of its own) long-polls the loopback
   Bot API server in this process while people pay, deliver and release through Telegram;
   it is killed at a random moment and started again. Every change people were told about is
   there, the books balance, no payment is applied twice and none is lost, every queued
   notification goes out, and the review deadlines that fell due fire once.
2. Telegram failing: the server answers 500, 429 and drops connections for a few seconds
   while notifications are queued; the bot recovers on its own, nothing is lost, nothing is
   sent twice, no money moves twice.
3. Races through Telegram: two /accept at once, /release against /dispute, two moderators
   resolving together: one winner, a sentence for the other, no "Something went wrong".
4. Generated text (Hypothesis) in every free-text input: titles, descriptions, category
   answers, budgets, deadlines, briefs, cover letters, questions, messages, dispute reasons,
   delivery notes, revisions, extensions, time logs, ratings, payouts and /jobs searches:
   never a crash, never a message Telegram would refuse, always an answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.services import deals
from bot.services.base import Clock, Services
from bot.storage.audit import ledger_problems
from bot.storage.db import Database
from sandbox.botapi import BotApiServer, SimMessage, SimUser
from tests import factories as f
from tests.conftest import make_settings
from tests.harness import Market

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning")

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "777001:FAULTS"
INTERNAL = "Something went wrong"


# --- helpers ---------------------------------------------------------------------------------


def find(server: BotApiServer, chat_id: int, match: Callable[[SimMessage], Any]) -> Any:
    """The first bot message ever logged in a chat (new or edited) that matches."""
    for _kind, snap in server._log.get(chat_id, []):
        if match(snap):
            return snap
    return None


async def until(server: BotApiServer, check: Callable[[], Any], wait: float) -> Any:
    """Wait (on the server's activity) until `check()` is truthy; returns it."""
    loop = asyncio.get_running_loop()
    end = loop.time() + wait
    while True:
        result = check()
        if result:
            return result
        left = end - loop.time()
        if left <= 0:
            raise TimeoutError
        event = server._log_changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), min(0.25, left))


def says(*parts: str) -> Callable[[SimMessage], bool]:
    return lambda m: all(p in m.text for p in parts)


async def rows(svc: Services, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    async with svc.read() as tx:
        return [dict(r) for r in await tx.fetchall(sql, params)]


def internal_errors(server: BotApiServer) -> list[str]:
    return [
        f"{chat}: {snap.text}"
        for chat, log in server._log.items()
        for _kind, snap in log
        if INTERNAL in snap.text
    ]


# --- 1. SIGKILL mid-burst ----------------------------------------------------------------------

CLIENTS = (1001, 1002, 1003, 1004)
FREELANCERS = (2001, 2002, 2003, 2004, 2005, 2006)
DEALS = 18
REVIEW_SECONDS = 3


def bot_env(db_path: Path, base_url: str) -> dict[str, str]:
    """The environment of `python main.py run`: only what this test sets (no .env is read:
    the process runs in the test's directory)."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    env.update(
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
        BOT_TOKEN=TOKEN,
        BOT_API_BASE_URL=base_url,
        DATABASE_URL=f"sqlite:///{db_path}",
        REVIEW_WINDOW=f"{REVIEW_SECONDS}s",
    )
    return env


class BotProcess:
    """`python main.py run` in its own process, its log in a file."""

    def __init__(self, tmp_path: Path, server: BotApiServer, db_path: Path) -> None:
        self.tmp_path = tmp_path
        self.server = server
        self.env = bot_env(db_path, server.base_url)
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    async def start(self) -> None:
        self.starts += 1
        polls = self.server._poll_generation
        self.proc = await asyncio.get_running_loop().run_in_executor(None, self._spawn)
        # Up when it polls (a long poll is recorded only when it ends: count the polls).
        loop = asyncio.get_running_loop()
        end = loop.time() + 60
        while self.server._poll_generation == polls:
            assert self.proc.poll() is None, self.logs()
            assert loop.time() < end, "the bot did not start polling"
            await asyncio.sleep(0.02)

    def _spawn(self) -> subprocess.Popen:
        with open(self.tmp_path / f"bot-{self.starts}.log", "wb") as log:
            return subprocess.Popen(
                [sys.executable, str(ROOT / "main.py"), "run"],
                cwd=self.tmp_path,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        assert self.proc.wait(timeout=30) == -signal.SIGKILL
        self.proc = None

    async def stop(self) -> None:
        """As a deployment stops it: SIGTERM, and PTB shuts down cleanly."""
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        loop = asyncio.get_running_loop()
        code = await loop.run_in_executor(None, self.proc.wait, 30)
        self.proc = None
        assert code == 0, self.logs()

    def logs(self) -> str:
        return "\n".join(
            p.read_text(errors="replace")[-4000:] for p in sorted(self.tmp_path.glob("bot-*.log"))
        )


async def seed_deals(db_path: Path) -> list[Any]:
    """People and DEALS deals awaiting funding (each with its invoice queued)."""
    db = await Database(db_path).connect()
    svc = Services(db=db, settings=make_settings(), clock=Clock())
    try:
        await f.people(svc, *CLIENTS, *FREELANCERS)
        made = []
        for i in range(DEALS):
            job = await f.job(svc, CLIENTS[i % len(CLIENTS)], title=f"Crash test job {i}")
            bid = await f.bid(svc, job.id, FREELANCERS[i % len(FREELANCERS)], amount=100 + i)
            made.append(await deals.hire(svc, job.client_id, bid.id))
        return made
    finally:
        await db.close()


class Walker:
    """One deal walked through Telegram by its two people, who retry what got no answer
    (as people do when a bot is down): pay the invoice, deliver, and (most) release."""

    def __init__(self, server: BotApiServer, deal: Any, release: bool) -> None:
        self.server = server
        self.deal = deal
        self.release = release
        self.client = server.user(deal.client_id)
        self.freelancer = server.user(deal.freelancer_id)
        self.paid: list[str] = []  # charge ids of successful payments sent to the bot

    async def answer(self, user: SimUser, match: Callable[[SimMessage], bool], wait: float) -> Any:
        return await until(self.server, lambda: find(self.server, user.id, match), wait)

    async def run(self) -> None:
        d = self.deal.id
        funded = says(f"Deal #{d} is funded")
        for _ in range(20):  # pay until the deal is funded
            invoice = await self.answer(
                self.client, lambda m: m.invoice is not None and f"Deal #{d}" in m.text, 60
            )
            if find(self.server, self.client.id, funded):
                break
            try:
                paid = await self.server._pay(self.client, invoice, 6)
            except AssertionError:
                continue  # the pre-checkout query was not answered: the bot is down
            if isinstance(paid, SimMessage):
                self.paid.append(paid.successful_payment["telegram_payment_charge_id"])
                with contextlib.suppress(TimeoutError):
                    await self.answer(self.client, funded, 8)
                    break
            elif "no longer" in paid or "already" in paid or f"Deal #{d}" in paid:
                # Refused at pre-checkout: an earlier payment went through.
                await self.answer(self.client, funded, 30)
                break
        await self.answer(self.client, funded, 30)

        def delivered(m: SimMessage) -> bool:
            # The reply to /deliver can die with the bot after the commit; by the time the
            # person asks again the short review window may have released the deal already.
            return any(
                f"Deal #{d} {word}" in m.text
                for word in ("is delivered", "is released", "is complete")
            )

        await self._until_answered(self.freelancer, f"/deliver {d} here it is", delivered)
        if self.release:

            def done(m: SimMessage) -> bool:
                return f"Deal #{d} is complete" in m.text or f"Deal #{d} is released" in m.text

            await self._until_answered(self.client, f"/release {d}", done)

    async def _until_answered(
        self, user: SimUser, text: str, match: Callable[[SimMessage], bool]
    ) -> None:
        for _ in range(10):
            if find(self.server, user.id, match):
                return
            await user.send(text)
            with contextlib.suppress(TimeoutError):
                await self.answer(user, match, 6)
                return
        raise AssertionError(f"{user!r}: no answer to {text!r}:\n{user.transcript()}")


def told(server: BotApiServer, deal_id: int) -> set[str]:
    """What the people of a deal had been told about it so far."""
    facts = set()
    for chat in server._log:
        for _kind, snap in server._log[chat]:
            text = snap.text
            if f"Deal #{deal_id} is funded" in text:
                facts.add("funded")
            if f"Deal #{deal_id} is delivered" in text:
                facts.add("delivered")
            if f"Deal #{deal_id} is complete" in text or f"Deal #{deal_id} ended" in text:
                facts.add("released")
    return facts


@pytest.mark.parametrize("seed", [7, 8])
async def test_sigkill_mid_burst_then_restart(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    db_path = tmp_path / "market.db"
    made = await seed_deals(db_path)
    server = BotApiServer(token=TOKEN, bot_username="market_bot")
    await server.start()
    for uid in (*CLIENTS, *FREELANCERS):
        server.add_user(uid, f"User {uid}", username=f"user{uid}", started=True)
    bot = BotProcess(tmp_path, server, db_path)
    walkers = [Walker(server, deal, release=i % 3 != 0) for i, deal in enumerate(made)]
    tasks: list[asyncio.Task] = []
    try:
        await bot.start()
        tasks = [asyncio.create_task(w.run()) for w in walkers]
        # Kill it in the thick of the burst: after a random share of the steps were answered.
        kill_after = rng.randint(DEALS // 3, DEALS * 2)
        await until(server, lambda: sum(len(told(server, d.id)) for d in made) >= kill_after, 60)
        await asyncio.sleep(rng.uniform(0, 0.05))
        bot.kill()
        before = {d.id: told(server, d.id) for d in made}
        await asyncio.sleep(rng.uniform(0.2, 1.0))  # people go on typing to a dead bot
        await bot.start()
        await asyncio.wait_for(asyncio.gather(*tasks), 120)

        # Wait for the review deadlines of the deals nobody released, and the outbox.
        db = await Database(db_path).connect(migrate=False)
        svc = Services(db=db, settings=make_settings(), clock=Clock())
        try:
            loop = asyncio.get_running_loop()
            end = loop.time() + 30
            while loop.time() < end:
                open_deals = await rows(svc, "SELECT id FROM deals WHERE state <> 'released'")
                pending = await rows(svc, "SELECT id FROM outbox WHERE state = 'pending'")
                if not open_deals and not pending:
                    break
                await asyncio.sleep(0.2)
            await bot.stop()

            deals_now = {d["id"]: d for d in await rows(svc, "SELECT * FROM deals")}
            # Every change people were told about before the kill is there.
            for deal_id, facts in before.items():
                d = deals_now[deal_id]
                if "funded" in facts:
                    assert d["funded_at"] is not None and d["charge_id"], d
                if "delivered" in facts:
                    assert d["delivered_at"] is not None, d
                if "released" in facts:
                    assert d["state"] == "released", d
            # And in the end every deal was funded, delivered and released, once.
            assert {d["state"] for d in deals_now.values()} == {"released"}, deals_now
            async with svc.read() as tx:
                assert await ledger_problems(tx) == []
            kinds = Counter(
                (r["deal_id"], r["kind"])
                for r in await rows(svc, "SELECT deal_id, kind FROM ledger_transactions")
            )
            for deal_id in deals_now:
                assert kinds[(deal_id, "fund")] == 1, (deal_id, kinds)
                assert kinds[(deal_id, "release")] == 1, (deal_id, kinds)
            # No payment applied twice, none lost: every charge Telegram took is in the books,
            # funding its deal, or returned with a refund.
            payments = {p["charge_id"]: p for p in await rows(svc, "SELECT * FROM payments")}
            refunded = {c.charge_id for c in server.refunds}
            assert set(server.charges) <= set(payments), "a payment was lost"
            for charge_id, p in payments.items():
                if p["outcome"] == "funded":
                    assert deals_now[p["deal_id"]]["charge_id"] == charge_id
                else:
                    assert charge_id in refunded, p
            # Every queued notification went out (at least once: a kill between sending and
            # marking sent may repeat one).
            states = Counter(r["state"] for r in await rows(svc, "SELECT state FROM outbox"))
            assert set(states) == {"sent"}, states
            for row in await rows(svc, "SELECT * FROM outbox WHERE method IN ('send','invoice')"):
                assert server.message(row["chat_id"], row["message_id"]) is not None, row
            # The review deadlines that fell due fired once: one auto-release per deal nobody
            # released, each told once to each side.
            auto = Counter(
                r["deal_id"]
                for r in await rows(
                    svc, "SELECT deal_id FROM deal_events WHERE kind = 'auto_release'"
                )
            )
            assert all(n == 1 for n in auto.values()), auto
            for w in walkers:
                if not w.release:
                    assert auto[w.deal.id] == 1 or kinds[(w.deal.id, "release")] == 1
            told_release = Counter(
                json.loads(r["params"])["deal"]
                for r in await rows(
                    svc, "SELECT params FROM outbox WHERE key = 'notify.released_freelancer'"
                )
            )
            assert set(told_release.values()) == {1}, told_release
            assert (
                await rows(
                    svc, "SELECT * FROM deadlines WHERE state = 'pending' AND kind LIKE 'review%'"
                )
                == []
            )
        finally:
            await db.close()
    except BaseException:
        print(bot.logs())
        raise
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if bot.proc is not None:
            bot.proc.kill()
            bot.proc.wait()
        await server.stop()


# --- 2. Telegram failing for a while ---------------------------------------------------------

MOD_GROUP = -100500
MOD_A, MOD_B = 9001, 9002
CLIENT, F1, F2 = f.CLIENT, f.FREELANCER, f.FREELANCER2


async def market_people(m: Market, *ids: int) -> dict[int, SimUser]:
    """People who started the bot (the sim and the database both know them)."""
    out = {}
    for uid in ids:
        out[uid] = m.server.add_user(uid, f"User {uid}", username=f"user{uid}", started=True)
    await f.people(m.svc, *ids)
    return out


async def lifecycle(svc: Services, n: int) -> Any:
    """Post, two bids, hire, pay, deliver, release: every step queues notifications."""
    job = await f.job(svc, CLIENT, title=f"Fault window job {n}")
    first = await f.bid(svc, job.id, F1, amount=120 + n)
    await f.bid(svc, job.id, F2, amount=130 + n)
    deal = await deals.hire(svc, CLIENT, first.id)
    assert await f.pay(svc, deal, f"fault-charge-{n}") == "funded"
    await deals.deliver(svc, F1, deal.id, f"delivery {n}")
    await deals.release(svc, CLIENT, deal.id)
    return deal


async def all_sent(m: Market, wait: float) -> Counter:
    loop = asyncio.get_running_loop()
    end = loop.time() + wait
    while True:
        states = Counter(r["state"] for r in await rows(m.svc, "SELECT state FROM outbox"))
        if set(states) <= {"sent"} or loop.time() > end:
            return states
        await asyncio.sleep(0.1)


async def test_telegram_failing_for_a_while(tmp_path: Path) -> None:
    async with Market(tmp_path) as m:
        # The moderator group exists: an answer that fails during the outage is an internal
        # error, and its alert goes there through the outbox like every message.
        m.server.add_chat(m.settings.moderator_chat_id, "supergroup", "Moderators", {})
        people = await market_people(m, CLIENT, F1, F2)
        client = people[CLIENT]
        svc = m.svc
        made = []
        faults = [
            {"status": 500},
            {"status": 429, "retry_after": 1},
            {"status": None, "drop": True},
            {"status": 502},
        ]
        for n, fault in enumerate(faults):
            m.server.inject_fault(None, times=None, seconds=1.2, **fault)
            made.append(await lifecycle(svc, n))
            # A person acting through Telegram meanwhile: the change is made, the answer
            # can't be sent; they ask again once Telegram is back.
            await client.send("/deals")
            await asyncio.sleep(1.3)
        # The long poll failing too: updates wait at Telegram and arrive afterwards.
        m.server.inject_fault("getUpdates", times=None, seconds=1.0, status=502)
        made.append(await lifecycle(svc, len(faults)))
        await asyncio.sleep(1.1)

        # Recovered without a restart: a command is answered, and every notification that
        # was queued while Telegram failed went out (after backoffs of 1, 2, 4 s ...).
        client.mark_read()
        await client.send("/balance")
        await client.wait_for("balance", timeout=10)
        states = await all_sent(m, 30)
        assert set(states) == {"sent"}, states
        assert m.server.failed_calls(), "the faults were injected"

        # None lost, none twice: each notification is in its chat exactly once.
        outbox = await rows(svc, "SELECT * FROM outbox WHERE method IN ('send', 'invoice')")
        # (An invoice of a deal paid before it could be sent is skipped, not sent.)
        skipped = [r["key"] for r in outbox if r["message_id"] is None]
        assert set(skipped) <= {"invoice.deal"}, skipped
        outbox = [r for r in outbox if r["message_id"] is not None]
        for row in outbox:
            msg = m.server.message(row["chat_id"], row["message_id"])
            assert msg is not None, row
            same = [x for x in m.server.chat_messages(row["chat_id"]) if x.text == msg.text]
            assert len(same) == 1, (row["key"], msg.text)
        sent_ok = sum(
            1
            for r in m.server.call_records
            if r.status == 200 and r.method in ("sendMessage", "sendInvoice")
        )
        chats = (*people, m.settings.moderator_chat_id)
        replies = sum(1 for c in chats for x in m.server.chat_messages(c)) - len(outbox)
        assert sent_ok == len(outbox) + replies
        # No money moved twice.
        async with svc.read() as tx:
            assert await ledger_problems(tx) == []
        kinds = Counter(
            (r["deal_id"], r["kind"])
            for r in await rows(svc, "SELECT deal_id, kind FROM ledger_transactions")
        )
        for deal in made:
            assert kinds[(deal.id, "fund")] == 1 and kinds[(deal.id, "release")] == 1
        assert internal_errors(m.server) == []


async def test_a_file_that_fails_is_retried_without_sending_the_text_again(
    tmp_path: Path,
) -> None:
    """A notification with files is several calls; when a file fails, the retry sends the
    files that are left and not the text again."""
    async with Market(tmp_path) as m:
        people = await market_people(m, CLIENT, F1)
        client, freelancer = people[CLIENT], people[F1]
        svc = m.svc
        job = await f.job(svc, CLIENT, title="Logo with files")
        deal = await deals.hire(svc, CLIENT, (await f.bid(svc, job.id, F1)).id)
        assert await f.pay(svc, deal, "files-charge") == "funded"
        await all_sent(m, 10)
        client.mark_read()

        # The delivery note goes out, the first file does not (500), the second is not tried.
        m.server.inject_fault("sendDocument", times=1, status=500)
        await freelancer.send_document("logo.svg", b"<svg/>", caption=f"/deliver {deal.id} v1")
        await freelancer.wait_for(f"Deal #{deal.id} is delivered with 1 file.")
        await client.wait_for(f"Deal #{deal.id}")
        states = await all_sent(m, 10)
        assert set(states) == {"sent"}, states

        row = (await rows(svc, "SELECT * FROM outbox WHERE key = 'notify.delivered'"))[0]
        assert row["attempts"] == 2 and row["parts_sent"] == 1, row
        seen = m.server.chat_messages(CLIENT)
        notes = [x for x in seen if x.kind == "text" and "Review it by" in x.text]
        assert [x.message_id for x in notes] == [row["message_id"]], [x.text for x in notes]
        files = [x for x in seen if x.kind == "document"]
        assert [x.media["file_name"] for x in files] == ["logo.svg"]
        failed = [
            r for r in m.server.call_records if r.method == "sendDocument" and r.status != 200
        ]
        assert len(failed) == 1
        assert internal_errors(m.server) == []


async def test_a_refund_survives_dropped_connections(tmp_path: Path) -> None:
    """A payment for a deal that no longer waits for it is returned (refundStarPayment)
    exactly once, though the first tries never reach Telegram."""
    from sandbox.botapi import Charge

    async with Market(tmp_path) as m:
        await market_people(m, CLIENT, F1)
        job = await f.job(m.svc, CLIENT)
        bid = await f.bid(m.svc, job.id, F1)
        deal = await deals.hire(m.svc, CLIENT, bid.id)
        assert await deals.cancel(m.svc, CLIENT, deal.id) == "cancelled"
        m.server.charges["late-charge"] = Charge(
            "late-charge", CLIENT, "XTR", deal.amount, deals.invoice_payload(deal.id)
        )
        m.server.inject_fault("refundStarPayment", times=None, seconds=1.5, drop=True, status=None)
        outcome = await deals.record_payment(
            m.svc, CLIENT, deals.invoice_payload(deal.id), deal.amount, "XTR", "late-charge"
        )
        assert outcome == "refunded"
        states = await all_sent(m, 15)
        assert set(states) == {"sent"}, states
        assert [c.charge_id for c in m.server.refunds] == ["late-charge"]
        assert m.server.call_count("refundStarPayment") >= 2
        async with m.svc.read() as tx:
            assert await ledger_problems(tx) == []


# --- 3. Many people on one deal at once ----------------------------------------------------------


def answers(user: SimUser, since: int) -> list[str]:
    return [x.text for x in user.messages[since:]]


async def collect(
    server: BotApiServer, user: SimUser, since: int, keep: Callable[[str], bool], count: int
) -> list[str]:
    """Wait for `count` new messages to `user` that `keep` accepts; returns their texts."""

    def check() -> list[str] | None:
        got = [t for t in answers(user, since) if keep(t)]
        return got if len(got) >= count else None

    return await until(server, check, 10)


async def both_answered(
    users: list[SimUser],
    marks: list[int],
    wait: float = 10,
    keep: list[Callable[[str], bool]] | None = None,
) -> list[str]:
    """The first new message of each person (the answer to what they just sent), or the
    first that `keep` accepts (a notification about the other's action may come first)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + wait
    keeps = keep or [lambda _t: True] * len(users)
    while True:
        got = [
            [t for t in answers(u, k) if ok(t)]
            for u, k, ok in zip(users, marks, keeps, strict=True)
        ]
        if all(got):
            return [g[0] for g in got]
        assert loop.time() < end, [u.transcript() for u in users]
        await asyncio.sleep(0.02)


REFUSED = "so this can't be done now"


async def test_races_through_telegram(tmp_path: Path) -> None:
    async with Market(tmp_path, moderator_chat_id=MOD_GROUP, admin_user_ids=[MOD_A, MOD_B]) as m:
        people = await market_people(m, CLIENT, F1, F2, MOD_A, MOD_B)
        m.server.add_chat(MOD_GROUP, "supergroup", "Moderators", {MOD_A: "member", MOD_B: "member"})
        client, f1 = people[CLIENT], people[F1]
        mod_a, mod_b = people[MOD_A], people[MOD_B]
        svc = m.svc
        for n in range(4):
            # Two /accept of two bids on one job, at once (two devices, or a double tap).
            job = await f.job(svc, CLIENT, title=f"Race job {n}")
            b1 = await f.bid(svc, job.id, F1)
            b2 = await f.bid(svc, job.id, F2)
            await m.settle()
            mark = len(client.messages)
            await asyncio.gather(client.send(f"/accept {b1.id}"), client.send(f"/accept {b2.id}"))
            texts = await collect(
                m.server, client, mark, lambda t: "created" in t or "no longer" in t, 2
            )
            assert sum("created" in t for t in texts) == 1, texts
            assert any(
                f"Job #{job.id} is no longer open" in t or "is no longer active" in t for t in texts
            ), texts
            async with svc.read() as tx:
                assert len(await tx.deals.for_job(job.id)) == 1

            # /release by the client and /dispute by the freelancer, at once.
            deal = await f.delivered_deal(svc, client=CLIENT, freelancer=F1)
            await m.settle()
            marks = [len(client.messages), len(f1.messages)]
            await asyncio.gather(
                client.send(f"/release {deal.id}"), f1.send(f"/dispute {deal.id} not paid yet")
            )
            released_text, dispute_text = await both_answered(
                [client, f1],
                marks,
                keep=[
                    lambda t, d=deal.id: f"Deal #{d} is complete" in t or REFUSED in t,
                    lambda t: "Dispute opened" in t or REFUSED in t,
                ],
            )
            won = [
                f"Deal #{deal.id} is complete" in released_text,
                "Dispute opened" in dispute_text,
            ]
            assert sum(won) == 1, (released_text, dispute_text)
            loser = dispute_text if won[0] else released_text
            assert REFUSED in loser, loser
            state = (await f.get_deal(svc, deal.id)).state
            assert state == ("released" if won[0] else "disputed")

            # Two moderators resolving one dispute together, in their private chats.
            disputed = await f.delivered_deal(svc, client=CLIENT, freelancer=F2)
            from bot.services import disputes

            await disputes.open_dispute(svc, CLIENT, disputed.id, "the work is missing")
            await m.settle()
            marks = [len(mod_a.messages), len(mod_b.messages)]
            await asyncio.gather(
                mod_a.send(f"/resolve {disputed.id} release"),
                mod_b.send(f"/resolve {disputed.id} refund"),
            )
            a_text, b_text = await both_answered([mod_a, mod_b], marks)
            decided = [
                f"Deal #{disputed.id}: released" in a_text,
                f"Deal #{disputed.id}: refunded" in b_text,
            ]
            assert sum(decided) == 1, (a_text, b_text)
            loser = b_text if decided[0] else a_text
            assert f"Deal #{disputed.id}" in loser and INTERNAL not in loser, loser
            kinds = Counter(
                r["kind"]
                for r in await rows(
                    svc, "SELECT kind FROM ledger_transactions WHERE deal_id = ?", (disputed.id,)
                )
            )
            assert kinds["release"] + kinds["refund"] == 1, kinds
        await m.settle()
        async with svc.read() as tx:
            assert await ledger_problems(tx) == []
        assert internal_errors(m.server) == []
        bad = [r for r in m.server.failed_calls() if "can't parse" in (r.description or "")]
        assert bad == []


# --- 4. Generated text in every free-text input --------------------------------------------------

SPICY = [
    "<",
    ">",
    "&",
    "&amp;",
    "&lt;",
    "&#0;",
    "&#x1F600;",
    "&nbsp",
    "<b>",
    "</b>",
    "<i>x</i>",
    '<a href="javascript:x">',
    "</a>",
    "<code>",
    "<pre>",
    "<tg-spoiler>",
    "<script>",
    "<br/>",
    '"',
    "'",
    "{ $x }",
    "{",
    "}",
    "%s",
    "%(x)s",
    "\\",
    "*",
    "_",
    "`",
    "[x](y)",
    "~",
    "|",
    "\u202e",
    "\u200b",
    "\ufeff",
    "\n",
    "\t",
    "\r\n",
    "🙂",
    "👨‍👩‍👧",
    "ǅ",
    "ß",
    "İ",
    "Ω",
    "Дом",
    "١٢٣",
    "𝟙𝟚𝟛",
    "½",
    "/start",
    "@user",
    "#1",
    "https://example.com/x?a=1&b=2",
    "NEAR(",
    " AND ",
    " OR ",
    "NOT ",
    '"*',
    '*"',
    "-",
    ":",
    "^",
    "(",
    ")",
    "0",
    "-1",
    "1e9",
    "٣",
]
CHARS = st.characters(blacklist_categories=("Cs",))
TEXT = st.one_of(
    st.text(CHARS, min_size=1, max_size=40),
    st.lists(
        st.one_of(st.sampled_from(SPICY), st.text(CHARS, max_size=6)), min_size=1, max_size=12
    ).map("".join),
    st.text(CHARS, min_size=95, max_size=110),  # around the title's limit
    st.builds(
        lambda s, n: (s * n)[:3300], st.sampled_from([*SPICY, "ab ", "я"]), st.integers(1, 1500)
    ),
).filter(lambda t: t.strip() != "")
AMOUNT = st.one_of(
    st.integers(-(10**13), 10**13).map(str),
    st.sampled_from(
        [
            "0",
            "1",
            "150",
            "1.5",
            "1,5",
            "1 000",
            "1e3",
            "١٢٣",
            "𝟙𝟝𝟘",
            "150⭐",
            "$150",
            "150$",
            "100-200",
            "200-100",
            "100—200",
            "-5",
            "0x10",
            "NaN",
            "inf",
            "1000001",
            "99999999999",
        ]
    ),
    TEXT,
)
DURATION = st.one_of(
    st.builds(
        lambda n, u: f"{n}{u}",
        st.integers(-5, 10**7),
        st.sampled_from(["s", "m", "h", "d", "w", "y", "", " d", "D", "ч", "д"]),
    ),
    st.sampled_from(
        [
            "3d",
            "12h",
            "2w",
            "1.5d",
            "P3D",
            "2026-12-01",
            "2026-02-30",
            "9999-12-31",
            "0001-01-01",
            "2026-12-01T10:00",
            "01.12.2026",
            "tomorrow",
            "2038-01-19",
            "1970-01-01",
        ]
    ),
    st.dates().map(str),
    TEXT,
)
FUZZ = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
BENIGN = ("message is not modified",)  # an edit to what is already shown


class Fuzz:
    """One marketplace for all the text: people, a job, bids and deals to type about."""

    def __init__(self, m: Market) -> None:
        self.m = m
        self.server = m.server
        self.calls = 0
        self.kept: dict[str, Any] = {}

    @property
    def svc(self) -> Services:
        return self.m.svc

    async def draft(self, user: SimUser, key: str) -> dict[str, Any] | None:
        """The person's flow draft, as the database holds it once the bot is idle."""
        await self.m.quiet()
        d = (await self.m.user_data(user.id)).get(key)
        return d if isinstance(d, dict) and d.get("step") else None

    async def exchange(self, user: SimUser, text: str) -> SimMessage:
        """`user` sends `text`; their answer: a new message, never an internal error, and
        nothing Telegram refused on the way (notifications included)."""
        await self.m.settle()
        self.calls = len(self.server.call_records)
        user.mark_read()
        await user.send(text[:4096])
        reply = await user.wait_for(lambda x: not x.edited, timeout=10)
        await self.m.settle()
        self.check(reply)
        return reply

    async def press(self, user: SimUser, message: SimMessage, label: str) -> SimMessage:
        user.mark_read()
        await user.press(message, label)
        return await user.wait_for(lambda x: not x.edited, timeout=10)

    def check(self, reply: SimMessage | None = None) -> None:
        if reply is not None:
            assert reply.text.strip(), "an empty answer"
            assert INTERNAL not in reply.text, reply.text
        failed = [
            (r.method, r.status, r.description)
            for r in self.server.call_records[self.calls :]
            if r.status != 200 and not any(b in (r.description or "") for b in BENIGN)
        ]
        assert failed == [], failed
        assert internal_errors(self.server) == []

    async def exchange_reply(self, user: SimUser, text: str, to: SimMessage) -> SimMessage:
        """Like exchange, as a Telegram reply to `to`."""
        await self.m.settle()
        self.calls = len(self.server.call_records)
        user.mark_read()
        await user.send(text[:4096], reply_to=to)
        reply = await user.wait_for(lambda x: not x.edited, timeout=10)
        await self.m.settle()
        self.check(reply)
        return reply

    async def once(self, name: str, make: Callable[[], Any]) -> Any:
        """An object made on first use and kept for the later examples."""
        if name not in self.kept:
            self.kept[name] = await make()
        return self.kept[name]

    async def open_job(self) -> Any:
        return await self.once("job", lambda: f.job(self.svc, CLIENT, title="Logo for a bakery"))

    async def running(self, state: str) -> Any:
        """The deal the deliver/revise/extend/log examples share, moved into `state`
        (delivered <-> funded through a plain delivery or revision, as needed)."""
        deal = await self.once("running", lambda: fresh_deal(self))
        now = await f.get_deal(self.svc, deal.id)
        if now.state == state:
            return now
        if state == "delivered" and now.state == "funded":
            await deals.deliver(self.svc, F1, deal.id, "done")
        elif state == "funded" and now.state == "delivered":
            await deals.revise(self.svc, CLIENT, deal.id, "a little more, please")
        else:  # pragma: no cover - the shared deal never leaves funded/delivered
            raise AssertionError(now.state)
        return await f.get_deal(self.svc, deal.id)

    async def relay(self, bid_id: int) -> SimMessage:
        """The client writes to a bidder; the bidder's copy, to reply to."""
        await self.exchange(self.server.user(CLIENT), f"/msg {bid_id} Can you start on Monday?")
        await self.m.settle()
        return await self.server.user(F1).wait_for("Can you start on Monday?", timeout=10)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def fz(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from bot.notify import Pacer

    tmp = tmp_path_factory.mktemp("fuzz")
    async with Market(
        tmp, moderator_chat_id=MOD_GROUP, admin_user_ids=[MOD_A], max_revisions=100
    ) as m:
        await market_people(m, CLIENT, F1, F2, MOD_A)
        m.server.add_chat(MOD_GROUP, "supergroup", "Moderators", {MOD_A: "member"})
        # Telegram's pace is not under test here (the moderator group gets a card for every
        # dispute): the notifications go at once, and PTB's limiter spares the group.
        m.app.bot_data["rt"].dispatcher.pacer = Pacer(rate=0, group_per_minute=0)
        m.app.bot.rate_limiter._group_max_rate = 0  # type: ignore[union-attr]
        yield Fuzz(m)


pytest_fuzz = pytest.mark.asyncio(loop_scope="module")


# The posting flow: every text step, taken back (◀ Back) when the answer was accepted.
POST_VALID = {
    "title": "Logo for a small bakery",
    "desc": "A logo for a small bakery in the old town, with bread and cakes.",
    "q0": "python",
    "q1": "https://example.com/repo",
    "budget": "150",
    "deadline": "3d",
    "brief": "The secret recipe is in the brief.",
    "nda": "yes",
    "ndatext": "Keep it secret.",
}


async def reach_post_step(z: Fuzz, user: SimUser, step: str) -> SimMessage:
    reply = await z.exchange(user, "/post")
    reply = await z.press(user, reply, "💻 Programming")
    for _ in range(12):
        d = await z.draft(user, "post")
        assert d is not None, user.transcript()
        if d["step"] == step:
            return reply
        reply = await z.exchange(user, POST_VALID[d["step"]])
    raise AssertionError(f"could not reach {step}")


async def fuzz_flow_step(
    z: Fuzz, user: SimUser, key: str, step: str, text: str, reach: Callable[[], Any]
) -> None:
    d = await z.draft(user, key)
    if d is None or d["step"] != step:
        await reach()
    reply = await z.exchange(user, text)
    d = await z.draft(user, key)
    if d is not None and d["step"] != step and reply.find_button("◀ Back") is not None:
        await z.press(user, reply, "◀ Back")


POST_TEXT = {
    "title": TEXT,
    "desc": TEXT,
    "q0": TEXT,
    "q1": TEXT,
    "budget": AMOUNT,
    "deadline": DURATION,
    "brief": TEXT,
    "ndatext": TEXT,
}


@pytest_fuzz
@pytest.mark.parametrize("step", list(POST_TEXT))
@FUZZ
@given(data=st.data())
async def test_post_flow_takes_any_text(fz: Fuzz, step: str, data: st.DataObject) -> None:
    user = fz.server.user(CLIENT)
    text = data.draw(POST_TEXT[step], label=step)
    await fuzz_flow_step(fz, user, "post", step, text, lambda: reach_post_step(fz, user, step))


@pytest_fuzz
@pytest.mark.parametrize("step", ["amount", "days", "cover"])
@FUZZ
@given(data=st.data())
async def test_bid_flow_takes_any_text(fz: Fuzz, step: str, data: st.DataObject) -> None:
    user = fz.server.user(F2)
    job = await fz.open_job()
    text = data.draw({"amount": AMOUNT, "days": AMOUNT, "cover": TEXT}[step], label=step)
    valid = {"amount": "150", "days": "3", "cover": "I did this before."}

    async def reach() -> None:
        await fz.exchange(user, f"/bid {job.id}")
        for _ in range(4):
            d = await fz.draft(user, "bid")
            assert d is not None, user.transcript()
            if d["step"] == step:
                return
            await fz.exchange(user, valid[d["step"]])
        raise AssertionError(f"could not reach {step}")

    await fuzz_flow_step(fz, user, "bid", step, text, reach)


@pytest_fuzz
@pytest.mark.parametrize("field", ["bio", "skills", "years", "portfolio"])
@FUZZ
@given(data=st.data())
async def test_profile_takes_any_text(fz: Fuzz, field: str, data: st.DataObject) -> None:
    user = fz.server.user(F1)
    text = data.draw(AMOUNT if field == "years" else TEXT, label=field)
    labels = {"bio": "Bio", "skills": "Skills", "years": "Experience", "portfolio": "Portfolio"}

    async def reach() -> None:
        menu = await fz.exchange(user, "/editprofile")
        await fz.press(user, menu, labels[field])

    await fuzz_flow_step(fz, user, "profile", field, text, reach)
    d = await fz.draft(user, "profile")
    if d is not None and d["step"] == "menu" and user.last_message is not None:
        await fz.press(user, user.last_message, labels[field])


async def fresh_deal(fz: Fuzz, state: str = "funded") -> Any:
    from bot.services import disputes
    from sandbox.botapi import Charge

    svc = fz.svc
    job = await f.job(svc, CLIENT, title="A deal to type about")
    bid = await f.bid(svc, job.id, F1)
    deal = await deals.hire(svc, CLIENT, bid.id)
    # A charge Telegram knows, so that a refund of it goes through.
    charge = f.charge()
    payload = deals.invoice_payload(deal.id)
    fz.server.charges[charge] = Charge(charge, CLIENT, "XTR", deal.amount, payload)
    assert await f.pay(svc, deal, charge) == "funded"
    if state in ("delivered", "released"):
        await deals.deliver(svc, F1, deal.id, "done")
    if state == "released":
        await deals.release(svc, CLIENT, deal.id)
    if state == "disputed":
        await disputes.open_dispute(svc, CLIENT, deal.id, "the work is missing")
    return deal


async def fresh_bid(fz: Fuzz, shortlisted: bool = False) -> Any:
    from bot.services import bids

    job = await f.job(fz.svc, CLIENT, title="A job to bid on")
    bid = await f.bid(fz.svc, job.id, F1)
    if shortlisted:
        await bids.shortlist_bid(fz.svc, CLIENT, bid.id)
    return bid


async def cmd_revise(fz: Fuzz, text: str) -> tuple[int, str]:
    deal = await fz.running("delivered")
    return CLIENT, f"/revise {deal.id} {text}"


async def cmd_deliver(fz: Fuzz, text: str) -> tuple[int, str]:
    deal = await fz.running("funded")
    return F1, f"/deliver {deal.id} {text}"


async def cmd_extend(fz: Fuzz, text: str) -> tuple[int, str]:
    deal = await fz.running("funded")
    return CLIENT, f"/extend {deal.id} {text}"


async def cmd_log(fz: Fuzz, text: str) -> tuple[int, str]:
    deal = await fz.running("funded")
    hours, _, note = text.partition(" ")
    return F1, f"/log {deal.id} {hours} {note or 'a note'}"


async def cmd_dispute(fz: Fuzz, text: str) -> tuple[int, str]:
    return F1, f"/dispute {(await fresh_deal(fz)).id} {text}"


async def cmd_evidence(fz: Fuzz, text: str) -> tuple[int, str]:
    deal = await fz.once("disputed", lambda: fresh_deal(fz, "disputed"))
    return F1, f"/evidence {deal.id} {text}"


async def cmd_rate(fz: Fuzz, text: str) -> tuple[int, str]:
    stars = random.Random(text).choice(["1", "3", "5", "0", "6", "x", "٣", "5⭐"])
    return CLIENT, f"/rate {(await fresh_deal(fz, 'released')).id} {stars} {text}"


async def cmd_payout(fz: Fuzz, text: str) -> tuple[int, str]:
    await fz.once("balance", lambda: fresh_deal(fz, "released"))
    return F1, f"/payout {text}"


async def cmd_ask(fz: Fuzz, text: str) -> tuple[int, str]:
    return F2, f"/ask {(await fz.open_job()).id} {text}"


async def cmd_msg(fz: Fuzz, text: str) -> tuple[int, str]:
    bid = await fz.once("bid", lambda: fresh_bid(fz))
    return CLIENT, f"/msg {bid.id} {text}"


async def cmd_bid_line(fz: Fuzz, text: str) -> tuple[int, str]:
    return F2, f"/bid {(await fz.open_job()).id} {text}"


async def cmd_jobs(fz: Fuzz, text: str) -> tuple[int, str]:
    await fz.open_job()
    return F2, f"/jobs {text}"


async def cmd_decline(fz: Fuzz, text: str) -> tuple[int, str]:
    return CLIENT, f"/decline {(await fresh_bid(fz)).id} {text}"


async def cmd_trial(fz: Fuzz, text: str) -> tuple[int, str]:
    return CLIENT, f"/trial {(await fresh_bid(fz, shortlisted=True)).id} {text}"


async def cmd_resolve(fz: Fuzz, text: str) -> tuple[int, str]:
    deal = await fresh_deal(fz, "disputed")
    pct = random.Random(text).choice(["0", "50", "100", "101", "-1", "x", "50%"])
    return MOD_A, f"/resolve {deal.id} split {pct} {text}"


async def cmd_ban(fz: Fuzz, text: str) -> tuple[int, str]:
    from bot.services import moderation
    from bot.services.base import Moderator

    with contextlib.suppress(Exception):
        await moderation.unban(fz.svc, Moderator(MOD_A), f.STRANGER)
    return MOD_A, f"/ban {f.STRANGER} {text}"


async def cmd_removejob(fz: Fuzz, text: str) -> tuple[int, str]:
    job = await f.job(fz.svc, CLIENT, title="A job to take down")
    return MOD_A, f"/removejob {job.id} {text}"


COMMANDS: dict[str, tuple[Any, Callable[[Fuzz, str], Any]]] = {
    "deliver note": (TEXT, cmd_deliver),
    "revision": (TEXT, cmd_revise),
    "extension": (DURATION, cmd_extend),
    "time log": (TEXT, cmd_log),
    "dispute reason": (TEXT, cmd_dispute),
    "evidence": (TEXT, cmd_evidence),
    "rating comment": (TEXT, cmd_rate),
    "payout amount": (AMOUNT, cmd_payout),
    "question": (TEXT, cmd_ask),
    "message": (TEXT, cmd_msg),
    "one-line bid": (TEXT, cmd_bid_line),
    "search words": (TEXT, cmd_jobs),
    "decline reason": (TEXT, cmd_decline),
    "trial task": (TEXT, cmd_trial),
    "resolution note": (TEXT, cmd_resolve),
    "ban reason": (TEXT, cmd_ban),
    "takedown reason": (TEXT, cmd_removejob),
}


@pytest_fuzz
@pytest.mark.parametrize("kind", list(COMMANDS))
@FUZZ
@given(data=st.data())
async def test_commands_take_any_text(fz: Fuzz, kind: str, data: st.DataObject) -> None:
    strategy, make = COMMANDS[kind]
    text = data.draw(strategy, label=kind)
    user_id, command = await make(fz, text)
    await fz.exchange(fz.server.user(user_id), command)


@pytest_fuzz
@FUZZ
@given(text=TEXT)
async def test_a_reply_to_a_relayed_message_takes_any_text(fz: Fuzz, text: str) -> None:
    bid = await fz.once("bid", lambda: fresh_bid(fz))
    relayed = await fz.once(
        "relayed",
        lambda: fz.relay(bid.id),
    )
    await fz.exchange_reply(fz.server.user(F1), text, relayed)


# --- the /jobs search index against a plain reference --------------------------------------------

LETTERS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    "абвгдежзиклмнопрстуфхцчшщыэюяАБВГДЕЖЗИКЛМНОПРСТУФ"  # no й, ё: accents are folded away
)
WORDS = st.text(st.sampled_from(LETTERS), min_size=1, max_size=6)
GLUE = st.sampled_from([" ", "  ", ", ", ". ", "-", "'", "\n", " (", ") ", " & ", "/", '"', "*"])


def tokens(text: str) -> list[str]:
    """What FTS5's unicode61 sees in this alphabet: runs of letters and digits, lowercased."""
    return "".join(ch.lower() if ch.isalnum() else " " for ch in text).split()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=st.lists(
        st.tuples(st.lists(st.tuples(WORDS, GLUE), min_size=1, max_size=8), st.booleans()),
        min_size=1,
        max_size=12,
    ),
    query=st.lists(st.one_of(WORDS, GLUE, st.sampled_from(SPICY)), max_size=3),
    pick=st.lists(st.integers(0, 10**6), max_size=2),
)
def test_search_finds_what_a_plain_prefix_match_finds(
    tmp_path_factory: pytest.TempPathFactory,
    texts: list[tuple[list[tuple[str, str]], bool]],
    query: list[str],
    pick: list[int],
) -> None:
    """Open jobs whose title or description has a word starting with each query word, newest
    first: the index answers exactly what a plain scan would, and no text breaks it."""

    async def go() -> None:
        db = await Database(tmp_path_factory.mktemp("search") / "s.db").connect()
        svc = Services(db=db, settings=make_settings(), clock=Clock())
        try:
            await f.people(svc, CLIENT)
            docs = {}
            for words, still_open in texts:
                body = "".join(w + g for w, g in words)
                job = await f.job(svc, CLIENT, title="Some job", description="x" * 20 + " " + body)
                if not still_open:
                    from bot.services import jobs as jobs_service

                    await jobs_service.close_job(svc, CLIENT, job.id)
                docs[job.id] = (still_open, tokens(f"Some job {'x' * 20} {body}"))
            vocabulary = sorted({t for _, toks in docs.values() for t in toks})
            asked = [w.lower() for w in query]
            # Words that are prefixes of words in the jobs, so that something matches.
            asked += [vocabulary[i % len(vocabulary)][: 1 + i % 3] for i in pick]
            wanted = [w for w in asked if tokens(w)]
            expected = [
                job_id
                for job_id, (still_open, toks) in sorted(docs.items(), reverse=True)
                if still_open
                and all(any(t.startswith(p) for t in toks) for w in wanted for p in tokens(w))
            ]
            async with svc.read() as tx:
                found = await tx.jobs.search_open(None, asked, limit=100)
            if all(tokens(w) for w in asked):
                assert [j.id for j in found] == expected, (asked, docs)
            else:  # a word of punctuation only is a substring: at most what the rest finds
                assert {j.id for j in found} <= set(expected)
        finally:
            await db.close()

    asyncio.run(go())
