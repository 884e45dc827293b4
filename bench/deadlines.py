"""Deadlines at scale: 100,000 pending, and a crowd of them falling due at once.

A fresh database gets (straight through SQL, in a child process, so that this process's
memory is the bot's alone):

- `--due` open jobs whose bidding window has ended, each with `--bids-per-due` active bids,
  and their `job_expire` deadlines due now: when they run, each job expires, its bids are
  declined, and the bidders and the client are told (1 + bids notifications each);
- open jobs in the future with their `job_expire` and `job_nudge` deadlines, enough to make
  `--pending` (100,000) pending deadlines in all.

Then the bot starts as in production (`build_application`, long polling) against the
loopback Bot API server in a separate process with flood control on (30 messages in any
second, 20 a minute per group, answered with 429 beyond). Measured:

- start-up: from building the application to the deadline scheduler's first run reading the
  table (goal < 5 s), and the bot process's resident memory (VmRSS) then (goal < 300 MB);
- the work-off: how long until every due deadline has run and every notification it wrote
  is sent, the send rate, the most sends the server saw in any one second, and the number of
  429 answers (goal: 0), and the peak memory (VmHWM);
- the event loop's lag (how late a task that asks to wake every 5 ms wakes): the most while
  the due deadlines run (goal < 50 ms: a run yields to the loop between deadlines), and the
  most over the whole work-off.

    python bench/deadlines.py [--pending 100000] [--due 1000] [--bids-per-due 1]
    python bench/deadlines.py --due 10000 --deadlines-only   # stop once every deadline ran
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import logging
import multiprocessing as mp
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


from bench.botsim import TOKEN, ServerProcess  # noqa: E402
from bench.common import (  # noqa: E402
    Row,
    command_line,
    machine_lines,
    print_table,
    rss_mb,
    write_rows,
)
from bot.app import build_application, start_receiving, stop_receiving  # noqa: E402
from bot.config import Settings  # noqa: E402

GOAL_STARTUP_S = 5.0
GOAL_RSS_MB = 300.0
GOAL_LAG_MS = 50.0
TELEGRAM_PER_SECOND = 30
CLIENT_BASE, FREELANCER_BASE = 300_000, 400_000
CLIENTS, FREELANCERS = 2000, 2000


def populate(db_path: str, pending: int, due: int, bids_per_due: int, now: int) -> None:
    """The schema (the app's migrations), then people, jobs, bids and deadlines in bulk."""
    import asyncio as aio

    from bot.storage.db import Database

    async def schema() -> None:
        db = await Database(db_path).connect()
        await db.close()

    aio.run(schema())
    rng = random.Random(1)
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    people = [(CLIENT_BASE + i, f"c{i}", f"Client {i}") for i in range(CLIENTS)]
    people += [(FREELANCER_BASE + i, f"f{i}", f"Freelancer {i}") for i in range(FREELANCERS)]
    conn.executemany(
        "INSERT INTO users (id, username, first_name, language, created_at)"
        " VALUES (?, ?, ?, 'en', ?)",
        [(*p, now - 86400) for p in people],
    )
    future_jobs = max(0, (pending - due + 1) // 2)

    def job(i: int, ends: int) -> tuple[Any, ...]:
        return (
            CLIENT_BASE + i % CLIENTS,
            "programming",
            f"Deadline bench job {i}",
            "A job whose bidding window ends, for the deadline benchmark.",
            100,
            200,
            now + 30 * 86400,
            now - 7 * 86400,
            ends,
        )

    insert_job = (
        "INSERT INTO jobs (client_id, category, title, description, budget_min, budget_max,"
        " currency, deadline_at, state, created_at, bidding_ends_at)"
        " VALUES (?, ?, ?, ?, ?, ?, 'XTR', ?, 'open', ?, ?)"
    )
    conn.executemany(insert_job, (job(i, now - 60) for i in range(due)))
    due_ids = [r[0] for r in conn.execute("SELECT id FROM jobs ORDER BY id")]
    ends = [now + rng.randint(2 * 86400, 7 * 86400) for _ in range(future_jobs)]
    conn.executemany(insert_job, (job(due + i, ends[i]) for i in range(future_jobs)))
    future_ids = [r[0] for r in conn.execute("SELECT id FROM jobs WHERE id > ?", (due_ids[-1],))]
    conn.executemany(
        "INSERT INTO bids (job_id, freelancer_id, amount, days, cover, state, created_at,"
        " updated_at) VALUES (?, ?, 150, 3, 'I can do it', 'active', ?, ?)",
        (
            (jid, FREELANCER_BASE + (n * bids_per_due + k) % FREELANCERS, now - 3600, now - 3600)
            for n, jid in enumerate(due_ids)
            for k in range(bids_per_due)
        ),
    )
    rows = [("job_expire", jid, now - 60, now - 86400) for jid in due_ids]
    for jid, end in zip(future_ids, ends, strict=True):
        rows.append(("job_expire", jid, end, now - 86400))
        rows.append(("job_nudge", jid, end - 86400, now - 86400))
    conn.executemany(
        "INSERT INTO deadlines (kind, subject_id, due_at, created_at) VALUES (?, ?, ?, ?)",
        rows[:pending] if len(rows) > pending else rows,
    )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


async def counts(app: Any) -> tuple[int, int]:
    """(pending deadlines due now, pending outbox rows)."""
    svc = app.bot_data["rt"].svc
    async with svc.read() as tx:
        d = await tx.fetchone(
            "SELECT COUNT(*) AS n FROM deadlines WHERE state = 'pending' AND due_at <= ?",
            (tx.now,),
        )
        o = await tx.fetchone("SELECT COUNT(*) AS n FROM outbox WHERE state = 'pending'")
    return int(d["n"]), int(o["n"])


class LagProbe:
    """How late the event loop wakes a task that sleeps `every` seconds at a time: the time
    some callback held the loop (a long run of SQL, a big JSON, ...)."""

    def __init__(self, every: float = 0.005) -> None:
        self.every = every
        self.worst = 0.0
        self.wakes = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(self.every)
            self.worst = max(self.worst, time.perf_counter() - asked - self.every)
            self.wakes += 1

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


def max_in_window(times: list[float], window: float = 1.0) -> int:
    best = 0
    for i, t in enumerate(times):
        j = bisect.bisect_left(times, t + window)
        best = max(best, j - i)
    return best


async def bench(args: argparse.Namespace, tmp: Path) -> list[Row]:
    db_path = tmp / "deadlines.db"
    now = int(time.time())
    print(
        f"deadline benchmark: {args.pending:,} pending deadlines, {args.due:,} due at start,"
        f" {args.bids_per_due} bid(s) each"
    )
    print(f"command:   {command_line()}")
    print(*machine_lines(), sep="\n")
    t0 = time.perf_counter()
    ctx = mp.get_context("spawn")
    child = ctx.Process(
        target=populate, args=(str(db_path), args.pending, args.due, args.bids_per_due, now)
    )
    child.start()
    child.join()
    assert child.exitcode == 0, "populating the database failed"
    con = sqlite3.connect(db_path)
    pending = con.execute("SELECT COUNT(*) FROM deadlines WHERE state = 'pending'").fetchone()[0]
    due_now = con.execute(
        "SELECT COUNT(*) FROM deadlines WHERE state = 'pending' AND due_at <= ?", (now,)
    ).fetchone()[0]
    con.close()
    took = time.perf_counter() - t0
    print(f"setup:     {pending:,} pending deadlines ({due_now:,} due) in {took:.1f} s")

    server = ServerProcess(flood_control=True, keep_records=False)
    print(f"server:    {server.base_url} (flood control on: 30/s, 20/min per group)")
    rows: list[Row] = []
    try:
        await server.call(
            "users",
            [CLIENT_BASE + i for i in range(CLIENTS)],
            [FREELANCER_BASE + i for i in range(FREELANCERS)],
        )
        base_stats = await server.call("stats", 0.0)
        rss_before = rss_mb()
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            bot_token=TOKEN,
            bot_api_base_url=server.base_url,
            database_url=f"sqlite:///{db_path}",
        )
        start = time.perf_counter()
        app = build_application(settings, freeze_heap=True)  # as `python main.py run`
        first_tick: dict[str, float] = {}
        ticked = asyncio.Event()
        await app.initialize()
        assert app.post_init is not None
        await app.post_init(app)
        scheduler = app.bot_data["deadlines"]
        tick = scheduler.tick

        async def timed_tick() -> int:
            first_tick.setdefault("start", time.perf_counter())
            ticked.set()
            acted = await tick()
            first_tick.setdefault("end", time.perf_counter())
            return acted

        scheduler.tick = timed_tick
        lag = LagProbe()
        lag.start()
        await app.start()
        await start_receiving(app, poll_timeout=10)
        await ticked.wait()
        startup = first_tick["start"] - start
        rss_started = rss_mb()
        print(
            f"start-up:  {startup:.3f} s to the scheduler's first run; VmRSS {rss_started:.0f} MB"
        )
        # The work-off: every due deadline run, every notification it wrote sent.
        last_print = time.perf_counter()
        lag_run: float | None = None
        deadlines_done = float("nan")
        while True:
            d, o = await counts(app)
            if d == 0 and lag_run is None:
                lag_run = lag.worst
                deadlines_done = time.perf_counter() - start
                print(f"  {deadlines_done:6.1f} s: every due deadline ran; {o} to send")
            if d == 0 and (o == 0 or args.deadlines_only):
                break
            if time.perf_counter() - last_print > 10:
                print(f"  {time.perf_counter() - start:6.0f} s: {d} deadlines due, {o} to send")
                last_print = time.perf_counter()
            await asyncio.sleep(0.25)
        done = time.perf_counter()
        lag.stop()
        lag_all = lag.worst
        assert lag_run is not None
        first_run = first_tick.get("end", done) - first_tick["start"]
        stats = await server.call("stats", 0.0)
        await stop_receiving(app)
        await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
    finally:
        server.close()

    peak = rss_mb("VmHWM")
    sends = sorted(stats["send_times"])[len(base_stats["send_times"]) :]
    too_many = stats["status_counts"].get(429, 0) - base_stats["status_counts"].get(429, 0)
    failed = {k: v for k, v in stats["status_counts"].items() if k not in (200, 429)}
    worst = max_in_window(sends)
    span = (sends[-1] - sends[0]) if len(sends) > 1 else float("nan")
    rate = (len(sends) - 1) / span if len(sends) > 1 else float("nan")
    workoff = done - start
    print(
        f"work-off:  {len(sends):,} messages in {workoff:.1f} s after start ({rate:.1f}/s while"
        f" sending), at most {worst} in any second, {too_many} x 429, other errors {failed}"
    )
    print(
        f"loop lag:  at most {lag_run * 1000:.1f} ms while the {due_now:,} due deadlines ran"
        f" ({deadlines_done:.1f} s), at most {lag_all * 1000:.1f} ms over the work-off"
    )
    print(
        f"memory:    VmRSS {rss_before:.0f} MB before the bot, {rss_started:.0f} MB started,"
        f" peak VmHWM {peak:.0f} MB"
    )
    rows = [
        Row("deadlines", "pending deadlines at start", f"{pending:,}"),
        Row(
            "deadlines",
            "start-up to the scheduler's first run",
            f"{startup:.2f} s",
            f"< {GOAL_STARTUP_S:.0f} s",
            startup < GOAL_STARTUP_S,
        ),
        Row(
            "deadlines",
            "first scheduler run (up to 500 due)",
            f"{first_run:.2f} s",
        ),
        Row(
            "deadlines",
            "resident memory after start (VmRSS)",
            f"{rss_started:.0f} MB",
            f"< {GOAL_RSS_MB:.0f} MB",
            rss_started < GOAL_RSS_MB,
        ),
        Row(
            "deadlines",
            "peak resident memory (VmHWM)",
            f"{peak:.0f} MB",
            f"< {GOAL_RSS_MB:.0f} MB",
            peak < GOAL_RSS_MB,
        ),
        Row("deadlines", "due at once -> messages sent", f"{due_now:,} -> {len(sends):,}"),
        Row("deadlines", "every due deadline run", f"{deadlines_done:.1f} s"),
        Row(
            "deadlines",
            "max event-loop lag while they run",
            f"{lag_run * 1000:.1f} ms",
            f"< {GOAL_LAG_MS:.0f} ms",
            lag_run * 1000 < GOAL_LAG_MS,
        ),
        Row(
            "deadlines",
            "max event-loop lag over the work-off",
            f"{lag_all * 1000:.1f} ms",
        ),
        Row(
            "deadlines",
            "work-off (all run" + (")" if args.deadlines_only else " and sent)"),
            f"{workoff:.1f} s",
        ),
        Row(
            "deadlines",
            "send rate / most in any 1 s",
            f"{rate:.1f}/s / {worst}",
            f"<= {TELEGRAM_PER_SECOND}",
            worst <= TELEGRAM_PER_SECOND,
        ),
        Row("deadlines", "429 answers from the server", str(too_many), "0", too_many == 0),
    ]
    if failed:
        rows.append(Row("deadlines", "other failed calls", str(failed), "none", False))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pending", type=int, default=100_000, help="pending deadlines (100000)")
    parser.add_argument("--due", type=int, default=1000, help="of them due at start (1000)")
    parser.add_argument("--bids-per-due", type=int, default=1, help="bids on each (1)")
    parser.add_argument(
        "--deadlines-only",
        action="store_true",
        help="stop once every due deadline ran (do not wait for the sends)",
    )
    parser.add_argument("--json", default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    if not 1 <= args.due <= args.pending:
        parser.error("need 1 <= --due <= --pending")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench-deadlines-") as tmp:
        rows = asyncio.run(bench(args, Path(tmp)))
    print()
    print_table("deadline figures", rows)
    write_rows(args.json, rows)
    return 0 if all(r.ok is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
