"""Inline mode's results: one open job each, as the person typing `@bot words` sees it in the
list (title, and a line with category, budget and deadline) and as the message it posts
into their chat (the job's facts, with a button to its card in the bot and one to bid:
deep links, since the chat may be one the bot is not in)."""

from __future__ import annotations

import html as _html
from dataclasses import dataclass

from bot.domain.durations import utc_text
from bot.domain.models import Job
from bot.text import clip
from bot.views.cards import Fmt, Rows, budget, category, tr

DESCRIPTION_PREVIEW = 300


@dataclass(frozen=True)
class Result:
    id: str
    title: str
    description: str  # plain text, under the title in the list
    html: str  # the message the chosen result posts
    rows: Rows


def deep_link(bot_username: str, payload: str) -> str:
    return f"https://t.me/{bot_username}?start={payload}"


def job_result(fmt: Fmt, job: Job, bot_username: str) -> Result:
    facts = tr(
        fmt,
        "inline-job-facts",
        category=category(fmt, job.category),
        budget=budget(fmt, job),
        deadline=utc_text(job.deadline_at)[:10],
    )
    message = "\n".join(
        [
            tr(fmt, "inline-job-title", job=job.id, title=job.title),
            facts,
            "",
            tr(fmt, "inline-job-description", text=clip(job.description, DESCRIPTION_PREVIEW)),
        ]
    )
    rows: Rows = [
        [
            (
                tr(fmt, "inline-btn-open", job=job.id),
                ("url", deep_link(bot_username, f"job_{job.id}")),
            ),
            (tr(fmt, "inline-btn-bid"), ("url", deep_link(bot_username, f"bid_{job.id}"))),
        ]
    ]
    return Result(
        id=f"job_{job.id}",
        # The list shows plain text: the translations' escaping is undone there.
        title=_html.unescape(tr(fmt, "inline-result-title", job=job.id, title=job.title)),
        description=_html.unescape(facts),
        html=message,
        rows=rows,
    )
