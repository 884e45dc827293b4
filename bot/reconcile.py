"""Stars payments that Telegram took but whose `successful_payment` never reached the books.

Telegram hands an update out once: the long poll that fetches it confirms the one before, so
updates the bot had fetched but not yet handled when its process died (a SIGKILL, a crash,
the machine going down) are gone. For a command that is a question left unanswered, asked
again; for a `successful_payment` it is money taken and no deal funded. So at start the bot
reads its Star transactions (getStarTransactions) and applies every incoming invoice payment
the `payments` table does not know, through the same `record_payment` a live update goes
through: it funds the deal, or refunds the payment if the deal no longer waits for it. A
payment already applied is skipped, and a late update for one applied here is a duplicate.

Telegram lists the transactions oldest first, by offset, at most 100 a call, and a missed
payment is among the newest (a payment needs the running bot to answer its pre-checkout
query, and is lost only when the process dies right after). So the bot finds the end of the
list and reads it backwards, newest first, until a page whose payments it knows entirely.
How far it has read (the count, and the last transaction's id to recognise the list) is kept
in `sync_marks`: the next start finds the end with one call from there, and never reads below
it. Without a mark (the first start) the search for the end begins at the number of Stars
payments recorded, and gallops, then bisects, from there.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram import Bot, StarTransaction, TransactionPartnerUser

from bot.domain.errors import DomainError
from bot.services import deals
from bot.storage.marks import Mark

if TYPE_CHECKING:
    from bot.services.base import Services

log = logging.getLogger(__name__)

PAGE = 100  # getStarTransactions returns at most 100 at a time
MAX_PAGES = 200  # a bound on the pages read backwards at one start (20,000 transactions)
MAX_PROBES = 64  # a bound on the calls that look for the end of the list
MARK = "star_transactions"


class _Transactions:
    """The bot's Star transactions, by offset; counts the calls."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.calls = 0

    async def page(self, offset: int, limit: int = PAGE) -> list[StarTransaction]:
        self.calls += 1
        found = await self.bot.get_star_transactions(offset=offset, limit=limit)
        return list(found.transactions)


async def _find_end(stream: _Transactions, probe: int) -> tuple[int, list[StarTransaction]]:
    """How many transactions there are, searching from a guess (`probe`, an offset):
    galloping up while pages come back full, bisecting once one comes back empty. A page
    that comes back neither full nor empty ends at the end. Also returns the first probe's
    page, to recognise the list by its first transaction."""
    lo, hi = 0, None  # lo <= count <= hi
    offset, gap = max(0, probe), 0
    first: list[StarTransaction] | None = None
    for _ in range(MAX_PROBES):
        txs = await stream.page(offset)
        first = txs if first is None else first
        n = len(txs)
        if 0 < n < PAGE or (n == 0 and offset == lo):
            return offset + n, first
        if n == PAGE:
            lo = offset + PAGE
        else:
            hi = offset
        if hi is not None and lo >= hi:
            return lo, first
        if hi is None:
            offset, gap = lo + gap, 2 * gap + PAGE
        elif hi - lo <= PAGE:
            offset = max(lo, hi - PAGE)
        else:
            offset = (lo + hi) // 2
    raise RuntimeError("could not find the end of the Star transactions")


def _incoming(txs: list[StarTransaction]) -> list[StarTransaction]:
    """The incoming invoice payments for deals among these transactions."""
    return [
        t
        for t in txs
        if isinstance(t.source, TransactionPartnerUser)
        and t.source.transaction_type == "invoice_payment"
        and deals.parse_payload(t.source.invoice_payload or "") is not None
    ]


async def _apply(svc: Services, t: StarTransaction) -> bool:
    """Record one payment the books miss; whether it changed anything."""
    assert isinstance(t.source, TransactionPartnerUser)
    try:
        outcome = await deals.record_payment(
            svc, t.source.user.id, t.source.invoice_payload or "", t.amount, "XTR", t.id
        )
    except DomainError as exc:
        log.error("a Stars payment (%s) could not be applied: %s", t.source.invoice_payload, exc)
        log.debug("Stars payment %s could not be applied", t.id)
        return False
    log.warning(
        "a Stars payment (%s) had not reached the bot: %s", t.source.invoice_payload, outcome
    )
    log.debug("Stars payment %s had not reached the bot", t.id)
    return outcome != "duplicate"


async def missed_star_payments(bot: Bot, svc: Services) -> int:
    """Apply the Stars payments the books miss; returns how many were applied."""
    if not svc.settings.uses_stars:
        async with svc.read() as tx:  # deals from before a switch to a provider stay in Stars
            if not await tx.deals.any_in("XTR"):
                return 0
    async with svc.read() as tx:
        mark = await tx.marks.get(MARK)
        guess = await tx.payments.stars_recorded()
    stream = _Transactions(bot)
    floor = 0  # every transaction below it was looked at by an earlier start
    if mark is not None and mark.position > 0:
        end, first = await _find_end(stream, mark.position - 1)
        if first and first[0].id == mark.last_id:
            floor = mark.position
        else:
            log.warning("the Star transactions do not match what was read before: reading anew")
    else:
        end, _ = await _find_end(stream, guess - 1)

    applied = pages = 0
    offset, last_id = end, None
    while offset > floor:
        start = max(floor, offset - PAGE)
        txs = await stream.page(start, offset - start)
        if last_id is None and txs:
            last_id = txs[-1].id
        incoming = _incoming(txs)
        async with svc.read() as tx:
            known = await tx.payments.known([t.id for t in incoming])
        missing = [t for t in incoming if t.id not in known]
        for t in missing:
            applied += await _apply(svc, t)
        offset, pages = start, pages + 1
        if incoming and not missing:
            break  # a page known entirely: what is older was applied before
        if pages >= MAX_PAGES:
            log.warning("read %d Star transactions back without a known page", pages * PAGE)
            break
    if not (mark is not None and floor == end == mark.position):  # (unchanged: no write)
        async with svc.tx() as tx:
            await tx.marks.set(MARK, Mark(end, last_id))
    log.info("checked the Star transactions (%d in all) with %d calls", end, stream.calls)
    return applied
