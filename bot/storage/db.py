"""The database handle and the one transaction object services work through.

Every write runs inside `BEGIN IMMEDIATE`, so two processes (or two connections) touching the
same deal serialize on SQLite's write lock, and the conditional `UPDATE ... WHERE state = ?`
inside decides the single winner. Within one process an asyncio lock keeps the shared
connection to one transaction at a time.

Where statements run: aiosqlite owns the connection and its thread does the slow, blocking
work (opening, migrations, every COMMIT with its sync of the WAL, WAL checkpoints). The
statements of a transaction run on the event loop itself: they are lookups by key and small
writes that take microseconds in WAL mode, where one trip to aiosqlite's thread costs about a
hundred (a future, a cross-thread wake-up, a turn of the loop), and a handler makes twenty of
them. Nothing on the loop waits for a lock: the connection's busy timeout is zero, and the
first step of a transaction (`BEGIN IMMEDIATE` for a write; `BEGIN` and the first read, which
meets a lock only while another connection runs WAL recovery, for a read) is retried with
`asyncio.sleep`; once it has its locks nothing else in the transaction can be made to wait
(WAL readers never block, and commits need no other lock). WAL checkpoints are taken off the
loop: automatic checkpoints are off for this connection, and every `CHECKPOINT_EVERY` commits
a passive one runs in the background on a connection of its own. `synchronous = FULL`: a
commit is on disk when COMMIT returns (with NORMAL, WAL mode can lose the last committed
transactions, a recorded payment, on power loss); the sync runs in aiosqlite's thread.

Two rules make running SQL on the loop safe, and both are checked here:

1. No await of another transaction inside one. The connection is held for the whole
   transaction, so a service called inside another's transaction would wait for itself
   forever: a nested `transaction()` or `read()` in the task that holds the connection
   raises `NestedTransaction` at once (pass the open `Tx` down instead).
2. Every statement is fast. One that takes longer than `SLOW_STATEMENT_S` stalls every chat,
   and is logged as a WARNING with its SQL and time; what may take long (whole-table counts)
   reads with `read(in_thread=True)`.

The repositories keep an async interface and one SQL text for both engines; PostgreSQL
(bot/storage/pg.py) sits behind the same `Tx` (bot/storage/engine.py).

The update being handled (bot/updates.py) rides along in a ContextVar (`set_write_hook`,
bot/storage/engine.py): the first write transaction of its handling that counts (not
`commits_not_counted`) marks it handled in the inbox, in that same transaction, just before
COMMIT; both engines' `transaction()` call the hook the same way.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.engine import (
    NESTED_MESSAGE,
    SLOW_STATEMENT_S,
    SQLITE,
    NestedTransaction,
    OneStatement,
    Tx,
    WriteHook,
    before_commit,
    clock,
    commits_not_counted,
    committed_here,
    count_commit,
    forget_commits,
    migration_files,
    set_write_hook,
    timed,
    write_hook,
)

__all__ = [
    "SLOW_STATEMENT_S",
    "Database",
    "NestedTransaction",
    "SqliteTx",
    "ThreadTx",
    "Tx",
    "WriteHook",
    "commits_not_counted",
    "committed_here",
    "forget_commits",
    "set_write_hook",
]

log = logging.getLogger(__name__)

BUSY_TIMEOUT_S = 30.0
CHECKPOINT_EVERY = 200  # commits between passive WAL checkpoints (about 1-2 MB of WAL)
# The first read of a read transaction: it takes the read lock (the snapshot) at once.
READ_START = "SELECT 1 FROM sqlite_master LIMIT 1"


def _migrations() -> list[tuple[int, str, str]]:
    """(number, name, sql) of every SQLite migration in bot/storage/migrations, in order."""
    return migration_files("sqlite")


class Database:
    dialect = SQLITE

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn: aiosqlite.Connection | None = None
        self._raw: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()
        self._commits = 0
        self._checkpointer: aiosqlite.Connection | None = None
        self._checkpointing: asyncio.Task[None] | None = None
        self._reader: aiosqlite.Connection | None = None
        self._reader_lock = asyncio.Lock()
        # The task holding the connection (the reader's), to refuse a nested transaction.
        self._owner: asyncio.Task[Any] | None = None
        self._reader_owner: asyncio.Task[Any] | None = None

    async def connect(self, migrate: bool = True) -> Database:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        path = self.path

        def connector() -> sqlite3.Connection:
            # Opened in aiosqlite's thread; statements also run on the loop's thread (never
            # both at once: the lock below), hence check_same_thread=False.
            self._raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            return self._raw

        conn = await aiosqlite.Connection(connector, iter_chunk_size=64)
        conn.row_factory = sqlite3.Row
        self._conn = conn
        await self._in_thread(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        await self._in_thread("PRAGMA journal_mode = WAL")
        await self._in_thread("PRAGMA synchronous = FULL")
        await self._in_thread("PRAGMA foreign_keys = ON")
        if migrate:
            await self.migrate()
        # From here on nothing on the loop may wait for a lock (see the module's docstring).
        await self._in_thread("PRAGMA busy_timeout = 0")
        await self._in_thread("PRAGMA wal_autocheckpoint = 0")
        return self

    async def _in_thread(self, sql: str) -> list[Any]:
        """Run a statement in aiosqlite's thread and read it to the end. (A cursor that
        `aiosqlite.Connection.execute` returns stays alive in the worker thread until its
        next call, and an unfinished statement would make the next COMMIT fail.)"""
        return list(await self.conn.execute_fetchall(sql))

    async def close(self) -> None:
        if self._checkpointing is not None:
            await self._checkpointing
            self._checkpointing = None
        if self._checkpointer is not None:
            await self._checkpointer.close()
            self._checkpointer = None
        if self._reader is not None:
            async with self._reader_lock:
                await self._reader.close()
            self._reader = None
        if self._conn is not None:
            async with self._lock:
                await self._conn.close()  # the last connection to close checkpoints the WAL
            self._conn = None
            self._raw = None

    async def __aenter__(self) -> Database:
        if self._conn is None:
            await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not connected")
        return self._conn

    @property
    def raw(self) -> sqlite3.Connection:
        if self._raw is None or self._conn is None:
            raise RuntimeError("database is not connected")
        return self._raw

    async def ping(self) -> None:
        """A read through the shared connection (its snapshot's first read): raises when the
        database cannot be read (not connected, locked by another process, an I/O error)."""
        async with self.read(0):
            pass

    async def schema_version(self) -> int:
        return int((await self._in_thread("PRAGMA user_version"))[0][0])

    async def migrate(self) -> list[str]:
        """Apply every migration newer than the stored version; returns the names applied."""
        applied: list[str] = []
        async with self._lock:
            await self._in_thread("BEGIN IMMEDIATE")
            try:
                current = int((await self._in_thread("PRAGMA user_version"))[0][0])
                for number, name, sql in _migrations():
                    if number <= current:
                        continue
                    for statement in _split_sql(sql):
                        await self._in_thread(statement)
                    await self._in_thread(f"PRAGMA user_version = {number}")
                    applied.append(name)
                await self._in_thread("COMMIT")
            except BaseException:
                await self._in_thread("ROLLBACK")
                raise
        for name in applied:
            log.info("applied migration %s", name)
        return applied

    async def _begin(self, sql: str, first: str | None = None) -> None:
        """Start a transaction without blocking the loop: while another connection holds a
        lock it needs, wait with asyncio.sleep and try again (as SQLite's own busy handler
        does, but letting the loop run), for up to BUSY_TIMEOUT_S. `first` is a statement
        that makes the transaction take its locks now (a read's snapshot), so that a lock
        met there is waited for here rather than failing the read's first query."""
        raw = self.raw
        delay, waited = 0.001, 0.0
        while True:
            try:
                raw.execute(sql)
                if first is not None:
                    raw.execute(first).fetchall()
                return
            except sqlite3.OperationalError as exc:
                if raw.in_transaction:
                    raw.execute("ROLLBACK")
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if waited >= BUSY_TIMEOUT_S:
                    raise
            await asyncio.sleep(delay)
            waited += delay
            delay = min(delay * 2, 0.05)

    async def _commit(self) -> None:
        """COMMIT in aiosqlite's thread (with synchronous = FULL it syncs the WAL to disk).
        A cancelled caller still waits for it: nothing may touch the connection while the
        thread commits, and the outcome (committed or not) must be known."""
        commit = asyncio.get_running_loop().create_task(self._in_thread("COMMIT"))
        cancelled = False
        while not commit.done():
            try:
                await asyncio.shield(commit)
            except asyncio.CancelledError:
                cancelled = True
            except BaseException:
                break
        commit.result()  # the COMMIT's own error, if it failed
        if cancelled:
            raise asyncio.CancelledError

    def _claim(self, reader: bool = False) -> asyncio.Task[Any] | None:
        """Refuse a transaction opened by the task already holding the connection: waiting
        for the lock would wait for itself forever (rule 1 of the module's docstring)."""
        task = asyncio.current_task()
        holder = self._reader_owner if reader else self._owner
        if task is not None and holder is task:
            raise NestedTransaction(NESTED_MESSAGE)
        return task

    def _committed(self) -> None:
        """Count a commit; every CHECKPOINT_EVERY, start a WAL checkpoint in the background."""
        self._commits += 1
        if self._commits < CHECKPOINT_EVERY or self.path == ":memory:":
            return
        if self._checkpointing is None or self._checkpointing.done():
            self._commits = 0
            self._checkpointing = asyncio.get_running_loop().create_task(self._checkpoint())

    async def _checkpoint(self) -> None:
        """Copy the WAL into the database, on a connection (and thread) of its own.

        The copying is a passive checkpoint while transactions go on. Commits made meanwhile
        leave a tail it could not copy, and SQLite starts the WAL file over only once all of
        it is copied, so a second pass copies that short tail holding the transaction lock."""
        try:
            if self._checkpointer is None:
                self._checkpointer = await aiosqlite.connect(self.path, isolation_level=None)
            await self._checkpointer.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
            async with self._lock:
                await self._checkpointer.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:  # the next one catches up
            log.warning("WAL checkpoint failed: %s", exc)

    @asynccontextmanager
    async def transaction(self, now: int) -> AsyncIterator[Tx]:
        """A write transaction: commits on success, rolls back on any exception."""
        task = self._claim()
        hook = write_hook()
        async with self._lock:
            self._owner = task
            try:
                await self._begin("BEGIN IMMEDIATE")
                raw = self.raw
                try:
                    tx = SqliteTx(raw, now)
                    yield tx
                    await before_commit(tx, hook)
                    await self._commit()
                except BaseException:
                    # Also when COMMIT itself fails (disk full, I/O error): never leave the
                    # shared connection inside a transaction.
                    if raw.in_transaction:
                        raw.execute("ROLLBACK")
                    raise
                count_commit()
                self._committed()
            finally:
                self._owner = None
        if hook is not None:
            hook.committed()

    @asynccontextmanager
    async def read(
        self, now: int, *, in_thread: bool = False, one: bool = False
    ) -> AsyncIterator[Tx]:
        """A consistent read-only snapshot. `in_thread=True` is for reads that may take long
        (whole-table counts for moderators): they run on a read-only connection of their own
        in aiosqlite's thread, so the loop and the writers go on meanwhile. `one`: a read of
        one statement (engine.OneStatement: held to it here too, as on PostgreSQL)."""
        if one:
            async with self.read(now, in_thread=in_thread) as tx:
                yield OneStatement(tx)
            return
        if in_thread and self.path != ":memory:":
            task = self._claim(reader=True)
            async with self._reader_lock:
                self._reader_owner = task
                try:
                    if self._reader is None:
                        reader = await aiosqlite.connect(self.path, isolation_level=None)
                        reader.row_factory = sqlite3.Row
                        await reader.execute_fetchall("PRAGMA query_only = ON")
                        self._reader = reader
                    await self._reader.execute_fetchall("BEGIN")
                    try:
                        yield ThreadTx(self._reader, now)
                    finally:
                        await self._reader.execute_fetchall("ROLLBACK")
                finally:
                    self._reader_owner = None
            return
        task = self._claim()
        async with self._lock:
            self._owner = task
            try:
                await self._begin("BEGIN", READ_START)
                raw = self.raw
                try:
                    yield SqliteTx(raw, now)
                finally:
                    if raw.in_transaction:
                        raw.execute("ROLLBACK")
            finally:
                self._owner = None


def _split_sql(sql: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies (BEGIN ... END;) whole."""
    statements: list[str] = []
    buf: list[str] = []
    for line in sql.splitlines():
        stripped = line.strip()
        if not buf and (not stripped or stripped.startswith("--")):
            continue
        buf.append(line)
        candidate = "\n".join(buf)
        if stripped.endswith(";") and sqlite3.complete_statement(candidate):
            statements.append(candidate)
            buf = []
    if "".join(buf).strip():
        statements.append("\n".join(buf))
    return statements


class SqliteTx(Tx):
    """A transaction on the shared SQLite connection; statements run on the loop and
    complete without suspending (see the module's docstring)."""

    def __init__(self, conn: sqlite3.Connection, now: int) -> None:
        self.conn = conn
        self.now = now

    async def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        start = clock()
        cur = self.conn.execute(sql, params)
        timed(sql, start)
        return cur

    async def executemany(self, sql: str, rows: Any) -> None:
        start = clock()
        self.conn.executemany(sql, rows)
        timed(sql, start)

    async def fetchone(self, sql: str, params: Any = ()) -> sqlite3.Row | None:
        start = clock()
        row = self.conn.execute(sql, params).fetchone()
        timed(sql, start)
        return row

    async def fetchall(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        start = clock()
        rows = self.conn.execute(sql, params).fetchall()
        timed(sql, start)
        return rows

    async def insert(self, sql: str, params: Any = ()) -> int:
        start = clock()
        row_id = int(self.conn.execute(sql, params).lastrowid or 0)
        timed(sql, start)
        return row_id

    async def update(self, sql: str, params: Any = ()) -> int:
        start = clock()
        changed = self.conn.execute(sql, params).rowcount
        timed(sql, start)
        return changed


class ThreadTx(SqliteTx):
    """A read-only transaction whose statements run in aiosqlite's thread (see
    `Database.read(in_thread=True)`); the repositories work over it unchanged."""

    def __init__(self, conn: aiosqlite.Connection, now: int) -> None:
        self.aconn = conn
        self.now = now

    async def execute(self, sql: str, params: Any = ()) -> Any:
        raise _read_only()

    async def executemany(self, sql: str, rows: Any) -> None:
        raise _read_only()

    async def fetchone(self, sql: str, params: Any = ()) -> sqlite3.Row | None:
        rows = list(await self.aconn.execute_fetchall(sql, params))
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        return list(await self.aconn.execute_fetchall(sql, params))

    async def insert(self, sql: str, params: Any = ()) -> int:
        raise _read_only()

    async def update(self, sql: str, params: Any = ()) -> int:
        raise _read_only()


def _read_only() -> sqlite3.OperationalError:
    return sqlite3.OperationalError("a read-only snapshot runs queries only")
