"""/repost <job>: a closed or expired job posted again as a new job, every answer kept.

The job's answers become a draft of the posting flow (bot.flows.post_job), which opens at
its preview with Publish, Edit and Cancel: nothing is written until Publish, which posts a
new job (a new number, a new bidding window) through services.jobs.post_job like any other.
Only the job's client may, and only for a closed or expired job (one sentence otherwise).

A deadline that has passed, or is nearer than MIN_DEADLINE, is moved as far ahead of now as
it was ahead of the old job's posting (the person is told); a budget in another currency than
today's CURRENCY is asked again at Publish (services.jobs.post_job refuses it).
"""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.domain.models import Job
from bot.flows import post_job
from bot.flows.common import end_other_flows
from bot.handlers.base import MarketContext, args_of, handler, int_arg, me
from bot.i18n import Markup
from bot.services import jobs


def draft_of(job: Job, now: int, min_deadline: int) -> tuple[dict[str, Any], bool]:
    """The posting flow's draft of `job`, and whether its deadline had to move."""
    deadline = job.deadline_at
    moved = deadline - now < min_deadline
    if moved:
        deadline = now + max(job.deadline_at - job.created_at, min_deadline)
    draft: dict[str, Any] = {
        "step": "preview",
        "category": job.category,
        "title": job.title,
        "description": job.description,
        "answers": dict(job.answers),
        "budget_min": job.budget_min,
        "budget_max": job.budget_max,
        "currency": job.currency,
        "deadline_at": deadline,
        "brief": job.brief,
        "nda": bool(job.brief and job.nda_required),
        "nda_text": job.nda_text,
        "files": [dict(f) for f in job.files],
        "complete": True,  # every step is answered: Edit leads back to the preview
        "reposted": job.id,
    }
    return draft, moved


@handler
async def command(update: Update, context: MarketContext) -> object:
    args = args_of(context)
    job_id = int_arg(args[0] if args else None, "args.repost")
    job = await jobs.job_to_repost(context.svc, me(update), job_id)  # refusals: one sentence
    await end_other_flows(update, context, post_job.NAME)
    settings = context.svc.settings
    d, moved = draft_of(job, context.svc.clock.now(), settings.min_deadline)
    context.user_data[post_job.KEY] = d
    intro = context.t("repost-intro", job=str(job.id))
    if moved:
        deadline = Markup(context.when(d["deadline_at"]))
        intro += "\n" + context.t("repost-deadline-moved", deadline=deadline)
    return await post_job.ask(update, context, d, "preview", error=intro)
