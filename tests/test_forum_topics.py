"""A topic per dispute (issue 15): in a moderator group that is a forum, a dispute opens its
own topic; the card, the evidence, the SLA reminders and the moderators' notes go there,
/resolve there needs no deal number, and the topic is renamed with the outcome and closed.
Topic creation goes through the outbox (a 429 or a dropped call delays it, never doubles
the card or loses it). A plain group keeps one stream of messages, as before."""

from __future__ import annotations

import pytest

from bot.services import deals
from sandbox.botapi import SimMessage
from sandbox.forum import thread_of
from tests import factories as f
from tests.factories import CLIENT
from tests.harness import Market
from tests.test_moderation import GROUP, MOD, People, events, people

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning"),
    pytest.mark.usefixtures("market_engine"),  # on both engines
]


async def dispute(
    m: Market,
    p: People,
    timeout: float = 5.0,  # noqa: ASYNC109
) -> tuple[object, SimMessage, SimMessage]:
    first = await f.delivered_deal(m.svc)
    await deals.release(m.svc, CLIENT, first.id)
    deal = await f.delivered_deal(m.svc)
    await p.alice.send(f"/dispute {deal.id} The logo is not what we agreed")
    await p.alice.wait_for(f"Dispute opened on Deal #{deal.id}")
    card = await p.group_says(f"Dispute on Deal #{deal.id}", timeout)
    note = await p.bob.wait_for("opened a dispute")
    return deal, card, note


async def test_a_dispute_in_a_forum_gets_a_topic_that_closes_with_the_outcome(tmp_path) -> None:
    async with Market(tmp_path) as m:
        p = await people(m)
        m.server.make_forum(GROUP)
        deal, card, note = await dispute(m, p)

        # The topic, named for the deal; the card is its first message after the bot's own.
        (created,) = m.server.calls_of("createForumTopic")
        assert created["name"] == f"Deal #{deal.id} — dispute"
        thread = thread_of(card)
        assert thread is not None
        topic = m.server.topic(GROUP, thread)
        assert (topic.name, topic.closed) == (f"Deal #{deal.id} — dispute", False)

        # Evidence from both parties lands in it, files too.
        await p.bob.send("I delivered exactly the brief.", reply_to=note)
        posted = await p.group_says(f"📎 Evidence on Deal #{deal.id} from Bob (@bob):")
        assert thread_of(posted) == thread
        await p.bob.send_document("brief.pdf", b"%PDF brief", reply_to=note)
        doc = await p.group_says(lambda msg: msg.document is not None)
        assert thread_of(doc) == thread
        await p.alice.send(f"/evidence {deal.id} The brief asked for a round logo.")
        assert thread_of(await p.group_says("The brief asked for a round logo.")) == thread

        # The SLA reminder too.
        m.clock.advance(m.svc.settings.dispute_sla + 1)
        await m.app.bot_data["deadlines"].tick()
        reminder = await p.group_says("still waits for a decision")
        assert thread_of(reminder) == thread

        # A moderator's note in the topic is kept in the deal's history, not answered.
        await p.mia.send("Asked Alice for the original brief by mail.", chat=GROUP, thread=thread)
        await p.mia.send(f"/deal {deal.id}", chat=GROUP, thread=thread)
        history = await p.group_says(lambda msg: "a moderator's note" in msg.text)
        assert thread_of(history) == thread  # answered in the topic, not in General
        assert "Asked Alice for the original brief by mail." in history.text
        (kept,) = await events(m, deal.id, "mod_note")
        assert (kept.actor_id, kept.text) == (MOD, "Asked Alice for the original brief by mail.")

        # /resolve in the topic decides this dispute; the topic is renamed and closed.
        await p.mia.send("/resolve release Delivered as agreed", chat=GROUP, thread=thread)
        said = await p.group_says(lambda msg: "decided by @mia" in msg.text)
        assert thread_of(said) == thread
        assert (await f.get_deal(m.svc, deal.id)).state == "released"
        await m.settle()
        topic = m.server.topic(GROUP, thread)
        assert (topic.name, topic.closed) == (f"Deal #{deal.id} — released to the freelancer", True)
        assert "Decided by Mia (@mia)" in m.server.message(GROUP, card.message_id).text
        service = [
            next(iter(k for k in msg.extra["api"] if k.startswith("forum_topic")))
            for msg in m.server.topic_messages(GROUP, thread)
            if msg.kind == "service"
        ]
        assert service == ["forum_topic_created", "forum_topic_edited", "forum_topic_closed"]
        # Nothing about the dispute went to General.
        general = [msg.text for msg in m.server.chat_messages(GROUP) if thread_of(msg) is None]
        assert not any(f"Deal #{deal.id}" in text for text in general), general


async def test_topic_creation_survives_a_429_and_a_dropped_call(tmp_path) -> None:
    async with Market(tmp_path) as m:
        p = await people(m)
        m.server.make_forum(GROUP)
        m.server.inject_fault("createForumTopic", times=1, status=429, retry_after=1)
        m.server.drop_next("createForumTopic")  # the connection drops before Telegram acts
        _deal, card, _note = await dispute(m, p, timeout=15)
        assert m.server.call_count("createForumTopic") == 3  # 429, dropped, made
        assert m.server.call_count("createForumTopic", ok_only=True) == 1
        assert thread_of(card) is not None  # the card waited for its topic
        cards = [msg for msg in m.server.chat_messages(GROUP) if "Dispute on Deal" in msg.text]
        assert [c.message_id for c in cards] == [card.message_id]


async def test_a_plain_group_keeps_one_stream(tmp_path) -> None:
    async with Market(tmp_path) as m:
        p = await people(m)
        deal, card, note = await dispute(m, p)
        assert m.server.call_count("createForumTopic") == 0
        assert thread_of(card) is None
        await p.bob.send("I delivered exactly the brief.", reply_to=note)
        posted = await p.group_says(f"📎 Evidence on Deal #{deal.id} from Bob (@bob):")
        assert thread_of(posted) is None and posted.reply_to_message_id == card.message_id
        # A message in a plain group is no note; /resolve still needs its deal there.
        await p.mia.send("Looking at it.", chat=GROUP)
        await p.mia.send("/resolve release", chat=GROUP)
        await p.group_says("/resolve <deal>")
        assert await events(m, deal.id, "mod_note") == []
        await p.mia.send(f"/resolve {deal.id} split 60", chat=GROUP)
        await p.group_says(lambda msg: "decided by @mia" in msg.text)
        await m.settle()
        assert m.server.call_count("editForumTopic") == m.server.call_count("closeForumTopic") == 0
        assert (await f.get_deal(m.svc, deal.id)).state == "split"


async def test_the_servers_forum_rules_are_telegrams() -> None:
    from telegram import Bot
    from telegram.error import BadRequest

    from bot.transport import AiohttpRequest
    from sandbox.botapi import BotApiServer

    async with BotApiServer(token="42:FORUM") as server:
        ann = server.add_user(7, "Ann")
        server.add_chat(-100700, "supergroup", "Plain", {7: "member"})
        server.add_chat(-100701, "supergroup", "Forum", {7: "member"})
        server.make_forum(-100701)
        async with Bot("42:FORUM", base_url=server.base_url, request=AiohttpRequest()) as bot:
            assert not (await bot.get_chat(-100700)).is_forum
            assert (await bot.get_chat(-100701)).is_forum
            with pytest.raises(BadRequest, match=r"(?i)the chat is not a forum"):
                await bot.create_forum_topic(-100700, "Deal #1 — dispute")
            with pytest.raises(BadRequest, match=r"(?i)topic_name_invalid"):
                await bot.create_forum_topic(-100701, "x" * 129)
            topic = await bot.create_forum_topic(-100701, "Deal #1 — dispute")
            thread = topic.message_thread_id
            sent = await bot.send_message(-100701, "in it", message_thread_id=thread)
            assert sent.is_topic_message and sent.message_thread_id == thread
            with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
                await bot.send_message(-100701, "nowhere", message_thread_id=thread + 50)
            with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
                await bot.send_message(-100700, "not a forum", message_thread_id=thread)
            with pytest.raises(BadRequest, match=r"(?i)topic_not_modified"):
                await bot.edit_forum_topic(-100701, thread, name="Deal #1 — dispute")
            assert await bot.edit_forum_topic(-100701, thread, name="Deal #1 — released")
            assert await bot.close_forum_topic(-100701, thread)
            with pytest.raises(BadRequest, match=r"(?i)topic_not_modified"):
                await bot.close_forum_topic(-100701, thread)
            await ann.send("hello", chat=-100701, thread=None)  # General is open
            with pytest.raises(AssertionError, match="closed"):
                await ann.send("late", chat=-100701, thread=thread)
            assert await bot.send_message(-100701, "the bot is an admin", message_thread_id=thread)
            server.set_member(-100701, server.bot_id, "member")
            with pytest.raises(BadRequest, match=r"(?i)topic_closed"):
                await bot.send_message(-100701, "no longer", message_thread_id=thread)
            with pytest.raises(BadRequest, match=r"(?i)not enough rights"):
                await bot.reopen_forum_topic(-100701, thread)
            assert server.topic(-100701, thread).name == "Deal #1 — released"
