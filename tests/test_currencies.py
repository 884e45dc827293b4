"""Each job, bid, deal, balance and payout keeps its own currency (SPEC: funding; issue 11).

CURRENCY (and whether a provider is set) prices new jobs only. A job posted in USD keeps USD
after a restart with EUR or with Stars: its bids are read and shown in USD, its deal and
invoice are in USD, the freelancer's balance holds USD next to the other currencies, and the
moderators see each currency on its own. Nothing is ever added across currencies.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.domain.errors import Conflict
from bot.services.profiles import touch_user
from bot.storage.audit import ledger_problems
from sandbox.botapi import SimMessage, SimUser
from tests import factories as f
from tests.harness import Market, step, visible

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning")

CLARA, FRED, GINA, MIA = 1001, 2001, 2002, 4001
GROUP = -100500  # MODERATOR_CHAT_ID (tests.conftest.make_settings)
PROVIDER = {"payment_provider_token": "284685063:TEST:provider", "currency": "USD"}
STARS = {"payment_provider_token": "", "currency": "XTR"}


async def _people(m: Market) -> tuple[SimUser, SimUser, SimUser, SimUser]:
    clara, fred, gina, mia = (
        m.person(CLARA, "Clara"),
        m.person(FRED, "Fred"),
        m.person(GINA, "Gina"),
        m.person(MIA, "Mia"),
    )
    m.server.add_chat(GROUP, "supergroup", "Moderators", {MIA: "member"})
    for user in (clara, fred, gina, mia):
        user.started = True
        await touch_user(m.svc, user.id, user.username, user.first_name, "en")
    return clara, fred, gina, mia


async def _switch(m: Market, **settings: object) -> None:
    """Restart the bot with other payment settings, on the same database."""
    m.settings_over.update(settings)
    await m.restart()


async def _invoice(user: SimUser, deal: int) -> SimMessage:
    return await user.wait_for(
        lambda x: x.invoice is not None and x.invoice["title"] == f"Deal #{deal}", timeout=10
    )


async def _hire_pay_release(m: Market, clara: SimUser, fred: SimUser, bid: int, deal: int):
    """Accept the bid, pay its invoice, deliver and release; returns the invoice."""
    await clara.send(f"/accept {bid}")
    await clara.wait_for(f"Deal #{deal} created")
    invoice = await _invoice(clara, deal)
    paid = await clara.pay(invoice)
    assert isinstance(paid, SimMessage), paid
    await clara.wait_for(f"Deal #{deal} is funded")
    await fred.send(f"/deliver {deal} Done")
    await fred.wait_for(f"Deal #{deal} is delivered.")
    await clara.send(f"/release {deal}")
    return invoice


async def test_a_currency_change_leaves_old_jobs_deals_and_balances_in_theirs(tmp_path) -> None:
    async with Market(tmp_path, **PROVIDER) as m:
        clara, fred, gina, mia = await _people(m)
        usd = await f.job(m.svc, CLARA, budget_min=10_000, budget_max=20_000)
        usd2 = await f.job(m.svc, CLARA, title="Another job in dollars")
        assert (usd.currency, usd2.currency) == ("USD", "USD")

        # --- the same provider, now in EUR: the USD job stays in USD ---------------------
        await _switch(m, currency="EUR")
        eur = await f.job(m.svc, CLARA, budget_min=5_000, budget_max=9_000, title="Euro job")
        assert eur.currency == "EUR"
        await fred.send(f"/bid {usd.id} 150 3 Rust and tests")
        placed = await fred.wait_for("Bid #1 on Job #1 is placed")
        assert "$150.00" in placed.text, placed.text
        told = await clara.wait_for("Bid #1 from Fred")
        assert "$150.00" in told.text, told.text
        assert (await f.get_bid(m.svc, 1)).amount == 15_000  # cents of the job's USD
        # The guided flow reads the price in the job's currency too.
        msg = await step(fred, f"/bid {usd.id}", "Your price")
        assert "$100.00 – $200.00" in visible(msg.text)
        msg = await step(fred, "160.50", "how many days")
        msg = await step(fred, "4", "cover letter")
        msg = await step(fred, "Better offer.", "Send it?")
        assert "$160.50" in msg.text, msg.text
        await fred.press(msg, "✅ Confirm")
        updated = await fred.wait_for("Bid #1 on Job #1 is updated")
        assert "$160.50" in updated.text
        await fred.send(f"/bid {eur.id} 80 3 Euro work")
        assert "€80.00" in (await fred.wait_for("Bid #2 on Job #3 is placed")).text
        listing = await step(clara, f"/bids {usd.id}", "Bid #1")
        assert "$160.50" in listing.text, listing.text

        invoice = await _hire_pay_release(m, clara, fred, bid=1, deal=1)
        assert (invoice.invoice["currency"], invoice.invoice["total_amount"]) == ("USD", 16_050)
        done = await clara.wait_for("Deal #1 is complete")
        assert "$160.50 was released" in done.text
        await fred.wait_for("$144.45 went to your balance (platform fee $16.05)")
        invoice = await _hire_pay_release(m, clara, fred, bid=2, deal=2)
        assert (invoice.invoice["currency"], invoice.invoice["total_amount"]) == ("EUR", 8_000)
        await fred.wait_for("€72.00 went to your balance (platform fee €8.00)")

        # --- Stars now (no provider): a new job in Stars, the USD job still in USD ----------
        await _switch(m, **STARS)
        stars = await f.job(m.svc, CLARA, budget_min=40, budget_max=60, title="Stars job")
        assert stars.currency == "XTR"
        await gina.send(f"/bid {usd2.id} 120 3 Dollars please")
        sure = await gina.wait_for("$120.00 is far above the budget of Job #2 ($1.00 – $2.00)")
        await gina.press(sure, "Yes, bid $120.00")  # the job's budget is in cents: $1-$2
        assert "$120.00" in (await gina.wait_for("Bid #3 on Job #2 is placed")).text
        # Its deal could not be paid now: one sentence, and nothing changes.
        await clara.wait_for("Bid #3 from Gina")
        await m.settle()
        before = await f.snapshot(m.svc)
        await clara.send("/accept 3")
        refusal = m.sentence(Conflict("deal.currency_unpayable", job=usd2.id, currency="USD"))
        assert refusal.startswith("Job #2 is priced in USD")
        await clara.wait_for(refusal)
        assert await f.snapshot(m.svc) == before
        await fred.send(f"/bid {stars.id} 50 2 Stars work")
        assert "50 ⭐" in (await fred.wait_for("Bid #4 on Job #4 is placed")).text
        invoice = await _hire_pay_release(m, clara, fred, bid=4, deal=3)
        assert (invoice.invoice["currency"], invoice.invoice["total_amount"]) == ("XTR", 50)
        await fred.wait_for("45 ⭐ went to your balance (platform fee 5 ⭐)")

        # --- the balance: every currency on its own -----------------------------------------
        await fred.send("/balance")
        card = visible((await fred.wait_for("Your balance")).text)
        assert "Available: 45 ⭐ · €72.00 · $144.45" in card, card
        assert "Pending payouts: 0 ⭐ · €0.00 · $0.00" in card, card
        assert "/payout 50 XTR" in card  # how to take a part of one currency

        # --- payouts: a part needs its currency; /payout alone takes each -------------------
        await fred.send("/payout 10")
        await fred.wait_for("Your balance is in several currencies (XTR, EUR, USD)")
        await fred.send("/payout 10 usd")
        assert "$10.00" in (await fred.wait_for("Payout #1 of")).text
        await fred.send("/payout 10 dollars")
        await fred.wait_for("Name the currency by its code")
        await fred.send("/payout")  # the whole balance, confirmed first
        confirm = await fred.wait_for("Withdraw your whole balance, 45 ⭐ · €72.00 · $134.45?")
        await fred.press(confirm, "Yes, withdraw it all")
        asked = await fred.wait_for("Payout #4 of")
        assert "Payout #2 of 45 ⭐" in asked.text and "Payout #3 of €72.00" in asked.text
        assert "Payout #4 of $134.45" in asked.text
        await fred.send("/balance")
        card = visible((await fred.wait_for("Your balance")).text)
        assert "Available: 0 ⭐ · €0.00 · $0.00" in card, card
        assert "Pending payouts: 45 ⭐ · €72.00 · $144.45" in card, card
        async with m.svc.read() as tx:
            rows = [(p.amount, p.currency) for p in await tx.payouts.for_user(FRED)]
        assert sorted(rows) == [(45, "XTR"), (1_000, "USD"), (7_200, "EUR"), (13_445, "USD")]

        # --- the moderators: each currency on its own ---------------------------------------
        await mia.send("/payouts", chat=GROUP)
        waiting = await mia.wait_for("Waiting payouts: 4", chat=GROUP)
        assert "Owed: €72.00 · $144.45 · 45 ⭐" in visible(waiting.text), waiting.text
        await mia.send("/paid 1", chat=GROUP)
        await mia.wait_for("Payout #1 ($10.00) is marked paid.", chat=GROUP)
        await fred.wait_for("Payout #1 of $10.00 was paid.")
        await mia.send("/stats", chat=GROUP)
        figures = visible((await mia.wait_for("Marketplace", chat=GROUP)).text)
        assert "In escrow: 0 ⭐ · €0.00 · $0.00" in figures, figures
        assert "Fees earned: 5 ⭐ · €8.00 · $16.05" in figures, figures
        assert "Balances: 0 ⭐ · €0.00 · $0.00" in figures, figures
        assert "Payouts owed: 45 ⭐ · €72.00 · $134.45" in figures, figures

        await m.settle()
        async with m.svc.read() as tx:
            assert await ledger_problems(tx) == []
            assert await tx.fetchall("SELECT * FROM outbox WHERE state = 'failed'") == []


async def test_a_stars_job_is_invoiced_in_stars_after_a_provider_is_set(tmp_path) -> None:
    async with Market(tmp_path) as m:
        clara, fred, _gina, _mia = await _people(m)
        job = await f.job(m.svc, CLARA)
        assert job.currency == "XTR"
        await _switch(m, payment_provider_token="284685063:TEST:provider", currency="EUR")
        await fred.send(f"/bid {job.id} 150 3 Stars are fine")
        assert "150 ⭐" in (await fred.wait_for("Bid #1 on Job #1 is placed")).text
        invoice = await _hire_pay_release(m, clara, fred, bid=1, deal=1)
        assert (invoice.invoice["currency"], invoice.invoice["total_amount"]) == ("XTR", 150)
        await fred.wait_for("135 ⭐ went to your balance")
        await fred.send("/balance")
        card = visible((await fred.wait_for("Your balance")).text)
        assert "Available: 135 ⭐" in card and "€" not in card, card
        async with m.svc.read() as tx:
            assert await ledger_problems(tx) == []


async def test_an_invoice_queued_before_the_provider_went_away_is_one_sentence(
    tmp_path,
) -> None:
    async with Market(tmp_path, **PROVIDER) as m:
        clara, _fred, _gina, _mia = await _people(m)
        job = await f.job(m.svc, CLARA, budget_min=10_000, budget_max=20_000)
        await f.bid(m.svc, job.id, FRED, amount=15_000)
        m.server.inject_fault("sendInvoice", times=None, seconds=60, status=500)
        await clara.send("/accept 1")
        await clara.wait_for("Deal #1 created")
        for _ in range(200):  # the invoice has been tried and waits for its retry
            [row] = await f.outbox(m.svc, "invoice.deal")
            if row["attempts"]:
                break
            await asyncio.sleep(0.05)
        assert row["attempts"] and row["state"] == "pending"
        await _switch(m, **STARS)  # Telegram still refuses invoices until the bot is down
        m.server.clear_faults()
        m.clock.advance(3600)  # the retry is due
        told = await clara.wait_for("Deal #1 is priced in USD")
        assert "cannot be taken here right now" in told.text
        assert all(x.invoice is None for x in clara.messages)
        await m.settle()
        [row] = await f.outbox(m.svc, "invoice.deal")
        assert row["state"] == "sent"
        assert (await f.get_deal(m.svc, 1)).state == "awaiting_funding"  # it expires in time


async def test_a_budget_typed_before_a_currency_change_is_asked_again(tmp_path) -> None:
    async with Market(tmp_path, **PROVIDER) as m:
        clara, *_ = await _people(m)
        msg = await step(clara, "/post", "choose the category")
        msg = await step(clara, None, "title of the job", press="💻 Programming", on=msg)
        msg = await step(clara, "A job priced in dollars", "Describe the job")
        msg = await step(clara, "Generic containers for a game engine, with tests.", "question 1")
        msg = await step(clara, "C++20", "question 2")
        msg = await step(clara, None, "budget", press="Skip ▶", on=msg)
        assert "$150.00" in msg.text
        msg = await step(clara, "150", "delivered")
        msg = await step(clara, "2w", "private brief")
        msg = await step(clara, None, "files", press="Skip ▶", on=msg)
        msg = await step(clara, None, "Preview", press="✔ Done", on=msg)
        assert "$150.00" in msg.text
        await _switch(m, **STARS)
        await clara.press(msg, "✅ Publish")
        again = await clara.wait_for("Prices are now in XTR: please type the budget again.")
        assert "budget" in again.text
        async with m.svc.read() as tx:
            assert await tx.jobs.get(1) is None  # nothing was posted at 15000 ⭐
        msg = await step(clara, "150", "Preview")
        assert "150 ⭐" in msg.text
        await clara.press(msg, "✅ Publish")
        await clara.wait_for("Job #1 is live.")
        job = await f.get_job(m.svc, 1)
        assert (job.budget_min, job.budget_max, job.currency) == (150, 150, "XTR")


async def test_balances_and_payouts_are_per_currency(svc) -> None:
    from bot.domain.errors import InvalidInput
    from bot.services import deals, moderation, payouts
    from bot.services.base import as_admin
    from tests.conftest import make_settings

    released = await f.delivered_deal(svc)  # 150 ⭐
    await deals.release(svc, f.CLIENT, released.id)
    svc.settings = make_settings(**PROVIDER)  # a restart with a provider in USD
    dollars = await f.delivered_deal(svc, amount=15_000)
    assert dollars.currency == "USD"
    await deals.release(svc, f.CLIENT, dollars.id)
    bals = await payouts.balances(svc, f.FREELANCER)
    assert [(b.currency, b.available, b.pending_payouts) for b in bals] == [
        ("USD", 13_500, 0),
        ("XTR", 135, 0),
    ]
    err = await f.refused(
        svc, payouts.request_payout(svc, f.FREELANCER, "10"), "payout.which_currency"
    )
    assert err.params == {"currencies": "USD, XTR", "code": "USD"}
    await f.refused(svc, payouts.request_payout(svc, f.FREELANCER, "10", "$"), "currency.invalid")
    err = await f.refused(
        svc, payouts.request_payout(svc, f.FREELANCER, "10", "EUR"), "payout.too_much", InvalidInput
    )
    assert err.params == {"available": 0, "currency": "EUR"}
    part = await payouts.request_payout(svc, f.FREELANCER, "10", "stars")
    assert (part.amount, part.currency) == (10, "XTR")
    whole = await payouts.request_payout(svc, f.FREELANCER, None, "usd")
    assert (whole.amount, whole.currency) == (13_500, "USD")
    # Only Stars are left: an amount alone is read in Stars.
    assert (await payouts.request_payout(svc, f.FREELANCER, "5")).currency == "XTR"
    [rest] = await payouts.request_all_payouts(svc, f.FREELANCER)
    assert (rest.amount, rest.currency) == (120, "XTR")
    await f.refused(  # nothing left; the refusal says it all waits in payout requests
        svc,
        payouts.request_all_payouts(svc, f.FREELANCER),
        "payout.already_requested_many",
        Conflict,
    )
    stats = await moderation.stats(svc, as_admin(svc, 9001))
    assert [(b.currency, b.fees, b.payable) for b in stats.money] == [
        ("USD", 1_500, 13_500),
        ("XTR", 15, 135),
    ]


async def test_a_lost_stars_payment_is_found_after_a_switch_to_a_provider(tmp_path) -> None:
    from bot.services import deals

    async with Market(tmp_path) as m:
        clara, *_ = await _people(m)
        job = await f.job(m.svc, CLARA)
        bid = await f.bid(m.svc, job.id, FRED)
        deal = await deals.hire(m.svc, CLARA, bid.id)
        await m.stop_bot()
        # Clara paid the Stars invoice while the bot was down, and that update was lost.
        m.server.add_charge(CLARA, "XTR", 150, f"deal:{deal.id}", "stxlost")
        m.settings_over.update(payment_provider_token="284685063:TEST:provider", currency="EUR")
        await m.start_bot()  # reconciliation at start still reads the Star transactions
        funded = await f.get_deal(m.svc, deal.id)
        assert funded.state == "funded"
        await clara.wait_for(f"Deal #{deal.id} is funded")
        async with m.svc.read() as tx:
            assert await ledger_problems(tx) == []
