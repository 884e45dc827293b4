"""The outbox as a queue: costs that do not grow with the backlog, lanes, independent chats,
leases between dispatchers, pruning. Through the real stack: a SQLite file, the dispatcher
and python-telegram-bot's Bot over HTTP to the loopback Bot API server."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from telegram.constants import ParseMode
from telegram.ext import Defaults, ExtBot

from bot.handlers.buttons import ButtonCodec
from bot.holders import HOST
from bot.i18n import I18n
from bot.notify import Dispatcher, Outgoing
from bot.pacing import Pacer, SharedBudget
from bot.runtime import Runtime
from bot.services import bids
from bot.services.base import Clock, Services
from bot.storage import open_database
from bot.storage.db import Database
from bot.storage.outbox import ANSWER, BULK, EFFECTS, LANES, LEASE, TRANSACTIONAL, lane_of
from bot.transport import AiohttpRequest
from bot.views import notifications
from bot.views.registry import RENDERERS, render_row
from sandbox.botapi import BotApiServer
from tests import factories as f
from tests.conftest import make_settings

TOKEN = "123456:TEST-TOKEN"
PEOPLE = list(range(5001, 5031))  # people who started the bot


class Rig:
    """The loopback server, a Bot on it, and Services over one database file; dispatchers
    are made by the test (unpaced unless it asks) and driven with run_once."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.server = BotApiServer(token=TOKEN, bot_username="market_bot")
        self.clock = Clock()
        self._dbs: list[Database] = []

    async def __aenter__(self) -> Rig:
        await self.server.start()
        self.settings = make_settings(
            bot_token=TOKEN,
            bot_api_base_url=self.server.base_url,
            database_url=self.url,
        )
        self.bot = ExtBot(
            TOKEN,
            base_url=self.server.base_url,
            defaults=Defaults(parse_mode=ParseMode.HTML),
            request=AiohttpRequest(),
        )
        await self.bot.initialize()
        self.svc = await self.services()
        for uid in PEOPLE:
            self.server.add_user(uid, f"User {uid}", username=f"u{uid}", started=True)
        await f.people(self.svc, *PEOPLE)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.bot.shutdown()
        for db in self._dbs:
            await db.close()
        await self.server.stop()

    async def services(self) -> Services:
        """Services over a connection of their own (as a second process would have)."""
        db = await open_database(self.url).connect()
        self._dbs.append(db)
        return Services(db=db, settings=self.settings, clock=self.clock)

    def dispatcher(self, svc: Services | None = None, **kw: Any) -> Dispatcher:
        rt = Runtime(svc=svc or self.svc, i18n=I18n(default="en"), buttons=ButtonCodec(TOKEN))
        kw.setdefault("pacer", Pacer(rate=0, group_per_minute=0))
        return Dispatcher(rt, self.bot, render_row, **kw)

    def texts(self, chat_id: int) -> list[str]:
        return [m.text for m in self.server.chat_messages(chat_id)]


@pytest.fixture
async def rig(db_url: str) -> AsyncIterator[Rig]:
    async with Rig(db_url) as r:
        yield r


@contextlib.contextmanager
def vm_steps(db: Database) -> Iterator[list[int]]:
    """Count the SQLite virtual machine's steps on `db`'s connection meanwhile: a measure of
    the work a query does that no timing noise moves."""
    count = [0]

    def step() -> int:
        count[0] += 1
        return 0

    db.raw.set_progress_handler(step, 1)
    try:
        yield count
    finally:
        db.raw.set_progress_handler(None, 1)


async def banned(svc: Services, chat_id: int, reason: str, **kw: Any) -> int:
    """A row whose text shows `reason` (notify.banned renders it, nothing else to read)."""
    async with svc.tx() as tx:
        return await tx.outbox.add(chat_id, "notify.banned", {"reason": reason}, **kw)


async def waiting_rows(svc: Services, n: int, first_chat: int) -> None:
    """`n` rows in chats nobody can receive, waiting an hour (as after failures): ten a
    chat, the first of each its stream's head."""
    async with svc.tx() as tx:
        for i in range(n):
            await tx.outbox.add(first_chat + i // 10, "notify.banned", {"reason": "x"}, delay=3600)


def reasons(texts: list[str]) -> list[str]:
    return [t.split(": ", 1)[1].split(".", 1)[0] for t in texts if "banned" in t]


# --- lanes ------------------------------------------------------------------------------------


def test_every_key_has_a_lane_and_answers_come_first() -> None:
    assert lane_of("reply.text") == ANSWER
    assert lane_of("reply.anything_new") == ANSWER  # any reply.* key, known or not
    for key in ("notify.job_nudge", "notify.review_nudge", "notify.feedback_request"):
        assert lane_of(key) == BULK
    assert lane_of("channel.job") == BULK and lane_of("mod.sla_reminder") == BULK
    for key in ("invoice.deal", "notify.deal_funded", "mod.dispute_card"):
        assert lane_of(key) == TRANSACTIONAL
    # A refund is a call with no message, in a stream of its own: retried for up to a day,
    # it holds back none of the client's notices.
    assert lane_of("refund_star") == EFFECTS
    assert lane_of("notify.something_new") == TRANSACTIONAL
    assert {lane_of(k) for k in RENDERERS} <= set(LANES)


async def test_an_answer_queued_after_5000_bulk_rows_goes_first(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def answer(n: notifications.Note) -> Outgoing:
        return Outgoing(f"Answer {n.params['n']}")

    monkeypatch.setitem(RENDERERS, "reply.test", answer)
    await f.people(rig.svc)
    job = await f.job(rig.svc)
    async with rig.svc.tx() as tx:
        for i in range(5000):  # reminders (BULK)
            await tx.outbox.add(PEOPLE[i % 20], "notify.job_nudge", {"job": job.id})
        await tx.outbox.add(PEOPLE[25], "notify.banned", {"reason": "money"})  # TRANSACTIONAL
        await tx.outbox.add(PEOPLE[26], "reply.test", {"n": 1})
    d = rig.dispatcher()
    await d.run_once()
    assert rig.texts(PEOPLE[26]) == ["Answer 1"]
    assert reasons(rig.texts(PEOPLE[25])) == ["money"]
    nudges = sum(len(rig.server.chat_messages(p)) for p in PEOPLE[:20])
    assert nudges <= d.capacity - 2  # the first pass took the answer and the money first
    await d.run_once()
    assert sum(len(rig.server.chat_messages(p)) for p in PEOPLE[:20]) > nudges  # then bulk


async def test_a_claim_takes_at_most_its_limit(rig: Rig) -> None:
    """40 ready heads, a claim of 3: three rows are claimed. On PostgreSQL the claim's
    `LIMIT ... FOR UPDATE SKIP LOCKED` subquery inside `IN` was rescanned by the nested-loop
    plan a fresh table gets, each rescan skipping the rows the statement had just claimed:
    every ready row was claimed (why a pass of the dispatcher sent 20 reminders where it
    has room for 6). Expired leases and due waiting heads are promoted in batches the same
    way (bot/storage/engine.py `Dialect.pick`)."""
    async with rig.svc.tx() as tx:
        for i in range(40):
            await tx.outbox.add(700_000 + i, "notify.banned", {"reason": "x"})
    async with rig.svc.tx() as tx:
        rows = await tx.outbox.claim("probe", 3)
    assert [r["chat_id"] for r in rows] == [700_000, 700_001, 700_002]
    async with rig.svc.read() as tx:
        row = await tx.fetchone("SELECT COUNT(*) AS n FROM outbox WHERE stage = 'claimed'")
    assert row["n"] == 3


# --- the claim's cost -------------------------------------------------------------------------


@pytest.mark.sqlite_only  # (PostgreSQL: test_the_queue_s_statements_use_their_indexes)
async def test_claiming_costs_the_same_at_1000_and_20000_waiting_rows(rig: Rig) -> None:
    """A pass of the dispatcher (find what is due, send it) does the same work whatever
    waits: on the old NOT EXISTS over every waiting row it grew with the backlog."""
    d = rig.dispatcher()
    steps = []
    for waiting, first_chat in ((1000, 600_000), (19_000, 700_000)):
        await waiting_rows(rig.svc, waiting, first_chat)
        for p in PEOPLE[:10]:
            await banned(rig.svc, p, f"due{waiting}")
        with vm_steps(rig.svc.db) as count:
            handled = await d.run_once()
        assert handled
        steps.append(count[0] / handled)
        while await d.run_once():
            pass
    small, large = steps
    assert large < small * 1.3, steps


@pytest.mark.sqlite_only
async def test_the_claim_statement_reads_only_what_it_takes(rig: Rig) -> None:
    """Ready backlog, queued rows behind heads, waiting heads, rows in flight: the claim's
    work is the same at any size of each."""
    steps = []
    for n, first_chat in ((1000, 600_000), (20_000, 700_000)):
        async with rig.svc.tx() as tx:
            for i in range(n):  # ready heads with rows queued behind, and waiting heads
                await tx.outbox.add(first_chat + i // 4, "notify.banned", {"reason": "x"})
                await tx.outbox.add(first_chat + n + i, "notify.job_nudge", {}, delay=600)
            await tx.outbox.claim("busy", 50)  # some in flight
        async with rig.svc.tx() as tx:
            with vm_steps(rig.svc.db) as count:
                rows = await tx.outbox.claim("probe", 8)
            assert len(rows) == 8
            await tx.outbox.release("probe")
        steps.append(count[0])
    assert steps[1] < steps[0] * 1.3, steps


@pytest.mark.sqlite_only
async def test_lookups_by_message_and_by_ref_are_index_lookups(rig: Rig) -> None:
    steps: dict[str, list[int]] = {"message": [], "ref": []}
    message_id = 0
    for n in (1000, 20_000):
        async with rig.svc.tx() as tx:
            for _ in range(n):
                message_id += 1
                row = await tx.outbox.add(PEOPLE[0], "notify.banned", {}, ref=f"deal:{message_id}")
                await tx.outbox.mark_sent(row, message_id)
        async with rig.svc.read() as tx:
            with vm_steps(rig.svc.db) as count:
                found = await tx.outbox.find_by_message(PEOPLE[0], message_id)
            assert found is not None and found["ref"] == f"deal:{message_id}"
            steps["message"].append(count[0])
            with vm_steps(rig.svc.db) as count:
                assert await tx.outbox.sent_message(f"deal:{message_id}", PEOPLE[0]) == message_id
            steps["ref"].append(count[0])
    for name, (small, large) in steps.items():
        assert large < small * 1.5 + 20, (name, small, large)


def _plan(rows: list[Any]) -> str:
    return "\n".join(r["QUERY PLAN"] for r in rows)


@pytest.mark.postgres_only
async def test_the_queue_s_statements_use_their_indexes(rig: Rig) -> None:
    """PostgreSQL has no step counter: with 20 000 rows done and a few in every stage, the
    plans of the claim, the wake-ups and the lookups by message and by ref read the outbox
    through its partial indexes, never by scanning it (a scan is what grows with the
    backlog)."""
    svc = rig.svc
    async with svc.tx() as tx:  # the backlog: sent rows (no stream to join)
        await tx.execute(
            "INSERT INTO outbox (chat_id, key, params, ref, state, next_attempt_at,"
            " created_at, sent_at, message_id, lane, stage)"
            " SELECT 700000 + g / 10, 'notify.banned', '{}', 'deal:' || g, 'sent', 0, 0, 0,"
            " g, 2, NULL FROM generate_series(1, 20000) AS g"
        )
        for i in range(40):  # heads ready, waiting, with rows queued behind
            await tx.outbox.add(600_000 + i, "notify.banned", {"reason": "x"})
            await tx.outbox.add(600_000 + i, "notify.banned", {"reason": "y"})
            await tx.outbox.add(650_000 + i, "notify.job_nudge", {}, delay=600)
    async with svc.tx() as tx:
        await tx.outbox.claim("busy", 10)  # some in flight
    async with svc.tx() as tx:
        await tx.execute("ANALYZE outbox")
        claim = await tx.fetchall(
            "EXPLAIN UPDATE outbox SET stage = 'claimed', claimed_by = ?, lease_until = ?"
            " WHERE id IN (SELECT id FROM outbox WHERE stage = 'ready' AND lane <= ?"
            " ORDER BY lane, id LIMIT ? FOR UPDATE SKIP LOCKED) AND stage = 'ready'",
            ("probe", 10**10, 3, 8),
        )
        wake = await tx.fetchall(
            "EXPLAIN SELECT id FROM outbox WHERE stage = 'waiting' AND lane = ?"
            " AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?",
            (3, 10**10, 100),
        )
        leases = await tx.fetchall(
            "EXPLAIN SELECT id FROM outbox WHERE stage = 'claimed' AND lease_until <= ?"
            " ORDER BY lease_until LIMIT ?",
            (10**10, 100),
        )
        by_message = await tx.fetchall(
            "EXPLAIN SELECT * FROM outbox WHERE chat_id = ? AND message_id = ? ORDER BY id LIMIT 1",
            (700_500, 5000),
        )
        by_ref = await tx.fetchall(
            "EXPLAIN SELECT message_id FROM outbox WHERE ref = ? AND chat_id = ?"
            " AND state = 'sent' AND message_id IS NOT NULL ORDER BY id DESC LIMIT 1",
            ("deal:5000", 700_500),
        )
    expected = {
        "claim": (claim, "outbox_ready"),
        "wake": (wake, "outbox_waiting"),
        "leases": (leases, "outbox_leased"),
        "by_message": (by_message, "outbox_message"),
        "by_ref": (by_ref, "outbox_ref"),
    }
    for name, (rows, index) in expected.items():
        plan = _plan(rows)
        assert "Seq Scan on outbox" not in plan, (name, plan)
        assert index in plan, (name, plan)
    # And they answer as the code's own calls do.
    async with svc.read() as tx:
        found = await tx.outbox.find_by_message(700_500, 5000)
        assert found is not None and found["ref"] == "deal:5000"
        assert await tx.outbox.sent_message("deal:5000", 700_500) == 5000


# --- order, retries, leases -------------------------------------------------------------------


async def test_a_retried_row_holds_back_its_own_stream_only(rig: Rig) -> None:
    a, b = PEOPLE[0], PEOPLE[1]
    # Time stands still but for advance(): the retry's backoff is a second or two, which a
    # loaded machine could let pass for real between the failure and the checks below.
    frozen = int(time.time())
    rig.clock.now = lambda: frozen + rig.clock.offset  # type: ignore[method-assign]
    for reason in ("a1", "a2", "a3"):
        await banned(rig.svc, a, reason)
    d = rig.dispatcher()
    rig.server.fail_next("sendMessage", status=502)
    await d.run_once()  # a1 fails: a2 and a3 wait behind it
    assert rig.texts(a) == []
    await banned(rig.svc, b, "b1")
    await banned(rig.svc, a, "answer", lane=ANSWER)  # another lane of the same chat
    await d.drain()
    assert reasons(rig.texts(b)) == ["b1"]
    assert reasons(rig.texts(a)) == ["answer"]  # a1..a3 still wait for a1's retry
    rig.clock.advance(5)
    await d.drain()
    assert reasons(rig.texts(a)) == ["answer", "a1", "a2", "a3"]


async def test_two_dispatchers_on_one_database_send_each_row_once(rig: Rig) -> None:
    for i in range(300):
        await banned(rig.svc, PEOPLE[i % 30], f"r{i}")
    one = rig.dispatcher()
    two = rig.dispatcher(await rig.services())  # its own connection to the same file

    async def work(d: Dispatcher) -> None:
        while True:
            async with d.rt.svc.read() as tx:
                if not await tx.outbox.pending_count():
                    return
            if not await d.run_once():
                await asyncio.sleep(0.005)  # the other one holds what is left

    await asyncio.wait_for(asyncio.gather(work(one), work(two)), 60)
    assert rig.server.call_count("sendMessage") == 300
    for k, person in enumerate(PEOPLE):
        assert reasons(rig.texts(person)) == [f"r{i}" for i in range(k, 300, 30)]


async def test_a_dead_dispatchers_claims_pass_on_when_the_lease_ends(rig: Rig) -> None:
    for i in range(5):
        await banned(rig.svc, PEOPLE[i], f"r{i}")
    async with rig.svc.tx() as tx:  # another host's dispatcher took them and died
        assert len(await tx.outbox.claim("elsewhere:1:1/1", 5)) == 5
    d = rig.dispatcher()
    await d.start()
    await d.stop()
    assert await d.drain() == 0  # leased: nobody else may send them
    rig.clock.advance(LEASE + 1)
    assert await d.drain() == 5
    assert rig.server.call_count("sendMessage") == 5


async def test_a_restart_on_this_host_takes_back_a_dead_process_claims_at_once(
    rig: Rig,
) -> None:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await proc.wait()  # a process of this host that no longer runs
    dead = f"{HOST}:{proc.pid}:1"
    for i in range(3):
        await banned(rig.svc, PEOPLE[i], f"r{i}")
    async with rig.svc.tx() as tx:
        assert len(await tx.outbox.claim(f"{dead}/7", 3)) == 3
    d = rig.dispatcher()
    await d.start()  # hands back what the dead process held
    await d.stop()
    assert await d.drain() == 3


# --- pruning ----------------------------------------------------------------------------------


async def test_pruning_deletes_old_done_rows_and_keeps_what_lookups_need(rig: Rig) -> None:
    old_sent = await banned(rig.svc, PEOPLE[0], "old", ref="dispute:1")
    old_failed = await banned(rig.svc, -100999, "nowhere")  # no such chat: refused
    waiting = await banned(rig.svc, PEOPLE[1], "later", delay=90 * 86400)
    d = rig.dispatcher(retention=30 * 86400)
    await d.drain()
    rig.clock.advance(31 * 86400)
    recent = await banned(rig.svc, PEOPLE[2], "recent")
    await d.drain()
    assert await d.prune() == 2
    async with rig.svc.read() as tx:
        states = {r["id"]: r["state"] for r in await tx.fetchall("SELECT id, state FROM outbox")}
        assert states == {waiting: "pending", recent: "sent"}
        assert old_failed not in states
        message_id = rig.server.chat_messages(PEOPLE[0])[0].message_id
        kept = await tx.outbox.find_by_message(PEOPLE[0], message_id)
        assert kept is not None and kept["key"] == "notify.banned" and kept["id"] == old_sent
        assert kept["params"] == {}  # the reason (a text) is not kept
        assert await tx.outbox.sent_message("dispute:1", PEOPLE[0]) == message_id


@pytest.mark.sqlite_only
async def test_bids_on_a_job_cost_the_same_queries_for_two_bids_or_ten(rig: Rig) -> None:
    svc = rig.svc
    await f.people(svc)
    counts = []
    for n in (2, 10):
        job = await f.job(svc)
        for p in PEOPLE[:n]:
            await f.bid(svc, job.id, p)
        statements: list[str] = []
        svc.db.raw.set_trace_callback(statements.append)
        try:
            _job, found = await bids.bids_on_job(svc, f.CLIENT, job.id)
        finally:
            svc.db.raw.set_trace_callback(None)
        assert len(found) == n
        counts.append(len([s for s in statements if s.lstrip().upper().startswith("SELECT")]))
    assert counts[0] == counts[1], counts


def test_outbox_retention_is_a_duration_of_30_days_by_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bot.config import ConfigError, load_settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OUTBOX_RETENTION", raising=False)
    assert load_settings().outbox_retention == 30 * 86400
    monkeypatch.setenv("OUTBOX_RETENTION", "2w")
    assert load_settings().outbox_retention == 14 * 86400
    monkeypatch.setenv("OUTBOX_RETENTION", "forever")
    with pytest.raises(ConfigError, match="OUTBOX_RETENTION"):
        load_settings()


async def group_rows(rig: Rig, chat: int) -> list[dict[str, Any]]:
    async with rig.svc.read() as tx:
        return await tx.fetchall(
            "SELECT state, next_attempt_at FROM outbox WHERE chat_id = ? ORDER BY id",
            (chat,),
        )


async def test_two_dispatchers_share_a_groups_window(rig: Rig) -> None:
    """Two instances' dispatchers over one database send a group no more than its window
    allows between them: the second defers its rows to the window's end without a call.
    (Counted per process, it would have sent as many again and met Telegram's 429.)"""
    group = -100777
    rig.server.add_chat(group, "supergroup", "Moderators")
    rig.server.flood_control, rig.server.group_rate_per_minute = True, 3
    other = await rig.services()
    first, second = (
        rig.dispatcher(svc, pacer=Pacer(rate=0, group_per_minute=3, groups=SharedBudget(svc.db)))
        for svc in (rig.svc, other)
    )
    for i in range(3):
        await banned(rig.svc, group, f"first{i}")
    assert await first.drain() == 3
    for i in range(3):
        await banned(other, group, f"second{i}")
    await second.drain()

    assert reasons(rig.texts(group)) == ["first0", "first1", "first2"]
    assert [r for r in rig.server.call_records if r.status == 429] == []
    rows = await group_rows(rig, group)
    assert [r["state"] for r in rows] == ["sent"] * 3 + ["pending"] * 3
    now = int(time.time())
    head = rows[3]  # the group's next row waits for its window; the rest wait behind it
    assert now + 55 <= head["next_attempt_at"] <= now + 62, dict(head)
