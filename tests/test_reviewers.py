"""A contract's QA reviewer end to end (issue 14), through the loopback Bot API: the reviewer
gets the brief and every delivery, reads the card, and their verdict reaches the client
beside Release; every money action of theirs is refused with one sentence that changes
nothing; they leave when the contract ends."""

from __future__ import annotations

import pytest

from bot.services import deals, disputes, feedback, reviewers
from bot.services.profiles import touch_user
from sandbox.botapi import SimUser
from tests import factories as f
from tests.factories import CLIENT, FREELANCER, FREELANCER2, STRANGER
from tests.harness import Market, labels

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning"),
    pytest.mark.usefixtures("market_engine"),  # on SQLite and on PostgreSQL
]

REVIEWER = FREELANCER2
READ_ONLY = (
    "As the QA reviewer of Deal #1 you can read it and give a verdict, but its money and "
    "actions belong to its client and freelancer."
)


async def meet(m: Market) -> list[SimUser]:
    users = []
    for uid, name in (
        (CLIENT, "Alice"),
        (FREELANCER, "Bob"),
        (REVIEWER, "Rita"),
        (STRANGER, "Dan"),
    ):
        user = m.person(uid, name)
        user.started = True
        await touch_user(m.svc, uid, user.username, name, "en")
        users.append(user)
    return users


async def funded(m: Market) -> int:
    job = await f.job(m.svc, CLIENT, brief="The colours are teal and sand, never red.")
    bid = await f.bid(m.svc, job.id, FREELANCER)
    deal = await deals.hire(m.svc, CLIENT, bid.id)
    assert await f.pay(m.svc, deal) == "funded"
    return deal.id


async def refused(m: Market, call, key: str, **params: object):
    await m.quiet()
    await m.settle()
    return await f.refused(m.svc, call, key, **params)


async def test_the_reviewer_sees_brief_and_deliveries_and_the_verdict_reaches_the_client(
    tmp_path,
) -> None:
    async with Market(tmp_path) as m:
        alice, bob, rita, dan = await meet(m)
        deal_id = await funded(m)

        # Only the client adds a reviewer, and not the freelancer nor themselves.
        await bob.send("/reviewer 1 @rita")
        await bob.wait_for("Only the client of Deal #1 can do this.")
        await alice.send("/reviewer 1 @bob")
        await alice.wait_for("The freelancer of Deal #1 can't review their own work.")
        await alice.send("/reviewer 1 @alice")
        await alice.wait_for("You can't be the reviewer of your own deal.")
        await alice.send("/reviewer 1 @rita")
        await alice.wait_for("Rita is now the QA reviewer of Deal #1")
        told = await rita.wait_for("added you as the QA reviewer of Deal #1")
        assert "A marketplace bot with escrow" in told.text  # the job's description
        assert "Private brief: The colours are teal and sand, never red." in told.text
        await bob.wait_for("The client added Rita (@rita) as the QA reviewer of Deal #1")
        await alice.send("/reviewer 1 @dan")
        await alice.wait_for("Deal #1 already has a QA reviewer.")

        # Every delivery reaches the reviewer, files included.
        await bob.send("/deliver 1 First cut")
        await bob.wait_for("Deal #1 is delivered.")
        await bob.send_document("logo.svg", b"<svg/>")
        await bob.wait_for("added to the delivery of Deal #1")
        copy = await rita.wait_for("Deal #1 “Build a Telegram bot” has a delivery to review.")
        assert "First cut" in copy.text
        assert labels(copy) == ["✅ Passes", "✏️ Changes needed"]
        await rita.wait_for(
            lambda x: x.document is not None and x.document["file_name"] == "logo.svg"
        )

        # The card, read-only: no buttons, the reviewer named.
        await rita.send("/deal 1")
        card = await rita.wait_for("Deal #1")
        assert "QA reviewer: Rita (@rita)" in card.text and labels(card) == []
        await dan.send("/deal 1")
        await dan.wait_for("Deal #1 is not one of yours.")

        # A verdict with notes and a file: the client sees it beside Release.
        await rita.send_document("notes.pdf", b"%PDF", caption="/verdict 1 changes The teal is off")
        await rita.wait_for("Your verdict on Deal #1 is sent to the client.")
        verdict = await alice.wait_for(
            "Rita (@rita), the QA reviewer of Deal #1: ✏️ changes are needed."
        )
        assert "The teal is off" in verdict.text
        assert labels(verdict)[0] == "✅ Release"
        await alice.wait_for(
            lambda x: x.document is not None and x.document["file_name"] == "notes.pdf"
        )
        await alice.send("/deal 1")
        client_card = await alice.wait_for(lambda x: "QA reviewer" in x.text)
        assert (
            "✏️ changes needed" in client_card.text
            and "Notes: “The teal is off”" in client_card.text
        )
        assert "✅ Release" in labels(client_card)
        await rita.press(copy, "✅ Passes")
        await rita.wait_for("Your verdict on Deal #1 is sent to the client.")
        await alice.wait_for("Rita (@rita), the QA reviewer of Deal #1: ✅ the delivery passes.")

        # The contract ends: the reviewer leaves, and is told; no more access.
        await alice.send("/release 1")
        await alice.wait_for("Deal #1 is complete")
        await rita.wait_for("Deal #1 has ended, and with it your review")
        await rita.send("/deal 1")
        await rita.wait_for("Deal #1 is not one of yours.")
        await refused(
            m, reviewers.record_verdict(m.svc, REVIEWER, deal_id, "pass"), "deal.not_party"
        )


async def test_a_reviewer_is_refused_every_money_action(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, _bob, rita, _dan = await meet(m)
        deal_id = await funded(m)
        svc = m.svc
        await reviewers.add_reviewer(svc, CLIENT, deal_id, "@rita")
        told = await rita.wait_for("added you as the QA reviewer")

        # Funded: cancel, extend, dispute, refund now, log time (through the bot too).
        for command in (
            "/canceldeal 1",
            "/extend 1 2d",
            "/dispute 1 I think it is late",
            "/release 1",
        ):
            await rita.send(command)
            await rita.wait_for(READ_ONLY)
        pack = m.app.bot_data["rt"].buttons.pack
        for data in (pack("refundnow", 1), pack("cancel_go", 1), pack("release_go", 1)):
            answer = await (await rita.press_data(told, data)).wait_answer()
            assert answer["text"] == READ_ONLY
        await refused(m, deals.cancel(svc, REVIEWER, deal_id), "reviewer.read_only")
        await refused(m, deals.extend(svc, REVIEWER, deal_id, "1d"), "reviewer.read_only")
        await refused(m, deals.refund_overdue(svc, REVIEWER, deal_id), "reviewer.read_only")
        await refused(
            m, disputes.open_dispute(svc, REVIEWER, deal_id, "Not good"), "reviewer.read_only"
        )
        await refused(m, deals.log_time(svc, REVIEWER, deal_id, "2", "x"), "reviewer.read_only")
        await refused(m, deals.deliver(svc, REVIEWER, deal_id, "mine"), "reviewer.read_only")

        # Delivered: release, revise, dispute; and paying is not theirs either.
        await deals.deliver(svc, FREELANCER, deal_id, "done")
        await rita.wait_for("has a delivery to review")
        await refused(m, deals.release(svc, REVIEWER, deal_id), "reviewer.read_only")
        await refused(m, deals.revise(svc, REVIEWER, deal_id, "More teal"), "reviewer.read_only")
        await refused(
            m, disputes.open_dispute(svc, REVIEWER, deal_id, "Not good"), "reviewer.read_only"
        )
        deal = await f.get_deal(svc, deal_id)
        check = await deals.precheckout(
            svc, REVIEWER, deals.invoice_payload(deal_id), deal.amount, deal.currency
        )
        assert not check.ok and check.error_key == "payment.not_client"
        await rita.send("/revise 1 More teal")
        await rita.wait_for(READ_ONLY)
        assert (await f.get_deal(svc, deal_id)).state == "delivered"
        assert await f.balance(svc, "escrow", deal_id) == 150

        # Rating after the end is not theirs: the client releases, the reviewer has left.
        await deals.release(svc, CLIENT, deal_id)
        await refused(m, feedback.rate(svc, REVIEWER, deal_id, 5, ""), "deal.not_party")
        del alice
