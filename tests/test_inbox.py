"""The inbox's rules on a real database (bot/storage/inbox.py; an SQLite file and a
PostgreSQL database), with two connections (pools) standing for two processes: an update
stored once, marked once (a second handling rolls back with its effects), a person's turn
held by one holder at a time, given back only when nothing of theirs is left, taken over
only once its lease ended."""

from __future__ import annotations

import asyncio

import pytest

from bot.storage.db import set_write_hook
from bot.storage.inbox import AlreadyHandled

A, B = "host:1:1", "host:2:1"


async def test_an_update_is_stored_once(dbs) -> None:
    db, _ = dbs
    async with db.transaction(100) as tx:
        await tx.inbox.store([(7, 1001, '{"update_id":7}'), (8, 1001, '{"update_id":8}')])
    async with db.transaction(200) as tx:
        await tx.inbox.store([(7, 1001, '{"update_id":7,"again":true}')])  # a repeat
    async with db.read(0) as tx:
        row = await tx.inbox.get(7)
        assert row is not None and row["payload"] == '{"update_id":7}'
        assert row["received_at"] == 100 and row["handled_at"] is None
        assert (await tx.fetchone("SELECT COUNT(*) FROM inbox"))[0] == 2


async def test_a_second_handling_rolls_back_with_its_effects(dbs) -> None:
    first, second = dbs
    async with first.transaction(100) as tx:
        await tx.inbox.store([(7, 1001, "{}")])
        await tx.inbox.take_turn(1001, A)
    async with first.transaction(101) as tx:
        await tx.execute("INSERT INTO sync_marks (name, position, updated_at) VALUES ('a', 1, 1)")
        await tx.inbox.mark_handled(7, A)
    # Another process handling the same update (its lease had ended, say): refused, and
    # what it wrote in that transaction is gone with it.
    with pytest.raises(AlreadyHandled):
        async with second.transaction(102) as tx:
            await tx.execute(
                "INSERT INTO sync_marks (name, position, updated_at) VALUES ('b', 1, 1)"
            )
            await tx.inbox.mark_handled(7, B)
    async with second.read(0) as tx:
        marks = [r[0] for r in await tx.fetchall("SELECT name FROM sync_marks")]
        row = await tx.inbox.get(7)
    assert marks == ["a"]
    assert row is not None and (row["handled_at"], row["handled_by"]) == (101, A)


async def test_the_write_hook_marks_with_the_first_counted_write(dbs) -> None:
    """db.transaction() runs the update's hook inside the transaction, before COMMIT."""
    from bot.storage.db import commits_not_counted

    db, _ = dbs
    async with db.transaction(1) as tx:
        await tx.inbox.store([(9, 1001, "{}")])
    seen: list[str] = []

    class Hook:
        async def before_commit(self, tx) -> None:
            seen.append("before")
            await tx.inbox.mark_handled(9, A)

        def committed(self) -> None:
            seen.append("committed")

    set_write_hook(Hook())
    try:
        with commits_not_counted():  # bookkeeping: not the update's effect
            async with db.transaction(2) as tx:
                await tx.execute("SELECT 1")
        assert seen == []
        async with db.transaction(3) as tx:
            await tx.execute(
                "INSERT INTO sync_marks (name, position, updated_at) VALUES (?, ?, ?)", ("x", 1, 1)
            )
        assert seen == ["before", "committed"]
    finally:
        set_write_hook(None)
    async with db.read(0) as tx:
        assert (await tx.inbox.get(9))["handled_at"] == 3


async def test_a_turn_is_one_holders_until_given_back_or_its_lease_ends(dbs) -> None:
    first, second = dbs
    async with first.transaction(1000) as tx:
        await tx.inbox.store([(1, 1001, "{}"), (2, 1001, "{}"), (3, 2002, "{}")])
        assert await tx.inbox.take_turn(1001, A, lease=30)
    async with second.transaction(1001) as tx:
        assert not await tx.inbox.take_turn(1001, B, lease=30)  # held, lease running
        assert await tx.inbox.take_turn(2002, B, lease=30)
        assert await tx.inbox.next_for(1001, B) is None  # not B's turn
    async with first.transaction(1002) as tx:
        assert (await tx.inbox.next_for(1001, A))["update_id"] == 1
        await tx.inbox.mark_handled(1, A)
        assert not await tx.inbox.release_turn(1001, A)  # update 2 still waits
        assert (await tx.inbox.next_for(1001, A))["update_id"] == 2
        assert await tx.inbox.waiting("host:3:1", 10) == []  # both have a live holder
    # A stops renewing (its process died on another host): after the lease, B takes over.
    async with second.transaction(1040) as tx:
        assert await tx.inbox.waiting(B, 10) == [1001, 2002]  # B's own included
        assert await tx.inbox.take_turn(1001, B, lease=30)
        await tx.inbox.mark_handled(2, B)
        assert await tx.inbox.release_turn(1001, B)
        assert not await tx.inbox.holds_turn(1001, B)
    async with first.transaction(1041) as tx:
        assert await tx.inbox.next_for(1001, A) is None  # A lost it
        assert not await tx.inbox.release_turn(1001, A)
        assert await tx.inbox.drop_turns(B) == 1
        assert await tx.inbox.holders() == []


async def test_renewed_turns_and_pruning(dbs) -> None:
    db, _ = dbs
    async with db.transaction(1000) as tx:
        await tx.inbox.store([(1, 1001, "{}"), (2, 1002, "{}")])
        await tx.inbox.take_turn(1001, A, lease=30)
    async with db.transaction(1025) as tx:
        assert await tx.inbox.renew_turns(A, lease=30) == 1
    async with db.transaction(1040) as tx:
        assert not await tx.inbox.take_turn(1001, B, lease=30)  # renewed until 1055
        await tx.inbox.mark_handled(1, A)
    async with db.transaction(1000 + 3 * 86400) as tx:
        assert await tx.inbox.prune() == 1  # the handled one; the unhandled one stays
        assert await tx.inbox.get(2) is not None


async def test_the_runner_prunes_every_batch_past_retention_in_one_pass(svc) -> None:
    """More handled updates than one batch (a busy bot between two pruning passes) all go
    in one pass, a transaction per batch; unhandled and recent ones stay."""
    from bot.storage.inbox import RETENTION
    from bot.updates import InboxRunner

    now = svc.clock.now()
    old, recent = now - RETENTION - 60, now - 60
    rows = [(u, 1001 + u % 7, "{}") for u in range(1, 2502)]
    async with svc.db.transaction(old) as tx:
        await tx.inbox.store(rows)
        await tx.inbox.store([(5000, 1001, "{}")])  # never handled
        await tx.execute("UPDATE inbox SET handled_at = ? WHERE update_id < 5000", (old,))
    async with svc.db.transaction(recent) as tx:
        await tx.inbox.store([(6000, 1001, "{}")])
        await tx.execute("UPDATE inbox SET handled_at = ? WHERE update_id = 6000", (recent,))
    runner = InboxRunner(None, svc, name=A)  # type: ignore[arg-type]
    assert await runner.prune(batch=1000) == 2501
    async with svc.read() as tx:
        left = [r[0] for r in await tx.fetchall("SELECT update_id FROM inbox ORDER BY 1")]
    assert left == [5000, 6000]
    assert await runner.prune(batch=1000) == 0


@pytest.mark.postgres_only  # SQLite's write transactions never overlap
async def test_an_update_stored_while_its_turn_is_given_back_keeps_a_holder(dbs) -> None:
    """READ COMMITTED: the holder gives the turn back (nothing of the person's is left, as
    far as it sees) while another instance is storing the person's next update. The store
    locks the turn first; the release waits for it and then sees the update, so the turn
    stays held and the update is handled without waiting for the sweep."""
    first, second = dbs
    async with first.transaction(1000) as tx:
        await tx.inbox.store([(1, 1001, "{}")])
        assert await tx.inbox.take_turn(1001, A)
        await tx.inbox.mark_handled(1, A)
    stored, commit = asyncio.Event(), asyncio.Event()

    async def intake() -> None:  # instance B, its webhook: store the update, the turn held
        async with second.transaction(1001) as tx:
            await tx.inbox.store([(2, 1001, "{}")])
            assert not await tx.inbox.take_turn(1001, B)  # A's lease runs
            stored.set()
            await commit.wait()

    async def release() -> bool:
        async with first.transaction(1001) as tx:
            return await tx.inbox.release_turn(1001, A)

    storing = asyncio.create_task(intake())
    await stored.wait()
    releasing = asyncio.create_task(release())
    # Until the release waits for the store's lock, or (without the lock) has finished.
    async with first.pool.acquire() as watcher:
        for _ in range(500):
            if releasing.done():
                break
            waits = await watcher.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock'"
            )
            if waits:
                break
            await asyncio.sleep(0.01)
    commit.set()
    await storing
    assert await releasing is False
    async with first.read(0) as tx:
        assert await tx.inbox.holds_turn(1001, A)
        assert (await tx.inbox.next_for(1001, A))["update_id"] == 2


async def test_an_owed_answer_is_an_orphan_only_once_its_handler_is_over(dbs) -> None:
    """An answer owed (migration 0021) is left to its handler while the handler holds the
    person's turn; once the turn is gone or its lease ended (or the caller is the handler
    and knows the handling is over), it is taken, by one transaction only."""
    first, second = dbs
    async with first.transaction(100) as tx:
        await tx.inbox.store([(7, 1001, "{}"), (8, 1002, "{}"), (9, 1003, "{}")])
        for person in (1001, 1002, 1003):
            await tx.inbox.take_turn(person, A, lease=30)
    async with first.transaction(101) as tx:
        await tx.inbox.mark_handled(7, A, owed=True)
        await tx.inbox.mark_handled(8, A, owed=True)
        await tx.inbox.mark_handled(9, A)  # ended with its mark: nothing owed
    async with second.read(110) as tx:
        assert await tx.inbox.owed_orphans(B) == []  # A holds the turns, its lease runs
        mine = await tx.inbox.owed_orphans(A)  # A's own: A checks what it has in hand
        assert [r["update_id"] for r in mine] == [7, 8]
    async with second.transaction(110) as tx:
        assert not await tx.inbox.settle_orphan(7)
    async with first.transaction(111) as tx:
        await tx.inbox.answered(8)  # 8's handling closed: its answer given
        await tx.inbox.drop_turns(A)  # A's process is gone
    async with second.read(112) as tx:
        orphans = await tx.inbox.owed_orphans(B)
    assert [(r["update_id"], r["person_id"], r["handled_by"]) for r in orphans] == [(7, 1001, A)]
    async with second.transaction(112) as tx:
        assert await tx.inbox.settle_orphan(7)
    async with first.transaction(112) as tx:
        assert not await tx.inbox.settle_orphan(7)  # taken once
    async with first.read(113) as tx:
        assert await tx.inbox.owed_orphans(B) == []
        assert (await tx.inbox.get(7) or {})["answer_owed"] is None


async def test_an_owed_answer_whose_turn_lease_ended_is_taken_by_one_of_two_at_once(dbs) -> None:
    first, second = dbs
    async with first.transaction(100) as tx:
        await tx.inbox.store([(7, 1001, "{}")])
        await tx.inbox.take_turn(1001, A, lease=30)
        await tx.inbox.mark_handled(7, A, owed=True)

    async def take(db) -> bool:
        async with db.transaction(200) as tx:  # the lease ended at 130
            await asyncio.sleep(0)
            return await tx.inbox.settle_orphan(7)

    won = await asyncio.gather(take(first), take(second))
    assert sorted(won) == [False, True]
