"""What both engines share: the transaction object repositories work through, its dialect
(the few places where SQLite's and PostgreSQL's SQL differ), and the rules every transaction
keeps (no nested transaction in one task, slow statements logged, commits counted).

An engine is `bot.storage.db.Database` (SQLite, the default) or `bot.storage.pg.PgDatabase`
(PostgreSQL); `bot.storage.open_database(url)` picks one by DATABASE_URL. Both offer
`connect()`, `close()`, `migrate()`, `schema_version()`, `transaction(now)` and
`read(now)`, each yielding a `Tx`. Repositories write one SQL text with `?` placeholders;
where the engines differ they ask `tx.dialect` (a small object per engine), never test the
engine's name themselves.
"""

from __future__ import annotations

import gc
import json
import logging
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cached_property
from importlib import resources
from typing import Any, Protocol

from bot.domain.errors import Conflict
from bot.storage.budget import GroupSends, SendBudget
from bot.storage.buttons import Keyboards, PendingInputs
from bot.storage.conversations import Conversations
from bot.storage.deadlines import Deadlines
from bot.storage.hourly import HourlyRepo
from bot.storage.inbox import Inbox
from bot.storage.ledger import Ledger
from bot.storage.marks import SyncMarks
from bot.storage.milestones import MilestonesRepo
from bot.storage.outbox import Outbox
from bot.storage.people import PeopleRepo
from bot.storage.records import RecordsRepo
from bot.storage.refunds import RefundsRepo
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
from bot.storage.trail import AuditTrail

log = logging.getLogger("bot.storage.db")

SLOW_STATEMENT_S = 0.020  # a statement slower than this is logged (see bot/storage/db.py)

# Namespaces of PostgreSQL's advisory locks (the first key of pg_advisory_xact_lock(int, int),
# `Tx.try_lock`), one per use, so that no two uses collide. Add new ones here.
LOCKS = {
    "outbox_stream": 7101,  # a stream's head is chosen by one transaction at a time (pg/0006)
    "deadline": 7102,  # one scheduler runs a due deadline at a time (services.timers)
    "migrate": 7103,  # one process migrates at a time (PgDatabase.migrate)
}


class DatabaseUnavailable(RuntimeError):
    """The database DATABASE_URL names cannot be reached or refuses the login: `main.py`
    prints this one line (the URL without its password) instead of a traceback."""


class NestedTransaction(RuntimeError):
    """A transaction or read was opened by the task that already holds one."""


class NotOneStatement(RuntimeError):
    """A read declared to be one statement (`read(one=True)`) ran a second one, or a write."""


NESTED_MESSAGE = (
    "nested transaction: this task already holds the database connection in an open"
    " transaction, and waiting for it would wait forever; a service must not be called inside"
    " another's transaction (pass the open Tx down, or run it after the outer transaction ends)"
)


class StorageConflict(Conflict):
    """Two transactions met on the same rows in a way the code's locks did not order (a
    PostgreSQL deadlock or a unique key taken meanwhile): this one was rolled back and
    changed nothing. The person is asked to try again."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__("storage.busy")
        self.cause = cause


# --- commits made by the current task ---------------------------------------------------------

# Commits made by the task (and so the update) running now: an update is handled in a task of
# its own, and its error handler runs in that task too, so the handler's failure after a
# commit can be told apart from one before any (bot.handlers.base.on_error).
_commits: ContextVar[int] = ContextVar("commits", default=0)


def committed_here() -> bool:
    """Did the current task commit a write transaction (since `forget_commits`)?"""
    return _commits.get() > 0


def forget_commits() -> None:
    """Start counting afresh (a new update)."""
    _commits.set(0)


def count_commit() -> None:
    _commits.set(_commits.get() + 1)


# Inside `commits_not_counted`: the write hook is not called either.
_uncounted: ContextVar[bool] = ContextVar("uncounted", default=False)


@contextmanager
def commits_not_counted() -> Iterator[None]:
    """Commits in the block are bookkeeping, not what the person asked for (their own user
    record, refreshed when an update arrives): not counted, and they do not mark the update
    being handled."""
    before = _commits.get()
    token = _uncounted.set(True)
    try:
        yield
    finally:
        _uncounted.reset(token)
        _commits.set(before)


# --- the write hook (the update being handled) -------------------------------------------


class WriteHook(Protocol):
    """Called by every counted write transaction of the task (the update being handled)."""

    async def before_commit(self, tx: Tx) -> None:
        """Write what belongs with the transaction's effects (the inbox mark); raising rolls
        the whole transaction back."""

    def committed(self) -> None:
        """The transaction committed."""


_write_hook: ContextVar[WriteHook | None] = ContextVar("write_hook", default=None)


def set_write_hook(hook: WriteHook | None) -> None:
    """Attach `hook` to the current task's (the update's) write transactions."""
    _write_hook.set(hook)


async def before_commit(tx: Tx, hook: WriteHook | None) -> None:
    """What every write transaction does last before COMMIT, on both engines: the write
    hook's writes, then the ledger's shared accounts (storage/ledger.py: held the shortest
    while)."""
    if hook is not None:
        await hook.before_commit(tx)
    if "ledger" in tx.__dict__:  # the transaction used the books
        await tx.ledger.flush()


def write_hook() -> WriteHook | None:
    """The hook a write transaction opened now calls: each engine's `transaction()` calls
    `before_commit(tx)` inside the transaction just before COMMIT and `committed()` after
    it; none inside `commits_not_counted`."""
    return None if _uncounted.get() else _write_hook.get()


# --- migrations -------------------------------------------------------------------------

ENGINE_FOLDERS = {"sqlite": "", "postgresql": "pg"}


def migration_files(engine: str = "sqlite") -> list[tuple[int, str, str]]:
    """(number, name, sql) of every migration of `engine`, in order: the files
    bot/storage/migrations/NNNN_name.sql for SQLite, their counterparts of the same name in
    bot/storage/migrations/pg/ for PostgreSQL (one numbered series for both)."""
    folder = resources.files("bot.storage") / "migrations"
    sub = ENGINE_FOLDERS[engine]
    if sub:
        folder = folder / sub
    out = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            out.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(out)


# --- timing -----------------------------------------------------------------------------


class _GcTime:
    """Time spent in the garbage collector (in any thread: it holds the GIL). A collection
    that happens to run inside a statement (while its rows are built) is not the
    statement's time, and must not name that statement as slow."""

    spent = 0.0
    began = 0.0

    @classmethod
    def callback(cls, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            cls.began = time.perf_counter()
        else:
            cls.spent += time.perf_counter() - cls.began


gc.callbacks.append(_GcTime.callback)


def clock() -> float:
    """Seconds, standing still while the garbage collector runs."""
    return time.perf_counter() - _GcTime.spent


def timed(sql: str, start: float, what: str = "on the event loop") -> None:
    """Log a statement that took longer than SLOW_STATEMENT_S, naming it, so that it can be
    made fast (or, on SQLite, moved off the loop)."""
    took = clock() - start
    if took > SLOW_STATEMENT_S:
        log.warning(
            "slow statement %s: %.1f ms (over %.0f ms): %s",
            what,
            took * 1000,
            SLOW_STATEMENT_S * 1000,
            " ".join(sql.split()),
        )


# --- dialects ----------------------------------------------------------------------------


class Dialect:
    """SQLite's SQL where the engines differ; PostgreSQL's dialect overrides each method."""

    name = "sqlite"
    # The column that numbers a table's rows in insertion order where it has no id of its
    # own (payments: SQLite's rowid; a `seq` identity column on PostgreSQL).
    rowid = "rowid"

    def indexed_by(self, index: str) -> str:
        """Name the index a query must use (SQLite's planner needs telling for some
        partial indexes); PostgreSQL's planner picks it from the WHERE clause."""
        return f" INDEXED BY {index}"

    def skip_locked(self) -> str:
        """Appended to a subquery choosing rows to claim: on PostgreSQL, rows another
        transaction is claiming are skipped (FOR UPDATE SKIP LOCKED) rather than waited for.
        SQLite has one writer at a time: nothing to skip."""
        return ""

    def pick(self, select: str) -> tuple[str, str]:
        """Rows a statement changes, chosen by `select` (`SELECT id ... ORDER BY ... LIMIT
        n`): (a prefix for the statement, the subquery its `id IN (...)` reads). Number the
        statement's parameters (`?1`): on PostgreSQL the choice comes first in the text.
        PostgreSQL: the rows are locked, the ones another transaction is changing skipped,
        and the choice made once (a MATERIALIZED CTE). A `LIMIT ... FOR UPDATE SKIP LOCKED`
        subquery inside `IN` may be rescanned by a nested-loop plan, and each rescan skips
        the rows this very statement has updated and takes the next: the LIMIT is not kept
        (a claim of 6 took every ready row). SQLite: the subquery as it is."""
        return "", select

    def id_list(self, marker: str = "?") -> str:
        """A subquery of the ids in one JSON array parameter (`[1, 2, 3]`)."""
        return f"SELECT value FROM json_each({marker})"

    def contains(self, haystack: str, marker: str = "?") -> str:
        """`haystack` contains the parameter as a substring."""
        return f"instr({haystack}, {marker}) > 0"

    def tables(self) -> str:
        """A query of every table's name (column `name`), for the audit and the tests."""
        return (
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )

    def open_jobs_matching(self, words: Sequence[str]) -> tuple[str, list[Any], str]:
        """(FROM and WHERE, params, ORDER BY) of the open jobs whose title or description
        has, for each word, a word starting with it (migration 0003): FTS5 over open jobs,
        each word one quoted prefix phrase, so user text never reaches the query syntax."""
        terms = " ".join('"' + w.replace('"', '""') + '"*' for w in words)
        return (
            "FROM jobs_fts JOIN jobs j ON j.id = jobs_fts.rowid"
            " WHERE jobs_fts MATCH ? AND j.state = 'open'",
            [terms],
            "jobs_fts.rowid DESC",
        )


class PostgresDialect(Dialect):
    name = "postgresql"
    rowid = "seq"

    def indexed_by(self, index: str) -> str:
        return ""

    def skip_locked(self) -> str:
        return " FOR UPDATE SKIP LOCKED"

    def pick(self, select: str) -> tuple[str, str]:
        return f"WITH picked AS MATERIALIZED ({select} FOR UPDATE SKIP LOCKED) ", (
            "SELECT id FROM picked"
        )

    def id_list(self, marker: str = "?") -> str:
        return f"SELECT value::bigint FROM json_array_elements_text(CAST({marker} AS json))"

    def contains(self, haystack: str, marker: str = "?") -> str:
        return f"strpos({haystack}, {marker}) > 0"

    def tables(self) -> str:
        return (
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
            " ORDER BY tablename"
        )

    def open_jobs_matching(self, words: Sequence[str]) -> tuple[str, list[Any], str]:
        # A tsvector of the open jobs (a partial GIN index over an expression, migration
        # pg/0003): the same words, folded the same way, on both sides of @@.
        return (
            "FROM jobs j WHERE jobs_fts_document(j.title, j.description) @@ jobs_fts_query(?)"
            " AND j.state = 'open'",
            [list(words)],
            "j.id DESC",
        )


SQLITE = Dialect()
POSTGRES = PostgresDialect()


def json_ids(values: Any) -> str:
    """The parameter `Dialect.id_list` reads: a JSON array of distinct ids, sorted."""
    return json.dumps(sorted({int(v) for v in values}))


# --- the transaction ----------------------------------------------------------------------


class Result:
    """What `Tx.execute` returns: how many rows the statement changed."""

    __slots__ = ("lastrowid", "rowcount")

    def __init__(self, rowcount: int, lastrowid: int | None = None) -> None:
        self.rowcount = rowcount
        self.lastrowid = lastrowid


class Tx:
    """One open transaction: the repositories services use, and the transaction's clock.

    The statement methods are coroutines, so that repositories read the same over either
    engine. `locks_rows` is true in a PostgreSQL write transaction, where concurrent
    writers are real: there `for_update` (appended to a SELECT) locks the rows read until
    the commit, so that what a service decides from them still holds when it writes. With
    SQLite a write transaction holds the whole database (BEGIN IMMEDIATE) and both are empty.
    """

    dialect: Dialect = SQLITE
    locks_rows = False
    now: int

    @property
    def for_update(self) -> str:
        return " FOR UPDATE" if self.locks_rows else ""

    async def execute(self, sql: str, params: Any = ()) -> Any:
        raise NotImplementedError

    async def executemany(self, sql: str, rows: Any) -> None:
        raise NotImplementedError

    async def fetchone(self, sql: str, params: Any = ()) -> Any:
        raise NotImplementedError

    async def fetchall(self, sql: str, params: Any = ()) -> list[Any]:
        raise NotImplementedError

    async def insert(self, sql: str, params: Any = ()) -> int:
        """Insert one row into a table with an `id` column; returns its id."""
        raise NotImplementedError

    async def update(self, sql: str, params: Any = ()) -> int:
        """Run a write and return how many rows it changed (0 = the condition did not hold)."""
        raise NotImplementedError

    async def try_lock(self, namespace: int, key: int) -> bool:
        """Take a lock on (namespace, key) for the rest of the transaction if nobody holds
        it, without waiting; False when another transaction holds it. PostgreSQL: an
        advisory transaction lock (namespaces in LOCKS); SQLite's write
        transaction already excludes every other: always True."""
        return True

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
    def refunds(self) -> RefundsRepo:
        return RefundsRepo(self)

    @cached_property
    def hourly(self) -> HourlyRepo:
        return HourlyRepo(self)

    @cached_property
    def trials(self) -> TrialsRepo:
        return TrialsRepo(self)

    @cached_property
    def records(self) -> RecordsRepo:
        return RecordsRepo(self)

    @cached_property
    def misc(self) -> MiscRepo:
        return MiscRepo(self)

    @cached_property
    def milestones(self) -> MilestonesRepo:
        return MilestonesRepo(self)

    @cached_property
    def ledger(self) -> Ledger:
        return Ledger(self)

    @cached_property
    def outbox(self) -> Outbox:
        return Outbox(self)

    @cached_property
    def deadlines(self) -> Deadlines:
        return Deadlines(self)

    @cached_property
    def marks(self) -> SyncMarks:
        return SyncMarks(self)

    @cached_property
    def trail(self) -> AuditTrail:
        return AuditTrail(self)

    @cached_property
    def people(self) -> PeopleRepo:
        return PeopleRepo(self)

    @cached_property
    def inputs(self) -> PendingInputs:
        return PendingInputs(self)

    @cached_property
    def keyboards(self) -> Keyboards:
        return Keyboards(self)

    @cached_property
    def inbox(self) -> Inbox:
        return Inbox(self)

    @cached_property
    def conversations(self) -> Conversations:
        return Conversations(self)

    @cached_property
    def send_budget(self) -> SendBudget:
        return SendBudget(self)

    @cached_property
    def group_sends(self) -> GroupSends:
        return GroupSends(self)


_WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


class OneStatement(Tx):
    """A read of one statement (`read(one=True)`): on PostgreSQL it runs outside a
    transaction (no BEGIN and ROLLBACK round trips: one statement sees one snapshot anyway),
    on SQLite inside the usual read. A second statement or a write raises
    `NotOneStatement` on both engines, so a read that grows is told, not torn."""

    def __init__(self, inner: Tx) -> None:
        self.inner = inner
        self.now = inner.now
        self.dialect = inner.dialect
        self.ran: str | None = None

    def _one(self, sql: str) -> None:
        if self.ran is not None:
            raise NotOneStatement(
                f"a one-statement read ran a second statement: {sql[:80]!r} after"
                f" {self.ran[:80]!r}; open it without one=True"
            )
        # Outside a transaction PostgreSQL would commit a write at once: a statement that is
        # not a query, or one that writes or locks (a data-modifying WITH, FOR UPDATE), is
        # refused as a read-only transaction would refuse it.
        if not sql.lstrip()[:6].upper().startswith(("SELECT", "WITH")) or _WRITES.search(sql):
            self._write(sql)
        self.ran = sql

    def _write(self, sql: str, *_: Any) -> Any:
        raise NotOneStatement(f"a read may not write: {sql[:80]!r}")

    async def fetchone(self, sql: str, params: Any = ()) -> Any:
        self._one(sql)
        return await self.inner.fetchone(sql, params)

    async def fetchall(self, sql: str, params: Any = ()) -> list[Any]:
        self._one(sql)
        return await self.inner.fetchall(sql, params)

    async def execute(self, sql: str, params: Any = ()) -> Any:
        self._write(sql)

    async def executemany(self, sql: str, rows: Any) -> None:
        self._write(sql)

    async def insert(self, sql: str, params: Any = ()) -> int:
        return self._write(sql)

    async def update(self, sql: str, params: Any = ()) -> int:
        return self._write(sql)
