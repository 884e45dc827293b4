"""What handling an update costs the database: statements and transactions per update.

    .venv/bin/python bench/answer_cost.py [--database sqlite|postgresql] [--pairs 20]

The real stack in this process (tests/harness.py: the loopback Bot API, the Application
polling into its inbox, the inbox runner): `--pairs` freelancers each bid on a client's job
(`/bid`, a write with a direct answer), list their bids (`/mybids`, a read) and bid again
(`/bid`, an update of the bid). Counted: what the handling tasks (bot/updates.py, one task
an update, its closing transaction included) run, by kind: write transactions, read
transactions, statements. Background work (the outbox, the scheduler, intake) is not
counted. `CODE_ROOT=/path/to/checkout` measures another checkout's bot (e.g. before a
change) with this script.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(os.environ.get("CODE_ROOT") or Path(__file__).resolve().parent.parent)
sys.path.insert(0, str(ROOT))

from bot.storage import db as sqlite_db  # noqa: E402
from bot.storage import pg as pg_db  # noqa: E402

counts: Counter[str] = Counter()


def handling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.get_name().startswith("update-")


def count_statements(cls: type) -> None:
    for name in ("execute", "executemany", "fetchone", "fetchall", "insert", "update"):
        original = getattr(cls, name)

        def wrapped(self, *args, _original=original, **kw):  # type: ignore[no-untyped-def]
            if handling():
                counts["statements"] += 1
            return _original(self, *args, **kw)

        setattr(cls, name, wrapped)


def count_transactions(cls: type) -> None:
    for name, kind in (("transaction", "write transactions"), ("read", "read transactions")):
        original = getattr(cls, name)

        @contextlib.asynccontextmanager
        async def wrapped(self, *args, _original=original, _kind=kind, **kw):  # type: ignore[no-untyped-def]
            if handling():
                counts[_kind] += 1
            async with _original(self, *args, **kw) as tx:
                yield tx

        setattr(cls, name, wrapped)


async def scenario(tmp: Path, url: str | None, pairs: int) -> int:
    from tests import factories
    from tests.harness import Market

    Market.default_url = url
    async with Market(tmp) as m:
        clients = [5000 + n for n in range(pairs)]
        freelancers = [6000 + n for n in range(pairs)]
        await factories.people(m.svc, *clients, *freelancers)
        jobs = [(await factories.job(m.svc, c)).id for c in clients]
        people = [m.person(uid, f"P{uid}") for uid in freelancers]
        await m.quiet()
        counts.clear()

        async def one(user, job: int) -> None:  # type: ignore[no-untyped-def]
            await user.send(f"/bid {job} 150 3 I can do it")
            await user.wait_for("is placed", timeout=30)
            await user.send("/mybids")
            await user.wait_for(f"Job #{job}", timeout=30)
            await user.send(f"/bid {job} 120 2 Cheaper and sooner")
            await user.wait_for("is updated", timeout=30)

        await asyncio.gather(*(one(u, j) for u, j in zip(people, jobs, strict=True)))
        await m.quiet()
        return 3 * pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pairs", type=int, default=20)
    args = parser.parse_args()
    count_statements(sqlite_db.SqliteTx)
    count_statements(pg_db.PgTx)
    count_transactions(sqlite_db.Database)
    count_transactions(pg_db.PgDatabase)
    done = lambda: None  # noqa: E731
    url = None
    if args.database == "postgresql":
        from tests.conftest import fresh_postgres_url

        url, done = fresh_postgres_url()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            updates = asyncio.run(scenario(Path(tmp), url, args.pairs))
    finally:
        done()
    print(f"{args.database}, {updates} updates ({ROOT}):")
    for kind in ("write transactions", "read transactions", "statements"):
        print(f"  {kind:<20} {counts[kind] / updates:6.2f} per update")


if __name__ == "__main__":
    main()
