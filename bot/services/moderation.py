"""Moderator actions that are not about a dispute: bans and the marketplace's figures."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain import rules
from bot.domain.errors import Conflict
from bot.services.base import Moderator, Services, user_or_404


async def ban(svc: Services, mod: Moderator, user_id: int, reason: str) -> None:
    """A banned user can't post, bid, message or open deals; running deals go on."""
    reason = rules.text_in_range(reason, 1, rules.REASON_MAX, "reason.required")
    async with svc.tx() as tx:
        await user_or_404(tx, user_id)
        if not await tx.users.set_banned(user_id, True, reason):
            raise Conflict("ban.already", user=user_id)
        await tx.trail.add(mod.user_id, "ban", "user", user_id, user_id=user_id, reason=reason)
        await tx.outbox.add(user_id, "notify.banned", {"reason": reason})


async def unban(svc: Services, mod: Moderator, user_id: int) -> None:
    async with svc.tx() as tx:
        await user_or_404(tx, user_id)
        if not await tx.users.set_banned(user_id, False, None):
            raise Conflict("ban.not_banned", user=user_id)
        await tx.trail.add(mod.user_id, "unban", "user", user_id, user_id=user_id)
        await tx.outbox.add(user_id, "notify.unbanned", {})


@dataclass(frozen=True)
class Books:
    """One currency's money: never added to another currency's."""

    currency: str
    escrow: int
    fees: int
    balances: int
    payable: int


@dataclass(frozen=True)
class Stats:
    jobs: dict[str, int]
    bids: dict[str, int]
    deals: dict[str, int]
    money: list[Books]  # the current currency first, then every other one with accounts
    kinds: dict[str, int] = field(default_factory=dict)  # contracts by type (issue 14)


async def stats(svc: Services, mod: Moderator) -> Stats:
    cur = svc.settings.currency
    async with svc.read(in_thread=True) as tx:  # whole-table counts: off the event loop
        totals = await tx.ledger.totals_by_currency()
        books = [
            Books(
                currency=c,
                escrow=t.get("escrow", 0),
                fees=t.get("fees", 0),
                balances=t.get("user", 0),
                payable=t.get("payable", 0),
            )
            for c, t in sorted(totals.items(), key=lambda ct: (ct[0] != cur, ct[0]))
        ]
        return Stats(
            jobs=await tx.jobs.count_by_state(),
            bids=await tx.bids.count_by_state(),
            deals=await tx.deals.count_by_state(),
            money=books or [Books(cur, 0, 0, 0, 0)],
            kinds=await tx.milestones.count_by_kind(),
        )


async def alert_internal_error(svc: Services, error: str) -> None:
    """Tell the moderator group that an update failed unexpectedly (the traceback is in the
    log), through the outbox like every message. The caller keeps the rate of these."""
    group = svc.settings.moderator_chat_id
    if group is None:
        return
    async with svc.tx() as tx:
        await tx.outbox.add(group, "alert.internal_error", {"error": error[:100]})
