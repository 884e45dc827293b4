"""Deals end to end: the real Application polling the loopback Bot API server, people typing
in their chats, and the outbox dispatcher delivering what the services queued."""

from __future__ import annotations

import pytest

from bot.services import deals
from bot.services.profiles import touch_user
from sandbox.botapi import SimMessage, SimUser
from tests import factories as f
from tests.factories import CLIENT, FREELANCER
from tests.harness import Market

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning"),
    pytest.mark.usefixtures("market_engine"),  # on SQLite and on PostgreSQL
]


async def meet(m: Market) -> tuple[SimUser, SimUser]:
    """Alice (a client) and Bob (a freelancer) have started the bot."""
    alice = m.person(CLIENT, "Alice")
    bob = m.person(FREELANCER, "Bob")
    for user in (alice, bob):
        user.started = True
        await touch_user(m.svc, user.id, user.username, user.first_name, "en")
    return alice, bob


def is_invoice(msg: SimMessage) -> bool:
    return msg.invoice is not None


def has_document(msg: SimMessage) -> bool:
    return msg.document is not None


async def only_deal_of(m: Market, job_id: int) -> int:
    async with m.svc.read() as tx:
        [deal] = await tx.deals.for_job(job_id)
    return deal.id


async def test_a_deal_from_accept_to_ratings(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob = await meet(m)
        svc = m.svc
        job = await f.job(svc, CLIENT)
        bid = await f.bid(svc, job.id, FREELANCER, amount=150, days=3)
        await alice.wait_for(f"Bid #{bid.id}")

        # /accept: the client gets a Stars invoice, the freelancer is told.
        await alice.send(f"/accept {bid.id}")
        invoice = await alice.wait_for(is_invoice)
        assert invoice.invoice["currency"] == "XTR"
        assert invoice.invoice["total_amount"] == 150
        deal_id = await only_deal_of(m, job.id)
        assert f"Deal #{deal_id}" in invoice.text
        await bob.wait_for("was accepted")

        # Paying: pre-checkout approved, the payment applied, the deal funded.
        paid = await alice.pay(invoice)
        assert isinstance(paid, SimMessage), f"pre-checkout refused: {paid!r}"
        await alice.wait_for(f"Payment received: Deal #{deal_id} is funded")
        assert (await f.get_deal(svc, deal_id)).state == "funded"
        await bob.wait_for(f"Deal #{deal_id} for Job #{job.id}")
        assert await f.balance(svc, "escrow", deal_id) == 150

        # The same successful_payment again changes nothing.
        charge = paid.successful_payment["telegram_payment_charge_id"]
        await alice.send_successful_payment(f"deal:{deal_id}", 150, "XTR", charge)
        await alice.wait_for("This payment was already applied; nothing changed.")
        assert await f.balance(svc, "escrow", deal_id) == 150
        async with svc.read() as tx:
            assert len(await tx.fetchall("SELECT * FROM payments")) == 1

        # The deal no longer awaits funding: paying the invoice again is refused at checkout.
        assert await alice.pay(invoice) == "This deal no longer waits for payment."
        assert m.server.call_count("refundStarPayment") == 0

        # /deliver, then a file right after it joins the delivery.
        await bob.send(f"/deliver {deal_id} First version")
        await bob.wait_for(f"Deal #{deal_id} is delivered.")
        await bob.send_document("logo.png", b"\x89PNG first")
        await bob.wait_for(f"added to the delivery of Deal #{deal_id}")
        await alice.wait_for(f"Deal #{deal_id}: the work is delivered.")
        doc = await alice.wait_for(has_document)
        assert doc.document["file_name"] == "logo.png"

        # /revise sends it back with a new due time.
        await alice.send(f"/revise {deal_id} Make it blue")
        await alice.wait_for(f"Changes requested on Deal #{deal_id} (revision 1 of 2)")
        await bob.wait_for("Make it blue")

        # A file sent before /deliver, then /deliver as a reply to it.
        v2 = await bob.send_document("logo-v2.png", b"\x89PNG second")
        await bob.wait_for("To deliver files")  # no delivery is open any more
        await bob.send(f"/deliver {deal_id} Blue now", reply_to=v2)
        await bob.wait_for(f"Deal #{deal_id} is delivered with 1 file.")
        await alice.wait_for("Blue now")
        doc = await alice.wait_for(has_document)
        assert doc.document["file_name"] == "logo-v2.png"

        # Only the client releases.
        await bob.send(f"/release {deal_id}")
        refusal = await bob.wait_for("release")
        assert refusal.text == f"Only the client of Deal #{deal_id} can release the money."
        assert (await f.get_deal(svc, deal_id)).state == "delivered"
        await alice.send(f"/release {deal_id}")
        await alice.wait_for(f"Deal #{deal_id} is complete: 150 ⭐ was released")
        await bob.wait_for("135 ⭐ went to your balance (platform fee 15 ⭐)")

        # Balances: the freelancer has the money less the fee, the escrow is empty.
        await bob.send("/balance")
        card = await bob.wait_for("Available")
        assert "135 ⭐" in card.text
        await alice.send("/balance")
        card = await alice.wait_for("Available")
        assert "0 ⭐" in card.text and "135" not in card.text
        assert await f.balance(svc, "escrow", deal_id) == 0
        assert await f.balance(svc, "user", FREELANCER) == 135
        assert await f.balance(svc, "fees") == 15

        # Both rate: the first rating waits, the second reveals both.
        await alice.send(f"/rate {deal_id} 5 Great work")
        await alice.wait_for("you gave Deal")
        await bob.wait_for("rated Deal")
        await bob.send(f"/rate {deal_id} 4")
        await bob.wait_for("Both ratings are now visible")
        revealed = await alice.wait_for("Both sides rated")
        assert "4/5" in revealed.text
        async with svc.read() as tx:
            assert len(await tx.feedback.for_deal(deal_id)) == 2

        # The list and the card.
        await alice.send("/deals")
        listing = await alice.wait_for("Your deals")
        assert f"Deal #{deal_id}" in listing.text
        await alice.send(f"/deal {deal_id}")
        card = await alice.wait_for("Revisions used")
        assert "Revisions used: 1 of 2" in card.text and "You are the client." in card.text
        await m.settle()


async def test_refusals_are_one_sentence(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob = await meet(m)
        await alice.send("/deliver")
        await alice.wait_for(
            "Say which deal you deliver: /deliver 5, optionally followed by a note."
        )
        await alice.send("/release five")
        await alice.wait_for("Say which deal to release: /release 5.")
        await alice.send("/deal 999")
        await alice.wait_for("There is no Deal #999.")
        deal = await f.funded_deal(m.svc)
        await alice.send(f"/rate {deal.id} 9")
        await alice.wait_for("The rating must be a whole number from 1 to 5.")
        await alice.send(f"/extend {deal.id} soon")
        await alice.wait_for("Write the time as a duration such as 12h, 3d or 2w")
        await alice.send(f"/extend {deal.id} 2d")
        await alice.wait_for(f"Deal #{deal.id}: delivery is now due")
        await bob.wait_for("gave you more time")
        await bob.send(f"/log {deal.id} 1.5 sketches")
        await bob.wait_for(f"1.5 h logged on Deal #{deal.id}.")
        await bob.send(f"/deal {deal.id}")
        card = await bob.wait_for("Time logged")
        assert "Bob (@bob) 1.5 h" in card.text


async def test_cancel_asked_and_confirmed_with_buttons(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob = await meet(m)
        job = await f.job(m.svc, CLIENT)
        bid = await f.bid(m.svc, job.id, FREELANCER)
        deal = await deals.hire(m.svc, CLIENT, bid.id)
        paid = await alice.pay(await alice.wait_for(is_invoice))
        assert isinstance(paid, SimMessage)
        await alice.wait_for("is funded")
        await alice.send(f"/canceldeal {deal.id}")
        await alice.wait_for("is asked to confirm cancelling")
        question = await bob.wait_for("asks to cancel")
        await bob.press(question, "Confirm the cancel")
        await bob.wait_for(f"You confirmed: Deal #{deal.id} is cancelled")
        await alice.wait_for("The refund of 150 ⭐ is requested from Telegram")
        assert (await f.get_deal(m.svc, deal.id)).state == "refunded"
        # The Stars are back only once Telegram confirmed refundStarPayment, after the commit.
        await alice.wait_for(f"Telegram returned 150 ⭐ from Deal #{deal.id}")
        charge = paid.successful_payment["telegram_payment_charge_id"]
        assert m.server.charges[charge].refunded


async def test_a_blocked_freelancer_does_not_stop_the_clients_notifications(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob = await meet(m)
        job = await f.job(m.svc, CLIENT)
        bid = await f.bid(m.svc, job.id, FREELANCER)
        deal = await deals.hire(m.svc, CLIENT, bid.id)
        invoice = await alice.wait_for(is_invoice)
        await bob.wait_for("was accepted")
        bob.block()

        assert isinstance(await alice.pay(invoice), SimMessage)
        await alice.wait_for(f"Deal #{deal.id} is funded: 150 ⭐ is held in escrow")
        await m.settle()
        [to_bob] = await f.outbox(m.svc, "notify.deal_funded", chat_id=FREELANCER)
        assert to_bob["state"] == "gave_up"
        async with m.svc.read() as tx:
            assert (await tx.users.get(FREELANCER)).unreachable

        # Later notifications to the client still arrive.
        await deals.deliver(m.svc, FREELANCER, deal.id, "Done anyway")
        await alice.wait_for(f"Deal #{deal.id}: the work is delivered.")
        assert bob.messages[-1].text.startswith("🎉")  # nothing reached Bob after the block


async def test_a_429_delays_a_notification_but_does_not_lose_it(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, _bob = await meet(m)
        job = await f.job(m.svc, CLIENT)
        await m.settle()
        m.server.flood("sendMessage", retry_after=1)
        bid = await f.bid(m.svc, job.id, FREELANCER)
        await alice.wait_for(f"Bid #{bid.id}", timeout=10)
        await m.settle()
        [row] = await f.outbox(m.svc, "notify.bid_new")
        assert row["state"] == "sent" and row["attempts"] == 2
        assert [r.status for r in m.server.failed_calls() if r.method == "sendMessage"] == [429]


async def test_deal_buttons_release_rate_extend_refund(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob = await meet(m)
        svc = m.svc
        # Release from the delivery notification, after one confirmation.
        deal = await f.funded_deal(svc)
        await deals.deliver(svc, FREELANCER, deal.id, "All done")
        delivered = await alice.wait_for(f"Deal #{deal.id}: the work is delivered.")
        release_data = delivered.find_button("✅ Release").callback_data
        await alice.press(delivered, "✏️ Request changes")  # it asks (tests/test_buttons_ask.py)
        asked = await alice.wait_for("What should change in the delivery")
        await alice.press(asked, "✖ Cancel")
        await alice.wait_for("Cancelled; nothing was sent.")
        await alice.press(delivered, "✅ Release")
        confirm = await alice.wait_for("This can't be undone.")
        await alice.press(confirm, "Yes, release")
        done = await alice.wait_for(f"Deal #{deal.id} is complete")
        assert done.message_id == confirm.message_id  # the question became the answer
        assert (await f.get_deal(svc, deal.id)).state == "released"
        await alice.press(done, "4⭐")
        await alice.wait_for(f"you gave Deal #{deal.id} 4/5")

        # Overdue work: one more day, then the refund.
        late = await f.funded_deal(svc)
        f.advance_to(svc, late.due_at + 1)
        overdue = await alice.wait_for(f"Deal #{late.id} is overdue", timeout=10)
        wait = await alice.press(overdue, "Wait")
        assert "refunded automatically" in (await wait.wait_answer())["text"]
        await alice.press(overdue, "⏳ Extend 1 day")
        await alice.wait_for(f"Deal #{late.id}: delivery is now due")
        await bob.wait_for("gave you more time")
        f.advance_to(svc, svc.clock.now() + 86400 + 1)
        overdue = await alice.wait_for(f"Deal #{late.id} is overdue", timeout=10)
        await alice.press(overdue, "↩️ Refund now")
        await alice.wait_for(f"Deal #{late.id} is cancelled. The refund of 150 ⭐ is requested")
        assert (await f.get_deal(svc, late.id)).state == "refunded"

        # A stale button (one that slipped through before its message lost it) answers with
        # one sentence and changes nothing.
        stale = await alice.press_data(delivered, release_data)
        answer = await stale.wait_answer()
        assert answer["text"] == f"Deal #{deal.id} is released, so this can't be done now."
        assert answer["show_alert"]
        await m.settle()


async def test_an_admin_sees_the_whole_history(tmp_path) -> None:
    async with Market(tmp_path) as m:
        await meet(m)
        admin = m.person(9001, "Mod")
        deal = await f.delivered_deal(m.svc)
        await admin.send(f"/deal {deal.id}")
        history = await admin.wait_for("History")
        assert "delivered" in history.text and "“done”" in history.text
