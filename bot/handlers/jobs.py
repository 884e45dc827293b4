"""Browsing jobs (/jobs, /job, the job card) and the client's own jobs (/myjobs, /closejob).

The job card's Bid button (action "bid") belongs to the bid flow, which uses it as its entry
point; this module only draws it.
"""

from __future__ import annotations

import hashlib
import re

from telegram import Update

from bot.domain import rules
from bot.domain.categories import CATEGORIES
from bot.handlers.base import MarketContext, args_of, handler, int_arg, me
from bot.handlers.callbacks import button
from bot.pacing import REPLY_RETRIES
from bot.services import jobs
from bot.text import clip
from bot.views import cards
from bot.views.miniapp import app_row
from bot.views.pages import PAGE_SIZE, page_arg, page_of, page_of_fetch

QUERY_MAX = 100  # characters of a /jobs filter
QUERIES_KEPT = 20  # /jobs filters remembered per person for their ◀ ▶ buttons


# --- /job and the card ----------------------------------------------------------------------


async def send_job_card(
    update: Update, context: MarketContext, job_id: int, *, edit: bool = False
) -> None:
    view = await jobs.view_job(context.svc, job_id, me(update))
    # Its buttons are drawn for the job as it is now, and not followed afterwards: a job card
    # is seen by many, and redrawing each at every change of the job would take the send
    # budget from everyone; an old Bid or Ask answers with one sentence.
    html, rows = cards.job_card(context, view, me(update), context.svc.clock.now())
    url = context.svc.settings.miniapp_url
    rows = rows + app_row(url, context.t("miniapp-btn-open"), job=job_id)
    await context.say(update, html, rows, edit=edit)


@handler
async def show_job(update: Update, context: MarketContext) -> None:
    args = args_of(context)
    await send_job_card(update, context, int_arg(args[0] if args else None, "args.job"))


@button("job")
async def job_button(update: Update, context: MarketContext, args: list[str]) -> None:
    await send_job_card(update, context, int_arg(args[0] if args else None, "args.job"))


@button("job_files")
async def job_files_button(update: Update, context: MarketContext, args: list[str]) -> None:
    """The job card's Files button: each file of the job, as it was attached."""
    job_id = int_arg(args[0] if args else None, "args.job")
    files = await jobs.job_files(context.svc, job_id)
    chat = update.effective_chat
    if chat is None:
        return
    for f in files:  # a job's files never change after it is posted
        send = context.bot.send_photo if f.get("kind") == "photo" else context.bot.send_document
        await send(chat.id, f["file_id"], rate_limit_args=REPLY_RETRIES)


# --- /jobs ----------------------------------------------------------------------------------


def _query_token(context: MarketContext, query: str) -> str:
    """A short token for a filter, so its ◀ ▶ buttons fit in Telegram's 64 bytes."""
    if not query:
        return ""
    token = hashlib.sha256(query.encode()).hexdigest()[:10]
    saved: dict[str, str] = context.user_data.setdefault("jobs_queries", {})
    saved.pop(token, None)
    saved[token] = query
    while len(saved) > QUERIES_KEPT:
        saved.pop(next(iter(saved)))
    return token


async def _send_jobs(
    update: Update, context: MarketContext, query: str, token: str, number: int, edit: bool
) -> None:
    found = await jobs.list_open_jobs(
        context.svc,
        _category_first(context, query),
        limit=PAGE_SIZE + 1,
        offset=number * PAGE_SIZE,
    )
    page = page_of_fetch(found, number)
    html, rows = cards.jobs_list(context, page, query, token)
    await context.say(update, html, rows, edit=edit)


def _category_first(context: MarketContext, query: str) -> str:
    """`/jobs Design logo` or `/jobs дизайн`: a category named in the reader's language
    becomes its id, which the search takes as the category filter."""
    low = query.lower()
    for cid in CATEGORIES:
        label = re.sub(r"^\W+", "", context.t(f"category-{cid}").lower()).strip()
        if label and (low == label or low.startswith(label + " ")):
            return f"{cid} {query[len(label) :]}".strip()
    return query


@handler
async def list_jobs(update: Update, context: MarketContext) -> None:
    query = clip(rules.clean_text(" ".join(args_of(context))), QUERY_MAX)
    await _send_jobs(update, context, query, _query_token(context, query), 0, edit=False)


@button("jobs")
async def jobs_page(update: Update, context: MarketContext, args: list[str]) -> None:
    token, number = [*args, "", ""][:2]
    query = context.user_data.get("jobs_queries", {}).get(token, "") if token else ""
    if token and not query:
        await context.refuse(update, context.t("button-expired"))
        return
    await _send_jobs(update, context, query, token, page_arg(number), edit=True)


# --- the client's jobs ----------------------------------------------------------------------


async def _send_my_jobs(update: Update, context: MarketContext, number: int, edit: bool) -> None:
    page = page_of(await jobs.my_jobs(context.svc, me(update)), number)
    html, rows = cards.my_jobs_list(context, page)
    await context.say(update, html, rows, edit=edit)


@handler
async def my_jobs(update: Update, context: MarketContext) -> None:
    await _send_my_jobs(update, context, 0, edit=False)


@button("myjobs")
async def my_jobs_page(update: Update, context: MarketContext, args: list[str]) -> None:
    await _send_my_jobs(update, context, page_arg((args or [""])[0]), edit=True)


@handler
async def close_job(update: Update, context: MarketContext) -> None:
    args = args_of(context)
    job_id = int_arg(args[0] if args else None, "args.closejob")
    job = await jobs.close_job(context.svc, me(update), job_id)
    await context.say(update, cards.tr(context, "job-closed", job=job.id))
