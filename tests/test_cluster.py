"""Three bot processes on one PostgreSQL database, one SIGKILLed mid-burst and restarted.

The loopback Bot API server delivers webhooks to the three in turn (a balancer), several at
once; 25 clients and 25 freelancers live a deal each (bid, accept from /bids, pay, deliver,
release), and unpaid deals' funding runs out meanwhile (deadlines the three schedulers race
for, half of them due just before the kill). Instance 2 is SIGKILLed once a third of the
updates are handled, and started again later (its people's turns pass to the others when
their lease ends, what else it held at its restart). Then:

- every update is stored once and handled once (inbox rows; one bid, deal, payment, fund and
  release per pair), each person's updates in update_id order (the processes trace the
  start of every handling; a handling the kill cut short starts again, never an older one
  after a newer one);
- every due deadline done once, its effects once;
- nothing sent twice, except what the killed process had in hand (sent, not yet marked: the
  outbox is at least once across a crash, bot/notify.py), each such copy after the kill;
- every update a person sent answered, or (the killed process had committed its effects and
  not answered yet) the person told once that its answer was lost in the restart; no answer
  owed at the end (bot/services/lost_answers.py);
- the books clean (the ledger audit);
- never more than 30 sends in any second, counted by the server from its own call records,
  across the three instances (the budget they share, bot/pacing.py).

PostgreSQL only (several processes on one SQLite file is not a deployment): skipped, with
the reason, when no PostgreSQL server is there for the tests. About 40 s.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.pacing import CLUSTER_LIMIT, is_send
from bot.services import deals
from bot.services.base import Services
from bot.services.lost_answers import EXCERPT, LOST_KEY
from bot.storage.audit import ledger_problems
from bot.text import clip
from sandbox.botapi import BotApiServer, SimMessage, SimUser
from tests import factories
from tests.bot_worker import TOKEN
from tests.conftest import ENGINES, require_postgres
from tests.harness import labels
from tests.test_inbox_crash import ROOT, free_port, rows, services

PAIRS = 25  # 50 people
UNFUNDED = 10  # deals whose funding runs out during the burst (half just before the kill)
INSTANCES = 3
VICTIM = 1  # the instance killed
LEASE = 5  # the inbox turns' lease in the workers (seconds)
WAIT = 90.0  # for any one step under a loaded machine (a turn may wait for a lease)
CLIENTS = [5000 + n for n in range(PAIRS)]
FREELANCERS = [6000 + n for n in range(PAIRS)]


@pytest.fixture
def pg_url():
    if "postgresql" not in ENGINES:
        pytest.skip("TEST_ENGINES leaves PostgreSQL out")
    srv = require_postgres()
    url = srv.fresh_url()
    yield url
    srv.done(url)


class Instance:
    def __init__(self, n: int, url: str, server: BotApiServer, tmp_path: Path) -> None:
        self.n, self.url, self.server = n, url, server
        self.port = free_port()
        self.report = tmp_path / f"report-{n}.log"
        self.log = tmp_path / f"stderr-{n}.log"  # a file: a pipe nobody reads fills up
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    async def start(self) -> None:
        since = len(self.server.call_records)
        args = [sys.executable, "-m", "tests.bot_worker", self.url, self.server.base_url]
        args += [f"webhook:{self.port}", str(self.report), f"trace,lease:{LEASE}"]
        with self.log.open("ab") as err:
            self.proc = subprocess.Popen(  # noqa: ASYNC220 (it returns at once)
                args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err
            )
        await self.server.wait_for_call("setWebhook", timeout=60, since=since)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.close()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        finally:
            self.close()

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def errors(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def traced(self) -> list[tuple[int, int, int]]:
        """(when, update_id, person) of each handling started."""
        if not self.report.exists():
            return []
        out = []
        for line in self.report.read_text().splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[0] == "handling":
                out.append((int(parts[3]), int(parts[1]), int(parts[2])))
        return out


async def seen(user: SimUser, pattern: str, timeout: float = WAIT) -> re.Match[str]:  # noqa: ASYNC109
    """The first of the user's messages matching `pattern`, whenever it came (notices and
    answers race across instances: nothing is consumed)."""
    regex = re.compile(pattern)
    end = time.monotonic() + timeout
    while True:
        for message in user.messages:
            found = regex.search(message.text or "")
            if found:
                return found
        assert time.monotonic() < end, f"{user.id} never saw {pattern!r}: {user.transcript()}"
        await asyncio.sleep(0.05)


async def message(user: SimUser, match: Callable[[SimMessage], bool]) -> SimMessage:
    end = time.monotonic() + WAIT
    while True:
        for found in user.messages:
            if match(found):
                return found
        assert time.monotonic() < end, f"{user.id}: no such message: {user.transcript()}"
        await asyncio.sleep(0.05)


async def answered(user: SimUser, text: str, pattern: str) -> re.Match[str] | None:
    """After `user` sent `text`: the bot's answer matching `pattern`, or None when the notice
    that its answer was lost in a restart (quoting `text`) came instead. Neither: fails."""
    regex = re.compile(pattern)
    lost = re.compile(re.escape(f"“{clip(text, EXCERPT)}” was received and done, but its answer"))

    def shown(message: SimMessage) -> str:  # its text and its buttons' labels
        return "\n".join([message.text or "", *labels(message)])

    told_before = sum(bool(lost.search(m.text or "")) for m in user.messages)
    await user.send(text)
    end = time.monotonic() + WAIT
    while True:
        for message in user.messages:
            found = regex.search(shown(message))
            if found:
                return found
        if sum(bool(lost.search(m.text or "")) for m in user.messages) > told_before:
            return None
        assert time.monotonic() < end, f"{user.id}: no answer to {text!r}: {user.transcript()}"
        await asyncio.sleep(0.05)


async def lifecycle(server: BotApiServer, job_id: int, client: int, freelancer: int) -> int:
    """One pair's deal through the bot; returns the deal's id. Every update the people send
    gets its answer or the notice that the answer was lost (the killed process had committed
    the update's effects and not answered yet); the pair goes on from what the bot says."""
    clara, fred = server.user(client), server.user(freelancer)
    placed = await answered(
        fred, f"/bid {job_id} 150 3 I can do it", rf"Bid #(\d+) on Job #{job_id} is placed"
    )
    while True:  # a read (handled again after a kill), asked again on a notice all the same
        if await answered(clara, f"/bids {job_id}", r"Accept #\d+") is not None:
            break
    listing = await message(clara, lambda m: any(b.startswith("Accept #") for b in labels(m)))
    bid = (
        int(placed.group(1))
        if placed is not None
        else int(next(b for b in labels(listing) if b.startswith("Accept #")).partition("#")[2])
    )
    await clara.press(listing, f"Accept #{bid}")
    invoice = await message(clara, lambda m: m.invoice is not None)
    found = re.search(r"Deal #(\d+)", invoice.text or "")
    assert found is not None, invoice
    deal = int(found.group(1))
    await clara.send_successful_payment(deals.invoice_payload(deal), 150)
    await seen(clara, rf"Deal #{deal} is funded")
    await seen(fred, rf"Deal #{deal}\b")
    await answered(fred, f"/deliver {deal} Done, see the files", rf"Deal #{deal} is delivered\.")
    await answered(clara, f"/release {deal}", rf"Deal #{deal} is complete")
    return deal


def max_per_second(times: list[float]) -> int:
    """The most of `times` in any half-open window of one second."""
    times = sorted(times)
    best, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= 1.0:
            first += 1
        best = max(best, last - first + 1)
    return best


async def prepare(url: str) -> tuple[list[int], list[int]]:
    """The people, a job for each pair, and UNFUNDED deals awaiting funding (through the
    services)."""
    svc = await services(url)
    try:
        await factories.people(svc, *CLIENTS, *FREELANCERS, factories.STRANGER, 9001)
        jobs = [(await factories.job(svc, c)).id for c in CLIENTS]
        unfunded = []
        for n in range(UNFUNDED):
            job = await factories.job(svc, factories.STRANGER, title=f"Logo {n}")
            bid = await factories.bid(svc, job.id, FREELANCERS[n])
            unfunded.append((await deals.hire(svc, factories.STRANGER, bid.id)).id)
        return jobs, unfunded
    finally:
        await svc.db.close()


async def run_out(svc: Services, unfunded: list[int]) -> None:
    """These deals' funding runs out now (as if its 48 hours had passed): deadlines due at
    once, for the schedulers."""
    async with svc.tx() as tx:
        for deal in unfunded:
            await tx.execute("UPDATE deals SET funding_ends_at = ? WHERE id = ?", (tx.now, deal))
            await tx.deadlines.set("funding_expire", deal, tx.now)


async def handled(svc: Services) -> int:
    found = await rows(svc, "SELECT COUNT(*) AS n FROM inbox WHERE handled_at IS NOT NULL")
    return int(found[0]["n"])


@pytest.mark.alone  # its send-rate check wants the machine to itself (.ci/run)
async def test_three_instances_one_killed_mid_burst(tmp_path: Path, pg_url: str) -> None:
    jobs, unfunded = await prepare(pg_url)
    svc = await services(pg_url)  # the test's own view of the database
    server = BotApiServer(token=TOKEN, bot_username="market_bot")
    instances: list[Instance] = []
    pairs: list[asyncio.Task[int]] = []
    try:
        await server.start()
        server.webhooks.retry_base = 0.05
        for uid in (*CLIENTS, *FREELANCERS):
            server.add_user(uid, f"P{uid}", username=f"p{uid}", started=True)
        server.add_user(factories.STRANGER, "Sam", username="sam", started=True)
        instances = [Instance(n, pg_url, server, tmp_path) for n in range(INSTANCES)]
        for instance in instances:
            await instance.start()
        server.webhooks.balance([i.webhook for i in instances])
        burst_started = time.time()
        pairs = [
            asyncio.create_task(lifecycle(server, job, c, f))
            for job, c, f in zip(jobs, CLIENTS, FREELANCERS, strict=True)
        ]
        end = time.monotonic() + 120
        while await handled(svc) < PAIRS * 6 // 3:  # a third of the updates
            assert time.monotonic() < end, "the burst did not get going"
            assert all(i.alive() for i in instances), [i.errors() for i in instances]
            await asyncio.sleep(0.1)
        victim = instances[VICTIM]
        await run_out(svc, unfunded[: UNFUNDED // 2])
        killed_at = time.time()
        assert victim.proc is not None
        victim_pid = victim.proc.pid
        victim.kill()
        await run_out(svc, unfunded[UNFUNDED // 2 :])
        await asyncio.sleep(LEASE + 1)  # the others go on; its people's turns pass to them
        await victim.start()
        restarted_at = time.time()
        done = await asyncio.wait_for(asyncio.gather(*pairs), timeout=300)
        finished_at = time.time()
        end = time.monotonic() + WAIT
        while True:  # every notice out, every due deadline done
            left = await rows(
                svc,
                "SELECT (SELECT COUNT(*) FROM outbox WHERE state = 'pending')"
                " + (SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL)"
                " + (SELECT COUNT(*) FROM deadlines WHERE state = 'pending' AND due_at <= ?)"
                " AS n",
                (int(time.time()),),
            )
            if not left[0]["n"] and not server.pending_updates:
                break
            assert time.monotonic() < end, f"still busy: {left}"
            await asyncio.sleep(0.2)
        for instance in instances:
            instance.stop()
        told = await check(svc, server, instances, done, unfunded, killed_at, victim_pid)
        sends = [r.at for r in server.call_records if is_send(r.method) and r.at >= burst_started]
        peak = max_per_second(sends)
        print(
            f"\n{len(sends)} sends in {sends[-1] - sends[0]:.1f} s, at most {peak} in a second;"
            f" killed at {killed_at - burst_started:.1f} s, restarted at"
            f" {restarted_at - burst_started:.1f} s, deals done at"
            f" {finished_at - burst_started:.1f} s; {told} answers told lost"
        )
        assert peak <= CLUSTER_LIMIT, peak
    finally:
        for task in pairs:
            task.cancel()
        await asyncio.gather(*pairs, return_exceptions=True)
        for instance in instances:
            instance.close()
        await server.stop()
        await svc.db.close()


async def check(svc, server, instances, done, unfunded, killed_at, victim_pid) -> int:
    # Every update Telegram was told of (a 200) stored once and handled.
    inbox = await rows(svc, "SELECT update_id, handled_at, handled_by FROM inbox")
    assert all(r["handled_at"] is not None for r in inbox)
    ids = [r["update_id"] for r in inbox]
    delivered = {d.update_id for d in server.webhooks.log if d.status == 200}
    assert len(ids) == len(set(ids)) and set(ids) == delivered
    # Each person's handlings in update_id order: one started again (the kill cut it short)
    # is the only repeat, and never after a newer one.
    traced = sorted(t for i in instances for t in i.traced())
    assert {u for _at, u, _p in traced} == set(ids)
    by_person: dict[int, list[int]] = defaultdict(list)
    for _at, uid, person in traced:
        by_person[person].append(uid)
    for person, order in by_person.items():
        assert order == sorted(order), (person, order)
    again = [u for u, n in Counter(u for _at, u, _p in traced).items() if n > 1]
    assert len(again) <= 8, again  # only what the killed process was handling
    # One of everything per pair.
    assert len(set(done)) == PAIRS
    bids = await rows(svc, "SELECT job_id, COUNT(*) AS n FROM bids GROUP BY job_id")
    assert all(b["n"] == 1 for b in bids), bids
    payments = await rows(svc, "SELECT deal_id, COUNT(*) AS n FROM payments GROUP BY deal_id")
    assert sorted(p["deal_id"] for p in payments) == sorted(done)
    assert all(p["n"] == 1 for p in payments)
    for kind in ("fund", "release"):
        txns = await rows(
            svc, "SELECT COUNT(*) AS n FROM ledger_transactions WHERE kind = ?", (kind,)
        )
        assert txns[0]["n"] == PAIRS, (kind, txns)
    # Deadlines: each due one done once, its effects once.
    fired = await rows(
        svc,
        "SELECT kind, subject_id, COUNT(*) AS n FROM deadlines WHERE state = 'done'"
        " GROUP BY kind, subject_id",
    )
    assert all(f["n"] == 1 for f in fired), fired
    expired = {f["subject_id"] for f in fired if f["kind"] == "funding_expire"}
    assert expired == set(unfunded)
    notices = await rows(
        svc,
        "SELECT ref, chat_id, COUNT(*) AS n FROM outbox WHERE key = ? GROUP BY ref, chat_id",
        ("notify.funding_expired",),
    )
    assert len(notices) == 2 * UNFUNDED and all(n["n"] == 1 for n in notices), notices
    # The books.
    async with svc.read() as tx:
        assert await ledger_problems(tx) == []
    # Nothing sent twice but what the killed process had in hand, sent again after the kill.
    copies: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in server.call_records:
        if r.method == "sendMessage" and r.status == 200:
            copies[(str(r.params.get("chat_id")), str(r.params.get("text")))].append(r.at)
    twice = {k: v for k, v in copies.items() if len(v) > 1}
    assert len(twice) <= 8, twice
    for key, times in twice.items():
        assert len(times) == 2 and times[0] < killed_at <= times[1], (key, times)
    # No answer owed; each one the killed process owed (its handling committed, not
    # answered) told lost once, sent (the lifecycles required an answer or that notice).
    assert await rows(svc, "SELECT update_id FROM inbox WHERE answer_owed IS NOT NULL") == []
    lost = await rows(svc, "SELECT params, state FROM outbox WHERE key = ?", (LOST_KEY,))
    told = [json.loads(r["params"])["update"] for r in lost]
    assert len(told) == len(set(told)) <= 8, told
    assert all(r["state"] == "sent" for r in lost), lost
    by = {r["update_id"]: r["handled_by"] for r in inbox}
    assert all(by[u].split(":")[1] == str(victim_pid) for u in told), (told, by)
    return len(told)
