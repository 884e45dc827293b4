"""Direct offers end to end (issue 14), through the loopback Bot API: an offer accepted and
funded (its private job in no listing), one that lapses across a restart with its timer
firing once (in Russian), a freelancer's proposal to a past client, and the refusals, each
one sentence that changes nothing."""

from __future__ import annotations

import pytest

from bot.services import alerts, deals, jobs, offers, timers
from bot.services.profiles import touch_user
from sandbox.botapi import SimMessage, SimUser
from tests import factories as f
from tests.factories import CLIENT, FREELANCER, FREELANCER2, STRANGER
from tests.harness import Market, labels

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning"),
    pytest.mark.usefixtures("market_engine"),  # on SQLite and on PostgreSQL
]

CHANNEL = -100777
DAY = 86400
OFFER = "/offer @bob 150 5 Logo for my bakery | A vector logo in two colours, with the sources."


async def meet(m: Market, language: str = "en") -> list[SimUser]:
    """Alice (a client), Bob and Carol (freelancers), Dan (a stranger) started the bot."""
    users = []
    for uid, name in (
        (CLIENT, "Alice"),
        (FREELANCER, "Bob"),
        (FREELANCER2, "Carol"),
        (STRANGER, "Dan"),
    ):
        user = m.person(uid, name, language=language)
        user.started = True
        await touch_user(m.svc, uid, user.username, name, language)
        users.append(user)
    return users


async def refused(m: Market, call, key: str, **params: object):
    """tests.factories.refused once the bot is idle (its sends change the outbox too)."""
    await m.quiet()
    await m.settle()
    return await f.refused(m.svc, call, key, **params)


async def now(m: Market, user: SimUser, message: SimMessage) -> SimMessage:
    """The message as it is once every queued notification and redraw has gone out."""
    await m.settle()
    return next(msg for msg in user.messages if msg.message_id == message.message_id)


def is_invoice(msg: SimMessage) -> bool:
    return msg.invoice is not None


def seen(user: SimUser, text: str) -> int:
    return sum(text in msg.text for msg in user.server.chat_messages(user.id))


async def deadline_rows(m: Market, kind: str) -> list[str]:
    async with m.svc.read() as tx:
        rows = await tx.fetchall("SELECT state FROM deadlines WHERE kind = ? ORDER BY id", (kind,))
    return [r["state"] for r in rows]


async def offer_state(m: Market, offer_id: int) -> str:
    async with m.svc.read() as tx:
        row = await tx.fetchone("SELECT state FROM offers WHERE id = ?", (offer_id,))
    return str(row["state"])


async def test_an_offer_accepted_and_funded_and_its_job_in_no_listing(tmp_path) -> None:
    async with Market(tmp_path, jobs_channel_id=CHANNEL) as m:
        m.server.add_chat(CHANNEL, type="channel", title="Jobs")
        m.server.inline_placeholder = "Search jobs"
        alice, bob, carol, _dan = await meet(m)
        await alerts.create_search(m.svc, FREELANCER2, alerts.SearchDraft(words="bakery"))

        # The client writes the offer in one line; the freelancer gets it with its terms.
        await alice.send(OFFER)
        sent = await alice.wait_for("Offer #1 (150 ⭐) is sent.")
        assert "It waits for an answer until" in sent.text
        got = await bob.wait_for("offers you a contract without a public job")
        assert "Offer #1 “Logo for my bakery”, 150 ⭐, delivery in 5 days" in got.text
        assert "A vector logo in two colours" in got.text
        assert labels(got) == ["✅ Accept", "✖ Decline"]
        async with m.svc.read() as tx:
            assert (await tx.fetchone("SELECT COUNT(*) AS n FROM jobs"))["n"] == 0

        # Accepting makes the deal awaiting funding, and the client's invoice.
        await bob.press(got, "✅ Accept")
        await bob.wait_for("You accepted Offer #1: Deal #1 is created")
        await alice.wait_for("Bob (@bob) accepted Offer #1 “Logo for my bakery”: Deal #1")
        invoice = await alice.wait_for(is_invoice)
        assert invoice.invoice["total_amount"] == 150
        deal = await f.get_deal(m.svc, 1)
        assert (deal.state, deal.client_id, deal.freelancer_id, deal.days) == (
            "awaiting_funding",
            CLIENT,
            FREELANCER,
            5,
        )
        assert await offer_state(m, 1) == "accepted"
        assert await deadline_rows(m, "offer_lapse") == ["cancelled"]
        # The buttons of the offer are gone.
        assert not (await now(m, bob, got)).inline

        await m.restart()  # between the acceptance and the payment
        paid = await alice.pay(invoice)
        assert isinstance(paid, SimMessage), paid
        await alice.wait_for("Deal #1 is funded")
        await bob.wait_for("Deal #1 for Job #1")
        assert await deadline_rows(m, "funding_expire") == ["cancelled"]
        job = await f.get_job(m.svc, deal.job_id)
        assert job.is_private and job.state == "in_progress" and job.title == "Logo for my bakery"

        # Today's deal flow from here: deliver, release.
        await bob.send("/deliver 1 Here it is")
        await bob.wait_for("Deal #1 is delivered.")
        await alice.send("/release 1")
        await alice.wait_for("Deal #1 is complete: 150 ⭐ was released")
        assert await f.balance(m.svc, "user", FREELANCER) == 135
        assert await f.balance(m.svc, "escrow", 1) == 0

        # Never listed: /jobs, search, inline, alerts, the channel; its card for its people.
        assert await jobs.list_open_jobs(m.svc) == []
        assert await jobs.list_open_jobs(m.svc, "bakery") == []
        await carol.send("/jobs bakery")
        assert "Job #1" not in (await carol.wait_for(lambda x: True)).text
        assert (await carol.inline_query("bakery")).results == []
        await carol.send("/job 1")
        await carol.wait_for("There is no Job #1")
        await alice.send("/job 1")
        await alice.wait_for("Logo for my bakery")
        await m.settle()
        async with m.svc.read() as tx:
            assert (await tx.fetchone("SELECT COUNT(*) AS n FROM alert_deliveries"))["n"] == 0
            rows = await tx.fetchall("SELECT key FROM outbox WHERE chat_id = ?", (CHANNEL,))
        assert rows == []
        assert m.server.chat_messages(CHANNEL) == []
        for user in (alice, bob):
            await user.send("/offers")
            listed = await user.wait_for("Your direct offers (1):")
            assert "Offer #1 “Logo for my bakery” · 150 ⭐ · accepted, Deal #1" in listed.text
        await carol.send("/offers")
        await carol.wait_for("You have no direct offers yet.")


async def test_an_offer_lapses_across_a_restart_its_timer_firing_once_in_russian(
    tmp_path,
) -> None:
    async with Market(tmp_path) as m:
        alice, bob, _carol, _dan = await meet(m, "ru")
        await alice.send(OFFER)
        await alice.wait_for("Предложение #1 (150 ⭐) отправлено.")
        got = await bob.wait_for("предлагает вам контракт без публичного заказа")
        accept = got.find_button("✅ Принять").callback_data
        assert await deadline_rows(m, "offer_lapse") == ["pending"]

        # The bot stops with the offer pending; OFFER_WINDOW (14 days) passes meanwhile.
        await m.stop_bot()
        m.clock.advance(14 * DAY + 1)
        await m.start_bot()
        # The scheduler runs what fell due while it was down (driven here, not waited for).
        acted = await timers.run_due(m.svc)
        assert acted + await timers.run_due(m.svc) <= 1
        await alice.wait_for(
            "⌛ Предложение #1 «Logo for my bakery» для Bob (@bob) истекло без ответа."
        )
        await bob.wait_for("⌛ Предложение #1 «Logo for my bakery» от Alice (@alice) истекло")
        assert await deadline_rows(m, "offer_lapse") == ["done"]
        assert await offer_state(m, 1) == "lapsed"
        await m.restart()
        assert await timers.run_due(m.svc) == 0
        await m.settle()
        assert seen(alice, "истекло без ответа") == 1 and seen(bob, "истекло: на него") == 1

        # Accepting the lapsed offer (a button kept from before): one sentence, nothing made.
        pressed = await bob.press_data(got, accept)
        answer = await pressed.wait_answer()
        assert answer["text"] == "Предложение #1 истекло: на него не ответили вовремя."
        async with m.svc.read() as tx:
            assert (await tx.fetchone("SELECT COUNT(*) AS n FROM deals"))["n"] == 0
        await refused(m, offers.accept_offer(m.svc, FREELANCER, 1), "offer.lapsed")


async def test_a_freelancer_proposes_the_next_contract_to_a_past_client(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob, carol, _dan = await meet(m)
        await f.funded_deal(m.svc, CLIENT, FREELANCER)  # Bob worked for Alice

        # Carol never worked for Alice: refused.
        await carol.send("/propose @alice 80 3 Second logo | A second logo in the same style.")
        await carol.wait_for("only to a client you have worked for, and Alice is not one.")
        await bob.send("/propose @alice 80 3 Second logo | A second logo in the same style.")
        await bob.wait_for("Offer #1 (80 ⭐) is sent.")
        got = await alice.wait_for("who worked for you, proposes the next contract")
        # The freelancer can't accept his own proposal.
        await refused(m, offers.accept_offer(m.svc, FREELANCER, 1), "offer.own")
        await alice.press(got, "✅ Accept")
        await alice.wait_for("You accepted Offer #1: Deal #2 is created")
        await bob.wait_for("Alice (@alice) accepted your proposal, Offer #1")
        invoice = await alice.wait_for(is_invoice)
        assert invoice.invoice["total_amount"] == 80
        deal = await f.get_deal(m.svc, 2)
        assert (deal.client_id, deal.freelancer_id, deal.state) == (
            CLIENT,
            FREELANCER,
            "awaiting_funding",
        )

        # The funding window passes unpaid: cancelled, and the private job never opens.
        m.clock.advance(m.svc.settings.funding_window + 1)
        await timers.run_due(m.svc)
        await alice.wait_for("Deal #2 was cancelled: it was not paid in time. Send a new offer")
        job = await f.get_job(m.svc, deal.job_id)
        assert job.is_private and job.state == "closed"
        assert (await f.get_bid(m.svc, deal.bid_id)).state == "withdrawn"
        assert await jobs.list_open_jobs(m.svc) == [] or all(
            not j.is_private for j in await jobs.list_open_jobs(m.svc)
        )


async def test_refusals_each_one_sentence_that_changes_nothing(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob, carol, dan = await meet(m)
        svc = m.svc
        terms = offers.parse_terms("150 5 Logo for my bakery | A vector logo in two colours.")

        # Through the bot: to oneself, to someone unknown, a bad line.
        await alice.send("/offer @alice 150 5 Logo for my bakery | A vector logo in two colours.")
        await alice.wait_for("You can't send an offer to yourself.")
        await alice.send("/offer @nobody 150 5 Logo for my bakery | A vector logo in two colours.")
        await alice.wait_for("There is no user @nobody here.")
        await alice.send("/offer @bob 150 Logo")
        await alice.wait_for("Write the offer as /offer @username amount days Title | Description;")
        await alice.send("/offer @bob")
        await alice.wait_for("To send @bob a direct offer, press the button below")

        # The same refusals, changing nothing; and to a banned person.
        await refused(m, offers.send_offer(svc, CLIENT, "@alice", terms), "offer.self")
        await refused(m, offers.send_offer(svc, CLIENT, "@nobody", terms), "user.not_found")
        async with svc.tx() as tx:
            await tx.users.set_banned(STRANGER, True, "spam")
        await refused(m, offers.send_offer(svc, CLIENT, "@dan", terms), "offer.banned")
        await alice.send("/offer @dan 150 5 Logo for my bakery | A vector logo in two colours.")
        await alice.wait_for("Dan is banned, so they can't take offers.")
        await refused(m, offers.send_offer(svc, STRANGER, "@bob", terms), "user.banned")

        # Someone else accepting, the sender accepting, a declined offer accepted.
        offer = await offers.send_offer(svc, CLIENT, "@bob", terms)
        got = await bob.wait_for(f"Offer #{offer.id} “Logo for my bakery”")
        await refused(m, offers.accept_offer(svc, FREELANCER2, offer.id), "offer.not_yours")
        await refused(m, offers.accept_offer(svc, CLIENT, offer.id), "offer.own")
        await refused(m, offers.accept_offer(svc, CLIENT, 99), "offer.not_found")
        accept = got.find_button("✅ Accept").callback_data
        await bob.press(got, "✖ Decline")
        await bob.wait_for(f"You declined Offer #{offer.id}.")
        await alice.wait_for(f"Bob (@bob) declined Offer #{offer.id}")
        await refused(m, offers.accept_offer(svc, FREELANCER, offer.id), "offer.declined")
        pressed = await bob.press_data(got, accept)
        answer = await pressed.wait_answer()
        assert (
            answer["text"] == f"Offer #{offer.id} was declined, so it can't be accepted any more."
        )
        # Carol presses Bob's button (forwarded, say): not hers.
        second = await offers.send_offer(svc, CLIENT, "@bob", terms)
        await refused(m, offers.decline_offer(svc, FREELANCER2, second.id), "offer.not_yours")
        # Accepted twice: the second is refused.
        deal = await offers.accept_offer(svc, FREELANCER, second.id)
        err = await refused(m, offers.accept_offer(svc, FREELANCER, second.id), "offer.accepted")
        assert err.params["deal"] == deal.id
        assert [d.id for d in await deals.my_deals(svc, FREELANCER)] == [deal.id]
        del carol, dan


async def test_an_erased_account_keeps_its_offers_and_reviews_under_its_new_id(svc) -> None:
    """/deleteaccount moves offers (all three people columns at once: the sender is one of
    the two) and reviews to the new id; /mydata lists them before."""
    import json

    from bot.services import privacy, reviewers

    await f.people(svc)
    terms = offers.parse_terms("150 5 Logo for my bakery | A vector logo in two colours.")
    sent = await offers.send_offer(svc, CLIENT, "@user2001", terms)
    deal = await f.delivered_deal(svc, client=CLIENT, freelancer=FREELANCER2)
    await reviewers.add_reviewer(svc, CLIENT, deal.id, "@user2001")
    await reviewers.record_verdict(svc, FREELANCER, deal.id, "pass", "Fine")
    data = json.loads(await privacy.my_data(svc, FREELANCER))
    assert [o["id"] for o in data["direct_offers"]] == [sent.id]
    assert [v["verdict"] for v in data["reviews"]] == ["pass"]
    await deals.release(svc, CLIENT, deal.id)
    new = await privacy.delete_account(svc, FREELANCER)
    async with svc.read() as tx:
        row = await tx.fetchone("SELECT * FROM offers WHERE id = ?", (sent.id,))
        verdict = await tx.fetchone("SELECT reviewer_id FROM deal_verdicts")
    assert (row["client_id"], row["freelancer_id"], row["sender_id"]) == (CLIENT, new, CLIENT)
    assert verdict["reviewer_id"] == new


async def test_the_offer_button_of_a_profile_asks_for_the_terms(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob, _carol, _dan = await meet(m)
        await alice.send("/profile @bob")
        profile = await alice.wait_for("Completed deals")
        await alice.press(profile, "✉️ Offer a contract")
        await alice.wait_for("Write your offer as one message")
        await alice.send("150 days Logo")  # as typed, refused: the question stays open
        await alice.wait_for("Write the offer as /offer @username amount days")
        await alice.send("150 5 Logo for my bakery | A vector logo in two colours.")
        await alice.wait_for("Offer #1 (150 ⭐) is sent.")
        await bob.wait_for("offers you a contract without a public job")
        # From the favourites: the same question.
        await alice.send("/fav @bob")
        await alice.wait_for("is in your favourites")
        await alice.send("/favs")
        favs = await alice.wait_for("favourite freelancers")
        await alice.press(favs, "✉️ Offer Bob a contract")
        await alice.wait_for("Write your offer as one message")
        await alice.send("/cancel")
        await alice.wait_for(lambda x: True)
        # `/offer @bob` alone: the line to write, and the same button.
        await alice.send("/offer @bob")
        hint = await alice.wait_for("To send @bob a direct offer")
        assert labels(hint) == ["✉️ Offer a contract"]


async def test_an_offer_past_its_window_is_refused_before_its_timer_runs(svc) -> None:
    """No scheduler runs here: the window alone decides."""
    from bot.services.base import Clock

    await f.people(svc)
    terms = offers.parse_terms("150 5 Logo for my bakery | A vector logo in two colours.")
    offer = await offers.send_offer(svc, CLIENT, "@user2001", terms)
    assert isinstance(svc.clock, Clock)
    svc.clock.advance(svc.settings.offer_window)
    await f.refused(svc, offers.accept_offer(svc, FREELANCER, offer.id), "offer.lapsed")
    await f.refused(svc, offers.decline_offer(svc, FREELANCER, offer.id), "offer.lapsed")
    assert await timers.run_due(svc) == 1  # the timer then lapses it, once
    assert await timers.run_due(svc) == 0
    async with svc.read() as tx:
        row = await tx.fetchone("SELECT state FROM offers WHERE id = ?", (offer.id,))
    assert row["state"] == "lapsed"


async def test_an_hourly_offer_and_a_milestone_offer_start_their_contracts(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob, carol, _dan = await meet(m)

        # By the hour: 20 an hour, at most 10 hours a week; accepting invoices the first week.
        await alice.send("/offer @bob 20/h 10 Support for my shop | Answer customers' mail.")
        await alice.wait_for("Offer #1 (20 ⭐) is sent.")
        got = await bob.wait_for("offers you an hourly contract without a public job")
        assert "Offer #1 “Support for my shop”, 20 ⭐ an hour." in got.text
        assert "At most 10 hours a week" in got.text
        await bob.press(got, "✅ Accept")
        await bob.wait_for("You accepted Offer #1: Deal #1 is created")
        invoice = await alice.wait_for(is_invoice)
        assert invoice.invoice["total_amount"] == 200  # the week's limit: 20 x 10
        deal = await f.get_deal(m.svc, 1)
        assert (deal.kind, deal.state, deal.amount) == ("hourly", "awaiting_funding", 20)
        async with m.svc.read() as tx:
            contract = await tx.fetchone("SELECT * FROM hourly_contracts WHERE deal_id = 1")
        assert contract["weekly_minutes"] == 600

        # In milestones: a plan after the description; the first milestone is invoiced.
        await alice.send(
            "/offer @carol 300 14 A website | Five pages and a form. | Design = 100; Build = 200"
        )
        got = await carol.wait_for("Offer #2 “A website”, 300 ⭐, delivery in 14 days")
        assert "Paid in 2 milestones, funded one at a time:" in got.text
        assert "1. Design: 100 ⭐" in got.text and "2. Build: 200 ⭐" in got.text
        await carol.press(got, "✅ Accept")
        await carol.wait_for("You accepted Offer #2: Deal #2 is created")
        invoice = await alice.wait_for(
            lambda x: is_invoice(x) and x.message_id != invoice.message_id
        )
        assert invoice.invoice["total_amount"] == 100
        deal = await f.get_deal(m.svc, 2)
        assert (deal.kind, deal.state, deal.amount) == ("milestones", "awaiting_funding", 300)
        async with m.svc.read() as tx:
            plan = await tx.fetchall(
                "SELECT title, amount, state FROM milestones WHERE deal_id = 2 ORDER BY position"
            )
        assert [(r["title"], r["amount"]) for r in plan] == [("Design", 100), ("Build", 200)]

        # Refused, one sentence each, nothing sent: a plan not adding up, a plan by the hour.
        await m.quiet()
        await m.settle()
        before = await f.snapshot(m.svc)
        await alice.send(
            "/offer @bob 300 14 A website | Five pages and a form. | Design = 100; Build = 100"
        )
        await alice.wait_for("The milestones add up to 200 ⭐, but the offer is 300 ⭐")
        await alice.send("/offer @bob 20/h 10 A website | Five pages and a form. | Design = 100")
        await alice.wait_for("An hourly offer has no milestones")
        await alice.send("/offer @bob 20/h 99 Support | Answer the customers mail.")
        await alice.wait_for("weekly limit")
        await m.quiet()
        await m.settle()
        assert await f.snapshot(m.svc) == before


async def test_a_finished_deal_offers_the_next_contract_to_both(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob, _carol, _dan = await meet(m)
        deal = await f.delivered_deal(m.svc)
        await deals.release(m.svc, CLIENT, deal.id)
        await m.settle()
        await alice.send(f"/deal {deal.id}")
        card = await alice.wait_for(lambda x: "🔄 Refresh" in labels(x))
        assert "✉️ Offer a new contract" in labels(card)

        # The freelancer proposes the next contract from the card: one message of terms.
        await bob.send(f"/deal {deal.id}")
        card = await bob.wait_for(lambda x: "🔄 Refresh" in labels(x))
        await bob.press(card, "✉️ Propose the next contract")
        await bob.wait_for("Write your proposal for the next contract as one message")
        await bob.send("20/h 5 Upkeep of the logo | Small changes to the logo every week.")
        await bob.wait_for("Offer #1 (20 ⭐) is sent.")
        got = await alice.wait_for("proposes the next contract, by the hour")
        assert "At most 5 hours a week" in got.text
        async with m.svc.read() as tx:
            row = await tx.fetchone("SELECT * FROM offers WHERE id = 1")
        assert (row["client_id"], row["freelancer_id"], row["kind"]) == (
            CLIENT,
            FREELANCER,
            "hourly",
        )
