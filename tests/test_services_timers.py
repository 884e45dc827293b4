"""The scheduler's timed actions (SPEC section 7), run with `run_due` after moving the clock."""

from __future__ import annotations

import pytest

from bot.domain.states import BidState, DealState, JobState
from bot.services import bids, deals, disputes, feedback, jobs, refunds, timers
from tests import factories as f
from tests.conftest import make_settings
from tests.factories import CLIENT, FREELANCER, FREELANCER2, STRANGER

DAY = 86400


# --- jobs -------------------------------------------------------------------------------------


async def test_job_nudge_when_there_are_bids(svc) -> None:
    job = await f.job(svc)
    await f.bid(svc, job.id)
    nudge_at = job.bidding_ends_at - svc.settings.nudge_lead
    f.advance_to(svc, nudge_at - 1)
    assert await timers.run_due(svc) == 0
    f.advance_to(svc, nudge_at)
    assert await timers.run_due(svc) == 1
    [nudge] = await f.outbox(svc, "notify.job_nudge")
    assert nudge["chat_id"] == CLIENT
    assert nudge["params"] == {"job": job.id, "bids": 1, "ends_at": job.bidding_ends_at}
    assert await timers.run_due(svc) == 0
    assert len(await f.outbox(svc, "notify.job_nudge")) == 1


async def test_no_job_nudge_without_bids(svc) -> None:
    job = await f.job(svc)
    f.advance_to(svc, job.bidding_ends_at - svc.settings.nudge_lead)
    assert await timers.run_due(svc) == 0
    assert await f.outbox(svc, "notify.job_nudge") == []


async def test_job_expiry_declines_bids(svc) -> None:
    job = await f.job(svc)
    b1 = await f.bid(svc, job.id)
    b2 = await f.bid(svc, job.id, FREELANCER2)
    f.advance_to(svc, job.bidding_ends_at)
    # The expiry; the reminder about a window that has already closed is dropped.
    assert await timers.run_due(svc) == 1
    assert await f.outbox(svc, "notify.job_nudge") == []
    j = await f.get_job(svc, job.id)
    assert j.state == JobState.EXPIRED
    assert j.closed_at is not None
    assert [(await f.get_bid(svc, b.id)).state for b in (b1, b2)] == [BidState.DECLINED] * 2
    told = await f.outbox(svc, "notify.job_expired_bidder")
    assert sorted(r["chat_id"] for r in told) == [FREELANCER, FREELANCER2]
    [client] = await f.outbox(svc, "notify.job_expired_client")
    assert client["chat_id"] == CLIENT
    before = await f.snapshot(svc)
    assert await timers.run_due(svc) == 0
    assert await f.snapshot(svc) == before
    assert await f.pending(svc, job.id, of_job=True) == {}


async def test_closed_job_does_not_expire(svc) -> None:
    job = await f.job(svc)
    await f.bid(svc, job.id)
    await jobs.close_job(svc, CLIENT, job.id)
    f.advance_to(svc, job.bidding_ends_at + DAY)
    assert await timers.run_due(svc) == 0
    assert (await f.get_job(svc, job.id)).state == JobState.CLOSED
    assert await f.outbox(svc, "notify.job_expired_client") == []


async def test_hiring_job_does_not_expire(svc) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    f.advance_to(svc, job.bidding_ends_at - 3600)
    deal = await deals.hire(svc, CLIENT, b.id)
    await f.pay(svc, deal)
    f.advance_to(svc, job.bidding_ends_at + 3600)
    await timers.run_due(svc)
    assert (await f.get_job(svc, job.id)).state == JobState.IN_PROGRESS
    assert await f.outbox(svc, "notify.job_expired_client") == []


# --- funding ----------------------------------------------------------------------------------


async def test_funding_expiry_reopens_the_job_with_its_bids(svc) -> None:
    job = await f.job(svc)
    mine = await f.bid(svc, job.id)
    other = await f.bid(svc, job.id, FREELANCER2)
    deal = await deals.hire(svc, CLIENT, mine.id)
    f.advance_to(svc, deal.funding_ends_at - 1)
    await timers.run_due(svc)
    assert (await f.get_deal(svc, deal.id)).state == DealState.AWAITING_FUNDING
    f.advance_to(svc, deal.funding_ends_at)
    assert await timers.run_due(svc) == 1
    d = await f.get_deal(svc, deal.id)
    assert d.state == DealState.CANCELLED
    j = await f.get_job(svc, job.id)
    assert j.state == JobState.OPEN
    assert [(await f.get_bid(svc, b.id)).state for b in (mine, other)] == [BidState.ACTIVE] * 2
    told = await f.outbox(svc, "notify.funding_expired")
    assert sorted(r["chat_id"] for r in told) == [CLIENT, FREELANCER]
    assert await f.pending(svc, deal.id) == {}
    assert (await f.pending(svc, job.id, of_job=True))["job_expire"] == j.bidding_ends_at
    # The invoice is dead: a late payment is refunded.
    assert await f.pay(svc, deal) == "refunded"
    assert (await f.get_deal(svc, deal.id)).state == DealState.CANCELLED


async def test_funding_expiry_after_the_bidding_window_stretches_it(svc) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    f.advance_to(svc, job.bidding_ends_at - 3600)
    deal = await deals.hire(svc, CLIENT, b.id)
    f.advance_to(svc, deal.funding_ends_at)
    await timers.run_due(svc)
    j = await f.get_job(svc, job.id)
    assert j.state == JobState.OPEN
    assert j.bidding_ends_at == svc.clock.now() + svc.settings.nudge_lead
    await bids.place_bid(svc, STRANGER, job.id, 120, 2, "still open")
    f.advance_to(svc, j.bidding_ends_at)
    await timers.run_due(svc)
    assert (await f.get_job(svc, job.id)).state == JobState.EXPIRED


async def test_paid_deal_is_not_cancelled_by_the_funding_timer(svc) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    deal = await deals.hire(svc, CLIENT, b.id)
    await f.pay(svc, deal)
    f.advance_to(svc, deal.funding_ends_at + 1)
    await timers.run_due(svc)
    assert (await f.get_deal(svc, deal.id)).state == DealState.FUNDED
    assert await f.outbox(svc, "notify.funding_expired") == []


# --- delivery ---------------------------------------------------------------------------------


async def test_delivery_nudge_overdue_and_auto_refund(svc) -> None:
    deal = await f.funded_deal(svc)
    lead, grace = svc.settings.nudge_lead, svc.settings.delivery_grace

    f.advance_to(svc, deal.due_at - lead)
    assert await timers.run_due(svc) == 1
    [nudge] = await f.outbox(svc, "notify.delivery_nudge")
    assert (nudge["chat_id"], nudge["params"]["due_at"]) == (FREELANCER, deal.due_at)

    f.advance_to(svc, deal.due_at)
    assert await timers.run_due(svc) == 1
    overdue = await f.outbox(svc, "notify.delivery_overdue")
    assert sorted(r["chat_id"] for r in overdue) == [CLIENT, FREELANCER]
    assert overdue[0]["params"]["refund_at"] == deal.due_at + grace
    assert (await f.get_deal(svc, deal.id)).state == DealState.FUNDED

    f.advance_to(svc, deal.due_at + grace - 1)
    assert await timers.run_due(svc) == 0
    f.advance_to(svc, deal.due_at + grace)
    assert await timers.run_due(svc) == 1
    d = await f.get_deal(svc, deal.id)
    assert d.state == DealState.REFUNDED
    assert await f.balance(svc, "escrow", d.id) == 0
    assert await f.balance(svc, "refund_pending") == 150
    [refund] = await f.outbox(svc, method="refund_star")
    assert refund["params"]["charge_id"] == deal.charge_id
    told = await f.outbox(svc, "notify.refunded")
    assert told[0]["params"]["why"] == "not_delivered"
    assert (await f.get_job(svc, d.job_id)).state == JobState.CLOSED
    before = await f.snapshot(svc)
    assert await timers.run_due(svc) == 0
    assert await f.snapshot(svc) == before


async def test_everything_due_at_once_runs_in_order(svc) -> None:
    deal = await f.funded_deal(svc)
    f.advance_to(svc, deal.due_at + svc.settings.delivery_grace + 10)
    # Only the refund: the reminder and the overdue notice would be stale by now.
    assert await timers.run_due(svc) == 1
    assert await f.outbox(svc, "notify.delivery_nudge") == []
    assert await f.outbox(svc, "notify.delivery_overdue") == []
    assert (await f.get_deal(svc, deal.id)).state == DealState.REFUNDED
    assert await timers.run_due(svc) == 0


async def test_extension_pushes_the_auto_refund(svc) -> None:
    deal = await f.funded_deal(svc)
    grace = svc.settings.delivery_grace
    await deals.extend(svc, CLIENT, deal.id, "3d")
    f.advance_to(svc, deal.due_at + grace + 60)
    await timers.run_due(svc)
    assert (await f.get_deal(svc, deal.id)).state == DealState.FUNDED
    f.advance_to(svc, deal.due_at + 3 * DAY + grace)
    await timers.run_due(svc)
    assert (await f.get_deal(svc, deal.id)).state == DealState.REFUNDED


async def test_extension_after_the_due_time_brings_a_new_nudge(svc) -> None:
    deal = await f.funded_deal(svc)
    f.advance_to(svc, deal.due_at)
    await timers.run_due(svc)
    d = await deals.extend(svc, CLIENT, deal.id, "1w")
    assert (await f.pending(svc, d.id))["delivery_nudge"] == d.due_at - svc.settings.nudge_lead
    f.advance_to(svc, d.due_at - svc.settings.nudge_lead)
    await timers.run_due(svc)
    # The first reminder fell due together with the due time and was dropped as stale;
    # the extension brings a fresh one.
    assert len(await f.outbox(svc, "notify.delivery_nudge")) == 1


async def test_delivered_deal_is_not_refunded(svc) -> None:
    deal = await f.funded_deal(svc)
    await deals.deliver(svc, FREELANCER, deal.id)
    f.advance_to(svc, deal.due_at + svc.settings.delivery_grace + 1)
    await timers.run_due(svc)
    assert (await f.get_deal(svc, deal.id)).state == DealState.DELIVERED
    assert await f.outbox(svc, "notify.delivery_overdue") == []


# --- review -----------------------------------------------------------------------------------


async def test_review_nudge_and_auto_release(svc) -> None:
    deal = await f.delivered_deal(svc)
    f.advance_to(svc, deal.review_ends_at - svc.settings.nudge_lead)
    assert await timers.run_due(svc) == 1
    [nudge] = await f.outbox(svc, "notify.review_nudge")
    assert (nudge["chat_id"], nudge["params"]["review_ends_at"]) == (CLIENT, deal.review_ends_at)
    f.advance_to(svc, deal.review_ends_at - 1)
    assert await timers.run_due(svc) == 0
    f.advance_to(svc, deal.review_ends_at)
    assert await timers.run_due(svc) == 1
    d = await f.get_deal(svc, deal.id)
    assert d.state == DealState.RELEASED
    assert await f.balance(svc, "user", FREELANCER) == 135
    assert await f.balance(svc, "fees") == 15
    assert await f.balance(svc, "escrow", d.id) == 0
    [client] = await f.outbox(svc, "notify.released_client")
    assert client["params"]["auto"] is True
    assert (await f.get_job(svc, d.job_id)).state == JobState.COMPLETED
    assert await timers.run_due(svc) == 0
    assert await f.balance(svc, "user", FREELANCER) == 135


async def test_release_before_the_window_ends_stops_the_timer(svc) -> None:
    deal = await f.delivered_deal(svc)
    await deals.release(svc, CLIENT, deal.id)
    f.advance_to(svc, deal.review_ends_at + 1)
    before = await f.balance(svc, "user", FREELANCER)
    await timers.run_due(svc)
    assert await f.balance(svc, "user", FREELANCER) == before == 135
    # Released by the client (answered by /release), and not again by the timer.
    assert await f.outbox(svc, "notify.released_client") == []
    assert len(await f.outbox(svc, "notify.released_freelancer")) == 1
    assert await f.outbox(svc, "notify.review_nudge") == []


async def test_revision_cancels_the_review_window(svc) -> None:
    deal = await f.delivered_deal(svc)
    d = await deals.revise(svc, CLIENT, deal.id, "change the colour")
    assert not {"review_nudge", "review_release"} & set(await f.pending(svc, d.id))
    # Nothing is released at the old review end; the revision was never delivered, so the
    # delivery timers refund the client instead.
    f.advance_to(svc, deal.review_ends_at + 1)
    await timers.run_due(svc)
    assert await f.outbox(svc, "notify.released_client") == []
    assert await f.balance(svc, "user", FREELANCER) == 0
    assert (await f.get_deal(svc, deal.id)).state == DealState.REFUNDED


async def test_actions_reread_the_state(svc) -> None:
    """Each timed action does nothing if the deal or job has moved on, even when called
    directly for a deadline that was somehow left pending."""
    deal = await f.delivered_deal(svc)
    await deals.release(svc, CLIENT, deal.id)
    refunded = await f.funded_deal(svc, freelancer=FREELANCER2)
    await deals.cancel(svc, FREELANCER2, refunded.id)
    assert await refunds.confirm(svc, refunded.charge_id)  # as the dispatcher would
    job = await f.job(svc)
    await f.bid(svc, job.id)
    await jobs.close_job(svc, CLIENT, job.id)
    f.advance_to(svc, svc.clock.now() + 60 * DAY)
    before = await f.snapshot(svc)
    async with svc.tx() as tx:
        for d in (deal, refunded):
            assert not await deals.auto_release(tx, svc, d.id)
            assert not await deals.auto_refund(tx, svc, d.id)
            assert not await deals.expire_funding(tx, svc, d.id)
            assert not await deals.delivery_due(tx, svc, d.id)
            assert not await deals.nudge_delivery(tx, svc, d.id)
            assert not await deals.nudge_review(tx, svc, d.id)
            assert not await disputes.remind_sla(tx, svc, d.id)
        assert not await jobs.expire_job(tx, svc, job.id)
        assert not await jobs.nudge_job(tx, svc, job.id)
        assert not await deals.auto_release(tx, svc, 999)
    assert await f.snapshot(svc) == before


async def test_a_deadline_runs_once(svc) -> None:
    deal = await f.delivered_deal(svc)
    f.advance_to(svc, deal.review_ends_at)
    async with svc.read() as tx:
        [row] = [r for r in await tx.deadlines.due(tx.now) if r["kind"] == "review_release"]
    assert await timers.run_deadline(svc, row["id"]) is True
    assert await timers.run_deadline(svc, row["id"]) is False
    assert await f.balance(svc, "user", FREELANCER) == 135


async def test_a_deadline_not_yet_due_does_not_run(svc) -> None:
    deal = await f.delivered_deal(svc)
    async with svc.read() as tx:
        [row] = [r for r in await tx.deadlines.pending(deal.id) if r["kind"] == "review_release"]
    assert await timers.run_deadline(svc, row["id"]) is False
    assert (await f.get_deal(svc, deal.id)).state == DealState.DELIVERED


# --- feedback requests ------------------------------------------------------------------------


async def test_feedback_requested_a_day_after_the_end(svc) -> None:
    deal = await f.delivered_deal(svc)
    d = await deals.release(svc, CLIENT, deal.id)
    await feedback.rate(svc, CLIENT, d.id, 5)
    f.advance_to(svc, d.ended_at + DAY - 1)
    assert await timers.run_due(svc) == 0
    f.advance_to(svc, d.ended_at + DAY)
    assert await timers.run_due(svc) == 1
    asked = await f.outbox(svc, "notify.feedback_request")
    assert [r["chat_id"] for r in asked] == [FREELANCER]  # the client already rated


async def test_no_feedback_request_when_both_rated(svc) -> None:
    deal = await f.delivered_deal(svc)
    d = await deals.release(svc, CLIENT, deal.id)
    await feedback.rate(svc, CLIENT, d.id, 5)
    await feedback.rate(svc, FREELANCER, d.id, 5)
    f.advance_to(svc, d.ended_at + 2 * DAY)
    await timers.run_due(svc)
    assert await f.outbox(svc, "notify.feedback_request") == []


# --- short windows from settings --------------------------------------------------------------


class TestShortWindows:
    @pytest.fixture
    def settings(self):
        return make_settings(
            bidding_window="2h",
            funding_window="30m",
            review_window="1h",
            delivery_grace="1h",
            nudge_lead="15m",
        )

    async def test_windows_follow_the_settings(self, svc) -> None:
        job = await f.job(svc)
        assert job.bidding_ends_at - job.created_at == 2 * 3600
        b = await f.bid(svc, job.id, days=1)
        deal = await deals.hire(svc, CLIENT, b.id)
        assert deal.funding_ends_at - deal.created_at == 1800
        await f.pay(svc, deal)
        d = await deals.deliver(svc, FREELANCER, deal.id)
        assert d.review_ends_at - d.delivered_at == 3600
        assert await f.pending(svc, d.id) == {
            "review_nudge": d.review_ends_at - 900,
            "review_release": d.review_ends_at,
        }
        f.advance_to(svc, d.review_ends_at - 900)
        assert await timers.run_due(svc) == 1  # the review reminder
        f.advance_to(svc, d.review_ends_at)
        assert await timers.run_due(svc) == 1  # the release
        assert (await f.get_deal(svc, d.id)).state == DealState.RELEASED


class TestNudgeLeadLongerThanWindows:
    @pytest.fixture
    def settings(self):
        return make_settings(bidding_window="1h", review_window="1h", nudge_lead="2h")

    async def test_no_nudges_scheduled(self, svc) -> None:
        job = await f.job(svc)
        assert set(await f.pending(svc, job.id, of_job=True)) == {"job_expire"}
        deal = await f.delivered_deal(svc)
        assert set(await f.pending(svc, deal.id)) == {"review_release"}
