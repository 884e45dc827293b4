"""Buttons follow the state (issue 12, item 3): when a deal or bid changes state, the
messages that offered the old actions have their keyboard redrawn through the outbox
(editMessageReplyMarkup: the text is never touched); a button that slipped through answers
with one sentence. End to end over the loopback Bot API."""

from __future__ import annotations

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from bot.domain.errors import Conflict
from bot.services import deals
from bot.services.profiles import touch_user
from sandbox.botapi import BotApiServer, SimMessage, SimUser
from tests import factories as f
from tests.factories import CLIENT, FREELANCER, FREELANCER2
from tests.harness import TOKEN, Market, labels

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning"),
    pytest.mark.usefixtures("market_engine"),  # on both engines
]


async def meet(m: Market) -> tuple[SimUser, SimUser, SimUser]:
    people = []
    for uid, name in ((CLIENT, "Alice"), (FREELANCER, "Bob"), (FREELANCER2, "Carol")):
        user = m.person(uid, name)
        user.started = True
        await touch_user(m.svc, uid, user.username, name, "en")
        people.append(user)
    return people[0], people[1], people[2]


async def now(m: Market, user: SimUser, message: SimMessage) -> SimMessage:
    """The message as it is once every queued notification and redraw has gone out."""
    await m.settle()
    return next(msg for msg in user.messages if msg.message_id == message.message_id)


async def test_a_delivery_loses_release_changes_and_dispute_once_released(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, _bob, _carol = await meet(m)
        svc = m.svc
        deal = await f.delivered_deal(svc)
        delivered = await alice.wait_for(f"Deal #{deal.id}: the work is delivered.")
        assert labels(delivered) == ["✅ Release", "✏️ Request changes", "⚠️ Dispute"]
        dispute = delivered.find_button("⚠️ Dispute").callback_data
        await alice.send(f"/deal {deal.id}")
        card = await alice.wait_for(lambda msg: f"Deal #{deal.id}" in msg.text and msg.inline)
        assert "⚠️ Dispute" in labels(card)

        await alice.press(delivered, "✅ Release")
        confirm = await alice.wait_for("This can't be undone.")
        await alice.press(confirm, "Yes, release")
        await alice.wait_for(f"Deal #{deal.id} is complete")
        # The delivery message keeps its text and loses its buttons; the card's buttons
        # become what a released deal allows (rate it, refresh).
        gone = await now(m, alice, delivered)
        assert not gone.inline and gone.edited and gone.text == delivered.text
        card_now = await now(m, alice, card)
        assert labels(card_now) == [
            *(f"{n}⭐" for n in range(1, 6)),
            "✉️ Offer a new contract",
            "🔄 Refresh",
        ]
        assert card_now.text == card.text
        assert m.server.call_count("editMessageReplyMarkup", ok_only=True) >= 2
        assert m.server.call_count("editMessageText") == 1  # the confirmation, by the handler
        with pytest.raises(AssertionError, match="no inline keyboard"):
            await alice.press(delivered, "⚠️ Dispute")
        # One that slipped through (a second device): one sentence, nothing changes.
        pressed = await alice.press_data(delivered, dispute)
        answer = await pressed.wait_answer()
        assert answer["text"] == f"Deal #{deal.id} is released, so this can't be done now."
        assert (await f.get_deal(svc, deal.id)).state == "released"

        # Rating removes the 1⭐-5⭐ of this person's other messages about the deal.
        released = next(msg for msg in alice.messages if "is complete" in msg.text)
        assert labels(released) == [f"{n}⭐" for n in range(1, 6)]
        await alice.press(card_now, "5⭐")
        await alice.wait_for(f"you gave Deal #{deal.id} 5/5")
        assert not (await now(m, alice, released)).inline
        # A redraw that changes no button makes no call.
        calls = m.server.call_count("editMessageReplyMarkup")
        async with svc.tx() as tx:
            assert await tx.keyboards.refresh(f"deal:{deal.id}") >= 1
        await m.settle()
        assert m.server.call_count("editMessageReplyMarkup") == calls


async def test_a_bid_cards_accept_goes_when_it_is_declined_or_the_job_is_hired(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, _bob, _carol = await meet(m)
        svc = m.svc
        job = await f.job(svc)
        first = await f.bid(svc, job.id, FREELANCER)
        second = await f.bid(svc, job.id, FREELANCER2)
        await alice.send(f"/bids {job.id}")
        listing = await alice.wait_for(lambda msg: f"#{job.id} · " in msg.text and msg.inline)
        assert {f"Accept #{first.id}", f"Accept #{second.id}"} <= set(labels(listing))

        # Declined (from the list itself): that bid's buttons go, the text stays.
        await alice.press(listing, f"Decline #{second.id}")
        await alice.wait_for(f"Bid #{second.id} is declined")
        shown = await now(m, alice, listing)
        assert shown.text == listing.text
        assert f"Accept #{second.id}" not in labels(shown)
        assert f"Decline #{second.id}" not in labels(shown)
        assert f"Accept #{first.id}" in labels(shown)

        # Hired (by /accept): no Accept while the deal awaits payment; the sorts stay.
        await alice.send(f"/accept {first.id}")
        await alice.wait_for(lambda msg: msg.invoice is not None)
        shown = await now(m, alice, listing)
        assert not [b for b in labels(shown) if b.startswith("Accept")]
        assert "price" in labels(shown)
        # The old Accept, pressed anyway: one sentence.
        accept = listing.find_button(f"Accept #{first.id}").callback_data
        stale = await alice.press_data(listing, accept)
        assert (await stale.wait_answer())["text"] == m.sentence(
            Conflict("job.not_open_for_hire", job=job.id)
        )
        # Paid: the job is filled; the list keeps only its sort buttons.
        deal_id = (await deals.my_deals(svc, CLIENT))[0].id
        assert await f.pay(svc, await f.get_deal(svc, deal_id)) == "funded"
        assert labels(await now(m, alice, listing)) == ["price", "rating", "experience"]


async def test_editmessagereplymarkup_on_the_loopback_server_is_telegrams(tmp_path) -> None:
    """What the dispatcher relies on: the keyboard alone changes, the same keyboard again is
    "message is not modified", a message gone is "message to edit not found"."""
    server = BotApiServer(token=TOKEN, bot_username="market_bot")
    await server.start()
    try:
        user = server.add_user(CLIENT, "Alice")
        user.started = True
        bot = Bot(TOKEN, base_url=server.base_url)
        async with bot:
            one = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
            sent = await bot.send_message(CLIENT, "<b>Hi</b>", parse_mode="HTML", reply_markup=one)
            two = InlineKeyboardMarkup([[InlineKeyboardButton("B", callback_data="b")]])
            edited = await bot.edit_message_reply_markup(CLIENT, sent.message_id, reply_markup=two)
            assert edited.text == "Hi" and edited.reply_markup == two
            with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
                await bot.edit_message_reply_markup(CLIENT, sent.message_id, reply_markup=two)
            bare = await bot.edit_message_reply_markup(CLIENT, sent.message_id)
            assert bare.reply_markup is None and bare.text == "Hi"
            with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
                await bot.edit_message_reply_markup(CLIENT, sent.message_id)
            with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
                await bot.edit_message_reply_markup(CLIENT, 9999, reply_markup=one)
        [message] = user.messages
        assert message.html == "<b>Hi</b>" and not message.inline
    finally:
        await server.stop()


def test_the_outbox_knows_every_notification_whose_buttons_follow_a_state() -> None:
    """bot.storage.buttons.FOLLOWED_KEYS (which rows caught in flight get a redraw) is the
    list of outbox keys bot.views.keyboards draws."""
    from bot.storage.buttons import FOLLOWED_KEYS
    from bot.views.registry import KEYBOARDS

    assert {key for key in KEYBOARDS if not key.startswith("card.")} == FOLLOWED_KEYS
