"""The send budget instances share (bot/pacing.py, bot/storage/budget.py) on a real database
(an SQLite file and a PostgreSQL database), with two connections (pools) standing for two
instances: a window hands out its tokens once between them, a Pacer sends only with tokens
it holds (answers first), a 429 closes the budget for every instance."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from bot.pacing import (
    ANSWER_LANE,
    PER_WINDOW,
    WINDOW,
    Pacer,
    SharedBudget,
    window_of,
)
from bot.storage.budget import BOT
from tests.conftest import make_settings


async def claim(db, window: int, want: int, limit: int = PER_WINDOW, name: str = BOT) -> int:
    async with db.transaction(0) as tx:
        return await tx.send_budget.claim(name, window, want, limit)


async def test_a_window_hands_out_its_tokens_once_between_instances(dbs) -> None:
    a, b = dbs
    assert await claim(a, 100, 3) == 3
    assert await claim(b, 100, 3) == 2  # what is left
    assert await claim(a, 100, 1) == 0
    assert await claim(b, 101, 9) == PER_WINDOW  # a new window, at most its limit
    assert await claim(a, 100, 1) == 0  # an older window than the row's: nothing
    assert await claim(a, 102, 2, limit=4) == 2  # notifications alone leave room
    assert await claim(b, 102, 5, limit=4) == 2
    assert await claim(a, 102, 5, limit=5) == 1  # the answers' token
    assert await claim(a, 103, 0) == 0
    # A budget of its own (a group's) is made on first use.
    assert await claim(a, 7, 2, limit=2, name="group:-100") == 2
    assert await claim(b, 7, 1, limit=2, name="group:-100") == 0


async def test_concurrent_claims_never_hand_out_more_than_the_window(dbs) -> None:
    a, b = dbs
    for window in range(200, 205):
        got = await asyncio.gather(*(claim((a, b)[n % 2], window, 1) for n in range(12)))
        assert sum(got) == PER_WINDOW, got


async def test_an_emptied_table_is_seeded_again(dbs) -> None:
    a, _b = dbs
    async with a.transaction(0) as tx:
        await tx.execute("DELETE FROM send_budget")
    assert await claim(a, 5, 2) == 2


class Recorded(SharedBudget):
    """The database's budget, each grant recorded by window (for the assertions)."""

    def __init__(self, db, grants: Counter[int], name: str = BOT) -> None:
        super().__init__(db)
        self.grants = grants
        self.name = name

    async def claim(self, name: str, window_no: int, want: int, limit: int) -> int:
        got = await super().claim(name, window_no, want, limit)
        if name == self.name:
            self.grants[window_no] += got
        return got


async def test_two_pacers_over_one_database_stay_within_the_budget(dbs) -> None:
    """Two instances, each with a backlog of notifications and some answers: between them
    no window hands out more than PER_WINDOW tokens (so no second more than 30 sends), every
    send went with a token, and both instances sent. The Pacers' own rate is above the
    budget's: the budget is what holds them."""
    grants: Counter[int] = Counter()
    pacers = [Pacer(rate=100, budget=Recorded(db, grants)) for db in dbs]
    sent: list[tuple[int, int]] = []

    async def send(n: int, lane: int) -> None:
        await pacers[n].wait(lane)
        sent.append((n, lane))

    per = 3 * PER_WINDOW
    await asyncio.gather(
        *(send(n, ANSWER_LANE if i % 5 == 0 else 2) for n in (0, 1) for i in range(per))
    )
    assert len(sent) == 2 * per
    assert sum(grants.values()) >= len(sent)
    assert max(grants.values()) <= PER_WINDOW, grants
    windows = sorted(grants)
    for first in windows:  # any second meets at most 1/WINDOW + 1 windows
        meets = range(first, first + round(1 / WINDOW) + 1)
        assert sum(grants[w] for w in meets) <= 30
    assert {n for n, _lane in sent} == {0, 1}
    assert all(p.claims < len(sent) for p in pacers)  # claims are batched


class Gate:
    """A budget that grants one token a claim, once the test opens it."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.limits: list[int] = []

    async def claim(self, name: str, window_no: int, want: int, limit: int) -> int:
        self.limits.append(limit)
        await self.open.wait()
        return 1

    async def close(self, name: str, until_window: int, limit: int) -> None:
        """Not used here."""


async def test_answers_first_with_a_shared_budget() -> None:
    gate = Gate()
    pacer = Pacer(rate=1000, budget=gate)
    order: list[str] = []

    async def send(name: str, lane: int) -> None:
        await pacer.wait(lane)
        order.append(name)

    tasks = [asyncio.create_task(send(f"n{i}", 2)) for i in range(3)]
    await asyncio.sleep(0.01)  # the notifications wait for the first claim
    assert gate.limits == [PER_WINDOW - 1]  # notifications alone leave a token to answers
    tasks.append(asyncio.create_task(send("answer", ANSWER_LANE)))
    await asyncio.sleep(0.01)
    gate.open.set()
    await asyncio.gather(*tasks)
    assert order[0] == "answer", order


async def test_a_429_closes_the_budget_for_every_instance(dbs) -> None:
    a, b = dbs
    pacer = Pacer(budget=SharedBudget(a))
    pacer.pause(1.0)
    await asyncio.gather(*pacer._closing)
    assert await claim(b, window_of(time.time()), 1) == 0  # the other instance waits too
    assert await claim(b, window_of(time.time() + 1.0) + 1, 1) == 1  # until the pause ends
    loop = asyncio.get_running_loop()
    assert pacer._last > loop.time()  # and this one


def test_the_budget_is_shared_on_postgresql_by_default() -> None:
    pg = "postgresql://u:p@h/db"
    assert not make_settings(database_url="sqlite:///x.db").shares_send_budget
    assert make_settings(database_url=pg).shares_send_budget
    assert not make_settings(database_url=pg, send_budget="local").shares_send_budget
    assert make_settings(database_url="sqlite:///x.db", send_budget="shared").shares_send_budget


async def take(db, chat: str, now_ms: int, window_ms: int = 60_000, limit: int = 3) -> int:
    async with db.transaction(now_ms // 1000) as tx:
        return await tx.group_sends.take(chat, now_ms, window_ms, limit)


async def test_a_groups_window_slides_over_the_instances_sends(dbs) -> None:
    a, b = dbs
    t = 1_800_000_000_000
    assert await take(a, "-100", t) == 0
    assert await take(b, "-100", t + 1_000) == 0
    assert await take(a, "-100", t + 2_000) == 0
    assert await take(b, "-100", t + 3_000) == 57_000  # full: until the first send ages out
    assert await take(a, "-200", t + 3_000) == 0  # another group has a window of its own
    assert await take(b, "-100", t + 60_000) == 0  # the first has left the window
    assert await take(a, "-100", t + 60_500) == 500  # the second leaves it at t + 61 s
    async with a.transaction(0) as tx:
        held = await tx.fetchone("SELECT COUNT(*) FROM group_sends WHERE chat = '-100'")
    assert held[0] == 3  # sends older than the window are forgotten


async def test_concurrent_takes_for_one_group_let_its_limit_go(dbs) -> None:
    a, b = dbs
    t = 1_800_000_000_000
    got = await asyncio.gather(*(take((a, b)[n % 2], "-300", t + n, limit=5) for n in range(12)))
    assert got.count(0) == 5, got  # the others are told to wait


async def test_two_pacers_share_a_groups_window_and_its_429(dbs) -> None:
    first, second = (
        Pacer(group_per_minute=2, budget=SharedBudget(db), groups=SharedBudget(db)) for db in dbs
    )
    assert await first.group_wait(-500) == 0
    assert await second.group_wait(-500) == 0
    assert 60 <= await first.group_wait(-500) <= 61  # the other instance's send counted
    assert await second.group_wait(42) == 0  # a private chat never waits
    second.hold_group(-600, 30)
    await asyncio.gather(*second._closing)
    assert 29 <= await first.group_wait(-600) <= 30
