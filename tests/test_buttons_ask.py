"""Buttons that used to say what to type now ask and take the answer (issue 12, item 1): the
real Application over the loopback Bot API, people pressing and typing in their chats.

Each button asks (a question with Cancel); the next message is the answer and goes to the
same service as the command; a Telegram reply to the question answers it too; Cancel and
/cancel send nothing; a command sent instead drops the question without a word and runs."""

from __future__ import annotations

import pytest

from bot.services import bids, deals
from bot.services.inputs import INPUT_WINDOW
from bot.services.profiles import touch_user
from sandbox.botapi import SimMessage, SimUser
from tests import factories as f
from tests.factories import CLIENT, FREELANCER
from tests.harness import Market, labels

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning"),
    pytest.mark.usefixtures("market_engine"),  # on both engines
]

CANCEL, CANCEL_RU = "✖ Cancel", "✖ Отмена"


async def meet(m: Market, client_lang: str = "en") -> tuple[SimUser, SimUser]:
    alice = m.person(CLIENT, "Alice", language=client_lang)
    bob = m.person(FREELANCER, "Bob")
    for user, lang in ((alice, client_lang), (bob, "en")):
        user.started = True
        await touch_user(m.svc, user.id, user.username, user.first_name, lang)
    return alice, bob


async def relayed(m: Market) -> list[str]:
    async with m.svc.read() as tx:
        rows = await tx.fetchall("SELECT text FROM messages ORDER BY id")
    return [r["text"] for r in rows]


async def pending(m: Market, user: int):
    """The person's open prompt once the bot is idle: the question is sent before its
    prompt is stored (the row needs the question's message id), so seeing the question
    does not mean the row is committed (PostgreSQL's commit shows it)."""
    await m.quiet()
    async with m.svc.read() as tx:
        return await tx.inputs.get(user)


async def question(user: SimUser, text: str, cancel: str = CANCEL) -> SimMessage:
    """The bot's question (its Cancel button on it), not an older one losing its button."""
    return await user.wait_for(lambda msg: text in msg.text and cancel in labels(msg))


async def bids_list(alice: SimUser, job_id: int) -> SimMessage:
    await alice.send(f"/bids {job_id}")
    return await alice.wait_for(lambda msg: f"#{job_id} · " in msg.text and msg.inline)


async def test_message_button_asks_then_takes_text_a_reply_cancel_or_a_command(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob = await meet(m)
        job = await f.job(m.svc)
        bid = await f.bid(m.svc, job.id)
        listing = await bids_list(alice, job.id)

        # The button asks, with Cancel; the next message is the answer (the /msg service).
        await alice.press(listing, f"Message #{bid.id}")
        asked = await question(alice, f"Write your message on Bid #{bid.id}")
        assert labels(asked) == [CANCEL]
        assert (await pending(m, CLIENT)).kind == "msg"
        await alice.send("Can you start on Monday?")
        await alice.wait_for(f"Your message on Bid #{bid.id} is sent.")
        told = await bob.wait_for("Can you start on Monday?")
        assert f"Bid #{bid.id}" in told.text
        assert await relayed(m) == ["Can you start on Monday?"]
        assert await pending(m, CLIENT) is None
        assert not next(msg for msg in alice.messages if msg.message_id == asked.message_id).inline

        # A Telegram reply to the question answers it as well.
        await alice.press(listing, f"Message #{bid.id}")
        asked = await question(alice, f"Write your message on Bid #{bid.id}")
        await alice.send("Replying to the question", reply_to=asked)
        await alice.wait_for(f"Your message on Bid #{bid.id} is sent.")
        await bob.wait_for("Replying to the question")

        # Cancel sends nothing; the next text is ordinary text again.
        await alice.press(listing, f"Message #{bid.id}")
        asked = await question(alice, f"Write your message on Bid #{bid.id}")
        await alice.press(asked, CANCEL)
        await alice.wait_for("Cancelled; nothing was sent.")
        await alice.send("Not for Bob")
        await alice.wait_for("I answer commands only")
        # An old question's Cancel: one sentence, nothing else.
        old = await alice.press_data(asked, asked.find_button(CANCEL).callback_data)
        assert (await old.wait_answer())[
            "text"
        ] == "That question is already answered or cancelled."

        # /cancel does the same.
        await alice.press(listing, f"Message #{bid.id}")
        await question(alice, f"Write your message on Bid #{bid.id}")
        await alice.send("/cancel")
        await alice.wait_for("Cancelled; nothing was sent.")

        # A command sent instead drops the question without a word, and runs.
        await alice.press(listing, f"Message #{bid.id}")
        asked = await question(alice, f"Write your message on Bid #{bid.id}")
        await alice.send("/deals")
        answer = await alice.wait_for(lambda msg: msg.message_id > asked.message_id)
        assert "You have no deals yet" in answer.text
        assert await pending(m, CLIENT) is None
        await alice.send("Still not for Bob")
        await alice.wait_for("I answer commands only")

        # Refused as typed (too long): one sentence, and the question stays open.
        await alice.press(listing, f"Message #{bid.id}")
        await question(alice, f"Write your message on Bid #{bid.id}")
        await alice.send("x" * 3001)
        refused = await alice.wait_for(
            "A message must be from 1 to 3,000 characters long; yours has 3,001."
        )
        assert "Send it again, or press Cancel." in refused.text
        await alice.send("Short now")
        await alice.wait_for(f"Your message on Bid #{bid.id} is sent.")
        await bob.wait_for("Short now")
        assert await relayed(m) == [
            "Can you start on Monday?",
            "Replying to the question",
            "Short now",
        ]
        # A question waits INPUT_WINDOW, then the next text is ordinary text.
        await alice.press(listing, f"Message #{bid.id}")
        await question(alice, f"Write your message on Bid #{bid.id}")
        f.advance_to(m.svc, m.svc.clock.now() + INPUT_WINDOW + 1)
        await alice.send("Too late")
        await alice.wait_for("I answer commands only")
        assert "Too late" not in await relayed(m)
        await m.settle()


async def test_the_message_button_in_russian(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob = await meet(m, client_lang="ru")
        job = await f.job(m.svc)
        bid = await f.bid(m.svc, job.id)
        listing = await bids_list(alice, job.id)
        await alice.press(listing, f"Написать #{bid.id}")
        asked = await question(alice, f"Напишите сообщение по отклику #{bid.id}", CANCEL_RU)
        assert labels(asked) == [CANCEL_RU]
        await alice.send("Когда сможете начать?")
        await alice.wait_for(f"Ваше сообщение по отклику #{bid.id} отправлено.")
        await bob.wait_for("Когда сможете начать?")
        await alice.press(listing, f"Написать #{bid.id}")
        asked = await question(alice, f"Напишите сообщение по отклику #{bid.id}", CANCEL_RU)
        await alice.press(asked, CANCEL_RU)
        await alice.wait_for("Отменено; ничего не отправлено.")
        assert await relayed(m) == ["Когда сможете начать?"]


async def test_trial_is_offered_after_the_shortlist_and_asks_for_the_task(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob = await meet(m)
        job = await f.job(m.svc)
        bid = await f.bid(m.svc, job.id)
        listing = await bids_list(alice, job.id)
        # Before the shortlist there is no Trial button (the service would refuse it).
        assert f"Trial #{bid.id}" not in labels(listing)
        assert f"Shortlist #{bid.id}" in labels(listing)
        await alice.press(listing, f"Shortlist #{bid.id}")
        await alice.wait_for(f"Bid #{bid.id} is shortlisted")
        # The list's own buttons follow: Shortlist goes, Trial comes (its text stays).
        redrawn = await alice.wait_for(
            lambda msg: msg.message_id == listing.message_id and f"Trial #{bid.id}" in labels(msg)
        )
        assert f"Shortlist #{bid.id}" not in labels(redrawn)
        assert redrawn.text == listing.text
        await alice.press(redrawn, f"Trial #{bid.id}")
        await question(alice, f"Describe the trial task for Bid #{bid.id}")
        await alice.send("Draw the logo in two colours")
        await alice.wait_for(f"is sent to the freelancer of Bid #{bid.id}")
        request = await bob.wait_for("Draw the logo in two colours")
        assert labels(request) == ["Accept the trial", "Decline"]
        # A trial is open now: no second Trial button.
        redrawn = await alice.wait_for(
            lambda msg: (
                msg.message_id == listing.message_id and f"Trial #{bid.id}" not in labels(msg)
            )
        )
        assert f"Message #{bid.id}" in labels(redrawn)


async def test_ask_on_a_job_card(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob = await meet(m)
        job = await f.job(m.svc)
        await bob.send(f"/job {job.id}")
        card = await bob.wait_for(lambda msg: f"Job #{job.id}" in msg.text and msg.inline)
        await bob.press(card, "Ask")
        await question(bob, f"What would you like to ask the client about Job #{job.id}?")
        await bob.send("Is Python fine?")
        await bob.wait_for(
            f"Your question about Job #{job.id} is sent to the client; their answer will come here"
        )
        await alice.wait_for("Is Python fine?")


async def test_request_changes_dispute_deliver_and_evidence_ask(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob = await meet(m)
        svc = m.svc
        # Deliver from the deal card: a file with a caption is the delivery and its note.
        deal = await f.funded_deal(svc)
        await bob.send(f"/deal {deal.id}")
        card = await bob.wait_for(lambda msg: f"Deal #{deal.id}" in msg.text and msg.inline)
        await bob.press(card, "📦 Deliver")
        await question(bob, f"Send the work for Deal #{deal.id}")
        await bob.send("Not a file, a sticker?")  # text is a note: delivered without files
        await bob.wait_for(f"Deal #{deal.id} is delivered.")
        delivered = await alice.wait_for(f"Deal #{deal.id}: the work is delivered.")
        assert "Not a file, a sticker?" in delivered.text

        # Request changes from the delivery notification.
        await alice.press(delivered, "✏️ Request changes")
        await question(alice, f"What should change in the delivery of Deal #{deal.id}?")
        await alice.send("Make it blue")
        await alice.wait_for(f"Changes requested on Deal #{deal.id} (revision 1 of 2)")
        await bob.wait_for("Make it blue")
        assert (await f.get_deal(svc, deal.id)).revisions == 1

        # Deliver again with files, from the deal card's button.
        await bob.send(f"/deal {deal.id}")
        card = await bob.wait_for(lambda msg: "📦 Deliver" in labels(msg))
        await bob.press(card, "📦 Deliver")
        await question(bob, f"Send the work for Deal #{deal.id}")
        await bob.send_document("logo.png", b"\x89PNG blue", caption="Blue now")
        await bob.wait_for(f"Deal #{deal.id} is delivered with 1 file.")
        delivered = await alice.wait_for("Blue now")

        # Dispute from the delivery notification: the reason is asked for.
        await alice.press(delivered, "⚠️ Dispute")
        await question(alice, f"Why are you opening a dispute on Deal #{deal.id}?")
        await alice.send_photo(caption="a photo")  # this one takes text only
        await alice.wait_for("Send it as a text message.")
        await alice.send("The logo is still red")
        await alice.wait_for(f"Dispute opened on Deal #{deal.id}")
        assert (await f.get_deal(svc, deal.id)).state == "disputed"

        # Add evidence from the dispute notification: a document.
        opened = await bob.wait_for(lambda msg: "📎 Add evidence" in labels(msg))
        await bob.press(opened, "📎 Add evidence")
        await question(bob, f"Send your side of the dispute on Deal #{deal.id}")
        await bob.send_document("proof.png", b"\x89PNG proof")
        await bob.wait_for(f"Added to the dispute on Deal #{deal.id} with 1 file")
        async with svc.read() as tx:
            events = [e.kind for e in await tx.deals.events(deal.id)]
        assert events.count("evidence") == 1 and events.count("delivery") == 2
        await m.settle()


async def test_a_button_whose_action_is_no_longer_allowed_answers_one_sentence(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, _bob = await meet(m)
        deal = await f.delivered_deal(m.svc)
        delivered = await alice.wait_for(f"Deal #{deal.id}: the work is delivered.")
        dispute = delivered.find_button("⚠️ Dispute").callback_data
        await deals.release(m.svc, CLIENT, deal.id)
        await alice.wait_for(lambda msg: msg.message_id == delivered.message_id and not msg.inline)
        pressed = await alice.press_data(delivered, dispute)
        answer = await pressed.wait_answer()
        assert answer["text"] == f"Deal #{deal.id} is released, so this can't be done now."
        assert await pending(m, CLIENT) is None  # nothing was asked


async def test_starting_a_flow_drops_the_question(tmp_path) -> None:
    async with Market(tmp_path) as m:
        _alice, bob = await meet(m)
        job = await f.job(m.svc)
        other = await f.job(m.svc)
        bid = await f.bid(m.svc, job.id)
        await bids.shortlist_bid(m.svc, CLIENT, bid.id)
        await bob.send(f"/job {other.id}")
        card = await bob.wait_for(lambda msg: f"Job #{other.id}" in msg.text and msg.inline)
        await bob.press(card, "Ask")
        await question(bob, f"about Job #{other.id}?")
        await bob.press(card, "Bid")  # the bid flow takes what Bob types now
        await bob.wait_for(f"Bid on Job #{other.id}")
        assert await pending(m, FREELANCER) is None
        await bob.send("150")
        await bob.wait_for("In how many days")
