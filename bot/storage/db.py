"""The database handle and the one transaction object services work through.

Every write runs inside `BEGIN IMMEDIATE`, so two processes (or two connections) touching the
same deal serialize on SQLite's write lock, and the conditional `UPDATE ... WHERE state = ?`
inside decides the single winner. Within one process an asyncio lock keeps the shared
connection to one transaction at a time.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from bot.storage.deadlines import Deadlines
from bot.storage.ledger import Ledger
from bot.storage.outbox import Outbox
from bot.storage.repositories import (
    BidsRepo,
    DealsRepo,
    DisputesRepo,
    FeedbackRepo,
    JobsRepo,
    MiscRepo,
    PaymentsRepo,
    PayoutsRepo,
    TrialsRepo,
    UsersRepo,
)

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000


def _migrations() -> list[tuple[int, str, str]]:
    """(number, name, sql) of every file in bot/storage/migrations, in order."""
    out = []
    folder = resources.files("bot.storage") / "migrations"
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            out.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(out)


class Database:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def connect(self, migrate: bool = True) -> Database:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        self._conn = conn
        if migrate:
            await self.migrate()
        return self

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

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

    async def schema_version(self) -> int:
        async with self.conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0])

    async def migrate(self) -> list[str]:
        """Apply every migration newer than the stored version; returns the names applied."""
        applied: list[str] = []
        async with self._lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                async with self.conn.execute("PRAGMA user_version") as cur:
                    current = int((await cur.fetchone())[0])
                for number, name, sql in _migrations():
                    if number <= current:
                        continue
                    for statement in _split_sql(sql):
                        await self.conn.execute(statement)
                    await self.conn.execute(f"PRAGMA user_version = {number}")
                    applied.append(name)
                await self.conn.execute("COMMIT")
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
        for name in applied:
            log.info("applied migration %s", name)
        return applied

    @asynccontextmanager
    async def transaction(self, now: int) -> AsyncIterator[Tx]:
        """A write transaction: commits on success, rolls back on any exception."""
        async with self._lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            tx = Tx(self.conn, now)
            try:
                yield tx
                await self.conn.execute("COMMIT")
            except BaseException:
                # Also when COMMIT itself fails (disk full, I/O error): never leave the
                # shared connection inside a transaction.
                if self.conn.in_transaction:
                    await self.conn.execute("ROLLBACK")
                raise

    @asynccontextmanager
    async def read(self, now: int) -> AsyncIterator[Tx]:
        """A consistent read-only snapshot."""
        async with self._lock:
            await self.conn.execute("BEGIN")
            try:
                yield Tx(self.conn, now)
            finally:
                await self.conn.execute("ROLLBACK")


def _split_sql(sql: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies (BEGIN ... END;) whole."""
    statements, buf = [], []
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


class Tx:
    """One open transaction: the repositories services use, and the transaction's clock."""

    def __init__(self, conn: aiosqlite.Connection, now: int) -> None:
        self.conn = conn
        self.now = now

    async def execute(self, sql: str, params: Any = ()) -> aiosqlite.Cursor:
        return await self.conn.execute(sql, params)

    async def fetchone(self, sql: str, params: Any = ()) -> sqlite3.Row | None:
        """One row (queries here are by key or LIMIT 1); one trip to the database thread."""
        rows = await self.conn.execute_fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        return list(await self.conn.execute_fetchall(sql, params))

    async def insert(self, sql: str, params: Any = ()) -> int:
        cur = await self.conn.execute(sql, params)
        return int(cur.lastrowid)

    async def update(self, sql: str, params: Any = ()) -> int:
        """Run a write and return how many rows it changed (0 = the condition did not hold)."""
        cur = await self.conn.execute(sql, params)
        return cur.rowcount

    # Repositories, built on first use.
    @cached_property
    def users(self) -> UsersRepo:
        return UsersRepo(self)

    @cached_property
    def jobs(self) -> JobsRepo:
        return JobsRepo(self)

    @cached_property
    def bids(self) -> BidsRepo:
        return BidsRepo(self)

    @cached_property
    def deals(self) -> DealsRepo:
        return DealsRepo(self)

    @cached_property
    def disputes(self) -> DisputesRepo:
        return DisputesRepo(self)

    @cached_property
    def feedback(self) -> FeedbackRepo:
        return FeedbackRepo(self)

    @cached_property
    def payments(self) -> PaymentsRepo:
        return PaymentsRepo(self)

    @cached_property
    def payouts(self) -> PayoutsRepo:
        return PayoutsRepo(self)

    @cached_property
    def trials(self) -> TrialsRepo:
        return TrialsRepo(self)

    @cached_property
    def misc(self) -> MiscRepo:
        return MiscRepo(self)

    @cached_property
    def ledger(self) -> Ledger:
        return Ledger(self)

    @cached_property
    def outbox(self) -> Outbox:
        return Outbox(self)

    @cached_property
    def deadlines(self) -> Deadlines:
        return Deadlines(self)
