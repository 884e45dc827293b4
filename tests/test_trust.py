"""Trust signals (issue 15): a freelancer's completion rate, on-time rate, disputes lost and
"Top rated" badge on the client's bid card and on the profile; a client's hire rate and
payment record on the job card a bidder opens. The history is scripted through the real
services, the figures read through the bot as people see them."""

from __future__ import annotations

import pytest

from bot.domain import trust
from bot.services import deals, disputes, feedback, jobs
from bot.services.base import as_admin
from bot.services.profiles import stats_of_many
from tests import factories as f
from tests.harness import Market

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning"),
    pytest.mark.usefixtures("market_engine"),  # on both engines
]

CLIENT, FRED, ADMIN = 1001, 2001, 9001
DAY = 86400


async def released(svc, stars: int, late: bool = False) -> None:
    deal = await f.funded_deal(svc, CLIENT, FRED)
    if late:
        f.advance_to(svc, deal.due_at + 3600)  # an hour past the due date, inside the grace
    await deals.deliver(svc, FRED, deal.id, "done")
    await deals.release(svc, CLIENT, deal.id)
    assert not (await feedback.rate(svc, CLIENT, deal.id, stars)).both
    assert (await feedback.rate(svc, FRED, deal.id, 5)).both  # both rated: visible


async def history(svc) -> None:
    """Fred: five deals released on time, one released late, one refunded by a dispute he
    lost (never delivered). Clara: those seven jobs hired and paid, and one closed unhired."""
    for _ in range(5):
        await released(svc, 5)
    await released(svc, 4, late=True)
    deal = await f.funded_deal(svc, CLIENT, FRED)
    await disputes.open_dispute(svc, CLIENT, deal.id, "Nothing was delivered")
    await disputes.resolve(svc, as_admin(svc, ADMIN), deal.id, "refund")
    unhired = await f.job(svc, CLIENT)
    await jobs.close_job(svc, CLIENT, unhired.id)


async def test_trust_figures_after_a_scripted_history(tmp_path) -> None:
    async with Market(tmp_path) as m:
        svc = m.svc
        clara = m.person(CLIENT, "Clara")
        fred = m.person(FRED, "Fred")
        await f.people(svc, CLIENT, FRED)
        await history(svc)
        async with svc.read() as tx:
            states = await tx.fetchall(
                "SELECT state, COUNT(*) FROM deals WHERE freelancer_id = ? GROUP BY state"
                " ORDER BY state",
                (FRED,),
            )
            late = await tx.fetchone(
                "SELECT COUNT(*) FROM deals WHERE freelancer_id = ? AND delivered_at > due_at",
                (FRED,),
            )
        assert [tuple(r) for r in states] == [("refunded", 1), ("released", 6)]
        assert late[0] == 1

        fresh = await f.job(svc, CLIENT, title="One more bot")
        await f.bid(svc, fresh.id, FRED)

        # The client's bid card: 6 of 7 funded deals released, 5 of 6 deliveries on time.
        freelancer_line = "Completed 86% of funded deals (6/7) · on time 83% · disputes lost: 1"
        await clara.send(f"/bids {fresh.id}")
        card = await clara.wait_for(f"Bid #{7 + 1}")  # seven hired bids came before
        assert freelancer_line in card.text
        assert "Top rated" not in card.text  # a dispute lost within 90 days

        # The profile, as the client opens it.
        await clara.send(f"/profile {FRED}")
        profile = await clara.wait_for("As a freelancer")
        assert f"As a freelancer: {freelancer_line}" in profile.text
        assert "Top rated" not in profile.text

        # The job card a bidder opens: the client hired on 7 of 8 jobs, paid 7 of 7.
        await fred.send(f"/job {fresh.id}")
        job_card = await fred.wait_for("One more bot")
        assert "Hired on 88% of jobs (7/8) · paid 7 of 7 accepted bids" in job_card.text
        assert "disputes lost: 0" in job_card.text

        # 91 days after the lost dispute, five released deals and ★ 4.83: Top rated.
        f.advance_to(svc, svc.clock.now() + 91 * DAY)
        await clara.send(f"/profile {FRED}")
        later = await clara.wait_for(lambda msg: msg.text != profile.text and "As a" in msg.text)
        assert f"As a freelancer: 🏅 Top rated · {freelancer_line}" in later.text


async def test_trust_for_a_list_is_one_statement_and_the_rule_has_its_edges(svc) -> None:
    """The figures for a list of people come from one statement whatever its length, and
    the badge needs all three conditions."""
    people = list(range(5000, 5030))
    await f.people(svc, f.CLIENT, *people)
    await f.funded_deal(svc, f.CLIENT, people[0])
    async with svc.read() as tx:
        calls = 0
        fetchall = tx.fetchall

        async def counted(*args, **kw):
            nonlocal calls
            calls += 1
            return await fetchall(*args, **kw)

        tx.fetchall = counted  # type: ignore[method-assign]
        counts = await tx.records.trust(people, 0)
        assert calls == 1
        stats = await stats_of_many(tx, svc, people)
    assert counts[people[0]].deals_paid == 0 and counts[people[0]].funded_ended == 0
    assert stats[people[0]].trust is not None and not stats[people[0]].trust.as_freelancer
    assert trust.top_rated(5, 4.5, 0)
    assert not trust.top_rated(4, 5.0, 0)
    assert not trust.top_rated(5, 4.49, 0)
    assert not trust.top_rated(5, None, 0)
    assert not trust.top_rated(5, 5.0, 1)
    assert trust.percent(2 / 3) == 67 and trust.percent(5 / 6) == 83
