"""The rules that make running SQL on the event loop safe, checked (bot/storage/db.py): a
nested transaction raises at once, a slow statement is logged with its SQL, and a read that
meets another connection's lock waits for it instead of failing."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
import time
from pathlib import Path

import pytest

from bot.services.profiles import touch_user
from bot.storage import open_database
from bot.storage.db import Database, NestedTransaction
from bot.storage.engine import NotOneStatement
from tests.factories import CLIENT

NESTED = "nested transaction: this task already holds the database connection"


async def test_a_service_called_inside_another_transaction_raises_at_once(svc) -> None:
    """Today's deadlock (the task waits for the lock it holds) is a clear error instead."""
    with pytest.raises(NestedTransaction, match=NESTED):
        async with svc.tx() as tx:
            await tx.outbox.add(CLIENT, "notify.test")
            # touch_user opens a read of its own: inside this transaction it would wait
            # for this very transaction forever.
            async with asyncio.timeout(2):  # (the same task: wait_for would start another)
                await touch_user(svc, CLIENT, "alice", "Alice", "en")
    async with svc.read() as tx:  # the outer transaction rolled back, the connection is free
        assert await tx.outbox.pending_count() == 0


@pytest.mark.parametrize(
    ("outer", "inner"),
    [
        ("tx", "tx"),
        ("tx", "read"),
        ("read", "tx"),
        ("read", "read"),
        ("thread", "thread"),
        ("tx", "one"),
        ("one", "tx"),
    ],
)
async def test_every_nesting_that_would_deadlock_raises(
    db_url: str, outer: str, inner: str
) -> None:
    """On PostgreSQL a nested transaction would take a second connection of the pool and
    could wait for the first's locks forever: refused the same way."""
    db = await open_database(db_url).connect()

    def open_(kind: str):
        if kind == "tx":
            return db.transaction(0)
        return db.read(0, in_thread=kind == "thread", one=kind == "one")

    try:
        with pytest.raises(NestedTransaction, match=NESTED):
            async with open_(outer):
                async with asyncio.timeout(2):
                    async with open_(inner):
                        pass
        async with db.transaction(0) as tx:  # and everything is usable afterwards
            await tx.outbox.add(1, "notify.test")
        async with db.read(0) as tx:
            assert await tx.outbox.pending_count() == 1
    finally:
        await db.close()


async def test_a_one_statement_read_is_held_to_one_statement(db_url: str) -> None:
    """`read(one=True)` skips PostgreSQL's BEGIN and ROLLBACK round trips: a second
    statement or a write in it raises on both engines (a read that grew is told, not torn
    across two snapshots), and the connection is usable afterwards."""
    db = await open_database(db_url).connect()
    try:
        async with db.transaction(0) as tx:
            await tx.outbox.add(1, "notify.test")
        async with db.read(0, one=True) as tx:
            assert await tx.outbox.pending_count() == 1
            if db.dialect.name == "postgresql":  # no transaction around it
                assert not tx.inner.conn.is_in_transaction()
            with pytest.raises(NotOneStatement, match="second statement"):
                await tx.outbox.pending_count()
        async with db.read(0, one=True) as tx:
            with pytest.raises(NotOneStatement, match="may not write"):
                await tx.outbox.add(2, "notify.test")
        with pytest.raises(NotOneStatement, match="may not write"):
            async with db.read(0, one=True) as tx:
                await tx.fetchone("DELETE FROM outbox RETURNING id")
        async with db.read(0) as tx:
            assert await tx.outbox.pending_count() == 1
    finally:
        await db.close()


async def test_a_one_statement_read_refuses_a_query_that_writes_or_locks(db_url: str) -> None:
    """Outside a transaction PostgreSQL would commit a data-modifying WITH at once: a
    one-statement read refuses it before it runs, and a locking SELECT too, on both
    engines (as a read-only transaction would)."""
    db = await open_database(db_url).connect()
    try:
        async with db.transaction(0) as tx:
            await tx.outbox.add(1, "notify.test")
        for sql in (
            "WITH gone AS (DELETE FROM outbox RETURNING id) SELECT COUNT(*) FROM gone",
            "WITH moved AS (UPDATE outbox SET attempts = 9 RETURNING id) SELECT id FROM moved",
            "SELECT id FROM outbox FOR UPDATE",
        ):
            with pytest.raises(NotOneStatement, match="may not write"):
                async with db.read(0, one=True) as tx:
                    await tx.fetchall(sql)
        async with db.read(0) as tx:
            assert await tx.outbox.pending_count() == 1
            row = await tx.fetchone("SELECT attempts FROM outbox")
            assert row["attempts"] == 0
    finally:
        await db.close()


async def test_what_does_not_deadlock_is_not_refused(db_url: str) -> None:
    """Another task simply waits its turn, even one started inside the transaction (it
    inherits the context); a long read in the thread has a connection of its own."""
    db = await open_database(db_url).connect()
    try:

        async def other(n: int) -> None:
            async with db.transaction(0) as tx:
                await tx.outbox.add(n, "notify.test")

        async with db.transaction(0) as tx:
            await tx.outbox.add(1, "notify.test")
            waiting = asyncio.create_task(other(2))
        await asyncio.wait_for(waiting, 2)
        async with db.read(0, in_thread=True) as snap:
            assert await snap.outbox.pending_count() == 2
            async with db.transaction(0) as tx:
                await tx.outbox.add(3, "notify.test")
            assert await snap.outbox.pending_count() == 2
        async with db.read(0) as tx:
            assert await tx.outbox.pending_count() == 3
    finally:
        await db.close()


async def test_a_slow_statement_is_logged_with_its_sql_and_time(
    db_url: str, engine: str, caplog: pytest.LogCaptureFixture
) -> None:
    db = await open_database(db_url).connect()
    # Counting to three million in a recursive CTE takes hundreds of milliseconds here,
    # far beyond the 20 ms threshold on any machine; PostgreSQL sleeps for 60 ms.
    slow = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000)"
        " SELECT COUNT(*) AS c FROM n"
        if engine == "sqlite"
        else "WITH RECURSIVE n(i) AS (SELECT 1) SELECT COUNT(*) AS c, pg_sleep(0.06) FROM n"
    )
    where = "on the event loop" if engine == "sqlite" else "on PostgreSQL"
    try:
        with caplog.at_level(logging.WARNING, logger="bot.storage.db"):
            async with db.read(0) as tx:
                await tx.fetchone("SELECT COUNT(*) FROM outbox")
                assert (await tx.fetchone(slow))["c"] == (3_000_000 if engine == "sqlite" else 1)
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1, [r.getMessage() for r in warnings]
        message = warnings[0].getMessage()
        assert message.startswith(f"slow statement {where}: ")
        assert "ms (over 20 ms): WITH RECURSIVE n(i) AS" in message
        took = float(message.split(": ")[1].split(" ms")[0])
        assert took > 20
    finally:
        await db.close()


async def test_a_garbage_collection_inside_a_statement_is_not_the_statement(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A full collection over a big heap can take longer than the threshold; when it runs
    inside a statement (while its rows are built) the statement is not what was slow."""
    db = await Database(tmp_path / "m.db").connect()
    heap = [[n] for n in range(1_000_000)]  # a million containers for the collector to walk
    collected: list[float] = []

    def collect() -> int:
        start = time.perf_counter()
        gc.collect()
        collected.append(time.perf_counter() - start)
        return 0

    db.raw.create_function("collect", 0, collect)
    try:
        with caplog.at_level(logging.WARNING, logger="bot.storage.db"):
            async with db.read(0) as tx:
                await tx.fetchone("SELECT collect()")
        assert collected[0] > 0.02, "the collection itself took longer than the threshold"
        assert [r.getMessage() for r in caplog.records] == []
    finally:
        del heap
        await db.close()


# Another process in the middle of WAL recovery (after a writer died while it updated the
# WAL index): it holds the WAL index's write, checkpoint and recovery locks, and the index
# header's two copies disagree. A reader then gets SQLITE_BUSY_RECOVERY ("database is
# locked") however short its wait, and with the loop's busy timeout of zero at once. (Other
# connections writing, checkpointing with RESTART or TRUNCATE, or opening and closing, never
# fail a WAL reader: tried.)
RECOVERING = """
import fcntl, os, sys
fd = os.open(sys.argv[1] + "-shm", os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 3, 120, 0)  # WAL_WRITE, WAL_CKPT, WAL_RECOVER
header = os.pread(fd, 48, 0)
os.pwrite(fd, bytes([header[8] ^ 0xFF]), 48 + 8)  # the second copy of iChange differs
print("recovering", flush=True)
sys.stdin.readline()
"""


async def test_a_read_that_meets_a_recovery_lock_waits_for_it_and_succeeds(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.db"
    db = await Database(path).connect()
    try:
        async with db.transaction(0) as tx:
            await tx.outbox.add(1, "notify.test")
        other = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            RECOVERING,
            str(path),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert other.stdin is not None and other.stdout is not None
        try:
            assert await other.stdout.readline() == b"recovering\n"

            async def count() -> int:
                async with db.read(0) as tx:
                    return await tx.outbox.pending_count()

            reading = asyncio.create_task(count())
            await asyncio.sleep(0)  # its first try ran, and met the lock
            assert not reading.done(), reading.exception()
            await asyncio.sleep(0.05)  # a few more tries while the lock is held
            assert not reading.done(), reading.exception()
        finally:
            other.stdin.write(b"\n")
            other.stdin.close()
            await asyncio.wait_for(other.wait(), 5)
        assert await asyncio.wait_for(reading, 5) == 1
        async with db.transaction(0) as tx:  # the index was recovered: writes go on
            await tx.outbox.add(2, "notify.test")
        assert await count() == 2
    finally:
        await db.close()


async def test_a_commit_is_on_disk_when_it_returns(tmp_path: Path) -> None:
    """synchronous = FULL: in WAL mode NORMAL may lose the last commits on power loss."""
    db = await Database(tmp_path / "m.db").connect()
    try:
        assert db.raw.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    finally:
        await db.close()


async def test_a_caller_cancelled_while_its_commit_syncs_leaves_the_connection_sound(
    tmp_path: Path,
) -> None:
    """The COMMIT (and its sync) runs in aiosqlite's thread; a cancellation meanwhile waits
    for it to finish, so the outcome is known and nothing else touches the connection."""
    db = await Database(tmp_path / "m.db").connect()
    try:

        async def write() -> None:
            async with db.transaction(0) as tx:
                await tx.outbox.add(1, "notify.test")

        writing = asyncio.create_task(write())
        await asyncio.sleep(0)  # it is waiting for its COMMIT in the thread
        assert not writing.done()
        writing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await writing
        assert not db.raw.in_transaction
        async with db.transaction(0) as tx:
            await tx.outbox.add(2, "notify.test")
        async with db.read(0) as tx:
            assert await tx.outbox.pending_count() == 2  # the cancelled one committed too
    finally:
        await db.close()


@pytest.mark.postgres_only
async def test_a_caller_cancelled_anywhere_in_a_transaction_leaves_the_pool_sound(
    db_url: str,
) -> None:
    """PostgreSQL: a transaction cancelled at any point (a statement in flight, the COMMIT
    on its way) either committed or changed nothing, and the pool's connections are sound
    for the next (a connection left mid-statement would fail the next transaction)."""
    db = await open_database(db_url, pool_size=2).connect()
    try:

        async def write(n: int) -> None:
            async with db.transaction(0) as tx:
                await tx.outbox.add(n, "notify.test")
                await tx.outbox.add(n, "notify.test2")

        for step in range(40):
            writing = asyncio.create_task(write(100 + step))
            await asyncio.sleep(step * 0.0002)
            writing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writing
        async with db.transaction(0) as tx:
            await tx.outbox.add(1, "notify.test")
        async with db.read(0) as tx:
            rows = await tx.fetchall("SELECT chat_id, COUNT(*) AS n FROM outbox GROUP BY chat_id")
        assert all(r["n"] == 2 for r in rows if r["chat_id"] != 1), "half a transaction"
        assert any(r["chat_id"] == 1 for r in rows)
    finally:
        await db.close()
