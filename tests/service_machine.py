"""What the Hypothesis state machines over the services share (tests/test_ledger_stateful.py,
tests/test_hourly_stateful.py): a database per example, on SQLite or a fresh PostgreSQL one;
an event loop to drive the services from the machine's synchronous rules; `attempt`, which
runs one call and, when it is refused, proves that nothing changed; and the pair of test
cases, one per engine."""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis.stateful import RuleBasedStateMachine

from bot.domain.errors import DomainError
from bot.services.base import Services
from bot.storage import open_database
from tests import pg as test_pg
from tests.conftest import ENGINES, fresh_postgres_url

REFUSED = object()  # what `attempt` returns for a call that was refused as expected


class ServiceMachine(RuleBasedStateMachine):
    PREFIX = "service-sm-"
    UNCOMPARED: tuple[str, ...] = ()  # tables a refusal may change (the update's own inbox)

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.tmp = Path(tempfile.mkdtemp(prefix=self.PREFIX))
        self.url, self.release_db = self.database()
        self.db = self.run(open_database(self.url).connect())
        self.svc: Services | None = None
        self.charge_seq = 0

    def database(self) -> tuple[str, Callable[[], None]]:
        """A fresh database for the example, and what to call when done with it."""
        return f"sqlite:///{self.tmp / 'market.db'}", lambda: None

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        try:
            self.run(self.db.close())
        finally:
            self.loop.close()
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.release_db()

    @property
    def now(self) -> int:
        assert self.svc is not None
        return self.svc.clock.now()

    async def _snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        assert self.svc is not None
        async with self.svc.read() as tx:
            names = [r["name"] for r in await tx.fetchall(tx.dialect.tables())]
            # Sorted in Python: some tables (FTS shadow tables) have no rowid to order by.
            return {
                n: sorted((tuple(r) for r in await tx.fetchall(f'SELECT * FROM "{n}"')), key=repr)
                for n in names
                if n not in self.UNCOMPARED
            }

    def attempt(self, expect: type[DomainError] | None, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run one service call. `expect` None: it must succeed; a DomainError class: it must
        be refused with that kind and change nothing (then REFUSED)."""
        label = sys._getframe(1).f_code.co_name
        before = self.run(self._snapshot())
        try:
            result = self.run(coro)
        except DomainError as err:
            event(f"{label}: refused {type(err).__name__}")
            assert expect is not None, f"{label} refused unexpectedly: {err!r}"
            assert isinstance(err, expect), f"expected {expect.__name__}, got {err!r}"
            after = self.run(self._snapshot())
            changed = [t for t in before if before[t] != after.get(t)]
            assert not changed, f"refused {err!r} but changed tables {changed}"
            return REFUSED
        assert expect is None, f"{label}: expected a refusal ({expect.__name__}), got {result!r}"
        event(f"{label}: ok")
        return result

    def who(self, right: int, who: int, anyone: int) -> int:
        """The right person most of the time, anyone else now and then."""
        return right if who < 7 else anyone


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        stateful_step_count=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


def engine_cases(machine: type[ServiceMachine], examples: int, pg_examples: int) -> tuple[Any, Any]:
    """The machine's test case on SQLite and on PostgreSQL (each example in a fresh database:
    tests/pg.py), each skipped when TEST_ENGINES leaves its engine out. Fewer examples on
    PostgreSQL: every statement is a round trip (CI's time; the SQLite run explores the logic,
    the PostgreSQL one the engine)."""
    on_pg = type(
        f"Postgres{machine.__name__}",
        (machine,),
        {"database": lambda self: fresh_postgres_url()},
    )
    machine.TestCase.settings = _settings(examples)
    on_pg.TestCase.settings = _settings(pg_examples)
    sqlite_case = machine.TestCase
    if "sqlite" not in ENGINES:
        sqlite_case = pytest.mark.skip(reason="TEST_ENGINES")(sqlite_case)
    pg_case = pytest.mark.skipif(
        "postgresql" not in ENGINES or (test_pg.server() is None and not test_pg.REQUIRED),
        reason=test_pg.skip_reason() if "postgresql" in ENGINES else "TEST_ENGINES",
    )(on_pg.TestCase)
    return sqlite_case, pg_case
