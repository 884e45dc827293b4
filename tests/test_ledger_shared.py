"""The ledger's shared accounts (world_in, fees, payable, refund_pending, world_out: one row
each per currency, changed by every payment) are written last before COMMIT
(bot/storage/ledger.py): on PostgreSQL a transaction holds their rows for one round trip, not
for the rest of its work. On a real database, both engines where it applies."""

from __future__ import annotations

import asyncio

import pytest

from bot.storage import open_database
from bot.storage.audit import ledger_problems
from tests.conftest import ENGINES, fresh_postgres_url

CUR = "XTR"


async def opened(tx, *owners: int) -> tuple[int, int, list[int]]:
    """world_in, fees and one user account per owner, as a service opens them: through the
    transaction's ledger (which so knows which are shared)."""
    world_in = await tx.ledger.account("world_in", CUR)
    fees = await tx.ledger.account("fees", CUR)
    return world_in, fees, [await tx.ledger.account("user", CUR, o) for o in owners]


async def accounts(db, *owners: int) -> tuple[int, int, list[int]]:
    """The accounts opened in a transaction of their own first (an account's first INSERT
    holds its key until its transaction ends)."""
    async with db.transaction(0) as tx:
        return await opened(tx, *owners)


@pytest.fixture
async def pg_pair():
    """Two connections to one fresh PostgreSQL database, as two instances hold them (only
    PostgreSQL: SQLite has one writer at a time, and no row to wait for)."""
    if "postgresql" not in ENGINES:
        pytest.skip("TEST_ENGINES leaves PostgreSQL out")
    url, done = fresh_postgres_url()
    first = await open_database(url).connect()
    second = await open_database(url).connect()
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()
        done()


async def test_a_payment_holds_the_shared_account_only_at_its_commit(pg_pair) -> None:
    a, b = pg_pair
    await accounts(a, 1, 2)
    posted, finish = asyncio.Event(), asyncio.Event()

    async def slow_payment() -> None:
        async with a.transaction(0) as tx:
            world_in, fees, (first,) = await opened(tx, 1)
            await tx.ledger.post("payment", CUR, [(world_in, -100), (first, 95), (fees, 5)])
            posted.set()
            await finish.wait()  # the rest of its work: a deal, its notices, its timers

    slow = asyncio.create_task(slow_payment())
    await posted.wait()

    async def other_payment() -> None:
        async with b.transaction(0) as tx:
            world_in, fees, (second,) = await opened(tx, 2)
            await tx.ledger.post("payment", CUR, [(world_in, -40), (second, 38), (fees, 2)])

    # While the first is still open, another instance's payment into the same shared
    # accounts commits: it did not wait for the first's rows.
    await asyncio.wait_for(other_payment(), 10)
    async with b.read(0) as tx:
        assert await tx.ledger.balance("world_in", CUR) == -40
        assert await tx.ledger.balance("fees", CUR) == 2
    finish.set()
    await slow
    async with a.read(0) as tx:
        assert await tx.ledger.balance("world_in", CUR) == -140
        assert await tx.ledger.balance("fees", CUR) == 7
        assert await tx.ledger.balances_of("user", 1) == {CUR: 95}
        assert await tx.ledger.balances_of("user", 2) == {CUR: 38}
        assert await ledger_problems(tx) == []


async def test_a_transaction_reads_its_own_shared_changes(db_url) -> None:
    db = await open_database(db_url).connect()
    try:
        async with db.transaction(0) as tx:
            world_in, fees, (user,) = await opened(tx, 1)
            await tx.ledger.post("payment", CUR, [(world_in, -100), (user, 90), (fees, 10)])
            await tx.ledger.post("payment", CUR, [(world_in, -50), (user, 45), (fees, 5)])
            assert await tx.ledger.balance("fees", CUR) == 15
            assert await tx.ledger.balance("world_in", CUR) == -150
            totals = await tx.ledger.totals_by_currency()
            assert totals[CUR]["fees"] == 15 and totals[CUR]["user"] == 135
            assert await ledger_problems(tx) == []
            # Flushed once, the shared accounts take later changes as before.
            await tx.ledger.post("payment", CUR, [(world_in, -1), (fees, 1)])
        async with db.read(0) as tx:
            assert await tx.ledger.balance("fees", CUR) == 16
            assert await tx.ledger.balance("world_in", CUR) == -151
            assert await ledger_problems(tx) == []
    finally:
        await db.close()


async def test_a_shared_account_below_zero_refuses_the_whole_transaction(db_url) -> None:
    db = await open_database(db_url).connect()
    try:
        async with db.transaction(0) as tx:
            world_in, fees, (user,) = await opened(tx, 1)
            await tx.ledger.post("payment", CUR, [(world_in, -100), (user, 100)])
        # Taking from `fees`, which holds nothing and may not go negative: the CHECK refuses
        # it when the change is written, before COMMIT, and the whole transaction goes.
        with pytest.raises(Exception, match=r"(?i)check|constraint"):
            async with db.transaction(0) as tx:
                _, fees, (user,) = await opened(tx, 1)
                await tx.ledger.post("payment", CUR, [(fees, -10), (user, 10)])
                await tx.execute("UPDATE ledger_accounts SET owner_id = 7 WHERE id = ?", (user,))
        async with db.read(0) as tx:
            assert await tx.ledger.balances_of("user", 1) == {CUR: 100}
            assert await tx.ledger.balance("fees", CUR) == 0
            row = await tx.fetchone("SELECT COUNT(*) AS n FROM ledger_transactions")
            assert row["n"] == 1
            assert await ledger_problems(tx) == []
    finally:
        await db.close()
