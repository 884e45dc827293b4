"""Telegram Payments: the pre-checkout check and the successful payment, applied once."""

from __future__ import annotations

import html
import logging

from telegram import Update

from bot.domain.errors import DomainError
from bot.handlers.base import MarketContext, handler
from bot.i18n import Markup, id_params
from bot.services import deals

log = logging.getLogger(__name__)


@handler
async def pre_checkout(update: Update, context: MarketContext) -> None:
    """Approve only a deal that still awaits funding, at its amount and currency."""
    query = update.pre_checkout_query
    if query is None:
        return
    try:
        check = await deals.precheckout(
            context.svc,
            query.from_user.id,
            query.invoice_payload,
            query.total_amount,
            query.currency,
        )
    except Exception:
        # Telegram waits for an answer; never leave the payer hanging.
        await query.answer(ok=False, error_message=html.unescape(context.t("error-internal")))
        raise
    if check.ok:
        await query.answer(ok=True)
        return
    reason = context.rt.i18n.error(
        context.locale, DomainError(check.error_key or "payment.unknown")
    )
    await query.answer(ok=False, error_message=html.unescape(reason))


@handler
async def successful_payment(update: Update, context: MarketContext) -> None:
    """Funded, or a duplicate of a payment already applied, or returned (the deal no longer
    waits for it). Funded or returned, the payer's one message is the notice the service
    queued in the payment's own transaction (durable: a bot killed right after the commit
    still tells them); only a duplicate is answered here."""
    message = update.effective_message
    if message is None or message.successful_payment is None or update.effective_user is None:
        return
    paid = message.successful_payment
    applied = await deals.apply_payment(
        context.svc,
        update.effective_user.id,
        paid.invoice_payload,
        paid.total_amount,
        paid.currency,
        paid.telegram_payment_charge_id,
        paid.provider_payment_charge_id or None,
    )
    outcome, deal = applied.outcome, applied.deal
    # A week's invoice of an hourly contract names the week: the deal is the one it paid.
    deal_id = deal.id if deal is not None else deals.parse_payload(paid.invoice_payload)
    back = applied.returned
    params = id_params(
        {
            "deal": deal_id if deal_id is not None else "?",
            "amount": Markup(context.money(paid.total_amount, paid.currency)),
            "due": Markup(context.when(deal.due_at)) if deal and deal.due_at else "",
            "how": back.how if back else "stars",
            "payout": back.payout if back and back.payout else 0,
        }
    )
    log.info("payment for deal %s: %s", deal_id, outcome)
    log.debug("payment for deal %s: charge %s", deal_id, paid.telegram_payment_charge_id)
    if outcome == "duplicate":
        await context.say(update, context.t(f"payment-{outcome}", **params))
