"""Job alerts as people see them: the `/alerts` list, and the outbox rows `alert.job` (one new
job, at once) and `alert.digest` (the day's jobs in one message), rendered when sent.

A row is skipped when sending it would be wrong by then: its job no longer open, its search
stopped ("Stop these alerts" was pressed after it was queued), its person banned.
"""

from __future__ import annotations

from typing import Any

from bot.i18n import Markup
from bot.notify import Outgoing
from bot.storage.alerts import AlertsRepo, Search
from bot.text import clip
from bot.views.cards import Fmt, Rows, budget, category, tr
from bot.views.note import Note, renders

DESCRIPTION_PREVIEW = 400
DIGEST_SHOWN = 30  # jobs listed in one digest (the rest: /jobs)


def search_summary(fmt: Fmt, search: Search) -> Markup:
    """`Design · “logo” · from 150 ⭐ · in Russian · at once`."""
    parts = [category(fmt, search.category) if search.category else fmt.t("alerts-any-category")]
    if search.words:
        parts.append(fmt.t("alerts-words", words=search.words))
    if search.min_budget is not None and search.currency:
        money = Markup(fmt.money(search.min_budget, search.currency))
        parts.append(fmt.t("alerts-min-budget", budget=money))
    if search.language:
        parts.append(fmt.t(f"alerts-language-{search.language}"))
    parts.append(fmt.t(f"alerts-mode-{search.mode}"))
    return Markup(" · ".join(parts))


def alerts_list(fmt: Fmt, searches: list[Search], per_day: int, most: int) -> tuple[str, Rows]:
    """The `/alerts` card: each live search with Stop and a switch of its delivery."""
    rows: Rows = []
    if not searches:
        text = tr(fmt, "alerts-empty", per_day=per_day)
    else:
        lines = [tr(fmt, "alerts-title", count=len(searches), most=most)]
        for s in searches:
            lines.append(tr(fmt, "alerts-line", alert=s.id, summary=search_summary(fmt, s)))
            other = "digest" if s.mode == "instant" else "instant"
            rows.append(
                [
                    (tr(fmt, "alerts-btn-stop-n", alert=s.id), ("cb", "al_stop", s.id, "list")),
                    (tr(fmt, f"alerts-btn-to-{other}", alert=s.id), ("cb", "al_mode", s.id, other)),
                ]
            )
        lines += ["", tr(fmt, "alerts-footer", per_day=per_day)]
        text = "\n".join(lines)
    if len(searches) < most:
        rows.append([(tr(fmt, "alerts-btn-new"), ("cb", "al_new"))])
    return text, rows


# --- the outbox rows ----------------------------------------------------------------------------


async def _live_search(n: Note, search_id: Any) -> Search | None:
    if not isinstance(search_id, int):
        return None
    search = await AlertsRepo(n.tx).get(search_id)
    return search if search is not None and search.live else None


async def _may_tell(n: Note) -> bool:
    user = await n.user(n.chat_id)
    return user is not None and not user.banned


@renders("alert.job")
async def alert_job(n: Note) -> Outgoing:
    job = await n.job()
    search = await _live_search(n, n.params.get("search"))
    if job is None or job.state != "open" or search is None or not await _may_tell(n):
        return Outgoing(skip=True)
    text = "\n".join(
        [
            tr(n, "alert-job-head", alert=search.id, summary=search_summary(n, search)),
            tr(n, "alert-job-title", job=job.id, title=job.title),
            tr(
                n,
                "alert-job-facts",
                category=category(n, job.category),
                budget=budget(n, job),
                deadline=Markup(n.when(job.deadline_at)),
            ),
            "",
            tr(n, "alert-job-description", text=clip(job.description, DESCRIPTION_PREVIEW)),
        ]
    )
    rows = [
        [
            (tr(n, "alert-btn-bid"), ("cb", "bid", job.id)),
            (tr(n, "alert-btn-open"), ("cb", "job", job.id)),
        ],
        [(tr(n, "alerts-btn-stop"), ("cb", "al_stop", search.id))],
    ]
    return Outgoing(text, rows)


@renders("alert.digest")
async def alert_digest(n: Note) -> Outgoing:
    """`jobs` and `searches` are parallel: each job and the search that found it."""
    if not await _may_tell(n):
        return Outgoing(skip=True)
    jobs = []
    live: dict[int, Search] = {}
    for job_id, search_id in zip(
        n.params.get("jobs") or [], n.params.get("searches") or [], strict=False
    ):
        search = live.get(search_id) or await _live_search(n, search_id)
        job = await n.tx.jobs.get(int(job_id))
        if search is not None and job is not None and job.state == "open":
            live[search.id] = search
            jobs.append(job)
    if not jobs:
        return Outgoing(skip=True)
    lines = [tr(n, "alert-digest-head", count=len(jobs))]
    rows: Rows = []
    for job in jobs[:DIGEST_SHOWN]:
        lines.append(
            tr(
                n,
                "alert-digest-line",
                job=job.id,
                title=clip(job.title, 60),
                category=category(n, job.category),
                budget=budget(n, job),
            )
        )
        rows.append([(tr(n, "alert-btn-bid-on", job=job.id), ("cb", "bid", job.id))])
    if len(jobs) > DIGEST_SHOWN:
        lines.append(tr(n, "alert-digest-more", count=len(jobs) - DIGEST_SHOWN))
    lines += ["", tr(n, "alert-digest-searches")]
    for search in live.values():
        lines.append(tr(n, "alerts-line", alert=search.id, summary=search_summary(n, search)))
        rows.append([(tr(n, "alerts-btn-stop-n", alert=search.id), ("cb", "al_stop", search.id))])
    return Outgoing("\n".join(lines), rows)
