"""Answers that are true: a reply survives Telegram's 429s and network errors once the change
it reports is committed, and "nothing was changed" is said only when nothing was.

Through the real stack: the loopback Bot API server refuses the bot's sendMessage calls
(`flood`, `inject_fault`) while a freelancer bids from the chat.
"""

from __future__ import annotations

import pytest

from sandbox.botapi import SimUser
from tests import factories as f
from tests.factories import CLIENT, FREELANCER
from tests.harness import Market

NOTHING_CHANGED = "nothing was changed"
WENT_THROUGH = "Your request went through"

pytestmark = [
    pytest.mark.usefixtures("market_engine"),  # on both engines
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning"),
]


async def _open_job(m: Market) -> tuple[SimUser, SimUser, int]:
    alice, bob = m.person(CLIENT, "Alice"), m.person(FREELANCER, "Bob")
    for user in (alice, bob):
        await user.send("/start")
        await user.wait_for("Welcome")
    job = await f.job(m.svc, CLIENT)
    return alice, bob, job.id


async def _bids(m: Market) -> list[tuple[int, int]]:
    async with m.svc.read() as tx:
        rows = await tx.fetchall("SELECT freelancer_id, amount FROM bids")
    return [(r["freelancer_id"], r["amount"]) for r in rows]


async def test_a_bid_placed_during_seconds_of_429s_is_answered_and_notified(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob, job = await _open_job(m)
        m.server.flood("sendMessage", retry_after=1, times=None, seconds=6)
        await bob.send(f"/bid {job} 150 3 I can do it")
        placed = await bob.wait_for("is placed", timeout=20)
        assert f"on Job #{job}" in placed.text
        await alice.wait_for("New bid", timeout=20)
        assert await _bids(m) == [(FREELANCER, 150)]
        # The reply outlived the rate limiter's retries and went through the outbox.
        async with m.svc.read() as tx:
            row = await tx.fetchone("SELECT state FROM outbox WHERE key = 'reply.text'")
        assert row is not None and row["state"] == "sent"
        for user in (alice, bob):
            assert NOTHING_CHANGED not in user.transcript()


async def test_one_429_on_the_chat_is_retried_and_nobody_hears_nothing_changed(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob, job = await _open_job(m)
        await bob.send(f"/bid {job} 150 3 I can do it")
        await bob.wait_for("is placed")
        await alice.wait_for("New bid")
        m.server.inject_fault("sendMessage", status=429, retry_after=1, chat_id=bob.id)
        await bob.send(f"/bid {job} 120 2 Cheaper and sooner")
        await bob.wait_for("is updated", timeout=10)
        await alice.wait_for("updated Bid", timeout=10)
        assert await _bids(m) == [(FREELANCER, 120)]
        for user in (alice, bob):
            assert NOTHING_CHANGED not in user.transcript()
            assert WENT_THROUGH not in user.transcript()


@pytest.mark.parametrize("fault", [{"status": 500}, {"drop": True, "status": None}])
async def test_a_reply_lost_after_the_commit_still_arrives(tmp_path, fault) -> None:
    async with Market(tmp_path) as m:
        alice, bob, job = await _open_job(m)
        m.server.inject_fault("sendMessage", chat_id=bob.id, **fault)
        await bob.send(f"/bid {job} 150 3 I can do it")
        await bob.wait_for("is placed", timeout=10)
        await alice.wait_for("New bid", timeout=10)
        assert await _bids(m) == [(FREELANCER, 150)]
        assert NOTHING_CHANGED not in bob.transcript()


async def test_a_reply_refused_after_the_commit_says_the_request_went_through(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob, job = await _open_job(m)
        m.server.inject_fault("sendMessage", chat_id=bob.id, status=400, description="Bad")
        await bob.send(f"/bid {job} 150 3 I can do it")
        told = await bob.wait_for(WENT_THROUGH, timeout=10)
        assert "/mybids" in told.text and NOTHING_CHANGED not in bob.transcript()
        await alice.wait_for("New bid", timeout=10)
        assert await _bids(m) == [(FREELANCER, 150)]


async def test_a_failure_before_any_commit_says_nothing_was_changed(tmp_path) -> None:
    async with Market(tmp_path) as m:
        _alice, bob, _job = await _open_job(m)
        m.server.inject_fault("sendMessage", chat_id=bob.id, status=500)
        await bob.send("/help")  # a read: its reply lost, nothing to tell but the truth
        await bob.wait_for(NOTHING_CHANGED, timeout=10)
        assert WENT_THROUGH not in bob.transcript()


async def test_the_error_sentence_is_in_the_persons_language(tmp_path) -> None:
    async with Market(tmp_path) as m:
        _alice, _bob, job = await _open_job(m)
        ivan = m.person(FREELANCER + 7, "Иван", language="ru")
        await ivan.send("/start")
        await ivan.wait_for("")
        m.server.inject_fault("sendMessage", chat_id=ivan.id, status=400, description="Bad")
        await ivan.send(f"/bid {job} 150 3 Сделаю")
        await ivan.wait_for("Ваш запрос выполнен", timeout=10)
