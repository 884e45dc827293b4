"""Reconciliation at start (bot/reconcile.py): a Stars payment Telegram took whose update the
bot never got is found among the newest transactions and applied, with a few calls however
long the bot's history, and the loopback server lists the transactions as Telegram does."""

from __future__ import annotations

import pytest

from bot.reconcile import _find_end, _Transactions
from bot.services import deals
from bot.services.profiles import touch_user
from bot.storage.audit import ledger_problems
from bot.storage.marks import Mark
from tests import factories as f
from tests.factories import CLIENT, FREELANCER
from tests.harness import Market

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning"),
    pytest.mark.usefixtures("market_engine"),  # on SQLite and on PostgreSQL
]

CALL = "getStarTransactions"


async def meet(m: Market) -> None:
    for uid, name in ((CLIENT, "Alice"), (FREELANCER, "Bob")):
        m.person(uid, name).started = True
        await touch_user(m.svc, uid, name.lower(), name, "en")


async def history(m: Market, size: int) -> None:
    """`size` old Stars payments, in Telegram's list and in the books alike."""
    paid = await f.funded_deal(m.svc)
    rows = []
    for n in range(size):
        charge = m.server.add_charge(CLIENT, "XTR", 150, deals.invoice_payload(paid.id))
        rows.append((charge.charge_id, paid.id, CLIENT, 150, "XTR", "funded", n))
    async with m.svc.tx() as tx:
        await tx.executemany(
            "INSERT INTO payments (charge_id, deal_id, payer_id, amount, currency, outcome,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


async def test_a_recent_missed_payment_is_found_with_a_handful_of_calls(tmp_path) -> None:
    """Before, the start read the oldest 20,000 transactions (200 calls) and never saw a
    payment made after them."""
    async with Market(tmp_path) as m:
        await meet(m)
        await history(m, 25_000)
        job = await f.job(m.svc)
        bid = await f.bid(m.svc, job.id, FREELANCER)
        deal = await deals.hire(m.svc, CLIENT, bid.id)
        # Alice pays; the bot dies before it handles the successful_payment.
        m.server.add_charge(CLIENT, "XTR", deal.amount, deals.invoice_payload(deal.id))
        assert (await f.get_deal(m.svc, deal.id)).state == "awaiting_funding"

        before = m.server.call_count(CALL)
        await m.restart()
        calls = m.server.call_count(CALL) - before
        assert (await f.get_deal(m.svc, deal.id)).state == "funded"
        assert calls <= 3, calls  # the end, the newest page, the page before it (known)
        await m.settle()
        alice = [msg.text or "" for msg in m.server.chat_messages(CLIENT)]
        assert any(f"Deal #{deal.id} is funded" in t for t in alice)

        before = m.server.call_count(CALL)
        await m.restart()  # nothing new: one call finds that out
        assert m.server.call_count(CALL) - before == 1

        # A few payments later (the last one missed again), the next start reads from its
        # mark: one call to find the end, one page.
        for _ in range(5):
            await f.pay(m.svc, deal, m.server.add_charge(CLIENT, "XTR", 1, "other").charge_id)
        job2 = await f.job(m.svc)
        deal2 = await deals.hire(m.svc, CLIENT, (await f.bid(m.svc, job2.id, FREELANCER)).id)
        m.server.add_charge(CLIENT, "XTR", deal2.amount, deals.invoice_payload(deal2.id))
        before = m.server.call_count(CALL)
        await m.restart()
        assert m.server.call_count(CALL) - before == 2
        assert (await f.get_deal(m.svc, deal2.id)).state == "funded"
        async with m.svc.read() as tx:
            assert await ledger_problems(tx) == []


async def test_the_first_start_on_an_empty_history_and_a_guess_too_high(tmp_path) -> None:
    """The end of the list is found from any guess: galloping up, bisecting down."""
    async with Market(tmp_path) as m:
        await meet(m)
        stream = _Transactions(m.app.bot)  # type: ignore[union-attr]
        assert await _find_end(stream, 0) == (0, [])
        total = 0
        for size in (1, 99, 100, 101, 250, 1000, 3456):
            for _ in range(size - total):
                m.server.add_charge(CLIENT, "XTR", 1, "deal:1")
            total = size
            for guess in (0, size - 1, size, size + 1, size // 3, size * 4, 10**6):
                stream.calls = 0
                end, _ = await _find_end(stream, guess)
                assert end == size, (size, guess)
                assert stream.calls <= 2 * max(size, guess).bit_length(), (
                    size,
                    guess,
                    stream.calls,
                )


async def test_the_loopback_server_lists_star_transactions_in_chronological_order(
    tmp_path,
) -> None:
    """As Telegram: oldest first, a refund where it happened (with its payment's id), `offset`
    skipping, `limit` at most 100, and nothing past the end."""
    async with Market(tmp_path) as m:
        await meet(m)
        bot = m.app.bot  # type: ignore[union-attr]
        a = m.server.add_charge(CLIENT, "XTR", 10, "deal:1")
        await bot.refund_star_payment(CLIENT, a.charge_id)
        b = m.server.add_charge(FREELANCER, "XTR", 20, "deal:2")
        m.server.add_charge(CLIENT, "USD", 500, "deal:3")  # not a Stars payment
        found = (await bot.get_star_transactions()).transactions
        assert [(t.id, t.source is not None, t.receiver is not None) for t in found] == [
            (a.charge_id, True, False),
            (a.charge_id, False, True),
            (b.charge_id, True, False),
        ]
        assert [t.id for t in (await bot.get_star_transactions(offset=2)).transactions] == [
            b.charge_id
        ]
        assert (await bot.get_star_transactions(offset=3)).transactions == ()
        for _ in range(150):
            m.server.add_charge(CLIENT, "XTR", 1, "deal:1")
        assert len((await bot.get_star_transactions(offset=0, limit=100)).transactions) == 100
        assert len((await bot.get_star_transactions(offset=100, limit=100)).transactions) == 53


async def test_a_mark_that_does_not_match_the_list_is_not_trusted(tmp_path) -> None:
    """A database restored next to another bot, or a list that changed: the transaction at
    the mark is not the one remembered, so nothing below it is taken as read."""
    async with Market(tmp_path) as m:
        await meet(m)
        job = await f.job(m.svc)
        deal = await deals.hire(m.svc, CLIENT, (await f.bid(m.svc, job.id, FREELANCER)).id)
        missed = m.server.add_charge(CLIENT, "XTR", deal.amount, deals.invoice_payload(deal.id))
        await history(m, 30)
        async with m.svc.tx() as tx:
            await tx.marks.set("star_transactions", Mark(20, "not-this-one"))
        await m.restart()
        assert (await f.get_deal(m.svc, deal.id)).state == "funded"
        async with m.svc.read() as tx:
            assert await tx.payments.known([missed.charge_id]) == {missed.charge_id}
            mark = await tx.marks.get("star_transactions")
        assert mark == Mark(
            len(m.server.star_transactions), m.server.star_transactions[-1][0].charge_id
        )
