"""A busy marketplace in a loop, for tests/test_crash.py to SIGKILL at a random moment.

    python -m tests.crash_worker DB_PATH LOG_PATH SEED [KIND:N]

Each iteration walks one deal down a random path (hire, pay, sometimes a replayed charge or a
payment after cancellation, deliver, revise, release, refund, dispute and split, payout).
Right after each service call returns (its transaction committed) the worker appends one line
`<op> <id> [extra]` to LOG_PATH and fsyncs it, so the test knows exactly which operations
were committed before the kill.

With KIND:N the worker kills itself (SIGKILL) inside the transaction of its N-th ledger
transaction of that kind (fund, release, refund, split, payout), right after the ledger rows
and the deal's state change were written but before the commit; a tiny page cache makes part
of that half-done transaction spill into the WAL file first.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys

from bot.config import Settings
from bot.domain.errors import DomainError
from bot.services import bids, deals, disputes, jobs, payouts
from bot.services.base import Clock, Services, as_admin
from bot.services.jobs import JobDraft
from bot.services.profiles import touch_user
from bot.storage.db import Database
from bot.storage.ledger import Ledger

CLIENTS = (1001, 1002, 1003)
FREELANCERS = (2001, 2002, 2003)
ADMIN = 9001


class FixedClock(Clock):
    BASE = 1_900_000_000

    def now(self) -> int:
        return self.BASE + self.offset


def settings() -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, bot_token="123:TEST", moderator_chat_id=-100500, admin_user_ids=[ADMIN]
    )


def draft(rng: random.Random) -> JobDraft:
    return JobDraft(
        category="programming",
        title=f"Crash test job {rng.randrange(10**6)}",
        description="A job posted by the crash worker, to be killed at a random moment.",
        answers={"stack": "python"},
        budget_min=10,
        budget_max=500,
        deadline_at=10**10,
    )


def die_inside(spec: str) -> None:
    """SIGKILL this process inside the N-th ledger transaction of KIND, before its commit."""
    kind, _, nth = spec.partition(":")
    seen = 0
    post = Ledger.post

    async def post_then_die(self: Ledger, k: str, *args: object, **kw: object) -> int:
        nonlocal seen
        txn = await post(self, k, *args, **kw)  # type: ignore[arg-type]
        if k == kind:
            seen += 1
            if seen == int(nth):
                os.kill(os.getpid(), signal.SIGKILL)
        return txn

    Ledger.post = post_then_die  # type: ignore[method-assign]


async def run(db_path: str, log_path: str, seed: int, spill: bool = False) -> None:
    rng = random.Random(seed)
    db = await Database(db_path).connect()
    if spill:
        # A tiny page cache: a transaction's pages spill into the WAL before its commit, so a
        # kill inside it leaves uncommitted frames on disk for recovery to throw away.
        await db.conn.execute("PRAGMA cache_size = 1")
    svc = Services(db=db, settings=settings(), clock=FixedClock())
    mod = as_admin(svc, ADMIN)
    for uid in (*CLIENTS, *FREELANCERS, ADMIN):
        await touch_user(svc, uid, f"user{uid}", f"User {uid}", "en")
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def done(*parts: object) -> None:
        os.write(fd, (" ".join(str(p) for p in parts) + "\n").encode())
        os.fsync(fd)

    done("ready", os.getpid())
    n = 0
    while True:
        n += 1
        client, freelancer = rng.choice(CLIENTS), rng.choice(FREELANCERS)
        job = await jobs.post_job(svc, client, draft(rng))
        done("job", job.id)
        bid = (await bids.place_bid(svc, freelancer, job.id, rng.randint(10, 500), 3, "hi")).bid
        done("bid", bid.id)
        deal = await deals.hire(svc, client, bid.id)
        done("hire", deal.id)
        path = rng.random()
        payload = deals.invoice_payload(deal.id)
        charge = f"w{seed}-{n}"
        if path < 0.1:
            assert await deals.cancel(svc, rng.choice((client, freelancer)), deal.id) == "cancelled"
            done("cancel_unfunded", deal.id)
            got = await deals.record_payment(svc, client, payload, deal.amount, "XTR", charge)
            assert got == "refunded", got
            done("stray", deal.id, charge)
            continue
        assert await deals.record_payment(svc, client, payload, deal.amount, "XTR", charge) == (
            "funded"
        )
        done("pay", deal.id, charge)
        if rng.random() < 0.2:
            got = await deals.record_payment(svc, client, payload, deal.amount, "XTR", charge)
            assert got == "duplicate", got
            done("dup", deal.id, charge)
        if path < 0.3:
            assert await deals.cancel(svc, freelancer, deal.id) == "refunded"
            done("refund", deal.id)
        elif path < 0.4:
            pass  # stays funded
        else:
            await deals.deliver(svc, freelancer, deal.id, "done")
            done("deliver", deal.id)
            if rng.random() < 0.3:
                await deals.revise(svc, client, deal.id, "a little more")
                done("revise", deal.id)
                await deals.deliver(svc, freelancer, deal.id, "done again")
                done("deliver", deal.id)
            if path < 0.55:
                await disputes.open_dispute(svc, client, deal.id, "not good")
                done("dispute", deal.id)
                if rng.random() < 0.8:
                    pct = rng.randint(0, 100)
                    await disputes.resolve(svc, mod, deal.id, "split", pct)
                    done("split", deal.id, pct)
            elif path < 0.65:
                pass  # stays delivered
            else:
                await deals.release(svc, client, deal.id)
                done("release", deal.id)
        if rng.random() < 0.25:
            try:
                p = await payouts.request_payout(svc, freelancer)
            except DomainError:
                continue  # nothing to pay out
            done("payout", p.id, p.amount)


if __name__ == "__main__":
    if len(sys.argv) > 4:
        die_inside(sys.argv[4])
    asyncio.run(run(sys.argv[1], sys.argv[2], int(sys.argv[3]), spill=len(sys.argv) > 4))
