"""Every outbox row, rendered at send time in the recipient's language.

The dispatcher (bot.notify) calls `render_row(rt, row, locale)` for each row. A row carries a
key (`notify.bid_new`) and the parameters the service wrote; what is shown is read fresh here
(names, titles, the private brief, the dispute's parties), so a text is never stale. A row
about something that can no longer be acted on is skipped only where sending would be wrong
(an invoice for a deal that stopped waiting for payment, a brief that is gone).

Message ids are the keys with dots and underscores turned into dashes (`notify-bid-new`);
where the two parties of a deal get different texts the role is appended (`-client`,
`-freelancer`).
"""

from __future__ import annotations

import html
import logging
from datetime import UTC, datetime
from typing import Any

from bot.domain.durations import utc_text
from bot.domain.models import Dispute, Job
from bot.domain.states import DealState, JobState
from bot.i18n import Markup
from bot.notify import Outgoing
from bot.services.deal_cards import DealData, person
from bot.services.deals import invoice_payload
from bot.services.profiles import stats_of
from bot.text import clip
from bot.views import hourly as hourly_views
from bot.views.deal_card import timeline
from bot.views.note import Note, renders

log = logging.getLogger(__name__)

INVOICE_TITLE_MAX = 32
INVOICE_DESCRIPTION_MAX = 255
CHANNEL_DESCRIPTION_MAX = 600
QUOTE_MAX = 500  # characters of a message quoted above its answer


def _files(files: list[dict[str, Any]] | None) -> dict[str, list[str]]:
    """extra["documents"] / extra["photos"] from stored file dicts."""
    docs: list[str] = []
    photos: list[str] = []
    for f in files or []:
        file_id = f.get("file_id") if isinstance(f, dict) else f
        if not file_id:
            continue
        kind = (f.get("kind") or f.get("type") or "document") if isinstance(f, dict) else ""
        (photos if kind == "photo" else docs).append(str(file_id))
    out: dict[str, list[str]] = {}
    if docs:
        out["documents"] = docs
    if photos:
        out["photos"] = photos
    return out


# --- plain notifications ----------------------------------------------------------------------


@renders(
    "notify.job_live",  # no longer written (the flow's answer says it); kept for queued rows
    "notify.bid_withdrawn",
    "notify.job_filled",
    "notify.job_closed_bidder",
    "notify.job_expired_bidder",
    "notify.job_expired_client",
    "notify.hired_pending",
    "notify.payment_refunded",
    "notify.extended",
    "notify.delivery_nudge",
    "notify.dispute_opened_self",  # no longer written; rows queued before still render
    "notify.nda_accepted",
    "notify.nda_declined",
    "notify.trial_accepted",
    "notify.trial_declined",
    "notify.payout_paid",
    "notify.refund_confirmed",
    "notify.refund_failed",
    "notify.banned",
    "notify.unbanned",
)
async def plain(n: Note) -> Outgoing:
    return Outgoing(await n.text())


@renders("notify.deal_funded", "notify.funding_expired", "notify.cancel_refused")
async def by_role(n: Note) -> Outgoing:
    return Outgoing(await n.text(f"{n.mid}{await _private(n)}-{await n.role()}"))


async def _private(n: Note) -> str:
    """`-private` for an unfunded direct offer's deal called off (its job never reopens)."""
    if n.key not in ("notify.funding_expired", "notify.deal_cancelled"):
        return ""
    job = await n.job()
    return "-private" if job is not None and job.is_private else ""


@renders("notify.deal_cancelled")
async def deal_cancelled(n: Note) -> Outgoing:
    """Told to the other party of an unfunded cancel, or to both when the job was removed."""
    job = await n.job()
    if job is not None and job.state == JobState.REMOVED:
        return Outgoing(await n.text(f"{n.mid}-removed"))
    return Outgoing(await n.text(f"{n.mid}{await _private(n)}-{await n.role()}"))


@renders("notify.bid_declined", "notify.job_removed_bidder", "notify.job_removed_client")
async def with_reason(n: Note) -> Outgoing:
    text = await n.text()
    reason = n.params.get("reason")
    if reason:
        text += n.line("notify-reason-line", reason=reason)
    if n.key == "notify.job_removed_client" and n.params.get("deal") is not None:
        text += n.line("notify-job-removed-deal", deal=n.params["deal"])
    return Outgoing(text)


@renders("reply.text")
async def reply_text(n: Note) -> Outgoing:
    """A direct answer, rendered when it was first tried: Telegram would not take it then,
    after its change was committed (bot.handlers.base, bot.services.replies)."""
    return Outgoing(str(n.params.get("text") or ""), n.params.get("rows") or None)


@renders("reply.lost")
async def reply_lost(n: Note) -> Outgoing:
    """An answer lost in a restart (bot.services.lost_answers): what the person sent, that it
    was received and done, and where to see how things stand."""
    kind = str(n.params.get("kind") or "other")
    said = str(n.params.get("said") or "")
    if kind not in ("message", "button", "payment") or (kind != "payment" and not said):
        kind = "other"
    return Outgoing(n.t(f"reply-lost-{kind}", said=said))


# --- jobs and bids -----------------------------------------------------------------------------


async def _freelancer_summary(n: Note, user_id: int) -> str:
    from bot.views.cards import trust_freelancer

    stats = await stats_of(n.tx, n.rt.svc, user_id)
    since = datetime.fromtimestamp(stats.user.created_at, UTC).strftime("%Y-%m-%d")
    rating = (
        n.t("notify-summary-rating", rating=stats.rating_avg, count=stats.rating_count)
        if stats.rating_avg is not None
        else n.t("notify-summary-no-rating")
    )
    line = n.t(
        "notify-summary-freelancer",
        rating=Markup(rating),
        completed=stats.completed_deals,
        since=since,
    )
    return line + "\n" + trust_freelancer(n, stats)


@renders("notify.bid_new", "notify.bid_updated")
async def bid_news(n: Note) -> Outgoing:
    text = await n.text()
    freelancer = n.params.get("freelancer")
    if isinstance(freelancer, int) and await n.user(freelancer) is not None:
        text += "\n" + await _freelancer_summary(n, freelancer)
    rows = [[(n.t("notify-btn-view-bids"), ("cb", "bids", int(n.params["job"])))]]
    return Outgoing(text, rows)


@renders("notify.job_nudge")
async def job_nudge(n: Note) -> Outgoing:
    rows = [[(n.t("notify-btn-view-bids"), ("cb", "bids", int(n.params["job"])))]]
    return Outgoing(await n.text(), rows)


@renders("notify.shortlisted")
async def shortlisted(n: Note) -> Outgoing:
    """One message: shortlisted, with the private brief when the job has one."""
    job = await n.job()
    if job is None or not job.brief:
        return Outgoing(await n.text("notify-shortlisted-no-brief"))
    return Outgoing(await n.text() + "\n\n" + n.t("notify-brief-body", brief=job.brief))


@renders("notify.shortlisted_nda")
async def shortlisted_nda(n: Note) -> Outgoing:
    """The agreement itself is shown above its Accept / Decline buttons: the job's own text,
    or the standard one in the reader's language."""
    text = await n.text()
    job = await n.job()
    if job is not None:
        nda = job.nda_text or Markup(n.t("nda-default-text"))
        text += "\n\n" + n.t("notify-nda-text", nda=nda)
    return Outgoing(text)  # Accept / Decline: bot.views.keyboards


@renders("notify.brief")
async def brief(n: Note) -> Outgoing:
    job = await n.job()
    if job is None or not job.brief:
        return Outgoing(skip=True)
    return Outgoing(await n.text(brief=job.brief))


@renders("notify.trial_requested")
async def trial_requested(n: Note) -> Outgoing:
    return Outgoing(await n.text())  # Accept / Decline: bot.views.keyboards


@renders("notify.trial_submitted")
async def trial_submitted(n: Note) -> Outgoing:
    trial = await n.tx.trials.get(int(n.params["trial"]))
    result = (trial or {}).get("result") or ""
    text = await n.text()
    if result:
        text += "\n\n" + n.t("notify-quote", text=result)
    rows = [[(n.t("notify-btn-view-bids"), ("cb", "bids", int(n.params["job"])))]]
    return Outgoing(text, rows, extra=_files((trial or {}).get("files")))


@renders("notify.invited")
async def invited(n: Note) -> Outgoing:
    """The invitation, with the job's card under it and a Bid button."""
    from bot.services.jobs import JobView
    from bot.views.cards import job_card

    text = await n.text()
    job = await n.job()
    client = await n.user(job.client_id) if job is not None else None
    if job is not None and client is not None:
        stats = await stats_of(n.tx, n.rt.svc, client.id)
        view = JobView(
            job,
            client,
            await n.tx.bids.count_placed(job.id),
            stats.rating_avg,
            stats.rating_count,
            client_trust=stats.trust,
        )
        text += "\n\n" + job_card(n, view, n.chat_id)[0]
    return Outgoing(text)  # Bid, while the job takes bids: bot.views.keyboards


@renders("notify.question", "notify.message")
async def relayed(n: Note) -> Outgoing:
    mid = n.mid
    if n.key == "notify.message" and n.params.get("bid") is None:
        mid += "-nobid"
    text = await n.text(mid)
    answered = n.params.get("answers")
    original = await n.tx.misc.get_message(int(answered)) if answered is not None else None
    if original is not None:  # a reply: the message it answers first, quoted
        text += "\n" + n.t("notify-answering", text=clip(original["text"], QUOTE_MAX))
    text += "\n\n" + n.t("notify-quote", text=n.params.get("text", ""))
    text += "\n\n" + n.t("notify-reply-hint")
    return Outgoing(text)


# --- the job's channel post ---------------------------------------------------------------------

_CHANNEL_STATE = {
    JobState.OPEN: "channel-job-open",
    JobState.HIRING: "channel-job-hiring",
    JobState.IN_PROGRESS: "channel-job-filled",
    JobState.COMPLETED: "channel-job-filled",
    JobState.CLOSED: "channel-job-closed",
    JobState.EXPIRED: "channel-job-expired",
    JobState.REMOVED: "channel-job-removed",
}


def _budget(n: Note, job: Job) -> str:
    if job.budget_min == job.budget_max:
        return n.money(job.budget_min, job.currency)
    return n.t(
        "channel-budget-range",
        budget_min=job.budget_min,
        budget_max=job.budget_max,
        currency=job.currency,
    )


def _category(n: Note, category: str) -> str:
    key = f"category-{category}"
    return n.rt.i18n.t(n.locale, key) if n.rt.i18n.has(n.locale, key) else category


@renders("channel.job")
async def channel_job(n: Note) -> Outgoing:
    job = await n.job()
    if job is None:
        return Outgoing(skip=True)
    text = n.t(
        "channel-job",
        job=job.id,
        title=job.title,
        category=_category(n, job.category),
        budget=Markup(_budget(n, job)),
        deadline=utc_text(job.deadline_at),
        description=clip(job.description, CHANNEL_DESCRIPTION_MAX),
    )
    text += "\n\n" + n.t(
        _CHANNEL_STATE.get(JobState(job.state), "channel-job-closed"),
        ends=utc_text(job.bidding_ends_at),
    )
    rows = None
    if n.rt.bot_username and job.state != JobState.REMOVED:
        label = n.t("channel-btn-bid" if job.state == JobState.OPEN else "channel-btn-view")
        url = f"https://t.me/{n.rt.bot_username}?start=job_{job.id}"
        rows = [[(label, ("url", url))]]
    extra: dict[str, Any] = {}
    if n.method == "edit" and job.channel_message_id:
        extra["message_id"] = job.channel_message_id
    return Outgoing(text, rows, extra=extra)


# --- deals -----------------------------------------------------------------------------------


@renders("invoice.deal")
async def invoice(n: Note) -> Outgoing:
    deal = await n.deal()
    if deal is None or deal.state != DealState.AWAITING_FUNDING:
        return Outgoing(skip=True)  # paying it now would only be refunded
    if not n.rt.svc.settings.can_pay(deal.currency):
        # Priced in a fiat currency and the provider is gone: a sentence, not an invoice.
        return Outgoing(n.t("invoice-unpayable", deal=deal.id, currency=deal.currency))
    p = await n.base()
    p["due_at"] = deal.funding_ends_at or n.now  # until when it can be paid

    def plain(key: str, limit: int) -> str:
        return clip(html.unescape(n.t(key, **p)), limit)

    title = plain("invoice-title", INVOICE_TITLE_MAX)
    description = plain("invoice-description", INVOICE_DESCRIPTION_MAX)
    return Outgoing(
        description,
        extra={
            "title": title,
            "description": description,
            "payload": invoice_payload(deal.id),
            "label": plain("invoice-label", INVOICE_TITLE_MAX),
        },
    )


def _deal_id(n: Note) -> int:
    return int(n.params["deal"])


async def _delivery_event(n: Note, kind: str) -> dict[str, Any] | None:
    """The deal event holding this row's files: by the id the service wrote, else the latest
    of its kind."""
    events = await n.tx.deals.events(_deal_id(n))
    wanted = n.params.get("event")
    for event in reversed(events):
        if (wanted is not None and event.id == wanted) or (wanted is None and event.kind == kind):
            return {"text": event.text, "files": event.files}
    return None


@renders("notify.delivered")
async def delivered(n: Note) -> Outgoing:
    text = await n.text()
    note = n.params.get("note")
    if note:
        text += "\n\n" + n.t("notify-quote", text=note)
    files = int(n.params.get("files") or 0)
    if files:
        text += n.line("notify-files-follow", files=files)
    text += "\n\n" + n.t("notify-delivered-review", review_ends_at=n.params.get("review_ends_at"))
    event = await _delivery_event(n, "delivery") if files else None
    extra = _files(event["files"]) if event else {}
    return Outgoing(text, extra=extra)  # Release / Request changes / Dispute: keyboards


@renders("notify.delivery_files")
async def delivery_files(n: Note) -> Outgoing:
    event = await _delivery_event(n, "delivery_file")
    return Outgoing(await n.text(), extra=_files(event["files"]) if event else {})


@renders("notify.review_nudge")
async def review_nudge(n: Note) -> Outgoing:
    return Outgoing(await n.text())


@renders("notify.revision")
async def revision(n: Note) -> Outgoing:
    text = await n.text()
    text += "\n\n" + n.t("notify-quote", text=n.params.get("text", ""))
    text += "\n\n" + n.t(
        "notify-revision-due", due_at=n.params.get("due_at"), left=n.params.get("left", 0)
    )
    return Outgoing(text)


@renders("notify.delivery_overdue")
async def delivery_overdue(n: Note) -> Outgoing:
    # The client's Extend / Refund now / Wait: bot.views.keyboards.
    return Outgoing(await n.text(f"{n.mid}-{await n.role()}"))


@renders("notify.cancel_requested")
async def cancel_requested(n: Note) -> Outgoing:
    return Outgoing(await n.text())  # Yes / No: bot.views.keyboards


@renders("notify.released_freelancer", "notify.released_client")
async def released(n: Note) -> Outgoing:
    mid = n.mid
    if n.key == "notify.released_client":
        mid += "-auto" if n.params.get("auto") else "-manual"
    text = await n.text(mid)
    text += "\n\n" + n.t("notify-rate-now", deal=_deal_id(n))
    return Outgoing(text)  # 1⭐-5⭐: bot.views.keyboards


@renders("notify.refunded")
async def refunded(n: Note) -> Outgoing:
    role = await n.role()
    p = {"how": n.params.get("how") or "balance", "why": n.params.get("why") or "other"}
    return Outgoing(await n.text(f"{n.mid}-{role}", **p))


@renders("notify.dispute_opened_other")
async def dispute_opened_other(n: Note) -> Outgoing:
    respond_by = n.params.get("respond_by")
    text = await n.text()
    text += "\n\n" + n.t("notify-quote", text=n.params.get("reason", ""))
    text += "\n\n" + n.t(
        "notify-dispute-respond",
        respond_at=Markup(n.when(int(respond_by or 0))),
        deal=_deal_id(n),
    )
    return Outgoing(text)


@renders("notify.resolved")
async def resolved(n: Note) -> Outgoing:
    role = await n.role()
    p = {
        "outcome": n.params.get("outcome") or "split",
        "how": n.params.get("how") or "balance",
        "percent": int(n.params.get("percent") or 0),
    }
    text = await n.text(f"{n.mid}-{role}", **p)
    note = n.params.get("note")
    if note:
        text += n.line("notify-note-line", note=note)
    return Outgoing(text)


# --- feedback ----------------------------------------------------------------------------------


async def _other_name(n: Note) -> str:
    deal = await n.deal()
    if deal is None:
        return ""
    return await n.name(deal.other(n.chat_id))


@renders("notify.feedback_request", "notify.feedback_received")
async def feedback_ask(n: Note) -> Outgoing:
    # 1⭐-5⭐ until the reader has rated: bot.views.keyboards.
    return Outgoing(await n.text(other_name=await _other_name(n)))


@renders("notify.feedback_revealed")
async def feedback_revealed(n: Note) -> Outgoing:
    rows = await n.tx.feedback.for_deal(_deal_id(n))
    theirs = next((f for f in rows if f.ratee_id == n.chat_id), None)
    text = await n.text(other_name=await _other_name(n))
    if theirs is not None:
        text += n.line("notify-feedback-stars", stars=theirs.stars)
        if theirs.comment:
            text += "\n" + n.t("notify-quote", text=theirs.comment)
    return Outgoing(text)


# --- the moderator group ------------------------------------------------------------------


async def _dispute(n: Note) -> Dispute | None:
    dispute = await n.tx.disputes.latest_for(_deal_id(n))
    wanted = n.params.get("dispute")
    if dispute is not None and wanted is not None and dispute.id != int(wanted):
        return None
    return dispute


async def _party_line(n: Note, key: str, user_id: int) -> str:
    stats = await stats_of(n.tx, n.rt.svc, user_id)
    since = datetime.fromtimestamp(stats.user.created_at, UTC).strftime("%Y-%m-%d")
    return n.t(
        key,
        name=person(stats.user),
        user=user_id,
        completed=stats.completed_deals,
        since=since,
        disputes=stats.disputes,
        lost=stats.disputes_lost,
    )


@renders("mod.dispute_card")
async def dispute_card(n: Note) -> Outgoing:
    deal = await n.deal()
    dispute = await _dispute(n)
    if deal is None or dispute is None:
        return Outgoing(skip=True)
    job = await n.tx.jobs.get(deal.job_id)
    events = await n.tx.deals.events(deal.id)
    users = {}
    for uid in {deal.client_id, deal.freelancer_id} | {
        e.actor_id for e in events if e.actor_id is not None
    }:
        user = await n.user(uid)
        if user is not None:
            users[uid] = user
    data = DealData(
        deal=deal,
        job=job,
        users=users,
        time_log=[],
        events=events,
        dispute=dispute,
        feedback=[],
        rated_by=set(),
        max_revisions=n.rt.svc.settings.max_revisions,
    )
    lines = [
        n.t("dispute-card-title", deal=deal.id, job=deal.job_id, title=job.title if job else ""),
        n.t(
            "dispute-card-amount",
            amount=(await n.tx.milestones.current(deal.id) or deal).amount,  # a milestone's
            currency=deal.currency,
            state=str(dispute.from_state),
        ),
        *await hourly_views.dispute_week_lines(n, deal, dispute),
        n.t(
            "dispute-card-opened",
            name=await n.name(dispute.opened_by),
            opened_at=dispute.opened_at,
        ),
        await _party_line(n, "dispute-card-client", deal.client_id),
        await _party_line(n, "dispute-card-freelancer", deal.freelancer_id),
        "",
        n.t("dispute-card-reason", reason=dispute.reason),
        "",
        n.t("dispute-card-timeline"),
        *timeline(data, n, limit=15),
        "",
    ]
    rows = None
    if dispute.resolved_at is None:
        lines.append(n.t("dispute-card-resolve-hint", deal=deal.id))
        rows = [
            [(n.t("dispute-btn-release"), ("cb", "mod_release", deal.id))],
            [(n.t("dispute-btn-refund"), ("cb", "mod_refund", deal.id))],
            [(n.t("dispute-btn-split"), ("cb", "mod_split", deal.id))],
        ]
    else:
        lines.append(
            n.t(
                "dispute-card-decided",
                name=await n.name(dispute.resolved_by),
                outcome=dispute.outcome or "",
                percent=dispute.percent if dispute.percent is not None else 0,
                resolved_at=dispute.resolved_at,
            )
        )
        if dispute.note:
            lines.append(n.t("notify-note-line", note=dispute.note))
    extra: dict[str, Any] = {}
    if n.method == "edit" and dispute.card_message_id:
        extra["message_id"] = dispute.card_message_id
    return Outgoing("\n".join(lines), rows, extra=extra)


async def _card_reply(n: Note) -> dict[str, Any]:
    dispute = await n.tx.disputes.latest_for(_deal_id(n))
    if dispute is not None and dispute.card_message_id:
        return {"reply_to": dispute.card_message_id}
    return {}


@renders("mod.evidence")
async def evidence(n: Note) -> Outgoing:
    text = await n.text()
    if n.params.get("text"):
        text += "\n\n" + n.t("notify-quote", text=n.params["text"])
    extra = {**await _card_reply(n), **_files(n.params.get("files"))}
    return Outgoing(text, extra=extra)


@renders("mod.sla_reminder")
async def sla_reminder(n: Note) -> Outgoing:
    return Outgoing(await n.text(), extra=await _card_reply(n))


@renders("mod.payout_requested", "mod.refund_failed")
async def payout_requested(n: Note) -> Outgoing:
    return Outgoing(await n.text())


@renders("alert.internal_error")
async def internal_error(n: Note) -> Outgoing:
    return Outgoing(n.t("alert-internal-error", error=n.params.get("error", "error")))


@renders("mod.deadline_failed")
async def deadline_failed(n: Note) -> Outgoing:
    return Outgoing(await n.text())
