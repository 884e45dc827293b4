"""An answer owed by a handling that is over is never silence (bot/services/lost_answers.py).

Through the real stack on both engines (tests/test_inbox_crash.py kills a real process at
that moment). Bob's /bid commits (the bid and the inbox mark, its answer owed) and its answer
never gets out: the loopback Bot API holds the sendMessage, or refuses it and the answer's
queuing in the outbox never ends; then the bot is gone at once (its handling stopped where it
was, nothing of it runs again: no closing transaction, its turns not given back). At the next
start Bob hears, once, in his language, that his /bid was received and done and its answer
lost; the bid is there once and the update was not handled again. A handling that ends
normally owes nothing, and the runner's pass (driven here directly) tells no one.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.handlers import base
from bot.services import lost_answers
from bot.services.lost_answers import what_was_sent
from bot.updates import InboxRunner, _live
from sandbox.botapi import SimUser
from tests import factories as f
from tests.factories import CLIENT, FREELANCER
from tests.harness import Market

pytestmark = [
    pytest.mark.usefixtures("market_engine"),  # on both engines
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning"),
]

LOST = {"en": "was received and done, but its answer was lost", "ru": "ответ на него потерялся"}


async def _open_job(m: Market, language: str) -> tuple[SimUser, SimUser, int]:
    alice = m.person(CLIENT, "Alice")
    bob = m.person(FREELANCER, "Bob", language=language)
    for user in (alice, bob):
        await user.send("/start")
        await user.wait_for("")
    job = await f.job(m.svc, CLIENT)
    return alice, bob, job.id


async def _rows(m: Market, sql: str, params: tuple = ()) -> list[dict]:
    async with m.svc.read() as tx:
        return [dict(r) for r in await tx.fetchall(sql, params)]


def _runner(m: Market) -> InboxRunner:
    assert m.app is not None
    return m.app.bot_data["inbox"]


async def _until(condition, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        assert loop.time() < end, "condition not reached"
        await asyncio.sleep(0.01)


async def _gone(m: Market) -> None:
    """The bot's process gone at once: its handlings stop where they are and nothing of the
    runner runs again (no closing transaction, no turn given back); then the rest of the
    Application is put away so that the test can start another."""
    runner = _runner(m)
    runner._stopping = True
    _live.discard(runner)  # as if its process no longer ran
    tasks = [t for t in asyncio.all_tasks() if t.get_name().startswith(("update-", "inbox-"))]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    async def no_cleanup() -> None:
        return None

    runner.stop = no_cleanup  # type: ignore[method-assign]
    await m.stop_bot()


@pytest.mark.parametrize(
    ("how", "language"), [("answer held", "en"), ("queuing after a failed send", "ru")]
)
async def test_a_bot_gone_between_the_commit_and_the_answer_tells_once(
    tmp_path, monkeypatch, how: str, language: str
) -> None:
    async with Market(tmp_path) as m:
        alice, bob, job = await _open_job(m, language)
        text = f"/bid {job} 150 3 <b>I</b> can do it"
        if how == "answer held":
            hold = m.server.hold(bob.id, "sendMessage")
        else:
            m.server.inject_fault("sendMessage", chat_id=bob.id, status=500)
            queuing = asyncio.Event()

            async def queue_never_ends(*_args: object, **_kw: object) -> int:
                queuing.set()
                await asyncio.Event().wait()
                return 0

            monkeypatch.setattr(base, "queue_reply", queue_never_ends)
        await bob.send(text)
        if how == "answer held":
            await _until(lambda: hold.hits >= 1)
        else:
            await asyncio.wait_for(queuing.wait(), 10)
        # Committed: the bid and the mark, its answer owed.
        assert len(await _rows(m, "SELECT id FROM bids")) == 1
        owed = await _rows(m, "SELECT update_id, handled_by FROM inbox WHERE answer_owed > 0")
        assert len(owed) == 1
        first = owed[0]["handled_by"]
        await _gone(m)
        if how == "answer held":
            hold.drop = True  # the held call is never performed
            hold.release()
        else:
            monkeypatch.undo()

        await m.start_bot()  # frees the dead runner's turns, finds the owed answer
        told = await bob.wait_for(LOST[language], timeout=10)
        assert "/bid" in told.text and "&lt;b&gt;I&lt;/b&gt;" not in told.text
        assert "<b>I</b> can do it" in told.text  # quoted as typed, escaped on the way
        assert "/deals" in told.text
        await m.quiet()
        await m.settle()
        assert await _runner(m).settle_lost() == 0
        await m.restart()
        assert await _runner(m).settle_lost() == 0
        await m.settle()

        said = [msg.text for msg in bob.messages]
        assert sum(LOST[language] in s for s in said) == 1, said
        assert not any("is placed" in s or "размещена" in s for s in said), said
        assert len(await _rows(m, "SELECT id FROM bids")) == 1
        inbox = await _rows(
            m,
            "SELECT update_id, handled_by, answer_owed FROM inbox WHERE update_id = ?",
            (owed[0]["update_id"],),
        )
        assert inbox == [{**owed[0], "handled_by": first, "answer_owed": None}]  # once
        lost = await _rows(m, "SELECT chat_id, state FROM outbox WHERE key = 'reply.lost'")
        assert lost == [{"chat_id": bob.id, "state": "sent"}]
        await alice.wait_for("New bid", timeout=10)  # the notification was in the outbox


async def test_a_handling_that_ends_normally_owes_nothing(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob, job = await _open_job(m, "en")
        await bob.send(f"/bid {job} 150 3 I can do it")
        await bob.wait_for("is placed")
        await alice.wait_for("New bid")
        await bob.send("/mybids")  # a read: marked at its end, nothing owed either
        await bob.wait_for(f"Job #{job}")
        await m.quiet()
        rows = await _rows(m, "SELECT handled_at, answer_owed FROM inbox")
        assert rows and all(r["handled_at"] is not None for r in rows)
        assert [r for r in rows if r["answer_owed"] is not None] == []
        assert await _runner(m).settle_lost() == 0
        assert await _rows(m, "SELECT id FROM outbox WHERE key = 'reply.lost'") == []
        assert LOST["en"] not in bob.transcript()


def test_what_the_person_sent_is_read_from_the_stored_update() -> None:
    message = {"message_id": 5, "chat": {"id": 77}, "text": "/release 12"}
    assert what_was_sent(json.dumps({"update_id": 1, "message": message})) == (
        77,
        "message",
        "/release 12",
    )
    long = {"chat": {"id": 77}, "caption": "word " * 40}
    chat, kind, said = what_was_sent(json.dumps({"update_id": 2, "message": long}))
    assert (chat, kind, len(said), said[-1]) == (77, "message", 60, "…")
    pressed = {
        "id": "q",
        "from": {"id": 9},
        "data": "b:2",
        "message": {
            "chat": {"id": 9},
            "reply_markup": {
                "inline_keyboard": [
                    [{"text": "Accept #3", "callback_data": "b:1"}],
                    [{"text": "Decline #3", "callback_data": "b:2"}],
                ]
            },
        },
    }
    assert what_was_sent(json.dumps({"update_id": 3, "callback_query": pressed})) == (
        9,
        "button",
        "Decline #3",
    )
    paid = {"chat": {"id": 4}, "successful_payment": {"total_amount": 150}}
    assert what_was_sent(json.dumps({"update_id": 4, "message": paid})) == (4, "payment", "")
    photo = {"chat": {"id": 4}, "photo": [{"file_id": "x"}]}
    assert what_was_sent(json.dumps({"update_id": 5, "message": photo})) == (4, "other", "")
    assert what_was_sent("not json") == (None, "other", "")


async def test_a_runners_own_handling_that_closed_without_clearing_is_told_once_over(
    tmp_path,
) -> None:
    """The runner's own owed answer (its closing transaction failed, say: the person's turn
    stays the runner's) is left alone by the others (the holder lives) and by the runner
    while the person is in its hands, and told once the handling is over."""
    async with Market(tmp_path) as m:
        _alice, bob, job = await _open_job(m, "en")
        await bob.send(f"/bid {job} 150 3 I can do it")
        await bob.wait_for("is placed")
        await m.quiet()
        runner = _runner(m)
        async with m.svc.tx() as tx:  # as if its closing transaction had not committed
            await tx.execute(
                "UPDATE inbox SET answer_owed = 1 WHERE update_id ="
                " (SELECT MAX(update_id) FROM inbox) AND handled_by = ?",
                (runner.name,),
            )
            await tx.inbox.take_turn(bob.id, runner.name)  # the release rolled back with it
        owed = await _rows(m, "SELECT update_id FROM inbox WHERE answer_owed IS NOT NULL")
        assert len(owed) == 1
        assert await lost_answers.settle(m.svc, runner.name, in_hand={bob.id}) == 0
        assert await lost_answers.settle(m.svc, "another:1:1") == 0  # its turn-holder lives
        assert await runner.settle_lost() == 1
        assert await runner.settle_lost() == 0
        told = await bob.wait_for(LOST["en"], timeout=10)
        assert f"/bid {job} 150 3 I can do it" in told.text
        assert len(await _rows(m, "SELECT id FROM outbox WHERE key = 'reply.lost'")) == 1
