"""What every use case needs: the database, the settings, a clock, and common checks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot import logs
from bot.config import Settings
from bot.domain.errors import Conflict, Forbidden, NotFound
from bot.domain.models import Bid, Deal, Job, User
from bot.domain.states import DealState
from bot.storage.db import Database, Tx
from bot.storage.offers import ReviewersRepo

if TYPE_CHECKING:
    from bot.storage.pg import PgDatabase


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
    db: Database | PgDatabase
    settings: Settings
    clock: Clock = field(default_factory=Clock)

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[Tx]:
        async with self.db.transaction(self.clock.now()) as tx:
            yield tx

    @asynccontextmanager
    async def read(self, *, in_thread: bool = False, one: bool = False) -> AsyncIterator[Tx]:
        """`one`: the read is one statement (cheaper on PostgreSQL; a second one raises)."""
        async with self.db.read(self.clock.now(), in_thread=in_thread, one=one) as tx:
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


# Concurrent writers (PostgreSQL; see bot/storage/pg.py). A write service that decides from
# rows of a job's family (the job, its bids, trials, deal, dispute, feedback, deadlines)
# reads the first of them with `lock=True`: that takes the job's row lock (JobsRepo.lock)
# before anything else, so that what it read still holds when it writes, and two such
# services on one job run one after the other, as every write does on SQLite (where the
# lock is a no-op). The audit of the services, one line each:
#   bids: place_bid, withdraw, decline, shortlist, answer_nda, request/answer/submit_trial
#   jobs: close_job, remove_job; profiles.invite; messages: ask, message_bid
#   deals: record_payment (also: a charge recorded meanwhile is "duplicate"), every change
#     of a deal (party_deal(lock=True)); disputes: open, add_evidence, resolve; feedback.rate
#   timers: run_deadline locks its subject's job before claiming the deadline
#   payouts: the person's balances are locked (Ledger.balances_of(lock=True)) before a
#     payout takes them; alert_given_up locks the rows it alerts about
# Conditional writes stay the rule for each change (a lost race is a Conflict); the locks
# keep the reads around them true. Not locked: writes that decide nothing from what they
# read (a profile edit, a ban's conditional flag, the outbox, hire's conditional pair).


async def job_or_404(tx: Tx, job_id: int, *, lock: bool = False) -> Job:
    job = await tx.jobs.get(job_id, lock=lock)
    if job is None:
        raise NotFound("job.not_found", job=job_id)
    return job


async def bid_or_404(tx: Tx, bid_id: int, *, lock: bool = False) -> Bid:
    if lock:
        await tx.jobs.lock_of_bid(bid_id)
    bid = await tx.bids.get(bid_id)
    if bid is None:
        raise NotFound("bid.not_found", bid=bid_id)
    return bid


async def deal_or_404(tx: Tx, deal_id: int, *, lock: bool = False) -> Deal:
    logs.bind(deal=deal_id)  # the rest of this update's lines are about this deal
    if lock:
        await tx.jobs.lock_of_deal(deal_id)
    deal = await tx.deals.get(deal_id)
    if deal is None:
        raise NotFound("deal.not_found", deal=deal_id)
    return deal


RUNNING_DEAL_STATES = frozenset(
    {DealState.AWAITING_FUNDING, DealState.FUNDED, DealState.DELIVERED, DealState.DISPUTED}
)


async def party_deal(tx: Tx, deal_id: int, actor: int, *, lock: bool = False) -> Deal:
    """A deal the actor is a party to; strangers are told it does not concern them, and the
    deal's QA reviewer that they may only read it and give a verdict (bot.services.reviewers):
    no action of a party, money or other, is theirs."""
    deal = await deal_or_404(tx, deal_id, lock=lock)
    if deal.party(actor) is None:
        if await ReviewersRepo(tx).of_deal(deal.id) == actor:
            ended = deal.state not in RUNNING_DEAL_STATES
            raise Forbidden("reviewer.ended" if ended else "reviewer.read_only", deal=deal_id)
        raise Forbidden("deal.not_party", deal=deal_id)
    return deal


IN_FLIGHT_TRIES = 20  # a reply waits at most about a second for a send's mark
IN_FLIGHT_WAIT_S = 0.05


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
    for _ in range(IN_FLIGHT_TRIES):
        async with svc.read() as tx:
            row = await tx.outbox.find_by_message(chat_id, message_id)
            in_flight = row is None and await tx.outbox.in_flight(chat_id)
        if not in_flight:
            break
        # A row of this chat is being sent: the reply may answer the message it just sent,
        # whose mark (the message id) its dispatcher, maybe another instance, is committing.
        await asyncio.sleep(IN_FLIGHT_WAIT_S)
    if row is None or row["key"] not in keys:
        return None
    value = row["params"].get(param)
    return value if isinstance(value, int) else None
