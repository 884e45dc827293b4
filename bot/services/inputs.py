"""Answers a button asked for: "Message", "Ask", "Trial", "Request changes", "Dispute",
"Deliver", "Add evidence" ask for the text (or files), and the person's next message is it.

The awaited answer is a row in the database (one per person), not a process's memory, so any
instance of the bot takes the answer. A button first checks that the action is allowed now
(the same checks the action makes, so a stale button gets the same one sentence and no
question); the answer then goes to the same service as the command, which checks again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.domain.models import PendingInput
from bot.services import bids, deals, disputes, messages, offers
from bot.services.base import Services
from bot.storage.db import Tx

INPUT_WINDOW = 3600  # seconds a question waits for its answer

Check = Callable[[Tx, Services, int, int], Awaitable[Any]]
CHECKS: dict[str, Check] = {
    "msg": messages.may_message,  # target: the bid
    "ask": messages.may_ask,  # the job
    "trial": bids.may_request_trial,  # the bid
    "revise": deals.may_revise,  # the deal
    "dispute": disputes.may_dispute,  # the deal
    "deliver": deals.may_deliver,  # the deal
    "evidence": disputes.may_add_evidence,  # the deal
    "offer": offers.may_offer,  # the person offered a contract (a profile's Offer button)
    "propose": offers.may_propose,  # the past client (a finished deal's Propose button)
}
KINDS = tuple(CHECKS)


async def check(svc: Services, actor: int, kind: str, target: int) -> None:
    """Refused (one sentence) when the action is not allowed now."""
    if kind not in CHECKS:
        raise ValueError(f"no input kind {kind!r}")
    async with svc.read() as tx:
        await CHECKS[kind](tx, svc, actor, target)


async def expect(
    svc: Services, actor: int, chat_id: int, kind: str, target: int, prompt_message_id: int | None
) -> PendingInput | None:
    """The person's next message answers `kind` about `target`; returns the question this one
    replaces, if one was open."""
    if kind not in CHECKS:
        raise ValueError(f"no input kind {kind!r}")
    async with svc.tx() as tx:
        return await tx.inputs.put(
            actor, chat_id, kind, target, prompt_message_id, tx.now + INPUT_WINDOW
        )


async def current(svc: Services, actor: int) -> PendingInput | None:
    async with svc.read(one=True) as tx:
        return await tx.inputs.get(actor)


async def take(
    svc: Services, actor: int, prompt_message_id: int | None = None
) -> PendingInput | None:
    """Claim the open question (to answer or cancel it): at most one taker wins it."""
    async with svc.tx() as tx:
        return await tx.inputs.take(actor, prompt_message_id)


async def put_back(svc: Services, pending: PendingInput) -> None:
    """The answer was refused as typed (too long, empty...): the question stays open, for
    the rest of its time."""
    async with svc.tx() as tx:
        await tx.inputs.put(
            pending.user_id,
            pending.chat_id,
            pending.kind,
            pending.target,
            pending.prompt_message_id,
            pending.expires_at,
        )
