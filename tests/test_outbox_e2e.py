"""The outbox under the running bot: chats that do not wait for each other, one send budget
for answers and notifications, pruning that keeps replies working, the migration of a queue
that was already there. The real Application polling the loopback Bot API server."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from bot.services.lifecycle import refresh_channel_post
from bot.storage.db import _migrations, _split_sql
from tests import factories as f
from tests.factories import CLIENT, FREELANCER
from tests.harness import Market

MOD_GROUP = -100500  # tests.conftest's moderator group
CHANNEL = -100777


async def until(check: Callable[[], bool], seconds: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while not check():
        assert loop.time() < end, "timed out"
        await asyncio.sleep(0.02)


async def started(m: Market, *people: tuple[int, str]) -> None:
    for uid, name in people:
        m.server.add_user(uid, name, username=name.lower(), started=True)
    await f.people(m.svc, *(uid for uid, _ in people))


async def test_a_private_notification_does_not_wait_for_a_group_or_the_channel(
    tmp_path: Path,
) -> None:
    """A group over its 20-a-minute budget (and the jobs channel, which counts as one) used to
    hold the dispatcher's whole pass for up to a minute."""
    async with Market(tmp_path, jobs_channel_id=CHANNEL) as m:
        m.server.add_chat(CHANNEL, type="channel", title="Jobs")
        m.server.add_chat(MOD_GROUP, "supergroup", "Moderators")
        alice, bob = m.person(CLIENT, "Alice"), m.person(FREELANCER, "Bob")
        for user in (alice, bob):
            await user.send("/start")
            await user.wait_for("Welcome")
        job = await f.job(m.svc, CLIENT)
        await alice.wait_for(f"Job #{job.id} ·", chat=CHANNEL)
        await m.settle()
        async with m.svc.tx() as tx:
            for i in range(25):
                await refresh_channel_post(tx, m.svc, job)
                await tx.outbox.add(MOD_GROUP, "notify.banned", {"reason": f"g{i}"})
        m.app.bot_data["rt"].dispatcher.kick()
        await until(lambda: len(m.server.chat_messages(MOD_GROUP)) >= 19)

        # The group's minute is spent; a person's notification goes out all the same.
        await bob.send(f"/ask {job.id} Is Python fine?")
        await bob.wait_for("Your question about")
        await alice.wait_for("Question about Job", timeout=5)

        assert len(m.server.chat_messages(MOD_GROUP)) == 19  # the budget kept
        edits = [p for p in m.server.calls_of("editMessageText") if int(p["chat_id"]) == CHANNEL]
        assert len(edits) <= 18  # with the post, at most 19 calls to the channel
        async with m.svc.read() as tx:
            rows = await tx.fetchall(
                "SELECT stage, next_attempt_at FROM outbox WHERE state = 'pending'"
                " AND chat_id = ? ORDER BY id",
                (MOD_GROUP,),
            )
            now = tx.now
        assert len(rows) == 6
        assert rows[0]["stage"] == "waiting" and rows[0]["next_attempt_at"] > now  # deferred
        assert not [r for r in m.server.failed_calls() if r.status == 429]


async def test_answers_and_notifications_share_one_budget_answers_first(tmp_path: Path) -> None:
    """With Telegram's 30-a-second rule enforced, people's answers go out while a backlog of
    notifications drains, and the bot as a whole never meets a 429."""
    async with Market(tmp_path) as m:
        m.server.flood_control = True
        people = [(6000 + i, f"P{i}") for i in range(20)]
        await started(m, *people)
        async with m.svc.tx() as tx:
            for i in range(100):
                await tx.outbox.add(people[i % 20][0], "notify.banned", {"reason": f"r{i}"})
        m.app.bot_data["rt"].dispatcher.kick()
        await until(lambda: m.server.call_count("sendMessage") >= 10)
        users = [m.server.user(uid) for uid, _ in people]
        for user in users:
            user.mark_read()
            await user.send("/help")
        for user in users:
            await user.wait_for("/jobs", timeout=5)
        async with m.svc.read() as tx:
            assert await tx.outbox.pending_count() > 0  # the answers did not wait for it
        await m.settle(20)
        assert not [r for r in m.server.failed_calls() if r.status == 429]
        banned = sum(
            1 for uid, _ in people for x in m.server.chat_messages(uid) if "banned" in x.text
        )
        assert banned == 100


async def test_a_reply_to_a_pruned_notification_still_reaches_the_thread(tmp_path: Path) -> None:
    async with Market(tmp_path, outbox_retention="1h") as m:
        alice, bob = m.person(CLIENT, "Alice"), m.person(FREELANCER, "Bob")
        for user in (alice, bob):
            await user.send("/start")
            await user.wait_for("Welcome")
        job = await f.job(m.svc, CLIENT)
        await bob.send(f"/ask {job.id} Is Python fine?")
        question = await alice.wait_for("Question about Job")
        await m.settle()
        m.clock.advance(2 * 3600)
        rt = m.app.bot_data["rt"]
        assert await rt.dispatcher.prune() > 0
        async with m.svc.read() as tx:
            assert not await tx.fetchall("SELECT id FROM outbox WHERE key = 'notify.question'")

        await alice.send("Yes, it is.", reply_to=question)
        await alice.wait_for("Your reply is sent.")
        relayed = await bob.wait_for("Yes, it is.")
        assert f"Job #{job.id}" in relayed.text


async def test_a_queue_from_before_the_migration_goes_out_in_order(tmp_path: Path) -> None:
    """Rows queued by the previous version (one waiting for a retry) keep their order."""
    path = tmp_path / "market.db"
    con = sqlite3.connect(path, isolation_level=None)
    for number, _name, sql in _migrations():
        if number > 5:
            break
        for statement in _split_sql(sql):
            con.execute(statement)
        con.execute(f"PRAGMA user_version = {number}")
    now = int(time.time())
    a, b = 7001, 7002
    rows = [
        (a, "a1", now + 3600),  # waiting for a retry: a2 and a3 wait behind it
        (b, "b1", now - 5),
        (a, "a2", now - 5),
        (b, "b2", now - 5),
        (a, "a3", now - 5),
    ]
    for chat, reason, at in rows:
        con.execute(
            "INSERT INTO outbox (chat_id, key, params, next_attempt_at, created_at)"
            " VALUES (?, 'notify.banned', ?, ?, ?)",
            (chat, json.dumps({"reason": reason}), at, now - 10),
        )
    con.close()
    m = Market(tmp_path)
    for uid, name in ((a, "Ann"), (b, "Ben")):  # before the bot starts sending
        m.server.add_user(uid, name, started=True)
    async with m:

        def reasons(chat: int) -> list[str]:
            return [x.text.split(": ", 1)[1][:2] for x in m.server.chat_messages(chat)]

        await until(lambda: len(m.server.chat_messages(b)) == 2)
        assert reasons(b) == ["b1", "b2"] and reasons(a) == []
        m.clock.advance(3700)
        await until(lambda: len(m.server.chat_messages(a)) == 3)
        assert reasons(a) == ["a1", "a2", "a3"]
