"""Odd digits and sizes: every number and id a person types is read by one rule (ASCII
digits, within the field's range, bot.domain.numbers). A wrong one gets one sentence, changes
nothing and pages no moderator; a hint button answers its press once.
"""

from __future__ import annotations

import pytest

from bot.domain import numbers, rules
from bot.domain.errors import InvalidInput
from bot.domain.money import parse_amount
from sandbox.botapi import SimUser
from tests import factories as f
from tests.factories import CLIENT, FREELANCER
from tests.harness import Market

INTERNAL = "Something went wrong"
GROUP = -100500  # MODERATOR_CHAT_ID (tests.conftest.make_settings)
ADMIN = 9001

SNAPSHOT = {
    "jobs": "SELECT * FROM jobs",
    "bids": "SELECT * FROM bids",
    "deals": "SELECT * FROM deals",
    "events": "SELECT * FROM deal_events",
    "ledger": "SELECT * FROM ledger_entries",
    "outbox": "SELECT id, chat_id, key, params FROM outbox",
}

ODD = [
    ("bob", "/job ²"),
    ("bob", "/job ３"),  # a fullwidth digit: int() would take it
    ("bob", "/job ٣"),  # an Arabic-Indic digit: int() would take it
    ("alice", "/accept ³"),
    ("bob", "/deal ¹"),
    ("bob", "/bid ² 10 3 hello"),
    ("bob", "/bid 1 10 ³ hello"),
    ("bob", "/bid 1 ١٠ 3 hello"),
    ("bob", "/start job_²"),
    ("bob", "/start job_" + "9" * 30),  # beyond SQLite's 64-bit integers
    ("bob", "/start job_" + "9" * 19),
    ("bob", "/start bid_<b>"),
    ("bob", "/start bid_"),
    ("bob", "/start bid_²"),
    ("mia", "/resolve 1 split ³"),
    ("alice", "/rate 1 ²"),
    ("bob", "/log 1 ²"),
    ("bob", "/log 1 1e1"),  # float() reads ten hours
    ("bob", "/extend 1 ²d"),
    ("bob", "/payout ²"),
]


async def _snapshot(m: Market) -> dict[str, list[tuple]]:
    async with m.svc.read() as tx:
        return {k: [tuple(r) for r in await tx.fetchall(sql)] for k, sql in SNAPSHOT.items()}


async def _answers(m: Market, user: SimUser, text: str) -> list[str]:
    """What the bot says to `text`: every message up to the answer to a /help sent after it
    (one person's updates are handled in order)."""
    before = len(m.server.chat_messages(user.id))
    user.mark_read()
    await user.send(text)
    await user.send("/help")
    await user.wait_for("Clients", timeout=10)
    return [msg.text for msg in m.server.chat_messages(user.id)[before:-1]]


async def test_odd_numbers_get_one_sentence_and_change_nothing(tmp_path) -> None:
    async with Market(tmp_path) as m:
        m.server.add_chat(GROUP, "supergroup", "Moderators", {ADMIN: "member"})
        people = {
            "alice": m.person(CLIENT, "Alice"),
            "bob": m.person(FREELANCER, "Bob"),
            "mia": m.person(ADMIN, "Mia"),
        }
        for user in people.values():
            await user.send("/start")
            await user.wait_for("Welcome")
        await f.funded_deal(m.svc)  # Job #1, Bid #1, Deal #1
        await m.settle()
        before = await _snapshot(m)
        m.server.reset_calls()
        problems = {}
        for who, text in ODD:
            said = await _answers(m, people[who], text)
            if len(said) != 1 or INTERNAL in said[0]:
                problems[text] = said
        assert problems == {}
        assert await _snapshot(m) == before
        paged = [c for c in m.server.calls_of("sendMessage") if str(c.get("chat_id")) == str(GROUP)]
        assert paged == []


async def test_a_button_that_asks_answers_its_press_once(tmp_path) -> None:
    async with Market(tmp_path) as m:
        bob = m.person(FREELANCER, "Bob")
        await f.people(m.svc, CLIENT)
        await bob.send("/start")
        await bob.wait_for("Welcome")
        deal = await f.funded_deal(m.svc)
        await bob.send(f"/deal {deal.id}")
        card = await bob.wait_for(lambda msg: msg.find_button("📦 Deliver") is not None)
        # The funding's notices first (the client never started the bot: theirs fail, 403),
        # so that the calls counted below are the press's own.
        await m.settle()
        m.server.reset_calls()
        press = await bob.press(card, "📦 Deliver")
        answer = await press.wait_answer()
        assert not answer.get("text")  # answered quietly: the question follows
        await bob.wait_for(f"Send the work for Deal #{deal.id}")
        await bob.send("/help")  # a command instead: the question is dropped, /help runs
        await bob.wait_for("Clients")  # the press is handled to its end
        assert m.server.call_count("answerCallbackQuery") == 1
        failed = [
            (c.method, c.params.get("chat_id"), c.description) for c in m.server.failed_calls()
        ]
        assert failed == []


@pytest.mark.parametrize("text", ["²", "３", "٣", "+5", "1_0", " ", "", "-1", "5.0", "0x5"])
def test_the_rule_takes_ascii_digits_only(text: str) -> None:
    assert numbers.whole(text) is None or text.strip() == "5.0"
    assert numbers.entity_id(text) is None
    with pytest.raises(InvalidInput):
        rules.parse_days(text)
    with pytest.raises(InvalidInput):
        rules.parse_stars(text)


def test_the_rule_reads_what_people_mean() -> None:
    assert numbers.entity_id("#34") == 34 and numbers.entity_id(" 7 ") == 7
    assert numbers.entity_id(str(numbers.ID_MAX)) == numbers.ID_MAX
    assert numbers.entity_id(str(numbers.ID_MAX + 1)) is None
    assert numbers.entity_id("0") is None
    assert rules.parse_percent("30%") == 30 and rules.parse_percent("100") == 100
    assert rules.hours_to_minutes("1,5") == 90 and rules.hours_to_minutes("0.25") == 15
    for hours in ("1e1", "inf", "nan", "²", "25"):
        with pytest.raises(InvalidInput):
            rules.hours_to_minutes(hours)
    assert parse_amount("99.50", "USD") == 9950 and parse_amount("150", "XTR") == 150
    for amount in ("١٥٠", "1_000", "+5", "99.5"):
        with pytest.raises(InvalidInput):
            parse_amount(amount, "XTR")
