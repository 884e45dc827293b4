"""Posting, browsing and closing jobs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.domain import rules
from bot.domain.categories import get_category
from bot.domain.durations import Seconds
from bot.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from bot.domain.models import Job, User
from bot.domain.states import BidState, JobState
from bot.domain.trust import Trust
from bot.services import alerts
from bot.services.base import Moderator, Services, active_user, job_or_404, user_or_404
from bot.services.lifecycle import JOB_DEADLINES, cancel_unfunded_for_removal, refresh_channel_post
from bot.storage.db import Tx


@dataclass(frozen=True)
class JobDraft:
    """Everything the posting flow collects before Publish."""

    category: str
    title: str
    description: str
    answers: dict[str, Any]
    budget_min: int
    budget_max: int
    deadline_at: int
    brief: str | None = None
    nda_required: bool = False
    nda_text: str | None = None
    files: tuple[dict[str, Any], ...] = ()
    currency: str | None = None  # the budget's, as typed; None: today's CURRENCY


async def post_job(svc: Services, actor: int, draft: JobDraft) -> Job:
    """A new job is priced in today's CURRENCY and keeps it for life (its bids, deal,
    invoice and the balances it pays into)."""
    s = svc.settings
    category = get_category(draft.category)
    title = rules.title(draft.title)
    description = rules.description(draft.description)
    answers = category.parse_answers({k: str(v) for k, v in draft.answers.items()})
    if draft.currency is not None and draft.currency != s.currency:
        # CURRENCY changed (a restart) between typing the budget and Publish.
        raise InvalidInput("job.budget_currency", currency=s.currency)
    lo, hi = rules.budget(draft.budget_min, draft.budget_max, s.currency)
    brief = rules.clean_text(draft.brief) or None
    if brief and len(brief) > rules.BRIEF_MAX:
        raise InvalidInput("job.brief_too_long", max=rules.BRIEF_MAX, length=len(brief))
    if draft.nda_required and not brief:
        raise InvalidInput("job.nda_needs_brief")
    async with svc.tx() as tx:
        await active_user(tx, actor)
        if draft.deadline_at - tx.now < s.min_deadline:
            raise InvalidInput("deadline.too_soon", min=Seconds(s.min_deadline))
        job = await tx.jobs.create(
            client_id=actor,
            category=category.id,
            title=title,
            description=description,
            answers=answers,
            budget_min=lo,
            budget_max=hi,
            currency=s.currency,
            deadline_at=draft.deadline_at,
            brief=brief,
            nda_required=draft.nda_required,
            nda_text=rules.clean_text(draft.nda_text) or None,
            files=list(draft.files),
            bidding_ends_at=tx.now + s.bidding_window,
        )
        await tx.deadlines.set("job_expire", job.id, job.bidding_ends_at)
        if s.bidding_window > s.nudge_lead:
            await tx.deadlines.set("job_nudge", job.id, job.bidding_ends_at - s.nudge_lead)
        # The client is answered by the posting flow ("Job #… is live"): no notification.
        if s.jobs_channel_id:
            await tx.outbox.add(
                s.jobs_channel_id, "channel.job", {"job": job.id}, ref=f"channel:{job.id}"
            )
        await alerts.on_job_posted(tx, svc, job)  # saved searches it answers (job alerts)
        return job


async def _end_bidding(
    tx: Tx, svc: Services, job: Job, new: JobState, notify_key: str, reason: str = ""
) -> None:
    """Close a job to bids: decline every live bid and tell each bidder."""
    await tx.keyboards.refresh(f"job:{job.id}", f"bids:{job.id}")
    for bid in await tx.bids.for_job(job.id, [BidState.ACTIVE]):
        await tx.bids.set_state(bid.id, BidState.DECLINED, [BidState.ACTIVE], reason or None)
        await tx.keyboards.refresh(f"bid:{bid.id}")
        await tx.outbox.add(
            bid.freelancer_id,
            notify_key,
            {"job": job.id, "title": job.title, "bid": bid.id, "reason": reason},
            ref=f"bid:{bid.id}",
        )
    await tx.deadlines.cancel(job.id, *JOB_DEADLINES)
    await refresh_channel_post(tx, svc, job)


async def close_job(svc: Services, actor: int, job_id: int) -> Job:
    """The client closes a job for new bids; a running deal is not touched."""
    async with svc.tx() as tx:
        job = await job_or_404(tx, job_id, lock=True)
        if job.client_id != actor:
            raise Forbidden("job.not_client", job=job_id)
        if job.state != JobState.OPEN:
            raise Conflict("job.not_open", job=job_id)
        if not await tx.jobs.set_state(job.id, JobState.CLOSED, [JobState.OPEN]):
            raise Conflict("job.not_open", job=job_id)
        await _end_bidding(tx, svc, job, JobState.CLOSED, "notify.job_closed_bidder")
        return await job_or_404(tx, job_id)


REPOSTABLE = (JobState.CLOSED, JobState.EXPIRED)


async def job_to_repost(svc: Services, actor: int, job_id: int) -> Job:
    """/repost: a closed or expired job of the actor's, to post again as a new job (its
    answers kept; nothing is written until Publish, which is post_job)."""
    async with svc.read() as tx:
        await active_user(tx, actor)
        job = await job_or_404(tx, job_id)
        if job.client_id != actor:
            raise Forbidden("job.not_client", job=job_id)
        if job.state not in REPOSTABLE:
            raise Conflict("repost.not_ended", job=job_id)
        return job


async def remove_job(svc: Services, mod: Moderator, job_id: int, reason: str) -> Job:
    """A moderator takes a job down; bidders are told. Funded deals go on."""
    reason = rules.text_in_range(reason, 1, rules.REASON_MAX, "reason.required")
    async with svc.tx() as tx:
        job = await job_or_404(tx, job_id, lock=True)
        if job.state == JobState.REMOVED:
            raise Conflict("job.already_removed", job=job_id)
        if not await tx.jobs.set_state(job.id, JobState.REMOVED, [job.state]):
            raise Conflict("job.already_removed", job=job_id)
        await tx.trail.add(
            mod.user_id,
            "remove_job",
            "job",
            job.id,
            user_id=job.client_id,
            reason=reason,
            details={"state": str(job.state)},
        )
        called_off: list[int] = []
        if job.state == JobState.HIRING:
            # An accepted bid still waiting for payment: that deal is called off too (the
            # client hears it in this one notice).
            called_off = await cancel_unfunded_for_removal(tx, svc, job.id)
        await _end_bidding(tx, svc, job, JobState.REMOVED, "notify.job_removed_bidder", reason)
        await tx.outbox.add(
            job.client_id,
            "notify.job_removed_client",
            {
                "job": job.id,
                "title": job.title,
                "reason": reason,
                "deal": called_off[0] if called_off else None,
            },
        )
        return await job_or_404(tx, job_id)


async def close_for_leaving(tx: Tx, svc: Services, job_id: int) -> None:
    """The client is deleting their account: their open job closes, its bidders are told
    as for a closed job (in the deletion's transaction)."""
    job = await job_or_404(tx, job_id)
    if await tx.jobs.set_state(job.id, JobState.CLOSED, [JobState.OPEN]):
        await _end_bidding(tx, svc, job, JobState.CLOSED, "notify.job_closed_bidder")


async def expire_job(tx: Tx, svc: Services, job_id: int) -> bool:
    """Timer: the bidding window ended with no hire."""
    job = await tx.jobs.get(job_id)
    if job is None or job.state != JobState.OPEN or job.bidding_ends_at > tx.now:
        return False
    if not await tx.jobs.set_state(job.id, JobState.EXPIRED, [JobState.OPEN]):
        return False
    await _end_bidding(tx, svc, job, JobState.EXPIRED, "notify.job_expired_bidder")
    await tx.outbox.add(job.client_id, "notify.job_expired_client", {"job": job.id})
    return True


async def nudge_job(tx: Tx, svc: Services, job_id: int) -> bool:
    """Timer: bidding closes soon, there are bids and no hire: remind the client."""
    job = await tx.jobs.get(job_id)
    if job is None or job.state != JobState.OPEN or job.bidding_ends_at <= tx.now:
        return False  # no reminder about a window that has already closed
    count = await tx.bids.count_live(job.id)
    if count == 0:
        return False
    await tx.outbox.add(
        job.client_id,
        "notify.job_nudge",
        {"job": job.id, "bids": count, "ends_at": job.bidding_ends_at},
    )
    return True


@dataclass(frozen=True)
class JobView:
    job: Job
    client: User
    bid_count: int
    client_rating: float | None
    client_rating_count: int
    brief: str | None = None  # the private brief, when the viewer may read it
    client_trust: Trust | None = None  # hire rate and payment record, shown to bidders


async def view_job(svc: Services, job_id: int, viewer: int | None = None) -> JobView:
    """A job's card data; the private brief only for its client and a shortlisted bidder
    past the NDA (rules.brief_visible), so they find it on the card, not only in a message;
    the client's trust signals for bidders."""
    from bot.services.profiles import stats_of

    async with svc.read() as tx:
        job = await job_or_404(tx, job_id)
        await user_or_404(tx, job.client_id)
        client = await stats_of(tx, svc, job.client_id)
        bid = None if viewer is None else await tx.bids.live_for(job.id, viewer)
        if job.is_private and viewer != job.client_id and bid is None:
            raise NotFound("job.not_found", job=job_id)  # a direct offer's: its two people
        brief = job.brief if rules.brief_visible(job, viewer, bid) else None
        return JobView(
            job,
            client.user,
            await tx.bids.count_placed(job.id),
            client.rating_avg,
            client.rating_count,
            brief=brief,
            client_trust=client.trust,
        )


async def job_files(svc: Services, job_id: int) -> list[dict[str, Any]]:
    """The files the client attached to a job: public like its card (the private brief is
    the place for what only shortlisted freelancers may see)."""
    async with svc.read() as tx:
        return list((await job_or_404(tx, job_id)).files)


async def list_open_jobs(
    svc: Services,
    query: str = "",
    limit: int = 10,
    offset: int = 0,
    budget: tuple[int | None, int | None] | None = None,
) -> list[Job]:
    """Open jobs newest first; `query` is a category id and/or words; `budget` (minor units
    of today's CURRENCY, either end open) keeps the jobs whose budget meets that range."""
    from bot.domain.categories import CATEGORIES

    words = [w for w in rules.clean_text(query).lower().split() if w][:5]
    category = None
    if words and words[0] in CATEGORIES:
        category = words.pop(0)
    async with svc.read() as tx:
        wanted = None if budget is None else (*budget, svc.settings.currency)
        return await tx.jobs.search_open(category, words, limit, offset, budget=wanted)


async def my_jobs(svc: Services, actor: int) -> list[tuple[Job, int]]:
    async with svc.read() as tx:
        jobs = await tx.jobs.by_client(actor)
        return [(job, await tx.bids.count_placed(job.id)) for job in jobs]
