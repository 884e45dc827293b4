"""Browsing, bids, people and messages end to end: the real Application polling the loopback
Bot API server, people typing commands and pressing buttons."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.services import bids, jobs
from bot.services.base import Services
from bot.services.jobs import JobDraft
from sandbox.botapi import SimMessage, SimUser
from tests import factories as f
from tests.factories import CLIENT, FREELANCER, FREELANCER2, STRANGER
from tests.harness import Market, labels

TRICKY_TITLE = 'C++ <templates> & "quotes"'


@pytest.fixture
async def market(tmp_path) -> AsyncIterator[Market]:
    async with Market(tmp_path) as m:
        yield m


async def people(m: Market) -> tuple[SimUser, SimUser, SimUser, SimUser]:
    """Four people who have each started the bot once."""
    out = (
        m.person(CLIENT, "Alice"),
        m.person(FREELANCER, "Bob"),
        m.person(FREELANCER2, "Carol"),
        m.person(STRANGER, "Eve"),
    )
    for user in out:
        await user.send("/start")
        await user.wait_for("Welcome")
    return out


def draft(title: str = "Build a Telegram bot", category: str = "programming", **over) -> JobDraft:
    """factories.draft, with the answers the category asks for."""
    answers = {"programming": {"stack": "python"}, "design": {"deliverable": "a logo"}}
    over = {"answers": answers.get(category, {}), **over}
    return f.draft(title=title, category=category, **over)


async def quiet(user: SimUser, seconds: float = 0.3) -> None:
    """Nothing more arrives for `user`."""
    before = len(user.server._log.get(user.id, []))
    await asyncio.sleep(seconds)
    after = user.server._log.get(user.id, [])
    extra = [snap.describe() for _, snap in after[before:]]
    assert not extra, f"unexpected messages: {extra}"


SNAPSHOT = {
    "jobs": "SELECT * FROM jobs",
    "bids": "SELECT * FROM bids",
    "deals": "SELECT * FROM deals",
    "ledger": "SELECT * FROM ledger_entries",
    # The dispatcher marks rows sent meanwhile: compare what was queued.
    "outbox": "SELECT id, chat_id, key, params FROM outbox",
}


async def snapshot(svc: Services) -> dict[str, list[tuple]]:
    async with svc.read() as tx:
        return {name: [tuple(r) for r in await tx.fetchall(sql)] for name, sql in SNAPSHOT.items()}


async def relayed_to(m: Market, chat_id: int, key: str) -> SimMessage:
    """The message the dispatcher sent for the latest outbox row `key` to `chat_id`."""
    loop = asyncio.get_running_loop()
    end = loop.time() + 5
    while loop.time() < end:
        async with m.svc.read() as tx:
            row = await tx.fetchone(
                "SELECT message_id FROM outbox WHERE chat_id = ? AND key = ? AND state = 'sent'"
                " ORDER BY id DESC LIMIT 1",
                (chat_id, key),
            )
        if row is not None and row["message_id"] is not None:
            msg = m.server.message(chat_id, row["message_id"])
            assert msg is not None
            return msg
        await asyncio.sleep(0.05)
    raise AssertionError(f"{key} was not sent to {chat_id}")


# --- everyone -------------------------------------------------------------------------------


async def test_start_help_unknown_cancel_and_stray_text(market: Market) -> None:
    alice = market.person(CLIENT, "Alice <Admin>")
    await alice.send("/start")
    welcome = await alice.wait_for("Welcome to the marketplace")
    assert "Alice <Admin>" in welcome.text and "&lt;Admin&gt;" in welcome.html
    assert "/help" in welcome.text

    await alice.send("/help")
    help_msg = await alice.wait_for("Clients")
    for command in ("/post", "/jobs", "/bids <job>", "/accept <bid>", "/ask <job>", "/deal"):
        assert command in help_msg.text

    await alice.send("/frobnicate")
    unknown = await alice.wait_for("/help")
    assert unknown.text == "I don't know that command; /help lists them all."

    await alice.send("/cancel")
    await alice.wait_for("Nothing to cancel.")
    await alice.send("hello there")
    hint = await alice.wait_for("/help")
    assert hint.text == "I answer commands only; /help lists them."
    await quiet(alice)


async def test_language_switches_to_russian(market: Market) -> None:
    alice = market.person(CLIENT, "Alice")
    await alice.send("/language")
    menu = await alice.wait_for("Choose your language")
    assert labels(menu) == ["English", "Русский"]
    await alice.press(menu, "Русский")
    edited = await alice.wait_for("по-русски")
    assert edited.message_id == menu.message_id
    await alice.send("/help")
    await alice.wait_for("Заказчикам")
    async with market.svc.read() as tx:
        user = await tx.users.get(CLIENT)
    assert user is not None and user.locale_override == "ru"
    await alice.send("/jobs")
    await alice.wait_for("Открытых заказов сейчас нет")


# --- jobs -----------------------------------------------------------------------------------


async def test_jobs_are_listed_paginated_and_filtered(market: Market) -> None:
    alice, bob, _, _ = await people(market)
    svc = market.svc
    posted = [await jobs.post_job(svc, CLIENT, draft(f"Python task number {i}")) for i in range(12)]
    bakery = await jobs.post_job(svc, CLIENT, draft("Logo for a bakery", "design"))

    await bob.send("/jobs")
    first = await bob.wait_for("Open jobs")
    assert f"Job #{bakery.id}" in first.text
    assert first.text.index(f"Job #{bakery.id}") < first.text.index(f"Job #{posted[-1].id}")
    assert f"Job #{posted[3].id} " in first.text and f"Job #{posted[2].id} " not in first.text
    assert "▶" in labels(first) and "◀" not in labels(first)
    assert "Page 1" in first.text

    await bob.press(first, "▶")
    second = await bob.wait_for("Page 2")
    assert second.message_id == first.message_id  # edited in place
    assert [f"Job #{posted[i].id} " in second.text for i in range(4)] == [True] * 3 + [False]
    assert f"Job #{bakery.id} " not in second.text
    assert "◀" in labels(second) and "▶" not in labels(second)
    await bob.press(second, "◀")
    again = await bob.wait_for("Page 1")
    assert again.message_id == first.message_id and f"Job #{bakery.id}" in again.text

    await bob.send("/jobs design")
    design = await bob.wait_for("matching")
    assert f"Job #{bakery.id}" in design.text and "Python task" not in design.text
    assert not design.buttons or "▶" not in labels(design)

    await bob.send("/jobs Design")  # the category's name as the reader sees it
    named = await bob.wait_for("matching “Design”")
    assert f"Job #{bakery.id}" in named.text and "Python task" not in named.text

    await bob.send("/jobs Bakery")
    words = await bob.wait_for("matching “Bakery”")
    assert f"Job #{bakery.id}" in words.text and "Python" not in words.text

    await bob.send("/jobs programming task")
    prog = await bob.wait_for("matching")
    assert "Logo" not in prog.text and "▶" in labels(prog)
    await bob.press(prog, "▶")
    prog2 = await bob.wait_for("Page 2")
    assert prog2.message_id == prog.message_id
    assert f"Job #{posted[0].id} " in prog2.text and "Logo" not in prog2.text

    await bob.send("/jobs <nothing> matches")
    empty = await bob.wait_for("No open jobs match")
    assert "“<nothing> matches”" in empty.text

    # A job button opens the card.
    await bob.press(again, f"#{bakery.id}")
    card = await bob.wait_for("Budget")
    assert f"Job #{bakery.id}" in card.text

    # The client's own list: state and bid count.
    await bids.place_bid(svc, FREELANCER, bakery.id, 120, 4, "Sure")
    await alice.send("/myjobs")
    mine = await alice.wait_for("Your jobs")
    assert f"Job #{bakery.id} · Logo for a bakery · open for bids · 1 bid" in mine.text
    assert "▶" in labels(mine)


async def test_job_card_escapes_the_title_and_offers_bid_and_ask(market: Market) -> None:
    alice, bob, _, _ = await people(market)
    job = await jobs.post_job(market.svc, CLIENT, draft(TRICKY_TITLE))

    await bob.send(f"/job {job.id}")
    card = await bob.wait_for(f"Job #{job.id} · ")
    assert card.text.splitlines()[0] == f"Job #{job.id} · {TRICKY_TITLE}"
    assert 'C++ &lt;templates&gt; &amp; "quotes"' in card.html
    assert "Category:" in card.text and "Budget: 100 ⭐ – 200 ⭐" in card.text
    assert "Deadline: 2286-11-20" in card.text
    assert "Client: Alice, no ratings yet" in card.text
    assert "No bids yet" in card.text and "escrow, bids and disputes" in card.text
    assert labels(card) == ["Bid", "Ask"]
    await bob.press(card, "Ask")  # it asks for the question (tests/test_buttons_ask.py)
    asked = await bob.wait_for(f"about Job #{job.id}?")
    await bob.press(asked, "✖ Cancel")
    await bob.wait_for("Cancelled; nothing was sent.")

    # The deep link from the jobs channel shows the same card.
    await bob.send(f"/start job_{job.id}")
    linked = await bob.wait_for(f"Job #{job.id} · ")
    assert linked.text == card.text

    # The client sees a Bids button instead.
    await alice.send(f"/job {job.id}")
    own = await alice.wait_for(f"Job #{job.id} · ")
    assert labels(own) == ["Bids (0)"]

    for bad in ("/job", "/job abc", "/job -3"):
        await bob.send(bad)
        refusal = await bob.wait_for("Usage")
        assert refusal.text == "Usage: /job <job number>"
    await quiet(bob)


# --- bids -----------------------------------------------------------------------------------


async def test_bids_list_sort_and_accept_by_button(market: Market) -> None:
    alice, _, _, eve = await people(market)
    svc = market.svc
    job = await jobs.post_job(svc, CLIENT, draft("Scrape <b>prices</b> daily"))
    cheap = (await bids.place_bid(svc, FREELANCER, job.id, 120, 5, "I <3 scraping")).bid
    fast = (await bids.place_bid(svc, FREELANCER2, job.id, 150, 2, "Done in two days")).bid

    await alice.send(f"/bids {job.id}")
    listing = await alice.wait_for(lambda msg: "Bids on Job" in msg.text and not msg.edited)
    text = listing.text
    assert f"Bid #{cheap.id} · Bob (@bob) · 120 ⭐ in 5 days" in text
    assert f"Bid #{fast.id} · Carol (@carol) · 150 ⭐ in 2 days" in text
    assert "I <3 scraping" in text and "I &lt;3 scraping" in listing.html
    assert "no ratings yet · 0 jobs done · member since" in text
    for label in ("Shortlist", "Message", "Accept", "Decline"):
        assert f"{label} #{cheap.id}" in labels(listing)
    assert f"Trial #{cheap.id}" not in labels(listing)  # a trial needs the shortlist first
    assert {"price", "rating", "experience"} <= set(labels(listing))

    await alice.press(listing, "price")
    by_price = await alice.wait_for("Sorted by price")
    assert by_price.message_id == listing.message_id
    assert by_price.text.index(f"Bid #{cheap.id}") < by_price.text.index(f"Bid #{fast.id}")

    await alice.press(by_price, f"Message #{fast.id}")
    await alice.wait_for(f"Write your message on Bid #{fast.id}")
    await alice.send("/cancel")
    await alice.wait_for("Cancelled; nothing was sent.")

    # A stranger can't accept: one sentence, nothing changes.
    before = await snapshot(svc)
    eve.mark_read()
    await eve.send(f"/accept {cheap.id}")
    refusal = await eve.wait_for()
    assert refusal.text == f"Only the client of Job #{job.id} can accept bids."
    await quiet(eve)
    assert await snapshot(svc) == before

    # Bad input: one clear sentence.
    await alice.send("/accept")
    assert (await alice.wait_for("Usage")).text == "Usage: /accept <bid number>"
    await alice.send("/bids 1 cheapest")
    await alice.wait_for("Bids can be sorted by price, rating or experience.")

    await alice.press(listing, f"Accept #{cheap.id}")
    created = await alice.wait_for("Deal #1 created")
    assert created.text.startswith("Deal #1 created; pay the invoice below by ")
    async with svc.read() as tx:
        deals = await tx.deals.for_job(job.id)
    assert [(d.bid_id, d.state) for d in deals] == [(cheap.id, "awaiting_funding")]
    await market.server.wait_for_call("sendInvoice", timeout=5)


async def test_shortlist_decline_withdraw_and_my_bids(market: Market) -> None:
    alice, bob, _, _ = await people(market)
    svc = market.svc
    job = await jobs.post_job(svc, CLIENT, draft("Fix my CSS grid layout"))
    b1 = (await bids.place_bid(svc, FREELANCER, job.id, 100, 3, "Hi")).bid
    b2 = (await bids.place_bid(svc, FREELANCER2, job.id, 110, 3, "Hello")).bid

    await alice.send(f"/bids {job.id}")
    listing = await alice.wait_for(lambda msg: "Bids on Job" in msg.text and not msg.edited)
    await alice.press(listing, f"Shortlist #{b1.id}")
    await alice.wait_for(f"Bid #{b1.id} is shortlisted")
    await alice.send(f"/decline {b2.id} too <late>")
    await alice.wait_for(f"Bid #{b2.id} is declined")
    async with svc.read() as tx:
        declined = await tx.bids.get(b2.id)
    assert declined is not None and declined.decline_reason == "too <late>"

    await alice.send(f"/bids {job.id}")
    after = await alice.wait_for(lambda msg: "Bids on Job" in msg.text and not msg.edited)
    # The declined bid is still listed (and counted), marked, without buttons.
    assert "☆ shortlisted" in after.text and f"Bid #{b2.id}" in after.text
    assert "declined" in after.text and f"Decline #{b2.id}" not in labels(after)
    assert f"Shortlist #{b1.id}" not in labels(after)

    await alice.send(f"/trial {b1.id}")
    await alice.wait_for("Usage: /trial <bid number> <task>")
    await alice.send(f"/trial {b1.id} Style one card component")
    await alice.wait_for("Trial #1 is sent")

    await bob.send("/mybids")
    mine = await bob.wait_for("Your bids")
    assert f"Bid #{b1.id} on Job #{job.id} · Fix my CSS grid layout · 100 ⭐, 3 days" in mine.text
    await bob.send(f"/withdraw {b1.id}")
    await bob.wait_for(f"Bid #{b1.id} on Job #{job.id} is withdrawn.")
    await alice.send(f"/closejob {job.id}")
    await alice.wait_for(f"Job #{job.id} is closed for new bids")


# --- people ---------------------------------------------------------------------------------


async def test_profile_balance_payout_and_favourites(market: Market) -> None:
    alice, bob, _, _ = await people(market)
    from bot.services import profiles

    await profiles.edit_profile(
        market.svc,
        FREELANCER,
        bio="I write <fast> code",
        skills="Python, SQL",
        experience_years=7,
        portfolio=["https://example.org/a?x=1&y=2"],
    )
    await alice.send("/profile @bob")
    card = await alice.wait_for("Member since")
    for part in (
        "Bob (@bob) · user 2001",
        "I write <fast> code",
        "Skills: Python, SQL",
        "Experience: 7 years",
        "https://example.org/a?x=1&y=2",
        "Completed deals: 0",
        "Rating: no ratings yet",
        "Disputes lost: 0",
    ):
        assert part in card.text
    assert "&lt;fast&gt;" in card.html
    await alice.press(card, "☆ Add to favourites")
    await alice.wait_for("Bob is in your favourites")
    await alice.send("/favs")
    favs = await alice.wait_for("favourite freelancers")
    assert "Bob (@bob) · user 2001" in favs.text

    await bob.send("/profile")
    own = await bob.wait_for("Member since")
    assert "Bob (@bob)" in own.text and not own.buttons

    await bob.send("/balance")
    balance = await bob.wait_for("Your balance")
    assert "Available: 0 ⭐" in balance.text and "Pending payouts: 0 ⭐" in balance.text

    await alice.send("/fav")
    await alice.wait_for("Usage: /fav <@username or user id>")
    await alice.send("/invite @bob")
    await alice.wait_for("Usage: /invite <@username or user id> <job number>")


# --- messages -------------------------------------------------------------------------------


async def test_ask_and_a_reply_goes_back_into_the_thread(market: Market) -> None:
    alice, bob, _, _ = await people(market)
    svc = market.svc
    job = await jobs.post_job(svc, CLIENT, draft("Translate a <small> app"))

    await bob.send(f"/ask {job.id}")
    await bob.wait_for("Usage: /ask <job number> <question>")
    await bob.send(f"/ask {job.id} Is <b>React</b> & co\nfine?")
    sent = await bob.wait_for(f"Your question about Job #{job.id} is sent to the client")
    assert "Is <b>React</b> & co fine?" in sent.text  # quoted, as typed (and escaped)
    question = await relayed_to(market, CLIENT, "notify.question")

    await alice.send("Yes, <i>all</i> fine", reply_to=question)
    await alice.wait_for("Your reply is sent.")
    answer = await relayed_to(market, FREELANCER, "notify.message")
    await bob.send("Great, thanks", reply_to=answer)  # the thread goes on
    await bob.wait_for("Your reply is sent.")
    await relayed_to(market, CLIENT, "notify.message")
    thread = [
        (FREELANCER, CLIENT, "Is <b>React</b> & co\nfine?"),
        (CLIENT, FREELANCER, "Yes, <i>all</i> fine"),
        (FREELANCER, CLIENT, "Great, thanks"),
    ]
    assert await stored_messages(svc) == thread

    # A reply to anything else is stray text.
    await alice.send("/help")
    help_msg = await alice.wait_for("Clients")
    await alice.send("what?", reply_to=help_msg)
    await alice.wait_for("I answer commands only; /help lists them.")

    bob.mark_read()
    await bob.send("/msg 99 hello")
    assert (await bob.wait_for()).text == "There is no Bid #99."
    await quiet(bob)
    await bob.send("/msg")
    await bob.wait_for("Usage: /msg <bid number> <text>")
    assert await stored_messages(svc) == thread


async def stored_messages(svc: Services) -> list[tuple]:
    async with svc.read() as tx:
        rows = await tx.fetchall("SELECT sender_id, recipient_id, text FROM messages ORDER BY id")
    return [tuple(r) for r in rows]


# --- without Telegram -----------------------------------------------------------------------


def test_main_messages_match_in_both_languages() -> None:
    from bot.i18n import LOCALES_DIR, I18n

    i18n = I18n()
    ids = {}
    for lang in ("en", "ru"):
        text = (LOCALES_DIR / lang / "main.ftl").read_text(encoding="utf-8")
        ids[lang] = {
            line.split(" =")[0]
            for line in text.splitlines()
            if " =" in line[:60] and line[:1].isalpha()
        }
    assert ids["en"] == ids["ru"] and len(ids["en"]) > 100
    for mid in ids["en"]:
        assert i18n.sources["en"][mid] == i18n.sources["ru"][mid], mid


def test_pages() -> None:
    from bot.views.pages import nav_row, page_of

    items = list(range(23))
    first, last = page_of(items, 0), page_of(items, 9)
    assert first.items == list(range(10)) and not first.has_prev and first.has_next
    assert last.number == 2 and last.items == [20, 21, 22] and last.has_prev and not last.has_next
    assert nav_row(page_of(items, 1), "jobs", "tok") == [
        ("◀", ("cb", "jobs", "tok", 0)),
        ("▶", ("cb", "jobs", "tok", 2)),
    ]
    assert nav_row(page_of(items[:10], 0), "jobs") == []
