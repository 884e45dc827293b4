from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from bot.config import Settings
from bot.services.base import Clock, Services
from bot.storage import open_database
from bot.storage.audit import ledger_problems
from tests import factories
from tests import pg as test_pg

# CI runs every property test with a fixed seed so a submission's result is repeatable;
# developers' runs keep exploring new examples.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


def make_settings(**over: object) -> Settings:
    base: dict[str, object] = {
        "bot_token": "123:TEST",
        "moderator_chat_id": -100500,
        "admin_user_ids": [9001],
    }
    base.update(over)
    return Settings(_env_file=None, **base)  # type: ignore[call-arg]


@pytest.fixture
def settings() -> Settings:
    return make_settings()


# --- the two engines ---------------------------------------------------------------------------
#
# A test that takes `svc`, `db_url` or `engine` runs once per engine: SQLite (a file in the
# test's tmp_path) and PostgreSQL (a fresh database on the server TEST_POSTGRES_URL names,
# tests/pg.py). TEST_ENGINES=sqlite (or postgresql) runs one of them only. A test of what
# only one engine has is marked `@pytest.mark.sqlite_only` (or `postgres_only`); the other
# engine's run of it is deselected.

# What a broken constraint raises, on either engine.
INTEGRITY_ERRORS: tuple[type[BaseException], ...] = (sqlite3.IntegrityError,)
try:
    import asyncpg

    INTEGRITY_ERRORS += (asyncpg.IntegrityConstraintViolationError,)
except ImportError:  # pragma: no cover
    pass

ENGINES = [e for e in os.environ.get("TEST_ENGINES", "sqlite,postgresql").split(",") if e]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: a test of what only SQLite has")
    config.addinivalue_line("markers", "postgres_only: a test of what only PostgreSQL has")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep, drop = [], []
    for item in items:
        engine = getattr(getattr(item, "callspec", None), "params", {}).get("engine")
        if (engine == "postgresql" and item.get_closest_marker("sqlite_only")) or (
            engine == "sqlite" and item.get_closest_marker("postgres_only")
        ):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_sessionfinish(session: pytest.Session) -> None:
    test_pg.shutdown()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if getattr(terminalreporter.config.option, "numprocesses", None):
        return  # the xdist controller runs no test: its workers' servers are their own
    srv = test_pg._server
    if srv is not None and srv.usable:
        terminalreporter.write_line(
            f"PostgreSQL: {srv.clones} databases cloned from {srv.template},"
            f" {srv.reuses} emptied and reused"
        )
    elif "postgresql" in ENGINES:
        terminalreporter.write_line(f"PostgreSQL tests skipped: {test_pg.skip_reason()}")


def require_postgres() -> test_pg.TestPostgres:
    """The test server, or the test is skipped with the reason (failed under
    REQUIRE_POSTGRES=1: CI must run them)."""
    srv = test_pg.server()
    if srv is None:
        if test_pg.REQUIRED:
            pytest.fail(test_pg.skip_reason())
        pytest.skip(test_pg.skip_reason())
    return srv


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        require_postgres()
    return str(request.param)


@pytest.fixture
def db_url(engine: str, tmp_path: Any) -> Iterator[str]:
    """A DATABASE_URL for a database of its own: an SQLite file, or a fresh PostgreSQL
    database (emptied and reused after the test)."""
    if engine == "sqlite":
        yield f"sqlite:///{tmp_path / 'market.db'}"
        return
    srv = require_postgres()
    url = srv.fresh_url()
    try:
        yield url
    finally:
        srv.done(url)


@pytest.fixture
async def dbs(db_url: str):
    """Two connections to one database, as two instances of the bot would hold."""
    first = await open_database(db_url).connect()
    second = await open_database(db_url).connect()
    yield first, second
    await first.close()
    await second.close()


@pytest.fixture
def market_engine(db_url: str, engine: str) -> Iterator[str]:
    """End-to-end tests (tests/harness.py `Market`) on both engines: a module opts in with
    `pytestmark = pytest.mark.usefixtures("market_engine")`."""
    from tests.harness import Market

    Market.default_url = db_url if engine == "postgresql" else None
    try:
        yield engine
    finally:
        Market.default_url = None


def fresh_postgres_url() -> tuple[str, Callable[[], None]]:
    """A fresh PostgreSQL database outside a fixture (a Hypothesis example), and what to
    call when done with it."""
    srv = require_postgres()
    url = srv.fresh_url()
    return url, lambda: srv.done(url)


@pytest.fixture
async def svc(db_url, settings):
    db = await open_database(db_url).connect()
    services = Services(db=db, settings=settings, clock=Clock())
    await factories.people(services)
    await factories.people(services, 9001)
    yield services
    try:
        async with services.read() as tx:
            assert await ledger_problems(tx) == []
    finally:
        await db.close()  # also when the books are wrong: an open connection hangs the exit
