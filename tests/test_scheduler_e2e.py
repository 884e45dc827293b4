"""The scheduler end to end (SPEC section 7): the real Application with its JobQueue, polling the
loopback Bot API server, with windows of a few seconds (or the Market's clock moved ahead for
the day-long ones). Each test checks what the people see and what the database says."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

import pytest

from bot.services import deals, disputes, feedback
from bot.services.base import Moderator
from bot.services.profiles import touch_user
from sandbox.botapi import Charge, SimMessage, SimUser
from tests import factories as f
from tests.factories import CLIENT, FREELANCER, FREELANCER2
from tests.harness import Market

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning"),
    pytest.mark.usefixtures("market_engine"),  # on SQLite and on PostgreSQL
]

GROUP = -100500  # MODERATOR_CHAT_ID of tests.conftest.make_settings
MOD = 4001  # a member of the moderator group
DAY = 86400


async def meet(m: Market, *extra: tuple[int, str]) -> list[SimUser]:
    """Alice (client), Bob and Carol (freelancers) have started the bot."""
    people = [(CLIENT, "Alice"), (FREELANCER, "Bob"), (FREELANCER2, "Carol"), *extra]
    users = []
    for uid, name in people:
        user = m.person(uid, name)
        user.started = True
        await touch_user(m.svc, uid, user.username, name, "en")
        users.append(user)
    return users


def moderators(m: Market) -> SimUser:
    """The moderator group with one member."""
    m.server.add_chat(GROUP, "supergroup", "Moderators", {MOD: "member"})
    mod = m.person(MOD, "Mia")
    mod.started = True
    return mod


def is_invoice(msg: SimMessage) -> bool:
    return msg.invoice is not None


def advance_to(m: Market, when: int) -> None:
    m.clock.advance(max(0, when - m.clock.now()))


async def funded_via_telegram(m: Market, alice: SimUser, days: int = 1) -> tuple[int, str]:
    """A deal the client paid through the Bot API (a real Stars charge): (deal id, charge)."""
    job = await f.job(m.svc, CLIENT)
    bid = await f.bid(m.svc, job.id, FREELANCER, amount=150, days=days)
    deal = await deals.hire(m.svc, CLIENT, bid.id)
    paid = await alice.pay(await alice.wait_for(is_invoice))
    assert isinstance(paid, SimMessage), f"pre-checkout refused: {paid!r}"
    await alice.wait_for(f"Deal #{deal.id} is funded")
    return deal.id, paid.successful_payment["telegram_payment_charge_id"]


async def deadline_states(m: Market, subject_id: int) -> dict[str, list[str]]:
    """Every deadline row of a subject: {kind: [state, ...]} in creation order."""
    async with m.svc.read() as tx:
        rows = await tx.fetchall(
            "SELECT kind, state FROM deadlines WHERE subject_id = ? ORDER BY id", (subject_id,)
        )
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(r["kind"], []).append(r["state"])
    return out


async def ledger_kinds(m: Market, deal_id: int | None = None) -> Counter[str]:
    async with m.svc.read() as tx:
        if deal_id is None:
            rows = await tx.fetchall("SELECT kind FROM ledger_transactions")
        else:
            rows = await tx.fetchall(
                "SELECT kind FROM ledger_transactions WHERE deal_id = ?", (deal_id,)
            )
    return Counter(r["kind"] for r in rows)


def seen(user: SimUser, text: str, chat: int | None = None) -> int:
    """How many bot messages in the user's chat (or `chat`) contain `text`."""
    msgs = user.server.chat_messages(user.id if chat is None else chat)
    return sum(text in msg.text for msg in msgs)


# --- bidding ---------------------------------------------------------------------------------


async def test_bidding_nudge_then_the_job_expires_and_bidders_are_told(tmp_path) -> None:
    async with Market(tmp_path, bidding_window=3, nudge_lead=2) as m:
        alice, bob, carol = await meet(m)
        job = await f.job(m.svc, CLIENT, title="Logo for a bakery")
        b1 = await f.bid(m.svc, job.id, FREELANCER)
        b2 = await f.bid(m.svc, job.id, FREELANCER2, amount=180)

        # NUDGE_LEAD before bidding closes, with bids and no hire: the client is reminded.
        nudge = await alice.wait_for(f"⏰ Bidding on Job #{job.id}", timeout=5)
        assert "You have 2 bids; hire with /accept" in nudge.text
        assert [b.text for b in nudge.buttons] == ["View bids"]
        assert (await f.get_job(m.svc, job.id)).state == "open"
        assert (await deadline_states(m, job.id))["job_nudge"] == ["done"]

        # The bidding window ends with no hire: the job expires, every bidder is told.
        for user, bid in ((bob, b1), (carol, b2)):
            told = await user.wait_for("ended without a hire", timeout=5)
            assert told.text == (
                f"Bidding on Job #{job.id} “Logo for a bakery” ended without a hire; "
                f"your Bid #{bid.id} is closed."
            )
        await alice.wait_for(f"Bidding on your Job #{job.id}", timeout=5)
        assert (await f.get_job(m.svc, job.id)).state == "expired"
        assert {(await f.get_bid(m.svc, b.id)).state for b in (b1, b2)} == {"declined"}
        assert await f.pending(m.svc, job.id, of_job=True) == {}
        assert (await deadline_states(m, job.id))["job_expire"] == ["done"]
        await m.settle()
        assert seen(alice, "⏰ Bidding on Job") == 1


async def test_no_bidding_nudge_without_bids_but_the_job_still_expires(tmp_path) -> None:
    async with Market(tmp_path, bidding_window=2, nudge_lead=1) as m:
        alice, _bob, _carol = await meet(m)
        job = await f.job(m.svc, CLIENT)
        await alice.wait_for(f"Bidding on your Job #{job.id}", timeout=5)
        assert seen(alice, "⏰ Bidding on Job") == 0
        assert (await f.get_job(m.svc, job.id)).state == "expired"


# --- funding ---------------------------------------------------------------------------------


async def test_funding_window_ends_unpaid_and_the_job_is_open_again_with_its_bids(
    tmp_path,
) -> None:
    async with Market(tmp_path, funding_window=2) as m:
        alice, bob, carol = await meet(m)
        job = await f.job(m.svc, CLIENT)
        bid = await f.bid(m.svc, job.id, FREELANCER)
        other = await f.bid(m.svc, job.id, FREELANCER2, amount=170)
        await alice.send(f"/accept {bid.id}")
        invoice = await alice.wait_for(is_invoice)
        async with m.svc.read() as tx:
            [deal] = await tx.deals.for_job(job.id)
        deal_id = deal.id

        await alice.wait_for(f"Deal #{deal_id} was cancelled: it was not paid in time", timeout=6)
        told = await bob.wait_for(f"Deal #{deal_id} was cancelled", timeout=5)
        assert "Your bid on Job" in told.text and "active again" in told.text
        deal = await f.get_deal(m.svc, deal_id)
        assert deal.state == "cancelled" and deal.ended_at is not None
        assert (await f.get_job(m.svc, job.id)).state == "open"
        assert (await f.get_bid(m.svc, bid.id)).state == "active"
        assert (await f.get_bid(m.svc, other.id)).state == "active"
        assert "job_expire" in await f.pending(m.svc, job.id, of_job=True)
        assert await ledger_kinds(m) == Counter()  # no money moved
        assert seen(carol, f"Job #{job.id}") == 0  # the other bidder was never disturbed

        # The old invoice is refused at checkout; the client can hire again from the bids.
        assert await alice.pay(invoice) == "This deal no longer waits for payment."
        await alice.send(f"/accept {other.id}")
        again = await alice.wait_for(is_invoice)
        assert again.invoice["total_amount"] == 170
        await carol.wait_for("was accepted")


# --- delivery --------------------------------------------------------------------------------


async def test_delivery_nudge_overdue_then_auto_refund_through_refund_star_payment(
    tmp_path,
) -> None:
    async with Market(tmp_path, nudge_lead=2, delivery_grace=2) as m:
        alice, bob, _carol = await meet(m)
        deal_id, charge = await funded_via_telegram(m, alice, days=1)
        deal = await f.get_deal(m.svc, deal_id)
        assert deal.due_at == deal.funded_at + DAY  # the bid's days after funding

        # NUDGE_LEAD before delivery is due: the freelancer is reminded.
        advance_to(m, deal.due_at - 2)
        await bob.wait_for(f"⏰ Deal #{deal_id} is due", timeout=5)
        assert (await deadline_states(m, deal_id))["delivery_nudge"] == ["done"]

        # Due, nothing delivered: both told, the client gets Extend / Refund now / Wait.
        advance_to(m, deal.due_at)
        overdue = await alice.wait_for(f"Deal #{deal_id} is overdue", timeout=5)
        assert [b.text for b in overdue.buttons] == ["⏳ Extend 1 day", "↩️ Refund now", "Wait"]
        late = await bob.wait_for(f"Deal #{deal_id} is overdue", timeout=5)
        assert f"Deliver with /deliver {deal_id}" in late.text and not late.buttons
        assert (await f.get_deal(m.svc, deal_id)).state == "funded"

        # DELIVERY_GRACE later (real seconds): refunded, the Stars go back once.
        await alice.wait_for("nothing was delivered in time", timeout=6)
        await bob.wait_for("nothing was delivered in time", timeout=5)
        await alice.wait_for(f"Telegram returned 150 ⭐ from Deal #{deal_id}", timeout=5)
        await m.settle()
        deal = await f.get_deal(m.svc, deal_id)
        assert deal.state == "refunded"
        assert (await f.get_job(m.svc, deal.job_id)).state == "closed"
        assert await f.balance(m.svc, "escrow", deal_id) == 0
        assert await ledger_kinds(m, deal_id) == Counter({"fund": 1, "refund": 1, "refund_sent": 1})
        assert m.server.call_count("refundStarPayment") == 1
        assert m.server.charges[charge].refunded
        assert await f.pending(m.svc, deal_id) == {"feedback_request": deal.ended_at + DAY}
        assert seen(alice, "is overdue") == 1 and seen(bob, "is overdue") == 1
        assert seen(bob, f"⏰ Deal #{deal_id} is due") == 1


async def test_delivery_in_time_stops_the_delivery_timers(tmp_path) -> None:
    async with Market(tmp_path, nudge_lead=2, delivery_grace=1, review_window=10 * DAY) as m:
        alice, bob, _carol = await meet(m)
        deal = await f.funded_deal(m.svc)
        await bob.send(f"/deliver {deal.id} Done early")
        await alice.wait_for(f"Deal #{deal.id}: the work is delivered.")
        assert set(await f.pending(m.svc, deal.id)) == {"review_nudge", "review_release"}
        # Far past the due time and grace: no overdue note, no refund; only the review nudge.
        delivered = await f.get_deal(m.svc, deal.id)
        advance_to(m, delivered.review_ends_at - 2)
        await alice.wait_for(f"⏰ The review window of Deal #{deal.id}", timeout=5)
        assert (await f.get_deal(m.svc, deal.id)).state == "delivered"
        assert seen(alice, "is overdue") == 0 and seen(bob, "is overdue") == 0
        assert m.server.call_count("refundStarPayment") == 0


async def test_extend_moves_the_delivery_deadlines(tmp_path) -> None:
    async with Market(tmp_path) as m:  # NUDGE_LEAD 24h, DELIVERY_GRACE 72h
        alice, bob, _carol = await meet(m)
        deal = await f.funded_deal(m.svc)  # 3 days
        before = await f.pending(m.svc, deal.id)
        await alice.send(f"/extend {deal.id} 2d")
        await alice.wait_for(f"Deal #{deal.id}: delivery is now due")
        await bob.wait_for("gave you more time")
        after = await f.pending(m.svc, deal.id)
        assert after == {kind: due + 2 * DAY for kind, due in before.items()}
        assert (await f.get_deal(m.svc, deal.id)).due_at == deal.due_at + 2 * DAY

        # At the old due time nothing happens; the moved nudge comes a day before the new one.
        advance_to(m, deal.due_at + 1)
        await asyncio.sleep(0.6)
        assert seen(alice, "is overdue") == 0 and seen(bob, "⏰") == 0
        advance_to(m, deal.due_at + DAY)
        nudge = await bob.wait_for(f"⏰ Deal #{deal.id} is due", timeout=5)
        new_due = datetime.fromtimestamp(deal.due_at + 2 * DAY, UTC).strftime("%Y-%m-%d %H:%M")
        assert f"is due {new_due} UTC" in nudge.text
        assert seen(alice, "is overdue") == 0
        advance_to(m, deal.due_at + 2 * DAY)
        await alice.wait_for(f"Deal #{deal.id} is overdue", timeout=5)
        assert (await f.get_deal(m.svc, deal.id)).state == "funded"
        # The refund comes DELIVERY_GRACE after the new due time, not the old one.
        advance_to(m, deal.due_at + 2 * DAY + 72 * 3600 - 60)
        await asyncio.sleep(0.6)
        assert (await f.get_deal(m.svc, deal.id)).state == "funded"
        advance_to(m, deal.due_at + 2 * DAY + 72 * 3600)
        await alice.wait_for("nothing was delivered in time", timeout=5)
        assert (await f.get_deal(m.svc, deal.id)).state == "refunded"


# --- review ----------------------------------------------------------------------------------


async def test_review_nudge_then_auto_release(tmp_path) -> None:
    async with Market(tmp_path, review_window=3, nudge_lead=2) as m:
        alice, bob, _carol = await meet(m)
        deal = await f.funded_deal(m.svc)
        await bob.send(f"/deliver {deal.id} Here it is")
        await alice.wait_for(f"Deal #{deal.id}: the work is delivered.")

        # NUDGE_LEAD before the review window ends: the client is reminded, with the buttons.
        nudge = await alice.wait_for(f"⏰ The review window of Deal #{deal.id}", timeout=5)
        assert [b.text for b in nudge.buttons][:2] == ["✅ Release", "✏️ Request changes"]
        assert (await f.get_deal(m.svc, deal.id)).state == "delivered"

        # The review window ends with no action: released, less the platform fee.
        auto = await alice.wait_for(f"The review window of Deal #{deal.id} ended", timeout=5)
        assert auto.text.startswith(f"✅ The review window of Deal #{deal.id} ended, so 150 ⭐")
        paid = await bob.wait_for(f"Deal #{deal.id} is complete", timeout=5)
        assert "135 ⭐ went to your balance (platform fee 15 ⭐)" in paid.text
        released = await f.get_deal(m.svc, deal.id)
        assert released.state == "released"
        assert (await f.get_job(m.svc, deal.job_id)).state == "completed"
        assert await f.balance(m.svc, "user", FREELANCER) == 135
        assert await f.balance(m.svc, "fees") == 15
        assert await f.balance(m.svc, "escrow", deal.id) == 0
        assert await ledger_kinds(m, deal.id) == Counter({"fund": 1, "release": 1})
        states = await deadline_states(m, deal.id)
        assert states["review_nudge"] == ["done"] and states["review_release"] == ["done"]
        await m.settle()
        assert seen(alice, "⏰ The review window") == 1


# --- disputes --------------------------------------------------------------------------------


async def test_a_dispute_freezes_the_timers_and_the_moderators_are_reminded(tmp_path) -> None:
    async with Market(tmp_path, review_window=600, nudge_lead=60, dispute_sla=3600) as m:
        alice, bob, _carol = await meet(m)
        mod = moderators(m)
        deal = await f.funded_deal(m.svc)
        await bob.send(f"/deliver {deal.id} Here it is")
        await alice.wait_for(f"Deal #{deal.id}: the work is delivered.")
        await alice.send(f"/dispute {deal.id} The logo is not what we agreed")
        await alice.wait_for(f"Dispute opened on Deal #{deal.id}")
        await mod.wait_for(f"Dispute on Deal #{deal.id}", chat=GROUP)
        assert set(await f.pending(m.svc, deal.id)) == {"dispute_sla"}

        # Far past the review window: no nudge, no auto-release; only the SLA reminder.
        advance_to(m, m.clock.now() + 3600)
        reminder = await mod.wait_for("still waits for a decision", chat=GROUP, timeout=5)
        assert reminder.text.startswith(f"⏰ The dispute on Deal #{deal.id} has been open since")
        assert reminder.reply_to_message_id is not None  # threaded under the card
        await asyncio.sleep(0.6)  # a few more scheduler ticks
        assert (await f.get_deal(m.svc, deal.id)).state == "disputed"
        assert seen(alice, "review window") == 0 and seen(bob, "is complete") == 0
        assert await ledger_kinds(m, deal.id) == Counter({"fund": 1})
        states = await deadline_states(m, deal.id)
        assert states["review_release"] == ["cancelled"]
        assert states["dispute_sla"] == ["done", "pending"]  # reminded again after another SLA

        # Another SLA without a decision: reminded again; a decision stops the reminders.
        advance_to(m, m.clock.now() + 3600)
        await mod.wait_for("still waits for a decision", chat=GROUP, timeout=5)
        await disputes.resolve(m.svc, Moderator(MOD), deal.id, "release")
        await alice.wait_for(f"The moderators decided Deal #{deal.id}", timeout=5)
        assert set(await f.pending(m.svc, deal.id)) == {"feedback_request"}
        advance_to(m, m.clock.now() + 3600)
        await asyncio.sleep(0.6)
        await m.settle()
        assert seen(mod, "still waits for a decision", chat=GROUP) == 2


# --- feedback --------------------------------------------------------------------------------


async def test_feedback_is_asked_a_day_after_the_deal_ends(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob, _carol = await meet(m)
        first = await f.delivered_deal(m.svc)
        await alice.send(f"/release {first.id}")
        await alice.wait_for(f"Deal #{first.id} is complete")
        second = await f.delivered_deal(m.svc)
        await deals.release(m.svc, CLIENT, second.id)
        await feedback.rate(m.svc, CLIENT, second.id, 5, "Great")  # Alice already rated it
        ended = (await f.get_deal(m.svc, first.id)).ended_at
        assert (await f.pending(m.svc, first.id))["feedback_request"] == ended + DAY

        advance_to(m, ended + DAY - 60)
        await asyncio.sleep(0.6)
        assert seen(alice, "How did Deal") == 0

        advance_to(m, (await f.get_deal(m.svc, second.id)).ended_at + DAY)
        ask = await alice.wait_for(f"⭐ How did Deal #{first.id} go? Rate Bob", timeout=5)
        assert [b.text for b in ask.buttons] == [f"{n}⭐" for n in range(1, 6)]
        await bob.wait_for(f"⭐ How did Deal #{first.id} go? Rate Alice", timeout=5)
        await bob.wait_for(f"⭐ How did Deal #{second.id} go?", timeout=5)
        await m.settle()
        assert seen(alice, f"How did Deal #{second.id}") == 0  # she had rated it
        assert (await deadline_states(m, first.id))["feedback_request"] == ["done"]
        assert (await deadline_states(m, second.id))["feedback_request"] == ["done"]

        # Rating from the request works; nobody is asked twice.
        await alice.press(ask, "4⭐")
        await alice.wait_for(f"you gave Deal #{first.id} 4/5")
        advance_to(m, m.clock.now() + 30 * DAY)
        await asyncio.sleep(0.6)
        await m.settle()
        asked = await f.outbox(m.svc, "notify.feedback_request")
        assert Counter(r["chat_id"] for r in asked) == {CLIENT: 1, FREELANCER: 2}
        assert seen(bob, "How did Deal") == 2


# --- restarts --------------------------------------------------------------------------------


async def _counts(m: Market, users: list[SimUser]) -> dict[int, Counter[str]]:
    """What each person (and the moderator group) got, by first line."""
    out: dict[int, Counter[str]] = {}
    for chat in [*(u.id for u in users), GROUP]:
        out[chat] = Counter(
            msg.text.split("\n")[0][:40] for msg in m.server.chat_messages(chat) if msg.text
        )
    return out


async def test_what_fell_due_while_the_bot_was_down_runs_once_after_a_restart(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob, carol = await meet(m)
        mod = moderators(m)
        svc = m.svc
        # Pending deadlines of every kind:
        review = await f.delivered_deal(svc)  # review nudge + auto-release
        late = await f.funded_deal(svc)  # delivery nudge, overdue, auto-refund
        m.server.charges[late.charge_id] = Charge(  # a charge Telegram knows: it refunds it
            late.charge_id, CLIENT, "XTR", late.amount, deals.invoice_payload(late.id)
        )
        disputed = await f.funded_deal(svc)  # the SLA reminder
        await disputes.open_dispute(svc, CLIENT, disputed.id, "Nothing happens")
        unpaid_job = await f.job(svc, CLIENT)
        unpaid_bid = await f.bid(svc, unpaid_job.id, FREELANCER2)
        unpaid = await deals.hire(svc, CLIENT, unpaid_bid.id)  # funding expiry
        open_job = await f.job(svc, CLIENT)
        open_bid = await f.bid(svc, open_job.id, FREELANCER2)  # bidding nudge + job expiry
        await mod.wait_for(f"Dispute on Deal #{disputed.id}", chat=GROUP)
        await m.settle()
        before = await _counts(m, [alice, bob, carol])
        ledger_before = await ledger_kinds(m)

        # The bot stops; everything falls due while it is down.
        await m.stop_bot()
        m.clock.advance(10 * DAY)
        await m.start_bot()
        svc = m.svc

        for _ in range(50):  # until every due deadline is worked off
            async with svc.read() as tx:
                if not await tx.deadlines.due(tx.now):
                    break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        await m.settle()

        # Every action happened, once.
        assert (await f.get_deal(svc, review.id)).state == "released"
        assert (await f.get_deal(svc, late.id)).state == "refunded"
        assert (await f.get_deal(svc, disputed.id)).state == "disputed"
        assert (await f.get_deal(svc, unpaid.id)).state == "cancelled"
        assert (await f.get_job(svc, open_job.id)).state == "expired"
        assert (await f.get_bid(svc, open_bid.id)).state == "declined"
        # The unpaid deal's job is open again (its bidding window stretched), its bid active.
        assert (await f.get_job(svc, unpaid_job.id)).state == "open"
        assert (await f.get_bid(svc, unpaid_bid.id)).state == "active"

        ledger_after = await ledger_kinds(m)
        assert ledger_after - ledger_before == Counter(
            {"release": 1, "refund": 1, "refund_sent": 1}
        )
        after = await _counts(m, [alice, bob, carol])
        new = {chat: after[chat] - before[chat] for chat in after}
        assert all(n == 1 for counts in new.values() for n in counts.values()), new
        # Each deadline ran in due order, even a reminder whose moment passed while the bot
        # was down (the state still allowed it): once.
        alice_got = "\n".join(new[CLIENT])
        assert f"The review window of Deal #{review.id} ended" in alice_got
        assert f"Deal #{late.id} is cancelled: nothing" in alice_got
        assert f"Telegram returned 150 ⭐ from Deal #{late.id}" in alice_got
        assert f"Deal #{unpaid.id} was cancelled" in alice_got
        assert f"Bidding on your Job #{open_job.id}" in alice_got
        assert f"Deal #{review.id} is complete" in "\n".join(new[FREELANCER])
        assert sum(new[GROUP].values()) == 1  # one SLA reminder
        assert m.server.call_count("refundStarPayment") == 1

        # A second restart changes nothing: no action runs again, nothing is sent again.
        snapshot = await _tables(svc)
        await m.restart()
        await asyncio.sleep(1.0)  # several scheduler ticks
        await m.settle()
        assert await _counts(m, [alice, bob, carol]) == after
        assert await ledger_kinds(m) == ledger_after
        assert await _tables(m.svc) == snapshot


async def _tables(svc) -> dict[str, list[tuple]]:
    out = {}
    async with svc.read() as tx:
        for name in ("deadlines", "deals", "jobs", "bids", "outbox", "ledger_entries"):
            out[name] = [tuple(r) for r in await tx.fetchall(f"SELECT * FROM {name} ORDER BY id")]
    return out


async def test_a_backlog_is_worked_off_without_waiting_for_the_next_tick(tmp_path) -> None:
    """After a long downtime more is due than one run takes (500 rows): the scheduler runs
    again at once until the backlog is gone, not one batch per tick."""
    from bot.scheduler import BATCH, DeadlineScheduler

    async with Market(tmp_path) as m:
        assert m.app is not None
        m.app.bot_data["deadlines"].stop()
        async with m.svc.tx() as tx:
            for i in range(1, 2 * BATCH + 101):  # reminders about jobs that are long gone
                await tx.deadlines.set("job_nudge", 10**6 + i, tx.now - 10 * DAY)
        slow = DeadlineScheduler(m.app, m.app.bot_data["rt"], interval=600)
        slow.start()
        try:
            for _ in range(600):  # (a tick is 600 s away: all of it runs now, or none)
                async with m.svc.read() as tx:
                    left = len(await tx.deadlines.pending())
                if not left:
                    break
                await asyncio.sleep(0.05)
            assert left == 0
        finally:
            slow.stop()
        async with m.svc.read() as tx:
            done = await tx.fetchone("SELECT COUNT(*) AS n FROM deadlines WHERE state = 'done'")
        assert done["n"] == 2 * BATCH + 100
