"""Expected conveniences (issue 12, item 7), end to end over the loopback Bot API: /repost,
"are you sure?" for a bid far outside the budget, /payout confirming the whole balance,
and the time an invoice (and "Deal created") can be paid until."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain import rules
from bot.services import deals
from bot.services.profiles import touch_user
from sandbox.botapi import SimUser
from tests import factories as f
from tests.factories import CLIENT, FREELANCER, STRANGER
from tests.harness import Market, labels

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning"),
    pytest.mark.usefixtures("market_engine"),  # on both engines
]


async def meet(m: Market) -> tuple[SimUser, SimUser, SimUser]:
    people = []
    for uid, name in ((CLIENT, "Alice"), (FREELANCER, "Bob"), (STRANGER, "Eve")):
        user = m.person(uid, name)
        user.started = True
        await touch_user(m.svc, uid, user.username, name, "en")
        people.append(user)
    return people[0], people[1], people[2]


def stamp(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


async def test_repost_an_expired_job_keeps_every_answer(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob, eve = await meet(m)
        svc = m.svc
        now = svc.clock.now()
        old = await f.job(
            svc,
            category="writing",
            title="Ten pages on bees",
            description="An essay on the life of bees, for a school magazine.",
            answers={"pages": 10, "topic": "Bees", "native": True},
            budget_min=100,
            budget_max=300,
            deadline_at=now + 3 * 86400,  # passed by the time bidding ends (7 days)
            brief="The magazine's style guide is attached.",
            nda_required=True,
            files=({"kind": "document", "file_id": "GUIDE-1", "name": "guide.pdf"},),
        )
        await alice.send(f"/repost {old.id}")  # still open: one sentence
        await alice.wait_for(
            f"Only a closed or expired job can be posted again, and Job #{old.id} is neither."
        )
        f.advance_to(svc, old.bidding_ends_at + 1)
        await m.app.bot_data["deadlines"].tick()
        await alice.wait_for(f"Post it again as it was with /repost {old.id}.")
        assert (await f.get_job(svc, old.id)).state == "expired"

        await eve.send(f"/repost {old.id}")  # not hers
        await eve.wait_for(f"Job #{old.id}")
        assert "client" in eve.last_message.text
        await alice.send("/repost")
        await alice.wait_for("Usage: /repost <job number>")

        await alice.send(f"/repost {old.id}")
        preview = await alice.wait_for(lambda msg: "Preview" in msg.text and msg.inline)
        assert f"Job #{old.id} again, as a new job with every answer kept." in preview.text
        moved = svc.clock.now() + (old.deadline_at - old.created_at)
        assert f"The old deadline has passed: it is {stamp(moved)}" in preview.text
        for shown in (
            "Ten pages on bees",
            "An essay on the life of bees",
            "How many pages? 10",
            "What is the topic? Bees",
            "Must the writer be a native speaker? Yes",
            "Budget: 100 ⭐ – 300 ⭐",
            "The magazine's style guide is attached.",
            "Shortlisted freelancers accept the standard NDA first.",
            "One file.",
        ):
            assert shown in preview.text, shown
        assert {"✅ Publish", "✏️ Edit", "✖ Cancel"} <= set(labels(preview))
        await alice.press(preview, "✅ Publish")
        live = await alice.wait_for("is live.")
        async with svc.read() as tx:
            new = await tx.jobs.get(old.id + 1)
        assert new is not None and live.text.startswith(f"✅ Job #{new.id} is live.")
        assert new.state == "open" and new.client_id == CLIENT
        kept = ("category", "title", "description", "answers", "budget_min", "budget_max")
        kept += ("currency", "brief", "nda_required", "nda_text", "files")
        assert {k: getattr(new, k) for k in kept} == {k: getattr(old, k) for k in kept}
        assert new.deadline_at == moved
        assert new.bidding_ends_at == new.created_at + svc.settings.bidding_window
        assert (await f.get_job(svc, old.id)).state == "expired"  # the old one as it was
        # The new job takes bids.
        await bob.send(f"/bid {new.id} 150 3 Happy to")
        await bob.wait_for(f"on Job #{new.id} is placed")


async def test_a_bid_far_outside_the_budget_asks_first(tmp_path) -> None:
    async with Market(tmp_path) as m:
        _alice, bob, _eve = await meet(m)
        svc = m.svc
        job = await f.job(svc, budget_min=100, budget_max=200)
        # One line, far below: Yes / No before anything is placed; No places nothing.
        await bob.send(f"/bid {job.id} 40 3 Cheap and quick")
        asked = await bob.wait_for(f"40 ⭐ is far below the budget of Job #{job.id}")
        assert "(100 ⭐ – 200 ⭐)" in asked.text
        assert labels(asked) == ["Yes, bid 40 ⭐", "No, change it", "✖ Cancel"]
        await bob.press(asked, "No, change it")
        await bob.wait_for(f"No bid was placed on Job #{job.id}.")
        async with svc.read() as tx:
            assert await tx.bids.count_live(job.id) == 0
        await bob.send(f"/bid {job.id} 40 3 Cheap and quick")
        asked = await bob.wait_for("is far below the budget")
        await bob.press(asked, "Yes, bid 40 ⭐")
        await bob.wait_for(f"on Job #{job.id} is placed: 40 ⭐, 3 days.")

        # Guided, far above: No asks the amount again; a fair amount goes straight on.
        await bob.send(f"/bid {job.id}")
        await bob.wait_for(f"Bid on Job #{job.id}")
        await bob.send("401")
        asked = await bob.wait_for(lambda msg: "far above the budget" in msg.text and msg.inline)
        await bob.press(asked, "No, change it")
        await bob.wait_for(lambda msg: f"Bid on Job #{job.id}" in msg.text and msg.inline)
        await bob.send("400")  # twice the highest: not asked
        await bob.wait_for("In how many days")
        await bob.send("/cancel")
        await bob.wait_for("Bid cancelled; nothing was sent.")
        # Guided, Yes: on to the days, the cover letter and the confirmation.
        await bob.send(f"/bid {job.id}")
        await bob.wait_for(f"Bid on Job #{job.id}")
        await bob.send("999")
        asked = await bob.wait_for(lambda msg: "far above the budget" in msg.text and msg.inline)
        await bob.press(asked, "Yes, bid 999 ⭐")
        await bob.wait_for("In how many days")
        await bob.send("5")
        await bob.wait_for("cover letter")
        await bob.send("Worth it")
        confirm = await bob.wait_for(lambda msg: "✅ Confirm" in labels(msg))
        await bob.press(confirm, "✅ Confirm")
        await bob.wait_for(f"on Job #{job.id} is updated: 999 ⭐, 5 days.")
        async with svc.read() as tx:
            [bid] = await tx.bids.for_job(job.id, ["active"])
        assert (bid.amount, bid.days, bid.cover) == (999, 5, "Worth it")


def test_the_far_from_budget_rule() -> None:
    assert rules.far_from_budget(49, 100, 200) == "below"
    assert rules.far_from_budget(50, 100, 200) is None  # exactly half: fine
    assert rules.far_from_budget(400, 100, 200) is None  # exactly twice: fine
    assert rules.far_from_budget(401, 100, 200) == "above"
    assert rules.far_from_budget(1, 1, 1) is None


async def test_payout_alone_confirms_the_whole_balance(tmp_path) -> None:
    async with Market(tmp_path) as m:
        _alice, bob, _eve = await meet(m)
        svc = m.svc
        deal = await f.delivered_deal(svc)
        await deals.release(svc, CLIENT, deal.id)
        await bob.send("/payout")
        asked = await bob.wait_for("Withdraw your whole balance, 135 ⭐?")
        assert labels(asked) == ["Yes, withdraw it all", "No, keep it"]
        await bob.press(asked, "No, keep it")
        kept = await bob.wait_for("Nothing was withdrawn.")
        assert kept.message_id == asked.message_id
        assert await f.balance(svc, "user", FREELANCER) == 135
        async with svc.read() as tx:
            assert await tx.payouts.for_user(FREELANCER) == []

        await bob.send("/payout")
        asked = await bob.wait_for("Withdraw your whole balance, 135 ⭐?")
        yes = asked.find_button("Yes, withdraw it all").callback_data
        # The balance grows before the press: what was confirmed is no longer the balance.
        other = await f.delivered_deal(svc)
        await deals.release(svc, CLIENT, other.id)
        pressed = await bob.press(asked, "Yes, withdraw it all")
        changed = "Your balance changed since you asked; send /payout again to see it."
        assert (await pressed.wait_answer())["text"] == changed
        assert await f.balance(svc, "user", FREELANCER) == 270
        await bob.send("/payout")
        asked = await bob.wait_for("Withdraw your whole balance, 270 ⭐?")
        await bob.press(asked, "Yes, withdraw it all")
        done = await bob.wait_for("Payout #1 of 270 ⭐ is requested")
        assert done.message_id == asked.message_id and not done.inline
        assert await f.balance(svc, "user", FREELANCER) == 0
        # A second press of an old Yes: one sentence, nothing more.
        again = await bob.press_data(asked, yes)
        assert (await again.wait_answer())["text"] == (
            "There is nothing more to pay out: your 270 ⭐ is already in Payout #1, which waits"
            " for a moderator to pay it (see /balance)."
        )
        async with svc.read() as tx:
            assert len(await tx.payouts.for_user(FREELANCER)) == 1


async def test_the_invoice_and_deal_created_say_until_when_to_pay(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, _bob, _eve = await meet(m)
        svc = m.svc
        job = await f.job(svc)
        bid = await f.bid(svc, job.id)
        await alice.send(f"/accept {bid.id}")
        created = await alice.wait_for("created; pay the invoice below")
        invoice = await alice.wait_for(lambda msg: msg.invoice is not None)
        deal = (await deals.my_deals(svc, CLIENT))[0]
        due = f"{stamp(deal.funding_ends_at)} (in 2 days)"
        assert (
            created.text == f"Deal #{deal.id} created; pay the invoice below by {due} to fund it."
        )
        assert invoice.invoice["description"].startswith(f"Pay by {due}. Job #{job.id}")
        assert len(invoice.invoice["description"]) <= 255
