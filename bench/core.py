"""Benchmark of the marketplace core: full deal lifecycles through the real services.

Each lifecycle is what the bot does for one job, one call per service use case:
post_job, place_bid x2 (two freelancers), hire (one of the two bids), record_payment,
deliver, release. The people are created up front with touch_user.

Phase 1 runs the lifecycles one after another; phase 2 keeps K lifecycles in flight at once
(asyncio.gather over K workers sharing one Services, whose in-process lock serializes the
transactions). Both phases use one file database in WAL mode, set up exactly as the app does
(`Database.connect`). At the end the books are audited with `ledger_problems` and the fee
account is compared with the fees the benchmark expects.

Run from the repository root:

    python bench/core.py [--lifecycles N] [--concurrency K] [--warmup W] [--db PATH]
    python -m bench.core ...

This is a measurement, not a test: nothing here depends on how fast things run. The process
exits non-zero only when the books are wrong or a service returns an unexpected outcome.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import shlex
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiosqlite  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.domain.money import percent_of  # noqa: E402
from bot.domain.states import DealState  # noqa: E402
from bot.services import bids, deals, jobs  # noqa: E402
from bot.services.base import Clock, Services  # noqa: E402
from bot.services.jobs import JobDraft  # noqa: E402
from bot.services.profiles import touch_user  # noqa: E402
from bot.storage.audit import ledger_problems  # noqa: E402
from bot.storage.db import Database  # noqa: E402

T = TypeVar("T")

CALLS = ("touch_user", "post_job", "place_bid", "hire", "record_payment", "deliver", "release")
TX_PER_LIFECYCLE = 7  # post_job, place_bid x2, hire, record_payment, deliver, release

CLIENT_BASE, FREELANCER_BASE = 700_000, 800_000
N_CLIENTS, N_FREELANCERS = 50, 100


class BenchError(RuntimeError):
    """A service did something other than the happy path the benchmark drives."""


# --- measurement ---------------------------------------------------------------------------


class Recorder:
    """Per-call latencies (seconds) and how many lifecycles are in flight."""

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.in_flight = 0
        self.peak_in_flight = 0

    async def timed(self, name: str, call: Awaitable[T]) -> T:
        start = time.perf_counter()
        try:
            return await call
        finally:
            self.samples[name].append(time.perf_counter() - start)


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted, non-empty list."""
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def latency_table(rec: Recorder) -> str:
    head = f"{'call':<16}{'count':>8}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}"
    lines = [head, "-" * len(head)]
    for name in CALLS:
        data = sorted(rec.samples.get(name, []))
        if not data:
            continue
        lines.append(
            f"{name:<16}{len(data):>8}"
            f"{percentile(data, 0.50) * 1e3:>10.3f}"
            f"{percentile(data, 0.99) * 1e3:>10.3f}"
            f"{data[-1] * 1e3:>10.3f}"
        )
    return "\n".join(lines)


# --- the workload --------------------------------------------------------------------------


CLIENTS = tuple(CLIENT_BASE + i for i in range(N_CLIENTS))
FREELANCERS = tuple(FREELANCER_BASE + i for i in range(N_FREELANCERS))
EVERYONE = (*CLIENTS, *FREELANCERS)


async def touch(svc: Services, rec: Recorder, user_id: int) -> None:
    await rec.timed("touch_user", touch_user(svc, user_id, f"bench{user_id}", "Bench", "en"))


def job_draft(i: int) -> JobDraft:
    return JobDraft(
        category="programming",
        title=f"Benchmark job {i}",
        description="A marketplace bot with escrow, bids and disputes, in Python.",
        answers={"stack": "python"},
        budget_min=100,
        budget_max=300,
        deadline_at=10**10,
    )


async def lifecycle(svc: Services, rec: Recorder, i: int, run_tag: str) -> int:
    """One job from posting to release; returns the platform fee it should have earned."""
    client = CLIENTS[i % N_CLIENTS]
    f1 = FREELANCERS[(2 * i) % N_FREELANCERS]
    f2 = FREELANCERS[(2 * i + 1) % N_FREELANCERS]
    # Amounts vary so the fee's rounding down is exercised (10% of 137 is 13).
    amount1, amount2 = 100 + (i * 7) % 191, 100 + (i * 13) % 197

    rec.in_flight += 1
    rec.peak_in_flight = max(rec.peak_in_flight, rec.in_flight)
    try:
        job = await rec.timed("post_job", jobs.post_job(svc, client, job_draft(i)))
        bid1 = await rec.timed(
            "place_bid", bids.place_bid(svc, f1, job.id, amount1, 3, "I can do it")
        )
        bid2 = await rec.timed(
            "place_bid", bids.place_bid(svc, f2, job.id, amount2, 5, "Me too, cheaper")
        )
        chosen = bid1.bid if i % 2 == 0 else bid2.bid
        deal = await rec.timed("hire", deals.hire(svc, client, chosen.id))
        outcome = await rec.timed(
            "record_payment",
            deals.record_payment(
                svc,
                client,
                deals.invoice_payload(deal.id),
                deal.amount,
                deal.currency,
                f"bench-{run_tag}-{i}",
            ),
        )
        if outcome != "funded":
            raise BenchError(f"lifecycle {i}: record_payment returned {outcome!r}")
        await rec.timed("deliver", deals.deliver(svc, deal.freelancer_id, deal.id, "done"))
        final = await rec.timed("release", deals.release(svc, client, deal.id))
        if final.state != DealState.RELEASED:
            raise BenchError(f"lifecycle {i}: deal {deal.id} ended {final.state}")
        return percent_of(deal.amount, svc.settings.platform_fee_percent)
    finally:
        rec.in_flight -= 1


# --- phases --------------------------------------------------------------------------------


class Counter:
    """Lifecycle numbers, unique across phases (they name the charge ids)."""

    def __init__(self) -> None:
        self.value = 0

    def take(self) -> int:
        self.value += 1
        return self.value


async def run_sequential(
    svc: Services, n: int, warmup: int, counter: Counter, run_tag: str
) -> tuple[Recorder, float, int]:
    rec = Recorder()
    for uid in EVERYONE:
        await touch(svc, rec, uid)
    fees = 0
    scratch = Recorder()  # warm-up lifecycles are not measured
    for _ in range(warmup):
        fees += await lifecycle(svc, scratch, counter.take(), run_tag)
    start = time.perf_counter()
    for _ in range(n):
        fees += await lifecycle(svc, rec, counter.take(), run_tag)
    return rec, time.perf_counter() - start, fees


async def run_concurrent(
    svc: Services, n: int, k: int, counter: Counter, run_tag: str
) -> tuple[Recorder, float, int]:
    rec = Recorder()
    for first in range(0, len(EVERYONE), k):
        await asyncio.gather(*(touch(svc, rec, uid) for uid in EVERYONE[first : first + k]))
    remaining = n
    fees = 0

    async def worker() -> None:
        nonlocal remaining, fees
        while remaining > 0:
            remaining -= 1
            # Not `fees += await ...`: that reads `fees` before the await and loses updates.
            fee = await lifecycle(svc, rec, counter.take(), run_tag)
            fees += fee

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(k, n))))
    return rec, time.perf_counter() - start, fees


# --- reporting -----------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip() in ("model name", "Hardware", "Processor", "cpu model"):
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_lines() -> list[str]:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    return [
        f"cpu:       {cpu_model()}",
        f"cores:     {os.cpu_count()} logical ({usable} usable by this process)",
        f"os:        {platform.platform()}",
        f"python:    {platform.python_implementation()} {sys.version.split()[0]}",
        f"sqlite:    {sqlite3.sqlite_version} (aiosqlite {aiosqlite.__version__})",
    ]


def command_line() -> str:
    argv = getattr(sys, "orig_argv", None) or [sys.executable, *sys.argv]
    return f"cd {shlex.quote(os.getcwd())} && {shlex.join(argv)}"


def phase_report(title: str, rec: Recorder, seconds: float, n: int, note: str) -> str:
    lines = [
        f"== {title} ==",
        f"lifecycles:        {n} in {seconds:.3f} s",
        f"throughput:        {n / seconds:.1f} lifecycles/s"
        f"  ({n * TX_PER_LIFECYCLE / seconds:.0f} write transactions/s)",
        f"peak in flight:    {rec.peak_in_flight}",
        note,
        "",
        latency_table(rec),
    ]
    return "\n".join(lines)


def file_size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


# --- main ----------------------------------------------------------------------------------


async def bench(args: argparse.Namespace, db_path: Path) -> int:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, bot_token="123:BENCH", moderator_chat_id=-100500
    )
    db = await Database(db_path).connect()
    svc = Services(db=db, settings=settings, clock=Clock())
    run_tag = uuid.uuid4().hex[:12]
    counter = Counter()
    try:
        async with db.conn.execute("PRAGMA journal_mode") as cur:
            journal = (await cur.fetchone())[0]
        async with db.conn.execute("PRAGMA synchronous") as cur:
            sync = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get((await cur.fetchone())[0])
        async with svc.read() as tx:
            fees_before = await tx.ledger.balance("fees", settings.currency)

        print("marketplace core benchmark")
        print(f"command:   {command_line()}")
        print(*machine_lines(), sep="\n")
        print(
            f"database:  {db_path} (journal_mode={journal}, synchronous={sync},"
            f" {'temporary' if args.db is None else 'kept'})"
        )
        print(
            f"settings:  currency={settings.currency},"
            f" platform_fee_percent={settings.platform_fee_percent}"
        )
        print(
            f"workload:  {args.lifecycles} lifecycles per phase, {args.warmup} warm-up,"
            f" {N_CLIENTS} clients, {N_FREELANCERS} freelancers; a lifecycle is"
            " post_job, place_bid x2, hire, record_payment, deliver, release"
        )
        print()

        rec1, t1, fees1 = await run_sequential(svc, args.lifecycles, args.warmup, counter, run_tag)
        print(
            phase_report(
                "phase 1: sequential (one lifecycle at a time)",
                rec1,
                t1,
                args.lifecycles,
                "(touch_user: each person once, up front, outside the lifecycle clock)",
            )
        )
        print()

        rec2, t2, fees2 = await run_concurrent(
            svc, args.lifecycles, args.concurrency, counter, run_tag
        )
        print(
            phase_report(
                f"phase 2: concurrent ({args.concurrency} lifecycles in flight,"
                " one shared Services)",
                rec2,
                t2,
                args.lifecycles,
                "(latency includes waiting for the in-process transaction lock;"
                " the database already holds phase 1's rows)",
            )
        )
        print()

        expected = fees_before + fees1 + fees2
        async with svc.read() as tx:
            problems = await ledger_problems(tx)
            fees_now = await tx.ledger.balance("fees", settings.currency)
            states = await tx.fetchall("SELECT state, COUNT(*) AS n FROM deals GROUP BY state")
        fee_ok = fees_now == expected
        print("== check ==")
        print(f"lifecycles run:    {counter.value} ({args.warmup} warm-up + 2 x {args.lifecycles})")
        print("deals by state:    " + ", ".join(f"{r['state']}={r['n']}" for r in states))
        if problems:
            print(f"ledger_problems:   {len(problems)} problem(s)  FAIL")
            for problem in problems[:20]:
                print(f"  - {problem}")
        else:
            print("ledger_problems:   [] (books balance)  OK")
        print(
            f"fee account:       fees:{settings.currency} = {fees_now},"
            f" expected {expected} ({fees_before} before + {fees1 + fees2} earned)"
            f"  {'OK' if fee_ok else 'FAIL'}"
        )
        print(f"database size:     {file_size(db_path) / 1e6:.1f} MB (main file + WAL)")
        return 0 if fee_ok and not problems else 1
    finally:
        await db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lifecycles", type=int, default=500, help="per phase (default 500)")
    parser.add_argument(
        "--concurrency", type=int, default=8, help="lifecycles in flight in phase 2 (default 8)"
    )
    parser.add_argument(
        "--warmup", type=int, default=10, help="unmeasured lifecycles first (default 10)"
    )
    parser.add_argument(
        "--db", type=Path, default=None, help="database file (default: in a temporary dir)"
    )
    args = parser.parse_args(argv)
    if args.lifecycles < 1 or args.concurrency < 1 or args.warmup < 0:
        parser.error("--lifecycles and --concurrency must be >= 1, --warmup >= 0")
    try:
        if args.db is not None:
            return asyncio.run(bench(args, args.db.resolve()))
        with tempfile.TemporaryDirectory(prefix="bench-core-") as tmp:
            return asyncio.run(bench(args, Path(tmp) / "market.db"))
    except BenchError as exc:
        print(f"benchmark aborted: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
