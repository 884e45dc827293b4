"""People's data (issue 16): /mydata sends everything stored about a person and nobody else's;
/deleteaccount is refused while something is open and erases the profile afterwards, keeping
what others and the books need."""

from __future__ import annotations

import json

import pytest

from bot.domain.errors import Conflict
from bot.domain.models import DELETED_TEXT
from bot.services import alerts, deals, feedback, moderation, payouts, privacy
from bot.services.base import Moderator
from bot.storage.people import DELETED_BASE
from tests import factories as f
from tests.factories import CLIENT, FREELANCER, FREELANCER2, STRANGER
from tests.harness import Market, visible

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning"),
    pytest.mark.usefixtures("market_engine"),  # on both engines
]

CAROL_COVER = "Carol's private pitch: I charge less than anyone"
CAROL_NOTE = "Carol and Sam talk about something else entirely"


async def started(m: Market, *people) -> None:
    for person in people:
        await person.send("/start")
        await person.wait_for("/help")


async def exported(m: Market, person) -> dict:
    await person.send("/mydata")
    msg = await person.wait_for(lambda x: x.document is not None, timeout=10)
    assert msg.document["file_name"] == f"mydata-{person.id}.json"
    assert "Everything the marketplace stores about you" in (msg.caption or "")
    return json.loads(m.server.files[msg.document["file_id"]].content)


async def test_mydata_holds_a_persons_data_and_nobody_elses(tmp_path) -> None:
    async with Market(tmp_path) as m:
        svc = m.svc
        alice, bob = m.person(CLIENT, "Alice"), m.person(FREELANCER, "Bob")
        carol, sam = m.person(FREELANCER2, "Carol"), m.person(STRANGER, "Sam")
        await started(m, alice, bob, carol, sam)
        # Alice's job with Bob's and Carol's bids; a thread with Bob; a deal with Bob.
        job = await f.job(svc, CLIENT, title="Alice's logo")
        bob_bid = await f.bid(svc, job.id, FREELANCER, cover="Bob's cover letter")
        await f.bid(svc, job.id, FREELANCER2, cover=CAROL_COVER)
        await alice.send(f"/msg {bob_bid.id} Can you start on Monday?")
        relayed = await bob.wait_for("Can you start on Monday?")
        await bob.send("Yes, Monday works.", reply_to=relayed)
        await alice.wait_for("Yes, Monday works.")
        deal = await deals.hire(svc, CLIENT, bob_bid.id)
        await f.pay(svc, deal)
        await deals.deliver(svc, FREELANCER, deal.id, "Logo attached")
        await deals.release(svc, CLIENT, deal.id)
        await feedback.rate(svc, CLIENT, deal.id, 5, "Great logo")
        # Someone else's business: Sam's job, Carol's bid and thread on it.
        other = await f.job(svc, STRANGER, title="Sam's secret project")
        carol_bid = await f.bid(svc, other.id, FREELANCER2, cover="Carol on Sam's job")
        await sam.send(f"/msg {carol_bid.id} {CAROL_NOTE}")
        await carol.wait_for(CAROL_NOTE)
        await alerts.create_search(svc, FREELANCER, alerts.SearchDraft(words="logo"))
        await m.settle()

        data = await exported(m, bob)
        assert [a["words"] for a in data["job_alerts"]] == ["logo"]
        text = json.dumps(data, ensure_ascii=False)
        assert data["user_id"] == FREELANCER and data["profile"]["first_name"] == "Bob"
        assert [b["id"] for b in data["bids"]] == [bob_bid.id]
        assert data["bids"][0]["cover"] == "Bob's cover letter"
        assert [d["id"] for d in data["deals"]] == [deal.id]
        assert [e["text"] for e in data["deal_events_i_wrote"]] == ["Logo attached"]
        assert [x["text"] for x in data["messages_received"]] == ["Can you start on Monday?"]
        assert [x["text"] for x in data["messages_sent"]] == ["Yes, Monday works."]
        lines = [(x["kind"], x["amount"], x["currency"]) for x in data["ledger"]]
        assert lines == [("release", 135, "XTR")]
        assert data["balances"] == [{"currency": "XTR", "balance": 135}]
        assert [x["comment"] for x in data["feedback_received"]] == ["Great logo"]
        assert data["jobs"] == []
        for foreign in (CAROL_COVER, CAROL_NOTE, "Sam's secret project", "Carol on Sam's job"):
            assert foreign not in text, foreign

        data = await exported(m, alice)
        text = json.dumps(data, ensure_ascii=False)
        assert [j["title"] for j in data["jobs"]] == ["Alice's logo"]
        assert data["bids"] == [] and [d["id"] for d in data["deals"]] == [deal.id]
        assert [x["text"] for x in data["messages_sent"]] == ["Can you start on Monday?"]
        assert [x["amount"] for x in data["payments"]] == [150]
        assert [x["comment"] for x in data["feedback_given"]] == ["Great logo"]
        assert CAROL_COVER not in text and "Bob's cover letter" not in text
        assert CAROL_NOTE not in text and "Sam's secret project" not in text
        assert data["ledger"] == []  # Stars went from Telegram to escrow: not her balance


async def test_deleteaccount_is_refused_while_open_and_complete_afterwards(tmp_path) -> None:
    async with Market(tmp_path) as m:
        svc = m.svc
        alice, bob = m.person(CLIENT, "Alice"), m.person(FREELANCER, "Bob")
        sam = m.person(STRANGER, "Sam")
        await started(m, alice, bob, sam)
        job = await f.job(svc, CLIENT)
        bid = await f.bid(svc, job.id, FREELANCER)
        await alice.send(f"/msg {bid.id} Is the logo vector?")
        relayed = await bob.wait_for("Is the logo vector?")
        await bob.send("Yes, an SVG.", reply_to=relayed)
        await alice.wait_for("Yes, an SVG.")
        deal = await deals.hire(svc, CLIENT, bid.id)
        await f.pay(svc, deal)
        open_job = await f.job(svc, STRANGER, title="Still open")
        live = await f.bid(svc, open_job.id, FREELANCER)

        # A deal running: refused, nothing changes.
        await m.settle()
        before = await f.snapshot(svc)
        await bob.send("/deleteaccount")
        await bob.wait_for(f"can't delete your account while Deal #{deal.id} is running")
        assert await f.snapshot(svc) == before

        # Money on the balance, then a payout on its way: refused.
        await deals.deliver(svc, FREELANCER, deal.id, "Done")
        await deals.release(svc, CLIENT, deal.id)
        await bob.send("/deleteaccount")
        await bob.wait_for("while 135 ⭐ is on your balance; withdraw it with /payout first")
        (payout,) = await payouts.request_all_payouts(svc, FREELANCER)
        await bob.send("/deleteaccount")
        await bob.wait_for(f"until Payout #{payout.id} is paid")
        await payouts.mark_paid(svc, Moderator(9001), payout.id)

        await alerts.create_search(svc, FREELANCER, alerts.SearchDraft(words="logo"))
        # Nothing open now: asked to confirm; No keeps it.
        await m.settle()
        async with svc.read() as tx:
            followed = await tx.fetchall("SELECT * FROM keyboards WHERE chat_id = ?", (FREELANCER,))
        assert followed  # the release's message to Bob has buttons that follow the deal
        await bob.send("/deleteaccount")
        ask = await bob.wait_for("Delete your account?")
        await bob.press(ask, "No, keep it")
        await bob.wait_for("Your account is kept")
        async with svc.read() as tx:
            assert (await tx.users.get(FREELANCER)).first_name == "Bob"
        await bob.send("/deleteaccount")
        ask = await bob.wait_for("Delete your account?")
        await bob.press(ask, "Yes, delete it")
        await bob.wait_for("Your account is deleted.")
        await m.settle()

        async with svc.read() as tx:
            assert await tx.users.get(FREELANCER) is None
            gone = await tx.fetchone("SELECT * FROM users WHERE id >= ?", (DELETED_BASE,))
            kept = await tx.deals.get(deal.id)
            thread = await tx.misc.thread(bid.id)
            old_bid = await tx.bids.get(live.id)
            accounts = await tx.fetchall(
                "SELECT code, balance FROM ledger_accounts WHERE kind = 'user'"
            )
            left = await tx.fetchone(
                "SELECT (SELECT COUNT(*) FROM pending_inputs WHERE user_id = ?)"
                " + (SELECT COUNT(*) FROM keyboards WHERE chat_id = ?)"
                " + (SELECT COUNT(*) FROM alert_searches WHERE user_id = ?) AS n",
                (FREELANCER, FREELANCER, FREELANCER),
            )
        assert left["n"] == 0  # no prompt waiting, no buttons followed, no saved search
        assert gone["deleted_at"] is not None and gone["username"] is None
        assert (gone["first_name"], gone["bio"], gone["skills"]) == ("", "", "")
        assert gone["portfolio"] == "[]" and gone["language"] is None
        assert kept.freelancer_id == gone["id"] and kept.state == "released"
        assert [x["text"] for x in thread] == ["Is the logo vector?", DELETED_TEXT]
        assert old_bid.state == "withdrawn" and old_bid.freelancer_id == gone["id"]
        assert [a["code"] for a in accounts] == [f"user:{gone['id']}:XTR"]
        # Sam is told the bid was withdrawn, by a deleted account.
        told = await sam.wait_for(f"withdrew Bid #{live.id}")
        assert visible(told.text).startswith("↩️ deleted account withdrew")

        # Others see "deleted account" where Bob was; nobody finds him by name.
        alice.mark_read()
        await alice.send(f"/deal {deal.id}")
        card = await alice.wait_for("Freelancer:")
        assert "Freelancer: deleted account" in visible(card.text)
        assert "Yes, an SVG." not in visible(card.text)
        await alice.send("/profile @bob")
        nobody = await alice.wait_for("@bob")
        assert "Completed deals" not in nobody.text

        # Bob's next update starts a new profile: no deals, no history.
        bob.mark_read()
        await bob.send("/deals")
        await bob.wait_for("You have no deals yet")
        async with svc.read() as tx:
            fresh = await tx.users.get(FREELANCER)
        assert fresh is not None and fresh.deleted_at is None and fresh.bio == ""
        assert fresh.created_at >= gone["deleted_at"]


async def test_a_deleted_account_reads_in_the_readers_language(tmp_path) -> None:
    async with Market(tmp_path) as m:
        svc = m.svc
        alice = m.person(CLIENT, "Алиса", language="ru")
        bob = m.person(FREELANCER, "Bob")
        await started(m, alice, bob)
        deal = await f.delivered_deal(svc)
        await deals.release(svc, CLIENT, deal.id)
        (payout,) = await payouts.request_all_payouts(svc, FREELANCER)
        await payouts.mark_paid(svc, Moderator(9001), payout.id)
        await privacy.delete_account(svc, FREELANCER)
        alice.mark_read()
        await alice.send(f"/deal {deal.id}")
        card = await alice.wait_for("Исполнитель")
        assert "удалённый аккаунт" in visible(card.text)


async def test_a_banned_person_stays_banned_after_deleting(svc) -> None:
    await moderation.ban(svc, Moderator(9001), FREELANCER2, "Spam")
    new = await privacy.delete_account(svc, FREELANCER2)
    async with svc.read() as tx:
        again = await tx.users.get(FREELANCER2)
        erased = await tx.users.get(new)
    assert again is not None and again.banned and again.ban_reason == "Spam"
    assert again.first_name == "" and again.deleted_at is None
    assert erased.deleted and not erased.banned


async def test_refusals_and_what_a_deletion_closes(svc) -> None:
    job = await f.job(svc, CLIENT, title="Closed by the deletion")
    bid = await f.bid(svc, job.id, FREELANCER)
    await f.refused(svc, privacy.can_delete(svc, 999), "user.not_found")
    deal = await deals.hire(svc, CLIENT, bid.id)  # awaiting payment: running too
    with pytest.raises(Conflict) as err:
        await privacy.delete_account(svc, CLIENT)
    assert err.value.key == "account.deal_running" and err.value.params == {"deal": deal.id}
    await deals.cancel(svc, CLIENT, deal.id)
    second = await f.job(svc, CLIENT, title="Also open")
    await f.bid(svc, second.id, FREELANCER2)
    new = await privacy.delete_account(svc, CLIENT)
    assert new >= DELETED_BASE
    assert (await f.get_job(svc, job.id)).state == "closed"
    assert (await f.get_job(svc, second.id)).state == "closed"
    assert (await f.get_job(svc, second.id)).client_id == new
    told = await f.outbox(svc, "notify.job_closed_bidder")
    assert {r["chat_id"] for r in told} == {FREELANCER, FREELANCER2}


async def test_erasures_at_once_take_ids_of_their_own(svc) -> None:
    """Several /deleteaccount at the same moment (on PostgreSQL truly concurrent): each is
    done, each erased account gets an id of its own above DELETED_BASE."""
    import asyncio

    ids = (CLIENT, FREELANCER, FREELANCER2, STRANGER)
    await f.people(svc, *ids)
    new = await asyncio.gather(*(privacy.delete_account(svc, uid) for uid in ids))
    assert len(set(new)) == len(ids) and min(new) >= DELETED_BASE
    async with svc.read() as tx:
        for erased in new:
            assert (await tx.users.get(erased)).deleted
