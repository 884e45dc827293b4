"""The seeds' good practices, end to end through the loopback Bot API (issue 4).

Several people talk to the real Application at once: a client shortlists two of three bidders
and only they get the private brief (only after an accepted NDA where the job asks for one);
a trial is requested, accepted, submitted with a file through its button and seen by the
client; an invited favourite bids through the invitation and shows as "hired before"; time
logged by both sides is summed on the deal card; /extend and /canceldeal; the jobs channel.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.domain.errors import Conflict
from bot.services import bids, deals
from bot.views.deal_card import week_of
from sandbox.botapi import SimMessage, SimUser
from tests import factories as f
from tests.harness import Market

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning")

ALICE, BOB, CAROL, DAVE, EVE = 1001, 2001, 2002, 2003, 3001
CHANNEL = -100777
BRIEF_OPEN = "Repo: git@example.org:shop.git & the staging key <K-42>"
BRIEF_NDA = "Launch on 2027-03-01 with partner <Acme & Co>"
NDA_TEXT = "Tell no one about the launch."
HOURS_REFUSED = "The hours must be a number above 0 and at most 24, such as 1.5."


# --- helpers -----------------------------------------------------------------------------------


async def people(m: Market, *who: tuple[int, str]) -> list[SimUser]:
    """People who have each started the bot once (so it knows their @username)."""
    out = []
    for user_id, name in who:
        user = m.person(user_id, name)
        await user.send("/start")
        await user.wait_for("Welcome")
        out.append(user)
    return out


def seen(m: Market, user: SimUser) -> list[SimMessage]:
    """Every bot message the person was shown: each send and each edit, in order."""
    return [snap for _kind, snap in m.server._log.get(user.id, [])]


def shown(m: Market, user: SimUser, text: str) -> int:
    """How many times `text` was on the person's screen (sends and edits)."""
    return sum(text in snap.text for snap in seen(m, user))


def stamp(epoch: int) -> str:
    """A time as messages show it (before the relative hint)."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def labels(msg: SimMessage) -> list[str]:
    return [b.text for b in msg.buttons]


def is_invoice(msg: SimMessage) -> bool:
    return msg.invoice is not None


def has_document(msg: SimMessage) -> bool:
    return msg.document is not None


async def bid_by_command(user: SimUser, job_id: int, amount: int = 150, days: int = 3) -> int:
    await user.send(f"/bid {job_id} {amount} {days} I can do it well")
    placed = await user.wait_for(f"on Job #{job_id} is placed")
    match = re.search(r"Bid #(\d+)", placed.text)
    assert match is not None
    return int(match.group(1))


def bid_chunk(listing: SimMessage, bid_id: int) -> str:
    """The part of a /bids list about one bid."""
    [chunk] = [c for c in listing.text.split("\n\n") if c.startswith(f"Bid #{bid_id} ")]
    return chunk


async def paid_deal(m: Market, client: SimUser, freelancer_id: int, days: int = 30) -> int:
    """A deal funded through the invoice in the client's chat (a real Stars charge)."""
    job = await f.job(m.svc, client.id)
    bid = await f.bid(m.svc, job.id, freelancer_id, days=days)
    deal = await deals.hire(m.svc, client.id, bid.id)
    invoice = await client.wait_for(is_invoice)
    paid = await client.pay(invoice)
    assert isinstance(paid, SimMessage), f"pre-checkout refused: {paid!r}"
    await client.wait_for(f"Deal #{deal.id} is funded")
    return deal.id


# --- shortlist, private brief, NDA ---------------------------------------------------------------


async def test_only_shortlisted_bidders_get_the_brief_and_only_after_the_nda(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob, carol, dave = await people(
            m, (ALICE, "Alice"), (BOB, "Bob"), (CAROL, "Carol"), (DAVE, "Dave")
        )
        svc = m.svc

        # A job with a private brief and no NDA: two of three bidders are shortlisted.
        open_job = await f.job(svc, ALICE, title="Shop redesign", brief=BRIEF_OPEN)
        b_bob = await bid_by_command(bob, open_job.id)
        b_carol = await bid_by_command(carol, open_job.id, 160)
        b_dave = await bid_by_command(dave, open_job.id, 170)
        await alice.send(f"/bids {open_job.id}")
        listing = await alice.wait_for(lambda msg: "Bids on Job" in msg.text and not msg.edited)
        await alice.press(listing, f"Shortlist #{b_bob}")  # the button
        await alice.wait_for(f"Bid #{b_bob} is shortlisted")
        await alice.send(f"/shortlist {b_carol}")  # the command
        await alice.wait_for(f"Bid #{b_carol} is shortlisted")
        for user in (bob, carol):  # one message: shortlisted, with the brief
            brief = await user.wait_for(f"You are shortlisted for Job #{open_job.id}")
            assert BRIEF_OPEN in brief.text and "&lt;K-42&gt;" in brief.html
        await alice.send(f"/shortlist {b_bob}")
        await alice.wait_for(f"Bid #{b_bob} is already shortlisted.")
        await bob.send(f"/shortlist {b_dave}")
        await bob.wait_for(f"Only the client of Job #{open_job.id} can do this.")

        # A job that asks for an NDA: Bob accepts it, Carol declines, Dave is not shortlisted.
        nda_job = await f.job(
            svc, ALICE, title="Launch site", brief=BRIEF_NDA, nda_required=True, nda_text=NDA_TEXT
        )
        n_bob = await bid_by_command(bob, nda_job.id)
        n_carol = await bid_by_command(carol, nda_job.id, 160)
        n_dave = await bid_by_command(dave, nda_job.id, 170)
        await alice.send(f"/shortlist {n_bob}")
        await alice.wait_for(f"Bid #{n_bob} is shortlisted")
        await alice.send(f"/shortlist {n_carol}")
        await alice.wait_for(f"Bid #{n_carol} is shortlisted")

        asked = await bob.wait_for("non-disclosure agreement")
        assert NDA_TEXT in asked.text and BRIEF_NDA not in asked.text
        assert labels(asked) == ["Accept the NDA", "Decline"]
        await bob.press(asked, "Accept the NDA")
        brief = await bob.wait_for(f"You accepted the NDA of Job #{nda_job.id}")
        assert BRIEF_NDA in brief.text  # the answer shows the brief it opens
        await alice.wait_for(f"Bob (@bob) accepted the NDA of Job #{nda_job.id} (Bid #{n_bob})")

        asked = await carol.wait_for("non-disclosure agreement")
        accept_data = asked.find_button("Accept the NDA").callback_data
        await carol.press(asked, "Decline")
        await carol.wait_for(f"You declined the NDA of Job #{nda_job.id}")
        await alice.wait_for(
            f"Carol (@carol) declined the NDA of Job #{nda_job.id} (Bid #{n_carol})"
        )
        # The answered question can't be pressed again, and a press that still arrives (a
        # second device, a double tap) finds the decline: it is final.
        assert m.server.message(CAROL, asked.message_id).buttons == []
        late = await carol.press_data(asked, accept_data)
        answer = await late.wait_answer()
        assert answer["text"] == f"You declined the NDA for Bid #{n_carol}; that answer is final."

        # Every message each person was shown: the briefs appear only where they should.
        await m.settle()
        assert (shown(m, bob, BRIEF_OPEN), shown(m, bob, BRIEF_NDA)) == (1, 1)
        assert (shown(m, carol, BRIEF_OPEN), shown(m, carol, BRIEF_NDA)) == (1, 0)
        assert (shown(m, dave, BRIEF_OPEN), shown(m, dave, BRIEF_NDA)) == (0, 0)
        assert (shown(m, alice, BRIEF_OPEN), shown(m, alice, BRIEF_NDA)) == (0, 0)
        assert shown(m, dave, "shortlisted") == 0 and shown(m, dave, "NDA") == 0
        assert shown(m, carol, "Private brief") == 1  # the open job's only

        # Who accepted the NDA and when is recorded, and the client sees it in /bids.
        async with svc.read() as tx:
            accepted = await tx.bids.get(n_bob)
            declined = await tx.bids.get(n_carol)
        assert accepted.nda_accepted_at is not None
        assert abs(accepted.nda_accepted_at - m.clock.now()) < 60
        assert declined.nda_accepted_at is None and declined.shortlisted_at is not None
        assert declined.nda_declined_at is not None and accepted.nda_declined_at is None
        await alice.send(f"/bids {nda_job.id}")
        listing = await alice.wait_for(lambda msg: "Bids on Job" in msg.text and not msg.edited)
        bob_line = bid_chunk(listing, n_bob)
        assert "Bob (@bob)" in bob_line and "☆ shortlisted" in bob_line
        assert f"🔏 NDA accepted {stamp(accepted.nda_accepted_at)}" in bob_line
        carol_line = bid_chunk(listing, n_carol)
        assert "☆ shortlisted" in carol_line and "NDA accepted" not in carol_line
        dave_line = bid_chunk(listing, n_dave)
        assert "shortlisted" not in dave_line and "NDA" not in dave_line
        assert f"Shortlist #{n_dave}" in labels(listing)
        assert f"Shortlist #{n_bob}" not in labels(listing)


# --- trials ------------------------------------------------------------------------------------


async def test_a_trial_requested_accepted_submitted_with_a_file_and_seen(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob, carol = await people(m, (ALICE, "Alice"), (BOB, "Bob"), (CAROL, "Carol"))
        svc = m.svc
        job = await f.job(svc, ALICE, title="Card component")
        b_bob = await bid_by_command(bob, job.id)
        b_carol = await bid_by_command(carol, job.id, 120)
        await alice.send(f"/shortlist {b_bob}")
        await alice.wait_for(f"Bid #{b_bob} is shortlisted")

        # Not shortlisted: refused with the reason; nothing is created, Carol hears nothing.
        carol.mark_read()
        await alice.send(f"/trial {b_carol} Make a small demo page")
        refusal = await alice.wait_for("before asking for a trial")
        assert refusal.text == f"Shortlist Bid #{b_carol} before asking for a trial."
        await alice.send(f"/bids {job.id}")
        listing = await alice.wait_for(lambda msg: "Bids on Job" in msg.text and not msg.edited)
        assert f"Trial #{b_carol}" not in labels(listing)  # not offered before the shortlist
        assert f"Trial #{b_bob}" in labels(listing)

        await alice.send(f"/trial {b_bob} Style one <card> component")
        await alice.wait_for(f"is sent to the freelancer of Bid #{b_bob}")
        await alice.send(f"/trial {b_bob} And another one please")
        await alice.wait_for(f"Bid #{b_bob} already has an open trial.")  # one open per bid
        async with svc.read() as tx:
            rows = await tx.fetchall("SELECT id, bid_id, state FROM trials")
        assert [(r["bid_id"], r["state"]) for r in rows] == [(b_bob, "requested")]
        trial_id = rows[0]["id"]

        # Bob accepts: the trial message now carries "Submit result".
        asked = await bob.wait_for(f"Trial #{trial_id}")
        assert "Style one <card> component" in asked.text
        await bob.press(asked, "Accept the trial")
        took = await bob.wait_for(f"You took on Trial #{trial_id}")
        assert "press “Submit result” on the trial above" in took.text
        assert labels(bob.server.message(BOB, asked.message_id)) == ["📤 Submit result"]
        await alice.wait_for(f"Bob (@bob) accepted Trial #{trial_id}")

        # Submitting: the button asks for the result; Done with nothing sent is refused.
        await bob.press(asked, "📤 Submit result")
        prompt = await bob.wait_for(f"The result of Trial #{trial_id}")
        assert "Style one <card> component" in prompt.text
        await bob.press(prompt, "✔ Done")
        again = await bob.wait_for("Send the trial's result as text or files.")
        await bob.send("Here is the card: <b>demo</b> & notes")
        got = await bob.wait_for("so far: 1 text, 0 files")
        assert again.buttons == [] or again.message_id != got.message_id
        await bob.send_document("card.html", b"<div class=card></div>")
        got = await bob.wait_for("so far: 1 text, 1 file")
        assert shown(m, bob, "To deliver files") == 0  # the file went to the trial
        await bob.press(got, "✔ Done")
        await bob.wait_for(f"The result of Trial #{trial_id} is sent to the client, with 1 file.")

        # The client gets the result and the file, and sees it next to the bid in /bids.
        note = await alice.wait_for(f"Bob (@bob) submitted Trial #{trial_id}")
        assert "Here is the card: <b>demo</b> & notes" in note.text
        assert "&lt;b&gt;demo&lt;/b&gt; &amp; notes" in note.html
        doc = await alice.wait_for(has_document)
        assert doc.document["file_name"] == "card.html"
        await alice.send(f"/bids {job.id}")
        listing = await alice.wait_for(lambda msg: "Bids on Job" in msg.text and not msg.edited)
        line = bid_chunk(listing, b_bob)
        assert f"🧪 Trial #{trial_id} · result submitted: Style one <card> component" in line
        assert "Result: Here is the card: <b>demo</b> & notes" in line
        assert "📎 1 file, sent to you with the result." in line
        assert "Trial #" not in bid_chunk(listing, b_carol)
        await alice.press(listing, f"🧪 Trial #{trial_id} result")
        view = await alice.wait_for(f"Trial #{trial_id} · Bid #{b_bob} · Job #{job.id}")
        assert "Here is the card" in view.text
        again_doc = await alice.wait_for(has_document)
        assert again_doc.document["file_name"] == "card.html"

        # Stored once; the button can't submit twice; Carol never heard of any of it.
        async with svc.read() as tx:
            trial = await tx.trials.get(trial_id)
        assert trial["state"] == "submitted"
        assert trial["result"] == "Here is the card: <b>demo</b> & notes"
        assert [x["name"] for x in trial["files"]] == ["card.html"]
        assert bob.server.message(BOB, asked.message_id).buttons == []  # sent: the button goes
        with pytest.raises(Conflict) as refused:  # a replayed press finds nothing to submit
            await bids.trial_to_submit(svc, BOB, trial_id)
        assert refused.value.key == "trial.not_accepted"
        await m.settle()
        assert shown(m, carol, "Trial") == 0 and shown(m, carol, "trial") == 0


async def test_a_trial_result_can_be_cancelled_and_sent_later(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob = await people(m, (ALICE, "Alice"), (BOB, "Bob"))
        job = await f.job(m.svc, ALICE)
        b = await f.bid(m.svc, job.id, BOB)
        await bids.shortlist_bid(m.svc, ALICE, b.id)
        trial_id = await bids.request_trial(m.svc, ALICE, b.id, "A tiny proof of concept")
        asked = await bob.wait_for(f"Trial #{trial_id}")
        await bob.press(asked, "Accept the trial")
        await bob.wait_for(f"You took on Trial #{trial_id}")
        await bob.press(asked, "📤 Submit result")
        await bob.wait_for(f"The result of Trial #{trial_id}")
        await bob.send("half of it")
        await bob.wait_for("so far: 1 text")
        await bob.send("/cancel")
        await bob.wait_for(f"Nothing was sent for Trial #{trial_id}")
        async with m.svc.read() as tx:
            assert (await tx.trials.get(trial_id))["state"] == "accepted"
        await bob.send("stray text")
        await bob.wait_for("I answer commands only")  # out of the flow
        await bob.press(asked, "📤 Submit result")  # the button still works after a cancel
        await bob.wait_for(f"The result of Trial #{trial_id}")
        await bob.send_photo(caption="All of it")
        done = await bob.wait_for("so far: 1 text, 1 file")
        await m.restart()  # a result half sent survives a restart of the bot
        await bob.send("and the notes")
        done = await bob.wait_for("so far: 2 texts, 1 file")
        await bob.press(done, "✔ Done")
        await bob.wait_for("is sent to the client, with 1 file.")
        note = await alice.wait_for(f"Bob (@bob) submitted Trial #{trial_id}")
        assert "All of it\n\nand the notes" in note.text and "half of it" not in note.text
        photo = await alice.wait_for(lambda msg: msg.photo is not None)
        assert photo.photo


# --- invitations and re-hire -------------------------------------------------------------------


async def test_an_invited_favourite_bids_through_the_invitation_and_shows_hired_before(
    tmp_path,
) -> None:
    async with Market(tmp_path) as m:
        alice, bob, carol = await people(m, (ALICE, "Alice"), (BOB, "Bob"), (CAROL, "Carol"))
        svc = m.svc
        # A past deal between Alice and Bob, through the services.
        past = await f.funded_deal(svc, ALICE, BOB)
        await deals.deliver(svc, BOB, past.id, "Done")
        await deals.release(svc, ALICE, past.id)

        await alice.send("/fav @bob")
        await alice.wait_for("Bob is in your favourites")
        await alice.send("/favs")
        favs = await alice.wait_for("favourite freelancers")
        assert "Bob (@bob) · user 2001" in favs.text

        job = await f.job(
            svc,
            ALICE,
            title="Second shop",
            description="A second shop like the first one, in Python.",
        )
        await alice.send(f"/invite @bob {job.id}")
        await alice.wait_for(f"Bob is invited to bid on Job #{job.id}.")
        invitation = await bob.wait_for(f"Alice (@alice) invites you to bid on Job #{job.id}")
        assert "Budget: 100 ⭐ – 200 ⭐" in invitation.text  # the job card comes with it
        assert "A second shop like the first one" in invitation.text
        assert labels(invitation) == ["Bid"]
        c_bid = await bid_by_command(carol, job.id, 120)

        # Bob bids through the invitation's button: the guided bid flow.
        await bob.press(invitation, "Bid")
        await bob.wait_for(f"Bid on Job #{job.id}")
        await bob.send("140")
        await bob.wait_for("In how many days")
        await bob.send("4")
        await bob.wait_for("cover letter")
        await bob.send("Happy to work together again")
        confirm = await bob.wait_for(f"Your bid on Job #{job.id}")
        await bob.press(confirm, "✅ Confirm")
        placed = await bob.wait_for(f"on Job #{job.id} is placed: 140 ⭐, 4 days")
        b_bid = int(re.search(r"Bid #(\d+)", placed.text).group(1))

        # The client sees "hired before" next to Bob only.
        await alice.send(f"/bids {job.id}")
        listing = await alice.wait_for(lambda msg: "Bids on Job" in msg.text and not msg.edited)
        assert "✔ hired before" in bid_chunk(listing, b_bid)
        assert "hired before" not in bid_chunk(listing, c_bid)

        await alice.send(f"/invite @nobody_here {job.id}")
        await alice.wait_for("nobody_here")
        await bob.send(f"/invite @carol {job.id}")
        await bob.wait_for(f"Only the client of Job #{job.id} can do this.")


# --- time tracking -----------------------------------------------------------------------------


async def test_time_logged_by_both_sides_is_summed_and_bad_logs_are_refused(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob, eve = await people(m, (ALICE, "Alice"), (BOB, "Bob"), (EVE, "Eve"))
        deal_id = await paid_deal(m, alice, BOB, days=30)
        await bob.wait_for(f"Deal #{deal_id} for Job")  # funded: Bob is told

        await bob.send(f"/log {deal_id} 2 wireframes")
        await bob.wait_for(f"2 h logged on Deal #{deal_id}.")
        await alice.send(f"/log {deal_id} 1,5 review call")
        await alice.wait_for(f"1.5 h logged on Deal #{deal_id}.")
        f.advance_to(m.svc, m.clock.now() + 7 * 86400)
        await bob.send(f"/log {deal_id} 3 coding")
        await bob.wait_for(f"3 h logged on Deal #{deal_id}.")

        # Refused: a stranger, negative, zero, absurd (over 24 in one entry), words.
        await eve.send(f"/log {deal_id} 1 sneaky")
        assert (await eve.wait_for(f"Deal #{deal_id}")).text == (
            f"Deal #{deal_id} is not one of yours."
        )
        for bad in ("-2", "0", "25", "24.5", "1000", "two", "nan", "inf", "-0.1"):
            bob.mark_read()
            await bob.send(f"/log {deal_id} {bad} hours")
            answer = await bob.wait_for(lambda msg: "hours" in msg.text or "logged" in msg.text)
            assert answer.text == HOURS_REFUSED, bad
        await bob.send(f"/log {deal_id}")
        await bob.wait_for("Say which deal, how many hours and what was done")
        async with m.svc.read() as tx:
            logged = await tx.deals.time_log(deal_id)
        assert sorted((r["user_id"], r["minutes"]) for r in logged) == [
            (ALICE, 90),
            (BOB, 120),
            (BOB, 180),
        ]
        first_week, same_week, second_week = (week_of(r["created_at"]) for r in logged)
        assert first_week == same_week != second_week

        # Both parties see the sums on the deal card: per person, then per week.
        for user in (alice, bob):
            await user.send(f"/deal {deal_id}")
            card = await user.wait_for("Time logged")
            assert "Time logged: 6.5 h" in card.text
            assert "Bob (@bob) 5 h, Alice (@alice) 1.5 h" in card.text
            assert f"week of {second_week}: Bob (@bob) 3 h" in card.text
            assert f"week of {first_week}: Bob (@bob) 2 h, Alice (@alice) 1.5 h" in card.text
            weeks = [f"week of {second_week}", f"week of {first_week}"]
            assert card.text.index(weeks[0]) < card.text.index(weeks[1])  # newest first
        await eve.send(f"/deal {deal_id}")
        await eve.wait_for(f"Deal #{deal_id} is not one of yours.")


# --- /extend and /canceldeal -------------------------------------------------------------------


async def test_extend_moves_the_due_time_and_its_reminders(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob = await people(m, (ALICE, "Alice"), (BOB, "Bob"))
        deal_id = await paid_deal(m, alice, BOB, days=3)
        before = await f.get_deal(m.svc, deal_id)
        timers = await f.pending(m.svc, deal_id)
        assert set(timers) == {"delivery_nudge", "delivery_due", "delivery_refund"}
        assert timers["delivery_due"] == before.due_at

        await bob.send(f"/extend {deal_id} 2d")
        await bob.wait_for(f"Only the client of Deal #{deal_id} can do this.")
        await alice.send(f"/extend {deal_id} 2d")
        await alice.wait_for(f"Deal #{deal_id}: delivery is now due")
        await bob.wait_for("gave you more time")

        after = await f.get_deal(m.svc, deal_id)
        assert after.due_at == before.due_at + 2 * 86400
        moved = await f.pending(m.svc, deal_id)
        assert moved == {kind: due + 2 * 86400 for kind, due in timers.items()}
        await alice.send(f"/deal {deal_id}")
        card = await alice.wait_for("Delivery due")
        assert f"Delivery due {stamp(after.due_at)}" in card.text

        # The old due time passes: nothing is overdue yet.
        f.advance_to(m.svc, before.due_at + 3600)
        await m.settle()
        assert shown(m, alice, "is overdue") == 0
        assert (await f.get_deal(m.svc, deal_id)).state == "funded"


async def test_canceldeal_by_the_freelancer_refunds_by_the_client_waits(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob = await people(m, (ALICE, "Alice"), (BOB, "Bob"))
        deal_id = await paid_deal(m, alice, BOB)

        # The client asks: nothing moves until the freelancer answers.
        await alice.send(f"/canceldeal {deal_id}")
        await alice.wait_for(f"The freelancer is asked to confirm cancelling Deal #{deal_id}")
        question = await bob.wait_for(f"The client asks to cancel Deal #{deal_id}")
        assert labels(question) == ["Confirm the cancel", "Refuse"]
        deal = await f.get_deal(m.svc, deal_id)
        assert deal.state == "funded" and deal.cancel_requested_at is not None
        await alice.send(f"/canceldeal {deal_id}")
        await alice.wait_for("already")  # asked once is enough
        await m.settle()
        assert m.server.call_count("refundStarPayment") == 0

        # A refusal points both to /dispute; the deal goes on.
        await bob.press(question, "Refuse")
        told = await bob.wait_for(f"You refused to cancel Deal #{deal_id}; the deal goes on")
        assert f"/dispute {deal_id} <reason>" in told.text  # in the answer: no second message
        told = await alice.wait_for(f"The freelancer refused to cancel Deal #{deal_id}")
        assert f"/dispute {deal_id} <reason>" in told.text
        deal = await f.get_deal(m.svc, deal_id)
        assert deal.state == "funded" and deal.cancel_requested_at is None

        # The freelancer cancels: the Stars payment is refunded at once.
        await bob.send(f"/canceldeal {deal_id}")
        await bob.wait_for(f"Deal #{deal_id} is cancelled and the client is refunded.")
        await alice.wait_for("The refund of 150 ⭐ is requested from Telegram")
        await alice.wait_for(f"Telegram returned 150 ⭐ from Deal #{deal_id}")
        await m.settle()
        assert (await f.get_deal(m.svc, deal_id)).state == "refunded"
        assert m.server.call_count("refundStarPayment") == 1
        [refund] = m.server.calls_of("refundStarPayment")
        assert int(refund["user_id"]) == ALICE
        assert set(await f.pending(m.svc, deal_id)) == {"feedback_request"}  # timers stopped
        assert await f.balance(m.svc, "escrow", deal_id) == 0


# --- the jobs channel ----------------------------------------------------------------------------


async def test_the_jobs_channel_post_links_to_the_bot_and_follows_the_job(tmp_path) -> None:
    async with Market(tmp_path, jobs_channel_id=CHANNEL) as m:
        m.server.add_chat(CHANNEL, type="channel", title="Jobs")
        alice, bob = await people(m, (ALICE, "Alice"), (BOB, "Bob"))
        svc = m.svc
        filled = await f.job(svc, ALICE, title="Filled job")
        closed = await f.job(svc, ALICE, title="Closed job")
        expiring = await f.job(svc, ALICE, title="Expiring job")
        posts = {}
        for job in (filled, closed, expiring):
            post = await alice.wait_for(f"Job #{job.id} ·", chat=CHANNEL)
            assert job.title in post.text and "🟢 Open for bids until" in post.text
            [button] = post.buttons
            assert button.text == "View and bid"
            assert button.url == f"https://t.me/market_bot?start=job_{job.id}"
            posts[job.id] = post.message_id
        await m.settle()
        for job in (filled, closed, expiring):
            assert (await f.get_job(svc, job.id)).channel_message_id == posts[job.id]

        # The deep link of the post opens the job in the bot.
        await bob.send(f"/start job_{filled.id}")
        card = await bob.wait_for(f"Job #{filled.id} · ")
        assert labels(card) == ["Bid", "Ask"]

        # Filled: a bid is accepted and paid; the post is edited in place.
        b = await bid_by_command(bob, filled.id, 150, 30)
        await alice.send(f"/accept {b}")
        invoice = await alice.wait_for(is_invoice)
        assert isinstance(await alice.pay(invoice), SimMessage)
        post = await alice.wait_for("✅ Filled", chat=CHANNEL)
        assert post.message_id == posts[filled.id] and post.edited
        assert f"Job #{filled.id}" in post.text and "Open for bids" not in post.text
        assert [(x.text, x.url) for x in post.buttons] == [
            ("View the job", f"https://t.me/market_bot?start=job_{filled.id}")
        ]

        # Closed by the client.
        await alice.send(f"/closejob {closed.id}")
        await alice.wait_for(f"Job #{closed.id} is closed for new bids")
        post = await alice.wait_for("⛔ Closed", chat=CHANNEL)
        assert post.message_id == posts[closed.id] and f"Job #{closed.id}" in post.text

        # Expired: the bidding window runs out.
        f.advance_to(svc, expiring.bidding_ends_at + 1)
        post = await alice.wait_for("⌛ Expired", chat=CHANNEL, timeout=10)
        assert post.message_id == posts[expiring.id] and f"Job #{expiring.id}" in post.text
        await m.settle()
        channel = m.server.chat_messages(CHANNEL)
        assert len(channel) == 3  # edited, never posted again
        async with svc.read() as tx:
            [deal] = await tx.deals.for_job(filled.id)
        assert deal.state == "funded"  # the filled job's deal goes on
