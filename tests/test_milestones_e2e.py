"""A milestone contract end to end (issue 14), through the loopback Bot API, in English and
in Russian, on both engines: the freelancer's plan typed in chat (and the client's refused
edits), three milestones each paid through its own Stars invoice, a dispute on the second
decided by a moderator, the bot down while the third's review window ends (auto-released
once at the restart, and nothing again at the next), and the card showing every milestone."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.services.profiles import touch_user
from bot.storage.audit import ledger_problems
from sandbox.botapi import SimMessage, SimUser
from tests import factories as f
from tests.factories import CLIENT, FREELANCER
from tests.harness import Market

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning"),
    pytest.mark.usefixtures("market_engine"),  # on SQLite and on PostgreSQL
]

GROUP = -100500  # MODERATOR_CHAT_ID of tests.conftest.make_settings
MOD = 4001
DAY = 86400
CYRILLIC = re.compile("[а-яА-ЯёЁ]")

TEXT = {
    "en": {
        "set": "is now paid in 3 milestones",
        "sum": "they must add up to the bid exactly",
        "zero": "needs an amount above zero",
        "released": "Milestone “Design” of Deal",
        "next": "milestone 2, “Build”",
        "card": "Milestones",
        "states": ["released", "split by the moderators", "released"],
    },
    "ru": {
        "set": "теперь оплачивается по этапам (3)",
        "sum": "сумма этапов должна точно совпадать с откликом",
        "zero": "сумма должна быть больше нуля",
        "released": "Этап «Design» сделки",
        "next": "этап 2, «Build»",
        "card": "Этапы",
        "states": ["деньги переданы", "разделён модераторами", "деньги переданы"],
    },
}


def is_invoice(msg: SimMessage) -> bool:
    return msg.invoice is not None


async def until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not await check():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def deal_row(m: Market, deal_id: int) -> dict[str, Any]:
    async with m.svc.read() as tx:
        row = await tx.fetchone("SELECT * FROM deals WHERE id = ?", (deal_id,))
    return dict(row)


async def plan_states(m: Market, deal_id: int) -> list[str]:
    async with m.svc.read() as tx:
        return [x.state.value for x in await tx.milestones.of_deal(deal_id)]


async def in_state(m: Market, deal_id: int, state: str) -> None:
    async def check() -> bool:
        return (await deal_row(m, deal_id))["state"] == state

    await until(check, f"deal {deal_id} {state}")


async def pay(user: SimUser, amount: int) -> None:
    invoice = await user.wait_for(is_invoice, timeout=10)
    assert invoice.invoice is not None and invoice.invoice["total_amount"] == amount
    paid = await user.pay(invoice)
    assert isinstance(paid, SimMessage), f"pre-checkout refused: {paid!r}"


async def tables(m: Market) -> dict[str, list[tuple]]:
    out = {}
    async with m.svc.read() as tx:
        for name in ("deadlines", "deals", "milestones", "outbox", "ledger_entries"):
            out[name] = [tuple(r) for r in await tx.fetchall(f"SELECT * FROM {name} ORDER BY id")]
    return out


async def outbox_count(m: Market, key: str) -> int:
    async with m.svc.read() as tx:
        row = await tx.fetchone("SELECT COUNT(*) AS n FROM outbox WHERE key = ?", (key,))
    return int(row["n"])


@pytest.mark.parametrize("lang", ["en", "ru"])
async def test_three_milestones_a_dispute_on_the_second_and_a_restart(tmp_path, lang) -> None:
    t = TEXT[lang]
    async with Market(tmp_path) as m:
        alice = m.person(CLIENT, "Alice", language=lang)
        bob = m.person(FREELANCER, "Bob", language=lang)
        for user in (alice, bob):
            user.started = True
            await touch_user(m.svc, user.id, user.username, user.first_name, lang)
        m.server.add_chat(GROUP, "supergroup", "Moderators", {MOD: "member"})
        mia = m.person(MOD, "Mia")
        mia.started = True
        job = await f.job(m.svc, CLIENT, budget_min=100, budget_max=1000)
        bid = await f.bid(m.svc, job.id, FREELANCER, amount=600, days=3)

        # The freelancer proposes the plan; the client's edits that do not fit are refused.
        await bob.send(f"/milestones {bid.id} Design = 100; Build = 200; Launch = 300")
        answer = await bob.wait_for(t["set"])
        assert "Design" in answer.text and "Launch" in answer.text
        await alice.send(f"/milestones {bid.id} Design = 100; Build = 100")
        await alice.wait_for(t["sum"])
        await alice.send(f"/milestones {bid.id} Design = 600; Build = 0")
        await alice.wait_for(t["zero"])
        assert [x.amount for x in await _plan(m, bid.id)] == [100, 200, 300]

        # Milestone 1: hired, paid (its own invoice), delivered, released by the client.
        await alice.send(f"/accept {bid.id}")
        await pay(alice, 100)
        deal_id = (await _deal_of(m, job.id))["id"]
        await in_state(m, deal_id, "funded")
        await bob.send(f"/deliver {deal_id} mockups")
        await in_state(m, deal_id, "delivered")
        await alice.send(f"/release {deal_id}")
        done = await alice.wait_for(t["released"])
        assert t["next"] in done.text
        await in_state(m, deal_id, "awaiting_funding")

        # Milestone 2: paid, then disputed; the moderator splits it 50/50.
        await pay(alice, 200)
        await in_state(m, deal_id, "funded")
        await alice.send(f"/dispute {deal_id} half of the pages are missing")
        await mia.wait_for(f"Dispute on Deal #{deal_id}", chat=GROUP)
        await mia.send(f"/resolve {deal_id} split 50", chat=GROUP)
        await in_state(m, deal_id, "awaiting_funding")
        assert await plan_states(m, deal_id) == ["released", "split", "current"]

        # Milestone 3: paid and delivered; the bot is down while its review window ends.
        await pay(alice, 300)
        await in_state(m, deal_id, "funded")
        await bob.send(f"/deliver {deal_id} launched")
        await in_state(m, deal_id, "delivered")
        await m.settle()
        await m.stop_bot()
        m.clock.advance(m.settings.review_window + 60)
        await m.start_bot()
        await in_state(m, deal_id, "released")
        await m.settle()
        assert await plan_states(m, deal_id) == ["released", "split", "released"]
        async with m.svc.read() as tx:
            rows = await tx.fetchall(
                "SELECT state FROM deadlines WHERE subject_id = ? AND kind = 'review_release'"
                " ORDER BY id",
                (deal_id,),
            )
            # Milestone 1's was cancelled by its release; milestone 3's ran once.
            assert [r["state"] for r in rows] == ["cancelled", "done"]
            kinds = await tx.fetchall(
                "SELECT kind, COUNT(*) AS n FROM ledger_transactions WHERE deal_id = ?"
                " GROUP BY kind",
                (deal_id,),
            )
            assert {r["kind"]: r["n"] for r in kinds} == {"fund": 3, "release": 2, "split": 1}
            assert await ledger_problems(tx) == []
        assert await f.balance(m.svc, "escrow", deal_id) == 0
        assert await f.balance(m.svc, "user", FREELANCER) == 90 + 90 + 270
        assert await outbox_count(m, "notify.released_freelancer") == 1

        # A second restart: no timer runs again, nothing is sent again.
        snapshot = await tables(m)
        await m.restart()
        await asyncio.sleep(1.0)  # several scheduler ticks
        await m.settle()
        assert await tables(m) == snapshot

        # /stats counts contracts by type.
        await mia.send("/stats", chat=GROUP)
        await mia.wait_for("Contracts by type: milestones 1", chat=GROUP)

        # The card shows every milestone with its state and money.
        alice.mark_read()
        await alice.send(f"/deal {deal_id}")
        card = await alice.wait_for(t["card"])
        for name, state in zip(("Design", "Build", "Launch"), t["states"], strict=True):
            line = next(x for x in card.text.split("\n") if f". {name}:" in x)
            assert state in line, (line, state)
        if lang == "ru":
            for user in (alice, bob):
                english = [x.text for x in user.messages if x.text and not CYRILLIC.search(x.text)]
                assert english == [], english


async def _plan(m: Market, bid_id: int) -> list[Any]:
    async with m.svc.read() as tx:
        return await tx.milestones.of_bid(bid_id)


async def _deal_of(m: Market, job_id: int) -> dict[str, Any]:
    async with m.svc.read() as tx:
        row = await tx.fetchone("SELECT * FROM deals WHERE job_id = ?", (job_id,))
    assert row is not None
    return dict(row)


async def test_a_milestone_added_later_and_accepted_by_button(tmp_path) -> None:
    from bot.services import deals, milestones

    async with Market(tmp_path) as m:
        alice = m.person(CLIENT, "Alice")
        bob = m.person(FREELANCER, "Bob")
        for user in (alice, bob):
            user.started = True
            await touch_user(m.svc, user.id, user.username, user.first_name, "en")
        job = await f.job(m.svc, CLIENT, budget_min=100, budget_max=1000)
        bid = await f.bid(m.svc, job.id, FREELANCER, amount=600, days=3)
        await milestones.set_plan(m.svc, FREELANCER, bid.id, "Whole site = 600")
        deal = await deals.hire(m.svc, CLIENT, bid.id)
        assert await f.pay_milestone(m.svc, deal) == "funded"

        await bob.send(f"/addmilestone {deal.id} Extra pages = 50")
        await bob.wait_for(f"Only the client of Deal #{deal.id} can do this.")
        await alice.send(f"/addmilestone {deal.id} Extra pages = 0")
        await alice.wait_for("Milestone “Extra pages” needs an amount above zero.")
        await alice.send(f"/addmilestone {deal.id} Extra pages = 50")
        await alice.wait_for("it joins the contract once the freelancer accepts it")
        offer = await bob.wait_for(lambda x: "one more milestone" in x.text and x.inline)
        await bob.press(offer, "✅ Accept the milestone")
        await bob.wait_for(f"joins Deal #{deal.id}; the contract is now 650 ⭐")
        await alice.wait_for("The freelancer accepted milestone “Extra pages”")
        assert (await deal_row(m, deal.id))["amount"] == 650
        assert await plan_states(m, deal.id) == ["current", "pending"]
        # The card lists both, the current one marked.
        await alice.send(f"/deal {deal.id}")
        card = await alice.wait_for("Milestones (2)")
        assert "▶️ 1. Whole site: 600 ⭐ · funded, work in progress" in card.text
        assert "· 2. Extra pages: 50 ⭐ · to come" in card.text
