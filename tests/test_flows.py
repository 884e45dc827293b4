"""The guided flows end to end: /post, /bid and /editprofile through the real Application
polling the loopback Bot API server, including a restart in the middle of /post."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.domain.errors import Forbidden, InvalidInput
from bot.domain.states import JobState
from bot.handlers.base import build_keyboard
from bot.services import jobs
from bot.services.base import Services
from bot.services.jobs import JobDraft
from bot.services.profiles import touch_user
from tests.factories import CLIENT, FREELANCER, FREELANCER2
from tests.harness import Market, labels
from tests.harness import step as _step

TRICKY_TITLE = 'Cats <b>& "dogs"</b> blog'


@pytest.fixture
async def market(tmp_path) -> AsyncIterator[Market]:
    async with Market(tmp_path) as m:
        yield m


def step(*args, **kwargs):
    """Every prompt of a flow carries buttons (Back, Cancel, ...): wait for one of those."""
    return _step(*args, buttons=True, **kwargs)


async def open_job(svc: Services, client: int = CLIENT, title: str = "Logo for a bakery") -> int:
    await touch_user(svc, client, f"user{client}", "Clara", "en")
    draft = JobDraft(
        category="design",
        title=title,
        description="A round logo for a small family bakery, warm colours.",
        answers={"deliverable": "logo"},
        budget_min=100,
        budget_max=200,
        deadline_at=svc.clock.now() + 7 * 86400,
    )
    return (await jobs.post_job(svc, client, draft)).id


# -- /post ------------------------------------------------------------------------------------


async def test_post_job_every_step(market: Market):
    client = market.person(CLIENT, "Clara")
    m = await step(client, "/post", "choose the category")
    assert "✍️ Writing" in labels(m) and "✖ Cancel" in labels(m)
    assert "◀ Back" not in labels(m)  # nothing before the first step

    m = await step(client, None, "title of the job", press="✍️ Writing", on=m)
    assert labels(m) == ["◀ Back", "✖ Cancel"]
    # Back returns to the category; choose again.
    m = await step(client, None, "choose the category", press="◀ Back", on=m)
    m = await step(client, None, "title of the job", press="✍️ Writing", on=m)

    # A bad title: one sentence and the same step again.
    m = await step(client, "abc", "title of the job")
    sentence = InvalidInput("job.title_length", min=5, max=100, length=3)
    assert market.sentence(sentence) in m.text and "yours has 3" in m.text
    m = await step(client, TRICKY_TITLE, "Describe the job")
    m = await step(client, "too short", "Describe the job")
    sentence = InvalidInput("job.description_length", min=20, max=3000, length=9)
    assert market.sentence(sentence) in m.text
    m = await step(
        client, "A weekly blog about cats & dogs, 5 posts of 300 words.", "question 1 of 5"
    )
    assert "How many pages?" in m.text
    m = await step(client, "many", "question 1 of 5")  # not a number
    m = await step(client, "5", "question 2 of 5")
    m = await step(client, "Pets <3", "question 3 of 5")
    assert "Skip ▶" in labels(m)  # the style is optional
    m = await step(client, None, "question 4 of 5", press="Skip ▶", on=m)
    m = await step(client, "300", "question 5 of 5")
    assert {"Yes", "No"} <= set(labels(m))
    m = await step(client, None, "budget", press="Yes", on=m)

    # Bad budgets: words, a negative amount, decimals for Stars, a reversed range.
    for bad in ("abc", "-5", "1.5"):
        m = await step(client, bad, "budget")
        assert market.sentence(InvalidInput("amount.invalid", min=1, max=1000000)) in m.text
    m = await step(client, "200-100", "budget")
    assert market.sentence(InvalidInput("job.budget_invalid")) in m.text
    m = await step(client, "100-200", "delivered")
    m = await step(client, "10m", "delivered")  # sooner than MIN_DEADLINE (1h)
    m = await step(client, "3d", "private brief")
    m = await step(client, "The secret recipe <is> flour & love.", "NDA")
    m = await step(client, None, "text of your NDA", press="Yes", on=m)
    m = await step(client, None, "files", press="Use the standard NDA", on=m)
    await client.send_document("brief.pdf", b"%PDF-1.4 brief")
    m = await client.wait_for(lambda x: "One file added" in x.text, timeout=10)
    m = await step(client, None, "Preview", press="✔ Done", on=m)

    # The preview shows what was typed, escaped (Telegram parsed the HTML: the text is intact).
    assert TRICKY_TITLE in m.text
    assert "cats & dogs" in m.text
    assert "100 ⭐ – 200 ⭐" in m.text
    assert "Pets <3" in m.text
    assert "standard NDA" in m.text and "One file." in m.text
    assert {"✅ Publish", "✏️ Edit", "✖ Cancel"} <= set(labels(m))

    # Edit: pick the budget, change it, and come straight back to the preview.
    m = await step(client, None, "What would you like to change?", press="✏️ Edit", on=m)
    m = await step(client, None, "budget", press="Budget", on=m)
    assert "Now:" in m.text
    m = await step(client, "150", "Preview")
    assert "150 ⭐" in m.text and "200 ⭐" not in m.text

    await client.press(m, "✅ Publish")
    await client.wait_for("Job #1 is live.", timeout=10)

    async with market.svc.read() as tx:
        job = await tx.jobs.get(1)
    assert job is not None and job.client_id == CLIENT and job.state == JobState.OPEN
    assert job.category == "writing" and job.title == TRICKY_TITLE
    assert job.answers == {"pages": 5, "topic": "Pets <3", "words_per_page": 300, "native": True}
    assert (job.budget_min, job.budget_max, job.currency) == (150, 150, "XTR")
    assert job.brief == "The secret recipe <is> flour & love."
    assert job.nda_required and job.nda_text is None  # the standard NDA
    assert len(job.files) == 1 and job.files[0]["kind"] == "document"
    assert abs(job.deadline_at - (market.svc.clock.now() + 3 * 86400)) < 120
    # The flow is over: its draft is gone and its old buttons are expired.
    assert "post" not in market.app.user_data.get(CLIENT, {})


async def test_post_cancel_changes_nothing(market: Market):
    client = market.person(CLIENT, "Clara")
    m = await step(client, "/post", "choose the category")
    m = await step(client, None, "title of the job", press="💻 Programming", on=m)
    m = await step(client, "Build a scraper", "Describe the job")
    await client.send("/cancel")
    await client.wait_for("Job posting cancelled", timeout=10)
    # Typed text no longer goes to the flow.
    await client.send("A description that would have been long enough.")
    await client.wait_for(lambda x: "Describe the job" not in x.text, timeout=10)
    async with market.svc.read() as tx:
        assert await tx.fetchone("SELECT count(*) AS n FROM jobs") is not None
        assert (await tx.fetchone("SELECT count(*) AS n FROM jobs"))["n"] == 0

    # The Cancel button does the same, and a category without questions skips to the budget.
    m = await step(client, "/post", "choose the category")
    m = await step(client, None, "title of the job", press="🧩 Other", on=m)
    m = await step(client, "Sort my photos", "Describe the job")
    m = await step(client, "About 2000 holiday photos into folders by year.", "budget")
    await client.press(m, "✖ Cancel")
    await client.wait_for("Job posting cancelled", timeout=10)
    async with market.svc.read() as tx:
        assert (await tx.fetchone("SELECT count(*) AS n FROM jobs"))["n"] == 0


async def test_post_restart_in_the_middle(market: Market):
    client = market.person(CLIENT, "Clara")
    m = await step(client, "/post", "choose the category")
    m = await step(client, None, "title of the job", press="💻 Programming", on=m)
    m = await step(client, "Build a Telegram bot", "Describe the job")

    assert market.app is not None
    await market.app.update_persistence()
    await market.restart()  # a new Application on the same database

    # The person carries on from the same step.
    m = await step(
        client, "A marketplace bot with escrow and disputes, in Python.", "question 1 of 2"
    )
    m = await step(client, "Python, PTB", "question 2 of 2")
    m = await step(client, None, "budget", press="Skip ▶", on=m)
    m = await step(client, "500", "delivered")
    m = await step(client, "2w", "private brief")
    m = await step(client, None, "files", press="Skip ▶", on=m)
    m = await step(client, None, "Preview", press="✔ Done", on=m)
    assert "Build a Telegram bot" in m.text and "No private brief" in m.text
    await client.press(m, "✅ Publish")
    await client.wait_for("Job #1 is live.", timeout=10)
    async with market.svc.read() as tx:
        job = await tx.jobs.get(1)
    assert job is not None and job.title == "Build a Telegram bot"
    assert job.answers == {"stack": "Python, PTB"} and job.budget_min == job.budget_max == 500
    assert job.brief is None and not job.nda_required


async def test_stale_button_expired(market: Market):
    client = market.person(CLIENT, "Clara")
    first = await step(client, "/post", "choose the category")
    m = await step(client, None, "title of the job", press="🎨 Design", on=first)
    m = await step(client, None, "choose the category", press="◀ Back", on=m)
    # Only the current prompt keeps its buttons.
    assert [msg.message_id for msg in client.messages if msg.inline] == [m.message_id]
    # A forged press: a button of the current step with another step's tag is refused.
    rt = market.app.bot_data["rt"]
    markup = build_keyboard(rt, [[("x", ("cb", "post", "back", "budget"))]])
    sent = await market.app.bot.send_message(CLIENT, "old", reply_markup=markup)
    press = await client.press(sent.message_id, "x")
    answer = await press.wait_answer()
    assert answer.get("text") == "This button has expired."
    await step(client, None, "title of the job", press="🎨 Design", on=m)


# -- /bid -------------------------------------------------------------------------------------


async def test_guided_bid(market: Market):
    market.person(CLIENT, "Clara")
    freelancer = market.person(FREELANCER, "Fred")
    job_id = await open_job(market.svc)

    m = await step(freelancer, f"/bid {job_id}", "Your price")
    assert f"Bid on Job #{job_id}" in m.text and "100 ⭐ – 200 ⭐" in m.text
    amount_error = market.sentence(InvalidInput("amount.invalid", min=1, max=1000000))
    for bad in ("-5", "abc", "1.5"):
        m = await step(freelancer, bad, "Your price")
        assert amount_error in m.text
    m = await step(freelancer, "150", "how many days")
    m = await step(freelancer, "0", "how many days")
    assert market.sentence(InvalidInput("bid.days_invalid", min=1, max=365)) in m.text
    m = await step(freelancer, "400", "how many days")
    m = await step(freelancer, "3", "cover letter")
    m = await step(freelancer, "x" * 2001, "cover letter")
    too_long = market.sentence(InvalidInput("bid.cover_too_long", max=2000, length=2001))
    assert too_long in m.text and "2,001" in m.text
    m = await step(freelancer, "I bake <logos> & bread.", "Send it?")
    assert "I bake <logos> & bread." in m.text and "150 ⭐" in m.text and "3 days" in m.text
    m = await step(freelancer, None, "cover letter", press="◀ Back", on=m)
    m = await step(freelancer, "I bake logos & bread.", "Send it?")
    await freelancer.press(m, "✅ Confirm")
    await freelancer.wait_for(f"Bid #1 on Job #{job_id} is placed", timeout=10)

    async with market.svc.read() as tx:
        bid = await tx.bids.get(1)
    assert bid is not None
    assert (bid.job_id, bid.freelancer_id, bid.amount, bid.days, bid.cover) == (
        job_id,
        FREELANCER,
        150,
        3,
        "I bake logos & bread.",
    )


async def test_one_line_bid_and_refusals(market: Market):
    client = market.person(CLIENT, "Clara")
    freelancer = market.person(FREELANCER2, "Gina")
    job_id = await open_job(market.svc)

    await freelancer.send(f"/bid {job_id} 120 2 Fast and careful.\nSee my portfolio.")
    await freelancer.wait_for(f"Bid #1 on Job #{job_id} is placed", timeout=10)
    await freelancer.send(f"/bid {job_id} 110 2 Cheaper now.")
    await freelancer.wait_for(f"Bid #1 on Job #{job_id} is updated", timeout=10)
    await freelancer.send(f"/bid {job_id} 1.5 2 Too precise.")
    await freelancer.wait_for(market.sentence(InvalidInput("amount.invalid", min=1, max=1000000)))
    async with market.svc.read() as tx:
        bid = await tx.bids.get(1)
    assert bid is not None and (bid.amount, bid.cover) == (110, "Cheaper now.")

    # The client may not bid on their own job: one sentence, nothing written.
    await client.send(f"/bid {job_id} 100 2 Me too.")
    await client.wait_for(market.sentence(Forbidden("bid.own_job", job=str(job_id))), timeout=10)
    await client.send(f"/bid {job_id}")
    await client.wait_for(market.sentence(Forbidden("bid.own_job", job=str(job_id))), timeout=10)
    async with market.svc.read() as tx:
        assert (await tx.fetchone("SELECT count(*) AS n FROM bids"))["n"] == 1


async def test_bid_deep_link_and_card_button(market: Market):
    market.person(CLIENT, "Clara")
    freelancer = market.person(FREELANCER, "Fred")
    job_id = await open_job(market.svc)

    m = await step(freelancer, f"/start bid_{job_id}", "Your price")
    await freelancer.press(m, "✖ Cancel")
    await freelancer.wait_for("Bid cancelled", timeout=10)

    # The Bid button of a job card (action "bid", args [job id]) starts the same flow.
    rt = market.app.bot_data["rt"]
    markup = build_keyboard(rt, [[("Bid", ("cb", "bid", job_id))]])
    card = await market.app.bot.send_message(FREELANCER, "a job card", reply_markup=markup)
    await freelancer.press(card.message_id, "Bid")
    m = await freelancer.wait_for(lambda x: "Your price" in x.text, timeout=10)
    m = await step(freelancer, "180", "how many days")
    await freelancer.send("/cancel")
    await freelancer.wait_for("Bid cancelled", timeout=10)
    async with market.svc.read() as tx:
        assert (await tx.fetchone("SELECT count(*) AS n FROM bids"))["n"] == 0


# -- /editprofile -----------------------------------------------------------------------------


async def test_edit_profile(market: Market):
    fred = market.person(FREELANCER, "Fred")
    m = await step(fred, "/editprofile", "Your profile")
    m = await step(fred, None, "bio", press="Bio", on=m)
    m = await step(fred, "I draw <logos> & icons.", "Saved.")
    assert "I draw <logos> & icons." in m.text
    m = await step(fred, None, "years of experience", press="Experience", on=m)
    m = await step(fred, "many", "years of experience")
    assert market.sentence(InvalidInput("profile.years_invalid")) in m.text
    m = await step(fred, "7", "Saved.")
    m = await step(fred, None, "portfolio links", press="Portfolio", on=m)
    m = await step(fred, "https://example.org/a, https://example.org/b", "Saved.")
    m = await step(fred, None, "skills", press="Skills", on=m)
    m = await step(fred, None, "Your profile", press="◀ Back", on=m)
    await fred.press(m, "✔ Done")
    await fred.wait_for("Your profile is saved", timeout=10)
    async with market.svc.read() as tx:
        user = await tx.users.get(FREELANCER)
    assert user is not None
    assert user.bio == "I draw <logos> & icons." and user.experience_years == 7
    assert user.portfolio == ["https://example.org/a", "https://example.org/b"]


async def test_one_flow_at_a_time(market: Market):
    """Starting /bid in the middle of /post leaves /post: what is typed goes to the bid."""
    market.person(CLIENT, "Clara")
    fred = market.person(FREELANCER, "Fred")
    job_id = await open_job(market.svc)
    m = await step(fred, "/post", "choose the category")
    m = await step(fred, None, "title of the job", press="🧩 Other", on=m)
    m = await step(fred, f"/bid {job_id}", "Your price")
    m = await step(fred, "150", "how many days")
    await fred.send("/cancel")
    await fred.wait_for("Bid cancelled", timeout=10)
    assert market.app is not None
    assert "post" not in market.app.user_data.get(FREELANCER, {})
