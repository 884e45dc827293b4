"""What milestone contracts send (issue 14): the invoice of one milestone, the plan's
notices, the freelancer's Accept / Decline of an added milestone; and the card's lines."""

from __future__ import annotations

import html
from typing import Any

from bot.domain.states import DealState
from bot.notify import Outgoing
from bot.services.milestones import payload
from bot.text import clip
from bot.views.note import Note, keyboard, renders

INVOICE_TITLE_MAX = 32
INVOICE_DESCRIPTION_MAX = 255

Rows = list[list[tuple[str, tuple[Any, ...]]]]


@renders("invoice.milestone")
async def invoice(n: Note) -> Outgoing:
    """The invoice of the current milestone, while it still waits for funding."""
    deal = await n.deal()
    current = await n.tx.milestones.current(deal.id) if deal is not None else None
    if (
        deal is None
        or deal.state != DealState.AWAITING_FUNDING
        or current is None
        or current.id != n.params.get("milestone")
    ):
        return Outgoing(skip=True)  # paying it now would only be refunded
    if not n.rt.svc.settings.can_pay(deal.currency):
        return Outgoing(n.t("invoice-unpayable", deal=deal.id, currency=deal.currency))
    p = await n.base()
    p["due_at"] = deal.funding_ends_at or n.now

    def plain(key: str, limit: int) -> str:
        return clip(html.unescape(n.t(key, **p)), limit)

    description = plain("invoice-milestone-description", INVOICE_DESCRIPTION_MAX)
    return Outgoing(
        description,
        extra={
            "title": plain("invoice-milestone-title", INVOICE_TITLE_MAX),
            "description": description,
            "payload": payload(deal.id, current.id),
            "label": plain("invoice-milestone-label", INVOICE_TITLE_MAX),
        },
    )


@renders(
    "notify.milestones_plan",
    "notify.milestone_next",
    "notify.milestones_closed",
    "notify.milestone_proposed",
    "notify.milestone_accepted",
    "notify.milestone_declined",
    "notify.milestone_released",
)
async def notice(n: Note) -> Outgoing:
    if n.key in ("notify.milestone_next", "notify.milestones_closed"):
        return Outgoing(await n.text(f"{n.mid}-{await n.role()}"))
    return Outgoing(await n.text())


@keyboard("notify.milestone_proposed")
async def proposal(n: Note) -> Rows:
    """The freelancer's Accept / Decline, while the added milestone waits for them."""
    deal = await n.deal()
    if deal is None or deal.freelancer_id != n.chat_id:
        return []
    if await n.tx.milestones.proposed(deal.id) is None:
        return []
    return [
        [
            (n.t("milestone-btn-accept"), ("cb", "ms_yes", deal.id)),
            (n.t("milestone-btn-decline"), ("cb", "ms_no", deal.id)),
        ]
    ]
