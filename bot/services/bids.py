"""Bidding: place or update, withdraw, decline, shortlist with the private brief, trials."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import rules
from bot.domain.errors import Conflict, Forbidden, InvalidInput
from bot.domain.models import Bid, Job, ProfileStats
from bot.domain.money import check_amount, parse_amount
from bot.domain.states import BID_PLACED, BidState, JobState
from bot.services.base import Services, active_user, bid_or_404, job_or_404
from bot.storage.db import Tx

TRIAL_FILES_MAX = 10


def _refs(bid: Bid) -> tuple[str, str]:
    """What a bid's change redraws: messages about the bid, and its client's lists of the
    job's bids (`bids:<job>`; the job's cards, `job:<job>`, follow the job's state only)."""
    return f"bid:{bid.id}", f"bids:{bid.job_id}"


@dataclass(frozen=True)
class BidResult:
    bid: Bid
    updated: bool  # True when an existing bid was changed
    currency: str  # the job's, which the bid's amount is in


async def place_bid(
    svc: Services,
    actor: int,
    job_id: int,
    amount: int | str,
    days: int,
    cover: str,
    *,
    weekly_minutes: int | None = None,
) -> BidResult:
    """One live bid per freelancer per job: bidding again updates it; the client is told.

    `amount` is in minor units of the job's currency, or the text a person typed (`150`,
    `99.50`), read in the job's currency: a bid is always in its job's currency, whatever
    CURRENCY says now. `weekly_minutes`: an hourly bid, `amount` per hour up to that many
    minutes a week (bot.services.hourly); bidding again without it makes the bid fixed."""
    days = rules.days(days)
    cover = rules.cover_letter(cover)
    async with svc.tx() as tx:
        await active_user(tx, actor)
        job = await job_or_404(tx, job_id, lock=True)
        if isinstance(amount, str):
            amount = parse_amount(amount, job.currency)
        amount = check_amount(amount, job.currency)
        if job.client_id == actor:
            raise Forbidden("bid.own_job", job=job_id)
        if job.state != JobState.OPEN or job.bidding_ends_at <= tx.now:
            raise Conflict("job.not_open", job=job_id)
        existing = await tx.bids.live_for(job_id, actor)
        if existing is not None:
            if existing.state != BidState.ACTIVE:
                raise Conflict("bid.not_active", bid=existing.id)
            await tx.bids.update_terms(existing.id, amount, days, cover)
            bid, updated = await bid_or_404(tx, existing.id), True
        else:
            bid, updated = await tx.bids.create(job_id, actor, amount, days, cover), False
        await tx.hourly.set_bid_terms(bid.id, weekly_minutes)
        await tx.outbox.add(
            job.client_id,
            "notify.bid_updated" if updated else "notify.bid_new",
            {
                "job": job.id,
                "title": job.title,
                "bid": bid.id,
                "freelancer": actor,
                "amount": amount,
                "currency": job.currency,
                "days": days,
                **({"weekly_hours": weekly_minutes // 60} if weekly_minutes else {}),
            },
            ref=f"bid:{bid.id}",
        )
        return BidResult(bid, updated, job.currency)


async def withdraw_bid(svc: Services, actor: int, bid_id: int) -> Bid:
    async with svc.tx() as tx:
        bid = await bid_or_404(tx, bid_id, lock=True)
        if bid.freelancer_id != actor:
            raise Forbidden("bid.not_owner", bid=bid_id)
        if bid.state != BidState.ACTIVE:
            raise Conflict("bid.not_withdrawable", bid=bid_id)
        if not await tx.bids.set_state(bid.id, BidState.WITHDRAWN, [BidState.ACTIVE]):
            raise Conflict("bid.not_withdrawable", bid=bid_id)
        await tx.keyboards.refresh(*_refs(bid))
        job = await job_or_404(tx, bid.job_id)
        await tx.outbox.add(
            job.client_id,
            "notify.bid_withdrawn",
            {"job": job.id, "bid": bid.id, "freelancer": actor},
        )
        return await bid_or_404(tx, bid_id)


async def withdraw_for_leaving(tx: Tx, bid_id: int, freelancer: int) -> None:
    """The freelancer is deleting their account: their live bid is withdrawn and the client
    told (`freelancer` is the id their rows carry now), in the deletion's transaction."""
    bid = await bid_or_404(tx, bid_id)
    if await tx.bids.set_state(bid.id, BidState.WITHDRAWN, [BidState.ACTIVE]):
        job = await job_or_404(tx, bid.job_id)
        await tx.outbox.add(
            job.client_id,
            "notify.bid_withdrawn",
            {"job": job.id, "bid": bid.id, "freelancer": freelancer},
        )


async def _client_bid(tx: Tx, actor: int, bid_id: int, lock: bool = False) -> tuple[Bid, Job]:
    """A bid on one of the actor's jobs (`lock`: its job's lock taken first)."""
    bid = await bid_or_404(tx, bid_id, lock=lock)
    job = await job_or_404(tx, bid.job_id)
    if job.client_id != actor:
        raise Forbidden("job.not_client", job=job.id)
    return bid, job


async def decline_bid(svc: Services, actor: int, bid_id: int, reason: str = "") -> Bid:
    reason = rules.clean_text(reason)[: rules.REASON_MAX]
    async with svc.tx() as tx:
        bid, job = await _client_bid(tx, actor, bid_id, lock=True)
        if bid.state != BidState.ACTIVE:
            raise Conflict("bid.not_active", bid=bid_id)
        if not await tx.bids.set_state(bid.id, BidState.DECLINED, [BidState.ACTIVE], reason):
            raise Conflict("bid.not_active", bid=bid_id)
        await tx.keyboards.refresh(*_refs(bid))
        await tx.outbox.add(
            bid.freelancer_id,
            "notify.bid_declined",
            {"job": job.id, "title": job.title, "bid": bid.id, "reason": reason},
            ref=f"bid:{bid.id}",
        )
        return await bid_or_404(tx, bid_id)


async def shortlist_bid(svc: Services, actor: int, bid_id: int) -> tuple[Bid, Job]:
    """Shortlisting tells the freelancer in one message: with the private brief, or with the
    NDA to accept first where the job asks for one (the brief follows the acceptance), or
    just that (a job without a brief). Returns the bid and its job (the client's answer says
    which of the three happened)."""
    async with svc.tx() as tx:
        bid, job = await _client_bid(tx, actor, bid_id, lock=True)
        if bid.state != BidState.ACTIVE:
            raise Conflict("bid.not_active", bid=bid_id)
        if not await tx.bids.set_shortlisted(bid.id):
            raise Conflict("bid.already_shortlisted", bid=bid_id)
        await tx.keyboards.refresh(*_refs(bid))
        params = {"job": job.id, "title": job.title, "bid": bid.id}
        key = "notify.shortlisted_nda" if job.nda_required else "notify.shortlisted"
        ref = f"bid:{bid.id}" if job.nda_required else None  # Accept / Decline follow the bid
        await tx.outbox.add(bid.freelancer_id, key, params, ref=ref)
        return await bid_or_404(tx, bid_id), job


async def answer_nda(svc: Services, actor: int, bid_id: int, accept: bool) -> tuple[Bid, Job]:
    """The shortlisted freelancer accepts or declines the job's NDA; the client is told. The
    freelancer's answer shows the brief after an acceptance (it is theirs to see from now).
    The first answer is the one that counts: a decline is final for this bid."""
    async with svc.tx() as tx:
        bid = await bid_or_404(tx, bid_id, lock=True)
        if bid.freelancer_id != actor:
            raise Forbidden("bid.not_owner", bid=bid_id)
        job = await job_or_404(tx, bid.job_id)
        if not job.nda_required or bid.shortlisted_at is None:
            raise Conflict("nda.not_asked", bid=bid_id)
        if bid.nda_accepted_at is not None:
            raise Conflict("nda.already_accepted", bid=bid_id)
        if bid.nda_declined_at is not None or not await tx.bids.answer_nda(bid.id, accept):
            raise Conflict("nda.already_declined", bid=bid_id)
        await tx.keyboards.refresh(*_refs(bid))
        params = {"job": job.id, "title": job.title, "bid": bid.id, "freelancer": actor}
        key = "notify.nda_accepted" if accept else "notify.nda_declined"
        await tx.outbox.add(job.client_id, key, params)
        return await bid_or_404(tx, bid_id), job


async def brief_for(svc: Services, actor: int, bid_id: int) -> tuple[Job, str | None]:
    """The private brief, for a shortlisted bidder (after the NDA where one is asked)."""
    async with svc.read() as tx:
        bid = await bid_or_404(tx, bid_id)
        job = await job_or_404(tx, bid.job_id)
        if rules.brief_visible(job, actor, bid):
            return job, job.brief
        if bid.freelancer_id != actor or bid.shortlisted_at is None:
            raise Forbidden("brief.not_shortlisted", job=job.id)
        raise Forbidden("brief.nda_first", job=job.id)


async def may_request_trial(
    tx: Tx, svc: Services, actor: int, bid_id: int, lock: bool = False
) -> tuple[Bid, Job]:
    """A trial is asked of a shortlisted, active bid with no trial open (`lock`: see
    bot/services/base.py)."""
    bid, job = await _client_bid(tx, actor, bid_id, lock=lock)
    if bid.state != BidState.ACTIVE:
        raise Conflict("bid.not_active", bid=bid_id)
    if bid.shortlisted_at is None:
        raise Conflict("trial.not_shortlisted", bid=bid_id)
    if await tx.trials.open_for(bid.id) is not None:
        raise Conflict("trial.already_open", bid=bid_id)
    return bid, job


async def request_trial(svc: Services, actor: int, bid_id: int, task: str) -> int:
    task = rules.text_in_range(task, 5, rules.BRIEF_MAX, "trial.task_length")
    async with svc.tx() as tx:
        bid, job = await may_request_trial(tx, svc, actor, bid_id, lock=True)
        trial_id = await tx.trials.create(bid.id, task)
        await tx.keyboards.refresh(*_refs(bid))
        await tx.outbox.add(
            bid.freelancer_id,
            "notify.trial_requested",
            {"job": job.id, "title": job.title, "bid": bid.id, "trial": trial_id, "task": task},
            ref=f"bid:{bid.id}",
        )
        return trial_id


async def answer_trial(svc: Services, actor: int, trial_id: int, accept: bool) -> None:
    async with svc.tx() as tx:
        _trial, bid, job = await _freelancer_trial(tx, actor, trial_id, lock=True)
        new = "accepted" if accept else "declined"
        if not await tx.trials.set_state(trial_id, new, "requested"):
            raise Conflict("trial.not_open", trial=trial_id)
        await tx.keyboards.refresh(*_refs(bid))
        await tx.outbox.add(
            job.client_id,
            f"notify.trial_{new}",
            {"job": job.id, "bid": bid.id, "trial": trial_id, "freelancer": actor},
        )


async def submit_trial(
    svc: Services, actor: int, trial_id: int, result: str, files: list[dict] | None = None
) -> None:
    result = rules.clean_text(result)
    if not result and not files:
        raise InvalidInput("trial.result_empty")
    if len(result) > rules.NOTE_MAX:
        raise InvalidInput("trial.result_too_long", max=rules.NOTE_MAX, length=len(result))
    if len(files or []) > TRIAL_FILES_MAX:
        raise InvalidInput("trial.too_many_files", max=TRIAL_FILES_MAX)
    async with svc.tx() as tx:
        _trial, bid, job = await _freelancer_trial(tx, actor, trial_id, lock=True)
        if not await tx.trials.set_state(trial_id, "submitted", "accepted", result, files or []):
            raise Conflict("trial.not_accepted", trial=trial_id)
        await tx.keyboards.refresh(*_refs(bid))
        await tx.outbox.add(
            job.client_id,
            "notify.trial_submitted",
            {"job": job.id, "bid": bid.id, "trial": trial_id, "freelancer": actor},
        )


async def _freelancer_trial(
    tx: Tx, actor: int, trial_id: int, lock: bool = False
) -> tuple[dict, Bid, Job]:
    from bot.domain.errors import NotFound

    if lock:
        await tx.jobs.lock_of_trial(trial_id)
    trial = await tx.trials.get(trial_id)
    if trial is None:
        raise NotFound("trial.not_found", trial=trial_id)
    bid = await bid_or_404(tx, trial["bid_id"])
    if bid.freelancer_id != actor:
        raise Forbidden("trial.not_yours", trial=trial_id)
    if bid.state != BidState.ACTIVE:
        raise Conflict("bid.not_active", bid=bid.id)
    return trial, bid, await job_or_404(tx, bid.job_id)


async def trial_to_submit(svc: Services, actor: int, trial_id: int) -> tuple[dict, Bid, Job]:
    """The freelancer's accepted trial, before they send its result."""
    async with svc.read() as tx:
        trial, bid, job = await _freelancer_trial(tx, actor, trial_id)
        if trial["state"] != "accepted":
            raise Conflict("trial.not_accepted", trial=trial_id)
        return trial, bid, job


async def trial_for_client(svc: Services, actor: int, trial_id: int) -> tuple[dict, Bid, Job]:
    """A trial (task, state, result, files) as the client of its job sees it."""
    from bot.domain.errors import NotFound

    async with svc.read() as tx:
        trial = await tx.trials.get(trial_id)
        if trial is None:
            raise NotFound("trial.not_found", trial=trial_id)
        bid, job = await _client_bid(tx, actor, int(trial["bid_id"]))
        return trial, bid, job


async def my_bids(svc: Services, actor: int) -> list[tuple[Bid, Job]]:
    async with svc.read() as tx:
        bids = await tx.bids.by_freelancer(actor)
        return [(b, await job_or_404(tx, b.job_id)) for b in bids]


async def bids_on_job(
    svc: Services, actor: int, job_id: int
) -> tuple[Job, list[tuple[Bid, ProfileStats, bool, dict | None]]]:
    """The bids on a job (every one placed and not withdrawn, as many as its card counts),
    for its client: each with the freelancer's record, whether the client hired them
    before, and the bid's latest trial (None if none was asked). Only active ones have
    buttons (bot.views.cards.bids_list)."""
    from bot.services.profiles import stats_of_many

    async with svc.read() as tx:
        job = await job_or_404(tx, job_id)
        if job.client_id != actor:
            raise Forbidden("job.not_client", job=job_id)
        live = await tx.bids.for_job(job_id, BID_PLACED)
        if not live:
            return job, []
        people = [b.freelancer_id for b in live]
        stats = await stats_of_many(tx, svc, people)
        hired = await tx.records.worked_with(actor, people)
        trials = await tx.records.latest_trials(b.id for b in live)
        return job, [
            (b, stats[b.freelancer_id], b.freelancer_id in hired, trials.get(b.id)) for b in live
        ]
