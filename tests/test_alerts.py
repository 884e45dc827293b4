"""Job alerts end to end (issue 15): a saved search made through /alerts hears of a new job
that matches it once, at once; not of one that does not match, nor of the client's own, nor
past ALERTS_PER_DAY, nor after "Stop these alerts"; a digest comes once a day; banned and
unreachable people are never alerted. The real Application polls the loopback Bot API."""

from __future__ import annotations

import asyncio

import pytest

from bot.domain.alerts import DAY, next_digest_at
from bot.services import alerts, moderation
from bot.services.base import Moderator
from bot.services.profiles import touch_user
from sandbox.botapi import SimMessage, SimUser
from tests import factories as f
from tests.factories import CLIENT, FREELANCER, FREELANCER2, STRANGER
from tests.harness import Market, labels, step

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning"),
    pytest.mark.usefixtures("market_engine"),  # on both engines
]


async def started(m: Market, *users: SimUser) -> None:
    for user in users:
        user.started = True
        await touch_user(m.svc, user.id, user.username, user.first_name, user.language_code)


async def make_alert(
    user: SimUser,
    *,
    category: str | None,
    words: str | None,
    budget: str | None = None,
    language: str = "Any language",
    mode: str = "🔔 At once",
) -> SimMessage:
    """Through /alerts and its New alert steps, as a person would."""
    await user.send("/alerts")
    card = await user.wait_for(lambda msg: "➕ New alert" in labels(msg), timeout=10)
    ask = await step(user, None, "which category?", press="➕ New alert", on=card)
    ask = await step(user, None, "Step 2 of 5", press=category or "Any category", on=ask)
    if words is None:
        ask = await step(user, None, "Step 3 of 5", press="Skip ▶", on=ask)
    else:
        ask = await step(user, words, "Step 3 of 5")
    if budget is None:
        ask = await step(user, None, "Step 4 of 5", press="Skip ▶", on=ask)
    else:
        ask = await step(user, budget, "Step 4 of 5")
    ask = await step(user, None, "Step 5 of 5", press=language, on=ask)
    return await step(user, None, "saved", press=mode, on=ask)


def alerts_of(user: SimUser) -> list[SimMessage]:
    return [msg for msg in user.messages if msg.text.startswith("🔔 New job for alert")]


async def rows_for(m: Market, chat: int, key: str) -> list[dict]:
    async with m.svc.read() as tx:
        rows = await tx.fetchall(
            "SELECT key, params FROM outbox WHERE chat_id = ? AND key = ?", (chat, key)
        )
    return [dict(r) for r in rows]


async def alert_rows(m: Market, chat: int) -> list[int]:
    """The jobs of every alert queued for `chat` (everything it will ever be sent: a job is
    matched in its publish transaction)."""
    import json

    return [json.loads(r["params"])["job"] for r in await rows_for(m, chat, "alert.job")]


async def test_a_saved_search_hears_of_a_matching_job_once_and_of_nothing_else(tmp_path) -> None:
    async with Market(tmp_path, alerts_per_day=3) as m:
        alice = m.person(CLIENT, "Alice")
        bob = m.person(FREELANCER, "Bob")
        await started(m, alice, bob)
        saved = await make_alert(bob, category="💻 Programming", words="Telegram  BOT")
        assert saved.text == "✅ Alert #1 saved: 💻 Programming · “telegram bot” · at once."
        listing = await bob.wait_for("Your job alerts")
        assert "Alert #1: 💻 Programming · “telegram bot” · at once" in listing.text

        job1 = await f.job(m.svc, title="Build a Telegram bot")
        alert = await bob.wait_for("New job for alert #1")
        head, title, facts = alert.text.split("\n")[:3]
        assert head == "🔔 New job for alert #1 (💻 Programming · “telegram bot” · at once)"
        assert title == f"Job #{job1.id} · Build a Telegram bot"
        assert facts.startswith("💻 Programming · budget 100 ⭐ – 200 ⭐ · wanted by ")
        assert labels(alert) == ["Bid", "Open the job", "🔕 Stop these alerts"]

        # Not a job of another category, nor one without the words, nor Bob's own job.
        await f.job(
            m.svc,
            category="design",
            answers={"deliverable": "files"},
            title="A logo for a Telegram bot",
        )
        await f.job(m.svc, title="Write a Python parser")
        await f.job(m.svc, client=FREELANCER, title="Another Telegram bot")
        job2 = await f.job(m.svc, title="Telegram bots for a shop")  # "bot" starts "bots"
        await bob.wait_for(f"Job #{job2.id} ")
        assert await alert_rows(m, FREELANCER) == [job1.id, job2.id]

        # The third of the day is the last one (ALERTS_PER_DAY = 3).
        job3 = await f.job(m.svc, title="A Telegram bot with payments")
        await bob.wait_for(f"Job #{job3.id} ")
        job4 = await f.job(m.svc, title="A Telegram bot for a bakery")
        async with m.svc.read() as tx:
            assert await alerts.AlertsRepo(tx).delivery(FREELANCER, job4.id) is None
        assert await alert_rows(m, FREELANCER) == [job1.id, job2.id, job3.id]

        # A new day: alerts again, until Bob stops them with the button.
        m.clock.advance(DAY)
        job5 = await f.job(m.svc, title="Telegram bot, urgent")
        alert5 = await bob.wait_for(f"Job #{job5.id} ")
        await bob.press(alert5, "🔕 Stop these alerts")
        await bob.wait_for("Alert #1 is stopped: no more jobs from it.")
        await f.job(m.svc, title="Yet another Telegram bot")
        assert await alert_rows(m, FREELANCER) == [job1.id, job2.id, job3.id, job5.id]
        await m.app.bot_data["rt"].dispatcher.drain()
        assert [msg.text.split("\n")[1] for msg in alerts_of(bob)] == [
            f"Job #{job.id} · {job.title}" for job in (job1, job2, job3, job5)
        ]
        await bob.send("/alerts")
        await bob.wait_for("You have none yet.")


async def test_an_alert_leads_to_a_bid_and_stop_applies_to_alerts_already_queued(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice = m.person(CLIENT, "Alice")
        bob = m.person(FREELANCER, "Bob")
        await started(m, alice, bob)
        search = await alerts.create_search(m.svc, FREELANCER, alerts.SearchDraft(words="bot"))
        job = await f.job(m.svc)
        alert = await bob.wait_for("New job for alert")
        await bob.press(alert, "Bid")
        await bob.wait_for(f"Bid on Job #{job.id}")
        await bob.send("/cancel")
        await bob.wait_for("cancel")
        # Stopped while an alert waits in the outbox: it is not sent.
        dispatcher = m.app.bot_data["rt"].dispatcher
        await dispatcher.stop()
        queued = await f.job(m.svc, title="Another bot")
        assert await alert_rows(m, FREELANCER) == [job.id, queued.id]
        await alerts.stop_search(m.svc, FREELANCER, search.id)
        await dispatcher.start()
        await dispatcher.drain()
        await m.settle()
        assert not any(f"Job #{queued.id} " in msg.text for msg in bob.messages)
        async with m.svc.read() as tx:
            (row,) = await tx.fetchall(
                "SELECT state FROM outbox WHERE chat_id = ? AND key = 'alert.job'"
                " AND params LIKE ?",
                (FREELANCER, f'%"job": {queued.id},%'),
            )
        assert row["state"] == "sent"  # handled: skipped, nothing sent


async def test_the_digest_comes_once_a_day(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice = m.person(CLIENT, "Alice")
        carol = m.person(FREELANCER2, "Carol", language="ru")
        await started(m, alice, carol)
        search = await alerts.create_search(
            m.svc, FREELANCER2, alerts.SearchDraft(words="логотип", mode="digest")
        )
        scheduler = m.app.bot_data["deadlines"]
        j1 = await f.job(
            m.svc, category="design", answers={"deliverable": "files"}, title="Логотип для пекарни"
        )
        j2 = await f.job(
            m.svc,
            category="design",
            answers={"deliverable": "files"},
            title="Новый логотип магазина",
        )
        await f.job(
            m.svc, category="design", answers={"deliverable": "files"}, title="Баннер для магазина"
        )  # no match
        assert await rows_for(m, FREELANCER2, "alert.digest") == []
        async with m.svc.read() as tx:
            (due,) = [
                d for d in await tx.deadlines.pending(FREELANCER2) if d["kind"] == "alert_digest"
            ]
        assert due["due_at"] == next_digest_at(m.clock.now())

        m.clock.advance(due["due_at"] - m.clock.now() - 60)  # a minute early: nothing
        await scheduler.tick()
        assert await rows_for(m, FREELANCER2, "alert.digest") == []
        m.clock.advance(60)
        await scheduler.tick()
        digest = await carol.wait_for("Ежедневная сводка заказов")
        assert digest.text.split("\n")[0] == "📬 Ежедневная сводка заказов: 2 новых заказа"
        assert f"Заказ #{j1.id} Логотип для пекарни" in digest.text
        assert f"Заказ #{j2.id} Новый логотип магазина" in digest.text
        assert f"Подписка #{search.id}: Любая категория · «логотип» · сводкой раз в день" in (
            digest.text
        )
        assert labels(digest) == [
            f"Откликнуться на заказ #{j1.id}",
            f"Откликнуться на заказ #{j2.id}",
            f"🔕 Отписаться от #{search.id}",
        ]

        # A job after today's digest waits for tomorrow's; the day's digest is not sent again.
        j3 = await f.job(
            m.svc, category="design", answers={"deliverable": "files"}, title="Логотип для кафе"
        )
        for _ in range(3):
            m.clock.advance(3 * 3600)
            await scheduler.tick()
        assert len(await rows_for(m, FREELANCER2, "alert.digest")) == 1
        m.clock.advance(next_digest_at(m.clock.now()) - m.clock.now())
        await scheduler.tick()
        second = await carol.wait_for(f"Заказ #{j3.id} ")
        assert "1 новый заказ" in second.text and f"Заказ #{j1.id} " not in second.text
        assert len(await rows_for(m, FREELANCER2, "alert.digest")) == 2


async def test_banned_and_unreachable_people_are_not_alerted(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice = m.person(CLIENT, "Alice")
        bob = m.person(FREELANCER, "Bob")
        carol = m.person(FREELANCER2, "Carol")
        sam = m.person(STRANGER, "Sam")
        await started(m, alice, bob, carol, sam)
        for user in (FREELANCER, FREELANCER2, STRANGER):
            await alerts.create_search(m.svc, user, alerts.SearchDraft(words="bot"))
        await moderation.ban(m.svc, Moderator(9001), FREELANCER, "Spam")
        carol.block()  # the first alert meets a 403: Carol is marked unreachable
        first = await f.job(m.svc)
        await sam.wait_for(f"Job #{first.id} ")
        await m.app.bot_data["rt"].dispatcher.drain()
        for _ in range(100):  # Carol's alert may still be in a dispatcher's hands: its 403
            async with m.svc.read() as tx:
                if (await tx.users.get(FREELANCER2)).unreachable:
                    break
            await asyncio.sleep(0.1)
        async with m.svc.read() as tx:
            assert (await tx.users.get(FREELANCER2)).unreachable
            assert await alerts.AlertsRepo(tx).delivery(FREELANCER, first.id) is None
        second = await f.job(m.svc, title="A second bot")
        await sam.wait_for(f"Job #{second.id} ")
        async with m.svc.read() as tx:
            repo = alerts.AlertsRepo(tx)
            assert await repo.delivery(FREELANCER2, second.id) is None
            assert await repo.delivery(FREELANCER, second.id) is None
        assert not any("New job for alert" in msg.text for msg in bob.messages)


async def test_a_large_fan_out_goes_on_at_once_not_a_tick_later(tmp_path, monkeypatch) -> None:
    """Each batch of a fan-out sets its deadline due now: the scheduler runs the next batch at
    once, also within the same second (the clock is frozen here), not at its next tick."""
    monkeypatch.setattr(alerts, "INLINE_BATCH", 2)
    monkeypatch.setattr(alerts, "BATCH", 3)
    async with Market(tmp_path) as m:
        frozen = m.clock.now()
        monkeypatch.setattr(m.clock, "now", lambda: frozen)
        listeners = [m.person(uid, f"L{uid}") for uid in range(6000, 6011)]
        await started(m, m.person(CLIENT, "Alice"), *listeners)
        for person in listeners:
            await alerts.create_search(m.svc, person.id, alerts.SearchDraft(words="telegram"))
        job = await f.job(m.svc, title="A Telegram bot")
        scheduler = m.app.bot_data["deadlines"]
        scheduler.stop()  # no periodic tick: only what the scheduler books itself runs
        await scheduler._run(None)  # a tick, finding the first batch due
        await listeners[-1].wait_for(f"Job #{job.id} ", timeout=3)  # the last batch's
        for person in listeners[:-1]:
            await person.wait_for(f"Job #{job.id} ", timeout=1)
        assert sorted(await _alerted_people(m, job.id)) == [p.id for p in listeners]


async def _alerted_people(m: Market, job_id: int) -> list[int]:
    async with m.svc.read() as tx:
        rows = await tx.fetchall(
            "SELECT user_id FROM alert_deliveries WHERE job_id = ? AND state = 'sent'", (job_id,)
        )
    return [int(r["user_id"]) for r in rows]
