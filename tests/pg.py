"""A real PostgreSQL server for the tests: a fresh database for each test that asks.

TEST_POSTGRES_URL names a role that may create databases, e.g.
`postgresql://market:market@127.0.0.1:5432/postgres` (.ci/run starts the server, creates the
role and exports it). Unset, or the server unreachable, the PostgreSQL half of the tests is
skipped with the reason; with REQUIRE_POSTGRES=1 (CI) it fails instead.

Fresh and fast: the migrations run once, into a template database named after a hash of
bot/storage/migrations/pg (so a changed migration makes a new one). A test gets a database
cloned from it (CREATE DATABASE ... TEMPLATE, about 0.1 s). A database a test is done with
is emptied (every table, identities back to 1: the state a clone starts in, in a few ms)
and handed to the next test, unless the test changed its schema (`fresh_url(reuse=False)`);
the rest are dropped when the session ends. The work runs on an event loop of its own in a
thread, so that fixtures of every kind (async, sync, Hypothesis state machines, processes)
share it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import threading
from collections.abc import Coroutine
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bot.storage.engine import migration_files

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "")
REQUIRED = os.environ.get("REQUIRE_POSTGRES", "") not in ("", "0")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def _migrations_hash() -> str:
    digest = hashlib.sha1()
    for _number, name, sql in migration_files("postgresql"):
        digest.update(name.encode() + b"\0" + sql.encode() + b"\0")
    return digest.hexdigest()[:12]


class TestPostgres:
    """The server, its template and the pool of test databases."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.admin: Any = None
        self.template = f"market_tmpl_{_migrations_hash()}"
        self.free: list[str] = []
        self.made: list[str] = []
        self.count = 0
        self.lock = threading.Lock()
        self.reason = ""
        self.clones = self.reuses = 0
        try:
            self._run(self._start())
        except Exception as exc:  # unreachable, refused, no CREATEDB
            self.reason = f"PostgreSQL at TEST_POSTGRES_URL is not usable: {exc!r}"

    def _run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=300)

    async def _start(self) -> None:
        import asyncpg

        self.admin = await asyncpg.connect(self.admin_url, timeout=10)
        # One session builds the template; the others (another worktree's run) wait for it.
        await self.admin.execute("SELECT pg_advisory_lock(7199, 0)")
        try:
            exists = await self.admin.fetchval(
                "SELECT 1 FROM pg_database WHERE datname = $1", self.template
            )
            if not exists:
                await self._build_template()
        finally:
            await self.admin.execute("SELECT pg_advisory_unlock(7199, 0)")

    async def _build_template(self) -> None:
        from bot.storage.pg import PgDatabase

        building = self.template + "_building"
        await self.admin.execute(f'DROP DATABASE IF EXISTS "{building}"')
        await self.admin.execute(
            f"CREATE DATABASE \"{building}\" TEMPLATE template0 ENCODING 'UTF8'"
            " LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
        )
        db = PgDatabase(_with_database(self.admin_url, building), pool_size=1)
        await db.connect(migrate=True)
        await db.close()
        await self.admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{self.template}"')

    @property
    def usable(self) -> bool:
        return not self.reason

    def url(self, name: str) -> str:
        return _with_database(self.admin_url, name)

    def fresh_url(self) -> str:
        """A database in the state the migrations leave: a reused one emptied, or a clone."""
        with self.lock:
            name = self.free.pop() if self.free else None
            if name is None:
                self.count += 1
                name = f"market_test_{os.getpid()}_{self.count}"
                self.made.append(name)
                clone = True
            else:
                clone = False
        if clone:
            self._run(self._clone(name))
            self.clones += 1
        else:
            self.reuses += 1
        return self.url(name)

    def done(self, url: str, *, reuse: bool = True) -> None:
        """The test is done with this database: emptied for the next, or dropped."""
        name = urlsplit(url).path.lstrip("/")
        if reuse:
            try:
                self._run(self._empty(name))
            except Exception:
                reuse = False
        if reuse:
            with self.lock:
                self.free.append(name)
        else:
            self._run(self._drop(name))

    async def _clone(self, name: str) -> None:
        await self.admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')

    async def _end_sessions(self, name: str) -> None:
        """End the sessions the tests left on database `name`: only this role's. An
        autovacuum worker has no role, and a role without superuser rights may not end it
        (`pg_terminate_backend`, `DROP DATABASE ... WITH (FORCE)` refuse); a plain DROP
        DATABASE stops it by itself."""
        await self.admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid() AND usename = current_user",
            name,
        )

    async def _drop(self, name: str) -> None:
        await self._end_sessions(name)
        await self.admin.execute(f'DROP DATABASE IF EXISTS "{name}"')

    async def _empty(self, name: str) -> None:
        """Every row deleted (children before parents), the triggers that refuse it (the
        ledger is append-only) off meanwhile, every identity back to 1. The test's own
        connections must be closed; any left are ended."""
        import asyncpg

        await self._end_sessions(name)
        conn = await asyncpg.connect(self.url(name), timeout=10)
        try:
            tables = [
                r[0]
                for r in await conn.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    " AND tablename <> 'schema_migrations'"
                )
            ]
            refs = await conn.fetch(
                "SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent"
                " FROM pg_constraint c WHERE c.contype = 'f'"
            )
            order = _children_first(tables, [(r["child"], r["parent"]) for r in refs])
            idents = await conn.fetch(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE table_schema = 'public' AND is_identity = 'YES'"
            )
            script = ["BEGIN"]
            script += [f'ALTER TABLE "{t}" DISABLE TRIGGER USER' for t in order]
            script += [f'DELETE FROM "{t}"' for t in order]
            script += [f'ALTER TABLE "{t}" ENABLE TRIGGER USER' for t in order]
            script += [
                f"SELECT setval(pg_get_serial_sequence('\"{r['table_name']}\"',"
                f" '{r['column_name']}'), 1, false)"
                for r in idents
            ]
            script.append("COMMIT")
            await conn.execute(";\n".join(script))
        finally:
            await conn.close()

    def close(self) -> None:
        async def finish() -> None:
            for name in self.made:
                with contextlib.suppress(Exception):
                    await self._drop(name)
            if self.admin is not None:
                await self.admin.close()

        try:
            self._run(finish())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)


def _children_first(tables: list[str], refs: list[tuple[str, str]]) -> list[str]:
    """Tables ordered so that each comes before the tables it references."""
    parents = {t: {p for c, p in refs if c == t and p != t} for t in tables}
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(tables):
        # A table nothing unplaced references any more can go now.
        ready = [
            t
            for t in tables
            if t not in placed
            and not any(t in parents[c] for c in tables if c not in placed and c != t)
        ]
        if not ready:  # a cycle: the rest in any order (DELETE will say if it cannot)
            ready = [t for t in tables if t not in placed]
        for t in sorted(ready):
            order.append(t)
            placed.add(t)
    return order


_server: TestPostgres | None = None
_server_lock = threading.Lock()


def server() -> TestPostgres | None:
    """The session's server (started on first use), or None with `skip_reason()` set."""
    global _server
    with _server_lock:
        if _server is None and ADMIN_URL:
            _server = TestPostgres(ADMIN_URL)
    return _server if _server is not None and _server.usable else None


def skip_reason() -> str:
    if not ADMIN_URL:
        return "TEST_POSTGRES_URL is not set: no PostgreSQL server for the tests (.ci/run sets it)"
    return _server.reason if _server is not None else "PostgreSQL not started"


def shutdown() -> None:
    if _server is not None:
        _server.close()
