"""Crash safety: SIGKILL a busy worker process mid-burst, reopen the database, check the books.

tests/crash_worker.py hires, pays, delivers, revises, releases, refunds, disputes and splits
in a loop on a file database, logging (with fsync) each operation right after its service call
returned. The test kills it at a random moment, then, as a restart would:
- every operation the worker reported committed is in the database, and at most one more
  (the one in flight when the kill came) is there beyond those;
- nothing is half done: each deal's state agrees with its ledger transactions, its escrow,
  its payment, its events, its notifications in the outbox, its timers and its job's state;
- the books are sound (`ledger_problems`, and the same facts checked directly), and
  `PRAGMA integrity_check` is ok;
- the services keep working: due timers run, and one more full lifecycle goes through.
"""

from __future__ import annotations

import json
import os
import random
import signal
import struct
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.domain.money import percent_of
from bot.services import deals, refunds, timers
from bot.services.base import Clock, Services
from bot.storage.audit import ledger_problems
from bot.storage.db import Database
from tests import factories
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parent.parent
DEAL_TIMERS = (
    "funding_expire",
    "delivery_nudge",
    "delivery_due",
    "delivery_refund",
    "review_nudge",
    "review_release",
    "dispute_sla",
)
# (seed, lines logged before the kill may come): early, mid and late in a burst.
# A stray payment's refund and a refund's settling name the deal but are not its own steps.
NOT_OF_THE_DEAL = ("stray_refund", "refund_sent", "refund_refused")
KILLS = [(11, 5), (12, 40), (13, 120), (14, 250), (15, 400)]


class FixedClock(Clock):
    BASE = 1_900_000_000  # the worker's clock

    def now(self) -> int:
        return self.BASE + self.offset


def run_and_kill(
    tmp_path: Path, seed: int, min_lines: int, inside: str | None = None
) -> tuple[Path, list[list[str]]]:
    """Run the worker; SIGKILL it once it logged `min_lines` operations (plus a random few
    ms), or, with `inside`, wait for it to kill itself inside a transaction."""
    db_path, log_path = tmp_path / "crash.db", tmp_path / "ops.log"
    args = [sys.executable, "-m", "tests.crash_worker", str(db_path), str(log_path), str(seed)]
    proc = subprocess.Popen(
        [*args, *([inside] if inside else [])],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    rng = random.Random(seed)
    deadline = time.monotonic() + 60
    try:
        while inside is None:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise AssertionError(f"the worker died on its own ({proc.returncode}):\n{err}")
            lines = log_path.read_text().count("\n") if log_path.exists() else 0
            if lines >= min_lines:
                break
            assert time.monotonic() < deadline, "the worker is too slow"
            time.sleep(0.002)
        if inside is None:
            time.sleep(rng.uniform(0, 0.02))  # a random moment in the burst
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        err = proc.stderr.read().decode() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, f"the worker ended with {proc.returncode}:\n{err}"
    text = log_path.read_text()
    assert text.endswith("\n"), "a log line was cut (the log is written before fsync returns)"
    return db_path, [line.split() for line in text.splitlines()]


def uncommitted_wal_frames(db_path: Path) -> int:
    """Frames of the current WAL generation written after its last commit frame: pages of a
    transaction that never committed (recovery must ignore them)."""
    wal = Path(f"{db_path}-wal")
    data = wal.read_bytes() if wal.exists() else b""
    if len(data) < 32:
        return 0
    page_size, salts = struct.unpack(">I", data[8:12])[0], data[16:24]
    commits: list[int] = []
    offset = 32
    while offset + 24 + page_size <= len(data) and data[offset + 8 : offset + 16] == salts:
        commits.append(struct.unpack(">I", data[offset + 4 : offset + 8])[0])
        offset += 24 + page_size
    last_commit = max((i for i, size in enumerate(commits) if size), default=-1)
    return len(commits) - 1 - last_commit


async def rows(svc: Services, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    async with svc.read() as tx:
        return [dict(r) for r in await tx.fetchall(sql, params)]


async def check_books(svc: Services) -> None:
    async with svc.read() as tx:
        assert await ledger_problems(tx) == []
        assert [tuple(r) for r in await tx.fetchall("PRAGMA integrity_check")] == [("ok",)]
        assert await tx.fetchall("PRAGMA foreign_key_check") == []
    bad = await rows(
        svc,
        "SELECT transaction_id, SUM(amount) AS s, COUNT(*) AS n FROM ledger_entries"
        " GROUP BY transaction_id HAVING SUM(amount) <> 0 OR COUNT(*) < 2",
    )
    assert bad == []
    empty = await rows(
        svc,
        "SELECT id FROM ledger_transactions t WHERE NOT EXISTS"
        " (SELECT 1 FROM ledger_entries e WHERE e.transaction_id = t.id)",
    )
    assert empty == [], "a ledger transaction without its entries"
    accounts = await rows(
        svc,
        "SELECT a.kind, a.owner_id, a.balance, COALESCE((SELECT SUM(amount) FROM"
        " ledger_entries e WHERE e.account_id = a.id), 0) AS s FROM ledger_accounts a",
    )
    for a in accounts:
        assert a["balance"] == a["s"], a
        assert a["kind"] == "world_in" or a["balance"] >= 0, a
    totals: Counter[str] = Counter()
    for a in accounts:
        totals[a["kind"]] += a["balance"]
    assert -totals["world_in"] == sum(v for k, v in totals.items() if k != "world_in"), totals
    payments = await rows(svc, "SELECT * FROM payments")
    assert sum(p["amount"] for p in payments) == -totals["world_in"]
    txns = await rows(svc, "SELECT kind, memo, deal_id, payout_id FROM ledger_transactions")
    by_memo = Counter((t["kind"], t["memo"]) for t in txns if t["kind"] in ("fund", "stray_refund"))
    for p in payments:
        kind = "fund" if p["outcome"] == "funded" else "stray_refund"
        assert by_memo[(kind, p["charge_id"])] == 1, p
    assert sum(by_memo.values()) == len(payments), "a fund/stray refund without its payment"
    pouts = await rows(svc, "SELECT * FROM payouts")
    per_payout = Counter((t["kind"], t["payout_id"]) for t in txns if t["payout_id"])
    for p in pouts:
        assert per_payout[("payout", p["id"])] == 1, p
        assert per_payout[("payout_paid", p["id"])] == (p["state"] == "paid"), p
    assert totals["payable"] == sum(p["amount"] for p in pouts if p["state"] == "pending")


async def check_deals(svc: Services) -> None:
    """Each deal's state agrees with everything that should have moved with it."""
    fee_pct = svc.settings.platform_fee_percent
    all_deals = await rows(svc, "SELECT * FROM deals")
    jobs = {j["id"]: j for j in await rows(svc, "SELECT * FROM jobs")}
    for d in all_deals:
        did, state, amount = d["id"], d["state"], d["amount"]
        txns = await rows(
            svc, "SELECT id, kind, memo FROM ledger_transactions WHERE deal_id = ?", (did,)
        )
        kinds = Counter(t["kind"] for t in txns if t["kind"] not in NOT_OF_THE_DEAL)
        escrow = await factories.balance(svc, "escrow", did)
        events = Counter(
            e["kind"]
            for e in await rows(svc, "SELECT kind FROM deal_events WHERE deal_id = ?", (did,))
        )
        out = Counter(
            o["key"]
            for o in await rows(svc, "SELECT key FROM outbox WHERE ref = ?", (f"deal:{did}",))
        )
        timers_left = {
            t["kind"]
            for t in await rows(
                svc, "SELECT kind FROM deadlines WHERE subject_id = ? AND state = 'pending'", (did,)
            )
            if t["kind"] in DEAL_TIMERS
        }
        funded = await rows(
            svc, "SELECT * FROM payments WHERE deal_id = ? AND outcome = 'funded'", (did,)
        )
        where = f"deal {did} ({state})"
        assert events["hired"] == 1 and out["invoice.deal"] == 1, where
        if state in ("awaiting_funding", "cancelled"):
            assert kinds == Counter() and escrow == 0 and funded == [], where
            assert d["charge_id"] is None, where
            if state == "awaiting_funding":
                assert timers_left == {"funding_expire"}, (where, timers_left)
                assert jobs[d["job_id"]]["state"] == "hiring", where
            else:
                assert timers_left == set(), (where, timers_left)
                assert events["cancel_unfunded"] + events["funding_expired"] == 1, where
            continue
        # Funded at some point: one payment, one fund transaction, one set of notices.
        assert len(funded) == 1 and funded[0]["charge_id"] == d["charge_id"], where
        assert kinds["fund"] == 1 and events["pay"] == 1, where
        # Paid outside a handler (record_payment): nobody was answered, both are told.
        assert out["notify.deal_funded"] == 2, where
        assert [t["memo"] for t in txns if t["kind"] == "fund"] == [d["charge_id"]], where
        # Every delivery and revision committed with its notice.
        assert out["notify.delivered"] == events["deliver"], where
        assert out["notify.revision"] == events["revise"] == d["revisions"], where
        assert events["deliver"] in (events["revise"], events["revise"] + 1), where
        disputes = await rows(svc, "SELECT * FROM disputes WHERE deal_id = ?", (did,))
        opened = 1 if state in ("disputed", "split") else 0
        assert len(disputes) == out["notify.dispute_opened_other"] == opened, where
        job_state = jobs[d["job_id"]]["state"]
        if state in ("funded", "delivered", "disputed"):
            assert escrow == amount and set(kinds) == {"fund"}, where
            assert job_state == "in_progress", where
            assert d["ended_at"] is None, where
            want = {
                "funded": {"delivery_refund", "delivery_due"},
                "delivered": {"review_release"},
                "disputed": {"dispute_sla"},
            }[state]
            assert want <= timers_left and (state != "disputed" or timers_left == want), (
                where,
                timers_left,
            )
            continue
        assert escrow == 0 and d["ended_at"] is not None, where
        assert timers_left == set(), (where, timers_left)
        if state == "released":
            assert kinds == Counter({"fund": 1, "release": 1}), (where, kinds)
            # The client released it (/release answers them): only the freelancer is told.
            assert out["notify.released_freelancer"] == 1, where
            assert out["notify.released_client"] == events["auto_release"], where
            assert job_state == "completed", where
            release = next(t for t in txns if t["kind"] == "release")
            legs = await rows(
                svc,
                "SELECT a.kind, a.owner_id, e.amount FROM ledger_entries e JOIN ledger_accounts a"
                " ON a.id = e.account_id WHERE e.transaction_id = ?",
                (release["id"],),
            )
            got = {(leg["kind"], leg["owner_id"]): leg["amount"] for leg in legs}
            fee = percent_of(amount, fee_pct)
            want_legs = {("escrow", did): -amount, ("user", d["freelancer_id"]): amount - fee}
            if fee:
                want_legs[("fees", None)] = fee
            assert got == want_legs, (where, got)
        elif state == "refunded":
            assert kinds == Counter({"fund": 1, "refund": 1}), (where, kinds)
            # A freelancer's cancel (their handler answers them): only the client is told; an
            # automatic refund (nobody acted): both are.
            told = 1 if events["cancel"] else 2
            assert out["notify.refunded"] == told and out["refund_star"] == 1, where
            assert job_state == "closed", where
        elif state == "split":
            assert kinds == Counter({"fund": 1, "split": 1}), (where, kinds)
            assert out["notify.resolved"] == 2, where
            assert disputes[0]["outcome"] == "split" and disputes[0]["resolved_at"], where
            assert job_state == "completed", where
        else:
            raise AssertionError(f"unexpected {where}")


async def committed_ops(svc: Services) -> Counter[tuple[str, str]]:
    """The worker's operations as the database shows them (one count per commit)."""
    ops: Counter[tuple[str, str]] = Counter()
    for r in await rows(svc, "SELECT id FROM jobs"):
        ops[("job", str(r["id"]))] += 1
    for r in await rows(svc, "SELECT id FROM bids"):
        ops[("bid", str(r["id"]))] += 1
    for r in await rows(svc, "SELECT id FROM deals"):
        ops[("hire", str(r["id"]))] += 1
    for r in await rows(svc, "SELECT deal_id, outcome FROM payments"):
        ops[("pay" if r["outcome"] == "funded" else "stray", str(r["deal_id"]))] += 1
    names = {
        "cancel_unfunded": "cancel_unfunded",
        "cancel": "refund",
        "deliver": "deliver",
        "revise": "revise",
        "release": "release",
        "resolve_split": "split",
    }
    for r in await rows(svc, "SELECT deal_id, kind FROM deal_events WHERE actor_id IS NULL"):
        if r["kind"] in names:
            ops[(names[r["kind"]], str(r["deal_id"]))] += 1
    for r in await rows(svc, "SELECT deal_id FROM disputes"):
        ops[("dispute", str(r["deal_id"]))] += 1
    for r in await rows(svc, "SELECT params FROM outbox WHERE key = 'mod.payout_requested'"):
        ops[("payout", str(json.loads(r["params"])["payout"]))] += 1
    return ops


async def check_logged(svc: Services, log: list[list[str]], in_flight: int = 1) -> None:
    """Every logged operation is committed; at most `in_flight` more are (the one the kill
    interrupted between its commit and its log line)."""
    assert log and log[0][0] == "ready"
    logged: Counter[tuple[str, str]] = Counter()
    for op, ident, *extra in log[1:]:
        if op == "dup":
            charge = extra[0]
            pays = await rows(svc, "SELECT * FROM payments WHERE charge_id = ?", (charge,))
            funds = await rows(
                svc,
                "SELECT id FROM ledger_transactions WHERE kind = 'fund' AND memo = ?",
                (charge,),
            )
            assert len(pays) == len(funds) == 1, f"replayed {charge} applied twice"
            continue
        logged[(op, ident)] += 1
        if op in ("pay", "stray"):
            pay = await rows(svc, "SELECT * FROM payments WHERE charge_id = ?", (extra[0],))
            assert len(pay) == 1 and str(pay[0]["deal_id"]) == ident, (op, ident, extra)
            assert pay[0]["outcome"] == ("funded" if op == "pay" else "refunded")
        if op == "split":
            dispute = await rows(
                svc,
                "SELECT percent FROM disputes WHERE deal_id = ? AND outcome = 'split'",
                (int(ident),),
            )
            assert [d["percent"] for d in dispute] == [int(extra[0])]
        if op == "payout":
            pay = await rows(svc, "SELECT amount FROM payouts WHERE id = ?", (int(ident),))
            assert [p["amount"] for p in pay] == [int(extra[0])]
    found = await committed_ops(svc)
    missing = {k: v - found[k] for k, v in logged.items() if found[k] < v}
    assert not missing, f"committed operations lost in the crash: {missing}"
    extra_ops = found - logged
    assert sum(extra_ops.values()) <= in_flight, f"more than the op in flight: {extra_ops}"


async def full_lifecycle(svc: Services) -> None:
    await factories.people(svc, factories.CLIENT, factories.FREELANCER)
    j = await factories.job(svc)
    b = await factories.bid(svc, j.id)
    d = await deals.hire(svc, factories.CLIENT, b.id)
    assert await factories.pay(svc, d, f"after-restart-{d.id}") == "funded"
    await deals.deliver(svc, factories.FREELANCER, d.id, "done")
    released = await deals.release(svc, factories.CLIENT, d.id)
    assert released.state == "released"


async def restart_and_check(db_path: Path, log: list[list[str]], in_flight: int = 1) -> None:
    db = await Database(db_path).connect()  # a restart: reopen (recovers the WAL), migrate
    svc = Services(db=db, settings=make_settings(), clock=FixedClock())
    try:
        await check_books(svc)
        await check_logged(svc, log, in_flight)
        await check_deals(svc)
        # The restart: what fell due while the bot was down runs at once, and runs soundly.
        svc.clock.advance(30 * 86400)
        await timers.run_due(svc)
        # ... and the dispatcher settles the Stars refunds (Telegram confirms them).
        for r in await rows(svc, "SELECT charge_id FROM refunds WHERE state = 'pending'"):
            assert await refunds.confirm(svc, r["charge_id"])
        async with svc.read() as tx:
            assert await tx.deadlines.due(svc.clock.now()) == []
        await check_books(svc)
        await check_deals(svc)
        left = await rows(
            svc,
            "SELECT id, state FROM deals WHERE state IN ('awaiting_funding','funded','delivered')",
        )
        assert left == [], f"timers did not finish these deals: {left}"
        await full_lifecycle(svc)
        await check_books(svc)
        await check_deals(svc)
    finally:
        await db.close()


@pytest.mark.parametrize(("seed", "min_lines"), KILLS, ids=[f"kill-after-{n}" for _, n in KILLS])
async def test_sigkill_mid_burst(tmp_path: Path, seed: int, min_lines: int) -> None:
    db_path, log = run_and_kill(tmp_path, seed, min_lines)
    await restart_and_check(db_path, log)


@pytest.mark.parametrize("inside", ["fund:5", "release:3", "refund:2", "split:2", "payout:2"])
async def test_sigkill_inside_a_transaction(tmp_path: Path, inside: str) -> None:
    """The worker dies after its ledger rows and state change were written, before COMMIT,
    with some of those pages already spilled into the WAL: after the restart none of that
    operation is there, and everything else is."""
    db_path, log = run_and_kill(tmp_path, 31, 0, inside)
    kind, _, nth = inside.partition(":")
    assert uncommitted_wal_frames(db_path) > 0, "the kill left no uncommitted pages on disk"
    db = await Database(db_path).connect()
    try:
        async with db.read(0) as tx:
            row = await tx.fetchone(
                "SELECT COUNT(*) FROM ledger_transactions WHERE kind = ?", (kind,)
            )
        assert row[0] == int(nth) - 1, f"the interrupted {kind} left {row[0]} transactions"
    finally:
        await db.close()
    await restart_and_check(db_path, log, in_flight=0)
