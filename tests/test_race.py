"""Races: two conflicting moves of one deal (or job, charge, payout) fired at the same moment.

Each race is run three ways, many times over, on each engine (SQLite and PostgreSQL):
- in one process, from two `Services` objects with their own `Database` (SQLite: their own
  connection to the same file; PostgreSQL: their own pool), started together with
  `asyncio.gather` (with a random jitter of a few ms);
- the same over one shared `Database` (the bot's own setup: SQLite's asyncio lock serializes;
  PostgreSQL's pool gives each side a connection of its own, truly concurrent);
- from two OS processes (multiprocessing, spawn), each with its own connection, released
  together by a barrier.

Exactly one side must win; the loser is refused with a `Conflict` (or, for a replayed charge,
gets "duplicate"); nothing else may escape, and the books must stay sound after every round:
one ledger movement per decision, no double refund, no double release, no double payout.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import queue
import random
import time
import traceback
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel

from bot.domain.errors import DomainError
from bot.services import bids, deals, disputes, feedback, jobs, payouts, timers
from bot.services.base import Clock, Services, as_admin
from bot.storage import open_database
from bot.storage.audit import ledger_problems
from tests import factories
from tests.conftest import ENGINES, fresh_postgres_url, make_settings

CLIENT, FREELANCER, FREELANCER2 = factories.CLIENT, factories.FREELANCER, factories.FREELANCER2
MOD_A, MOD_B = 9001, 9002
DAY = 86400
ROUNDS = 20

Action = tuple[str, tuple[Any, ...], int]  # (name, args, clock offset)
Result = tuple[Any, ...]  # ("ok", value) | ("refused", class name, key) | ("error", text)


class FixedClock(Clock):
    BASE = 1_900_000_000

    def now(self) -> int:
        return self.BASE + self.offset


def race_settings():  # type: ignore[no-untyped-def]
    return make_settings(admin_user_ids=[MOD_A, MOD_B])


def _norm(value: Any) -> Any:
    """A picklable summary of what a service returned."""
    if isinstance(value, BaseModel):
        return f"{type(value).__name__.lower()}:{getattr(value, 'state', '')}"
    if isinstance(value, bids.BidResult):
        return "updated" if value.updated else "created"
    return value


async def _call(svc: Services, name: str, args: tuple[Any, ...]) -> Any:
    if name == "release":
        return await deals.release(svc, *args)
    if name == "revise":
        return await deals.revise(svc, *args, "change it")
    if name == "deliver":
        return await deals.deliver(svc, *args, "here it is")
    if name == "extend":
        return await deals.extend(svc, *args)
    if name == "cancel":
        return await deals.cancel(svc, *args)
    if name == "answer_cancel":
        return await deals.answer_cancel(svc, *args)
    if name == "refund_overdue":
        return await deals.refund_overdue(svc, *args)
    if name == "dispute":
        return await disputes.open_dispute(svc, *args, "not what we agreed")
    if name == "resolve":
        mod, deal_id, outcome, pct = args
        return await disputes.resolve(svc, as_admin(svc, mod), deal_id, outcome, pct)
    if name == "hire":
        return await deals.hire(svc, *args)
    if name == "pay":
        return await deals.record_payment(svc, *args)
    if name == "run_deadline":
        return await timers.run_deadline(svc, *args)
    if name == "run_due":  # every due deadline of every earlier race, not one batch
        return await timers.run_due(svc, limit=100_000)
    if name == "mark_paid":
        mod, payout_id = args
        return await payouts.mark_paid(svc, as_admin(svc, mod), payout_id)
    if name == "request_payout":
        return await payouts.request_payout(svc, *args)
    if name == "bid":
        return await bids.place_bid(svc, *args, 3, "I can do it")
    if name == "close_job":
        return await jobs.close_job(svc, *args)
    if name == "rate":
        return await feedback.rate(svc, *args, 5)
    raise AssertionError(f"unknown action {name}")


async def _attempt(svc: Services, action: Action, jitter: float) -> Result:
    name, args, offset = action
    svc.clock.offset = offset
    if jitter:
        await asyncio.sleep(jitter)
    try:
        return ("ok", _norm(await _call(svc, name, args)))
    except DomainError as err:
        return ("refused", type(err).__name__, err.key)
    except Exception:  # anything else is a bug the test reports
        return ("error", traceback.format_exc())


# --- checks ----------------------------------------------------------------------------------


async def assert_books(svc: Services) -> None:
    """The project's audit, and the same facts checked directly."""
    async with svc.read() as tx:
        assert await ledger_problems(tx) == []
        bad = await tx.fetchall(
            "SELECT transaction_id, SUM(amount) AS s, COUNT(*) AS n FROM ledger_entries"
            " GROUP BY transaction_id HAVING SUM(amount) <> 0 OR COUNT(*) < 2"
        )
        assert bad == [], [dict(r) for r in bad]
        row = await tx.fetchone(
            "SELECT COALESCE(SUM(CASE WHEN kind = 'world_in' THEN -balance END), 0) AS money_in,"
            " COALESCE(SUM(CASE WHEN kind <> 'world_in' THEN balance END), 0) AS held,"
            " COALESCE(MIN(CASE WHEN kind <> 'world_in' THEN balance END), 0) AS lowest"
            " FROM ledger_accounts"
        )
        assert row["money_in"] == row["held"] and row["lowest"] >= 0, dict(row)
        dup = await tx.fetchone(
            "SELECT memo, COUNT(*) AS n FROM ledger_transactions WHERE kind = 'fund'"
            " GROUP BY memo HAVING COUNT(*) > 1"
        )
        assert dup is None, dict(dup)


async def txn_kinds(svc: Services, deal_id: int) -> Counter[str]:
    async with svc.read() as tx:
        rows = await tx.fetchall(
            "SELECT kind FROM ledger_transactions WHERE deal_id = ?", (deal_id,)
        )
    return Counter(r["kind"] for r in rows)


async def escrow_of(svc: Services, deal_id: int) -> int:
    return await factories.balance(svc, "escrow", deal_id)


async def deal_state(svc: Services, deal_id: int) -> str:
    deal = await factories.get_deal(svc, deal_id)
    assert deal is not None
    return deal.state.value


def no_errors(*results: Result) -> None:
    for r in results:
        assert r[0] != "error", r[1]


def one_winner(ra: Result, rb: Result) -> str:
    """Exactly one side succeeded; the other was refused as a Conflict. Returns "a" or "b"."""
    no_errors(ra, rb)
    oks = [side for side, r in (("a", ra), ("b", rb)) if r[0] == "ok"]
    assert len(oks) == 1, f"expected exactly one winner: {ra} {rb}"
    loser = rb if oks[0] == "a" else ra
    assert loser[0] == "refused" and loser[1] == "Conflict", loser
    return oks[0]


# --- the races -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Race:
    name: str
    setup: Callable[[Services], Awaitable[tuple[dict[str, Any], Action, Action]]]
    check: Callable[[Services, dict[str, Any], Result, Result], Awaitable[str]]


async def _disputed(svc: Services) -> Any:
    d = await factories.funded_deal(svc)
    await disputes.open_dispute(svc, CLIENT, d.id, "late")
    return d


async def setup_resolve(svc: Services):  # type: ignore[no-untyped-def]
    d = await _disputed(svc)
    return (
        {"deal": d},
        ("resolve", (MOD_A, d.id, "release", None), 0),
        ("resolve", (MOD_B, d.id, "refund", None), 0),
    )


async def check_resolve(svc: Services, ctx: dict[str, Any], ra: Result, rb: Result) -> str:
    d = ctx["deal"]
    win = one_winner(ra, rb)
    assert await deal_state(svc, d.id) == ("released" if win == "a" else "refunded")
    kinds = await txn_kinds(svc, d.id)
    assert kinds == Counter({"fund": 1, "release" if win == "a" else "refund": 1}), kinds
    assert await escrow_of(svc, d.id) == 0
    async with svc.read() as tx:
        rows = await tx.fetchall("SELECT * FROM disputes WHERE deal_id = ?", (d.id,))
    assert len(rows) == 1 and rows[0]["resolved_by"] == (MOD_A if win == "a" else MOD_B)
    return win


async def setup_release_vs_dispute(svc: Services):  # type: ignore[no-untyped-def]
    d = await factories.delivered_deal(svc)
    return (
        {"deal": d},
        ("release", (CLIENT, d.id), 0),
        ("dispute", (FREELANCER, d.id), 0),
    )


async def check_release_vs_dispute(
    svc: Services, ctx: dict[str, Any], ra: Result, rb: Result
) -> str:
    d = ctx["deal"]
    win = one_winner(ra, rb)
    state = await deal_state(svc, d.id)
    kinds = await txn_kinds(svc, d.id)
    if win == "a":
        assert state == "released" and kinds == Counter({"fund": 1, "release": 1}), kinds
        assert await escrow_of(svc, d.id) == 0
    else:
        assert state == "disputed" and kinds == Counter({"fund": 1}), kinds
        assert await escrow_of(svc, d.id) == d.amount
        async with svc.read() as tx:
            kinds_left = {r["kind"] for r in await tx.deadlines.pending(d.id)}
        assert kinds_left == {"dispute_sla"}, kinds_left  # a dispute freezes every timer
    return win


async def _deadline_id(svc: Services, deal_id: int, kind: str) -> int:
    async with svc.read() as tx:
        rows = [r for r in await tx.deadlines.pending(deal_id) if r["kind"] == kind]
    assert len(rows) == 1, rows
    return int(rows[0]["id"])


async def setup_auto_release_vs_dispute(svc: Services):  # type: ignore[no-untyped-def]
    d = await factories.delivered_deal(svc)
    timer = await _deadline_id(svc, d.id, "review_release")
    later = svc.clock.offset + svc.settings.review_window + 1
    return (
        {"deal": d},
        ("run_deadline", (timer,), later),
        ("dispute", (CLIENT, d.id), svc.clock.offset),
    )


async def check_auto_release_vs_dispute(
    svc: Services, ctx: dict[str, Any], ra: Result, rb: Result
) -> str:
    d = ctx["deal"]
    no_errors(ra, rb)
    state = await deal_state(svc, d.id)
    kinds = await txn_kinds(svc, d.id)
    if state == "released":
        assert ra == ("ok", True) and rb[:2] == ("refused", "Conflict"), (ra, rb)
        assert kinds == Counter({"fund": 1, "release": 1}), kinds
        return "a"
    assert state == "disputed", state
    assert ra == ("ok", False) and rb[0] == "ok", (ra, rb)
    assert kinds == Counter({"fund": 1}), kinds
    assert await escrow_of(svc, d.id) == d.amount
    return "b"


async def setup_deliver_vs_auto_refund(svc: Services):  # type: ignore[no-untyped-def]
    d = await factories.funded_deal(svc)
    timer = await _deadline_id(svc, d.id, "delivery_refund")
    later = svc.clock.offset + d.days * DAY + svc.settings.delivery_grace + 1
    return (
        {"deal": d},
        ("run_deadline", (timer,), later),
        ("deliver", (FREELANCER, d.id), svc.clock.offset),
    )


async def check_deliver_vs_auto_refund(
    svc: Services, ctx: dict[str, Any], ra: Result, rb: Result
) -> str:
    d = ctx["deal"]
    no_errors(ra, rb)
    state = await deal_state(svc, d.id)
    kinds = await txn_kinds(svc, d.id)
    if state == "refunded":
        assert ra == ("ok", True) and rb[:2] == ("refused", "Conflict"), (ra, rb)
        assert kinds == Counter({"fund": 1, "refund": 1}), kinds
        assert await escrow_of(svc, d.id) == 0
        return "a"
    assert state == "delivered", state
    assert ra == ("ok", False) and rb[0] == "ok", (ra, rb)
    assert kinds == Counter({"fund": 1}), kinds
    return "b"


async def setup_two_refunds(svc: Services):  # type: ignore[no-untyped-def]
    d = await factories.funded_deal(svc)
    overdue = svc.clock.offset + d.days * DAY + 1
    return (
        {"deal": d},
        ("cancel", (FREELANCER, d.id), overdue),
        ("refund_overdue", (CLIENT, d.id), overdue),
    )


async def check_two_refunds(svc: Services, ctx: dict[str, Any], ra: Result, rb: Result) -> str:
    d = ctx["deal"]
    win = one_winner(ra, rb)
    assert await deal_state(svc, d.id) == "refunded"
    assert await txn_kinds(svc, d.id) == Counter({"fund": 1, "refund": 1})
    stars_back = await factories.outbox(svc, method="refund_star")
    assert [r["params"]["deal"] for r in stars_back].count(d.id) == 1, "refunded twice"
    return win


async def setup_answer_vs_deliver(svc: Services):  # type: ignore[no-untyped-def]
    d = await factories.funded_deal(svc)
    assert await deals.cancel(svc, CLIENT, d.id) == "requested"
    return (
        {"deal": d},
        ("answer_cancel", (FREELANCER, d.id, True), 0),
        ("deliver", (FREELANCER, d.id), 0),
    )


async def check_answer_vs_deliver(
    svc: Services, ctx: dict[str, Any], ra: Result, rb: Result
) -> str:
    d = ctx["deal"]
    win = one_winner(ra, rb)
    state = await deal_state(svc, d.id)
    assert state == ("refunded" if win == "a" else "delivered"), state
    want = {"fund": 1, "refund": 1} if win == "a" else {"fund": 1}
    assert await txn_kinds(svc, d.id) == Counter(want)
    return win


async def setup_release_vs_revise(svc: Services):  # type: ignore[no-untyped-def]
    d = await factories.delivered_deal(svc)
    return ({"deal": d}, ("release", (CLIENT, d.id), 0), ("revise", (CLIENT, d.id), 0))


async def check_release_vs_revise(
    svc: Services, ctx: dict[str, Any], ra: Result, rb: Result
) -> str:
    d = ctx["deal"]
    win = one_winner(ra, rb)
    assert await deal_state(svc, d.id) == ("released" if win == "a" else "funded")
    want = {"fund": 1, "release": 1} if win == "a" else {"fund": 1}
    assert await txn_kinds(svc, d.id) == Counter(want)
    return win


async def setup_two_hires(svc: Services):  # type: ignore[no-untyped-def]
    j = await factories.job(svc)
    b1 = await factories.bid(svc, j.id, FREELANCER, 120)
    b2 = await factories.bid(svc, j.id, FREELANCER2, 130)
    return (
        {"job": j, "bids": (b1, b2)},
        ("hire", (CLIENT, b1.id), 0),
        ("hire", (CLIENT, b2.id), 0),
    )


async def check_two_hires(svc: Services, ctx: dict[str, Any], ra: Result, rb: Result) -> str:
    win = one_winner(ra, rb)
    async with svc.read() as tx:
        made = await tx.deals.for_job(ctx["job"].id)
        b1, b2 = [await tx.bids.get(b.id) for b in ctx["bids"]]
        job = await tx.jobs.get(ctx["job"].id)
    assert len(made) == 1 and made[0].state == "awaiting_funding", made
    winner_bid = ctx["bids"][0 if win == "a" else 1]
    assert made[0].bid_id == winner_bid.id and made[0].amount == winner_bid.amount
    assert sorted([b1.state.value, b2.state.value]) == ["accepted", "active"]
    assert job is not None and job.state == "hiring"
    return win


async def _awaiting(svc: Services) -> Any:
    j = await factories.job(svc)
    b = await factories.bid(svc, j.id)
    return await deals.hire(svc, CLIENT, b.id)


def _pay_args(d: Any, charge: str) -> tuple[Any, ...]:
    return (d.client_id, deals.invoice_payload(d.id), d.amount, d.currency, charge)


async def setup_same_charge(svc: Services):  # type: ignore[no-untyped-def]
    d = await _awaiting(svc)
    charge = factories.charge() + "-twice"
    return (
        {"deal": d, "charge": charge},
        ("pay", _pay_args(d, charge), 0),
        ("pay", _pay_args(d, charge), 0),
    )


async def check_same_charge(svc: Services, ctx: dict[str, Any], ra: Result, rb: Result) -> str:
    d, charge = ctx["deal"], ctx["charge"]
    no_errors(ra, rb)
    assert ra[0] == rb[0] == "ok"
    assert sorted([ra[1], rb[1]]) == ["duplicate", "funded"], (ra, rb)
    async with svc.read() as tx:
        rows = await tx.fetchall("SELECT * FROM payments WHERE charge_id = ?", (charge,))
        funds = await tx.fetchall(
            "SELECT * FROM ledger_transactions WHERE kind = 'fund' AND memo = ?", (charge,)
        )
    assert len(rows) == 1 and rows[0]["outcome"] == "funded" and len(funds) == 1
    assert await deal_state(svc, d.id) == "funded"
    assert await escrow_of(svc, d.id) == d.amount
    return "a" if ra[1] == "funded" else "b"


async def setup_two_charges(svc: Services):  # type: ignore[no-untyped-def]
    d = await _awaiting(svc)
    ca, cb = factories.charge() + "-a", factories.charge() + "-b"
    return (
        {"deal": d, "charges": (ca, cb)},
        ("pay", _pay_args(d, ca), 0),
        ("pay", _pay_args(d, cb), 0),
    )


async def check_two_charges(svc: Services, ctx: dict[str, Any], ra: Result, rb: Result) -> str:
    d = ctx["deal"]
    no_errors(ra, rb)
    assert sorted([ra[1], rb[1]]) == ["funded", "refunded"], (ra, rb)
    win = "a" if ra[1] == "funded" else "b"
    good, stray = ctx["charges"] if win == "a" else ctx["charges"][::-1]
    deal = await factories.get_deal(svc, d.id)
    assert deal is not None and deal.state == "funded" and deal.charge_id == good
    assert await escrow_of(svc, d.id) == d.amount
    assert await txn_kinds(svc, d.id) == Counter({"fund": 1, "stray_refund": 1})
    back = await factories.outbox(svc, method="refund_star")
    assert [r["params"]["charge_id"] for r in back].count(stray) == 1
    assert [r["params"]["charge_id"] for r in back].count(good) == 0
    return win


async def _balance_for(svc: Services, user: int) -> int:
    """Give `user` some available balance through a released deal."""
    d = await factories.delivered_deal(svc, freelancer=user)
    await deals.release(svc, d.client_id, d.id)
    return await factories.balance(svc, "user", user)


async def setup_mark_paid(svc: Services):  # type: ignore[no-untyped-def]
    await _balance_for(svc, FREELANCER)
    p = await payouts.request_payout(svc, FREELANCER)
    return ({"payout": p}, ("mark_paid", (MOD_A, p.id), 0), ("mark_paid", (MOD_B, p.id), 0))


async def check_mark_paid(svc: Services, ctx: dict[str, Any], ra: Result, rb: Result) -> str:
    p = ctx["payout"]
    win = one_winner(ra, rb)
    async with svc.read() as tx:
        row = await tx.fetchone("SELECT * FROM payouts WHERE id = ?", (p.id,))
        paid = await tx.fetchall(
            "SELECT * FROM ledger_transactions WHERE kind = 'payout_paid' AND payout_id = ?",
            (p.id,),
        )
    assert row["state"] == "paid" and row["paid_by"] == (MOD_A if win == "a" else MOD_B)
    assert len(paid) == 1, "a payout was paid twice"
    return win


async def setup_two_payouts(svc: Services):  # type: ignore[no-untyped-def]
    available = await _balance_for(svc, FREELANCER2)
    async with svc.read() as tx:
        before = len(await tx.payouts.for_user(FREELANCER2))
    return (
        {"available": available, "before": before},
        ("request_payout", (FREELANCER2,), 0),
        ("request_payout", (FREELANCER2,), 0),
    )


async def check_two_payouts(svc: Services, ctx: dict[str, Any], ra: Result, rb: Result) -> str:
    win = one_winner(ra, rb)
    assert await factories.balance(svc, "user", FREELANCER2) == 0
    async with svc.read() as tx:
        mine = await tx.payouts.for_user(FREELANCER2)
    assert len(mine) == ctx["before"] + 1, "two payout requests for one balance"
    assert mine[0].amount == ctx["available"]
    return win


async def setup_pay_vs_funding_expiry(svc: Services):  # type: ignore[no-untyped-def]
    d = await _awaiting(svc)
    timer = await _deadline_id(svc, d.id, "funding_expire")
    later = svc.clock.offset + svc.settings.funding_window + 1
    charge = factories.charge() + "-late"
    return (
        {"deal": d, "charge": charge},
        ("run_deadline", (timer,), later),
        ("pay", _pay_args(d, charge), later),
    )


async def check_pay_vs_funding_expiry(
    svc: Services, ctx: dict[str, Any], ra: Result, rb: Result
) -> str:
    """The client pays as the funding window closes: the deal is either funded, or cancelled
    and the money goes straight back. Never both, never lost."""
    d = ctx["deal"]
    no_errors(ra, rb)
    state = await deal_state(svc, d.id)
    kinds = await txn_kinds(svc, d.id)
    if state == "cancelled":
        assert ra == ("ok", True) and rb == ("ok", "refunded"), (ra, rb)
        assert kinds == Counter({"stray_refund": 1}), kinds
        back = await factories.outbox(svc, method="refund_star")
        assert [r["params"]["charge_id"] for r in back].count(ctx["charge"]) == 1
        return "a"
    assert state == "funded", state
    assert ra == ("ok", False) and rb == ("ok", "funded"), (ra, rb)
    assert kinds == Counter({"fund": 1}), kinds
    assert await escrow_of(svc, d.id) == d.amount
    return "b"


async def setup_extend_vs_auto_refund(svc: Services):  # type: ignore[no-untyped-def]
    d = await factories.funded_deal(svc)
    timer = await _deadline_id(svc, d.id, "delivery_refund")
    later = svc.clock.offset + d.days * DAY + svc.settings.delivery_grace + 1
    return (
        {"deal": d, "at": FixedClock.BASE + later},
        ("run_deadline", (timer,), later),
        ("extend", (CLIENT, d.id, "1w"), later),
    )


async def check_extend_vs_auto_refund(
    svc: Services, ctx: dict[str, Any], ra: Result, rb: Result
) -> str:
    d = ctx["deal"]
    no_errors(ra, rb)
    state = await deal_state(svc, d.id)
    if state == "refunded":
        assert ra == ("ok", True) and rb[:2] == ("refused", "Conflict"), (ra, rb)
        assert await txn_kinds(svc, d.id) == Counter({"fund": 1, "refund": 1})
        return "a"
    assert state == "funded" and ra == ("ok", False) and rb[0] == "ok", (state, ra, rb)
    deal = await factories.get_deal(svc, d.id)
    assert deal is not None and deal.due_at is not None
    timers_left = await factories.pending(svc, d.id)
    assert timers_left["delivery_refund"] == deal.due_at + svc.settings.delivery_grace
    assert timers_left["delivery_refund"] > ctx["at"], "the extension left a refund due"
    assert await escrow_of(svc, d.id) == d.amount
    return "b"


async def setup_two_schedulers(svc: Services):  # type: ignore[no-untyped-def]
    d = await factories.delivered_deal(svc)
    later = svc.clock.offset + svc.settings.review_window + 1
    return (
        {"deal": d, "at": FixedClock.BASE + later},
        ("run_due", (), later),
        ("run_due", (), later),
    )


async def check_two_schedulers(svc: Services, ctx: dict[str, Any], ra: Result, rb: Result) -> str:
    """Two schedulers (a restart overlapping the old process) run the same due timers: each
    deadline acts once."""
    d = ctx["deal"]
    no_errors(ra, rb)
    assert await deal_state(svc, d.id) == "released"
    assert await txn_kinds(svc, d.id) == Counter({"fund": 1, "release": 1})
    told = await factories.outbox(svc, key="notify.released_freelancer")
    assert [r["params"]["deal"] for r in told].count(d.id) == 1
    async with svc.read() as tx:
        left = await tx.deadlines.due(ctx["at"])
    assert left == [], f"due timers left pending (one failed?): {left}"
    return "a" if ra[1] >= rb[1] else "b"


async def setup_two_bids(svc: Services):  # type: ignore[no-untyped-def]
    j = await factories.job(svc)
    return (
        {"job": j},
        ("bid", (FREELANCER, j.id, 120), 0),
        ("bid", (FREELANCER, j.id, 130), 0),
    )


async def check_two_bids(svc: Services, ctx: dict[str, Any], ra: Result, rb: Result) -> str:
    """One freelancer bids twice at once (two taps, two instances): one bid is placed and
    the other updates it, never a second live bid or a unique-key error."""
    no_errors(ra, rb)
    assert sorted([ra[1], rb[1]]) == ["created", "updated"], (ra, rb)
    async with svc.read() as tx:
        live = await tx.bids.for_job(ctx["job"].id, ["active"])
    assert len(live) == 1, live
    winner = "a" if ra[1] == "updated" else "b"  # the later one's terms stand
    assert live[0].amount == (120 if winner == "a" else 130)
    told = [
        r["key"] for r in await factories.outbox(svc) if r["params"].get("job") == ctx["job"].id
    ]
    assert sorted(k for k in told if k.startswith("notify.bid_")) == [
        "notify.bid_new",
        "notify.bid_updated",
    ], told
    return winner


async def setup_bid_vs_close(svc: Services):  # type: ignore[no-untyped-def]
    j = await factories.job(svc)
    return ({"job": j}, ("bid", (FREELANCER2, j.id, 140), 0), ("close_job", (CLIENT, j.id), 0))


async def check_bid_vs_close(svc: Services, ctx: dict[str, Any], ra: Result, rb: Result) -> str:
    """A bid placed as the client closes the job: either it came first (and the closing
    declined it, telling the freelancer) or it is refused; never a live bid on a closed job."""
    no_errors(ra, rb)
    assert rb[0] == "ok", rb
    async with svc.read() as tx:
        job = await tx.jobs.get(ctx["job"].id)
        live = await tx.bids.for_job(ctx["job"].id, ["active", "accepted"])
        all_bids = await tx.bids.for_job(ctx["job"].id)
    assert job is not None and job.state == "closed" and live == [], (job, live)
    if ra[0] == "ok":
        assert [b.state for b in all_bids] == ["declined"]
        closed = await factories.outbox(svc, "notify.job_closed_bidder")
        assert [r["chat_id"] for r in closed if r["params"]["job"] == ctx["job"].id] == [
            FREELANCER2
        ]
        return "a"
    assert ra[:3] == ("refused", "Conflict", "job.not_open") and all_bids == [], ra
    return "b"


async def setup_new_accounts(svc: Services):  # type: ignore[no-untyped-def]
    """Two deals of a freelancer who never had money: each release opens their account."""
    who = 5000 + len(await factories.outbox(svc, "notify.released_freelancer"))
    await factories.people(svc, who)
    d1 = await factories.delivered_deal(svc, freelancer=who)
    d2 = await factories.delivered_deal(svc, freelancer=who)
    return (
        {"deals": (d1, d2), "who": who},
        ("release", (CLIENT, d1.id), 0),
        ("release", (CLIENT, d2.id), 0),
    )


async def check_new_accounts(svc: Services, ctx: dict[str, Any], ra: Result, rb: Result) -> str:
    """Both releases open the same new ledger account at once: one account, both credits."""
    no_errors(ra, rb)
    assert ra[0] == rb[0] == "ok", (ra, rb)
    async with svc.read() as tx:
        rows = await tx.fetchall(
            "SELECT balance FROM ledger_accounts WHERE kind = 'user' AND owner_id = ?",
            (ctx["who"],),
        )
    fee = svc.settings.platform_fee_percent
    want = sum(d.amount - d.amount * fee // 100 for d in ctx["deals"])
    assert [r["balance"] for r in rows] == [want], rows
    return "a"


async def setup_two_extends(svc: Services):  # type: ignore[no-untyped-def]
    d = await factories.funded_deal(svc)
    return ({"deal": d}, ("extend", (CLIENT, d.id, "1w"), 0), ("extend", (CLIENT, d.id, "2d"), 0))


async def check_two_extends(svc: Services, ctx: dict[str, Any], ra: Result, rb: Result) -> str:
    """Two extensions at once both count (no lost update of the due time), and each of the
    deal's deadlines is set once (the upsert: never two pending rows of one kind)."""
    d = ctx["deal"]
    no_errors(ra, rb)
    assert ra[0] == rb[0] == "ok", (ra, rb)
    deal = await factories.get_deal(svc, d.id)
    assert deal is not None and deal.due_at == d.due_at + 9 * DAY, (deal.due_at, d.due_at)
    async with svc.read() as tx:
        rows = await tx.deadlines.pending(d.id)
    kinds = Counter(r["kind"] for r in rows)
    assert all(n == 1 for n in kinds.values()), kinds
    timers_left = await factories.pending(svc, d.id)
    assert timers_left["delivery_refund"] == deal.due_at + svc.settings.delivery_grace
    return "a"


async def setup_both_rate(svc: Services):  # type: ignore[no-untyped-def]
    d = await factories.delivered_deal(svc)
    await deals.release(svc, CLIENT, d.id)
    return ({"deal": d}, ("rate", (CLIENT, d.id), 0), ("rate", (FREELANCER, d.id), 0))


async def check_both_rate(svc: Services, ctx: dict[str, Any], ra: Result, rb: Result) -> str:
    """Both sides rate at once: the second to commit completes the pair and both are told
    the ratings are revealed: the first by a message, the second by the answer to their
    rating (each one's own read of the other's rating, locked)."""
    d = ctx["deal"]
    no_errors(ra, rb)
    assert sorted([ra[1].both, rb[1].both]) == [False, True], (ra, rb)
    second = CLIENT if ra[1].both else FREELANCER
    assert (ra[1] if ra[1].both else rb[1]).received is not None  # what the answer shows
    revealed = [
        r["chat_id"]
        for r in await factories.outbox(svc, "notify.feedback_revealed")
        if r["params"]["deal"] == d.id
    ]
    assert revealed == [CLIENT + FREELANCER - second], revealed
    return "a" if ra[1].both else "b"


async def setup_release_vs_cancel(svc: Services):  # type: ignore[no-untyped-def]
    d = await factories.funded_deal(svc)
    return ({"deal": d}, ("release", (CLIENT, d.id), 0), ("cancel", (FREELANCER, d.id), 0))


async def check_release_vs_cancel(
    svc: Services, ctx: dict[str, Any], ra: Result, rb: Result
) -> str:
    """The client releases as the freelancer cancels (a refund): one of them, once."""
    d = ctx["deal"]
    win = one_winner(ra, rb)
    assert await deal_state(svc, d.id) == ("released" if win == "a" else "refunded")
    want = {"fund": 1, "release" if win == "a" else "refund": 1}
    assert await txn_kinds(svc, d.id) == Counter(want)
    assert await escrow_of(svc, d.id) == 0
    return win


RACES = [
    Race("resolve_release_vs_refund", setup_resolve, check_resolve),
    Race("release_vs_dispute", setup_release_vs_dispute, check_release_vs_dispute),
    Race("auto_release_vs_dispute", setup_auto_release_vs_dispute, check_auto_release_vs_dispute),
    Race("auto_refund_vs_deliver", setup_deliver_vs_auto_refund, check_deliver_vs_auto_refund),
    Race("cancel_vs_refund_overdue", setup_two_refunds, check_two_refunds),
    Race("confirm_cancel_vs_deliver", setup_answer_vs_deliver, check_answer_vs_deliver),
    Race("release_vs_revise", setup_release_vs_revise, check_release_vs_revise),
    Race("two_hires_one_job", setup_two_hires, check_two_hires),
    Race("same_charge_twice", setup_same_charge, check_same_charge),
    Race("two_charges_one_deal", setup_two_charges, check_two_charges),
    Race("mark_paid_twice", setup_mark_paid, check_mark_paid),
    Race("payout_all_twice", setup_two_payouts, check_two_payouts),
    Race("pay_vs_funding_expiry", setup_pay_vs_funding_expiry, check_pay_vs_funding_expiry),
    Race("extend_vs_auto_refund", setup_extend_vs_auto_refund, check_extend_vs_auto_refund),
    Race("two_bids_one_freelancer", setup_two_bids, check_two_bids),
    Race("bid_vs_close_job", setup_bid_vs_close, check_bid_vs_close),
    Race("new_account_twice", setup_new_accounts, check_new_accounts),
    Race("two_extends", setup_two_extends, check_two_extends),
    Race("both_rate_at_once", setup_both_rate, check_both_rate),
    Race("release_vs_freelancer_cancel", setup_release_vs_cancel, check_release_vs_cancel),
    Race("two_schedulers", setup_two_schedulers, check_two_schedulers),  # moves the clock: last
]
IDS = [r.name for r in RACES]


async def open_services(url: str) -> Services:
    db = await open_database(url).connect()
    return Services(db=db, settings=race_settings(), clock=FixedClock())


async def prepare(url: str) -> None:
    svc = await open_services(url)
    try:
        await factories.people(svc, CLIENT, FREELANCER, FREELANCER2, MOD_A, MOD_B)
    finally:
        await svc.db.close()


# --- in one process: asyncio.gather over two connections, or over one shared connection -------


@pytest.mark.parametrize("shared", [False, True], ids=["two_connections", "one_connection"])
@pytest.mark.parametrize("race", RACES, ids=IDS)
async def test_race_in_one_process(db_url: str, race: Race, shared: bool) -> None:
    await prepare(db_url)
    main = await open_services(db_url)
    if shared:  # one Database (connection and lock, or pool), each side with its own clock
        a = Services(db=main.db, settings=main.settings, clock=FixedClock())
        b = Services(db=main.db, settings=main.settings, clock=FixedClock())
    else:
        a, b = await open_services(db_url), await open_services(db_url)
    rng = random.Random(race.name)
    wins: Counter[str] = Counter()
    try:
        for _ in range(ROUNDS):
            ctx, act_a, act_b = await race.setup(main)
            ra, rb = await asyncio.gather(
                _attempt(a, act_a, rng.uniform(0, 0.003)),
                _attempt(b, act_b, rng.uniform(0, 0.003)),
            )
            wins[await race.check(main, ctx, ra, rb)] += 1
            await assert_books(main)
    finally:
        for db in {id(x.db): x.db for x in (main, a, b)}.values():
            await db.close()
    assert sum(wins.values()) == ROUNDS


# --- two OS processes --------------------------------------------------------------------------


def _race_worker(db_url: str, inbox: Any, outbox: Any, barrier: Any, seed: int) -> None:
    """A separate process with its own connection: runs each action it is sent at the same
    moment as its twin (the barrier), reports the result."""
    rng = random.Random(seed)
    loop = asyncio.new_event_loop()
    svc = Services(
        db=loop.run_until_complete(open_database(db_url).connect(migrate=False)),
        settings=race_settings(),
        clock=FixedClock(),
    )
    outbox.put(("ready",))
    try:
        while True:
            action = inbox.get()
            if action is None:
                break
            try:
                barrier.wait(timeout=60)
            except Exception:
                outbox.put(("error", "barrier broken"))
                continue
            time.sleep(rng.uniform(0, 0.002))
            outbox.put(loop.run_until_complete(_attempt(svc, action, 0)))
    finally:
        loop.run_until_complete(svc.db.close())
        loop.close()


class WorkerPair:
    def __init__(self, db_url: str) -> None:
        ctx = mp.get_context("spawn")
        self.barrier = ctx.Barrier(2)
        self.inboxes = [ctx.Queue(), ctx.Queue()]
        self.outboxes = [ctx.Queue(), ctx.Queue()]
        self.procs = [
            ctx.Process(
                target=_race_worker,
                args=(db_url, self.inboxes[i], self.outboxes[i], self.barrier, i),
                daemon=True,
            )
            for i in range(2)
        ]
        for p in self.procs:
            p.start()
        for out in self.outboxes:
            assert out.get(timeout=120) == ("ready",)

    def race(self, act_a: Action, act_b: Action) -> tuple[Result, Result]:
        self.inboxes[0].put(act_a)
        self.inboxes[1].put(act_b)
        try:
            return self.outboxes[0].get(timeout=60), self.outboxes[1].get(timeout=60)
        except queue.Empty:
            raise AssertionError("a race worker did not answer") from None

    def close(self) -> None:
        for box in self.inboxes:
            box.put(None)
        for p in self.procs:
            p.join(timeout=20)
            if p.is_alive():
                p.kill()
                p.join()


@pytest.fixture(scope="module", params=ENGINES)
def worker_pair(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        url, release = f"sqlite:///{tmp_path_factory.mktemp('race-procs') / 'race.db'}", None
    else:
        url, release = fresh_postgres_url()
    asyncio.run(prepare(url))
    pair = WorkerPair(url)
    yield url, pair
    pair.close()
    if release is not None:
        release()


@pytest.mark.parametrize("race", RACES, ids=IDS)
async def test_race_two_processes(worker_pair: tuple[str, WorkerPair], race: Race) -> None:
    url, pair = worker_pair
    main = await open_services(url)
    wins: Counter[str] = Counter()
    try:
        for _ in range(ROUNDS):
            ctx, act_a, act_b = await race.setup(main)
            ra, rb = await asyncio.to_thread(pair.race, act_a, act_b)
            wins[await race.check(main, ctx, ra, rb)] += 1
            await assert_books(main)
        if url.startswith("sqlite"):
            async with main.read() as tx:
                integrity = await tx.fetchone("PRAGMA integrity_check")
            assert integrity[0] == "ok"
    finally:
        await main.db.close()
    assert sum(wins.values()) == ROUNDS
