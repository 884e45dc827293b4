"""A stateful property test of hourly contracts (issue 14), beside tests/test_ledger_stateful.py.

A Hypothesis `RuleBasedStateMachine` drives the real services over a fresh database per
example (SQLite, and PostgreSQL as `TestHourlyPostgres`): clients hire on hourly bids and
fund weeks (sometimes paying the wrong amount, replaying a charge, paying a week that ended),
freelancers log and edit time (sometimes too much, too late, or as someone else), clients
approve or dispute weeks (and others try to), moderators decide disputes at random, either
party ends contracts, the clock runs (also to just before, at and after the next tick) and
the timers approve by silence; Stars refunds are confirmed or refused.

Each action predicts from the model whether it must succeed or be refused; a refusal must
change no row of any table. After every step the invariants check, with direct SQL: the
books balance (bot.storage.audit); every week's minutes are the model's and never over the
limit; every settled week paid exactly what its hours (or the moderator's decision) earn,
and never more than rate x limit; each freelancer's balance is the sum of their weeks' pay
less fees; each contract's escrow is what was paid in less what was paid out, covers the
weeks it holds while it runs, and is zero once it ended.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule

from bot.domain import weeks as W
from bot.domain.errors import Conflict, DomainError, Forbidden, InvalidInput
from bot.domain.money import percent_of
from bot.services import bids, deals, disputes, hourly, jobs, refunds, timers
from bot.services.base import Services, as_admin
from bot.services.profiles import touch_user
from bot.storage.audit import ledger_problems
from tests import factories
from tests.conftest import make_settings
from tests.hourly_helpers import WEDNESDAY, TestClock
from tests.service_machine import REFUSED, ServiceMachine, engine_cases

HELD = ("funded", "review", "disputed")

CLIENTS = (1001, 1002)
FREELANCERS = (2001, 2002)
STRANGER = 3001
ADMIN = 9001
EVERYONE = (*CLIENTS, *FREELANCERS, STRANGER, ADMIN)
IDX = st.integers(min_value=0, max_value=10_000)
WHO = st.integers(min_value=0, max_value=9)  # < 7: the person the action is meant for
ANYONE = st.sampled_from(EVERYONE)
HOURS = st.sampled_from(["0.25", "1", "1.5", "2", "3.75", "4", "8", "12"])


@dataclass
class MContract:
    deal: int
    client: int
    freelancer: int
    rate: int
    weekly_minutes: int
    minutes: Counter[int] = field(default_factory=Counter)  # week -> logged minutes
    entries: dict[int, tuple[int, int]] = field(default_factory=dict)  # entry -> (week, min)
    decided: dict[int, int] = field(default_factory=dict)  # week -> pay a moderator decided

    def party(self, user: int) -> bool:
        return user in (self.client, self.freelancer)


class HourlyMachine(ServiceMachine):
    PREFIX = "hourly-sm-"
    UNCOMPARED = ("inbox", "inbox_turns")

    def __init__(self) -> None:
        super().__init__()
        self.contracts: dict[int, MContract] = {}

    async def _read(self, deal_id: int) -> tuple[Any, Any, list[Any]]:
        assert self.svc is not None
        async with self.svc.read() as tx:
            deal = await tx.deals.get(deal_id)
            contract = await tx.hourly.contract(deal_id)
            weeks = await tx.hourly.weeks(deal_id)
        return deal, contract, weeks

    def pick(self, i: int) -> MContract:
        """A contract by index; four times in five one still running."""
        keys = sorted(self.contracts)
        if i % 5:
            running = [k for k in keys if self.run(self._running(k))]
            if running:
                return self.contracts[running[i % len(running)]]
        return self.contracts[keys[i % len(keys)]]

    async def _running(self, deal_id: int) -> bool:
        deal, contract, _ = await self._read(deal_id)
        return deal.state in ("awaiting_funding", "funded") and contract.ended_at is None

    # --- setup ---------------------------------------------------------------------------

    @initialize(fiat=st.booleans(), fee=st.sampled_from([0, 10, 33]))
    def setup(self, fiat: bool, fee: int) -> None:
        over: dict[str, object] = {"platform_fee_percent": fee, "funding_window": "10d"}
        if fiat:
            over.update(payment_provider_token="PROVIDER:TEST", currency="USD")
        self.s = make_settings(**over)
        self.svc = Services(db=self.db, settings=self.s, clock=TestClock(WEDNESDAY))
        self.stars = not fiat
        self.fee = fee
        for uid in EVERYONE:
            self.run(touch_user(self.svc, uid, f"user{uid}", f"User {uid}", "en"))
        self._hire(CLIENTS[0], FREELANCERS[0], 7, 10)

    def _hire(self, client: int, freelancer: int, rate: int, hours: int) -> None:
        assert self.svc is not None
        scale = 1 if self.stars else 100
        job = self.run(jobs.post_job(self.svc, client, factories.draft()))
        bid = self.run(
            bids.place_bid(
                self.svc, freelancer, job.id, rate * scale, 7, "hourly", weekly_minutes=hours * 60
            )
        ).bid
        deal = self.run(deals.hire(self.svc, client, bid.id))
        assert deal.kind == "hourly"
        self.contracts[deal.id] = MContract(deal.id, client, freelancer, rate * scale, hours * 60)

    @precondition(lambda self: self.svc is not None and len(self.contracts) < 4)
    @rule(
        c=st.sampled_from(CLIENTS),
        fr=st.sampled_from(FREELANCERS),
        rate=st.sampled_from([1, 7, 10, 33]),
        hours=st.sampled_from([1, 5, 10, 40]),
    )
    def hire(self, c: int, fr: int, rate: int, hours: int) -> None:
        self._hire(c, fr, rate, hours)

    # --- funding -------------------------------------------------------------------------

    @precondition(lambda self: self.svc is not None)
    @rule(i=IDX, wrong=st.sampled_from([False, False, False, True]), replay=st.booleans())
    def pay_week(self, i: int, wrong: bool, replay: bool) -> None:
        assert self.svc is not None
        m = self.pick(i)
        deal, contract, weeks = self.run(self._read(m.deal))
        invoices = [
            r
            for r in self.run(factories.outbox(self.svc, "invoice.week"))
            if r["params"]["deal"] == m.deal
        ]
        inv = invoices[-1]["params"]
        week = next(w for w in weeks if w.id == inv["week_id"])
        amount = inv["amount"] + (1 if wrong else 0)
        fits = (
            not wrong
            and week.state == "awaiting_funding"
            and week.closes_at > self.now
            and contract.ended_at is None
            and deal.state in ("awaiting_funding", "funded")
            and (deal.state != "awaiting_funding" or deal.funding_ends_at > self.now)
        )
        self.charge_seq += 1
        charge = f"h-{self.charge_seq}"
        payload = hourly.week_payload(week.id)
        cur = deal.currency
        check = self.run(deals.precheckout(self.svc, m.client, payload, amount, cur))
        assert check.ok == fits, (check, week, deal.state)
        out = self.run(deals.record_payment(self.svc, m.client, payload, amount, cur, charge))
        assert out == ("funded" if fits else "refunded"), (out, week)
        if replay:
            again = self.run(deals.record_payment(self.svc, m.client, payload, amount, cur, charge))
            assert again == "duplicate"

    # --- time ----------------------------------------------------------------------------

    @precondition(lambda self: self.svc is not None)
    @rule(i=IDX, hours=HOURS, who=WHO, anyone=ANYONE)
    def log(self, i: int, hours: str, who: int, anyone: int) -> None:
        assert self.svc is not None
        m = self.pick(i)
        actor = self.who(m.freelancer, who, anyone)
        deal, contract, weeks = self.run(self._read(m.deal))
        minutes = round(float(hours) * 60)
        current = next((w for w in weeks if w.starts_at == W.week_start(self.now)), None)
        expect: type[DomainError] | None = None
        if not m.party(actor) or actor != m.freelancer:
            expect = Forbidden
        elif (
            deal.state not in ("awaiting_funding", "funded")
            or contract.ended_at is not None
            or current is None
            or current.state != "funded"
            or current.closes_at <= self.now
            or m.minutes[current.id] + minutes > m.weekly_minutes
        ):
            expect = Conflict
        res = self.attempt(expect, hourly.log_time(self.svc, actor, m.deal, hours, "work"))
        if res is REFUSED:
            return
        assert current is not None
        m.minutes[current.id] += minutes
        m.entries[res.entry_id] = (current.id, minutes)

    @precondition(lambda self: any(m.entries for m in self.contracts.values()))
    @rule(i=IDX, j=IDX, hours=st.sampled_from(["0", "0.5", "2", "9", "30"]), who=WHO)
    def edit(self, i: int, j: int, hours: str, who: int) -> None:
        assert self.svc is not None
        ms = [m for m in self.contracts.values() if m.entries]
        m = ms[i % len(ms)]
        entry_id = sorted(m.entries)[j % len(m.entries)]
        week_id, old = m.entries[entry_id]
        actor = m.freelancer if who < 7 else m.client
        _, _, weeks = self.run(self._read(m.deal))
        week = next(w for w in weeks if w.id == week_id)
        minutes = round(float(hours) * 60)
        expect: type[DomainError] | None = None
        if hours == "30":
            expect = InvalidInput  # more than a day in one entry
        elif actor != m.freelancer:
            expect = Forbidden
        elif (
            week.state != "funded"
            or week.edit_ends_at <= self.now
            or m.minutes[week_id] - old + minutes > m.weekly_minutes
        ):
            expect = Conflict
        res = self.attempt(expect, hourly.edit_time(self.svc, actor, entry_id, hours))
        if res is REFUSED:
            return
        m.minutes[week_id] += minutes - old
        m.entries[entry_id] = (week_id, minutes)

    # --- review --------------------------------------------------------------------------

    def _in_review(self, m: MContract) -> Any:
        _, _, weeks = self.run(self._read(m.deal))
        return next((w for w in weeks if w.state == "review"), None)

    @precondition(lambda self: self.svc is not None)
    @rule(i=IDX, who=WHO, anyone=ANYONE)
    def approve(self, i: int, who: int, anyone: int) -> None:
        assert self.svc is not None
        m = self.pick(i)
        actor = self.who(m.client, who, anyone)
        review = self._in_review(m)
        expect: type[DomainError] | None = None
        if actor != m.client:
            expect = Forbidden
        elif review is None:
            expect = Conflict
        self.attempt(expect, hourly.approve(self.svc, actor, m.deal))

    @precondition(lambda self: self.svc is not None)
    @rule(i=IDX, who=WHO, anyone=ANYONE)
    def dispute(self, i: int, who: int, anyone: int) -> None:
        assert self.svc is not None
        m = self.pick(i)
        actor = self.who(m.client, who, anyone)
        review = self._in_review(m)
        _, _, weeks = self.run(self._read(m.deal))
        expect: type[DomainError] | None = None
        if actor != m.client:
            expect = Forbidden
        elif review is None or any(w.state == "disputed" for w in weeks):
            expect = Conflict
        self.attempt(expect, disputes.open_dispute(self.svc, actor, m.deal, "too many hours"))

    @precondition(lambda self: self.svc is not None)
    @rule(i=IDX, outcome=st.sampled_from(["release", "refund", "split"]), pct=st.integers(0, 100))
    def resolve(self, i: int, outcome: str, pct: int) -> None:
        assert self.svc is not None
        m = self.pick(i)
        _, _, weeks = self.run(self._read(m.deal))
        disputed = next((w for w in weeks if w.state == "disputed"), None)
        mod = as_admin(self.svc, ADMIN)
        expect = Conflict if disputed is None else None
        res = self.attempt(expect, disputes.resolve(self.svc, mod, m.deal, outcome, pct, "ok"))
        if res is REFUSED:
            return
        assert disputed is not None
        full = W.pay_for(m.minutes[disputed.id], m.rate)
        m.decided[disputed.id] = {"release": full, "refund": 0}.get(outcome, full * pct // 100)

    # --- the end -------------------------------------------------------------------------

    # --- compound steps: a week of work, a review (to reach the deep states often) --------

    @precondition(lambda self: self.svc is not None)
    @rule(i=IDX, hours=HOURS, anyone=ANYONE)
    def week_of_work(self, i: int, hours: str, anyone: int) -> None:
        """Fund the week (if its invoice is out), log time, and go to the next tick."""
        self.pay_week(i, False, False)
        self.log(i, hours, 0, anyone)
        self.to_next_tick(0, True)

    @precondition(lambda self: self.svc is not None)
    @rule(
        i=IDX,
        verdict=st.sampled_from(["approve", "dispute", "decide", "silence"]),
        anyone=ANYONE,
        outcome=st.sampled_from(["release", "refund", "split"]),
        pct=st.integers(0, 100),
    )
    def review(self, i: int, verdict: str, anyone: int, outcome: str, pct: int) -> None:
        """Run the clock until one of the contract's weeks is in review, then the client's
        verdict (or none)."""
        m = self.pick(i)
        if self._in_review(m) is None:  # a week with hours (one without settles at once)
            self.pay_week(i, False, False)
            self.log(i, "1.5", 0, anyone)
        for _ in range(4):
            if self._in_review(m) is not None:
                break
            self.to_next_tick(0, True)
        if verdict == "approve":
            self.approve(i, 0, anyone)
        elif verdict in ("dispute", "decide"):
            self.dispute(i, 0, anyone)
            if verdict == "decide":
                self.resolve(i, outcome, pct)
        else:
            self.to_next_tick(1, True)

    @precondition(lambda self: self.svc is not None)
    @rule(i=IDX, who=WHO, anyone=ANYONE, client=st.booleans(), now=st.integers(0, 3))
    def end(self, i: int, who: int, anyone: int, client: bool, now: int) -> None:
        """Either party ends a contract (one time in four: contracts should run a while)."""
        assert self.svc is not None
        if now:
            return
        m = self.pick(i)
        actor = self.who(m.client if client else m.freelancer, who, anyone)
        deal, contract, _ = self.run(self._read(m.deal))
        expect: type[DomainError] | None = None
        if not m.party(actor):
            expect = Forbidden
        elif deal.state != "awaiting_funding" and (
            deal.state != "funded" or contract.ended_at is not None
        ):
            expect = Conflict
        res = self.attempt(expect, deals.cancel(self.svc, actor, m.deal))
        if res is not REFUSED:
            want = {"cancelled"} if deal.state == "awaiting_funding" else {"ended", "ending"}
            assert res in want, (res, deal.state)

    @precondition(lambda self: self.svc is not None)
    @rule(i=IDX, ok=st.booleans())
    def settle_refund(self, i: int, ok: bool) -> None:
        assert self.svc is not None

        async def pending() -> list[str]:
            assert self.svc is not None
            async with self.svc.read() as tx:
                rows = await tx.fetchall(
                    "SELECT charge_id FROM refunds WHERE state = 'pending' ORDER BY id"
                )
            return [r["charge_id"] for r in rows]

        charges = self.run(pending())
        if charges:
            charge = charges[i % len(charges)]
            settle = (
                refunds.confirm(self.svc, charge)
                if ok
                else refunds.fail(self.svc, charge, "Bad Request: CHARGE_NOT_FOUND")
            )
            assert self.run(settle) is True

    # --- the clock -----------------------------------------------------------------------

    @precondition(lambda self: self.svc is not None)
    @rule(seconds=st.sampled_from([3600, 12 * 3600, 86400, 3 * 86400, 7 * 86400]))
    def advance(self, seconds: int) -> None:
        assert self.svc is not None
        self.svc.clock.advance(seconds)
        self.run_timers()

    @precondition(lambda self: self.svc is not None)
    @rule(delta=st.sampled_from([-1, 0, 1]), run=st.booleans())
    def to_next_tick(self, delta: int, run: bool) -> None:
        """Just before, at or after the next moment a contract's week moves."""
        assert self.svc is not None

        async def due() -> list[int]:
            assert self.svc is not None
            async with self.svc.read() as tx:
                rows = await tx.fetchall(
                    "SELECT due_at FROM deadlines WHERE state = 'pending'"
                    " AND kind IN ('hourly_tick', 'funding_expire') ORDER BY due_at"
                )
            return [r["due_at"] for r in rows if r["due_at"] + delta > self.now]

        times = self.run(due())
        if times:
            self.svc.clock.advance(times[0] + delta - self.now)
        if run:
            self.run_timers()

    def run_timers(self) -> None:
        assert self.svc is not None
        self.run(timers.run_due(self.svc))
        left = self.run(self._due_left())
        assert left == 0, f"{left} due deadlines left pending"
        # Every week moved on at its time: nothing waits past it.
        for m in self.contracts.values():
            deal, _, weeks = self.run(self._read(m.deal))
            for w in weeks:
                if w.state == "review":
                    assert w.review_ends_at > self.now, w
                if w.state == "funded":
                    assert w.edit_ends_at > self.now, w
                if w.state == "awaiting_funding" and deal.state == "funded":
                    assert w.closes_at > self.now, w

    async def _due_left(self) -> int:
        assert self.svc is not None
        async with self.svc.read() as tx:
            row = await tx.fetchone(
                "SELECT COUNT(*) FROM deadlines WHERE state = 'pending' AND due_at <= ?",
                (self.now,),
            )
        return int(row[0])

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def books(self) -> None:
        if self.svc is not None:
            self.run(self._check())

    async def _check(self) -> None:
        assert self.svc is not None
        async with self.svc.read() as tx:
            problems = [p for p in await ledger_problems(tx) if " is pending for " not in p]
            assert problems == [], problems
            earned: Counter[int] = Counter()
            for m in self.contracts.values():
                deal = await tx.deals.get(m.deal)
                contract = await tx.hourly.contract(m.deal)
                weeks = await tx.hourly.weeks(m.deal)
                assert deal is not None and contract is not None
                limit = W.weekly_limit_amount(m.rate, m.weekly_minutes)
                for w in weeks:
                    assert w.minutes == m.minutes[w.id], (w, m.minutes[w.id])
                    assert w.minutes <= m.weekly_minutes
                    assert w.limit_amount == limit
                    assert 0 <= w.paid <= limit and w.fee == percent_of(w.paid, self.fee)
                    if w.state == "approved":
                        assert w.paid == W.pay_for(w.minutes, m.rate), w
                        if w.settled_by is None and w.minutes:
                            event("a week approved by silence")
                    elif w.state == "resolved":
                        assert w.paid == m.decided[w.id], (w, m.decided)
                    else:
                        assert w.paid == 0, w
                    if w.state == "unfunded":
                        assert w.minutes == 0
                    earned[m.freelancer] += w.paid - w.fee
                funded_in = sum(w.invoice_amount for w in weeks if w.charge_id)
                paid_out = sum(w.paid for w in weeks)
                escrow = await tx.ledger.balance("escrow", deal.currency, m.deal)
                held = sum(
                    w.limit_amount for w in weeks if w.state in ("funded", "review", "disputed")
                )
                if deal.state == "funded":
                    assert escrow == funded_in - paid_out and escrow >= held, (escrow, weeks)
                else:
                    assert escrow == 0, (deal.state, escrow)
                    assert all(
                        w.state in ("approved", "resolved", "unfunded", "awaiting_funding")
                        for w in weeks
                    )
                    if deal.state == "cancelled":
                        assert funded_in == 0
            for user in FREELANCERS:
                bal = await tx.ledger.balance("user", self.s.currency, user)
                assert bal == earned[user], (user, bal, earned[user])


TestHourly, TestHourlyPostgres = engine_cases(
    HourlyMachine,
    int(os.environ.get("HOURLY_STATEFUL_EXAMPLES", "30")),
    int(os.environ.get("PG_STATEFUL_EXAMPLES", "10")),
)
