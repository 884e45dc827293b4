"""Balances and payouts: the Bot API cannot send money, so a moderator pays outside the bot.

A person may hold money in several currencies (each job keeps the currency it was posted
in, so a CURRENCY change leaves older deals in the old one). Every balance, payout request
and payment is in one currency; nothing is ever converted or added across currencies.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from bot.domain.errors import Conflict, InvalidInput, NotFound
from bot.domain.models import Payout, Refund
from bot.domain.money import parse_amount, parse_currency
from bot.services import escrow
from bot.services.base import Moderator, Services, user_or_404
from bot.storage.db import Tx


@dataclass(frozen=True)
class Balance:
    available: int
    pending_payouts: int
    currency: str
    refunding: list[Refund] = field(default_factory=list)  # Stars refunds Telegram owes
    payouts: list[Payout] = field(default_factory=list)  # the pending payout requests


def _order(svc: Services, currencies: set[str]) -> list[str]:
    """The marketplace's current currency first, then the others by code."""
    return sorted(currencies, key=lambda c: (c != svc.settings.currency, c))


async def balances(svc: Services, actor: int) -> list[Balance]:
    """Every currency the person has money in (available, or waiting in a payout request);
    for someone with none, the current currency at zero."""
    async with svc.read() as tx:
        available = await tx.ledger.balances_of("user", actor)
        pending: dict[str, int] = {}
        requests = [p for p in await tx.payouts.for_user(actor) if p.state == "pending"]
        for p in requests:
            pending[p.currency] = pending.get(p.currency, 0) + p.amount
        refunding = await tx.refunds.pending_for(actor)
    on_way = {r.currency for r in refunding}
    out = [
        Balance(
            available.get(c, 0),
            pending.get(c, 0),
            c,
            [r for r in refunding if r.currency == c],
            sorted((p for p in requests if p.currency == c), key=lambda p: p.id),
        )
        for c in _order(svc, set(available) | set(pending) | on_way)
        if available.get(c, 0) or pending.get(c, 0) or c in on_way
    ]
    return out or [Balance(0, 0, svc.settings.currency)]


async def _held(tx: Tx, actor: int) -> dict[str, int]:
    """{currency: available} for the currencies the person can withdraw now; the accounts
    stay locked until the payout takes the money (two /payout at once: one gets it)."""
    held = await tx.ledger.balances_of("user", actor, lock=True)
    return {c: v for c, v in held.items() if v > 0}


def _currency_for(svc: Services, held: dict[str, int], currency_text: str | None) -> str:
    """The currency of a partial payout: the one named, else the only one held."""
    if currency_text:
        return parse_currency(currency_text)
    if len(held) > 1:
        codes = _order(svc, set(held))
        raise InvalidInput("payout.which_currency", currencies=", ".join(codes), code=codes[0])
    return next(iter(held), svc.settings.currency)


async def _queue(svc: Services, tx: Tx, actor: int, amount: int, currency: str) -> Payout:
    payout_id = await escrow.queue_payout(tx, actor, amount, currency)
    payout = await tx.payouts.get(payout_id)
    assert payout is not None
    if svc.settings.moderator_chat_id:
        await tx.outbox.add(
            svc.settings.moderator_chat_id,
            "mod.payout_requested",
            {"payout": payout.id, "user": actor, "amount": amount, "currency": currency},
        )
    return payout


async def _nothing(tx: Tx, actor: int) -> Conflict:
    """Nothing available to withdraw; where money already waits in a payout request (a
    refund or a split goes straight into one), the refusal says so instead of "nothing"."""
    waiting = [p for p in await tx.payouts.for_user(actor) if p.state == "pending"]
    if not waiting:
        return Conflict("payout.nothing")
    first = min(waiting, key=lambda p: p.id)
    if len(waiting) == 1:
        return Conflict(
            "payout.already_requested",
            payout=first.id,
            amount=first.amount,
            currency=first.currency,
        )
    return Conflict("payout.already_requested_many", count=len(waiting))


async def request_payout(
    svc: Services, actor: int, amount_text: str | None = None, currency_text: str | None = None
) -> Payout:
    """Move available balance in one currency (all of it, or `amount_text`) into a payout
    request. The currency is `currency_text`, or the only one the person holds money in;
    with several and none named, the refusal says which there are."""
    async with svc.tx() as tx:
        await user_or_404(tx, actor)
        held = await _held(tx, actor)
        cur = _currency_for(svc, held, currency_text)
        available = held.get(cur, 0)
        amount = available if not amount_text else parse_amount(amount_text, cur)
        if amount <= 0:
            raise await _nothing(tx, actor)
        if amount > available:
            raise InvalidInput("payout.too_much", available=available, currency=cur)
        return await _queue(svc, tx, actor, amount, cur)


def balance_stamp(held: dict[str, int]) -> str:
    """A few characters that change whenever the withdrawable amounts do (a confirmation
    button carries it: what was confirmed is what is paid out)."""
    text = ",".join(f"{c}={held[c]}" for c in sorted(held))
    return hashlib.sha256(text.encode()).hexdigest()[:10]


async def withdrawable(svc: Services, actor: int) -> list[tuple[str, int]]:
    """(currency, amount) the person can withdraw now, the current currency first; refused
    when there is nothing."""
    async with svc.read() as tx:
        await user_or_404(tx, actor)
        held = await _held(tx, actor)
        if not held:
            raise await _nothing(tx, actor)
    return [(c, held[c]) for c in _order(svc, set(held))]


async def request_all_payouts(svc: Services, actor: int, stamp: str | None = None) -> list[Payout]:
    """`/payout` alone: everything available, one payout request per currency. With
    `stamp` (the confirmed balance's, `balance_stamp`), refused if the balance changed since."""
    async with svc.tx() as tx:
        await user_or_404(tx, actor)
        held = await _held(tx, actor)
        if not held:
            raise await _nothing(tx, actor)
        if stamp is not None and stamp != balance_stamp(held):
            raise Conflict("payout.balance_changed")
        return [await _queue(svc, tx, actor, held[c], c) for c in _order(svc, set(held))]


async def mark_paid(svc: Services, mod: Moderator, payout_id: int) -> Payout:
    async with svc.tx() as tx:
        payout = await tx.payouts.get(payout_id)
        if payout is None:
            raise NotFound("payout.not_found", payout=payout_id)
        if not await tx.payouts.mark_paid(payout.id, mod.user_id):
            raise Conflict("payout.already_paid", payout=payout_id)
        await escrow.payout_paid(tx, payout.id, payout.amount, payout.currency)
        await tx.trail.add(
            mod.user_id,
            "payout_paid",
            "payout",
            payout.id,
            user_id=payout.user_id,
            details={"amount": payout.amount, "currency": payout.currency},
        )
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
