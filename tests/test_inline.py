"""Inline mode end to end (issue 15): `@bot words` through the loopback Bot API server lists
open jobs as /jobs finds them, a page at a time, cached by Telegram for the asker; a chosen
result posts the job into a chat the bot is not in, and its buttons deep-link into the bot
(the job's card, a bid). Then the server's own inline rules, as Telegram's."""

from __future__ import annotations

import asyncio

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
)
from telegram.error import BadRequest

from bot.handlers.inline import CACHE_SECONDS, PAGE
from bot.services.profiles import touch_user
from bot.transport import AiohttpRequest
from sandbox.botapi import BotApiServer
from tests import factories as f
from tests.factories import CLIENT, FREELANCER, FREELANCER2
from tests.harness import Market, labels

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning"),
    pytest.mark.usefixtures("market_engine"),  # on both engines
]

FRIENDS = -100900  # a group of Bob's and Carol's; the bot is not in it


async def test_an_inline_query_lists_jobs_and_a_chosen_one_deep_links_into_the_bot(
    tmp_path,
) -> None:
    async with Market(tmp_path) as m:
        m.server.inline_placeholder = "Search jobs"
        alice = m.person(CLIENT, "Alice")
        bob = m.person(FREELANCER, "Bob")
        carol = m.person(FREELANCER2, "Carol", language="ru")
        m.server.add_chat(
            FRIENDS,
            "supergroup",
            "Friends",
            {FREELANCER: "member", FREELANCER2: "member"},
            bot_status="left",
        )
        for user in (alice, bob):
            user.started = True
            await touch_user(m.svc, user.id, user.username, user.first_name, "en")
        posted = [await f.job(m.svc, title=f"Telegram bot number {n}") for n in range(PAGE + 3)]
        logo = await f.job(
            m.svc,
            category="design",
            answers={"deliverable": "files"},
            title="A logo for a bakery",
            description="Two colours, a round shape, the bakery's name in it.",
        )
        closed = await f.job(m.svc, title="A closed logo job")
        from bot.services import jobs

        await jobs.close_job(m.svc, CLIENT, closed.id)

        # An empty query: the newest open jobs, a page, and where the next page starts.
        first = await bob.inline_query("", chat=FRIENDS)
        assert first.titles[0] == f"Job #{logo.id} · A logo for a bakery"
        assert len(first.results) == PAGE and first.next_offset == str(PAGE)
        assert (first.cache_time, first.is_personal) == (CACHE_SECONDS, True)
        assert first.results[0]["description"].startswith("🎨 Design · budget 100 ⭐ – 200 ⭐")
        rest = await bob.inline_query("", str(PAGE), chat=FRIENDS)
        assert [r["id"] for r in rest.results] == [f"job_{j.id}" for j in posted[:4][::-1]]
        assert rest.next_offset == ""

        # Words and a category, as /jobs reads them; a closed job is not listed.
        found = await bob.inline_query("design logo", chat=FRIENDS)
        assert [r["id"] for r in found.results] == [f"job_{logo.id}"]
        calls = m.server.call_count("answerInlineQuery")
        again = await bob.inline_query("design logo", chat=FRIENDS)
        assert again.from_cache and m.server.call_count("answerInlineQuery") == calls
        ru = await carol.inline_query("логотип", chat=FRIENDS)  # no such word: nothing
        assert ru.results == [] and not ru.from_cache

        # Bob shares it with Carol; her buttons open the bot at the job, and at a bid.
        shared = await bob.choose_inline(found, f"job_{logo.id}")
        assert shared.chat_id == FRIENDS and shared.extra["api"]["via_bot"]["username"] == (
            "market_bot"
        )
        assert shared.text.split("\n")[:2] == [
            f"Job #{logo.id} · A logo for a bakery",
            shared.text.split("\n")[1],
        ]
        assert "wanted by 2286-11-20" in shared.text.split("\n")[1]
        assert labels(shared) == [f"Open Job #{logo.id}", "Bid"]
        assert [b.url for b in shared.buttons] == [
            f"https://t.me/market_bot?start=job_{logo.id}",
            f"https://t.me/market_bot?start=bid_{logo.id}",
        ]
        await carol.open_link(shared, f"Open Job #{logo.id}")
        card = await carol.wait_for(f"Заказ #{logo.id}")
        assert "A logo for a bakery" in card.text and "Откликнуться" in labels(card)
        await carol.open_link(shared, "Bid")
        await carol.wait_for(f"Отклик на заказ #{logo.id}")

        # Chosen in Bob's own chat with the bot: posted, and not answered.
        mine = await bob.inline_query("design logo")
        posted_here = await bob.choose_inline(mine, f"job_{logo.id}")
        await bob.send("/help")
        help_text = await bob.wait_for("Freelancers")
        ids = [msg.message_id for msg in m.server.chat_messages(bob.id, include_user=True)]
        assert ids[-3:] == [posted_here.message_id, help_text.message_id - 1, help_text.message_id]


async def test_inline_mode_is_off_until_botfather_turns_it_on(tmp_path) -> None:
    async with Market(tmp_path) as m:
        bob = m.person(FREELANCER, "Bob")
        me = await m.app.bot.get_me()
        assert me.supports_inline_queries is False
        with pytest.raises(AssertionError, match="inline mode is off"):
            await bob.inline_query("logo")
        m.server.inline_placeholder = "Search jobs"
        assert (
            await Bot(m.server.token, base_url=m.server.base_url).get_me()
        ).supports_inline_queries


def _article(rid: str, text: str = "<b>hi</b>", title: str = "T") -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        rid,
        title,
        InputTextMessageContent(text, parse_mode="HTML"),
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("go", url="https://t.me/x")]]),
    )


async def test_the_servers_inline_rules_are_telegrams() -> None:
    async with BotApiServer(token="42:INLINE") as server:
        server.inline_placeholder = "Search"
        user = server.add_user(7, "Ann")
        bot = Bot("42:INLINE", base_url=server.base_url, request=AiohttpRequest())
        async with bot:

            async def ask(query: str) -> tuple[asyncio.Task, str]:
                task = asyncio.create_task(user.inline_query(query, timeout=2))
                await asyncio.sleep(0)
                return task, server.pending_updates[-1]["inline_query"]["id"]

            task, qid = await ask("a")
            for bad, why in (
                ([_article("1"), _article("1")], r"(?i)RESULT_ID_DUPLICATE"),
                ([_article("x" * 65)], r"(?i)RESULT_ID_INVALID"),
                ([_article("1", "<b>open")], r"(?i)can't parse entities"),
                ([_article(str(n)) for n in range(51)], r"(?i)RESULTS_TOO_MUCH"),
            ):
                with pytest.raises(BadRequest, match=why):
                    await bot.answer_inline_query(qid, bad)
            with pytest.raises(BadRequest, match=r"(?i)next_offset_invalid"):
                await bot.answer_inline_query(qid, [_article("1")], next_offset="9" * 65)
            assert await bot.answer_inline_query(qid, [_article("1")], cache_time=0)
            answer = await task
            assert (
                answer.titles == ["T"]
                and answer.results[0]["input_message_content"]["text"] == "hi"
            )
            with pytest.raises(BadRequest, match=r"(?i)query is too old"):
                await bot.answer_inline_query(qid, [_article("2")])  # answered already
            # cache_time 0: asked again, the bot is asked again; a late answer is refused.
            server.inline_answer_ttl = 0.0
            task, qid = await ask("a")
            await asyncio.sleep(0.01)
            with pytest.raises(BadRequest, match=r"(?i)query is too old"):
                await bot.answer_inline_query(qid, [_article("1")])
            task.cancel()
            # A personal answer is cached for that person only.
            server.inline_answer_ttl = 10.0
            other = server.add_user(8, "Ben")
            task, qid = await ask("b")
            await bot.answer_inline_query(qid, [_article("1")], is_personal=True, cache_time=60)
            await task
            assert (await user.inline_query("b")).from_cache
            ben = asyncio.create_task(other.inline_query("b", timeout=2))
            await asyncio.sleep(0)
            assert server.pending_updates[-1]["inline_query"]["from"]["id"] == 8
            ben.cancel()
        await asyncio.gather(ben, return_exceptions=True)
