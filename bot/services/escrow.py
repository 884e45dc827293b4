"""Money moves of a deal, each one balanced ledger transaction in the caller's transaction.

Fee rule: PLATFORM_FEE_PERCENT of what goes to the freelancer, rounded down.
Split rule: `percent` of the escrow to the freelancer (rounded down, less the fee on it); the
rest back to the client.
Money that leaves through a Telegram call (a Stars refund) moves in two phases: out of the
deal into refund_pending in the state change, then out of the books once Telegram confirmed,
or back to the payer's balance if it refused. Payouts are two-phase already: balance ->
payable when requested, payable -> world_out when a moderator marks one paid (/paid).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.models import Deal, Refund
from bot.domain.money import STARS, percent_of
from bot.storage.db import Tx


@dataclass(frozen=True)
class Returned:
    """How money goes back to a client, so that what they are told is what happens:
    "stars" (refundStarPayment, pending until Telegram confirms) or "balance" (credited and
    moved at once into `payout`, a payout request the moderators pay outside the bot: it
    shows under "Pending payouts" on /balance, not as money /payout can take)."""

    how: str
    payout: int | None = None

    def params(self) -> dict[str, object]:
        return {"how": self.how, "payout": self.payout}


async def fund(tx: Tx, deal: Deal, charge_id: str) -> None:
    """A payment arrived: world_in -> escrow."""
    escrow = await tx.ledger.account("escrow", deal.currency, deal.id)
    world = await tx.ledger.account("world_in", deal.currency)
    await tx.ledger.move(
        "fund", deal.currency, world, [(escrow, deal.amount)], deal_id=deal.id, memo=charge_id
    )


async def release(tx: Tx, deal: Deal, fee_percent: int) -> tuple[int, int]:
    """Escrow -> freelancer, less the fee. Returns (paid to freelancer, fee)."""
    return await _pay_freelancer(tx, deal, deal.amount, fee_percent, "release")


async def _pay_freelancer(
    tx: Tx, deal: Deal, share: int, fee_percent: int, kind: str, client_share: int = 0
) -> tuple[int, int]:
    cur = deal.currency
    escrow = await tx.ledger.account("escrow", cur, deal.id)
    fee = percent_of(share, fee_percent)
    legs = []
    if share - fee:
        legs.append((await tx.ledger.account("user", cur, deal.freelancer_id), share - fee))
    if fee:
        legs.append((await tx.ledger.account("fees", cur), fee))
    if client_share:
        legs.append((await tx.ledger.account("user", cur, deal.client_id), client_share))
    await tx.ledger.move(kind, cur, escrow, legs, deal_id=deal.id)
    return share - fee, fee


async def refund(tx: Tx, deal: Deal) -> Returned:
    """Escrow back to the client in full.

    A Stars payment goes back through refundStarPayment: the escrow moves to refund_pending
    now and the refund is settled when Telegram answers (`start_star_refund`); a provider
    payment is credited to the client's balance and queued as a payout for the moderators.
    """
    cur = deal.currency
    escrow = await tx.ledger.account("escrow", cur, deal.id)
    if cur == STARS and deal.charge_id:
        await start_star_refund(
            tx, "refund", escrow, deal.client_id, deal.amount, deal.charge_id, deal.id
        )
        return Returned("stars")
    client = await tx.ledger.account("user", cur, deal.client_id)
    await tx.ledger.move("refund", cur, escrow, [(client, deal.amount)], deal_id=deal.id)
    return Returned("balance", await queue_payout(tx, deal.client_id, deal.amount, cur))


async def split(
    tx: Tx, deal: Deal, percent: int, fee_percent: int
) -> tuple[int, int, int, Returned | None]:
    """Part to the freelancer (less fee), the rest to the client's balance and at once into a
    payout request (refundStarPayment returns whole charges only). Returns (to freelancer,
    fee, to client, how the client's part goes; None when nothing does)."""
    share = percent_of(deal.amount, percent)
    if share == 0:
        # Nothing to the freelancer: a full refund, which for Stars goes back to the payer.
        how = await refund(tx, deal)
        return 0, 0, deal.amount, how
    client_share = deal.amount - share
    paid, fee = await _pay_freelancer(tx, deal, share, fee_percent, "split", client_share)
    if not client_share:
        return paid, fee, 0, None
    payout = await queue_payout(tx, deal.client_id, client_share, deal.currency)
    return paid, fee, client_share, Returned("balance", payout)


async def refund_stray_payment(
    tx: Tx, payer_id: int, amount: int, currency: str, charge_id: str, deal_id: int
) -> Returned:
    """A payment for a deal that no longer awaits funding: it goes straight back."""
    world_in = await tx.ledger.account("world_in", currency)
    if currency == STARS:
        await start_star_refund(tx, "stray_refund", world_in, payer_id, amount, charge_id, deal_id)
        return Returned("stars")
    user = await tx.ledger.account("user", currency, payer_id)
    await tx.ledger.move(
        "stray_refund", currency, world_in, [(user, amount)], deal_id=deal_id, memo=charge_id
    )
    return Returned("balance", await queue_payout(tx, payer_id, amount, currency))


async def start_star_refund(
    tx: Tx, kind: str, source: int, payer_id: int, amount: int, charge_id: str, deal_id: int
) -> int:
    """The first phase of a Stars refund: `source` -> refund_pending, a `refunds` row, and
    the refundStarPayment call queued in the outbox. Telegram's answer settles it
    (bot.services.refunds): `refund_sent` or `refund_refused`. Returns the refund's id."""
    refund_id = await tx.refunds.create(deal_id, payer_id, charge_id, amount, STARS)
    pending = await tx.ledger.account("refund_pending", STARS)
    await tx.ledger.move(kind, STARS, source, [(pending, amount)], deal_id=deal_id, memo=charge_id)
    await tx.outbox.add(
        payer_id,
        "refund_star",
        {"charge_id": charge_id, "deal": deal_id},
        method="refund_star",
        ref=f"deal:{deal_id}",
    )
    return refund_id


async def refund_sent(tx: Tx, refund: Refund) -> None:
    """Telegram confirmed the refund: refund_pending -> world_out."""
    pending = await tx.ledger.account("refund_pending", refund.currency)
    world_out = await tx.ledger.account("world_out", refund.currency)
    await tx.ledger.move(
        "refund_sent",
        refund.currency,
        pending,
        [(world_out, refund.amount)],
        deal_id=refund.deal_id,
        memo=refund.charge_id,
    )


async def refund_refused(tx: Tx, refund: Refund) -> int:
    """Telegram refused the refund (or never answered): the compensating entry credits the
    payer's balance, which goes at once into a payout request. Returns the payout's id."""
    pending = await tx.ledger.account("refund_pending", refund.currency)
    user = await tx.ledger.account("user", refund.currency, refund.payer_id)
    await tx.ledger.move(
        "refund_refused",
        refund.currency,
        pending,
        [(user, refund.amount)],
        deal_id=refund.deal_id,
        memo=refund.charge_id,
    )
    return await queue_payout(tx, refund.payer_id, refund.amount, refund.currency)


async def queue_payout(tx: Tx, user_id: int, amount: int, currency: str) -> int:
    """Move `amount` of a person's balance into a payout request the moderators pay."""
    payout = await tx.payouts.create(user_id, amount, currency)
    user = await tx.ledger.account("user", currency, user_id)
    payable = await tx.ledger.account("payable", currency)
    await tx.ledger.move("payout", currency, user, [(payable, amount)], payout_id=payout.id)
    return payout.id


async def payout_paid(tx: Tx, payout_id: int, amount: int, currency: str) -> None:
    payable = await tx.ledger.account("payable", currency)
    world_out = await tx.ledger.account("world_out", currency)
    await tx.ledger.move(
        "payout_paid", currency, payable, [(world_out, amount)], payout_id=payout_id
    )
