"""Balances and payouts: the Bot API cannot send money, so a moderator pays outside the bot."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain.errors import Conflict, InvalidInput, NotFound
from bot.domain.models import Payout, Refund
from bot.domain.money import parse_amount
from bot.services import escrow
from bot.services.base import Moderator, Services, user_or_404


@dataclass(frozen=True)
class Balance:
    available: int
    pending_payouts: int
    currency: str
    refunding: list[Refund] = field(default_factory=list)  # Stars refunds Telegram owes


async def balance(svc: Services, actor: int) -> Balance:
    cur = svc.settings.currency
    async with svc.read() as tx:
        available = await tx.ledger.balance("user", cur, actor)
        pending = sum(p.amount for p in await tx.payouts.for_user(actor) if p.state == "pending")
        return Balance(available, pending, cur, await tx.refunds.pending_for(actor))


async def request_payout(svc: Services, actor: int, amount_text: str | None = None) -> Payout:
    """Move available balance (all of it, or `amount_text`) into a payout request."""
    cur = svc.settings.currency
    async with svc.tx() as tx:
        await user_or_404(tx, actor)
        available = await tx.ledger.balance("user", cur, actor)
        amount = available if not amount_text else parse_amount(amount_text, cur)
        if amount <= 0:
            raise Conflict("payout.nothing")
        if amount > available:
            raise InvalidInput("payout.too_much", available=available, currency=cur)
        payout_id = await escrow.queue_payout(tx, actor, amount, cur)
        payout = await tx.payouts.get(payout_id)
        assert payout is not None
        if svc.settings.moderator_chat_id:
            await tx.outbox.add(
                svc.settings.moderator_chat_id,
                "mod.payout_requested",
                {"payout": payout.id, "user": actor, "amount": amount, "currency": cur},
            )
        return payout


async def mark_paid(svc: Services, mod: Moderator, payout_id: int) -> Payout:
    async with svc.tx() as tx:
        payout = await tx.payouts.get(payout_id)
        if payout is None:
            raise NotFound("payout.not_found", payout=payout_id)
        if not await tx.payouts.mark_paid(payout.id, mod.user_id):
            raise Conflict("payout.already_paid", payout=payout_id)
        await escrow.payout_paid(tx, payout.id, payout.amount, payout.currency)
        await tx.outbox.add(
            payout.user_id,
            "notify.payout_paid",
            {"payout": payout.id, "amount": payout.amount, "currency": payout.currency},
        )
        paid = await tx.payouts.get(payout.id)
        assert paid is not None
        return paid


async def pending_payouts(svc: Services, mod: Moderator) -> list[Payout]:
    async with svc.read() as tx:
        return await tx.payouts.pending()
