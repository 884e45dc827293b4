"""What a /metrics scrape costs in the database: bot.storage.gauges over large tables.

    python bench/scrape.py [--rows 100000]

Fills a migrated database with `--rows` pending outbox rows (over 20,000 chats and the four
lanes), `--rows` pending deadlines (a tenth of them due, half of those over a minute late),
and `--rows` deals' escrow accounts (a tenth holding money), then times `read_gauges`: in
aiosqlite's thread as the scrape runs it (`ops.gauges`: the bot's ping, then a read-only
connection of its own), and each query alone on the loop. Prints milliseconds (median and
max of 20 scrapes).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.services import ops  # noqa: E402
from bot.services.base import Clock, Services  # noqa: E402
from bot.storage.db import Database  # noqa: E402
from bot.storage.gauges import read_gauges  # noqa: E402


def fill(path: str, rows: int, now: int) -> None:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("BEGIN")
    con.executemany(
        "INSERT INTO outbox (chat_id, key, params, lane, next_attempt_at, created_at)"
        " VALUES (?, 'notify.x', '{}', ?, ?, ?)",
        ((1000 + i % 20_000, i % 4, now, now - (rows - i)) for i in range(rows)),
    )
    con.executemany(
        "INSERT INTO deadlines (kind, subject_id, due_at, created_at) VALUES (?, ?, ?, ?)",
        (
            ("review_release", i, now - 120 * (i % 20 == 0) if i % 10 == 0 else now + i, now)
            for i in range(rows)
        ),
    )
    con.executemany(
        "INSERT INTO ledger_accounts (code, kind, currency, owner_id, balance)"
        " VALUES (?, 'escrow', 'XTR', ?, ?)",
        ((f"escrow:{i}:XTR", i, 150 if i % 10 == 0 else 0) for i in range(rows)),
    )
    con.execute(
        "INSERT INTO ledger_accounts (code, kind, currency, may_go_negative, balance)"
        " VALUES ('world_in:XTR', 'world_in', 'XTR', 1, ?)",
        (-150 * (rows // 10),),
    )
    con.execute("COMMIT")
    con.close()


async def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "scrape.db")
        db = await Database(path).connect()
        clock = Clock()
        svc = Services(db=db, settings=Settings(_env_file=None, bot_token="1:x"), clock=clock)  # type: ignore[call-arg]
        await db.close()
        start = time.perf_counter()
        fill(path, rows, clock.now())
        print(
            f"filled {rows:,} outbox rows, deadlines and escrow accounts"
            f" in {time.perf_counter() - start:.1f} s"
        )
        await db.connect()
        try:
            g = await ops.gauges(svc)
            print(
                f"outbox per lane {g.outbox_depth}, deadlines pending {g.deadlines_pending},"
                f" due {g.deadlines_due}, overdue {g.deadlines_overdue},"
                f" lag {g.scheduler_lag} s, escrow {g.money.get(('escrow', 'XTR'))}"
            )
            scrape = []
            for _ in range(20):
                t = time.perf_counter()
                await ops.gauges(svc)
                scrape.append((time.perf_counter() - t) * 1000)
            on_loop = []
            for _ in range(20):
                async with svc.read() as tx:
                    t = time.perf_counter()
                    await read_gauges(tx)
                    on_loop.append((time.perf_counter() - t) * 1000)
            for name, xs in (("scrape (thread)", scrape), ("queries on the loop", on_loop)):
                print(f"{name:20} median {statistics.median(xs):7.2f} ms   max {max(xs):7.2f} ms")
        finally:
            await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().rows))
