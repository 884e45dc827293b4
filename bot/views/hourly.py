"""Hourly contracts on screen: the week's invoice, the notices, and the contract's card (its
weeks, hours and money). Collected by bot.views.registry; the card is drawn from
bot.views.deal_card for a deal of kind 'hourly'."""

from __future__ import annotations

import html

from bot.domain import weeks as W
from bot.domain.models import Deal, Dispute
from bot.domain.states import DealState
from bot.i18n import Markup
from bot.notify import Outgoing
from bot.services.deal_cards import DealData
from bot.services.hourly import HourlyView, hours_text, week_payload
from bot.text import clip
from bot.views.cards import Fmt as Formatter
from bot.views.cards import Rows, tr
from bot.views.note import Note, renders

INVOICE_TITLE_MAX = 32
INVOICE_DESCRIPTION_MAX = 255
WEEKS_SHOWN = 8  # the card shows the latest weeks


@renders("invoice.week")
async def week_invoice(n: Note) -> Outgoing:
    """The week's invoice, while the week still waits for it (else paying would only be
    refunded: nothing is sent)."""
    week = await n.tx.hourly.week(int(n.params["week_id"]))
    deal = await n.deal()
    if week is None or deal is None or week.state != "awaiting_funding" or week.closes_at <= n.now:
        return Outgoing(skip=True)
    if not n.rt.svc.settings.can_pay(deal.currency):
        return Outgoing(n.t("invoice-unpayable", deal=deal.id, currency=deal.currency))
    p = await n.base()
    p.update(closes_at=week.closes_at, limit=week.limit_amount)
    contract = await n.tx.hourly.contract(deal.id)
    p["limit_hours"] = hours_text(contract.weekly_minutes) if contract else "?"
    p["rate"] = Markup(n.money(deal.amount, deal.currency))
    p["credit_text"] = Markup(n.money(int(n.params.get("credit") or 0), deal.currency))

    def plain(key: str, limit: int) -> str:
        return clip(html.unescape(n.t(key, **p)), limit)

    description = plain("invoice-week-description", INVOICE_DESCRIPTION_MAX)
    return Outgoing(
        description,
        extra={
            "title": plain("invoice-week-title", INVOICE_TITLE_MAX),
            "description": description,
            "payload": week_payload(week.id),
            "label": plain("invoice-week-label", INVOICE_TITLE_MAX),
        },
    )


@renders(
    "notify.hourly_week_credit",
    "notify.hourly_week_unpaid",
    "notify.hourly_paid_client",
    "notify.hourly_funded_freelancer",
    "notify.hourly_review",
    "notify.hourly_approved_freelancer",
    "notify.hourly_approved_client",
    "notify.hourly_unfunded",
    "notify.hourly_ending",
    "notify.hourly_closed",
    "notify.hourly_resolved",
)
async def hourly_notice(n: Note) -> Outgoing:
    extra = {}
    deal = await n.deal()
    if deal is not None:
        extra["rate"] = Markup(n.money(deal.amount, deal.currency))
        extra["role"] = await n.role()
        for key in ("stars", "balance", "credit"):
            if isinstance(n.params.get(key), int):
                extra[f"{key}_text"] = Markup(n.money(n.params[key], deal.currency))
    text = await n.text(**extra)
    if n.params.get("note"):
        text += n.line("notify-reason-line", reason=n.params["note"])
    return Outgoing(text)


async def dispute_week_lines(n: Note, deal: Deal, dispute: Dispute) -> list[str]:
    """On the moderators' dispute card of an hourly contract: the week and what is at stake."""
    week = await n.tx.hourly.by_dispute(dispute.id)
    contract = await n.tx.hourly.contract(deal.id)
    if week is None or contract is None:
        return []
    pay = W.pay_for(week.minutes, contract.rate)
    return [
        n.t(
            "hourly-dispute-card-week",
            week=W.week_label(week.starts_at),
            hours=hours_text(week.minutes),
            rate=Markup(n.money(contract.rate, deal.currency)),
            pay=Markup(n.money(pay, deal.currency)),
        )
    ]


# --- the card --------------------------------------------------------------------------------


def card_lines(data: DealData, view: HourlyView, f: Formatter) -> list[str]:
    """Rate and limit, the escrow and its free credit, then each week: its state, hours and
    money."""
    d, c = data.deal, view.contract
    money = lambda v: Markup(f.money(v, d.currency))  # noqa: E731
    lines = [
        tr(
            f,
            "hourly-card-terms",
            rate=money(c.rate),
            hours=hours_text(c.weekly_minutes),
            limit=money(W.weekly_limit_amount(c.rate, c.weekly_minutes)),
        ),
        tr(f, "hourly-card-escrow", escrow=money(view.escrow), credit=money(max(view.credit, 0))),
    ]
    if c.ended_at is not None:
        lines.append(tr(f, "hourly-card-ended", at=Markup(f.when(c.ended_at))))
    paid = sum(w.paid - w.fee for w in view.weeks)
    lines.append(tr(f, "hourly-card-paid", paid=money(paid)))
    for week in view.weeks[-WEEKS_SHOWN:]:
        lines.append(
            tr(
                f,
                "hourly-card-week",
                week=W.week_label(week.starts_at),
                state=week.state,
                hours=hours_text(week.minutes),
                limit=hours_text(c.weekly_minutes),
                paid=money(week.paid - week.fee),
            )
        )
        if week.state == "funded":
            lines.append(tr(f, "hourly-card-edit-until", at=Markup(f.when(week.edit_ends_at))))
        elif week.state == "review":
            lines.append(tr(f, "hourly-card-review-until", at=Markup(f.when(week.review_ends_at))))
    return lines


def card_hint(data: DealData, view: HourlyView, viewer: int) -> tuple[str, dict[str, object]]:
    d = data.deal
    role = d.party(viewer)
    if d.state not in (DealState.AWAITING_FUNDING, DealState.FUNDED) or role is None:
        return "", {}
    if any(w.state == "review" for w in view.weeks) and role == "client":
        return "hourly-card-hint-review", {"deal": d.id}
    if role == "freelancer" and view.contract.ended_at is None:
        return "hourly-card-hint-freelancer", {"deal": d.id}
    return "", {}


def card_buttons(data: DealData, view: HourlyView, viewer: int, f: Formatter) -> Rows:
    d = data.deal
    rows: Rows = []
    if d.party(viewer) is None:
        return rows
    running = d.state == DealState.FUNDED and view.contract.ended_at is None
    if d.state == DealState.AWAITING_FUNDING or running:
        rows.append([(tr(f, "hourly-btn-end"), ("cb", "cancel_ask", d.id))])
    rows.append([(tr(f, "deal-btn-refresh"), ("cb", "deal_card", d.id))])
    return rows
