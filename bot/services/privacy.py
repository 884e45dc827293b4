"""A person's data protection rights: a copy of everything stored about them (/mydata) and
erasure (/deleteaccount). What each keeps and removes: bot/storage/people.py and the README.

An account can be deleted only when nothing is left open between the person and others or
the books: no deal running (awaiting payment, funded, delivered, disputed), no money on
their balance, no payout or refund on its way. Their open jobs are closed and their live
bids withdrawn as part of the deletion (the other people are told).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.domain.errors import Conflict
from bot.domain.models import DELETED_TEXT
from bot.services import bids, jobs
from bot.services.base import Services, user_or_404
from bot.storage.db import Tx

EXPORT_VERSION = 1


async def my_data(svc: Services, actor: int) -> bytes:
    """Everything stored about the person, as a JSON document (UTF-8)."""
    async with svc.read(in_thread=True) as tx:  # many reads, none urgent: off the loop
        data = await tx.people.export(actor)
    if data["profile"] is None:
        await _missing(svc, actor)
    document: dict[str, Any] = {
        "format": EXPORT_VERSION,
        "user_id": actor,
        "exported_at": datetime.fromtimestamp(svc.clock.now(), UTC).isoformat(),
        "times": "epoch seconds, UTC; money in minor units of its currency",
        **data,
    }
    text = json.dumps(document, ensure_ascii=False, indent=1)
    return text.replace(DELETED_TEXT, "(deleted)").encode()  # a deleted account's words


async def _missing(svc: Services, actor: int) -> None:
    async with svc.read() as tx:
        await user_or_404(tx, actor)


async def _refusal(tx: Tx, actor: int) -> Conflict | None:
    """Why the account cannot be deleted now (one sentence), or None."""
    people = tx.people
    deal = await people.running_deal(actor)
    if deal is not None:
        return Conflict("account.deal_running", deal=deal)
    held = {c: v for c, v in (await tx.ledger.balances_of("user", actor)).items() if v > 0}
    if held:
        currency, amount = sorted(held.items())[0]
        return Conflict("account.balance", amount=amount, currency=currency)
    payout = await people.pending_payout(actor)
    if payout is not None:
        return Conflict("account.payout_pending", payout=payout)
    refund = await people.pending_refund(actor)
    if refund is not None:
        return Conflict("account.refund_pending", deal=refund)
    return None


async def can_delete(svc: Services, actor: int) -> None:
    """Raises the one sentence that says why the account cannot be deleted now."""
    async with svc.read() as tx:
        await user_or_404(tx, actor)
        refusal = await _refusal(tx, actor)
    if refusal is not None:
        raise refusal


async def delete_account(svc: Services, actor: int) -> int:
    """Erase the person's profile and detach their rows from their Telegram id, in one
    transaction (refused as `can_delete` says); returns the id their rows now carry."""
    async with svc.tx() as tx:
        await user_or_404(tx, actor)
        refusal = await _refusal(tx, actor)
        if refusal is not None:
            raise refusal
        open_jobs, live_bids = await tx.people.live_work(actor)
        erased = await tx.people.erase(actor)
        for job_id in open_jobs:
            await jobs.close_for_leaving(tx, svc, job_id)
        for bid_id in live_bids:
            await bids.withdraw_for_leaving(tx, bid_id, erased)
        return erased
