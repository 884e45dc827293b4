"""An hourly contract end to end (issue 14), through the loopback Bot API: three weeks (one
disputed and decided, one left unfunded, one approved by silence), the bot restarted while a
week's end falls due, every timer acting once; the refusals, each one sentence that changes
nothing; once in English and once in Russian."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from bot.domain import weeks as W
from bot.services.profiles import touch_user
from bot.storage.audit import ledger_problems
from sandbox.botapi import SimMessage, SimUser
from tests import factories as f
from tests.factories import CLIENT, FREELANCER
from tests.harness import Market
from tests.hourly_helpers import WEDNESDAY

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning"),
    pytest.mark.usefixtures("market_engine"),  # on SQLite and on PostgreSQL
]

GROUP = -100500  # MODERATOR_CHAT_ID of tests.conftest.make_settings
MOD = 4001
MINUTE = 60

# What each person sees, in each language (fragments of the visible texts).
TEXTS = {
    "en": {
        "bid": "an hour, at most 10 h a week",
        "paid": "Payment received: the week of",
        "logged": "6 h logged on Deal #{deal}",
        "over": "That goes over the weekly limit of 10 h on Deal #{deal}: 4 h are left this week.",
        "not_yours": "Only the client of Deal #{deal} can approve its hours.",
        "nothing": "No week of Deal #{deal} is waiting for the client's review.",
        "paused": "Deal #{deal} is paused: the week of {week2} is not funded",
        "review": "The week of {week1} on Deal #{deal}: 6 h, 60 ⭐ to pay.",
        "edit_closed": "can no longer be changed: editing ended",
        "dispute_card": "Hourly: the week of {week1}, 6 h at 10 ⭐ an hour: 60 ⭐ at stake.",
        "resolved": "A moderator decided the dispute over the week of {week1}",
        "unfunded": "The week of {week2} on Deal #{deal} ended unfunded",
        "ending": "Deal #{deal} is ending",
        "approved": "The week of {week3} on Deal #{deal} is approved (the client's review",
        "closed": "Deal #{deal} has ended.",
        "funded": "The week of {week3} on Deal #{deal} is funded: log up to 10 h",
        "logged4": "4 h logged on Deal #{deal}",
        "card": "Hourly: 10 ⭐ an hour, at most 10 h a week (100 ⭐ a week)",
        "card_week": "Week of {week1}: decided by a moderator · 6 of 10 h · paid 27 ⭐",
    },
    "ru": {
        "bid": "в час, не больше 10 ч в неделю",
        "paid": "Оплата получена: неделя с",
        "logged": "Учтено 6 ч по сделке #{deal}",
        "over": "Это больше недельного лимита 10 ч по сделке #{deal}: на этой неделе осталось 4 ч.",
        "not_yours": "Принять часы сделки #{deal} может только её заказчик.",
        "nothing": "Ни одна неделя сделки #{deal} не ждёт проверки заказчика.",
        "paused": "Сделка #{deal} на паузе: неделя с {week2} не оплачена",
        "review": "Неделя с {week1} по сделке #{deal}: 6 ч, к оплате 60 ⭐.",
        "edit_closed": "больше нельзя менять: правка закончилась",
        "dispute_card": "Hourly: the week of {week1}, 6 h at 10 ⭐ an hour: 60 ⭐ at stake.",
        "resolved": "Модератор решил спор о неделе с {week1}",
        "unfunded": "Неделя с {week2} по сделке #{deal} закончилась без оплаты",
        "ending": "Сделка #{deal} завершается",
        "approved": "Неделя с {week3} по сделке #{deal} принята (срок проверки",
        "closed": "Сделка #{deal} завершена.",
        "funded": "Неделя с {week3} по сделке #{deal} оплачена: учитывайте до 10 ч",
        "logged4": "Учтено 4 ч по сделке #{deal}",
        "card": "Почасово: 10 ⭐ в час, не больше 10 ч в неделю (100 ⭐ в неделю)",
        "card_week": "Неделя с {week1}: решена модератором · 6 из 10 ч · выплачено 27 ⭐",
    },
}


def is_invoice(msg: SimMessage) -> bool:
    return msg.invoice is not None


def advance_to(m: Market, when: int) -> None:
    m.clock.advance(max(0, when - m.clock.now()))


async def worked_off(m: Market) -> None:
    """Until the scheduler ran everything due and the outbox sent it."""
    for _ in range(100):
        async with m.svc.read() as tx:
            if not await tx.deadlines.due(tx.now):
                break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.3)
    await m.settle()


async def refused(m: Market, user: SimUser, command: str, sentence: str) -> None:
    """A command answered with one sentence that changes nothing."""
    before = await f.snapshot(m.svc)
    await user.send(command)
    answer = await user.wait_for(sentence)
    assert answer.text.strip() == sentence or sentence in answer.text
    assert answer.text.count(".") <= 2, answer.text  # one sentence
    await m.quiet()
    after = await f.snapshot(m.svc)
    changed = [t for t in before if before[t] != after.get(t) and t not in ("outbox",)]
    assert changed == [], changed


def firsts(m: Market, chat: int) -> Counter[str]:
    return Counter(msg.text.split("\n")[0][:60] for msg in m.server.chat_messages(chat) if msg.text)


@pytest.mark.parametrize("lang", ["en", "ru"])
async def test_an_hourly_contract_over_three_weeks(tmp_path, lang: str) -> None:
    t = {k: v for k, v in TEXTS[lang].items()}
    async with Market(tmp_path) as m:
        m.clock.offset = WEDNESDAY - int(time.time())
        alice = m.person(CLIENT, "Alice", lang)
        bob = m.person(FREELANCER, "Bob", lang)
        for u in (alice, bob):
            u.started = True
            await touch_user(m.svc, u.id, u.username, u.first_name, lang)
        m.server.add_chat(GROUP, "supergroup", "Moderators", {MOD: "member"})
        mia = m.person(MOD, "Mia")
        mia.started = True

        job = await f.job(m.svc, CLIENT)
        await bob.send(f"/bid {job.id} 10/h 10 I keep a careful timesheet")
        await bob.wait_for(t["bid"])
        async with m.svc.read() as tx:
            [bid] = await tx.bids.for_job(job.id)
        await alice.send(f"/accept {bid.id}")
        paid = await alice.pay(await alice.wait_for(is_invoice))
        assert isinstance(paid, SimMessage), paid
        await alice.wait_for(t["paid"])
        async with m.svc.read() as tx:
            [deal] = await tx.deals.for_job(job.id)
            [week1] = await tx.hourly.weeks(deal.id)
        fill = {
            "deal": deal.id,
            "week1": W.week_label(week1.starts_at),
            "week2": W.week_label(week1.starts_at + W.WEEK),
            "week3": W.week_label(week1.starts_at + 2 * W.WEEK),
        }
        t = {k: v.format(**fill) for k, v in t.items()}

        # Week 1: six hours; more than the limit, someone else's approval, an early
        # approval: refused.
        await bob.send(f"/log {deal.id} 6 the API")
        await bob.wait_for(t["logged"])
        await refused(m, bob, f"/log {deal.id} 5 more", t["over"])
        await refused(m, bob, f"/approve {deal.id}", t["not_yours"])
        await refused(m, alice, f"/approve {deal.id}", t["nothing"])
        async with m.svc.read() as tx:
            [entry] = await tx.hourly.entries(week1.id)

        # Monday: week 2's invoice, which Alice leaves unpaid; logging is refused.
        advance_to(m, W.week_end(week1.starts_at) + MINUTE)
        await worked_off(m)
        await alice.wait_for(is_invoice)
        await refused(m, bob, f"/log {deal.id} 1 week two", t["paused"])
        # Monday 12:00: week 1 goes to Alice's review; Bob can no longer edit it.
        advance_to(m, week1.edit_ends_at + MINUTE)
        await worked_off(m)
        await alice.wait_for(t["review"])
        await refused(m, bob, f"/edithours {entry.id} 7", t["edit_closed"])
        # Alice disputes it; a moderator splits it.
        await alice.send(f"/dispute {deal.id} Six hours is too much for this")
        await mia.wait_for(t["dispute_card"], chat=GROUP)
        await mia.send(f"/resolve {deal.id} split 50 half of it", chat=GROUP)
        await alice.wait_for(t["resolved"])
        await bob.wait_for(t["resolved"])
        await m.settle()

        # The bot stops; week 2 ends (unfunded) and week 3 starts while it is down.
        before = {u.id: firsts(m, u.id) for u in (alice, bob)}
        await m.stop_bot()
        advance_to(m, W.week_end(week1.starts_at) + W.WEEK + MINUTE)
        await m.start_bot()
        await worked_off(m)
        await alice.wait_for(t["unfunded"])
        await bob.wait_for(t["unfunded"])
        third = await alice.wait_for(is_invoice)  # the limit less the 70 of credit
        assert third.invoice["total_amount"] == 30, third.invoice
        after = {u.id: firsts(m, u.id) for u in (alice, bob)}
        new = {uid: after[uid] - before[uid] for uid in after}
        assert all(n == 1 for c in new.values() for n in c.values()), new

        # Week 3: paid, four hours, then Alice ends the contract; silence approves it.
        assert isinstance(await alice.pay(third), SimMessage)
        await bob.wait_for(t["funded"])
        await bob.send(f"/log {deal.id} 4 the last fixes")
        await bob.wait_for(t["logged4"])
        await alice.send(f"/canceldeal {deal.id}")
        await bob.wait_for(t["ending"])
        async with m.svc.read() as tx:
            week3 = (await tx.hourly.weeks(deal.id))[-1]
        advance_to(m, week3.review_ends_at + MINUTE)
        await worked_off(m)
        await bob.wait_for(t["approved"])
        await alice.wait_for(t["closed"])
        await bob.wait_for(t["closed"])

        async with m.svc.read() as tx:
            weeks = await tx.hourly.weeks(deal.id)
            assert [w.state for w in weeks] == ["resolved", "unfunded", "approved"]
            assert [w.paid for w in weeks] == [30, 0, 40]
            assert (await tx.deals.get(deal.id)).state == "released"
            assert await tx.ledger.balance("escrow", "XTR", deal.id) == 0
            fee = 3 + 4  # 10% of 30 and of 40
            assert await tx.ledger.balance("user", "XTR", FREELANCER) == 70 - fee
            # 60 left: the week-3 charge (30) untouched goes back whole, 30 to the balance.
            refunds = await tx.fetchall("SELECT amount FROM refunds WHERE deal_id = ?", (deal.id,))
            assert [r["amount"] for r in refunds] == [30]
            assert await ledger_problems(tx) == []
        await worked_off(m)
        assert m.server.call_count("refundStarPayment") == 1

        # Another restart changes nothing: every timer acted once.
        counts = {u.id: firsts(m, u.id) for u in (alice, bob)}
        snapshot = await f.snapshot(m.svc)
        await m.restart()
        await asyncio.sleep(1.0)
        await m.settle()
        assert {u.id: firsts(m, u.id) for u in (alice, bob)} == counts
        later = await f.snapshot(m.svc)
        # (Reconciliation marks how far it read Telegram's Stars transactions at each start.)
        assert {k: v for k, v in later.items() if k != "sync_marks"} == {
            k: v for k, v in snapshot.items() if k != "sync_marks"
        }

        # The card shows the weeks, their hours and money.
        await alice.send(f"/deal {deal.id}")
        card = await alice.wait_for(t["card"])
        assert t["card_week"] in card.text, card.text
