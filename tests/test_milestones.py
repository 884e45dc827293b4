"""Milestone contracts (issue 14) through the services, on both engines: the plan and its
refusals, one milestone funded at a time, release and auto-release, a dispute on one
milestone, cancelling (only the funded milestone goes back), an added milestone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import milestones as rules
from bot.domain.errors import Conflict, DomainError, Forbidden, InvalidInput
from bot.domain.milestones import MilestoneState
from bot.domain.states import ContractKind, DealState, JobState
from bot.services import deals, disputes, milestones, moderation, refunds, timers
from bot.services.base import as_admin
from tests import factories as f
from tests.factories import CLIENT, FREELANCER, STRANGER

ADMIN = 9001
PLAN = "Design = 100; Build = 200; Launch = 300"


async def _snapshot(svc) -> dict[str, list]:
    async with svc.read() as tx:
        names = [r["name"] for r in await tx.fetchall(tx.dialect.tables())]
        return {
            n: sorted((tuple(r) for r in await tx.fetchall(f'SELECT * FROM "{n}"')), key=repr)
            for n in names
        }


async def refused(svc, kind: type[DomainError], coro) -> DomainError:
    """The call is refused with `kind`, and no row of any table changed."""
    before = await _snapshot(svc)
    with pytest.raises(kind) as info:
        await coro
    assert await _snapshot(svc) == before
    return info.value


async def planned(svc, plan: str = PLAN, amount: int = 600):
    job = await f.job(svc, budget_min=100, budget_max=1000)
    bid = await f.bid(svc, job.id, FREELANCER, amount, 5)
    await milestones.set_plan(svc, FREELANCER, bid.id, plan)
    return job, bid


async def contract(svc, plan: str = PLAN, amount: int = 600):
    job, bid = await planned(svc, plan, amount)
    deal = await deals.hire(svc, CLIENT, bid.id)
    return job, deal


async def plan_of(svc, deal_id: int) -> list[tuple[str, int, str]]:
    async with svc.read() as tx:
        return [(m.title, m.amount, m.state.value) for m in await tx.milestones.of_deal(deal_id)]


async def current_deal(svc, deal_id: int):
    async with svc.read() as tx:
        return await tx.deals.get(deal_id)


# --- the rules of a plan ---------------------------------------------------------------------


def test_parse_plan() -> None:
    assert rules.parse_plan("A = 1; B b = 2\nC = 3", "XTR") == [("A", 1), ("B b", 2), ("C", 3)]
    assert rules.parse_plan("Fix a=b bug = 5", "XTR") == [("Fix a=b bug", 5)]
    assert rules.check_plan([("A", 1), ("B", 2)], 3, "XTR")
    for text, key in [
        ("A 100", "milestones.syntax"),
        ("= 100", "milestones.syntax"),
        ("A = 0", "milestones.amount_positive"),
        ("A = -5", "milestones.amount_positive"),
        ("; ".join(f"M{i} = 1" for i in range(11)), "milestones.too_many"),
    ]:
        with pytest.raises(InvalidInput) as info:
            rules.parse_plan(text, "XTR")
        assert info.value.key == key, text
    with pytest.raises(InvalidInput) as info:
        rules.check_plan([("A", 1), ("B", 2)], 4, "XTR")
    assert info.value.key == "milestones.sum"


@given(text=st.text(max_size=300), currency=st.sampled_from(["XTR", "USD"]))
def test_any_text_is_a_plan_or_one_refusal(text: str, currency: str) -> None:
    try:
        parts = rules.parse_plan(text, currency)
    except InvalidInput as err:
        assert err.key.startswith(("milestones.", "amount.")), err
        return
    assert 1 <= len(parts) <= rules.MAX_MILESTONES
    assert all(title and amount > 0 for title, amount in parts)


async def test_refusals_change_nothing(svc) -> None:
    job = await f.job(svc, budget_min=100, budget_max=1000)
    bid = await f.bid(svc, job.id, FREELANCER, 600, 5)
    sum_err = await refused(
        svc, InvalidInput, milestones.set_plan(svc, FREELANCER, bid.id, "A = 100; B = 200")
    )
    assert sum_err.key == "milestones.sum" and sum_err.params["total"] == 600
    eleven = "; ".join(f"Part {i} = 50" for i in range(11))
    err = await refused(svc, InvalidInput, milestones.set_plan(svc, FREELANCER, bid.id, eleven))
    assert err.key == "milestones.too_many"
    err = await refused(
        svc, InvalidInput, milestones.set_plan(svc, FREELANCER, bid.id, "A = 600; B = 0")
    )
    assert err.key == "milestones.amount_positive"
    err = await refused(
        svc, InvalidInput, milestones.set_plan(svc, FREELANCER, bid.id, "A = 700; B = -100")
    )
    assert err.key == "milestones.amount_positive"
    await refused(svc, Forbidden, milestones.set_plan(svc, STRANGER, bid.id, "A = 600"))
    # The client edits the plan before hiring; bidding again to another amount makes it stale.
    await milestones.set_plan(svc, CLIENT, bid.id, "A = 250; B = 350")
    await f.bid(svc, job.id, FREELANCER, 650, 5)
    err = await refused(svc, Conflict, deals.hire(svc, CLIENT, bid.id))
    assert err.key == "milestones.stale_sum"


# --- a contract, milestone by milestone -----------------------------------------------------


async def test_one_milestone_funded_at_a_time(svc) -> None:
    job, deal = await contract(svc)
    assert deal.kind == ContractKind.MILESTONES and deal.amount == 600
    assert await plan_of(svc, deal.id) == [
        ("Design", 100, "current"),
        ("Build", 200, "pending"),
        ("Launch", 300, "pending"),
    ]
    # The whole contract's price, or a later milestone's invoice, does not fund it.
    assert await f.pay(svc, deal, "stray-1") == "refunded"
    assert await refunds.confirm(svc, "stray-1")  # the Stars are back (Telegram said so)
    assert await f.pay_milestone(svc, deal) == "funded"
    assert await f.balance(svc, "escrow", deal.id) == 100
    deal = await current_deal(svc, deal.id)
    assert deal.state == DealState.FUNDED
    await deals.deliver(svc, FREELANCER, deal.id, "mockups")
    await deals.revise(svc, CLIENT, deal.id, "bigger logo")
    await deals.deliver(svc, FREELANCER, deal.id, "mockups 2")
    deal = await deals.release(svc, CLIENT, deal.id)
    assert deal.state == DealState.AWAITING_FUNDING and deal.revisions == 0
    assert await f.balance(svc, "escrow", deal.id) == 0
    assert await f.balance(svc, "user", FREELANCER) == 90  # less the 10% fee
    assert (await plan_of(svc, deal.id))[:2] == [
        ("Design", 100, "released"),
        ("Build", 200, "current"),
    ]
    assert await f.pending(svc, deal.id) == {"funding_expire": deal.funding_ends_at}
    # Nothing to release, deliver or dispute until the next milestone is funded.
    await refused(svc, Conflict, deals.release(svc, CLIENT, deal.id))
    await refused(svc, Conflict, deals.deliver(svc, FREELANCER, deal.id))
    await refused(svc, Conflict, disputes.open_dispute(svc, CLIENT, deal.id, "why"))
    # Milestone 2: funded, delivered, auto-released after the review window.
    assert await f.pay_milestone(svc, deal) == "funded"
    await deals.deliver(svc, FREELANCER, deal.id)
    svc.clock.advance(svc.settings.review_window + 1)
    await timers.run_due(svc)
    deal = await current_deal(svc, deal.id)
    assert deal.state == DealState.AWAITING_FUNDING
    assert await f.balance(svc, "user", FREELANCER) == 90 + 180
    # Milestone 3: released, and the contract ends released with escrow zero.
    assert await f.pay_milestone(svc, deal) == "funded"
    await deals.deliver(svc, FREELANCER, deal.id)
    deal = await deals.release(svc, CLIENT, deal.id)
    assert deal.state == DealState.RELEASED
    assert [s for _, _, s in await plan_of(svc, deal.id)] == ["released"] * 3
    assert await f.balance(svc, "escrow", deal.id) == 0
    assert await f.balance(svc, "user", FREELANCER) == 540
    assert (await f.get_job(svc, job.id)).state == JobState.COMPLETED


async def test_dispute_concerns_the_funded_milestone(svc) -> None:
    _, deal = await contract(svc)
    await f.pay_milestone(svc, deal)
    await deals.deliver(svc, FREELANCER, deal.id)
    await deals.release(svc, CLIENT, deal.id)
    await f.pay_milestone(svc, deal)
    await disputes.open_dispute(svc, CLIENT, deal.id, "half of it is missing")
    mod = as_admin(svc, ADMIN)
    deal = await disputes.resolve(svc, mod, deal.id, "split", 50)
    # The decision moved the 200 of milestone 2 only; milestone 3 is offered next.
    assert deal.state == DealState.AWAITING_FUNDING
    assert await f.balance(svc, "escrow", deal.id) == 0
    assert await plan_of(svc, deal.id) == [
        ("Design", 100, "released"),
        ("Build", 200, "split"),
        ("Launch", 300, "current"),
    ]
    await f.pay_milestone(svc, deal)
    await disputes.open_dispute(svc, FREELANCER, deal.id, "the client vanished")
    deal = await disputes.resolve(svc, mod, deal.id, "refund")
    assert deal.state == DealState.REFUNDED
    assert await f.balance(svc, "escrow", deal.id) == 0


async def test_cancel_refunds_the_funded_milestone_only(svc) -> None:
    _, deal = await contract(svc)
    await f.pay_milestone(svc, deal)
    await deals.deliver(svc, FREELANCER, deal.id)
    await deals.release(svc, CLIENT, deal.id)
    await f.pay_milestone(svc, deal)
    assert await deals.cancel(svc, FREELANCER, deal.id) == "refunded"
    deal = await current_deal(svc, deal.id)
    assert deal.state == DealState.REFUNDED
    assert await plan_of(svc, deal.id) == [
        ("Design", 100, "released"),
        ("Build", 200, "refunded"),
        ("Launch", 300, "cancelled"),
    ]
    async with svc.read() as tx:
        [refund] = await tx.refunds.pending_for(CLIENT)
    assert refund.amount == 200  # the Stars charge of milestone 2, whole
    assert await f.balance(svc, "user", FREELANCER) == 90  # released stays paid
    assert await f.balance(svc, "escrow", deal.id) == 0


async def test_unfunded_next_milestone_ends_the_contract(svc) -> None:
    _, deal = await contract(svc)
    await f.pay_milestone(svc, deal)
    await deals.deliver(svc, FREELANCER, deal.id)
    await deals.release(svc, CLIENT, deal.id)
    svc.clock.advance(svc.settings.funding_window + 1)
    await timers.run_due(svc)
    deal = await current_deal(svc, deal.id)
    assert deal.state == DealState.RELEASED
    assert [s for _, _, s in await plan_of(svc, deal.id)] == ["released", "cancelled", "cancelled"]


async def test_cancel_before_the_first_funding_keeps_the_plan(svc) -> None:
    job, deal = await contract(svc)
    assert await deals.cancel(svc, CLIENT, deal.id) == "cancelled"
    assert (await f.get_job(svc, job.id)).state == JobState.OPEN
    again = await deals.hire(svc, CLIENT, deal.bid_id)
    assert again.kind == ContractKind.MILESTONES
    assert [s for _, _, s in await plan_of(svc, again.id)] == ["current", "pending", "pending"]


async def test_added_milestone(svc) -> None:
    _, deal = await contract(svc, "Only = 600")
    await f.pay_milestone(svc, deal)
    err = await refused(svc, Forbidden, milestones.propose(svc, FREELANCER, deal.id, "More = 50"))
    assert err.key == "deal.only_client"
    await refused(svc, InvalidInput, milestones.propose(svc, CLIENT, deal.id, "More = 0"))
    await milestones.propose(svc, CLIENT, deal.id, "Extra page = 50")
    await refused(svc, Conflict, milestones.propose(svc, CLIENT, deal.id, "Another = 5"))
    await refused(svc, Forbidden, milestones.answer_proposal(svc, CLIENT, deal.id, True))
    await milestones.answer_proposal(svc, FREELANCER, deal.id, True)
    deal = await current_deal(svc, deal.id)
    assert deal.amount == 650
    await deals.deliver(svc, FREELANCER, deal.id)
    deal = await deals.release(svc, CLIENT, deal.id)
    assert deal.state == DealState.AWAITING_FUNDING  # the added milestone comes next
    await milestones.propose(svc, CLIENT, deal.id, "Declined one = 10")
    await milestones.answer_proposal(svc, FREELANCER, deal.id, False)
    assert [t for t, _, _ in await plan_of(svc, deal.id)] == ["Only", "Extra page"]
    assert await f.pay_milestone(svc, deal) == "funded"
    await deals.deliver(svc, FREELANCER, deal.id)
    deal = await deals.release(svc, CLIENT, deal.id)
    assert deal.state == DealState.RELEASED
    assert await f.balance(svc, "user", FREELANCER) == 540 + 45


async def test_stats_count_contracts_by_type(svc) -> None:
    await contract(svc)
    await f.funded_deal(svc)
    stats = await moderation.stats(svc, as_admin(svc, ADMIN))
    assert stats.kinds == {"fixed": 1, "milestones": 1}
    assert MilestoneState.CURRENT.value == "current"
