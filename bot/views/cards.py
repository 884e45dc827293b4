"""Cards and lists: pure functions from service data to (html, keyboard rows).

They take a formatter `fmt` (the handler's context: `t`, `money`, `when`, `locale`), so they
render in the reader's language and can be tested without Telegram. Every text a person
typed reaches the HTML only as a Fluent parameter, which escapes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from babel.numbers import format_decimal

from bot.domain.categories import get_category
from bot.domain.errors import InvalidInput
from bot.domain.models import Bid, Job, ProfileStats
from bot.domain.states import BidState, JobState
from bot.domain.trust import Trust, percent
from bot.i18n import Markup, id_params
from bot.services.jobs import JobView
from bot.services.payouts import Balance
from bot.text import clip
from bot.views.pages import Page, with_nav

Button = tuple[str, tuple[Any, ...]]
Rows = list[list[Button]]
Card = tuple[str, Rows]

BID_SORTS = ("price", "rating", "experience")
COVER_PREVIEW = 160
TRIAL_PREVIEW = 300
TITLE_PREVIEW = 60


class Fmt(Protocol):
    locale: str

    def t(self, key: str, **params: Any) -> str: ...

    def money(self, minor: int, currency: str) -> str: ...

    def when(self, epoch: int) -> str: ...


def tr(fmt: Fmt, key: str, **params: Any) -> str:
    """`fmt.t` with entity numbers shown as-is (`Job #1234`, never `Job #1,234`)."""
    return fmt.t(key, **id_params(params))


def day(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


def budget(fmt: Fmt, job: Job) -> Markup:
    if job.budget_min == job.budget_max:
        return Markup(fmt.money(job.budget_min, job.currency))
    low = fmt.money(job.budget_min, job.currency)
    return Markup(f"{low} – {fmt.money(job.budget_max, job.currency)}")


def rating(fmt: Fmt, avg: float | None, count: int) -> Markup:
    if avg is None or count == 0:
        return Markup(tr(fmt, "rating-none"))
    stars = format_decimal(avg, format="0.0", locale=fmt.locale)
    return Markup(tr(fmt, "rating", avg=stars, count=count))


def category(fmt: Fmt, category_id: str) -> Markup:
    """The category's label (the posting flow's `category-<id>` messages)."""
    return Markup(fmt.t(f"category-{category_id}"))


def job_state(fmt: Fmt, state: JobState | str) -> Markup:
    return Markup(fmt.t(f"job-state-{state}"))


def bid_state(fmt: Fmt, state: BidState | str) -> Markup:
    return Markup(fmt.t(f"bid-state-{state}"))


# --- summaries ------------------------------------------------------------------------------


def person_name(fmt: Fmt, stats: ProfileStats) -> Markup:
    user = stats.user
    if user.username:
        return Markup(
            tr(fmt, "person-name-username", name=user.display_name, username=user.username)
        )
    return Markup(tr(fmt, "person-name", name=user.display_name))


def summary(fmt: Fmt, stats: ProfileStats) -> Markup:
    """`★ 4.8 (12) · 7 jobs done · member since 2025-03-01`."""
    return Markup(
        tr(
            fmt,
            "summary-line",
            rating=rating(fmt, stats.rating_avg, stats.rating_count),
            done=stats.completed_deals,
            since=day(stats.user.created_at),
        )
    )


def _rate(fmt: Fmt, rate: float | None) -> Markup:
    if rate is None:
        return Markup(tr(fmt, "trust-rate-none"))
    return Markup(tr(fmt, "trust-rate", pct=percent(rate)))


def trust_freelancer(fmt: Fmt, stats: ProfileStats) -> Markup:
    """`🏅 Top rated · completed 80% (4/5) · on time 75% · disputes lost: 1` (the rules:
    bot.domain.trust)."""
    t = stats.trust
    if t is None or not t.as_freelancer:
        return Markup(tr(fmt, "trust-freelancer-new"))
    line = tr(
        fmt,
        "trust-freelancer",
        completion=_rate(fmt, t.completion_rate),
        released=t.released,
        funded=t.funded_ended,
        ontime=_rate(fmt, t.on_time_rate),
        lost=t.disputes_lost,
    )
    if t.top_rated:
        line = tr(fmt, "trust-top-rated") + " · " + line
    return Markup(line)


def trust_client(fmt: Fmt, t: Trust | None) -> Markup:
    """`hired on 50% of jobs (1/2) · paid 3 of 3 accepted bids · disputes lost: 0`."""
    if t is None or not t.as_client:
        return Markup(tr(fmt, "trust-client-new"))
    return Markup(
        tr(
            fmt,
            "trust-client",
            hire=_rate(fmt, t.hire_rate),
            hired=t.jobs_hired,
            jobs=t.jobs_closed,
            paid=t.deals_paid,
            owed=t.deals_owed,
            lost=t.client_disputes_lost,
        )
    )


# --- jobs -----------------------------------------------------------------------------------


def answer_text(fmt: Fmt, value: Any) -> str:
    """A category answer as shown: yes/no in the reader's language, else as typed."""
    if isinstance(value, bool):
        return fmt.t("flow-yes" if value else "flow-no")
    return str(value)


def job_details(fmt: Fmt, job: Job) -> list[str]:
    """The category's answers, one labelled line each (the question, in the reader's
    language, in the category's order), as the preview showed them."""
    try:
        questions = get_category(job.category).questions
    except InvalidInput:  # a category that is gone: its answers by their ids
        questions = ()
    known = [q.id for q in questions if q.id in job.answers]
    lines = []
    for qid in [*known, *(k for k in job.answers if k not in known)]:
        key = f"question-{job.category}-{qid}"
        label = fmt.t(key) if qid in known else qid
        lines.append(
            tr(
                fmt,
                "job-card-answer",
                question=Markup(label),
                answer=answer_text(fmt, job.answers[qid]),
            )
        )
    return [tr(fmt, "job-card-details"), *lines] if lines else []


def job_files_line(fmt: Fmt, job: Job) -> str | None:
    """`📎 2 files: spec.pdf, photo.jpg` (the Files button sends them)."""
    if not job.files:
        return None
    photo, other = fmt.t("job-card-file-photo"), fmt.t("job-card-file-other")
    names = ", ".join(
        str(f.get("name") or (photo if f.get("kind") == "photo" else other)) for f in job.files
    )
    return tr(fmt, "job-card-files", count=len(job.files), names=names)


def job_card(fmt: Fmt, view: JobView, viewer: int | None = None, now: int | None = None) -> Card:
    """The card of `/job` and `/start job_<id>`: what the client's preview showed (the
    category's answers, the files: a button sends them; the private brief to whoever may
    read it), buttons Bid and Ask (the client gets Bids). The bid count is every bid placed
    and not withdrawn (BID_PLACED)."""
    job = view.job
    parts = [
        tr(fmt, "job-card-title", job=job.id, title=job.title),
        tr(fmt, "job-card-category", category=category(fmt, job.category)),
        tr(fmt, "job-card-budget", budget=budget(fmt, job)),
        tr(fmt, "job-card-deadline", deadline=Markup(fmt.when(job.deadline_at))),
        tr(
            fmt,
            "job-card-client",
            name=view.client.display_name,
            rating=rating(fmt, view.client_rating, view.client_rating_count),
        ),
        trust_client(fmt, view.client_trust),
        tr(fmt, "job-card-bids", count=view.bid_count),
    ]
    if job.state != JobState.OPEN:
        parts.append(tr(fmt, "job-card-state", state=job_state(fmt, job.state)))
    elif job.nda_required:
        parts.append(tr(fmt, "job-card-nda"))
    html = "\n".join(parts) + "\n\n" + tr(fmt, "job-card-description", text=job.description)
    details = job_details(fmt, job)
    if details:
        html += "\n\n" + "\n".join(details)
    files = job_files_line(fmt, job)
    if files:
        html += "\n\n" + files
    if view.brief:
        key = "job-card-brief-client" if viewer == job.client_id else "job-card-brief-shortlisted"
        html += "\n\n" + tr(fmt, key, text=view.brief)
    rows: Rows = []
    if job.files:
        rows.append([(tr(fmt, "job-btn-files", count=len(job.files)), ("cb", "job_files", job.id))])
    return html, rows + job_card_rows(fmt, job, view.bid_count, viewer, now)


def job_card_rows(
    fmt: Fmt, job: Job, bid_count: int, viewer: int | None, now: int | None = None
) -> Rows:
    """The client: Bids. Anyone else: Bid while the job takes bids, Ask while it is open or
    hiring (what the services allow)."""
    if viewer == job.client_id:
        return [[(tr(fmt, "job-btn-bids", count=bid_count), ("cb", "bids", job.id))]]
    row: list[Button] = []
    if job.state == JobState.OPEN and (now is None or job.bidding_ends_at > now):
        row.append((tr(fmt, "job-btn-bid"), ("cb", "bid", job.id)))
    if job.state in (JobState.OPEN, JobState.HIRING):
        row.append((tr(fmt, "job-btn-ask"), ("cb", "ask_help", job.id)))
    return [row] if row else []


def jobs_list(fmt: Fmt, page: Page[Job], query: str, query_token: str) -> Card:
    """`/jobs`: open jobs newest first, one button per job, ◀ ▶ between pages."""
    head = tr(fmt, "jobs-head-filtered", query=query) if query else tr(fmt, "jobs-head")
    if not page.items:
        empty = tr(fmt, "jobs-empty-filtered", query=query) if query else tr(fmt, "jobs-empty")
        return empty, []
    lines = [
        tr(
            fmt,
            "jobs-line",
            job=job.id,
            title=clip(job.title, TITLE_PREVIEW),
            category=category(fmt, job.category),
            budget=budget(fmt, job),
        )
        for job in page.items
    ]
    rows: Rows = []
    buttons = [(tr(fmt, "btn-job", job=job.id), ("cb", "job", job.id)) for job in page.items]
    rows.extend(buttons[i : i + 5] for i in range(0, len(buttons), 5))
    return _with_page(fmt, head, lines, page), with_nav(rows, page, "jobs", query_token)


def my_jobs_list(fmt: Fmt, page: Page[tuple[Job, int]]) -> Card:
    """`/myjobs`: the client's jobs with state and bid count."""
    if not page.items:
        return tr(fmt, "myjobs-empty"), []
    lines = [
        tr(
            fmt,
            "myjobs-line",
            job=job.id,
            title=clip(job.title, TITLE_PREVIEW),
            state=job_state(fmt, job.state),
            count=count,
        )
        for job, count in page.items
    ]
    buttons = [
        (tr(fmt, "btn-job-bids", job=job.id, count=count), ("cb", "bids", job.id))
        for job, count in page.items
        if count
    ]
    rows: Rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    return _with_page(fmt, tr(fmt, "myjobs-head"), lines, page), with_nav(rows, page, "myjobs")


# --- bids -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BidRow:
    """A bid as its client sees it: the bid, the freelancer's record, and whether the client
    hired them before."""

    bid: Bid
    freelancer: ProfileStats
    hired_before: bool = False
    trial: dict[str, Any] | None = None  # the bid's latest trial (bids.bids_on_job)


def sort_bids(rows: Sequence[BidRow], how: str) -> list[BidRow]:
    """price: cheapest first; rating: best first (unrated last); experience: most completed
    deals, then years of experience. Ties keep the order of arrival."""
    if how == "price":
        return sorted(rows, key=lambda r: (r.bid.amount, r.bid.days, r.bid.id))
    if how == "rating":
        return sorted(
            rows,
            key=lambda r: (
                r.freelancer.rating_avg is None,
                -(r.freelancer.rating_avg or 0),
                -r.freelancer.rating_count,
                r.bid.id,
            ),
        )
    if how == "experience":
        return sorted(
            rows,
            key=lambda r: (
                -r.freelancer.completed_deals,
                -(r.freelancer.user.experience_years or 0),
                r.bid.id,
            ),
        )
    return list(rows)


def bid_line(fmt: Fmt, row: BidRow, currency: str) -> str:
    """One bid in the client's list: who, how much, how fast, their record, the marks."""
    bid, stats = row.bid, row.freelancer
    marks = []
    if row.hired_before:
        marks.append(tr(fmt, "bid-mark-hired-before"))
    if bid.shortlisted_at is not None:
        marks.append(tr(fmt, "bid-mark-shortlisted"))
    if bid.nda_accepted_at is not None:
        marks.append(tr(fmt, "bid-mark-nda", at=Markup(fmt.when(bid.nda_accepted_at))))
    if bid.state != BidState.ACTIVE:
        marks.append(bid_state(fmt, bid.state))
    lines = [
        tr(
            fmt,
            "bid-line",
            bid=bid.id,
            name=person_name(fmt, stats),
            amount=Markup(fmt.money(bid.amount, currency)),
            days=bid.days,
        ),
        summary(fmt, stats),
        trust_freelancer(fmt, stats),
    ]
    if marks:
        lines.append(" · ".join(marks))
    if bid.cover:
        lines.append(tr(fmt, "bid-cover", text=clip(bid.cover, COVER_PREVIEW)))
    if row.trial is not None:
        lines.extend(trial_lines(fmt, row.trial))
    return "\n".join(lines)


def trial_lines(fmt: Fmt, trial: dict[str, Any]) -> list[str]:
    """A bid's trial under it: the task and its state, then the result and its files."""
    state = Markup(fmt.t("bid-trial-state", state=str(trial["state"])))
    task = clip(str(trial["task"]), TRIAL_PREVIEW)
    lines = [tr(fmt, "bid-trial", trial=trial["id"], state=state, task=task)]
    if trial["state"] == "submitted":
        if trial.get("result"):
            lines.append(tr(fmt, "bid-trial-result", text=clip(trial["result"], TRIAL_PREVIEW)))
        if trial.get("files"):
            lines.append(tr(fmt, "bid-trial-files", count=len(trial["files"])))
    return lines


def bids_list(fmt: Fmt, job: Job, page: Page[BidRow], sort: str, now: int | None = None) -> Card:
    """`/bids <job>`: buttons per bid (Shortlist, Message, Trial, Accept, Decline), the sort
    buttons, and ◀ ▶."""
    if not page.items:
        return tr(fmt, "bids-empty", job=job.id, title=job.title), []
    head = tr(fmt, "bids-head", job=job.id, title=job.title)
    if sort in BID_SORTS:
        head += "\n" + tr(fmt, "bids-sorted", sort=Markup(fmt.t(f"bids-sort-{sort}")))
    lines = [bid_line(fmt, row, job.currency) for row in page.items]
    items = [(row.bid, row.trial) for row in page.items]
    return _with_page(fmt, head, lines, page, sep="\n\n"), bids_keyboard(
        fmt, job, items, sort, page, now
    )


def bid_buttons(
    fmt: Fmt, job: Job, bid: Bid, trial: dict[str, Any] | None, now: int | None = None
) -> Rows:
    """One bid's buttons in its client's list, each only where the services allow it:
    Shortlist before a shortlist, Trial after it (none open yet), Accept while the job can
    hire, Message and Decline while the bid is active."""
    if bid.state != BidState.ACTIVE:
        return []
    first: list[Button] = []
    if bid.shortlisted_at is None:
        first.append((tr(fmt, "btn-shortlist", bid=bid.id), ("cb", "shortlist", bid.id)))
    first.append((tr(fmt, "btn-message", bid=bid.id), ("cb", "msg_help", bid.id)))
    trial_open = trial is not None and trial["state"] in ("requested", "accepted")
    if bid.shortlisted_at is not None and not trial_open:
        first.append((tr(fmt, "btn-trial", bid=bid.id), ("cb", "trial_help", bid.id)))
    second: list[Button] = []
    if job.state == JobState.OPEN and (now is None or job.bidding_ends_at > now):
        second.append((tr(fmt, "btn-accept", bid=bid.id), ("cb", "accept", bid.id)))
    second.append((tr(fmt, "btn-decline", bid=bid.id), ("cb", "decline", bid.id)))
    if trial is not None and trial["state"] == "submitted":
        second.append(
            (tr(fmt, "btn-trial-result", trial=trial["id"]), ("cb", "trial_view", trial["id"]))
        )
    return [first, second]


def bids_keyboard(
    fmt: Fmt,
    job: Job,
    items: Sequence[tuple[Bid, dict[str, Any] | None]],
    sort: str,
    page: Page[Any],
    now: int | None = None,
) -> Rows:
    """The buttons of a page of `/bids`: each bid's, then the sort buttons and ◀ ▶."""
    rows: Rows = []
    for bid, trial in items:
        rows.extend(bid_buttons(fmt, job, bid, trial, now))
    sorts: list[Button] = []
    for how in BID_SORTS:
        label = fmt.t(f"bids-sort-{how}")
        if how == sort:
            label = f"• {label}"
        sorts.append((label, ("cb", "bids", job.id, how, 0)))
    rows.append(sorts)
    return with_nav(rows, page, "bids", job.id, sort)


def my_bids_list(fmt: Fmt, page: Page[tuple[Bid, Job]]) -> Card:
    """`/mybids`: the freelancer's bids with their state."""
    if not page.items:
        return tr(fmt, "mybids-empty"), []
    lines = []
    for bid, job in page.items:
        line = tr(
            fmt,
            "mybids-line",
            bid=bid.id,
            job=job.id,
            title=clip(job.title, TITLE_PREVIEW),
            amount=Markup(fmt.money(bid.amount, job.currency)),
            days=bid.days,
            state=bid_state(fmt, bid.state),
        )
        if bid.shortlisted_at is not None and bid.state == BidState.ACTIVE:
            line += " · " + tr(fmt, "bid-mark-shortlisted")
        lines.append(line)
    return _with_page(fmt, tr(fmt, "mybids-head"), lines, page), with_nav([], page, "mybids")


# --- people ---------------------------------------------------------------------------------


def profile_card(fmt: Fmt, stats: ProfileStats, own: bool = False) -> str:
    """SPEC section 5: name, bio, skills, years, portfolio, member since, completed deals,
    rating and count, the last three reviews, disputes lost."""
    user = stats.user
    parts = [tr(fmt, "profile-title", name=person_name(fmt, stats), user=user.id)]
    if user.banned:
        parts.append(tr(fmt, "profile-banned"))
    if user.bio:
        parts.append(tr(fmt, "profile-bio", text=user.bio))
    if user.skills:
        parts.append(tr(fmt, "profile-skills", text=user.skills))
    if user.experience_years is not None:
        parts.append(tr(fmt, "profile-years", years=user.experience_years))
    if user.portfolio:
        links = "\n".join(tr(fmt, "profile-link", url=link) for link in user.portfolio)
        parts.append(tr(fmt, "profile-portfolio", links=Markup(links)))
    parts.append(tr(fmt, "profile-since", since=day(user.created_at)))
    parts.append(tr(fmt, "profile-deals", count=stats.completed_deals))
    parts.append(
        tr(fmt, "profile-rating", rating=rating(fmt, stats.rating_avg, stats.rating_count))
    )
    parts.append(tr(fmt, "profile-disputes-lost", count=stats.disputes_lost))
    t = stats.trust
    if t is None or t.as_freelancer or not t.as_client:
        parts.append(tr(fmt, "profile-as-freelancer", line=trust_freelancer(fmt, stats)))
    if t is not None and t.as_client:
        parts.append(tr(fmt, "profile-as-client", line=trust_client(fmt, t)))
    if stats.recent_reviews:
        reviews = [tr(fmt, "profile-reviews-head")]
        for review in stats.recent_reviews:
            key = "profile-review" if review.comment else "profile-review-bare"
            reviews.append(
                tr(
                    fmt,
                    key,
                    stars="★" * review.stars + "☆" * (5 - review.stars),
                    text=clip(review.comment, 300),
                    date=day(review.created_at),
                )
            )
        parts.append("\n".join(reviews))
    if own and not (user.bio or user.skills or user.portfolio):
        parts.append(tr(fmt, "profile-empty-hint"))
    return "\n".join(parts)


def favs_list(fmt: Fmt, page: Page[ProfileStats]) -> Card:
    if not page.items:
        return tr(fmt, "favs-empty"), []
    lines = [
        tr(fmt, "favs-line", name=person_name(fmt, stats), user=stats.user.id)
        + "\n"
        + summary(fmt, stats)
        for stats in page.items
    ]
    head = tr(fmt, "favs-head")
    offer = [  # a direct offer to each (bot.handlers.offers)
        [(tr(fmt, "btn-offer-to", name=stats.user.display_name), ("cb", "offer_to", stats.user.id))]
        for stats in page.items
    ]
    return _with_page(fmt, head, lines, page, sep="\n\n"), with_nav(offer, page, "favs")


def balance_card(fmt: Fmt, bals: Sequence[Balance]) -> str:
    """Each currency on its own (`$135.00 · 45 ⭐`), in the same order on both lines."""
    text = tr(
        fmt,
        "balance-card",
        available=Markup(" · ".join(fmt.money(b.available, b.currency) for b in bals)),
        pending=Markup(" · ".join(fmt.money(b.pending_payouts, b.currency) for b in bals)),
    )
    for r in (r for b in bals for r in b.refunding):
        text += "\n" + tr(
            fmt,
            "balance-refunding",
            amount=Markup(fmt.money(r.amount, r.currency)),
            deal=r.deal_id,
            since=Markup(fmt.when(r.created_at)),
        )
    for p in (p for b in bals for p in b.payouts):
        text += "\n" + tr(
            fmt,
            "balance-pending",
            payout=p.id,
            amount=Markup(fmt.money(p.amount, p.currency)),
            since=Markup(fmt.when(p.created_at)),
        )
    held = [b.currency for b in bals if b.available > 0]
    if len(held) > 1:
        text += "\n\n" + tr(fmt, "balance-hint-several", code=held[0])
    elif held:
        text += "\n\n" + tr(fmt, "balance-hint")
    return text


def _with_page(fmt: Fmt, head: str, lines: list[str], page: Page[Any], sep: str = "\n") -> str:
    text = head + "\n\n" + sep.join(lines)
    if page.paged:
        text += "\n\n" + tr(fmt, "page-number", page=page.number + 1)
    return text
