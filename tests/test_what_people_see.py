"""Nothing hidden, nothing wrong (issue 12, items 4 and 5), end to end through the loopback
Bot API, in English and Russian:

- the job card (`/job`, the channel's `job_<id>` deep link) shows the category's answers and
  the job's files (a Files button sends them);
- the card shows the private brief to the client and to a shortlisted freelancer past the
  NDA, and to nobody else;
- the NDA is shown, with its text, above "Accept the NDA" (the standard one too);
- an answer to `/ask` quotes the question it answers (and `/ask`'s own answer quotes it);
- the bid count of a job is every bid placed and not withdrawn: a hire does not lower it;
- a moment just passed is "just now", not "in 0 seconds";
- a length refusal says how long the text was, with the limit;
- a split's share for the client is said to be what it is, a payout request, and /balance
  and /payout agree with it;
- the deadline's example date lies ahead; the shortlist answer promises no brief that
  does not exist.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.services import deals, disputes
from bot.services.base import as_admin
from bot.services.profiles import touch_user
from sandbox.botapi import SimMessage, SimUser
from tests import factories as f
from tests.factories import CLIENT, FREELANCER, FREELANCER2, png
from tests.harness import Market, labels, step

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning")

ADMIN = 9001  # ADMIN_USER_IDS of tests.conftest.make_settings
DESCRIPTION = "Generic containers for a game engine, with tests and benchmarks."


async def meet(m: Market) -> tuple[SimUser, SimUser, SimUser]:
    """Clara (client, English), Fred (freelancer, English), Ivan (freelancer, Russian)."""
    people = (
        m.person(CLIENT, "Clara"),
        m.person(FREELANCER, "Fred"),
        m.person(FREELANCER2, "Иван", language="ru", username="ivan"),
    )
    for user in people:
        user.started = True
        await touch_user(m.svc, user.id, user.username, user.first_name, user.language_code)
    return people


async def post_with_answers_and_files(clara: SimUser) -> SimMessage:
    """A programming job with both questions answered and two files; returns the preview."""
    msg = await step(clara, "/post", "choose the category")
    await step(clara, None, "title of the job", press="💻 Programming", on=msg)
    await step(clara, "Generic containers in C++", "Describe the job")
    await step(clara, DESCRIPTION, "question 1")
    await step(clara, "C++20 & CMake", "question 2")
    await step(clara, "https://example.org/engine", "budget")
    await step(clara, "100-200", "delivered")
    msg = await step(clara, "2w", "private brief")
    await step(clara, None, "files", press="Skip ▶", on=msg)
    await clara.send_document("spec.pdf", b"%PDF-1.4 the spec")
    await clara.wait_for("One file added", timeout=10)
    await clara.send_photo(png(), caption="the layout")
    msg = await clara.wait_for("2 files added", timeout=10)
    preview = await step(clara, None, "Preview", press="✔ Done", on=msg)
    assert "C++20 &amp; CMake" in preview.html and "2 files." in preview.text
    await clara.press(preview, "✅ Publish")
    await clara.wait_for("Job #1 is live", timeout=10)
    return preview


# --- item 4: the job card, the NDA, /ask, the bid count ------------------------------------


async def test_the_job_card_shows_the_answers_and_gives_the_files(tmp_path) -> None:
    async with Market(tmp_path) as m:
        clara, fred, ivan = await meet(m)
        await post_with_answers_and_files(clara)

        await fred.send("/job 1")
        card = await fred.wait_for("Job #1")
        assert "Details" in card.text
        assert "• Which languages, frameworks or platforms (the stack)? C++20 & CMake" in card.text
        assert "• A link to the repository (https://…). https://example.org/engine" in card.text
        assert "📎 2 files: spec.pdf, a photo" in card.text
        assert "📎 Files (2)" in labels(card)
        await fred.press(card, "📎 Files (2)")
        doc = await fred.wait_for(lambda x: x.document is not None)
        assert doc.document["file_name"] == "spec.pdf"
        await fred.wait_for(lambda x: x.photo is not None)

        # The channel's deep link opens the same card, in the reader's language.
        await ivan.send("/start job_1")
        card = await ivan.wait_for("Заказ #1")
        assert "Подробности" in card.text and "C++20 & CMake" in card.text
        assert "• Какие языки, фреймворки или платформы (стек)? C++20 & CMake" in card.text
        assert "📎 2 файла: spec.pdf, фото" in card.text
        await ivan.press(card, "📎 Файлы (2)")
        doc = await ivan.wait_for(lambda x: x.document is not None)
        assert doc.document["file_name"] == "spec.pdf"
        await ivan.wait_for(lambda x: x.photo is not None)


async def test_the_standard_nda_is_shown_before_accept(tmp_path) -> None:
    async with Market(tmp_path) as m:
        clara, fred, ivan = await meet(m)
        job = await f.job(m.svc, CLIENT, brief="The secret part", nda_required=True)
        fred_bid = await f.bid(m.svc, job.id, FREELANCER)
        ivan_bid = await f.bid(m.svc, job.id, FREELANCER2)
        for bid_id in (fred_bid.id, ivan_bid.id):
            await clara.send(f"/shortlist {bid_id}")
            answer = await clara.wait_for(f"Bid #{bid_id} is shortlisted")
            assert "is asked to accept the NDA" in answer.text

        asked = await fred.wait_for("non-disclosure agreement")
        assert labels(asked) == ["Accept the NDA", "Decline"]
        assert "The agreement:" in asked.text and "keep this job's private brief" in asked.text
        assert "The secret part" not in asked.text
        asked_ru = await ivan.wait_for("соглашение о неразглашении")
        assert labels(asked_ru) == ["Принять соглашение", "Отказаться"]
        assert "Соглашение:" in asked_ru.text and "хранить в тайне закрытое ТЗ" in asked_ru.text

        await fred.press(asked, "Accept the NDA")
        accepted = await fred.wait_for(f"You accepted the NDA of Job #{job.id}")
        assert "The secret part" in accepted.text


async def test_the_job_card_shows_the_brief_to_whoever_may_read_it(tmp_path) -> None:
    """The preview showed the client the private brief: the card shows it to the client, and
    to a shortlisted freelancer once past the NDA; never to anyone else."""
    async with Market(tmp_path) as m:
        clara, fred, ivan = await meet(m)
        job = await f.job(m.svc, CLIENT, brief="The <secret> part", nda_required=True)
        bid = await f.bid(m.svc, job.id, FREELANCER)
        await f.bid(m.svc, job.id, FREELANCER2)
        await clara.send(f"/job {job.id}")
        card = await clara.wait_for(f"Job #{job.id} ·")
        assert "🔒 Private brief (only you and the freelancers you shortlist see it):" in card.text
        assert "The <secret> part" in card.text

        await fred.send(f"/start job_{job.id}")
        assert "secret" not in (await fred.wait_for(f"Job #{job.id} ·")).text
        await clara.send(f"/shortlist {bid.id}")
        asked = await fred.wait_for("non-disclosure agreement")
        await fred.send(f"/job {job.id}")
        assert "secret" not in (await fred.wait_for(f"Job #{job.id} ·")).text  # NDA first
        await fred.press(asked, "Accept the NDA")
        await fred.wait_for(f"You accepted the NDA of Job #{job.id}")
        await fred.send(f"/job {job.id}")
        card = await fred.wait_for(f"Job #{job.id} ·")
        assert "🔒 Private brief (you see it as a shortlisted freelancer):" in card.text
        assert "The <secret> part" in card.text
        await ivan.send(f"/start job_{job.id}")  # a bidder not shortlisted
        assert "secret" not in (await ivan.wait_for(f"Заказ #{job.id} ·")).text

        plain = await f.job(m.svc, CLIENT, brief="Доступ к репозиторию")
        ru_bid = await f.bid(m.svc, plain.id, FREELANCER2)
        await clara.send(f"/shortlist {ru_bid.id}")
        await ivan.wait_for(f"Вы в шорт-листе заказа #{plain.id}")
        await ivan.send(f"/start job_{plain.id}")
        card = await ivan.wait_for(f"Заказ #{plain.id} ·")
        assert "🔒 Закрытое ТЗ (открыто вам как исполнителю из шорт-листа):" in card.text
        assert "Доступ к репозиторию" in card.text


async def test_an_answer_to_a_question_quotes_the_question(tmp_path) -> None:
    async with Market(tmp_path) as m:
        clara, fred, ivan = await meet(m)
        job = await f.job(m.svc, CLIENT)
        await fred.send(f"/ask {job.id} Is C++17 <fine> too?")
        sent = await fred.wait_for(f"Your question about Job #{job.id} is sent")
        assert "Is C++17 <fine> too?" in sent.text
        question = await clara.wait_for("Is C++17 <fine> too?")
        await clara.send("Yes, C++17 is fine.", reply_to=question)
        await clara.wait_for("Your reply is sent.")
        answer = await fred.wait_for("Yes, C++17 is fine.")
        assert "In reply to:" in answer.text and "Is C++17 <fine> too?" in answer.text
        assert answer.text.index("Is C++17") < answer.text.index("Yes, C++17")

        await ivan.send(f"/ask {job.id} Можно на Rust?")
        question = await clara.wait_for("Можно на Rust?")
        await clara.send("No, C++ only.", reply_to=question)
        answer = await ivan.wait_for("No, C++ only.")
        assert "В ответ на:" in answer.text and "Можно на Rust?" in answer.text


async def test_the_bid_count_does_not_drop_after_a_hire(tmp_path) -> None:
    async with Market(tmp_path) as m:
        clara, _fred, ivan = await meet(m)
        job = await f.job(m.svc, CLIENT)
        first = await f.bid(m.svc, job.id, FREELANCER)
        await f.bid(m.svc, job.id, FREELANCER2)
        deal = await deals.hire(m.svc, CLIENT, first.id)
        assert await f.pay(m.svc, deal) == "funded"  # the other bid is declined: job filled
        await m.settle()

        await clara.send("/myjobs")
        mine = await clara.wait_for("Your jobs")
        assert "2 bids" in mine.text and f"Bids on #{job.id} (2)" in labels(mine)
        await clara.send(f"/job {job.id}")
        card = await clara.wait_for(f"Job #{job.id}")
        assert "2 bids" in card.text and "Bids (2)" in labels(card)
        await clara.press(card, "Bids (2)")
        listing = await clara.wait_for("Bids on Job")
        assert f"Bid #{first.id}" in listing.text and "declined" in listing.text
        ivan.mark_read()
        await ivan.send(f"/job {job.id}")
        assert "2 отклика" in (await ivan.wait_for(f"Заказ #{job.id} ·")).text


# --- item 5: wording that was wrong --------------------------------------------------------


async def test_a_moment_just_passed_is_just_now(tmp_path) -> None:
    async with Market(tmp_path) as m:
        clara, _fred, ivan = await meet(m)
        deal = await f.funded_deal(m.svc)  # funded this very second
        await clara.send(f"/deal {deal.id}")
        card = await clara.wait_for(f"Deal #{deal.id}")
        funded = next(line for line in card.text.split("\n") if line.startswith("Funded"))
        assert funded.endswith("(just now)") and "0 seconds" not in card.text
        ru = await f.funded_deal(m.svc, freelancer=FREELANCER2)
        await ivan.send(f"/deal {ru.id}")
        card = await ivan.wait_for(f"#{ru.id}")
        assert "(только что)" in card.text and "0 секунд" not in card.text


async def test_a_length_refusal_says_the_length_and_the_limit(tmp_path) -> None:
    async with Market(tmp_path) as m:
        clara, fred, ivan = await meet(m)
        msg = await step(clara, "/post", "choose the category")
        await step(clara, None, "title of the job", press="🧩 Other", on=msg)
        msg = await step(clara, "Hi", "yours has")
        assert "The title must be from 5 to 100 characters long; yours has 2." in msg.text
        await step(clara, "A logo for a bakery", "Describe the job")
        msg = await step(clara, "d" * 3780, "yours has")
        assert (
            "The description must be from 20 to 3,000 characters long; yours has 3,780." in msg.text
        )
        job = await f.job(m.svc, CLIENT)
        await fred.send(f"/ask {job.id} " + "q" * 3100)
        refused = await fred.wait_for("A message must be")
        assert "from 1 to 3,000 characters long; yours has 3,100." in refused.text
        await ivan.send(f"/bid {job.id} 150 3 " + "б" * 2345)
        refused = await ivan.wait_for("Сопроводительное письмо")
        assert re.search(r"не больше 2\s000 символов; у вас 2\s345 символов\.", refused.text)


async def test_a_split_says_where_the_clients_share_is_and_balance_and_payout_agree(
    tmp_path,
) -> None:
    async with Market(tmp_path) as m:
        clara, _fred, ivan = await meet(m)
        admin = m.person(ADMIN, "Ada")
        admin.started = True
        deal = await f.delivered_deal(m.svc, amount=150)
        await disputes.open_dispute(m.svc, FREELANCER, deal.id, "The client vanished")
        await m.settle()
        await admin.send(f"/resolve {deal.id} split 50")
        told = await clara.wait_for(f"The moderators decided Deal #{deal.id}")
        assert "75 ⭐ comes back to you: it is set aside for you as Payout #1" in told.text
        assert "credited to your balance" not in told.text

        await clara.send("/balance")
        card = await clara.wait_for("Your balance")
        assert "Available: 0 ⭐" in card.text and "Pending payouts: 75 ⭐" in card.text
        assert "Payout #1 of 75 ⭐" in card.text and "waits for a moderator" in card.text
        assert "Withdraw it with /payout" not in card.text
        await clara.send("/payout")
        refused = await clara.wait_for("nothing more to pay out")
        assert "your 75 ⭐ is already in Payout #1" in refused.text

        # The same in Russian, for Ivan's share of a refund split 0/100.
        ru_deal = await f.delivered_deal(m.svc, client=FREELANCER2, freelancer=FREELANCER)
        await disputes.open_dispute(m.svc, FREELANCER2, ru_deal.id, "Не то, что просил")
        await disputes.resolve(m.svc, as_admin(m.svc, ADMIN), ru_deal.id, "split", 40)
        told = await ivan.wait_for(f"Модераторы решили спор по сделке #{ru_deal.id}")
        assert "отложены для вас как выплата #2" in told.text
        await ivan.send("/balance")
        card = await ivan.wait_for("Выплата #2 на 90 ⭐")
        assert "ждёт, когда модератор переведёт её" in card.text
        await ivan.send("/payout")
        refused = await ivan.wait_for("Выводить больше нечего")
        assert "ваши 90 ⭐ уже в выплате #2" in refused.text


async def test_the_deadline_example_lies_ahead(tmp_path) -> None:
    async with Market(tmp_path) as m:
        clara, _fred, _ivan = await meet(m)
        m.clock.advance(400 * 86400)  # whatever today is, the example follows it
        msg = await step(clara, "/post", "choose the category")
        await step(clara, None, "title of the job", press="🧩 Other", on=msg)
        await step(clara, "A logo for a bakery", "Describe the job")
        await step(clara, "A round logo for a family bakery, warm colours please.", "budget")
        prompt = await step(clara, "150", "delivered")
        [example] = re.findall(r"a date like (\d{4}-\d{2}-\d{2})", prompt.text)
        today = datetime.fromtimestamp(m.clock.now(), UTC).strftime("%Y-%m-%d")
        assert example > today
        refused = await step(clara, "someday", "Write the deadline")
        [again] = re.findall(r"a date such as (\d{4}-\d{2}-\d{2})", refused.text)
        assert again > today
        # The example is a deadline the flow takes.
        await step(clara, again, "private brief")


async def test_the_shortlist_answer_promises_no_brief_that_is_not_there(tmp_path) -> None:
    async with Market(tmp_path) as m:
        clara, fred, ivan = await meet(m)
        job = await f.job(m.svc, CLIENT)  # no private brief
        bid = await f.bid(m.svc, job.id, FREELANCER)
        await clara.send(f"/shortlist {bid.id}")
        answer = await clara.wait_for(f"Bid #{bid.id} is shortlisted")
        assert answer.text == f"Bid #{bid.id} is shortlisted; the freelancer is told."
        told = await fred.wait_for(f"You are shortlisted for Job #{job.id}")
        assert "brief" not in told.text
        ru_bid = await f.bid(m.svc, job.id, FREELANCER2)
        await clara.send(f"/shortlist {ru_bid.id}")
        told = await ivan.wait_for(f"Вы в шорт-листе заказа #{job.id}")
        assert "ТЗ" not in told.text
