"""A stateful property test of the marketplace core: random people doing random things.

A Hypothesis `RuleBasedStateMachine` drives the real services over a fresh SQLite file per
example (and, as `TestLedgerPostgres`, over a fresh PostgreSQL database): clients post
jobs, freelancers bid, clients hire and pay (sometimes replaying a used charge id, paying
the wrong amount or paying a deal that no longer awaits funding), work is
delivered, revised, extended, released, cancelled from both sides, disputed and resolved by an
admin, rated, paid out; moderators ban people and take jobs down; the clock moves (also to
just before, at and just after a pending deadline) and the scheduler runs. Settings vary per
example: Stars or a fiat provider, the fee, the revision limit, windows shorter than the nudge.

Each rule predicts, from a model the machine keeps, whether the action must succeed or be
refused (and with which kind of refusal), and what it changes. Any exception other than a
`DomainError` fails the test; a refusal must leave every row of every table unchanged.

After every step the invariants check the books with direct SQL (not only through
`bot.storage.audit`), and compare the whole model (deals, jobs, bids, payouts, payments,
ratings and every ledger account) with the database.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import (
    initialize,
    invariant,
    precondition,
    rule,
)

from bot.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from bot.domain.money import percent_of
from bot.services import (
    bids,
    deals,
    disputes,
    feedback,
    jobs,
    moderation,
    payouts,
    refunds,
    timers,
)
from bot.services.base import Clock, Services, as_admin
from bot.services.profiles import touch_user
from bot.storage.audit import ledger_problems
from tests import factories
from tests.conftest import make_settings
from tests.ledger_milestones import MilestoneRules, MMilestone
from tests.service_machine import REFUSED, ServiceMachine, engine_cases

CLIENTS = (1001, 1002)
FREELANCERS = (2001, 2002, 2003)
STRANGER = 3001
ADMIN = 9001
EVERYONE = (*CLIENTS, *FREELANCERS, STRANGER, ADMIN)
DAY = 86400

IDX = st.integers(min_value=0, max_value=10_000)
WHO = st.integers(min_value=0, max_value=9)  # < 7: the person the action is meant for
ANYONE = st.sampled_from(EVERYONE)

RUNNING = ("funded", "delivered", "disputed")
FINAL = ("released", "refunded", "split", "cancelled")
RATEABLE = ("released", "refunded", "split")


class FixedClock(Clock):
    """A clock that moves only when the test moves it (examples replay exactly)."""

    BASE = 1_900_000_000

    def now(self) -> int:
        return self.BASE + self.offset


@dataclass
class MJob:
    id: int
    client: int
    state: str
    bidding_ends_at: int


@dataclass
class MBid:
    id: int
    job: int
    freelancer: int
    amount: int
    days: int
    state: str


@dataclass
class MDeal:
    id: int
    job: int
    bid: int
    client: int
    freelancer: int
    amount: int
    days: int
    state: str
    funding_ends_at: int
    due_at: int | None = None
    review_ends_at: int | None = None
    revisions: int = 0
    cancel_requested: bool = False
    charge_id: str | None = None
    rated: set[int] = field(default_factory=set)
    # Issue 14: a milestone contract's plan (tests/ledger_milestones.py), and every charge
    # that funded the deal (one for a fixed deal, one per milestone).
    kind: str = "fixed"
    plan: list[MMilestone] = field(default_factory=list)
    charges: list[str] = field(default_factory=list)

    def party(self, user: int) -> bool:
        return user in (self.client, self.freelancer)


# The "chaos" actions: random actors on (mostly) fitting entities. One rule draws one of them,
# so that they do not crowd out the rules that move deals forward.
CHAOS: dict[str, tuple[str, dict[str, st.SearchStrategy[Any]]]] = {}


def chaos(needs: str, **strategies: st.SearchStrategy[Any]) -> Any:
    def register(fn: Any) -> Any:
        CHAOS[fn.__name__] = (needs, strategies)
        return fn

    return register


def _pick(items: dict[int, Any], i: int, fits: Any = None) -> Any:
    """An entity by index; four times in five one for which the action makes sense."""
    keys = sorted(items)
    if fits is not None and i % 5:
        good = [k for k in keys if fits(items[k])]
        if good:
            return items[good[i % len(good)]]
    return items[keys[i % len(keys)]]


class LedgerMachine(MilestoneRules, ServiceMachine):
    PREFIX = "ledger-sm-"

    def __init__(self) -> None:
        super().__init__()
        # The model.
        self.jobs: dict[int, MJob] = {}
        self.bids: dict[int, MBid] = {}
        self.deals: dict[int, MDeal] = {}
        self.charges: dict[str, tuple[int, str, int]] = {}  # charge -> (deal, outcome, amount)
        self.payouts: Counter[tuple[int, int, str]] = Counter()  # (user, amount, state)
        self.avail: Counter[int] = Counter()  # user -> available balance
        self.escrow: Counter[int] = Counter()  # deal -> escrow balance
        self.fees = self.payable = self.world_out = self.money_in = 0
        # Stars refunds asked of Telegram: charge -> (payer, amount, asked at, state).
        self.refunds: dict[str, tuple[int, int, int, str]] = {}
        self.refund_pending = 0
        self.ledger_seen: list[tuple[Any, ...]] = []  # entries already checked (append-only)
        self.banned: set[int] = set()
        self.plans: dict[int, list[tuple[str, int]]] = {}  # bid -> milestones before a hire

    # --- plumbing -----------------------------------------------------------------------

    async def _count(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        assert self.svc is not None
        async with self.svc.read() as tx:
            row = await tx.fetchone(sql, params)
        return int(row[0])

    def outbox_rows(self) -> int:
        return self.run(self._count("SELECT COUNT(*) FROM outbox"))

    # --- model helpers ------------------------------------------------------------------

    def _queue_payout(self, user: int, amount: int) -> None:
        self.payouts[(user, amount, "pending")] += 1
        self.payable += amount

    def _m_finish(self, d: MDeal, job_state: str) -> None:
        j = self.jobs[d.job]
        if j.state in ("in_progress", "hiring"):
            j.state = job_state

    def _m_release(self, d: MDeal, state: str = "released") -> None:
        if d.kind == "milestones":
            return self._ms_release(d, state)
        fee = percent_of(d.amount, self.fee_pct)
        self.avail[d.freelancer] += d.amount - fee
        self.fees += fee
        self.escrow[d.id] -= d.amount
        d.state = state
        self._m_finish(d, "completed")

    def _m_star_refund(self, payer: int, amount: int, charge: str) -> None:
        """Asked of Telegram: pending until a settling step confirms or fails it."""
        assert charge not in self.refunds
        self.refunds[charge] = (payer, amount, self.now, "pending")
        self.refund_pending += amount

    def _m_refund(self, d: MDeal) -> None:
        if d.kind == "milestones":
            return self._ms_refund(d)
        self.escrow[d.id] -= d.amount
        if self.stars:
            assert d.charge_id is not None
            self._m_star_refund(d.client, d.amount, d.charge_id)
        else:
            self._queue_payout(d.client, d.amount)
        d.state = "refunded"
        d.cancel_requested = False
        self._m_finish(d, "closed")

    def _m_split(self, d: MDeal, pct: int) -> None:
        if d.kind == "milestones":
            return self._ms_split(d, pct)
        share = percent_of(d.amount, pct)
        if share == 0 and self.stars:
            # All of it back to the client: a full Stars refund.
            assert d.charge_id is not None
            self.escrow[d.id] -= d.amount
            self._m_star_refund(d.client, d.amount, d.charge_id)
            d.state = "split"
            self._m_finish(d, "completed")
            return
        fee = percent_of(share, self.fee_pct)
        self.avail[d.freelancer] += share - fee
        self.fees += fee
        if d.amount - share:
            self._queue_payout(d.client, d.amount - share)
        self.escrow[d.id] -= d.amount
        d.state = "split"
        self._m_finish(d, "completed")

    def _m_unfunded_cancel(self, d: MDeal, bid_state: str) -> None:
        if d.kind == "milestones" and self._ms_unfunded_end(d):
            return  # milestones were paid: the contract ends released
        d.state = "cancelled"
        b = self.bids[d.bid]
        if b.state == "accepted":
            b.state = bid_state
        j = self.jobs[d.job]
        if j.state == "hiring":
            j.state = "open"
            j.bidding_ends_at = max(j.bidding_ends_at, self.now + self.s.nudge_lead)

    def _m_fund(self, d: MDeal, charge: str) -> None:
        d.state = "funded"
        d.due_at = self.now + d.days * DAY
        d.charge_id = charge
        d.charges.append(charge)
        self.escrow[d.id] += self._cycle(d)
        self.money_in += self._cycle(d)
        if d.kind == "milestones":
            self._ms_fund(d, charge)
        j = self.jobs[d.job]
        if j.state == "hiring":
            j.state = "in_progress"
        for b in self.bids.values():
            if b.job == j.id and b.state == "active":
                b.state = "declined"

    # --- setup --------------------------------------------------------------------------

    @initialize(
        fiat=st.booleans(),
        fee=st.sampled_from([0, 10, 33, 100]),
        max_revisions=st.sampled_from([0, 1, 2]),
        short=st.booleans(),
    )
    def setup(self, fiat: bool, fee: int, max_revisions: int, short: bool) -> None:
        over: dict[str, object] = {"platform_fee_percent": fee, "max_revisions": max_revisions}
        if short:
            # Windows shorter than the nudge lead: the odd paths of every timer.
            over.update(
                bidding_window="3h",
                funding_window="1h",
                review_window="2h",
                delivery_grace="1h",
                nudge_lead="4h",
                dispute_sla="1h",
            )
        if fiat:
            over.update(payment_provider_token="PROVIDER:TEST", currency="USD")
        self.s = make_settings(**over)
        self.svc = Services(db=self.db, settings=self.s, clock=FixedClock())
        self.stars = not fiat
        self.scale = 1 if self.stars else 100
        self.fee_pct = fee
        for uid in EVERYONE:
            self.run(touch_user(self.svc, uid, f"user{uid}", f"User {uid}", "en"))
        # A head start: two jobs with two bids each, so deals come early in an example.
        for client in CLIENTS:
            self._post_job(client)
        for j in list(self.jobs.values()):
            for bidder in FREELANCERS[:2]:
                self._place_bid(j, bidder, (100 + bidder % 7) * self.scale, 2)
        # And half of those bids paid in milestones (issue 14): three, two.
        for b, weights in zip(sorted(self.bids)[::2], ([1, 2, 3], [1, 1]), strict=False):
            self._set_plan(self.bids[b], self.bids[b].freelancer, weights, 0)

    # --- the actions: predict, call, check, update the model ----------------------------

    def _post_job(self, client: int) -> None:
        assert self.svc is not None
        draft = factories.draft(budget_min=self.scale, budget_max=200 * self.scale)
        expect = Forbidden if client in self.banned else None
        job = self.attempt(expect, jobs.post_job(self.svc, client, draft))
        if job is REFUSED:
            return
        assert job.id not in self.jobs
        self.jobs[job.id] = MJob(job.id, client, "open", self.now + self.s.bidding_window)

    def _place_bid(self, j: MJob, bidder: int, amount: int, days: int) -> None:
        assert self.svc is not None
        live = [
            b
            for b in self.bids.values()
            if b.job == j.id and b.freelancer == bidder and b.state in ("active", "accepted")
        ]
        expect: type[DomainError] | None = None
        if not 1 * self.scale <= amount <= 1_000_000 * self.scale or days < 1:
            expect = InvalidInput
        elif bidder in self.banned or bidder == j.client:
            expect = Forbidden
        elif (
            j.state != "open"
            or j.bidding_ends_at <= self.now
            or (live and live[0].state != "active")  # accepted: a deal exists for it
        ):
            expect = Conflict
        res = self.attempt(expect, bids.place_bid(self.svc, bidder, j.id, amount, days, "cover"))
        if res is REFUSED:
            return
        if live:
            assert res.updated and res.bid.id == live[0].id
            live[0].amount, live[0].days = amount, days
        else:
            assert not res.updated and res.bid.id not in self.bids
            self.bids[res.bid.id] = MBid(res.bid.id, j.id, bidder, amount, days, "active")

    def _hire(self, b: MBid, actor: int) -> None:
        assert self.svc is not None
        j = self.jobs[b.job]
        expect: type[DomainError] | None = None
        if actor in self.banned or actor != j.client:
            expect = Forbidden
        elif j.state != "open" or j.bidding_ends_at <= self.now or b.state != "active":
            expect = Conflict
        elif b.freelancer in self.banned:
            expect = Forbidden
        elif self._ms_stale(b):
            expect = Conflict  # its milestones no longer add up to the bid
        before = self.outbox_rows()
        deal = self.attempt(expect, deals.hire(self.svc, actor, b.id))
        if deal is REFUSED:
            return
        assert self.outbox_rows() > before
        assert deal.id not in self.deals
        assert deal.amount == b.amount and deal.state == "awaiting_funding"
        j.state, b.state = "hiring", "accepted"
        self.deals[deal.id] = MDeal(
            deal.id,
            j.id,
            b.id,
            j.client,
            b.freelancer,
            b.amount,
            b.days,
            "awaiting_funding",
            self.now + self.s.funding_window,
        )
        self._ms_hired(self.deals[deal.id], b)

    def _new_charge(self) -> str:
        self.charge_seq += 1
        return f"charge-{self.charge_seq}"

    def _pay(self, d: MDeal, payer: int, amount: int, charge: str) -> None:
        assert self.svc is not None
        if charge in self.charges:
            want = "duplicate"
        elif d.state == "awaiting_funding" and amount == self._cycle(d) and payer == d.client:
            want = "funded"
        else:
            want = "refunded"
        before = self.run(self._snapshot())
        coro = deals.record_payment(
            self.svc, payer, self._payload(d), amount, self.s.currency, charge, "p1"
        )
        got = self.attempt(None, coro)
        assert got == want, (got, want, d)
        if want == "duplicate":
            assert self.run(self._snapshot()) == before, "a duplicate payment changed something"
            return
        self.charges[charge] = (d.id, want, amount)
        if want == "funded":
            self._m_fund(d, charge)
            return
        self.money_in += amount
        if self.stars:
            self._m_star_refund(payer, amount, charge)
        else:
            self._queue_payout(payer, amount)

    def _party_expect(self, d: MDeal, actor: int, role: str) -> type[DomainError] | None:
        if not d.party(actor):
            return Forbidden
        if actor != (d.client if role == "client" else d.freelancer):
            return Forbidden
        return None

    def _deliver(self, d: MDeal, actor: int) -> None:
        assert self.svc is not None
        expect = self._party_expect(d, actor, "freelancer")
        if expect is None and d.state != "funded":
            expect = Conflict
        before = self.outbox_rows()
        if self.attempt(expect, deals.deliver(self.svc, actor, d.id, "done")) is REFUSED:
            return
        assert self.outbox_rows() > before
        d.state = "delivered"
        d.review_ends_at = self.now + self.s.review_window
        d.cancel_requested = False  # a delivery answers a pending cancel request

    def _revise(self, d: MDeal, actor: int) -> None:
        assert self.svc is not None
        expect = self._party_expect(d, actor, "client")
        if expect is None and (d.state != "delivered" or d.revisions >= self.s.max_revisions):
            expect = Conflict
        before = self.outbox_rows()
        if self.attempt(expect, deals.revise(self.svc, actor, d.id, "more")) is REFUSED:
            return
        assert self.outbox_rows() > before
        assert d.due_at is not None
        d.state = "funded"
        d.revisions += 1
        d.due_at = max(d.due_at, self.now + DAY)
        d.review_ends_at = None

    def _extend(self, d: MDeal, actor: int, duration: str) -> None:
        assert self.svc is not None
        seconds = {"12h": 43200, "1d": DAY, "3d": 3 * DAY, "2w": 14 * DAY}.get(duration)
        expect = InvalidInput if seconds is None else self._party_expect(d, actor, "client")
        if expect is None and d.state != "funded":
            expect = Conflict
        before = self.outbox_rows()
        if self.attempt(expect, deals.extend(self.svc, actor, d.id, duration)) is REFUSED:
            return
        assert self.outbox_rows() > before
        assert d.due_at is not None and seconds is not None
        d.due_at += seconds

    def _release(self, d: MDeal, actor: int) -> None:
        assert self.svc is not None
        expect = self._party_expect(d, actor, "client")
        if expect is None and d.state != "delivered":
            expect = Conflict
        before = self.outbox_rows()
        if self.attempt(expect, deals.release(self.svc, actor, d.id)) is REFUSED:
            return
        assert self.outbox_rows() > before
        self._m_release(d)

    def _cancel(self, d: MDeal, actor: int) -> None:
        assert self.svc is not None
        expect: type[DomainError] | None = None
        if not d.party(actor):
            expect = Forbidden
        elif d.state == "awaiting_funding":
            pass
        elif d.state != "funded" or (actor == d.client and d.cancel_requested):
            expect = Conflict
        before = self.outbox_rows()
        got = self.attempt(expect, deals.cancel(self.svc, actor, d.id))
        if got is REFUSED:
            return
        assert self.outbox_rows() > before
        if d.state == "awaiting_funding":
            assert got == ("closed" if self._ms_settled(d) else "cancelled")
            self._m_unfunded_cancel(d, "withdrawn" if actor == d.freelancer else "active")
        elif actor == d.freelancer:
            assert got == "refunded"
            self._m_refund(d)
        else:
            assert got == "requested"
            d.cancel_requested = True

    def _answer_cancel(self, d: MDeal, actor: int, agree: bool) -> None:
        assert self.svc is not None
        expect = self._party_expect(d, actor, "freelancer")
        if expect is None and (d.state != "funded" or not d.cancel_requested):
            expect = Conflict
        before = self.outbox_rows()
        got = self.attempt(expect, deals.answer_cancel(self.svc, actor, d.id, agree))
        if got is REFUSED:
            return
        assert self.outbox_rows() > before
        assert got == ("refunded" if agree else "refused")
        if agree:
            self._m_refund(d)
        else:
            d.cancel_requested = False

    def _refund_overdue(self, d: MDeal, actor: int) -> None:
        assert self.svc is not None
        expect = self._party_expect(d, actor, "client")
        if expect is None and (d.state != "funded" or (d.due_at or 0) > self.now):
            expect = Conflict
        before = self.outbox_rows()
        if self.attempt(expect, deals.refund_overdue(self.svc, actor, d.id)) is REFUSED:
            return
        assert self.outbox_rows() > before
        self._m_refund(d)

    def _dispute(self, d: MDeal, actor: int) -> None:
        assert self.svc is not None
        expect: type[DomainError] | None = None
        if not d.party(actor):
            expect = Forbidden
        elif d.state not in ("funded", "delivered"):
            expect = Conflict
        before = self.outbox_rows()
        got = self.attempt(expect, disputes.open_dispute(self.svc, actor, d.id, "it is late"))
        if got is REFUSED:
            return
        assert self.outbox_rows() > before
        assert got.from_state == d.state
        d.state = "disputed"
        d.cancel_requested = False

    def _resolve(self, d: MDeal, actor: int, outcome: str, pct: int) -> None:
        assert self.svc is not None
        if actor != ADMIN:
            try:
                as_admin(self.svc, actor)
            except Forbidden:
                return
            raise AssertionError(f"{actor} was accepted as a moderator")
        mod = as_admin(self.svc, actor)
        expect: type[DomainError] | None = None
        if outcome == "halve" or (outcome == "split" and not 0 <= pct <= 100):
            expect = InvalidInput
        elif d.state != "disputed":
            expect = Conflict
        before = self.outbox_rows()
        coro = disputes.resolve(self.svc, mod, d.id, outcome, pct, "decided")
        if self.attempt(expect, coro) is REFUSED:
            return
        assert self.outbox_rows() > before
        if outcome == "release":
            self._m_release(d)
        elif outcome == "refund":
            self._m_refund(d)
        else:
            self._m_split(d, pct)

    def _rate(self, d: MDeal, actor: int, stars: int) -> None:
        assert self.svc is not None
        expect: type[DomainError] | None = None
        if not 1 <= stars <= 5:
            expect = InvalidInput
        elif not d.party(actor):
            expect = Forbidden
        elif d.state not in RATEABLE or actor in d.rated:
            expect = Conflict
        before = self.outbox_rows()
        if self.attempt(expect, feedback.rate(self.svc, actor, d.id, stars, "ok")) is REFUSED:
            return
        assert self.outbox_rows() > before
        d.rated.add(actor)

    # --- rules: random actors on (mostly) fitting entities ------------------------------

    @rule(client=st.sampled_from([*CLIENTS, CLIENTS[0], FREELANCERS[0]]))
    def post_job(self, client: int) -> None:
        self._post_job(client)

    @chaos(
        "jobs",
        i=IDX,
        bidder=st.sampled_from([*FREELANCERS, *FREELANCERS, *EVERYONE]),
        whole=st.integers(min_value=0, max_value=300),
        cents=st.integers(min_value=0, max_value=99),
        days=st.integers(min_value=0, max_value=6),
    )
    def place_bid(self, i: int, bidder: int, whole: int, cents: int, days: int) -> None:
        j = _pick(self.jobs, i, lambda j: j.state == "open")
        amount = whole * self.scale + (0 if self.stars or whole == 0 else cents)
        self._place_bid(j, bidder, amount, days)

    @chaos("bids", i=IDX, who=WHO, anyone=ANYONE)
    def withdraw_bid(self, i: int, who: int, anyone: int) -> None:
        assert self.svc is not None
        b = _pick(self.bids, i, lambda b: b.state == "active")
        actor = self.who(b.freelancer, who, anyone)
        expect: type[DomainError] | None = None
        if actor != b.freelancer:
            expect = Forbidden
        elif b.state != "active":
            expect = Conflict
        if self.attempt(expect, bids.withdraw_bid(self.svc, actor, b.id)) is not REFUSED:
            b.state = "withdrawn"

    @chaos("jobs", i=IDX, who=st.integers(min_value=0, max_value=30), anyone=ANYONE)
    def close_job(self, i: int, who: int, anyone: int) -> None:
        # Rarely by the client on purpose: a closed job takes no more bids.
        assert self.svc is not None
        j = _pick(self.jobs, i)
        actor = j.client if who < 3 else anyone
        expect: type[DomainError] | None = None
        if actor != j.client:
            expect = Forbidden
        elif j.state != "open":
            expect = Conflict
        if self.attempt(expect, jobs.close_job(self.svc, actor, j.id)) is REFUSED:
            return
        j.state = "closed"
        for b in self.bids.values():
            if b.job == j.id and b.state == "active":
                b.state = "declined"

    @chaos("bids", i=IDX, who=WHO, anyone=ANYONE)
    def hire(self, i: int, who: int, anyone: int) -> None:
        b = _pick(self.bids, i, lambda b: b.state == "active" and self.jobs[b.job].state == "open")
        self._hire(b, self.who(self.jobs[b.job].client, who, anyone))

    @chaos("deals", i=IDX, payer_ok=WHO, amount_ok=WHO, replay=WHO, ci=IDX, anyone=ANYONE)
    def pay(self, i: int, payer_ok: int, amount_ok: int, replay: int, ci: int, anyone: int) -> None:
        d = _pick(self.deals, i, lambda d: d.state == "awaiting_funding")
        payer = d.client if payer_ok < 8 else anyone
        amount = self._cycle(d) if amount_ok < 8 else self._cycle(d) + self.scale
        if replay < 3 and self.charges:
            charge = sorted(self.charges)[ci % len(self.charges)]
        else:
            charge = self._new_charge()
        self._pay(d, payer, amount, charge)

    @chaos("", payload=st.sampled_from(["deal:999999", "job:1", "", "deal:x"]))
    def pay_unknown(self, payload: str) -> None:
        assert self.svc is not None
        coro = deals.record_payment(
            self.svc, CLIENTS[0], payload, 10 * self.scale, self.s.currency, self._new_charge()
        )
        self.attempt(InvalidInput, coro)

    @chaos("deals", i=IDX, payer_ok=WHO, anyone=ANYONE, amount_ok=WHO)
    def precheckout(self, i: int, payer_ok: int, anyone: int, amount_ok: int) -> None:
        """The pre-checkout query: approved only for the client of a deal still awaiting
        funding, at its price; it never changes anything."""
        assert self.svc is not None
        d = _pick(self.deals, i, lambda d: d.state == "awaiting_funding")
        payer = d.client if payer_ok < 8 else anyone
        amount = self._cycle(d) if amount_ok < 8 else self._cycle(d) - 1
        before = self.run(self._snapshot())
        check = self.run(
            deals.precheckout(self.svc, payer, self._payload(d), amount, self.s.currency)
        )
        want = (
            d.state == "awaiting_funding"
            and d.funding_ends_at > self.now
            and payer == d.client
            and amount == self._cycle(d)
        )
        assert check.ok == want, (check, d, payer, amount)
        assert self.run(self._snapshot()) == before

    @chaos("deals", i=IDX, who=WHO, anyone=ANYONE)
    def deliver(self, i: int, who: int, anyone: int) -> None:
        d = _pick(self.deals, i, lambda d: d.state == "funded")
        self._deliver(d, self.who(d.freelancer, who, anyone))

    @chaos("deals", i=IDX, who=WHO, anyone=ANYONE)
    def revise(self, i: int, who: int, anyone: int) -> None:
        d = _pick(self.deals, i, lambda d: d.state == "delivered")
        self._revise(d, self.who(d.client, who, anyone))

    @chaos(
        "deals",
        i=IDX,
        who=WHO,
        anyone=ANYONE,
        duration=st.sampled_from(["12h", "1d", "3d", "2w", "0d", "soon"]),
    )
    def extend(self, i: int, who: int, anyone: int, duration: str) -> None:
        d = _pick(self.deals, i, lambda d: d.state == "funded")
        self._extend(d, self.who(d.client, who, anyone), duration)

    @chaos("deals", i=IDX, who=WHO, anyone=ANYONE)
    def release(self, i: int, who: int, anyone: int) -> None:
        d = _pick(self.deals, i, lambda d: d.state == "delivered")
        self._release(d, self.who(d.client, who, anyone))

    @chaos("deals", i=IDX, side=st.sampled_from(["client", "freelancer", "other"]), anyone=ANYONE)
    def cancel(self, i: int, side: str, anyone: int) -> None:
        d = _pick(self.deals, i, lambda d: d.state in ("awaiting_funding", "funded"))
        self._cancel(d, {"client": d.client, "freelancer": d.freelancer}.get(side, anyone))

    @chaos("deals", i=IDX, who=WHO, anyone=ANYONE, agree=st.booleans())
    def answer_cancel(self, i: int, who: int, anyone: int, agree: bool) -> None:
        d = _pick(self.deals, i, lambda d: d.cancel_requested)
        self._answer_cancel(d, self.who(d.freelancer, who, anyone), agree)

    @chaos("deals", i=IDX, who=WHO, anyone=ANYONE)
    def refund_overdue(self, i: int, who: int, anyone: int) -> None:
        d = _pick(self.deals, i, lambda d: d.state == "funded")
        self._refund_overdue(d, self.who(d.client, who, anyone))

    @chaos("deals", i=IDX, side=st.sampled_from(["client", "freelancer", "other"]), anyone=ANYONE)
    def dispute(self, i: int, side: str, anyone: int) -> None:
        d = _pick(self.deals, i, lambda d: d.state in ("funded", "delivered"))
        self._dispute(d, {"client": d.client, "freelancer": d.freelancer}.get(side, anyone))

    @chaos(
        "deals",
        i=IDX,
        who=WHO,
        anyone=ANYONE,
        outcome=st.sampled_from(["release", "refund", "split", "split", "split", "halve"]),
        pct=st.integers(min_value=-5, max_value=105),
    )
    def resolve(self, i: int, who: int, anyone: int, outcome: str, pct: int) -> None:
        d = _pick(self.deals, i, lambda d: d.state == "disputed")
        self._resolve(d, self.who(ADMIN, who, anyone), outcome, pct)

    @chaos(
        "deals",
        i=IDX,
        side=st.sampled_from(["client", "freelancer", "other"]),
        anyone=ANYONE,
        stars=st.integers(min_value=0, max_value=6),
    )
    def rate(self, i: int, side: str, anyone: int, stars: int) -> None:
        d = _pick(self.deals, i, lambda d: d.state in RATEABLE)
        self._rate(d, {"client": d.client, "freelancer": d.freelancer}.get(side, anyone), stars)

    @chaos("", user=st.sampled_from([*CLIENTS, *FREELANCERS]), ban=st.booleans())
    def ban_or_unban(self, user: int, ban: bool) -> None:
        """A moderator bans or unbans someone: they can't post, bid or hire; deals go on."""
        assert self.svc is not None
        mod = as_admin(self.svc, ADMIN)
        if ban:
            expect = Conflict if user in self.banned else None
            coro = moderation.ban(self.svc, mod, user, "spam")
        else:
            expect = None if user in self.banned else Conflict
            coro = moderation.unban(self.svc, mod, user)
        if self.attempt(expect, coro) is not REFUSED:
            (self.banned.add if ban else self.banned.discard)(user)

    @chaos("jobs", i=IDX)
    def remove_job(self, i: int) -> None:
        """A moderator takes a job down, whatever its state; its running deal goes on."""
        assert self.svc is not None
        j = _pick(self.jobs, i)
        expect = Conflict if j.state == "removed" else None
        coro = jobs.remove_job(self.svc, as_admin(self.svc, ADMIN), j.id, "against the rules")
        if self.attempt(expect, coro) is REFUSED:
            return
        if j.state == "hiring":  # the deal awaiting funding is called off, its bid declined
            for d in self.deals.values():
                if d.job == j.id and d.state == "awaiting_funding" and not self._ms_settled(d):
                    d.state = "cancelled"
                    self.bids[d.bid].state = "declined"
                    self._ms_end_plan(d)
        j.state = "removed"
        for b in self.bids.values():
            if b.job == j.id and b.state == "active":
                b.state = "declined"

    @precondition(lambda self: self.svc is not None)
    @rule(data=st.data())
    def chaos_action(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(CHAOS)), label="action")
        needs, strategies = CHAOS[name]
        if needs and not getattr(self, needs):
            return
        kwargs = {k: data.draw(strategy, label=k) for k, strategy in strategies.items()}
        getattr(self, name)(**kwargs)

    @precondition(lambda self: self.svc is not None)
    @rule(data=st.data())
    def chaos_action_more(self, data: st.DataObject) -> None:
        self.chaos_action(data)

    @precondition(lambda self: self.svc is not None)
    @rule(i=IDX, branch=st.integers(min_value=0, max_value=99), pct=st.integers(0, 100))
    def progress(self, i: int, branch: int, pct: int) -> None:
        """Move a live deal (or the market) one natural step on, by the right person, so
        that examples reach deep states: releases, revisions, disputes, splits, ratings."""
        live = {k: d for k, d in self.deals.items() if d.state not in FINAL}
        if not live or branch < 10:
            open_bids = {
                k: b
                for k, b in self.bids.items()
                if b.state == "active" and self.jobs[b.job].state == "open"
            }
            if open_bids:
                b = _pick(open_bids, i)
                if branch % 2 == 0:  # half of the later hires: paid in milestones
                    self._set_plan(b, b.freelancer, [1 + i % 3, 2, 1][: 1 + i % 3], 0)
                self._hire(b, self.jobs[b.job].client)
                return
            open_jobs = {k: j for k, j in self.jobs.items() if j.state == "open"}
            if open_jobs and branch % 2:
                self._place_bid(_pick(open_jobs, i), FREELANCERS[i % 3], 50 * self.scale, 3)
            else:
                self._post_job(CLIENTS[i % 2])
            return
        d = _pick(live, i)
        if d.state == "awaiting_funding":
            if branch < 90:
                self._pay(d, d.client, self._cycle(d), self._new_charge())
            else:
                self._cancel(d, d.client if branch % 2 else d.freelancer)
        elif d.state == "funded":
            if (d.due_at or 0) <= self.now and branch < 30:
                self._refund_overdue(d, d.client)
            elif d.cancel_requested and branch < 40:
                self._answer_cancel(d, d.freelancer, bool(branch % 2))
            elif branch < 65:
                self._deliver(d, d.freelancer)
            elif branch < 75:
                self._cancel(d, d.client if branch % 2 else d.freelancer)
            elif branch < 85:
                self._dispute(d, d.client if branch % 2 else d.freelancer)
            else:
                self._extend(d, d.client, "1d")
        elif d.state == "delivered":
            if branch < 50:
                self._release(d, d.client)
            elif branch < 75:
                self._revise(d, d.client)
            else:
                self._dispute(d, d.freelancer if branch % 2 else d.client)
        else:  # disputed
            outcome = ("release", "refund", "split", "split")[branch % 4]
            self._resolve(d, ADMIN, outcome, pct)

    @precondition(lambda self: self.svc is not None)
    @rule(i=IDX, branch=st.integers(min_value=0, max_value=99), pct=st.integers(0, 100))
    def progress_more(self, i: int, branch: int, pct: int) -> None:
        self.progress(i, branch, pct)

    @precondition(lambda self: self.svc is not None)
    @rule(i=IDX, branch=st.integers(min_value=0, max_value=99), pct=st.integers(0, 100))
    def progress_again(self, i: int, branch: int, pct: int) -> None:
        self.progress(i, branch, pct)

    @precondition(lambda self: any(d.state in RATEABLE for d in self.deals.values()))
    @rule(i=IDX, side=st.booleans(), stars=st.integers(min_value=1, max_value=5))
    def rate_finished(self, i: int, side: bool, stars: int) -> None:
        d = _pick({k: d for k, d in self.deals.items() if d.state in RATEABLE}, i)
        self._rate(d, d.client if side else d.freelancer, stars)

    # --- balances and payouts -----------------------------------------------------------

    @precondition(lambda self: self.svc is not None)
    @rule(
        actor=st.sampled_from([*FREELANCERS, *FREELANCERS, *EVERYONE]),
        amount=st.one_of(st.none(), st.integers(min_value=0, max_value=400)),
        i=IDX,
    )
    def request_payout(self, actor: int, amount: int | None, i: int) -> None:
        assert self.svc is not None
        rich = [u for u in EVERYONE if self.avail[u] > 0]
        if rich and i % 5:
            actor = rich[i % len(rich)]
        available = self.avail[actor]
        expect: type[DomainError] | None = None
        if amount == 0:
            expect = InvalidInput  # "0" does not parse as an amount of 1..1000000
        want = available if amount is None else amount * self.scale
        if expect is None:
            if want <= 0:
                expect = Conflict
            elif want > available:
                expect = InvalidInput
        text = None if amount is None else str(amount)
        before = self.outbox_rows()
        got = self.attempt(expect, payouts.request_payout(self.svc, actor, text))
        if got is REFUSED:
            return
        assert self.outbox_rows() > before
        assert (got.user_id, got.amount, got.state) == (actor, want, "pending")
        self.avail[actor] -= want
        self._queue_payout(actor, want)

    @precondition(lambda self: self.svc is not None)
    @rule(i=IDX, who=WHO, anyone=ANYONE, missing=WHO)
    def mark_paid(self, i: int, who: int, anyone: int, missing: int) -> None:
        assert self.svc is not None
        rows = self.run(self._payout_rows())
        actor = self.who(ADMIN, who, anyone)
        if actor != ADMIN:
            try:
                as_admin(self.svc, actor)
            except Forbidden:
                return
            raise AssertionError(f"{actor} was accepted as a moderator")
        mod = as_admin(self.svc, actor)
        if not rows or missing == 0:
            pid, row = 10**6, None
        else:
            pending = sorted(k for k, v in rows.items() if v[2] == "pending")
            pid = pending[i % len(pending)] if pending and i % 5 else sorted(rows)[i % len(rows)]
            row = rows[pid]
        expect: type[DomainError] | None = None
        if row is None:
            expect = NotFound
        elif row[2] != "pending":
            expect = Conflict
        before = self.outbox_rows()
        if self.attempt(expect, payouts.mark_paid(self.svc, mod, pid)) is REFUSED:
            return
        assert row is not None
        assert self.outbox_rows() > before
        user, amount, _ = row
        assert self.payouts[(user, amount, "pending")] > 0, "the model knows no such payout"
        self.payouts[(user, amount, "pending")] -= 1
        self.payouts[(user, amount, "paid")] += 1
        self.payable -= amount
        self.world_out += amount

    async def _payout_rows(self) -> dict[int, tuple[int, int, str]]:
        assert self.svc is not None
        async with self.svc.read() as tx:
            rows = await tx.fetchall("SELECT id, user_id, amount, state FROM payouts")
        return {r["id"]: (r["user_id"], r["amount"], r["state"]) for r in rows}

    # --- Telegram's answer to refundStarPayment (what the dispatcher reports) -----------

    @precondition(lambda self: self.svc is not None)
    @rule(i=IDX, ok=st.booleans(), again=st.sampled_from([None, True, False]), known=WHO)
    def settle_refund(self, i: int, ok: bool, again: bool | None, known: int) -> None:
        """Telegram confirms a pending Stars refund (the Stars leave the books) or refuses it
        (the payer's balance is credited and turned into a payout). Settling a refund again,
        either way, or a charge with no refund, changes nothing."""
        assert self.svc is not None
        pending = sorted(c for c, r in self.refunds.items() if r[3] == "pending")
        settled = sorted(c for c, r in self.refunds.items() if r[3] != "pending")
        if not pending or known == 0:
            charge = (settled[i % len(settled)] if settled and known else None) or "no-such"
            before = self.run(self._snapshot())
            settle = refunds.confirm if ok else refunds.fail
            args = (charge,) if ok else (charge, "Bad Request: CHARGE_NOT_FOUND")
            assert self.run(settle(self.svc, *args)) is False
            assert self.run(self._snapshot()) == before, "settling twice changed something"
            event("settle_refund: nothing to settle")
            return
        charge = pending[i % len(pending)]
        payer, amount, asked, _ = self.refunds[charge]
        before = self.outbox_rows()
        if ok:
            assert self.run(refunds.confirm(self.svc, charge)) is True
            self.world_out += amount
        else:
            assert self.run(refunds.fail(self.svc, charge, "Forbidden: bot was blocked")) is True
            self._queue_payout(payer, amount)
        assert self.outbox_rows() > before  # the payer (and, on a failure, the moderators)
        self.refund_pending -= amount
        self.refunds[charge] = (payer, amount, asked, "confirmed" if ok else "failed")
        event(f"settle_refund: {'confirmed' if ok else 'failed'}")
        if again is not None:
            snap = self.run(self._snapshot())
            args2 = (charge,) if again else (charge, "Bad Request: CHARGE_NOT_FOUND")
            settle2 = refunds.confirm if again else refunds.fail
            assert self.run(settle2(self.svc, *args2)) is False
            assert self.run(self._snapshot()) == snap, "settling twice changed something"

    @precondition(lambda self: any(r[3] == "pending" for r in self.refunds.values()))
    @rule(i=IDX, ok=st.booleans())
    def settle_pending_refund(self, i: int, ok: bool) -> None:
        self.settle_refund(i, ok, None, 1)

    # --- time ---------------------------------------------------------------------------

    @precondition(lambda self: self.svc is not None)
    @rule(seconds=st.sampled_from([600, 3600, DAY, 2 * DAY, 4 * DAY, 8 * DAY]))
    def advance_clock(self, seconds: int) -> None:
        assert self.svc is not None
        self.svc.clock.advance(seconds)

    @precondition(lambda self: self.svc is not None)
    @rule(i=IDX, delta=st.sampled_from([-1, 0, 0, 1]), run=st.booleans())
    def jump_to_deadline(self, i: int, delta: int, run: bool) -> None:
        """Move the clock to just before, at, or just after a pending deadline that moves
        money or state, and maybe run the timers: the edges where an off-by-one in a timer
        or in a service's own time check would show."""
        assert self.svc is not None
        times = [t for t in self.run(self._due_times()) if t + delta > self.now]
        if times:
            self.svc.clock.advance(times[i % len(times)] + delta - self.now)
            if run:
                self.run_timers()

    async def _due_times(self) -> list[int]:
        assert self.svc is not None
        async with self.svc.read() as tx:
            rows = await tx.fetchall(
                "SELECT DISTINCT due_at FROM deadlines WHERE state = 'pending' AND kind IN"
                " ('funding_expire', 'delivery_refund', 'review_release', 'job_expire')"
                " ORDER BY due_at"
            )
        return [r["due_at"] for r in rows]

    @precondition(lambda self: self.svc is not None)
    @rule()
    def run_timers(self) -> None:
        assert self.svc is not None
        now = self.now
        for d in self.deals.values():
            if d.state == "awaiting_funding" and d.funding_ends_at <= now:
                self._m_unfunded_cancel(d, "active")
            elif d.state == "funded" and (d.due_at or 0) + self.s.delivery_grace <= now:
                self._m_refund(d)
            elif d.state == "delivered" and (d.review_ends_at or 0) <= now:
                self._m_release(d)
        for j in self.jobs.values():
            if j.state == "open" and j.bidding_ends_at <= now:
                j.state = "expired"
                for b in self.bids.values():
                    if b.job == j.id and b.state == "active":
                        b.state = "declined"
        self.run(timers.run_due(self.svc))
        # Every timer that fell due has run: nothing due is left pending.
        left = self.run(
            self._count(
                "SELECT COUNT(*) FROM deadlines WHERE state = 'pending' AND due_at <= ?", (now,)
            )
        )
        assert left == 0, f"{left} due deadlines were left pending (one failed?)"

    # --- invariants ---------------------------------------------------------------------

    @invariant()
    def books_balance_by_sql(self) -> None:
        if self.svc is not None:
            self.run(self._check_books())

    async def _check_books(self) -> None:
        assert self.svc is not None
        async with self.svc.read() as tx:
            # 1. Every transaction has two or more legs summing to zero, in its account's
            #    currency.
            for r in await tx.fetchall(
                "SELECT e.transaction_id AS t, SUM(e.amount) AS s, COUNT(*) AS n,"
                " SUM(CASE WHEN e.currency <> a.currency THEN 1 ELSE 0 END) AS bad"
                " FROM ledger_entries e"
                " JOIN ledger_accounts a ON a.id = e.account_id GROUP BY e.transaction_id"
            ):
                assert r["s"] == 0 and r["n"] >= 2 and r["bad"] == 0, dict(r)
            orphans = await tx.fetchone(
                "SELECT COUNT(*) FROM ledger_transactions t WHERE NOT EXISTS"
                " (SELECT 1 FROM ledger_entries e WHERE e.transaction_id = t.id)"
            )
            assert orphans[0] == 0, "a ledger transaction without entries"
            # 2. Cached balances equal the entries; nothing but world_in is negative.
            accounts = await tx.fetchall(
                "SELECT a.code, a.kind, a.owner_id, a.currency, a.balance,"
                " COALESCE((SELECT SUM(amount) FROM ledger_entries e"
                "           WHERE e.account_id = a.id), 0) AS s FROM ledger_accounts a"
            )
            for a in accounts:
                assert a["balance"] == a["s"], f"{a['code']} caches {a['balance']} != {a['s']}"
                if a["kind"] != "world_in":
                    assert a["balance"] >= 0, f"{a['code']} is negative: {a['balance']}"
                assert a["currency"] == self.s.currency
            # 3. Money in = escrow + balances + fees + payable + money out.
            by_kind: Counter[str] = Counter()
            for a in accounts:
                by_kind[a["kind"]] += a["balance"]
            held = sum(v for k, v in by_kind.items() if k != "world_in")
            assert -by_kind["world_in"] == held, dict(by_kind)
            # 4. Escrow per deal: the amount while running, zero otherwise.
            escrow = {a["owner_id"]: a["balance"] for a in accounts if a["kind"] == "escrow"}
            for d in await tx.fetchall("SELECT id, state, amount FROM deals"):
                # (A milestone contract holds its current milestone only.)
                want = self._cycle(self.deals[d["id"]]) if d["state"] in RUNNING else 0
                assert escrow.get(d["id"], 0) == want, (dict(d), escrow.get(d["id"]))
            # 5. A charge id is applied at most once, and payments agree with the ledger.
            payments = {
                r["charge_id"]: dict(r) for r in await tx.fetchall("SELECT * FROM payments")
            }
            funds = await tx.fetchall(
                "SELECT t.memo, MIN(t.deal_id) AS deal_id, COUNT(*) AS n FROM ledger_transactions t"
                " WHERE t.kind = 'fund' GROUP BY t.memo"
            )
            for f in funds:
                assert f["n"] == 1, f"charge {f['memo']} funded {f['n']} times"
                p = payments.get(f["memo"])
                assert p is not None and p["outcome"] == "funded", f"fund without payment {f}"
                assert p["deal_id"] == f["deal_id"]
            fund_memos = {f["memo"] for f in funds}
            strays = Counter(
                r["memo"]
                for r in await tx.fetchall(
                    "SELECT memo FROM ledger_transactions WHERE kind = 'stray_refund'"
                )
            )
            for charge, p in payments.items():
                if p["outcome"] == "funded":
                    assert charge in fund_memos and strays[charge] == 0, p
                else:
                    assert charge not in fund_memos and strays[charge] == 1, p
            assert sum(p["amount"] for p in payments.values()) == -by_kind["world_in"]
            for d in await tx.fetchall("SELECT id, state, charge_id FROM deals"):
                funded = [
                    c
                    for c, p in payments.items()
                    if p["deal_id"] == d["id"] and p["outcome"] == "funded"
                ]
                model = self.deals[d["id"]]
                assert sorted(funded) == sorted(model.charges), (dict(d), funded)
                assert d["charge_id"] == model.charge_id, (dict(d), funded)
                if d["state"] in ("awaiting_funding", "cancelled"):
                    assert d["charge_id"] is None, dict(d)
                elif model.kind == "fixed":
                    assert [d["charge_id"]] == model.charges, (dict(d), funded)
            # 6. Payable is exactly the pending payouts.
            pend = await tx.fetchone(
                "SELECT COALESCE(SUM(amount), 0) FROM payouts WHERE state = 'pending'"
            )
            assert by_kind["payable"] == pend[0]
            # 7. Ledger rows are never updated or deleted.
            entries = [
                tuple(r)
                for r in await tx.fetchall(
                    "SELECT e.id, e.transaction_id, e.account_id, e.amount, t.kind, t.deal_id,"
                    " t.memo FROM ledger_entries e JOIN ledger_transactions t"
                    " ON t.id = e.transaction_id ORDER BY e.id"
                )
            ]
            assert entries[: len(self.ledger_seen)] == self.ledger_seen, "ledger rows changed"
            self.ledger_seen = entries
            # 8. Pending refunds are exactly the model's, and refund_pending holds them.
            db_refunds = {
                r["charge_id"]: (r["payer_id"], r["amount"], r["created_at"], r["state"])
                for r in await tx.fetchall("SELECT * FROM refunds")
            }
            assert db_refunds == self.refunds
            assert by_kind["refund_pending"] == sum(
                r[1] for r in self.refunds.values() if r[3] == "pending"
            )
            # 9. And the project's own audit agrees; it reports each refund Telegram has not
            #    confirmed for over a day (the dispatcher would have settled it by then).
            late = [
                c for c, r in self.refunds.items() if r[3] == "pending" and r[2] < self.now - DAY
            ]
            problems = await ledger_problems(tx)
            assert len(problems) == len(late), (problems, late)
            assert all(" is pending for " in p for p in problems), problems

    @invariant()
    def model_matches_db(self) -> None:
        if self.svc is not None:
            self.run(self._check_model())
            self.run(self._check_milestones())

    async def _check_model(self) -> None:
        assert self.svc is not None
        async with self.svc.read() as tx:
            db_deals = {r["id"]: dict(r) for r in await tx.fetchall("SELECT * FROM deals")}
            db_jobs = {r["id"]: dict(r) for r in await tx.fetchall("SELECT * FROM jobs")}
            db_bids = {r["id"]: dict(r) for r in await tx.fetchall("SELECT * FROM bids")}
            db_payouts = Counter(
                (r["user_id"], r["amount"], r["state"])
                for r in await tx.fetchall("SELECT * FROM payouts")
            )
            db_payments = {
                r["charge_id"]: (r["deal_id"], r["outcome"], r["amount"])
                for r in await tx.fetchall("SELECT * FROM payments")
            }
            db_rated = {
                (r["deal_id"], r["rater_id"])
                for r in await tx.fetchall("SELECT deal_id, rater_id FROM feedback")
            }
            db_accounts = {
                (r["kind"], r["owner_id"]): r["balance"]
                for r in await tx.fetchall("SELECT kind, owner_id, balance FROM ledger_accounts")
                if r["balance"] != 0
            }
        assert set(db_deals) == set(self.deals)
        for d in self.deals.values():
            row = db_deals[d.id]
            got = (
                row["state"],
                row["amount"],
                row["revisions"],
                row["funding_ends_at"],
                row["due_at"],
                row["review_ends_at"],
                row["charge_id"],
                row["cancel_requested_at"] is not None,
                (row["job_id"], row["bid_id"], row["client_id"], row["freelancer_id"]),
            )
            want = (
                d.state,
                d.amount,
                d.revisions,
                d.funding_ends_at,
                d.due_at,
                d.review_ends_at,
                d.charge_id,
                d.cancel_requested,
                (d.job, d.bid, d.client, d.freelancer),
            )
            assert got == want, f"deal {d.id}: db {got} != model {want}"
        assert set(db_jobs) == set(self.jobs)
        for j in self.jobs.values():
            row = db_jobs[j.id]
            got_j = (row["state"], row["bidding_ends_at"], row["client_id"])
            assert got_j == (j.state, j.bidding_ends_at, j.client), f"job {j.id}: {got_j} {j}"
        assert set(db_bids) == set(self.bids)
        for b in self.bids.values():
            row = db_bids[b.id]
            got_b = (row["state"], row["amount"], row["days"], row["job_id"], row["freelancer_id"])
            assert got_b == (b.state, b.amount, b.days, b.job, b.freelancer), f"bid {b.id}"
        assert db_payouts == +self.payouts
        assert db_payments == self.charges
        assert db_rated == {(d.id, u) for d in self.deals.values() for u in d.rated}
        model_accounts: dict[tuple[str, int | None], int] = {
            ("world_in", None): -self.money_in,
            ("fees", None): self.fees,
            ("payable", None): self.payable,
            ("world_out", None): self.world_out,
            ("refund_pending", None): self.refund_pending,
        }
        model_accounts.update({("user", u): v for u, v in self.avail.items()})
        model_accounts.update({("escrow", d): v for d, v in self.escrow.items()})
        model_accounts = {k: v for k, v in model_accounts.items() if v != 0}
        assert db_accounts == model_accounts
        # Total money in, in the model's terms: every payment ever accepted.
        assert self.money_in == sum(amount for _, _, amount in self.charges.values())


TestLedger, TestLedgerPostgres = engine_cases(
    LedgerMachine, 40, int(os.environ.get("PG_STATEFUL_EXAMPLES", "15"))
)
