"""Refunds made outside the books (bot.services.refunds settles them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain.models import Refund

if TYPE_CHECKING:
    from bot.storage.db import Tx


class RefundsRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def create(
        self, deal_id: int, payer_id: int, charge_id: str, amount: int, currency: str
    ) -> int:
        return await self.tx.insert(
            "INSERT INTO refunds (deal_id, payer_id, charge_id, amount, currency, state,"
            " created_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)",
            (deal_id, payer_id, charge_id, amount, currency, self.tx.now),
        )

    async def by_charge(self, charge_id: str) -> Refund | None:
        row = await self.tx.fetchone("SELECT * FROM refunds WHERE charge_id = ?", (charge_id,))
        return None if row is None else Refund.model_validate(dict(row))

    async def settle(self, refund_id: int, state: str, error: str | None = None) -> bool:
        """pending -> confirmed | failed; False when it was settled already."""
        return bool(
            await self.tx.update(
                "UPDATE refunds SET state = ?, settled_at = ?, error = ?"
                " WHERE id = ? AND state = 'pending'",
                (state, self.tx.now, None if error is None else error[:500], refund_id),
            )
        )

    async def set_payout(self, refund_id: int, payout_id: int) -> None:
        await self.tx.execute(
            "UPDATE refunds SET payout_id = ? WHERE id = ?", (payout_id, refund_id)
        )

    async def pending_for(self, payer_id: int) -> list[Refund]:
        rows = await self.tx.fetchall(
            "SELECT * FROM refunds WHERE payer_id = ? AND state = 'pending' ORDER BY id",
            (payer_id,),
        )
        return [Refund.model_validate(dict(r)) for r in rows]
