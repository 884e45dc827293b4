"""Disputes (SPEC section 6): opened from funded or delivered, timers frozen, a moderator
decides release, refund or split, with exact amounts."""

from __future__ import annotations

import pytest

from bot.domain.errors import Conflict, Forbidden, InvalidInput
from bot.domain.states import DealState, JobState
from bot.services import deals, disputes, profiles, timers
from bot.services.base import Moderator, as_admin
from tests import factories as f
from tests.conftest import make_settings
from tests.factories import CLIENT, FREELANCER, STRANGER

ADMIN = 9001
MOD_CHAT = -100500


def mod(svc) -> Moderator:
    return as_admin(svc, ADMIN)


async def disputed(svc, amount: int = 150, delivered: bool = False, by: int = CLIENT):
    deal = await (f.delivered_deal if delivered else f.funded_deal)(svc, amount=amount)
    await disputes.open_dispute(svc, by, deal.id, "Not what we agreed")
    return await f.get_deal(svc, deal.id)


async def test_open_from_funded(svc) -> None:
    deal = await f.funded_deal(svc)
    dispute = await disputes.open_dispute(svc, CLIENT, deal.id, " It is late ")
    d = await f.get_deal(svc, deal.id)
    assert d.state == DealState.DISPUTED
    assert (dispute.opened_by, dispute.reason, dispute.from_state) == (
        CLIENT,
        "It is late",
        DealState.FUNDED,
    )
    assert dispute.respond_by == dispute.opened_at + svc.settings.dispute_response_window
    assert dispute.resolved_at is None
    # Every timer of the deal is frozen; only the moderators' SLA runs.
    assert await f.pending(svc, deal.id) == {
        "dispute_sla": dispute.opened_at + svc.settings.dispute_sla
    }
    [other] = await f.outbox(svc, "notify.dispute_opened_other")
    assert other["chat_id"] == FREELANCER
    assert (other["params"]["reason"], other["params"]["by"]) == ("It is late", CLIENT)
    assert other["params"]["respond_by"] == dispute.respond_by
    # The client who opened it is answered by /dispute: no notification for them.
    assert [r["key"] for r in await f.outbox(svc, chat_id=CLIENT) if "dispute" in r["key"]] == []
    [card] = await f.outbox(svc, "mod.dispute_card")
    assert (card["chat_id"], card["method"]) == (MOD_CHAT, "send")
    assert card["params"] == {
        "deal": deal.id,
        "dispute": dispute.id,
        "topic": f"topic:dispute:{dispute.id}",  # its forum topic, when the group is one
    }
    assert await f.balance(svc, "escrow", deal.id) == 150
    assert (await disputes.dispute_view(svc, deal.id))[1] == dispute


async def test_open_from_delivered_by_the_freelancer(svc) -> None:
    deal = await f.delivered_deal(svc)
    dispute = await disputes.open_dispute(svc, FREELANCER, deal.id, "No answer from the client")
    assert dispute.from_state == DealState.DELIVERED
    assert set(await f.pending(svc, deal.id)) == {"dispute_sla"}
    [other] = await f.outbox(svc, "notify.dispute_opened_other")
    assert other["chat_id"] == CLIENT


async def test_a_dispute_clears_a_cancel_request(svc) -> None:
    deal = await f.funded_deal(svc)
    await deals.cancel(svc, CLIENT, deal.id)
    await disputes.open_dispute(svc, FREELANCER, deal.id, "I did the work")
    assert (await f.get_deal(svc, deal.id)).cancel_requested_at is None


async def test_open_refusals(svc) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    unfunded = await deals.hire(svc, CLIENT, b.id)
    await f.refused(
        svc,
        disputes.open_dispute(svc, CLIENT, unfunded.id, "why"),
        "deal.bad_state",
        Conflict,
        state="awaiting_funding",
    )
    deal = await f.funded_deal(svc)
    await f.refused(
        svc, disputes.open_dispute(svc, STRANGER, deal.id, "why"), "deal.not_party", Forbidden
    )
    await f.refused(
        svc, disputes.open_dispute(svc, CLIENT, deal.id, "  "), "dispute.reason_required"
    )
    await disputes.open_dispute(svc, CLIENT, deal.id, "why")
    await f.refused(
        svc,
        disputes.open_dispute(svc, FREELANCER, deal.id, "me too"),
        "deal.bad_state",
        state="disputed",
    )
    released = await f.delivered_deal(svc)
    await deals.release(svc, CLIENT, released.id)
    await f.refused(
        svc,
        disputes.open_dispute(svc, CLIENT, released.id, "late"),
        "deal.bad_state",
        state="released",
    )


async def test_a_disputed_deal_refuses_the_normal_moves(svc) -> None:
    deal = await disputed(svc, delivered=True)
    await f.refused(svc, deals.release(svc, CLIENT, deal.id), "deal.bad_state")
    await f.refused(svc, deals.revise(svc, CLIENT, deal.id, "x"), "deal.bad_state")
    await f.refused(svc, deals.deliver(svc, FREELANCER, deal.id), "deal.bad_state")
    await f.refused(svc, deals.extend(svc, CLIENT, deal.id, "1d"), "deal.bad_state")
    await f.refused(svc, deals.cancel(svc, FREELANCER, deal.id), "deal.bad_state")


async def test_timers_are_frozen(svc) -> None:
    deal = await disputed(svc)
    f.advance_to(svc, deal.due_at + svc.settings.delivery_grace + 30 * 86400)
    await timers.run_due(svc)
    d = await f.get_deal(svc, deal.id)
    assert d.state == DealState.DISPUTED
    assert await f.balance(svc, "escrow", deal.id) == 150
    assert await f.outbox(svc, "notify.refunded") == []
    assert await f.outbox(svc, "notify.delivery_overdue") == []
    assert len(await f.outbox(svc, "mod.sla_reminder")) == 1

    deal2 = await disputed(svc, delivered=True)
    f.advance_to(svc, deal2.review_ends_at + 86400)
    await timers.run_due(svc)
    assert (await f.get_deal(svc, deal2.id)).state == DealState.DISPUTED
    assert await f.outbox(svc, "notify.released_client") == []


async def test_sla_reminder_repeats(svc) -> None:
    deal = await disputed(svc)
    sla = svc.settings.dispute_sla
    due = (await f.pending(svc, deal.id))["dispute_sla"]
    f.advance_to(svc, due - 1)
    assert await timers.run_due(svc) == 0
    f.advance_to(svc, due)
    assert await timers.run_due(svc) == 1
    assert await timers.run_due(svc) == 0
    [reminder] = await f.outbox(svc, "mod.sla_reminder")
    assert reminder["chat_id"] == MOD_CHAT
    assert reminder["params"]["deal"] == deal.id
    assert (await f.pending(svc, deal.id))["dispute_sla"] == svc.clock.now() + sla
    f.advance_to(svc, svc.clock.now() + sla)
    assert await timers.run_due(svc) == 1
    assert len(await f.outbox(svc, "mod.sla_reminder")) == 2
    await disputes.resolve(svc, mod(svc), deal.id, "refund")
    assert "dispute_sla" not in await f.pending(svc, deal.id)


async def test_evidence(svc) -> None:
    deal = await f.funded_deal(svc)
    await f.refused(
        svc, disputes.add_evidence(svc, CLIENT, deal.id, "look"), "dispute.none_open", Conflict
    )
    await disputes.open_dispute(svc, CLIENT, deal.id, "why")
    await f.refused(svc, disputes.add_evidence(svc, CLIENT, deal.id, " "), "dispute.evidence_empty")
    await f.refused(svc, disputes.add_evidence(svc, STRANGER, deal.id, "hi"), "deal.not_party")
    await disputes.add_evidence(svc, FREELANCER, deal.id, "Here is my work", [{"file_id": "E"}])
    [card] = await f.outbox(svc, "mod.evidence")
    assert card["chat_id"] == MOD_CHAT
    assert card["params"]["by"] == FREELANCER
    assert card["params"]["files"] == [{"file_id": "E"}]


# --- resolution -------------------------------------------------------------------------------


async def test_resolve_release(svc) -> None:
    deal = await disputed(svc, delivered=True)
    d = await disputes.resolve(svc, mod(svc), deal.id, "release", note="Work matches the brief")
    assert d.state == DealState.RELEASED
    assert await f.balance(svc, "escrow", d.id) == 0
    assert await f.balance(svc, "user", FREELANCER) == 135
    assert await f.balance(svc, "fees") == 15
    assert await f.balance(svc, "user", CLIENT) == 0
    assert (await f.get_job(svc, d.job_id)).state == JobState.COMPLETED
    _, dispute = await disputes.dispute_view(svc, d.id)
    assert (dispute.outcome, dispute.percent, dispute.resolved_by) == ("release", 100, ADMIN)
    assert dispute.note == "Work matches the brief"
    told = await f.outbox(svc, "notify.resolved")
    assert sorted(r["chat_id"] for r in told) == [CLIENT, FREELANCER]
    assert (told[0]["params"]["paid"], told[0]["params"]["fee"]) == (135, 15)
    [edit] = await f.outbox(svc, "mod.dispute_card", method="edit")
    assert edit["chat_id"] == MOD_CHAT
    assert set(await f.pending(svc, d.id)) == {"feedback_request"}


async def test_resolve_refund(svc) -> None:
    deal = await disputed(svc)
    d = await disputes.resolve(svc, mod(svc), deal.id, "refund")
    assert d.state == DealState.REFUNDED
    assert await f.balance(svc, "escrow", d.id) == 0
    assert await f.balance(svc, "refund_pending") == 150
    assert await f.balance(svc, "user", FREELANCER) == 0
    assert await f.balance(svc, "fees") == 0
    [refund] = await f.outbox(svc, method="refund_star")
    assert refund["params"] == {"charge_id": deal.charge_id, "deal": deal.id}
    assert (await f.get_job(svc, d.job_id)).state == JobState.CLOSED
    told = await f.outbox(svc, "notify.resolved")
    assert (told[0]["params"]["back"], told[0]["params"]["how"]) == (150, "stars")
    stats = await profiles.profile(svc, FREELANCER)
    assert (stats.disputes, stats.disputes_lost) == (1, 1)
    stats = await profiles.profile(svc, CLIENT)
    assert (stats.disputes, stats.disputes_lost) == (1, 0)


async def test_resolve_split_exact_amounts(svc) -> None:
    deal = await disputed(svc, amount=100)
    d = await disputes.resolve(svc, mod(svc), deal.id, "split", 30, "Half done")
    assert d.state == DealState.SPLIT
    assert await f.balance(svc, "escrow", d.id) == 0
    assert await f.balance(svc, "user", FREELANCER) == 27
    assert await f.balance(svc, "fees") == 3
    # The client's 70 is queued as a payout at once.
    assert await f.balance(svc, "user", CLIENT) == 0
    assert await f.balance(svc, "payable") == 70
    async with svc.read() as tx:
        [payout] = await tx.payouts.pending()
    assert (payout.user_id, payout.amount, payout.state) == (CLIENT, 70, "pending")
    assert await f.outbox(svc, method="refund_star") == []
    told = await f.outbox(svc, "notify.resolved")
    params = told[0]["params"]
    assert (
        params["outcome"],
        params["percent"],
        params["paid"],
        params["fee"],
        params["back"],
    ) == (
        "split",
        30,
        27,
        3,
        70,
    )
    assert (await f.get_job(svc, d.job_id)).state == JobState.COMPLETED


@pytest.mark.parametrize(
    ("amount", "percent", "freelancer", "fee", "client"),
    [
        (150, 50, 68, 7, 75),
        (100, 0, 0, 0, 100),
        (100, 100, 90, 10, 0),
        (99, 33, 29, 3, 67),
        (1, 50, 0, 0, 1),
    ],
)
async def test_split_rounding(
    svc, amount: int, percent: int, freelancer: int, fee: int, client: int
) -> None:
    deal = await disputed(svc, amount=amount)
    await disputes.resolve(svc, mod(svc), deal.id, "split", percent)
    assert await f.balance(svc, "user", FREELANCER) == freelancer
    assert await f.balance(svc, "fees") == fee
    if freelancer + fee == 0:
        # The client gets everything: a full refund of the Stars payment, not a payout.
        assert await f.balance(svc, "payable") == 0
        assert await f.balance(svc, "refund_pending") == client
        async with svc.read() as tx:
            refunds = await tx.fetchall("SELECT * FROM outbox WHERE method = 'refund_star'")
        assert len(refunds) == 1
    else:
        assert await f.balance(svc, "payable") == client
    assert freelancer + fee + client == amount


async def test_second_resolve_refused(svc) -> None:
    deal = await disputed(svc)
    await disputes.resolve(svc, mod(svc), deal.id, "split", 50)
    for outcome, pct in (("release", None), ("refund", None), ("split", 10)):
        await f.refused(
            svc,
            disputes.resolve(svc, mod(svc), deal.id, outcome, pct),
            "deal.bad_state",
            Conflict,
            state="split",
        )


async def test_resolve_refusals(svc) -> None:
    deal = await f.funded_deal(svc)
    await f.refused(
        svc, disputes.resolve(svc, mod(svc), deal.id, "release"), "deal.bad_state", state="funded"
    )
    await disputes.open_dispute(svc, CLIENT, deal.id, "why")
    await f.refused(
        svc,
        disputes.resolve(svc, mod(svc), deal.id, "pay"),
        "resolve.outcome_invalid",
        InvalidInput,
    )
    await f.refused(svc, disputes.resolve(svc, mod(svc), deal.id, "split"), "percent.invalid")
    for bad in (-1, 101):
        await f.refused(
            svc, disputes.resolve(svc, mod(svc), deal.id, "split", bad), "percent.invalid"
        )
    await f.refused(svc, disputes.resolve(svc, mod(svc), 999, "refund"), "deal.not_found")


def test_only_admins_are_moderators_in_private(svc) -> None:
    assert as_admin(svc, ADMIN).user_id == ADMIN
    for who in (CLIENT, FREELANCER, STRANGER):
        with pytest.raises(Forbidden) as info:
            as_admin(svc, who)
        assert info.value.key == "moderator.only"


class TestNoModeratorChat:
    @pytest.fixture
    def settings(self):
        return make_settings(moderator_chat_id=None)

    async def test_no_card_without_a_group(self, svc) -> None:
        deal = await disputed(svc)
        assert await f.outbox(svc, "mod.dispute_card") == []
        await disputes.resolve(svc, mod(svc), deal.id, "release")
        assert await f.outbox(svc, chat_id=MOD_CHAT) == []


class TestProviderCurrency:
    @pytest.fixture
    def settings(self):
        return make_settings(payment_provider_token="x", currency="USD")

    async def test_refund_is_a_payout(self, svc) -> None:
        deal = await disputed(svc, amount=10000)
        await disputes.resolve(svc, mod(svc), deal.id, "refund")
        assert await f.outbox(svc, method="refund_star") == []
        async with svc.read() as tx:
            [payout] = await tx.payouts.pending()
        assert (payout.user_id, payout.amount, payout.currency) == (CLIENT, 10000, "USD")
