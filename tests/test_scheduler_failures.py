"""The deadline scheduler under failure and load (bot/scheduler.py, bot/services/timers.py):
a deadline that keeps failing backs off and is given up with one alert through the outbox,
never holding back the others, and a run yields to the loop between deadlines. The running
bot's own scheduler is stopped; each test drives `DeadlineScheduler.tick()` itself."""

from __future__ import annotations

import asyncio

import pytest

from bot.scheduler import BATCH, DeadlineScheduler
from bot.services import timers
from bot.services.profiles import touch_user
from tests import factories as f
from tests.factories import CLIENT, FREELANCER
from tests.harness import Market

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning")

GROUP = -100500  # MODERATOR_CHAT_ID of tests.conftest.make_settings
DAY = 86400


async def broken(*_args: object) -> bool:
    raise RuntimeError("boom")


def scheduler(m: Market) -> DeadlineScheduler:
    """The bot's scheduler, stopped: the test runs it by hand."""
    assert m.app is not None
    running = m.app.bot_data["deadlines"]
    running.stop()
    return running


async def meet(m: Market) -> None:
    for uid, name in ((CLIENT, "Alice"), (FREELANCER, "Bob")):
        m.person(uid, name).started = True
        await touch_user(m.svc, uid, name.lower(), name, "en")
    m.server.add_chat(GROUP, "supergroup", "Moderators", {4001: "member"})


async def deadline(m: Market, deadline_id: int) -> dict:
    async with m.svc.read() as tx:
        row = await tx.deadlines.get(deadline_id)
    assert row is not None
    return row


async def alert_rows(m: Market) -> list[dict]:
    async with m.svc.read() as tx:
        rows = await tx.fetchall(
            "SELECT * FROM outbox WHERE key = 'mod.deadline_failed' ORDER BY id"
        )
    return [dict(r) for r in rows]


async def test_deadlines_that_keep_failing_do_not_hold_back_one_due_after_them(
    tmp_path, monkeypatch
) -> None:
    """600 broken deadlines fall due first; before, the same 500 filled every batch
    (`ORDER BY due_at LIMIT 500`) and nothing due after them ever ran again."""
    monkeypatch.setitem(timers.ACTIONS, "broken", broken)
    async with Market(tmp_path, review_window=2) as m:
        await meet(m)
        run = scheduler(m)
        deal = await f.delivered_deal(m.svc)  # its auto-release is due in 2 days
        async with m.svc.tx() as tx:
            for i in range(BATCH + 100):
                await tx.deadlines.set("broken", i + 1, tx.now - DAY)
        m.clock.advance(3 * DAY)
        for _ in range(3):
            await run.tick()
        assert (await f.get_deal(m.svc, deal.id)).state == "released"
        await m.settle()
        bob = m.server.chat_messages(FREELANCER)
        assert any(f"Deal #{deal.id} is complete" in (msg.text or "") for msg in bob)
        async with m.svc.read() as tx:
            counts = await tx.fetchall(
                "SELECT state, attempts, COUNT(*) AS n FROM deadlines WHERE kind = 'broken'"
                " GROUP BY state, attempts"
            )
        # Each broken one ran once and now waits out its first backoff.
        assert [tuple(r) for r in counts] == [("pending", 1, BATCH + 100)]


async def test_a_failing_deadline_backs_off_then_is_given_up_with_one_alert(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.setitem(timers.ACTIONS, "broken", broken)
    async with Market(tmp_path) as m:
        await meet(m)
        run = scheduler(m)
        async with m.svc.tx() as tx:
            await tx.deadlines.set("broken", 7, tx.now)
            (row,) = await tx.deadlines.pending(7)
        waits = []
        for attempt in range(1, timers.MAX_ATTEMPTS):
            await run.tick()
            row = await deadline(m, row["id"])
            assert (row["state"], row["attempts"]) == ("pending", attempt)
            assert row["last_error"] == "RuntimeError: boom"
            waits.append(row["retry_at"] - m.clock.now())
            await run.tick()  # not retried before its backoff ends
            assert (await deadline(m, row["id"]))["attempts"] == attempt
            m.clock.advance(waits[-1] - 1)
            await run.tick()  # (nor a second before)
            assert (await deadline(m, row["id"]))["attempts"] == attempt
            m.clock.advance(1)
        assert waits == [30, 60, 120, 240, 480, 960, 1920]  # doubling, about an hour in all
        assert await alert_rows(m) == []  # no alert while it is retried

        await run.tick()  # the last attempt fails too: given up
        row = await deadline(m, row["id"])
        assert (row["state"], row["attempts"]) == ("failed", timers.MAX_ATTEMPTS)
        assert row["done_at"] == m.clock.now() and row["alerted_at"] == m.clock.now()
        (alert,) = await alert_rows(m)
        assert alert["chat_id"] == GROUP

        m.clock.advance(DAY)
        for _ in range(3):  # it never runs again, and is not reported again
            await run.tick()
        assert (await deadline(m, row["id"]))["attempts"] == timers.MAX_ATTEMPTS
        assert len(await alert_rows(m)) == 1

        await m.settle()
        (text,) = [msg.text for msg in m.server.chat_messages(GROUP) if msg.text]
        assert text == (
            "⚠️ A timed action was given up: broken of #7 (RuntimeError: boom), after 8 failed"
            " attempts. It will not run by itself again; the deadline is kept as failed, and"
            " details are in the log."
        )


async def test_given_up_deadlines_are_reported_at_most_once_a_minute(tmp_path, monkeypatch) -> None:
    """Many given up at once (a bug in one action) make one alert that counts the others;
    those given up within the next minute wait for the next alert."""
    monkeypatch.setattr(timers, "MAX_ATTEMPTS", 1)
    monkeypatch.setitem(timers.ACTIONS, "broken", broken)
    async with Market(tmp_path) as m:
        await meet(m)
        run = scheduler(m)
        async with m.svc.tx() as tx:
            for subject in (1, 2, 3):
                await tx.deadlines.set("broken", subject, tx.now)
        await run.tick()
        (first,) = await alert_rows(m)
        m.clock.advance(30)
        async with m.svc.tx() as tx:
            await tx.deadlines.set("broken", 4, tx.now)
        await run.tick()
        assert len(await alert_rows(m)) == 1  # within the minute: held back
        m.clock.advance(30)
        await run.tick()  # nothing due, but the held-back one is reported now
        second = (await alert_rows(m))[1]
        await m.settle()
        texts = [msg.text for msg in m.server.chat_messages(GROUP) if msg.text]
        assert len(texts) == 2
        assert "broken of #1 " in texts[0] and texts[0].endswith(
            " 2 more were given up since the last alert."
        )
        assert "broken of #4 " in texts[1] and texts[1].endswith("details are in the log.")
        assert second["created_at"] - first["created_at"] == 60


async def test_a_run_lets_other_tasks_run_between_deadlines(tmp_path) -> None:
    """Each deadline is a transaction on the event loop; a run of 500 must not hold the loop
    for all of them. Another task, looking at the table whenever it gets the loop, sees the
    run part-way through (before, it only ever saw nothing done, then everything)."""
    async with Market(tmp_path) as m:
        run = scheduler(m)
        async with m.svc.tx() as tx:
            for i in range(20):  # reminders about jobs long gone: each runs, does nothing
                await tx.deadlines.set("job_nudge", 10**6 + i, tx.now - DAY)
        seen: list[int] = []

        async def watch() -> None:
            while True:
                async with m.svc.read() as tx:
                    row = await tx.fetchone(
                        "SELECT COUNT(*) FROM deadlines WHERE kind = 'job_nudge' AND state = 'done'"
                    )
                seen.append(row[0])
                await asyncio.sleep(0)

        watcher = asyncio.create_task(watch())
        await asyncio.sleep(0)
        try:
            await run.tick()
        finally:
            watcher.cancel()
        partway = sorted({n for n in seen if 0 < n < 20})
        assert len(partway) >= 15, seen  # it had the loop between (nearly) every two
