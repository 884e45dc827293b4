"""The deal lifecycle of SPEC section 6: hire, pay, deliver, revise, extend, release, cancel."""

from __future__ import annotations

import asyncio

import pytest

from bot.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from bot.domain.states import BidState, DealState, JobState
from bot.services import bids, deals, disputes, jobs, moderation, payouts
from bot.services.base import as_admin
from tests import factories as f
from tests.conftest import make_settings
from tests.factories import CLIENT, FREELANCER, FREELANCER2, STRANGER

ADMIN = 9001
DAY = 86400


async def ban(svc, user_id: int) -> None:
    await moderation.ban(svc, as_admin(svc, ADMIN), user_id, "spam")


async def hired(svc, amount: int = 150, days: int = 3):
    """A job with three bids; FREELANCER's is accepted. Returns (job, deal, other bids)."""
    job = await f.job(svc)
    mine = await f.bid(svc, job.id, FREELANCER, amount, days)
    others = [await f.bid(svc, job.id, FREELANCER2), await f.bid(svc, job.id, STRANGER)]
    deal = await deals.hire(svc, CLIENT, mine.id)
    return job, deal, others


async def books(svc, deal) -> dict[str, int]:
    return {
        "escrow": await f.balance(svc, "escrow", deal.id),
        "freelancer": await f.balance(svc, "user", deal.freelancer_id),
        "client": await f.balance(svc, "user", deal.client_id),
        "fees": await f.balance(svc, "fees"),
        "payable": await f.balance(svc, "payable"),
        "world_in": await f.balance(svc, "world_in"),
        "refund_pending": await f.balance(svc, "refund_pending"),
        "world_out": await f.balance(svc, "world_out"),
    }


# --- hire -------------------------------------------------------------------------------------


async def test_hire_creates_a_deal_awaiting_funding(svc) -> None:
    job, deal, others = await hired(svc, amount=170, days=4)
    assert deal.state == DealState.AWAITING_FUNDING
    assert (deal.client_id, deal.freelancer_id) == (CLIENT, FREELANCER)
    assert (deal.amount, deal.currency, deal.days) == (170, "XTR", 4)
    assert deal.funding_ends_at == deal.created_at + svc.settings.funding_window
    assert (await f.get_job(svc, job.id)).state == JobState.HIRING
    assert (await f.get_bid(svc, deal.bid_id)).state == BidState.ACCEPTED
    # The other bids wait: they are declined only once the deal is funded.
    assert [(await f.get_bid(svc, b.id)).state for b in others] == [BidState.ACTIVE] * 2
    assert await f.pending(svc, deal.id) == {"funding_expire": deal.funding_ends_at}
    [invoice] = await f.outbox(svc, method="invoice")
    assert (invoice["chat_id"], invoice["key"]) == (CLIENT, "invoice.deal")
    assert invoice["params"]["amount"] == 170
    assert invoice["params"]["deal"] == deal.id
    [told] = await f.outbox(svc, "notify.hired_pending")
    assert told["chat_id"] == FREELANCER
    assert deals.invoice_payload(deal.id) == f"deal:{deal.id}"
    assert deals.parse_payload(f"deal:{deal.id}") == deal.id


@pytest.mark.parametrize("who", [STRANGER, FREELANCER, FREELANCER2])
async def test_only_the_client_hires(svc, who: int) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    await f.bid(svc, job.id, FREELANCER2)
    await f.refused(svc, deals.hire(svc, who, b.id), "bid.not_client", Forbidden, job=job.id)


async def test_banned_client_cannot_hire(svc) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    await ban(svc, CLIENT)
    await f.refused(svc, deals.hire(svc, CLIENT, b.id), "user.banned", Forbidden)


async def test_cannot_hire_a_banned_freelancer(svc) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    await ban(svc, FREELANCER)
    await f.refused(svc, deals.hire(svc, CLIENT, b.id), "bid.freelancer_banned", bid=b.id)


async def test_cannot_hire_a_bid_that_is_not_active(svc) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    await bids.withdraw_bid(svc, FREELANCER, b.id)
    await f.refused(svc, deals.hire(svc, CLIENT, b.id), "bid.not_active", Conflict, bid=b.id)
    b2 = await f.bid(svc, job.id, FREELANCER2)
    await bids.decline_bid(svc, CLIENT, b2.id)
    await f.refused(svc, deals.hire(svc, CLIENT, b2.id), "bid.not_active")


async def test_cannot_hire_on_a_closed_job(svc) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    await jobs.close_job(svc, CLIENT, job.id)
    await f.refused(svc, deals.hire(svc, CLIENT, b.id), "job.not_open_for_hire", job=job.id)


async def test_two_hires_on_one_job(svc) -> None:
    _job, deal, others = await hired(svc)
    await f.refused(svc, deals.hire(svc, CLIENT, others[0].id), "job.not_open_for_hire")
    await f.refused(svc, deals.hire(svc, CLIENT, deal.bid_id), "job.not_open_for_hire")
    await f.pay(svc, deal)
    await f.refused(svc, deals.hire(svc, CLIENT, others[1].id), "job.not_open_for_hire")


async def test_hire_unknown_bid(svc) -> None:
    await f.refused(svc, deals.hire(svc, CLIENT, 999), "bid.not_found", NotFound)


# --- pre-checkout and payment -----------------------------------------------------------------


async def test_precheckout(svc) -> None:
    _job, deal, _ = await hired(svc)
    payload = deals.invoice_payload(deal.id)
    before = await f.snapshot(svc)
    assert (await deals.precheckout(svc, CLIENT, payload, 150, "XTR")).ok
    checks = [
        (FREELANCER, payload, 150, "XTR", "payment.not_client"),
        (STRANGER, payload, 150, "XTR", "payment.not_client"),
        (CLIENT, payload, 149, "XTR", "payment.mismatch"),
        (CLIENT, payload, 15000, "XTR", "payment.mismatch"),
        (CLIENT, payload, 150, "USD", "payment.mismatch"),
        (CLIENT, "deal:999", 150, "XTR", "payment.unknown"),
        (CLIENT, "job:1", 150, "XTR", "payment.unknown"),
        (CLIENT, "", 150, "XTR", "payment.unknown"),
    ]
    for payer, load, amount, cur, key in checks:
        result = await deals.precheckout(svc, payer, load, amount, cur)
        assert (result.ok, result.error_key) == (False, key), (payer, load, amount, cur)
    assert await f.snapshot(svc) == before


async def test_precheckout_refused_once_funded_or_cancelled(svc) -> None:
    _job, deal, _ = await hired(svc)
    await f.pay(svc, deal)
    check = await deals.precheckout(svc, CLIENT, deals.invoice_payload(deal.id), 150, "XTR")
    assert (check.ok, check.error_key) == (False, "payment.not_awaiting")

    job2 = await f.job(svc)
    b = await f.bid(svc, job2.id)
    deal2 = await deals.hire(svc, CLIENT, b.id)
    await deals.cancel(svc, CLIENT, deal2.id)
    check = await deals.precheckout(svc, CLIENT, deals.invoice_payload(deal2.id), 150, "XTR")
    assert (check.ok, check.error_key) == (False, "payment.not_awaiting")


async def test_payment_funds_the_deal(svc) -> None:
    job, deal, others = await hired(svc, amount=150, days=3)
    charge = f.charge()
    assert await f.pay(svc, deal, charge) == "funded"
    d = await f.get_deal(svc, deal.id)
    assert d.state == DealState.FUNDED
    assert d.charge_id == charge
    assert d.funded_at is not None
    assert d.due_at == d.funded_at + 3 * DAY
    assert await books(svc, d) == {
        "escrow": 150,
        "freelancer": 0,
        "client": 0,
        "fees": 0,
        "payable": 0,
        "world_in": -150,
        "refund_pending": 0,
        "world_out": 0,
    }
    async with svc.read() as tx:
        payment = await tx.payments.get(charge)
    assert (payment["outcome"], payment["deal_id"], payment["amount"]) == ("funded", d.id, 150)
    assert (await f.get_job(svc, job.id)).state == JobState.IN_PROGRESS
    for other in others:
        b = await f.get_bid(svc, other.id)
        assert (b.state, b.decline_reason) == (BidState.DECLINED, "filled")
    filled = await f.outbox(svc, "notify.job_filled")
    assert sorted(r["chat_id"] for r in filled) == [FREELANCER2, STRANGER]
    funded = await f.outbox(svc, "notify.deal_funded")
    assert sorted(r["chat_id"] for r in funded) == [CLIENT, FREELANCER]
    assert funded[0]["params"]["due_at"] == d.due_at
    lead, grace = svc.settings.nudge_lead, svc.settings.delivery_grace
    assert await f.pending(svc, d.id) == {
        "delivery_nudge": d.due_at - lead,
        "delivery_due": d.due_at,
        "delivery_refund": d.due_at + grace,
    }
    assert await f.pending(svc, job.id, of_job=True) == {}


async def test_duplicate_charge_changes_nothing(svc) -> None:
    _job, deal, _ = await hired(svc)
    charge = f.charge()
    assert await f.pay(svc, deal, charge) == "funded"
    before = await f.snapshot(svc)
    assert await f.pay(svc, deal, charge) == "duplicate"
    assert await f.pay(svc, deal, charge) == "duplicate"
    assert await f.snapshot(svc) == before


async def test_payment_for_a_cancelled_deal_is_refunded(svc) -> None:
    job, deal, _ = await hired(svc)
    assert await deals.cancel(svc, CLIENT, deal.id) == "cancelled"
    charge = f.charge()
    assert await f.pay(svc, deal, charge) == "refunded"
    d = await f.get_deal(svc, deal.id)
    assert d.state == DealState.CANCELLED
    assert d.charge_id is None
    [refund] = await f.outbox(svc, method="refund_star")
    assert refund["chat_id"] == CLIENT
    assert refund["params"] == {"charge_id": charge, "deal": deal.id}
    [told] = await f.outbox(svc, "notify.payment_refunded")
    assert told["chat_id"] == CLIENT
    async with svc.read() as tx:
        assert (await tx.payments.get(charge))["outcome"] == "refunded"
    assert await f.balance(svc, "escrow", deal.id) == 0
    assert await f.balance(svc, "world_in") == -150
    assert await f.balance(svc, "refund_pending") == 150
    assert (await f.get_job(svc, job.id)).state == JobState.OPEN
    # The same charge again is a duplicate, not a second refund.
    before = await f.snapshot(svc)
    assert await f.pay(svc, deal, charge) == "duplicate"
    assert await f.snapshot(svc) == before


async def test_second_payment_for_a_funded_deal_is_refunded(svc) -> None:
    deal = await f.funded_deal(svc)
    assert await f.pay(svc, deal) == "refunded"
    assert (await f.get_deal(svc, deal.id)).state == DealState.FUNDED
    assert await f.balance(svc, "escrow", deal.id) == 150
    assert len(await f.outbox(svc, method="refund_star")) == 1


async def test_mismatched_payment_is_refunded_and_the_deal_still_waits(svc) -> None:
    _job, deal, _ = await hired(svc)
    payload = deals.invoice_payload(deal.id)
    c1, c2 = f.charge(), f.charge()
    assert await deals.record_payment(svc, CLIENT, payload, 100, "XTR", c1) == "refunded"
    assert await deals.record_payment(svc, STRANGER, payload, 150, "XTR", c2) == "refunded"
    assert (await f.get_deal(svc, deal.id)).state == DealState.AWAITING_FUNDING
    refunds = await f.outbox(svc, method="refund_star")
    assert [(r["chat_id"], r["params"]["charge_id"]) for r in refunds] == [
        (CLIENT, c1),
        (STRANGER, c2),
    ]
    assert await f.pay(svc, deal) == "funded"


async def test_payment_refusals(svc) -> None:
    _job, deal, _ = await hired(svc)
    payload = deals.invoice_payload(deal.id)
    await f.refused(
        svc, deals.record_payment(svc, CLIENT, payload, 150, "XTR", ""), "payment.unknown"
    )
    await f.refused(
        svc, deals.record_payment(svc, CLIENT, "deal:999", 150, "XTR", "c-x"), "payment.unknown"
    )
    await f.refused(
        svc, deals.record_payment(svc, CLIENT, "garbage", 150, "XTR", "c-y"), "payment.unknown"
    )


# --- deliver ----------------------------------------------------------------------------------


async def test_deliver(svc) -> None:
    deal = await f.funded_deal(svc)
    d = await deals.deliver(svc, FREELANCER, deal.id, " all done ", [{"file_id": "F"}])
    assert d.state == DealState.DELIVERED
    assert d.review_ends_at == d.delivered_at + svc.settings.review_window
    assert await f.pending(svc, d.id) == {
        "review_nudge": d.review_ends_at - svc.settings.nudge_lead,
        "review_release": d.review_ends_at,
    }
    [told] = await f.outbox(svc, "notify.delivered")
    assert told["chat_id"] == CLIENT
    assert (told["params"]["note"], told["params"]["files"]) == ("all done", 1)
    async with svc.read() as tx:
        events = await tx.deals.events(d.id)
    [delivery] = [e for e in events if e.kind == "delivery"]
    assert (delivery.actor_id, delivery.text, delivery.files) == (
        FREELANCER,
        "all done",
        [{"file_id": "F"}],
    )
    assert await books(svc, d) == await books(svc, deal)  # no money moves


async def test_deliver_refusals(svc) -> None:
    _job, unfunded, _ = await hired(svc)
    await f.refused(
        svc,
        deals.deliver(svc, FREELANCER, unfunded.id),
        "deal.bad_state",
        Conflict,
        state="awaiting_funding",
    )
    deal = await f.funded_deal(svc)
    await f.refused(svc, deals.deliver(svc, CLIENT, deal.id), "deal.only_freelancer", Forbidden)
    await f.refused(svc, deals.deliver(svc, STRANGER, deal.id), "deal.not_party", Forbidden)
    await f.refused(svc, deals.deliver(svc, FREELANCER, 999), "deal.not_found", NotFound)
    await f.refused(
        svc, deals.deliver(svc, FREELANCER, deal.id, "n" * 2001), "deliver.note_too_long"
    )
    await deals.deliver(svc, FREELANCER, deal.id)
    await f.refused(
        svc, deals.deliver(svc, FREELANCER, deal.id), "deal.bad_state", state="delivered"
    )
    await deals.release(svc, CLIENT, deal.id)
    await f.refused(
        svc, deals.deliver(svc, FREELANCER, deal.id), "deal.bad_state", state="released"
    )


async def test_attach_files(svc) -> None:
    deal = await f.funded_deal(svc)
    await f.refused(
        svc,
        deals.attach_files(svc, FREELANCER, deal.id, [{"file_id": "A"}]),
        "deliver.no_open_delivery",
    )
    await deals.deliver(svc, FREELANCER, deal.id)
    await f.refused(
        svc,
        deals.attach_files(svc, CLIENT, deal.id, [{"file_id": "A"}]),
        "deliver.no_open_delivery",
    )
    await deals.attach_files(svc, FREELANCER, deal.id, [{"file_id": "A"}, {"file_id": "B"}])
    [told] = await f.outbox(svc, "notify.delivery_files")
    assert (told["chat_id"], told["params"]["files"]) == (CLIENT, 2)


# --- revise -----------------------------------------------------------------------------------


async def test_revise(svc) -> None:
    deal = await f.delivered_deal(svc)
    d = await deals.revise(svc, CLIENT, deal.id, "Bigger logo")
    assert d.state == DealState.FUNDED
    assert d.revisions == 1
    assert (d.delivered_at, d.review_ends_at) == (None, None)
    assert d.due_at >= deal.due_at
    assert d.due_at >= svc.clock.now() + DAY - 5
    pend = await f.pending(svc, d.id)
    assert set(pend) == {"delivery_nudge", "delivery_due", "delivery_refund"}
    assert pend["delivery_due"] == d.due_at
    assert pend["delivery_refund"] == d.due_at + svc.settings.delivery_grace
    [told] = await f.outbox(svc, "notify.revision")
    assert told["chat_id"] == FREELANCER
    assert (told["params"]["text"], told["params"]["left"]) == ("Bigger logo", 1)
    assert await f.balance(svc, "escrow", d.id) == 150


async def test_revise_leaves_at_least_a_day(svc) -> None:
    deal = await f.delivered_deal(svc)
    f.advance_to(svc, deal.due_at + 3600)  # delivered on time, reviewed late
    d = await deals.revise(svc, CLIENT, deal.id, "Fix the typo")
    assert d.due_at - svc.clock.now() >= DAY - 5


async def test_revise_limit(svc) -> None:
    deal = await f.delivered_deal(svc)
    for _ in range(svc.settings.max_revisions):
        await deals.revise(svc, CLIENT, deal.id, "again")
        await deals.deliver(svc, FREELANCER, deal.id, "v2")
    err = await f.refused(
        svc, deals.revise(svc, CLIENT, deal.id, "once more"), "revise.limit", Conflict, max=2
    )
    assert err.params["deal"] == deal.id
    assert (await f.get_deal(svc, deal.id)).revisions == 2


async def test_revise_refusals(svc) -> None:
    deal = await f.funded_deal(svc)
    await f.refused(svc, deals.revise(svc, CLIENT, deal.id, "x"), "deal.bad_state", state="funded")
    await deals.deliver(svc, FREELANCER, deal.id)
    await f.refused(svc, deals.revise(svc, FREELANCER, deal.id, "x"), "deal.only_client", Forbidden)
    await f.refused(svc, deals.revise(svc, STRANGER, deal.id, "x"), "deal.not_party")
    await f.refused(svc, deals.revise(svc, CLIENT, deal.id, "  "), "revise.text_required")


class TestNoRevisions:
    @pytest.fixture
    def settings(self):
        return make_settings(max_revisions=0)

    async def test_limit_zero(self, svc) -> None:
        deal = await f.delivered_deal(svc)
        await f.refused(svc, deals.revise(svc, CLIENT, deal.id, "x"), "revise.limit", max=0)


# --- extend -----------------------------------------------------------------------------------


async def test_extend_moves_the_due_time_and_its_deadlines(svc) -> None:
    deal = await f.funded_deal(svc)
    d = await deals.extend(svc, CLIENT, deal.id, "2d")
    assert d.state == DealState.FUNDED
    assert d.due_at == deal.due_at + 2 * DAY
    lead, grace = svc.settings.nudge_lead, svc.settings.delivery_grace
    assert await f.pending(svc, d.id) == {
        "delivery_nudge": d.due_at - lead,
        "delivery_due": d.due_at,
        "delivery_refund": d.due_at + grace,
    }
    [told] = await f.outbox(svc, "notify.extended")
    assert (told["chat_id"], told["params"]["due_at"]) == (FREELANCER, d.due_at)
    d = await deals.extend(svc, CLIENT, deal.id, "12h")
    assert d.due_at == deal.due_at + 2 * DAY + 12 * 3600


async def test_extend_refusals(svc) -> None:
    deal = await f.funded_deal(svc)
    await f.refused(svc, deals.extend(svc, FREELANCER, deal.id, "2d"), "deal.only_client")
    await f.refused(svc, deals.extend(svc, STRANGER, deal.id, "2d"), "deal.not_party")
    for bad in ("soon", "0d", "400d", ""):
        await f.refused(svc, deals.extend(svc, CLIENT, deal.id, bad), "duration.invalid")
    await deals.deliver(svc, FREELANCER, deal.id)
    await f.refused(
        svc, deals.extend(svc, CLIENT, deal.id, "2d"), "deal.bad_state", state="delivered"
    )
    _job, unfunded, _ = await hired(svc)
    await f.refused(svc, deals.extend(svc, CLIENT, unfunded.id, "2d"), "deal.bad_state")


# --- time log ---------------------------------------------------------------------------------


async def test_log_time(svc) -> None:
    deal = await f.funded_deal(svc)
    await deals.log_time(svc, FREELANCER, deal.id, "1.5", "wireframes")
    await deals.log_time(svc, CLIENT, deal.id, "0,5", "call")
    async with svc.read() as tx:
        log = await tx.deals.time_log(deal.id)
    assert [(r["user_id"], r["minutes"], r["note"]) for r in log] == [
        (FREELANCER, 90, "wireframes"),
        (CLIENT, 30, "call"),
    ]


async def test_log_time_refusals(svc) -> None:
    deal = await f.funded_deal(svc)
    await f.refused(svc, deals.log_time(svc, STRANGER, deal.id, "1", "x"), "deal.not_party")
    for bad in ("0", "-1", "25", "abc"):
        await f.refused(
            svc, deals.log_time(svc, FREELANCER, deal.id, bad, "x"), "log.hours_invalid", max=24
        )
    _job, unfunded, _ = await hired(svc)
    await f.refused(svc, deals.log_time(svc, FREELANCER, unfunded.id, "1", "x"), "log.not_running")


# --- release ----------------------------------------------------------------------------------


async def test_release_pays_the_freelancer_less_the_fee(svc) -> None:
    deal = await f.delivered_deal(svc)
    d = await deals.release(svc, CLIENT, deal.id)
    assert d.state == DealState.RELEASED
    assert d.ended_at is not None
    assert await books(svc, d) == {
        "escrow": 0,
        "freelancer": 135,
        "client": 0,
        "fees": 15,
        "payable": 0,
        "world_in": -150,
        "refund_pending": 0,
        "world_out": 0,
    }
    assert (await f.get_job(svc, d.job_id)).state == JobState.COMPLETED
    [paid] = await f.outbox(svc, "notify.released_freelancer")
    assert (paid["chat_id"], paid["params"]["paid"], paid["params"]["fee"]) == (FREELANCER, 135, 15)
    # The client who released is answered by /release: no notification for them.
    assert await f.outbox(svc, "notify.released_client") == []
    assert set(await f.pending(svc, d.id)) == {"feedback_request"}
    assert (await payouts.balances(svc, FREELANCER))[0].available == 135


async def test_fee_is_rounded_down(svc) -> None:
    deal = await f.delivered_deal(svc, amount=159)
    await deals.release(svc, CLIENT, deal.id)
    assert await f.balance(svc, "user", FREELANCER) == 144
    assert await f.balance(svc, "fees") == 15


async def test_release_refusals(svc) -> None:
    deal = await f.funded_deal(svc)
    await f.refused(svc, deals.release(svc, CLIENT, deal.id), "deal.bad_state", state="funded")
    await deals.deliver(svc, FREELANCER, deal.id)
    await f.refused(
        svc,
        deals.release(svc, FREELANCER, deal.id),
        "deal.only_client_release",
        Forbidden,
        deal=deal.id,
    )
    await f.refused(svc, deals.release(svc, STRANGER, deal.id), "deal.not_party")
    await deals.release(svc, CLIENT, deal.id)
    await f.refused(svc, deals.release(svc, CLIENT, deal.id), "deal.bad_state", state="released")


class TestNoFee:
    @pytest.fixture
    def settings(self):
        return make_settings(platform_fee_percent=0)

    async def test_release_without_fee(self, svc) -> None:
        deal = await f.delivered_deal(svc)
        await deals.release(svc, CLIENT, deal.id)
        assert await f.balance(svc, "user", FREELANCER) == 150
        assert await f.balance(svc, "fees") == 0


# --- cancel -----------------------------------------------------------------------------------


async def test_freelancer_cancel_refunds_stars_at_once(svc) -> None:
    deal = await f.funded_deal(svc)
    assert await deals.cancel(svc, FREELANCER, deal.id) == "refunded"
    d = await f.get_deal(svc, deal.id)
    assert d.state == DealState.REFUNDED
    assert await books(svc, d) == {
        "escrow": 0,
        "freelancer": 0,
        "client": 0,
        "fees": 0,
        "payable": 0,
        "world_in": -150,
        "refund_pending": 150,  # until Telegram confirms refundStarPayment
        "world_out": 0,
    }
    [refund] = await f.outbox(svc, method="refund_star")
    assert refund["chat_id"] == CLIENT
    assert refund["params"] == {"charge_id": deal.charge_id, "deal": deal.id}
    told = await f.outbox(svc, "notify.refunded")
    assert [r["chat_id"] for r in told] == [CLIENT]  # the freelancer who cancelled is answered
    assert told[0]["params"]["how"] == "stars"
    assert (await f.get_job(svc, d.job_id)).state == JobState.CLOSED
    assert set(await f.pending(svc, d.id)) == {"feedback_request"}
    async with svc.read() as tx:
        assert await tx.payouts.pending() == []


async def test_client_cancel_asks_the_freelancer_who_confirms(svc) -> None:
    deal = await f.funded_deal(svc)
    assert await deals.cancel(svc, CLIENT, deal.id) == "requested"
    d = await f.get_deal(svc, deal.id)
    assert d.state == DealState.FUNDED
    assert d.cancel_requested_at is not None
    assert await f.balance(svc, "escrow", deal.id) == 150
    [asked] = await f.outbox(svc, "notify.cancel_requested")
    assert asked["chat_id"] == FREELANCER
    await f.refused(svc, deals.cancel(svc, CLIENT, deal.id), "cancel.already_requested")
    await f.refused(svc, deals.answer_cancel(svc, CLIENT, deal.id, True), "deal.only_freelancer")
    await f.refused(svc, deals.answer_cancel(svc, STRANGER, deal.id, True), "deal.not_party")
    assert await deals.answer_cancel(svc, FREELANCER, deal.id, True) == "refunded"
    d = await f.get_deal(svc, deal.id)
    assert d.state == DealState.REFUNDED
    assert d.cancel_requested_at is None
    assert await f.balance(svc, "refund_pending") == 150
    assert len(await f.outbox(svc, method="refund_star")) == 1


async def test_freelancer_refuses_a_client_cancel(svc) -> None:
    deal = await f.funded_deal(svc)
    await deals.cancel(svc, CLIENT, deal.id)
    assert await deals.answer_cancel(svc, FREELANCER, deal.id, False) == "refused"
    d = await f.get_deal(svc, deal.id)
    assert (d.state, d.cancel_requested_at) == (DealState.FUNDED, None)
    told = await f.outbox(svc, "notify.cancel_refused")
    assert [r["chat_id"] for r in told] == [CLIENT]  # the freelancer who refused is answered
    assert await f.balance(svc, "escrow", deal.id) == 150
    await f.refused(
        svc, deals.answer_cancel(svc, FREELANCER, deal.id, True), "cancel.not_requested"
    )
    # The client may ask again.
    assert await deals.cancel(svc, CLIENT, deal.id) == "requested"


async def test_answer_cancel_without_a_request(svc) -> None:
    deal = await f.funded_deal(svc)
    await f.refused(
        svc, deals.answer_cancel(svc, FREELANCER, deal.id, True), "cancel.not_requested", Conflict
    )


async def test_a_delivery_supersedes_a_pending_cancel_request(svc) -> None:
    deal = await f.funded_deal(svc)
    await deals.cancel(svc, CLIENT, deal.id)
    d = await deals.deliver(svc, FREELANCER, deal.id, "done anyway")
    assert d.cancel_requested_at is None
    await deals.revise(svc, CLIENT, deal.id, "one change")
    # The old request cannot be confirmed later; the client can ask anew.
    await f.refused(
        svc, deals.answer_cancel(svc, FREELANCER, deal.id, True), "cancel.not_requested"
    )
    assert await deals.cancel(svc, CLIENT, deal.id) == "requested"


async def test_cancel_refused_after_delivery_or_end(svc) -> None:
    deal = await f.delivered_deal(svc)
    for who in (CLIENT, FREELANCER):
        await f.refused(svc, deals.cancel(svc, who, deal.id), "deal.bad_state", state="delivered")
    await deals.release(svc, CLIENT, deal.id)
    await f.refused(svc, deals.cancel(svc, FREELANCER, deal.id), "deal.bad_state")
    await f.refused(svc, deals.cancel(svc, STRANGER, deal.id), "deal.not_party", Forbidden)


async def test_client_cancels_an_unfunded_deal_and_the_job_reopens(svc) -> None:
    job, deal, others = await hired(svc)
    assert await deals.cancel(svc, CLIENT, deal.id) == "cancelled"
    d = await f.get_deal(svc, deal.id)
    assert d.state == DealState.CANCELLED
    assert d.ended_at is not None
    j = await f.get_job(svc, job.id)
    assert j.state == JobState.OPEN
    assert (await f.get_bid(svc, deal.bid_id)).state == BidState.ACTIVE
    assert [(await f.get_bid(svc, b.id)).state for b in others] == [BidState.ACTIVE] * 2
    [told] = await f.outbox(svc, "notify.deal_cancelled")
    assert told["chat_id"] == FREELANCER
    assert await f.pending(svc, deal.id) == {}
    assert await f.pending(svc, job.id, of_job=True) == {
        "job_expire": j.bidding_ends_at,
        "job_nudge": j.bidding_ends_at - svc.settings.nudge_lead,
    }
    assert await books(svc, d) == {
        "escrow": 0,
        "freelancer": 0,
        "client": 0,
        "fees": 0,
        "payable": 0,
        "world_in": 0,
        "refund_pending": 0,
        "world_out": 0,
    }
    # The job takes bids and hires again.
    await f.bid(svc, job.id, FREELANCER2, 140)
    again = await deals.hire(svc, CLIENT, others[0].id)
    assert await f.pay(svc, again) == "funded"


async def test_freelancer_cancels_an_unfunded_deal(svc) -> None:
    job, deal, _ = await hired(svc)
    assert await deals.cancel(svc, FREELANCER, deal.id) == "cancelled"
    assert (await f.get_bid(svc, deal.bid_id)).state == BidState.WITHDRAWN
    assert (await f.get_job(svc, job.id)).state == JobState.OPEN
    [told] = await f.outbox(svc, "notify.deal_cancelled")
    assert told["chat_id"] == CLIENT
    await f.refused(svc, deals.cancel(svc, CLIENT, deal.id), "deal.bad_state", state="cancelled")


# --- refund when overdue ----------------------------------------------------------------------


async def test_refund_overdue(svc) -> None:
    deal = await f.funded_deal(svc)
    await f.refused(svc, deals.refund_overdue(svc, CLIENT, deal.id), "refund.not_overdue", Conflict)
    f.advance_to(svc, deal.due_at + 1)
    await f.refused(svc, deals.refund_overdue(svc, FREELANCER, deal.id), "deal.only_client")
    await f.refused(svc, deals.refund_overdue(svc, STRANGER, deal.id), "deal.not_party")
    d, back = await deals.refund_overdue(svc, CLIENT, deal.id)
    assert d.state == DealState.REFUNDED
    assert (back.how, back.payout) == ("stars", None)
    assert await f.balance(svc, "refund_pending") == 150
    assert await f.balance(svc, "escrow", deal.id) == 0
    [told] = await f.outbox(svc, "notify.refunded")  # the client who took it is answered
    assert (told["chat_id"], told["params"]["why"]) == (FREELANCER, "overdue")
    await f.refused(svc, deals.refund_overdue(svc, CLIENT, deal.id), "refund.not_overdue")


async def test_refund_overdue_not_after_delivery(svc) -> None:
    deal = await f.delivered_deal(svc)
    f.advance_to(svc, deal.due_at + 1)
    await f.refused(svc, deals.refund_overdue(svc, CLIENT, deal.id), "refund.not_overdue")


# --- a payment provider instead of Stars ------------------------------------------------------


class TestProviderCurrency:
    @pytest.fixture
    def settings(self):
        return make_settings(payment_provider_token="x", currency="USD")

    async def test_funding_in_usd(self, svc) -> None:
        deal = await f.funded_deal(svc, amount=15000)
        assert (deal.currency, deal.amount) == ("USD", 15000)
        check = await deals.precheckout(svc, CLIENT, deals.invoice_payload(deal.id), 15000, "XTR")
        assert check.error_key == "payment.not_awaiting"
        assert await f.balance(svc, "escrow", deal.id) == 15000

    async def test_refund_goes_to_the_balance_and_a_payout(self, svc) -> None:
        deal = await f.funded_deal(svc)
        assert await deals.cancel(svc, FREELANCER, deal.id) == "refunded"
        assert (await f.get_deal(svc, deal.id)).state == DealState.REFUNDED
        assert await f.outbox(svc, method="refund_star") == []
        assert (await f.outbox(svc, "notify.refunded"))[0]["params"]["how"] == "balance"
        assert await f.balance(svc, "escrow", deal.id) == 0
        assert await f.balance(svc, "user", CLIENT) == 0  # at once moved into the payout
        assert await f.balance(svc, "payable") == 150
        async with svc.read() as tx:
            [payout] = await tx.payouts.pending()
        assert (payout.user_id, payout.amount, payout.currency, payout.state) == (
            CLIENT,
            150,
            "USD",
            "pending",
        )
        [bal] = await payouts.balances(svc, CLIENT)
        assert (bal.available, bal.pending_payouts, bal.currency) == (0, 150, "USD")
        paid = await payouts.mark_paid(svc, as_admin(svc, ADMIN), payout.id)
        assert paid.state == "paid"
        assert await f.balance(svc, "payable") == 0
        assert await f.balance(svc, "world_out") == 150

    async def test_stray_payment_goes_to_a_payout(self, svc) -> None:
        _job, deal, _ = await hired(svc)
        await deals.cancel(svc, CLIENT, deal.id)
        assert await f.pay(svc, deal) == "refunded"
        assert await f.outbox(svc, method="refund_star") == []
        async with svc.read() as tx:
            [payout] = await tx.payouts.pending()
        assert (payout.user_id, payout.amount) == (CLIENT, 150)

    async def test_release_in_usd(self, svc) -> None:
        deal = await f.delivered_deal(svc, amount=15000)
        await deals.release(svc, CLIENT, deal.id)
        assert await f.balance(svc, "user", FREELANCER) == 13500
        assert await f.balance(svc, "fees") == 1500


# --- reading ----------------------------------------------------------------------------------


async def test_my_deals(svc) -> None:
    d1 = await f.funded_deal(svc)
    d2 = await f.funded_deal(svc, freelancer=FREELANCER2)
    assert [d.id for d in await deals.my_deals(svc, CLIENT)] == [d2.id, d1.id]
    assert [d.id for d in await deals.my_deals(svc, FREELANCER)] == [d1.id]
    assert await deals.my_deals(svc, STRANGER) == []


async def test_books_after_refusals_stay_balanced(svc) -> None:
    deal = await f.funded_deal(svc)
    with pytest.raises(InvalidInput):
        await deals.extend(svc, CLIENT, deal.id, "forever")
    with pytest.raises(Conflict):
        await deals.release(svc, CLIENT, deal.id)
    assert await f.balance(svc, "escrow", deal.id) == 150


# --- races: every transition is a conditional write, one winner -----------------------------


async def test_two_releases_at_once_pay_once(svc) -> None:
    deal = await f.delivered_deal(svc)
    results = await asyncio.gather(
        deals.release(svc, CLIENT, deal.id),
        deals.release(svc, CLIENT, deal.id),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1
    assert isinstance(errors[0], Conflict)
    assert errors[0].key == "deal.bad_state"
    assert await f.balance(svc, "user", FREELANCER) == 135
    assert await f.balance(svc, "fees") == 15


async def test_release_and_dispute_at_once_have_one_winner(svc) -> None:
    deal = await f.delivered_deal(svc)
    results = await asyncio.gather(
        deals.release(svc, CLIENT, deal.id),
        disputes.open_dispute(svc, FREELANCER, deal.id, "wait"),
        return_exceptions=True,
    )
    assert sum(isinstance(r, Conflict) for r in results) == 1
    d = await f.get_deal(svc, deal.id)
    if d.state == DealState.RELEASED:
        assert await f.balance(svc, "user", FREELANCER) == 135
    else:
        assert d.state == DealState.DISPUTED
        assert await f.balance(svc, "escrow", deal.id) == 150


async def test_same_charge_twice_at_once_funds_once(svc) -> None:
    _job, deal, _ = await hired(svc)
    charge = f.charge()
    results = await asyncio.gather(f.pay(svc, deal, charge), f.pay(svc, deal, charge))
    assert sorted(results) == ["duplicate", "funded"]
    assert await f.balance(svc, "escrow", deal.id) == 150
    assert await f.balance(svc, "world_in") == -150


async def test_two_hires_at_once(svc) -> None:
    job = await f.job(svc)
    b1 = await f.bid(svc, job.id)
    b2 = await f.bid(svc, job.id, FREELANCER2)
    results = await asyncio.gather(
        deals.hire(svc, CLIENT, b1.id), deals.hire(svc, CLIENT, b2.id), return_exceptions=True
    )
    [err] = [r for r in results if isinstance(r, Exception)]
    assert err.key == "job.not_open_for_hire"
    async with svc.read() as tx:
        assert len(await tx.deals.for_job(job.id)) == 1
