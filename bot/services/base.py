"""What every use case needs: the database, the settings, a clock, and common checks."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from bot import logs
from bot.config import Settings
from bot.domain.errors import Conflict, Forbidden, NotFound
from bot.domain.models import Bid, Deal, Job, User
from bot.storage.db import Database, Tx


class Clock:
    """Wall-clock time in epoch seconds, with an offset the sandbox and tests can move."""

    def __init__(self, offset: int = 0) -> None:
        self.offset = offset

    def now(self) -> int:
        return int(time.time()) + self.offset

    def advance(self, seconds: int) -> None:
        self.offset += seconds


@dataclass
class Services:
    db: Database
    settings: Settings
    clock: Clock = field(default_factory=Clock)

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[Tx]:
        async with self.db.transaction(self.clock.now()) as tx:
            yield tx

    @asynccontextmanager
    async def read(self, *, in_thread: bool = False) -> AsyncIterator[Tx]:
        async with self.db.read(self.clock.now(), in_thread=in_thread) as tx:
            yield tx

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.settings.admin_user_ids


async def user_or_404(tx: Tx, user_id: int) -> User:
    user = await tx.users.get(user_id)
    if user is None:
        raise NotFound("user.not_found", user=user_id)
    return user


async def active_user(tx: Tx, user_id: int) -> User:
    """The acting person, refused if banned (they can't post, bid, message or open deals)."""
    user = await user_or_404(tx, user_id)
    if user.banned:
        raise Forbidden("user.banned")
    return user


async def job_or_404(tx: Tx, job_id: int) -> Job:
    job = await tx.jobs.get(job_id)
    if job is None:
        raise NotFound("job.not_found", job=job_id)
    return job


async def bid_or_404(tx: Tx, bid_id: int) -> Bid:
    bid = await tx.bids.get(bid_id)
    if bid is None:
        raise NotFound("bid.not_found", bid=bid_id)
    return bid


async def deal_or_404(tx: Tx, deal_id: int) -> Deal:
    logs.bind(deal=deal_id)  # the rest of this update's lines are about this deal
    deal = await tx.deals.get(deal_id)
    if deal is None:
        raise NotFound("deal.not_found", deal=deal_id)
    return deal


async def party_deal(tx: Tx, deal_id: int, actor: int) -> Deal:
    """A deal the actor is a party to; strangers are told it does not concern them."""
    deal = await deal_or_404(tx, deal_id)
    if deal.party(actor) is None:
        raise Forbidden("deal.not_party", deal=deal_id)
    return deal


def lost_race(deal: Deal) -> Conflict:
    """The conditional write did not hold: someone else moved the deal first."""
    return Conflict("deal.changed", deal=deal.id)


@dataclass(frozen=True)
class Moderator:
    """Proof that a person was checked as a moderator (member of the moderator group, or an
    admin). Only the Telegram layer's moderator check (or an admin id) creates one."""

    user_id: int


def as_admin(svc: Services, user_id: int) -> Moderator:
    """A Moderator for an ADMIN_USER_IDS user; anyone else is refused."""
    if not svc.is_admin(user_id):
        raise Forbidden("moderator.only")
    return Moderator(user_id)


async def replied_notice(
    svc: Services, chat_id: int, message_id: int, keys: tuple[str, ...], param: str
) -> int | None:
    """A Telegram reply answers a message the dispatcher sent: if that was a notification of
    one of `keys`, the number it was about (its `param`); None for any other message."""
    async with svc.read() as tx:
        row = await tx.outbox.find_by_message(chat_id, message_id)
    if row is None or row["key"] not in keys:
        return None
    value = row["params"].get(param)
    return value if isinstance(value, int) else None
