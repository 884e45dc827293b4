"""Questions about a job (/ask) and private client-bidder threads (/msg), with replies."""

from __future__ import annotations

from bot.domain import rules
from bot.domain.errors import Conflict, Forbidden, NotFound
from bot.domain.models import Bid, Job
from bot.domain.states import BID_LIVE, JobState
from bot.services.base import Services, active_user, bid_or_404, job_or_404, replied_notice
from bot.storage.db import Tx


async def _relay(
    tx: Tx,
    job_id: int,
    bid_id: int | None,
    sender: int,
    recipient: int,
    text: str,
    key: str,
    answers: int | None = None,
) -> int:
    """Store and relay a message; `answers` is the stored message it replies to (its text is
    quoted, so an answer to a question says which question it answers)."""
    message_id = await tx.misc.add_message(job_id, bid_id, sender, recipient, text)
    params = {"job": job_id, "bid": bid_id, "from": sender, "text": text, "message": message_id}
    if answers is not None:
        params["answers"] = answers
    await tx.outbox.add(recipient, key, params, ref=f"msg:{message_id}")
    return message_id


async def may_ask(tx: Tx, svc: Services, actor: int, job_id: int, *, lock: bool = False) -> Job:
    """Who may ask about a job, and when (checked again with the question)."""
    await active_user(tx, actor)
    job = await job_or_404(tx, job_id, lock=lock)
    if job.client_id == actor:
        raise Forbidden("ask.own_job", job=job_id)
    if job.state not in (JobState.OPEN, JobState.HIRING):
        raise Conflict("job.not_open", job=job_id)
    return job


async def may_message(
    tx: Tx, svc: Services, actor: int, bid_id: int, *, lock: bool = False
) -> tuple[Bid, Job]:
    """The two sides of a live bid may write to each other."""
    await active_user(tx, actor)
    bid = await bid_or_404(tx, bid_id, lock=lock)
    job = await job_or_404(tx, bid.job_id)
    if actor not in (job.client_id, bid.freelancer_id):
        raise Forbidden("msg.not_party", bid=bid_id)
    if bid.state not in BID_LIVE:
        raise Conflict("bid.not_active", bid=bid_id)
    return bid, job


async def ask(svc: Services, actor: int, job_id: int, question: str) -> int:
    """A would-be bidder asks the client about a job."""
    question = rules.text_in_range(question, 1, rules.MESSAGE_MAX, "message.length")
    async with svc.tx() as tx:
        job = await may_ask(tx, svc, actor, job_id, lock=True)
        bid = await tx.bids.live_for(job_id, actor)
        return await _relay(
            tx, job.id, bid.id if bid else None, actor, job.client_id, question, "notify.question"
        )


async def message_bid(svc: Services, actor: int, bid_id: int, text: str) -> int:
    """/msg: a private thread between the client and one bidder."""
    text = rules.text_in_range(text, 1, rules.MESSAGE_MAX, "message.length")
    async with svc.tx() as tx:
        bid, job = await may_message(tx, svc, actor, bid_id, lock=True)
        recipient = bid.freelancer_id if actor == job.client_id else job.client_id
        return await _relay(tx, job.id, bid.id, actor, recipient, text, "notify.message")


async def reply(svc: Services, actor: int, message_id: int, text: str) -> int:
    """A Telegram reply to a relayed message goes back into the same thread."""
    text = rules.text_in_range(text, 1, rules.MESSAGE_MAX, "message.length")
    async with svc.tx() as tx:
        await active_user(tx, actor)
        original = await tx.misc.get_message(message_id)
        if original is None:
            raise NotFound("message.not_found")
        if original["recipient_id"] != actor:
            raise Forbidden("message.not_yours")
        return await _relay(
            tx,
            original["job_id"],
            original["bid_id"],
            actor,
            original["sender_id"],
            text,
            "notify.message",
            answers=message_id,
        )


RELAYED_KEYS = ("notify.question", "notify.message")


async def thread_of_reply(svc: Services, chat_id: int, message_id: int) -> int | None:
    """The stored message a Telegram reply answers: the relayed question or message sent as
    `message_id` in `chat_id`; None for any other message."""
    return await replied_notice(svc, chat_id, message_id, RELAYED_KEYS, "message")
