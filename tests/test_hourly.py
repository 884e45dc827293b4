"""Hourly contracts (issue 14): weeks as pure functions, and the service week by week."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain import weeks as W
from bot.domain.errors import Conflict, Forbidden
from bot.domain.states import DealState
from bot.services import deals, disputes, hourly, refunds, timers
from bot.services.base import as_admin
from tests import factories as f
from tests.factories import CLIENT, FREELANCER, STRANGER
from tests.hourly_helpers import WEDNESDAY, fixed_clock, hourly_deal, pay_week, weeks

DAY = 86400


def utc(text: str) -> int:
    return int(datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC).timestamp())


# --- weeks, pure ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "when, monday",
    [
        ("2026-12-02 10:00", "2026-11-30 00:00"),  # a Wednesday
        ("2026-11-30 00:00", "2026-11-30 00:00"),  # Monday 00:00 starts its week
        ("2026-12-06 23:59", "2026-11-30 00:00"),  # Sunday 23:59 is still in it
        ("2026-12-07 00:00", "2026-12-07 00:00"),  # Sunday 24:00 is the next week
        ("2027-01-01 12:00", "2026-12-28 00:00"),  # across the year
    ],
)
def test_week_start_is_monday_midnight_utc(when: str, monday: str) -> None:
    assert W.week_start(utc(when)) == utc(monday)


def test_week_times() -> None:
    start = utc("2026-11-30 00:00")
    assert W.week_end(start) == utc("2026-12-07 00:00")
    assert W.edit_ends(start) == utc("2026-12-07 12:00")
    assert W.review_ends(start, W.DEFAULT_REVIEW_AFTER) == utc("2026-12-11 23:59")
    assert W.week_label(start) == "2026-11-30"


def test_review_window_setting() -> None:
    assert W.parse_review_window("Friday 23:59") == W.DEFAULT_REVIEW_AFTER
    assert W.parse_review_window("wed 18:00 UTC") == 2 * DAY + 18 * 3600
    assert W.parse_review_window("3d") == W.EDIT_GRACE + 3 * DAY
    for bad in ("Monday 10:00", "Funday 10:00", "fri 25:00", "2w", "soon"):
        with pytest.raises(ValueError):
            W.parse_review_window(bad)


def test_pay_rounds_down_and_never_exceeds_the_limit() -> None:
    assert W.pay_for(90, 10) == 15
    assert W.pay_for(20, 10) == 3  # 3.33 rounded down
    assert W.weekly_limit_amount(7, 600) == 70
    for minutes in range(0, 601, 7):
        assert W.pay_for(minutes, 7) <= W.weekly_limit_amount(7, 600)


def test_returning_gives_back_whole_untouched_charges_newest_first() -> None:
    charges = [("a", 100), ("b", 100), ("c", 50)]
    assert W.returning(250, charges, True) == W.Returning([("a", 100), ("b", 100), ("c", 50)], 0)
    assert W.returning(170, charges, True) == W.Returning([("b", 100), ("c", 50)], 20)
    assert W.returning(40, charges, True) == W.Returning([], 40)
    assert W.returning(170, charges, False) == W.Returning([], 170)
    assert W.returning(0, [], True) == W.Returning([], 0)


def test_hours_text() -> None:
    assert [hourly.hours_text(m) for m in (60, 90, 20, 0, 600)] == ["1", "1.5", "0.33", "0", "10"]


# --- the service ---------------------------------------------------------------------------


async def test_an_hourly_contract_week_by_week(svc) -> None:
    clock = fixed_clock(svc)
    deal = await hourly_deal(svc, rate=10, hours=10)  # 100 a week at most
    assert deal.kind == "hourly" and deal.state == DealState.AWAITING_FUNDING
    # Unfunded: logging is refused, nothing changes.
    await f.refused(
        svc, hourly.log_time(svc, FREELANCER, deal.id, "1", "x"), "hourly.unfunded", Conflict
    )
    assert await pay_week(svc, deal.id) == "funded"
    deal = await f.get_deal(svc, deal.id)
    assert deal.state == DealState.FUNDED
    assert await f.balance(svc, "escrow", deal.id) == 100
    logged = await hourly.log_time(svc, FREELANCER, deal.id, "7.5", "API")
    assert logged.week.minutes == 450
    # Over the limit: refused with the hours left.
    err = await f.refused(
        svc, hourly.log_time(svc, FREELANCER, deal.id, "3", "more"), "hourly.over_limit"
    )
    assert err.params["left"] == "2.5"
    # The client cannot log; a stranger cannot approve; nothing to review yet.
    await f.refused(
        svc, hourly.log_time(svc, CLIENT, deal.id, "1", "x"), "hourly.only_freelancer", Forbidden
    )
    await f.refused(svc, hourly.approve(svc, STRANGER, deal.id), "deal.not_party", Forbidden)
    await f.refused(
        svc, hourly.approve(svc, FREELANCER, deal.id), "hourly.only_client_approve", Forbidden
    )
    await f.refused(svc, hourly.approve(svc, CLIENT, deal.id), "hourly.nothing_in_review")
    # Monday 00:00: a new week, its invoice for the whole limit (no credit yet).
    first = (await weeks(svc, deal.id))[0]
    f.advance_to(svc, W.week_end(first.starts_at))
    assert await timers.run_due(svc) == 1
    ws = await weeks(svc, deal.id)
    assert [w.state for w in ws] == ["funded", "awaiting_funding"]
    assert ws[1].invoice_amount == 100
    # Editing last week until Monday 12:00; logging this week refused (unfunded).
    await hourly.edit_time(svc, FREELANCER, logged.entry_id, "8", "API, tests")
    await f.refused(svc, hourly.log_time(svc, FREELANCER, deal.id, "1", "x"), "hourly.unfunded")
    f.advance_to(svc, first.edit_ends_at)
    assert await timers.run_due(svc) == 1
    await f.refused(
        svc,
        hourly.edit_time(svc, FREELANCER, logged.entry_id, "9"),
        "hourly.edit_closed",
        Conflict,
    )
    assert [w.state for w in await weeks(svc, deal.id)] == ["review", "awaiting_funding"]
    # The client approves: 8 h x 10 = 80, less 10% fee; 20 stays as credit.
    _, week = await hourly.approve(svc, CLIENT, deal.id)
    assert (week.state, week.paid, week.fee) == ("approved", 80, 8)
    assert await f.balance(svc, "user", FREELANCER) == 72
    assert await f.balance(svc, "escrow", deal.id) == 20
    # This week was never paid: at its end it lapses; the next invoice is less the credit.
    f.advance_to(svc, W.week_end(ws[1].starts_at))
    await timers.run_due(svc)
    ws = await weeks(svc, deal.id)
    assert [w.state for w in ws] == ["approved", "unfunded", "awaiting_funding"]
    assert ws[2].invoice_amount == 80
    assert await pay_week(svc, deal.id) == "funded"
    await hourly.log_time(svc, FREELANCER, deal.id, "2", "fixes")
    # The client ends the contract: the last week settles the same way, by silence here.
    assert await deals.cancel(svc, CLIENT, deal.id) == "ending"
    await f.refused(svc, hourly.log_time(svc, FREELANCER, deal.id, "1", "x"), "hourly.ended")
    f.advance_to(svc, ws[2].review_ends_at)
    await timers.run_due(svc)
    deal = await f.get_deal(svc, deal.id)
    assert deal.state == DealState.RELEASED
    assert await f.balance(svc, "escrow", deal.id) == 0
    assert await f.balance(svc, "user", FREELANCER) == 72 + 18
    # Escrow held the credit 20 and the new charge 80; the last week paid 20 of it, the
    # oldest money first (the credit): the charge of 80 is untouched and goes back whole.
    async with svc.read() as tx:
        rows = await tx.fetchall("SELECT amount, state FROM refunds WHERE deal_id = ?", (deal.id,))
    assert [tuple(r) for r in rows] == [(80, "pending")]
    assert await f.balance(svc, "refund_pending") == 80
    charge = (await weeks(svc, deal.id))[2].charge_id
    assert await refunds.confirm(svc, charge)
    assert await timers.run_due(svc) == 0
    del clock


async def test_a_disputed_week_goes_to_the_moderators(svc) -> None:
    fixed_clock(svc)
    deal = await hourly_deal(svc, rate=10, hours=10)
    await pay_week(svc, deal.id)
    await hourly.log_time(svc, FREELANCER, deal.id, "6", "work")
    first = (await weeks(svc, deal.id))[0]
    f.advance_to(svc, first.edit_ends_at)
    await timers.run_due(svc)
    await f.refused(
        svc,
        disputes.open_dispute(svc, FREELANCER, deal.id, "no"),
        "hourly.only_client_dispute",
        Forbidden,
    )
    await disputes.open_dispute(svc, CLIENT, deal.id, "Too many hours")
    assert (await weeks(svc, deal.id))[0].state == "disputed"
    # The review window passes: a disputed week is not approved by silence.
    f.advance_to(svc, first.review_ends_at + 1)
    await timers.run_due(svc)
    assert (await weeks(svc, deal.id))[0].state == "disputed"
    await disputes.resolve(svc, as_admin(svc, 9001), deal.id, "split", 50, "half")
    week = (await weeks(svc, deal.id))[0]
    assert (week.state, week.paid, week.fee) == ("resolved", 30, 3)
    assert await f.balance(svc, "user", FREELANCER) == 27
    assert (await f.get_deal(svc, deal.id)).state == DealState.FUNDED
    # The 70 the week did not pay is credit. This week was never paid: the freelancer ends
    # the contract and it closes at once; the one charge was touched, so the 70 goes to the
    # client's balance and a payout request.
    assert await deals.cancel(svc, FREELANCER, deal.id) == "ended"
    assert [w.state for w in await weeks(svc, deal.id)] == ["resolved", "unfunded"]
    assert (await f.get_deal(svc, deal.id)).state == DealState.RELEASED
    assert await f.balance(svc, "escrow", deal.id) == 0
    assert await f.balance(svc, "payable") == 70


async def test_a_week_paid_after_it_ended_goes_back(svc) -> None:
    fixed_clock(svc)
    deal = await hourly_deal(svc)
    await pay_week(svc, deal.id)
    first = (await weeks(svc, deal.id))[0]
    f.advance_to(svc, W.week_end(first.starts_at))
    await timers.run_due(svc)
    f.advance_to(svc, W.week_end(first.starts_at) + 7 * DAY + 60)
    # An old invoice paid late: refunded at once, the week stays unfunded.
    async with svc.read() as tx:
        late = (await tx.hourly.weeks(deal.id))[1]
    out = await deals.record_payment(
        svc, CLIENT, hourly.week_payload(late.id), late.invoice_amount, "XTR", "late-1"
    )
    assert out == "refunded"
    assert await f.balance(svc, "refund_pending") == late.invoice_amount
    assert WEDNESDAY


async def test_the_audit_sees_hourly_weeks(svc) -> None:
    """`python main.py check` (bot.storage.audit): hours over the limit, pay the hours did not
    earn, a week's pay the ledger does not show, escrow short of the weeks it holds."""
    from bot.storage.audit import ledger_problems

    fixed_clock(svc)
    deal = await hourly_deal(svc, rate=10, hours=10)
    await pay_week(svc, deal.id)
    await hourly.log_time(svc, FREELANCER, deal.id, "2", "x")
    async with svc.read() as tx:
        assert await ledger_problems(tx) == []
    async with svc.tx() as tx:
        await tx.execute("UPDATE hourly_weeks SET minutes = 700, paid = 90, state = 'approved'")
        problems = await ledger_problems(tx)
        await tx.execute("UPDATE hourly_weeks SET minutes = 120, paid = 0, state = 'funded'")
        await tx.execute("UPDATE hourly_contracts SET weekly_minutes = 1200")
        await tx.execute("UPDATE hourly_weeks SET limit_amount = 200")
        short = await ledger_problems(tx)
        await tx.execute("UPDATE hourly_contracts SET weekly_minutes = 600")
        await tx.execute("UPDATE hourly_weeks SET limit_amount = 100")
    assert any("700 minutes of 600" in p for p in problems), problems
    assert any("its weeks paid 90 but the ledger 0" in p for p in problems), problems
    assert any("holds 100 but its open weeks need 200" in p for p in short), short
