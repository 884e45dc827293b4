"""Stars payments that Telegram took but whose `successful_payment` never reached the books.

Telegram hands an update out once: the long poll that fetches it confirms the one before, so
updates the bot had fetched but not yet handled when its process died (a SIGKILL, a crash,
the machine going down) are gone. For a command that is a question left unanswered, asked
again; for a `successful_payment` it is money taken and no deal funded. So at start the bot
reads its Star transactions (getStarTransactions) and applies every incoming invoice payment
the `payments` table does not know, through the same `record_payment` a live update goes
through: it funds the deal, or refunds the payment if the deal no longer waits for it. A
payment already applied is skipped, and a late update for one applied here is a duplicate.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram import Bot, TransactionPartnerUser

from bot.domain.errors import DomainError
from bot.services import deals

if TYPE_CHECKING:
    from bot.services.base import Services

log = logging.getLogger(__name__)

PAGE = 100  # getStarTransactions returns at most 100 at a time
MAX_PAGES = 200  # a bound on the work at start (20,000 transactions)


async def missed_star_payments(bot: Bot, svc: Services) -> int:
    """Apply the Stars payments the books miss; returns how many were applied."""
    if not svc.settings.uses_stars:
        async with svc.read() as tx:  # deals from before a switch to a provider stay in Stars
            if not await tx.deals.any_in("XTR"):
                return 0
    applied = 0
    for page in range(MAX_PAGES):
        found = await bot.get_star_transactions(offset=page * PAGE, limit=PAGE)
        incoming = [
            t
            for t in found.transactions
            if isinstance(t.source, TransactionPartnerUser)
            and t.source.transaction_type == "invoice_payment"
            and deals.parse_payload(t.source.invoice_payload or "") is not None
        ]
        if incoming:
            async with svc.read() as tx:
                known = await tx.payments.known([t.id for t in incoming])
            for t in incoming:
                if t.id in known:
                    continue
                assert isinstance(t.source, TransactionPartnerUser)
                try:
                    outcome = await deals.record_payment(
                        svc,
                        t.source.user.id,
                        t.source.invoice_payload or "",
                        t.amount,
                        "XTR",
                        t.id,
                    )
                except DomainError as exc:
                    log.error("Stars payment %s could not be applied: %s", t.id, exc)
                    continue
                applied += outcome != "duplicate"
                log.warning(
                    "Stars payment %s (%s) had not reached the bot: %s",
                    t.id,
                    t.source.invoice_payload,
                    outcome,
                )
        if len(found.transactions) < PAGE:
            break
    else:
        log.warning("more than %d Star transactions; only the first were checked", PAGE * MAX_PAGES)
    return applied
