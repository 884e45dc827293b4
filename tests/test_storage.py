"""The database handle itself (bot/storage/db.py): statements run on the event loop, so
nothing there may wait for a lock, and WAL checkpoints happen off the loop."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.storage import db as db_module
from bot.storage import open_database
from bot.storage.db import Database
from bot.storage.engine import migration_files
from bot.storage.sql import to_dollar
from tests.conftest import INTEGRITY_ERRORS


async def outbox_count(db: Database) -> int:
    async with db.read(0) as tx:
        return await tx.outbox.pending_count()


async def test_a_transaction_waits_for_another_writer_without_blocking_the_loop(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.db"
    db = await Database(path).connect()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        async def write() -> None:
            async with db.transaction(0) as tx:
                await tx.outbox.add(1, "notify.test")

        beat = asyncio.create_task(ticker())
        writer = asyncio.create_task(write())
        await asyncio.sleep(0.3)
        assert not writer.done()
        assert ticks >= 10, "the loop kept running while the transaction waited"
        other.execute("COMMIT")
        await asyncio.wait_for(writer, 2)
        beat.cancel()
        assert await outbox_count(db) == 1
    finally:
        other.close()
        await db.close()


async def test_a_writer_that_never_lets_go_is_a_clear_error_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_S", 0.2)
    path = tmp_path / "m.db"
    db = await Database(path).connect()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            async with db.transaction(0) as tx:
                await tx.outbox.add(1, "notify.test")
        other.execute("ROLLBACK")
        assert await outbox_count(db) == 0
        async with db.transaction(0) as tx:  # the connection is usable again
            await tx.outbox.add(1, "notify.test")
        assert await outbox_count(db) == 1
    finally:
        other.close()
        await db.close()


def wal_bytes(path: Path) -> int:
    return Path(f"{path}-wal").stat().st_size


def wal_frames(path: Path) -> int:
    """Frames in the WAL now (a passive checkpoint from a fresh connection reports them)."""
    with sqlite3.connect(path) as conn:
        return int(conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])


async def run_commits(db: Database, commits: int) -> None:
    for n in range(commits):
        async with db.transaction(n) as tx:
            await tx.outbox.add(n + 1, "notify.test", {"n": n, "pad": "x" * 500})
        if db._checkpointing is not None:  # a live bot's checkpoints keep up between bursts;
            await db._checkpointing  # here they must, or the WAL's high-water mark is timing


async def test_the_wal_is_checkpointed_in_the_background_and_starts_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Automatic checkpoints are off for the connection the loop uses; without the
    background ones the WAL would grow with every commit."""
    path = tmp_path / "a.db"
    db = await Database(path).connect()
    try:
        await run_commits(db, 1500)
        assert db._checkpointing is not None, "the commits started checkpoints"
        await db._checkpointing
        checkpointed = wal_bytes(path)
        await db._checkpoint()  # copies what came after the last one
        await run_commits(db, 1)
        assert wal_frames(path) <= 10, "the WAL file started over"
    finally:
        await db.close()

    monkeypatch.setattr(db_module, "CHECKPOINT_EVERY", 10**9)
    path = tmp_path / "b.db"
    db = await Database(path).connect()
    try:
        await run_commits(db, 1500)
        assert db._checkpointing is None
        never = wal_bytes(path)
        assert wal_frames(path) > 1500
    finally:
        await db.close()
    assert checkpointed * 2 < never, (checkpointed, never)


@pytest.mark.sqlite_only
async def test_a_long_read_runs_in_a_thread_on_a_snapshot_of_its_own(tmp_path: Path) -> None:
    db = await Database(tmp_path / "m.db").connect()
    try:
        async with db.transaction(0) as tx:
            await tx.outbox.add(1, "notify.test")
        async with db.read(0, in_thread=True) as snap:
            assert await snap.outbox.pending_count() == 1
            # Writers go on meanwhile; the snapshot keeps seeing what it saw.
            async with db.transaction(0) as tx:
                await tx.outbox.add(2, "notify.test")
            assert await snap.outbox.pending_count() == 1
            with pytest.raises(sqlite3.OperationalError, match="read-only"):
                await snap.outbox.add(3, "notify.test")
        assert await outbox_count(db) == 2
    finally:
        await db.close()


# --- both engines ----------------------------------------------------------------------------


async def test_a_read_is_a_snapshot_and_refuses_to_write(db_url: str, engine: str) -> None:
    """SQLite's read in a thread and PostgreSQL's REPEATABLE READ READ ONLY read alike: a
    consistent snapshot while writers go on, and no write."""
    db = await open_database(db_url).connect()
    try:
        async with db.transaction(0) as tx:
            await tx.outbox.add(1, "notify.test")
        async with db.read(0, in_thread=True) as snap:
            assert await snap.outbox.pending_count() == 1
            async with db.transaction(0) as tx:
                await tx.outbox.add(2, "notify.test")
            assert await snap.outbox.pending_count() == 1
            with pytest.raises(Exception, match="read-only"):
                await snap.outbox.add(3, "notify.test")
        assert await outbox_count(db) == 2
    finally:
        await db.close()


async def test_a_failed_transaction_changes_nothing_and_migrating_again_is_a_no_op(
    db_url: str,
) -> None:
    db = await open_database(db_url).connect()
    try:
        version = await db.schema_version()
        assert version == max(n for n, _, _ in migration_files("sqlite"))
        with pytest.raises(RuntimeError, match="boom"):
            async with db.transaction(0) as tx:
                await tx.outbox.add(1, "notify.test")
                raise RuntimeError("boom")
        assert await outbox_count(db) == 0
        assert await db.migrate() == []
        assert await db.schema_version() == version
    finally:
        await db.close()


async def test_the_ledger_is_append_only_on_both_engines(db_url: str) -> None:
    db = await open_database(db_url).connect()
    try:
        async with db.transaction(0) as tx:
            a = await tx.ledger.account("world_in", "XTR")
            b = await tx.ledger.account("fees", "XTR")
            await tx.ledger.post("test", "XTR", [(a, -5), (b, 5)])
        for sql in ("UPDATE ledger_entries SET amount = 7", "DELETE FROM ledger_transactions"):
            with pytest.raises(INTEGRITY_ERRORS, match="append-only"):
                async with db.transaction(0) as tx:
                    await tx.execute(sql)
        async with db.read(0) as tx:
            assert len(await tx.fetchall("SELECT * FROM ledger_entries")) == 2
    finally:
        await db.close()


def test_every_migration_has_a_postgresql_counterpart() -> None:
    """One numbered series for both engines: each bot/storage/migrations/NNNN_name.sql has
    bot/storage/migrations/pg/NNNN_name.sql (write it when adding a migration)."""
    sqlite = [name for _, name, _ in migration_files("sqlite")]
    postgres = [name for _, name, _ in migration_files("postgresql")]
    missing = sorted(set(sqlite) - set(postgres))
    assert missing == [], f"no PostgreSQL counterpart in bot/storage/migrations/pg/: {missing}"
    assert sorted(set(postgres) - set(sqlite)) == [], "a PostgreSQL migration without SQLite's"
    numbers = [int(name[:4]) for name in sqlite]
    assert numbers == sorted(set(numbers)), "two migrations share a number"


@pytest.mark.parametrize(
    ("sql", "want"),
    [
        ("SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2"),
        (
            "SELECT '?' , ? FROM t -- what?\n WHERE c = ?",
            "SELECT '?' , $1 FROM t -- what?\n WHERE c = $2",
        ),
        (
            "SELECT 'it''s ?', \"col?\" FROM t WHERE x = ?",
            "SELECT 'it''s ?', \"col?\" FROM t WHERE x = $1",
        ),
        ("SELECT ?1, ?2 WHERE a IN (?1)", "SELECT $1, $2 WHERE a IN ($1)"),
        ("/* ? */ SELECT ?", "/* ? */ SELECT $1"),
    ],
)
def test_placeholders_become_numbered_outside_literals(sql: str, want: str) -> None:
    assert to_dollar(sql) == want


@pytest.mark.postgres_only
async def test_a_transaction_waiting_for_a_row_lock_does_not_block_the_loop(
    db_url: str,
) -> None:
    """PostgreSQL: a writer waiting for another connection's row lock waits on the server;
    the loop runs meanwhile, and the conditional write sees the other's commit."""
    import asyncpg

    db = await open_database(db_url).connect()
    other = await asyncpg.connect(db_url)
    try:
        async with db.transaction(0) as tx:
            await tx.users.upsert(1, "a", "A", "en")
        await other.execute("BEGIN")
        await other.execute("UPDATE users SET banned = 1 WHERE id = 1")
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        async def ban() -> bool:
            async with db.transaction(0) as tx:
                return await tx.users.set_banned(1, True, "spam")

        beat = asyncio.create_task(ticker())
        writer = asyncio.create_task(ban())
        await asyncio.sleep(0.3)
        assert not writer.done()
        assert ticks >= 10, "the loop kept running while the transaction waited"
        await other.execute("COMMIT")
        assert await asyncio.wait_for(writer, 5) is False  # banned meanwhile: 0 rows
        beat.cancel()
    finally:
        await other.close()
        await db.close()


async def _overlapping(db_url: str, first: Any, second: Any) -> tuple[Any, Any]:
    """Two transactions on two pools: `first` writes and holds its transaction open while
    `second` runs the same write, then `first` commits. Returns both results (or errors)."""
    a, b = await open_database(db_url).connect(), await open_database(db_url).connect()
    wrote, finish = asyncio.Event(), asyncio.Event()

    async def one() -> Any:
        async with a.transaction(0) as tx:
            out = await first(tx)
            wrote.set()
            await finish.wait()
            return out

    async def two() -> Any:
        await wrote.wait()
        async with b.transaction(0) as tx:
            return await second(tx)

    try:
        t1 = asyncio.create_task(one())
        t2 = asyncio.create_task(two())
        await wrote.wait()
        await asyncio.sleep(0.2)  # the second now waits for the first's uncommitted row
        finish.set()
        return tuple(await asyncio.gather(t1, t2, return_exceptions=True))  # type: ignore[return-value]
    finally:
        await a.close()
        await b.close()


@pytest.mark.postgres_only
async def test_a_pooled_connection_is_reset_only_after_uses_other_than_a_transaction(
    db_url: str,
) -> None:
    """PostgreSQL: a connection back from one of the engine's transactions skips asyncpg's
    reset query (a round trip on every release; nothing to reset), one used directly from
    `pool` gets it. Shown with a session setting (which a Tx must never change)."""
    from bot.storage.pg import PgDatabase

    db = PgDatabase(db_url, pool_size=1)
    await db.connect()
    try:

        async def name() -> str:
            async with db.read(0) as tx:
                row = await tx.fetchone("SELECT current_setting('application_name') AS v")
            return str(row["v"])

        async with db.pool.acquire() as conn:  # a use of its own: reset after it
            await conn.execute("SET application_name = 'direct'")
        assert await name() == "tg-marketplace"
        async with db.transaction(0) as tx:  # what no Tx may do, to see that none reset it
            await tx.execute("SELECT set_config('application_name', 'inside', false)")
        assert await name() == "inside"
    finally:
        await db.close()


@pytest.mark.postgres_only
async def test_two_transactions_opening_one_account_get_the_same_one(db_url: str) -> None:
    """PostgreSQL: the second waits for the first's row and takes it (a read then an insert
    would fail on the unique code)."""

    async def open_(tx: Any) -> int:
        return await tx.ledger.account("user", "XTR", 42)

    r1, r2 = await _overlapping(db_url, open_, open_)
    assert isinstance(r1, int) and r1 == r2, (r1, r2)


@pytest.mark.postgres_only
async def test_two_transactions_setting_one_deadline_leave_one_pending(db_url: str) -> None:
    def set_(due: int) -> Any:
        async def go(tx: Any) -> None:
            await tx.deadlines.set("job_expire", 7, due)

        return go

    r1, r2 = await _overlapping(db_url, set_(100), set_(200))
    assert r1 is None and r2 is None, (r1, r2)
    db = await open_database(db_url).connect()
    try:
        async with db.read(0) as tx:
            rows = await tx.deadlines.pending(7)
        assert [(r["kind"], r["due_at"]) for r in rows] == [("job_expire", 200)]
    finally:
        await db.close()


@pytest.mark.postgres_only
@pytest.mark.parametrize("command", ["migrate", "check"])
def test_main_py_against_a_postgresql_it_cannot_log_in_to_says_so_in_one_line(
    db_url: str, command: str, tmp_path: Path
) -> None:
    """`main.py migrate` and `check` with a DATABASE_URL PostgreSQL refuses: one line naming
    the variable and the server's reason (the password not shown), exit 2, no traceback;
    with the right password they migrate and audit."""
    import os
    import subprocess
    import sys
    from urllib.parse import urlsplit

    root = Path(__file__).resolve().parent.parent
    parts = urlsplit(db_url)
    wrong = db_url.replace(f":{parts.password}@", ":not-the-password@", 1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "BOT_"))}
    env["BOT_TOKEN"] = "123:TEST"

    def run(url: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(root / "main.py"), command],
            env={**env, "DATABASE_URL": url},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )

    bad = run(wrong)
    assert bad.returncode == 2, bad.stderr
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("DATABASE_URL: cannot connect"), bad.stderr
    assert "password authentication failed" in lines[0]
    assert "not-the-password" not in bad.stderr and "Traceback" not in bad.stderr
    good = run(db_url)
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() in ("database is up to date", "ledger OK"), good.stdout
