"""The deal card (/deal): parties, amount, state, deadlines, time log, revisions, and the
buttons the state allows for the person looking at it; and the moderators' whole history.

Rendering is context-free: it takes the loaded data, a formatter (anything with
`t(key, **params)`, `money(minor, currency)` and `when(epoch)`, such as the handler context)
and `now`. Loading is separate (bot.services.deal_cards.load_deal), so notifications and
tests can reuse both.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot.domain.milestones import Milestone, MilestoneState
from bot.domain.models import Deal, DealEvent, Job
from bot.domain.states import DealState
from bot.i18n import Markup, id_params
from bot.services.deal_cards import DealData
from bot.services.feedback import RATEABLE
from bot.text import clip

if TYPE_CHECKING:
    pass

Button = tuple[str, tuple[Any, ...]]
Rows = list[list[Button]]

# Events written by the state machine itself (actor unknown) that a richer event written by
# the service right after repeats; the history shows the richer one only.
_SHADOWED = {"deliver", "revise", "dispute", "resolve_release", "resolve_refund", "resolve_split"}
HISTORY_EVENTS_MAX = 60
WEEKS_SHOWN = 6


class Formatter(Protocol):
    def t(self, key: str, **params: Any) -> str: ...

    def money(self, minor: int, currency: str) -> str: ...

    def when(self, epoch: int) -> str: ...


# --- pieces ----------------------------------------------------------------------------------


def stamp(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M")


def tr(f: Formatter, key: str, **params: Any) -> str:
    """`f.t` with entity numbers shown as-is (`Deal #1234`, never `Deal #1,234`)."""
    return f.t(key, **id_params(params))


def hours(minutes: int) -> float | int:
    value = round(minutes / 60, 2)
    return int(value) if value == int(value) else value


def week_of(epoch: int) -> str:
    day = datetime.fromtimestamp(epoch, UTC).date()
    return (day - timedelta(days=day.weekday())).isoformat()


def time_summary(data: DealData, f: Formatter) -> list[str]:
    """Lines: the total per person, then per week (newest first) per person."""
    if not data.time_log:
        return []
    per_person: dict[int, int] = defaultdict(int)
    per_week: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for row in data.time_log:
        uid, minutes = int(row["user_id"]), int(row["minutes"])
        per_person[uid] += minutes
        per_week[week_of(int(row["created_at"]))][uid] += minutes

    def spread(totals: dict[int, int]) -> str:
        return ", ".join(
            tr(f, "deal-card-time-person", name=data.name(uid), hours=hours(m))
            for uid, m in sorted(totals.items(), key=lambda kv: -kv[1])
        )

    total = sum(per_person.values())
    lines = [
        tr(f, "deal-card-time-title", hours=hours(total)),
        tr(f, "deal-card-time-people", people=Markup(spread(per_person))),
    ]
    for week in sorted(per_week, reverse=True)[:WEEKS_SHOWN]:
        lines.append(tr(f, "deal-card-time-week", week=week, people=Markup(spread(per_week[week]))))
    return lines


def state_text(f: Formatter, state: str) -> str:
    return tr(f, "deal-state", state=str(state))


def stars_row(deal_id: int) -> list[Button]:
    return [(f"{n}⭐", ("cb", "rate", deal_id, n)) for n in range(1, 6)]


def review_row(f: Formatter, deal: Deal, max_revisions: int) -> list[Button]:
    """The client's answer to a delivery: Release, and Request changes while some are left."""
    row = [(tr(f, "deal-btn-release"), ("cb", "release", deal.id))]
    if deal.revisions < max_revisions:
        row.append((tr(f, "deal-btn-revise"), ("cb", "revise_hint", deal.id)))
    return row


def evidence_button(f: Formatter, deal_id: int) -> Button:
    return (tr(f, "deal-btn-evidence"), ("cb", "evidence_ask", deal_id))


def buttons_for(data: DealData, viewer: int, f: Formatter, now: int) -> Rows:
    """The actions the deal's state allows this person; the services check again on press."""
    d = data.deal
    role = d.party(viewer)
    rows: Rows = []
    if role is None:
        return rows
    if d.state == DealState.AWAITING_FUNDING:
        rows.append([(tr(f, "deal-btn-cancel-deal"), ("cb", "cancel_ask", d.id))])
    elif d.state == DealState.FUNDED:
        if role == "client":
            row = [(tr(f, "deal-btn-extend-1d"), ("cb", "extend1d", d.id))]
            if (d.due_at or now + 1) <= now:
                row.append((tr(f, "deal-btn-refund-now"), ("cb", "refundnow", d.id)))
            rows.append(row)
            if d.cancel_requested_at is None:
                rows.append([(tr(f, "deal-btn-cancel-deal"), ("cb", "cancel_ask", d.id))])
        else:
            rows.append([(tr(f, "deal-btn-deliver"), ("cb", "deliver_hint", d.id))])
            if d.cancel_requested_at is not None:
                rows.append(
                    [
                        (tr(f, "deal-btn-cancel-yes"), ("cb", "cancel_yes", d.id)),
                        (tr(f, "deal-btn-cancel-no"), ("cb", "cancel_no", d.id)),
                    ]
                )
            else:
                rows.append([(tr(f, "deal-btn-cancel-refund"), ("cb", "cancel_ask", d.id))])
        rows.append([(tr(f, "deal-btn-dispute"), ("cb", "dispute_hint", d.id))])
    elif d.state == DealState.DELIVERED:
        if role == "client":
            rows.append(review_row(f, d, data.max_revisions))
        rows.append([(tr(f, "deal-btn-dispute"), ("cb", "dispute_hint", d.id))])
    elif d.state == DealState.DISPUTED:
        if data.dispute is not None and data.dispute.resolved_at is None:
            rows.append([evidence_button(f, d.id)])
    elif d.state in RATEABLE and viewer not in data.rated_by:
        rows.append(stars_row(d.id))
    if d.state in RATEABLE:  # worked together: the next contract without a public job
        if role == "client":
            rows.append([(tr(f, "deal-btn-offer-again"), ("cb", "offer_to", d.freelancer_id))])
        elif d.state != DealState.REFUNDED:  # a past client: the work was paid for
            rows.append([(tr(f, "deal-btn-propose-next"), ("cb", "propose_to", d.client_id))])
    rows.append([(tr(f, "deal-btn-refresh"), ("cb", "deal_card", d.id))])
    return rows


def _header(data: DealData, f: Formatter) -> list[str]:
    d = data.deal
    title = data.job.title if data.job else ""
    return [
        tr(f, "deal-card-title", deal=d.id, job=d.job_id, title=title),
        tr(f, "deal-card-state", state=str(d.state)),
        tr(
            f,
            "deal-card-parties",
            client=data.name(d.client_id),
            freelancer=data.name(d.freelancer_id),
        ),
        tr(f, "deal-card-amount", amount=Markup(f.money(d.amount, d.currency)), days=d.days),
    ]


def plan_lines(
    f: Formatter, plan: list[Milestone], currency: str, deal_state: str | None
) -> list[str]:
    """One line per milestone: `2. Build — 200 ⭐ · funded`; the current one's state is the
    deal's. `f` formats (t, money), as bot.views.deal_card's Formatter."""
    lines = []
    for m in plan:
        state = str(deal_state) if m.state == MilestoneState.CURRENT and deal_state else m.state
        line = tr(
            f,
            "milestone-line",
            **{
                "position": m.position,
                "name": clip(m.title, 60),
                "amount": Markup(f.money(m.amount, currency)),
                "state": str(state),
                "current": "yes" if m.state == MilestoneState.CURRENT else "no",
            },
        )
        if m.state in (MilestoneState.RELEASED, MilestoneState.SPLIT, MilestoneState.REFUNDED):
            line += " " + tr(
                f,
                "milestone-line-settled",
                paid=Markup(f.money(m.paid, currency)),
                back=Markup(f.money(m.returned, currency)),
            )
        lines.append(line)
    return lines


def _milestones(data: DealData, f: Formatter) -> list[str]:
    if not data.milestones:
        return []
    d = data.deal
    return [
        "",
        tr(f, "milestone-card-title", count=len(data.milestones)),
        *plan_lines(f, data.milestones, d.currency, d.state),
        "",
    ]


def _dates(data: DealData, f: Formatter) -> list[str]:
    d = data.deal
    w = f.when
    lines = []
    if d.state == DealState.AWAITING_FUNDING and d.funding_ends_at:
        lines.append(tr(f, "deal-card-funding-ends", at=Markup(w(d.funding_ends_at))))
    if d.funded_at:
        lines.append(tr(f, "deal-card-funded", at=Markup(w(d.funded_at))))
    if d.due_at and d.state == DealState.FUNDED:
        lines.append(tr(f, "deal-card-due", at=Markup(w(d.due_at))))
    if d.delivered_at:
        lines.append(tr(f, "deal-card-delivered", at=Markup(w(d.delivered_at))))
    if d.review_ends_at and d.state == DealState.DELIVERED:
        lines.append(tr(f, "deal-card-review-ends", at=Markup(w(d.review_ends_at))))
    if d.cancel_requested_at and d.state == DealState.FUNDED:
        lines.append(tr(f, "deal-card-cancel-requested", at=Markup(w(d.cancel_requested_at))))
    if d.ended_at:
        lines.append(tr(f, "deal-card-ended", at=Markup(w(d.ended_at))))
    return lines


def _dispute(data: DealData, f: Formatter) -> list[str]:
    dispute = data.dispute
    if dispute is None:
        return []
    lines = [
        tr(
            f,
            "deal-card-dispute",
            by=data.name(dispute.opened_by),
            at=Markup(f.when(dispute.opened_at)),
            reason=clip(dispute.reason, 300),
        )
    ]
    if dispute.resolved_at is not None:
        lines.append(
            tr(
                f,
                "deal-card-dispute-decided",
                outcome=dispute.outcome or "",
                percent=dispute.percent if dispute.percent is not None else 0,
                at=Markup(f.when(dispute.resolved_at)),
            )
        )
    return lines


def _feedback(data: DealData, viewer: int | None, f: Formatter) -> list[str]:
    lines = []
    for fb in data.feedback:
        key = "deal-card-rating-mine" if fb.rater_id == viewer else "deal-card-rating"
        line = tr(f, key, name=data.name(fb.rater_id), stars=fb.stars)
        if fb.comment:
            line += " " + tr(f, "deal-card-rating-comment", comment=clip(fb.comment, 200))
        lines.append(line)
    return lines


def deal_card(data: DealData, viewer: int, f: Formatter, now: int) -> tuple[str, Rows]:
    """A party's card: what the deal is, where it stands, and what they can do now."""
    d = data.deal
    lines = _header(data, f)
    role = d.party(viewer)
    if role is not None:
        lines.append(tr(f, "deal-card-you", role=role))
    lines += _milestones(data, f)
    if data.hourly is not None:  # weeks instead of delivery and revisions
        return _hourly_card(data, viewer, f, lines)
    lines += _dates(data, f)
    lines.append(tr(f, "deal-card-revisions", used=d.revisions, max=data.max_revisions))
    lines += _dispute(data, f)
    time_lines = time_summary(data, f)
    if time_lines:
        lines.append("")
        lines += time_lines
    feedback = _feedback(data, viewer, f)
    if feedback:
        lines.append("")
        lines += feedback
    lines += _review(data, f)
    hint = _hint(data, viewer, f, now)
    if hint:
        lines += ["", hint]
    return "\n".join(lines), buttons_for(data, viewer, f, now)


def _hourly_card(data: DealData, viewer: int, f: Formatter, lines: list[str]) -> tuple[str, Rows]:
    from bot.views import hourly

    assert data.hourly is not None
    lines += hourly.card_lines(data, data.hourly, f)
    lines += _dispute(data, f)
    lines += _review(data, f)
    key, params = hourly.card_hint(data, data.hourly, viewer)
    if key:
        lines += ["", tr(f, key, **params)]
    return "\n".join(lines), hourly.card_buttons(data, data.hourly, viewer, f)


def _review(data: DealData, f: Formatter) -> list[str]:
    """The QA reviewer, and their latest verdict (shown beside Release)."""
    if data.reviewer is None:
        return []
    lines = ["", tr(f, "deal-card-reviewer", name=data.name(data.reviewer))]
    v = data.verdict
    if v is not None:
        lines.append(tr(f, f"deal-card-verdict-{v['verdict']}", at=stamp(int(v["created_at"]))))
        if v["notes"]:
            lines.append(tr(f, "deal-card-verdict-notes", notes=clip(v["notes"], 300)))
    return lines


def _hint(data: DealData, viewer: int, f: Formatter, now: int) -> str:
    d = data.deal
    role = d.party(viewer)
    if d.state == DealState.FUNDED and role == "freelancer":
        return tr(f, "deal-card-hint-freelancer-funded", deal=d.id)
    if d.state == DealState.FUNDED and role == "client":
        return tr(f, "deal-card-hint-client-funded", deal=d.id)
    if d.state == DealState.DELIVERED and role == "client":
        return tr(f, "deal-card-hint-client-delivered", deal=d.id)
    if d.state == DealState.AWAITING_FUNDING and role == "client":
        return tr(f, "deal-card-hint-client-unfunded")
    return ""


def event_line(data: DealData, event: DealEvent, f: Formatter, full: bool = False) -> str:
    """`2026-03-01 12:00 · delivered · Bob (@bob): “the note” · 2 files`."""
    parts = [tr(f, "deal-event-line", at=stamp(event.created_at), kind=event.kind)]
    if event.actor_id is not None:
        parts.append(tr(f, "deal-event-by", who=data.name(event.actor_id)))
    if event.text and (full or event.kind != "resolved"):  # the decision is shown apart
        parts.append(tr(f, "deal-event-text", text=clip(event.text, 1000 if full else 80)))
    if event.files:
        parts.append(tr(f, "deal-event-files", files=len(event.files)))
    return " · ".join(parts)


def timeline(data: DealData, f: Formatter, full: bool = False, limit: int = 20) -> list[str]:
    events = [e for e in data.events if not (e.actor_id is None and e.kind in _SHADOWED)]
    if len(events) > limit:
        events = events[:2] + events[-(limit - 2) :]
    return [event_line(data, e, f, full) for e in events]


def deal_history(data: DealData, f: Formatter, now: int) -> str:
    """The moderators' view: the card without buttons, then every event and message."""
    d = data.deal
    lines = _header(data, f)
    lines += _milestones(data, f)
    lines += _dates(data, f)
    lines.append(tr(f, "deal-card-revisions", used=d.revisions, max=data.max_revisions))
    lines += _dispute(data, f)
    time_lines = time_summary(data, f)
    if time_lines:
        lines += ["", *time_lines]
    feedback = _feedback(data, None, f)
    if feedback:
        lines += ["", *feedback]
    lines += ["", tr(f, "deal-history-events")]
    lines += timeline(data, f, full=True, limit=HISTORY_EVENTS_MAX)
    for event in data.events:
        for file in event.files:
            lines.append(
                tr(
                    f,
                    "deal-history-file",
                    kind=event.kind,
                    name=str(file.get("name") or file.get("file_name") or file.get("kind") or ""),
                    file=str(file.get("file_id", ""))[:80],
                )
            )
    if data.messages:
        lines += ["", tr(f, "deal-history-messages")]
        for m in data.messages[-30:]:
            lines.append(
                tr(
                    f,
                    "deal-history-message",
                    at=stamp(int(m["created_at"])),
                    who=data.name(int(m["sender_id"])),
                    text=clip(str(m["text"]), 500),
                )
            )
    return "\n".join(lines)


def deal_list_line(deal: Deal, job: Job | None, viewer: int, f: Formatter) -> str:
    return tr(
        f,
        "deals-line",
        deal=deal.id,
        title=clip(job.title, 40) if job else "",
        amount=Markup(f.money(deal.amount, deal.currency)),
        state=str(deal.state),
        role=deal.party(viewer) or "",
    )
