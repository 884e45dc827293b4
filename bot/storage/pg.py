"""The PostgreSQL engine: the same `Tx` and repositories as SQLite, over an asyncpg pool.

Chosen by DATABASE_URL=postgresql://user:password@host:port/database. asyncpg rather than
psycopg 3: it speaks the binary protocol, prepares and caches every statement itself (the
repositories' few hundred SQL texts become server-side prepared statements on each pooled
connection), has its pool built in, and measured faster per round trip; psycopg's wider
ecosystem (COPY helpers, libpq options) is nothing this bot uses.

**Isolation.** Write transactions run at READ COMMITTED, reads at REPEATABLE READ READ ONLY
(one consistent snapshot, like SQLite's, for a page or the audit; a read-only transaction at
that level never fails to serialize). At READ COMMITTED an UPDATE whose row was changed by a
transaction that committed meanwhile waits for it and evaluates its WHERE again on the new
row, so the repositories' conditional writes (`UPDATE deals SET state = ? WHERE id = ? AND
state = ?`) decide one winner as they do on SQLite, and the loser sees 0 rows: a Conflict,
never an error. What a service reads and then writes on (a job still open, a deal's due
time, a balance) is locked first: the job row is the lock of its family (its bids, trials,
deal, dispute, feedback and deadlines; `JobsRepo.lock`), taken before any of them, and
ledger accounts, deadline rows and outbox streams are always locked after it, each in one
order (bot/services/base.py says which services lock). REPEATABLE READ or SERIALIZABLE for
writes would turn every such meeting into a serialization failure to retry, and a `with`
block cannot be run again; READ COMMITTED with locks gives the same one-at-a-time answer
with no retries. What can still meet out of order (a deadlock PostgreSQL breaks, a unique
key taken meanwhile) is rolled back and raised as `StorageConflict`, a Conflict the person
sees as "try again", never as an internal error.

**Where statements run.** Each is a round trip to the server; nothing blocks the loop. The
two rules of bot/storage/db.py hold here too: a nested transaction in one task raises
`NestedTransaction` (it would take a second connection and could wait for the first's
locks forever), and a statement slower than SLOW_STATEMENT_S is logged.

**Locks for other parts.** Advisory locks taken by the bot use the two-key form
`pg_advisory_xact_lock(namespace, key)` with a namespace from `LOCKS`, so that no two uses
collide (`Tx.try_lock`).

**No reset between transactions.** asyncpg's pool resets a connection on every release
(`SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`: a round trip of four
statements, parsed each time). A connection that served one of this module's transactions
has nothing to reset: the transaction ended (COMMIT or ROLLBACK), its locks were the
transaction's, and nothing in a `Tx` changes the session (no plain SET, no session advisory
lock, no LISTEN: keep it so). Such a release skips the reset; any other use of `pool` (a
connection of its own) gets asyncpg's. Measured in bench/e2e.py --database postgresql: it
was the most frequent statement, about 10 an update.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bot.storage.engine import (
    LOCKS,
    NESTED_MESSAGE,
    POSTGRES,
    DatabaseUnavailable,
    NestedTransaction,
    OneStatement,
    Result,
    StorageConflict,
    Tx,
    before_commit,
    clock,
    count_commit,
    migration_files,
    timed,
    write_hook,
)
from bot.storage.sql import to_dollar

log = logging.getLogger(__name__)

POOL_SIZE = 10
STATEMENT_CACHE = 1024  # prepared statements kept per connection
# A transaction left open by a frozen process would hold its locks: the server ends it.
IDLE_IN_TRANSACTION_MS = 60_000
CONNECT_TIMEOUT_S = 10

_RACE_ERRORS = (
    asyncpg.UniqueViolationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
)


def safe_url(url: str) -> str:
    """The URL without its password, for a message."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def _rowcount(status: str) -> int:
    """`UPDATE 3`, `INSERT 0 1`, `DELETE 0` -> the number of rows."""
    tail = status.rsplit(" ", 1)[-1] if status else ""
    return int(tail) if tail.isdigit() else 0


class PgTx(Tx):
    """One transaction on one pooled connection."""

    dialect = POSTGRES

    def __init__(self, conn: asyncpg.Connection, now: int, *, write: bool) -> None:
        self.conn = conn
        self.now = now
        self.locks_rows = write

    async def _run(self, call: Any, sql: str, params: Any) -> Any:
        start = clock()
        try:
            return await call(to_dollar(sql), *params)
        except _RACE_ERRORS as exc:
            log.info("transaction rolled back, it met another: %s", exc)
            raise StorageConflict(exc) from exc
        finally:
            timed(sql, start, "on PostgreSQL")

    async def execute(self, sql: str, params: Any = ()) -> Result:
        return Result(_rowcount(await self._run(self.conn.execute, sql, params)))

    async def executemany(self, sql: str, rows: Any) -> None:
        rows = [tuple(r) for r in rows]
        if rows:
            start = clock()
            try:
                await self.conn.executemany(to_dollar(sql), rows)
            except _RACE_ERRORS as exc:
                raise StorageConflict(exc) from exc
            finally:
                timed(sql, start, "on PostgreSQL")

    async def fetchone(self, sql: str, params: Any = ()) -> asyncpg.Record | None:
        return await self._run(self.conn.fetchrow, sql, params)

    async def fetchall(self, sql: str, params: Any = ()) -> list[asyncpg.Record]:
        return await self._run(self.conn.fetch, sql, params)

    async def insert(self, sql: str, params: Any = ()) -> int:
        return int(await self._run(self.conn.fetchval, sql + " RETURNING id", params))

    async def update(self, sql: str, params: Any = ()) -> int:
        return _rowcount(await self._run(self.conn.execute, sql, params))

    async def try_lock(self, namespace: int, key: int) -> bool:
        if not self.locks_rows:
            return True
        row = await self.fetchone(
            "SELECT pg_try_advisory_xact_lock(?::int, (?::bigint % 2147483647)::int)",
            (namespace, key),
        )
        return row is not None and bool(row[0])


class PgDatabase:
    """An asyncpg pool behind `transaction()` and `read()`; `pool` is there for what needs
    a connection of its own (LISTEN, a long advisory lock)."""

    dialect = POSTGRES

    def __init__(self, url: str, *, pool_size: int = POOL_SIZE) -> None:
        self.url = url.replace("postgres://", "postgresql://", 1)
        self.path = self.url  # what a log line or a test names the database by
        self.pool_size = max(1, pool_size)
        self._pool: asyncpg.Pool | None = None
        self._holders: set[asyncio.Task[Any]] = set()
        self._long_readers: set[asyncio.Task[Any]] = set()
        self._clean: set[int] = set()  # server pids of connections a Tx left as it found them

    async def connect(self, migrate: bool = True) -> PgDatabase:
        if self._pool is None:
            try:
                self._pool = await asyncpg.create_pool(
                    self.url,
                    min_size=1,
                    max_size=self.pool_size,
                    statement_cache_size=STATEMENT_CACHE,
                    timeout=CONNECT_TIMEOUT_S,
                    reset=self._reset,
                    server_settings={
                        "application_name": "tg-marketplace",
                        "idle_in_transaction_session_timeout": str(IDLE_IN_TRANSACTION_MS),
                    },
                )
            except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
                raise DatabaseUnavailable(
                    f"DATABASE_URL: cannot connect to PostgreSQL at {safe_url(self.url)}:"
                    f" {exc or type(exc).__name__}"
                ) from exc
        if migrate:
            await self.migrate()
        return self

    async def _reset(self, conn: asyncpg.Connection) -> None:
        """Before a connection goes back to the pool: nothing after one of our transactions,
        asyncpg's reset query after anything else (see the module's docstring)."""
        pid = conn.get_server_pid()
        if pid in self._clean:
            self._clean.discard(pid)
            return
        query = conn.get_reset_query()
        if query:
            await conn.execute(query)

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def __aenter__(self) -> PgDatabase:
        if self._pool is None:
            await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("database is not connected")
        return self._pool

    async def ping(self) -> None:
        """A read through the pool (a connection and a snapshot's first read): raises when
        the server cannot be reached or read."""
        async with self.read(0) as tx:
            await tx.fetchone("SELECT 1")

    async def schema_version(self) -> int:
        async with self.pool.acquire() as conn:
            if await conn.fetchval("SELECT to_regclass('schema_migrations')") is None:
                return 0
            return int(
                await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
            )

    async def migrate(self) -> list[str]:
        """Apply every migration of bot/storage/migrations/pg newer than the versions in
        `schema_migrations`, in one transaction, one process at a time (an advisory lock:
        instances starting together wait for the first)."""
        applied: list[str] = []
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1, 0)", LOCKS["migrate"])
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY,"
                " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            current = await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
            for number, name, sql in migration_files("postgresql"):
                if number <= current:
                    continue
                await conn.execute(sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", number, name
                )
                applied.append(name)
        for name in applied:
            log.info("applied migration %s", name)
        return applied

    def _claim(self, holders: set[asyncio.Task[Any]]) -> asyncio.Task[Any] | None:
        task = asyncio.current_task()
        if task is not None and task in holders:
            raise NestedTransaction(NESTED_MESSAGE)
        return task

    @asynccontextmanager
    async def _connection(self, holders: set[asyncio.Task[Any]]) -> AsyncIterator[Any]:
        """A pooled connection for this task, which holds it among `holders` meanwhile (a
        second one it asked for there would wait forever: NestedTransaction at once)."""
        task = self._claim(holders)
        async with self.pool.acquire() as conn:
            if task is not None:
                holders.add(task)
            try:
                yield conn
            finally:
                if task is not None:
                    holders.discard(task)

    @asynccontextmanager
    async def _open(self, *, write: bool, now: int, long: bool = False) -> AsyncIterator[PgTx]:
        # As on SQLite, a long read (`in_thread`) stands apart: a transaction may run inside
        # it (another connection, which it never waits for), but not another long read.
        holders = self._long_readers if long else self._holders
        async with self._connection(holders) as conn:
            if write:
                xact = conn.transaction(isolation="read_committed")
            else:
                xact = conn.transaction(isolation="repeatable_read", readonly=True)
            await xact.start()
            try:
                yield PgTx(conn, now, write=write)
            except BaseException:
                try:
                    await _shielded(xact.rollback())
                except Exception:  # the connection is unusable: the pool replaces it
                    conn.terminate()
                else:
                    self._clean.add(conn.get_server_pid())
                raise
            if write:
                await _shielded(xact.commit())
            else:
                await _shielded(xact.rollback())
            self._clean.add(conn.get_server_pid())

    @asynccontextmanager
    async def transaction(self, now: int) -> AsyncIterator[PgTx]:
        """A write transaction: commits on success, rolls back on any exception. The write
        hook (bot/storage/engine.py, the inbox mark) writes inside it just before COMMIT."""
        hook = write_hook()
        async with self._open(write=True, now=now) as tx:
            yield tx
            await before_commit(tx, hook)
        count_commit()
        if hook is not None:
            hook.committed()

    @asynccontextmanager
    async def read(
        self, now: int, *, in_thread: bool = False, one: bool = False
    ) -> AsyncIterator[Tx]:
        """A consistent read-only snapshot. `in_thread` (a read that may take long) runs on
        the server like any other; like SQLite's, it may have transactions inside it.
        `one`: a read of one statement, run outside a transaction (engine.OneStatement)."""
        if one and not in_thread:
            async with self._one(now) as tx:
                yield tx
            return
        async with self._open(write=False, now=now, long=in_thread) as tx:
            yield tx

    @asynccontextmanager
    async def _one(self, now: int) -> AsyncIterator[Tx]:
        async with self._connection(self._holders) as conn:
            yield OneStatement(PgTx(conn, now, write=False))
            self._clean.add(conn.get_server_pid())  # outside a transaction: nothing to reset


async def _shielded(step: Any) -> None:
    """COMMIT or ROLLBACK, waited for even by a cancelled caller: the connection must not go
    back to the pool mid-statement, and a commit's outcome must be known. The
    cancellation is raised once it is done."""
    task = asyncio.get_running_loop().create_task(step)
    cancelled = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            cancelled = True
        except BaseException:
            break
    task.result()
    if cancelled:
        raise asyncio.CancelledError
