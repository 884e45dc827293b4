"""The whole marketplace loop in one chat session, as people would live it.

A client posts a job through the /post flow; two freelancers bid (one guided, one in one
line); the client asks one of them a question through /msg and gets a Telegram reply back;
hires one from /bids, pays the Stars invoice; the other bidder is declined; the freelancer
delivers a file, the client asks for a revision, the freelancer delivers again, the client
releases, both rate. Balances, fee and profiles are checked at the end, and so is the
tricky job title everywhere it is shown.
"""

from __future__ import annotations

import pytest

from sandbox.botapi import SimMessage, SimUser
from tests import factories as f
from tests.harness import Market, step

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning"),
    pytest.mark.usefixtures("market_engine"),  # on SQLite and on PostgreSQL
]

TITLE = 'C++ <templates> & "quotes"'
CLIENT, FRED, GINA = 1001, 2001, 2002


def received(user: SimUser) -> str:
    return "\n---\n".join(m.text for m in user.messages)


async def test_post_bid_ask_hire_pay_deliver_revise_release_rate(tmp_path) -> None:
    async with Market(tmp_path) as m:
        svc = m.svc
        clara = m.person(CLIENT, "Clara")
        fred = m.person(FRED, "Fred")
        gina = m.person(GINA, "Gina")

        # --- the client posts a job through the flow -------------------------------------
        msg = await step(clara, "/post", "choose the category")
        msg = await step(clara, None, "title of the job", press="💻 Programming", on=msg)
        msg = await step(clara, TITLE, "Describe the job")
        msg = await step(clara, "Generic containers for a game engine, with tests.", "question 1")
        msg = await step(clara, "C++20", "question 2")
        msg = await step(clara, None, "budget", press="Skip ▶", on=msg)
        msg = await step(clara, "100-200", "delivered")
        msg = await step(clara, "2w", "private brief")
        msg = await step(clara, None, "files", press="Skip ▶", on=msg)
        msg = await step(clara, None, "Preview", press="✔ Done", on=msg)
        assert TITLE in msg.text
        await clara.press(msg, "✅ Publish")
        await clara.wait_for("Job #1 is live.")
        job = await f.get_job(svc, 1)
        assert job.title == TITLE and job.state == "open"

        # --- two freelancers bid: Fred guided, Gina in one line -----------------------------
        msg = await step(fred, "/bid 1", "Your price")
        assert TITLE in msg.text
        msg = await step(fred, "150", "how many days")
        msg = await step(fred, "5", "cover letter")
        msg = await step(fred, "Ten years of templates & allocators.", "Send it?")
        await fred.press(msg, "✅ Confirm")
        await fred.wait_for("Bid #1 on Job #1 is placed")
        await gina.send("/bid 1 120 7 I write <generic> code & tests.")
        await gina.wait_for("Bid #2 on Job #1 is placed")
        await clara.wait_for("Bid #1 from Fred")
        await clara.wait_for("Bid #2 from Gina")

        # --- the client asks Fred a question; Fred's Telegram reply comes back ----------------
        await clara.send("/msg 1 Can you use C++17 instead?")
        await clara.wait_for("Your message on Bid #1 is sent.")
        relayed = await fred.wait_for("Can you use C++17 instead?")
        await fred.send("Yes, C++17 is fine.", reply_to=relayed)
        await fred.wait_for("Your reply is sent.")
        await clara.wait_for("Yes, C++17 is fine.")

        # --- hire Fred from /bids, pay the invoice -----------------------------------------
        listing = await step(clara, "/bids 1", "Bid #1")
        assert "Bid #2" in listing.text
        await clara.press(listing, "Accept #1")
        await clara.wait_for("Deal #1 created")
        invoice = await clara.wait_for(lambda x: x.invoice is not None)
        assert invoice.invoice["currency"] == "XTR" and invoice.invoice["total_amount"] == 150
        paid = await clara.pay(invoice)
        assert isinstance(paid, SimMessage), paid
        await clara.wait_for("Deal #1 is funded")
        await fred.wait_for("Deal #1 for Job #1")
        # Gina's bid is declined and she is told.
        await gina.wait_for("went to another freelancer; your Bid #2 is closed")
        assert (await f.get_bid(svc, 2)).state == "declined"
        assert (await f.get_job(svc, 1)).state == "in_progress"

        # --- deliver a file, revise, deliver again, release -------------------------------
        await fred.send("/deliver 1 First version")
        await fred.wait_for("Deal #1 is delivered.")
        await fred.send_document("containers.zip", b"PK first")
        await fred.wait_for("added to the delivery of Deal #1")
        await clara.wait_for(
            lambda x: x.document is not None and x.document["file_name"] == "containers.zip"
        )
        await clara.send("/revise 1 Please add benchmarks")
        await clara.wait_for("Changes requested on Deal #1")
        await fred.wait_for("Please add benchmarks")
        await fred.send("/deliver 1 With benchmarks")
        await fred.wait_for("Deal #1 is delivered.")
        await clara.wait_for("With benchmarks")
        await clara.send("/release 1")
        await clara.wait_for("Deal #1 is complete: 150 ⭐ was released")
        await fred.wait_for("135 ⭐ went to your balance (platform fee 15 ⭐)")

        # --- both rate ---------------------------------------------------------------------
        await clara.send("/rate 1 5 Clean generic code")
        await clara.wait_for("you gave Deal")
        await fred.send("/rate 1 5 Clear brief")
        await fred.wait_for("Both ratings are now visible")

        # --- money and profiles afterwards -------------------------------------------------
        assert await f.balance(svc, "user", FRED) == 135
        assert await f.balance(svc, "fees") == 15
        assert await f.balance(svc, "escrow", 1) == 0
        assert await f.balance(svc, "user", GINA) == 0
        await fred.send("/balance")
        assert "135 ⭐" in (await fred.wait_for("Available")).text
        await clara.send("/profile @fred")
        profile = await clara.wait_for("Completed deals")
        assert "Completed deals: 1" in profile.text
        assert "Clean generic code" in profile.text
        await fred.send("/profile @clara")
        assert "Clear brief" in (await fred.wait_for("Completed deals")).text

        # The title is shown exactly as typed wherever it appears.
        await clara.send("/myjobs")
        await clara.wait_for(TITLE)
        await gina.send("/mybids")
        await gina.wait_for(TITLE)
        for person in (clara, fred, gina):
            assert TITLE in received(person)
            assert "&lt;" not in received(person) and "&amp;" not in received(person)

        await m.settle()
        async with svc.read() as tx:
            assert (await tx.deals.get(1)).state == "released"
            assert await tx.fetchall("SELECT * FROM outbox WHERE state <> 'sent'") == []


async def test_one_line_bid_refusals_change_nothing(tmp_path) -> None:
    async with Market(tmp_path) as m:
        svc = m.svc
        clara = m.person(CLIENT, "Clara")
        gina = m.person(GINA, "Gina")
        for person in (clara, gina):  # both known to the bot, with their Telegram names
            await person.send("/start")
            await person.wait_for("/help")
        job = await f.job(svc, CLIENT)
        await m.settle()
        amount = "The amount must be a whole number from 1 to 1000000."
        cases = [
            (gina, f"/bid {job.id} -5 3 Hello", amount),
            (gina, f"/bid {job.id} abc 3 Hello", amount),
            (gina, f"/bid {job.id} 1.5 3 Hello", amount),
            (gina, f"/bid {job.id} 100 0 Hello", "days"),
            # Telegram splits a typed text over 4096 characters, so the longest cover letter a
            # person can send at once is ~4000; the 5000-character case is a service test.
            (gina, f"/bid {job.id} 100 3 " + "x" * 4000, "at most 2,000 characters"),
            (clara, f"/bid {job.id} 100 3 My own job", "your own Job"),
            (gina, "/bid 999 100 3 Hello", "Job #999"),
        ]
        for person, text, expect in cases:
            before = await f.snapshot(svc)
            await person.send(text)
            answer = await person.wait_for(expect, timeout=10)
            assert answer.text.count(".") <= 2, answer.text  # one sentence, not a dump
            assert await f.snapshot(svc) == before, text
