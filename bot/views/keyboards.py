"""Buttons that follow the state: every keyboard whose buttons depend on a deal's, bid's or
job's state is drawn here, from the database as it is now, for one reader.

The same function draws a keyboard when its message is sent and whenever the state it
depends on changes: a notification's (by its outbox key: `notify.delivered`...) and a
handler's answer (`card.deal`, `card.bids`, `card.rate`). So a button is offered only while
the services would take its press, and the buttons of an earlier message go when they stop
being true (bot/storage/buttons.py queues the redraw, bot/notify.py edits the keyboard alone,
never the text).

Each function takes a `Note` (bot.views.note): the reader (`chat_id`), their
language (`t`), the parameters kept for the message, and a read transaction (`tx`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.domain.states import BidState, DealState, JobState
from bot.services.deal_cards import DealData
from bot.services.feedback import RATEABLE
from bot.views.cards import bids_keyboard
from bot.views.deal_card import buttons_for, evidence_button, review_row, stars_row
from bot.views.miniapp import app_row
from bot.views.note import Note, keyboard
from bot.views.pages import Page

log = logging.getLogger(__name__)

Button = tuple[str, tuple[Any, ...]]
Rows = list[list[Button]]
Draw = Callable[["Note"], Awaitable[Rows]]


def _int(n: Note, key: str) -> int | None:
    value = n.params.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# --- deal notifications -----------------------------------------------------------------------


@keyboard("notify.delivered", "notify.review_nudge")
async def review(n: Note) -> Rows:
    """Release / Request changes / Dispute, while the delivery waits for the client."""
    deal = await n.deal()
    if deal is None or deal.state != DealState.DELIVERED or deal.client_id != n.chat_id:
        return []
    return [
        review_row(n, deal, n.rt.svc.settings.max_revisions),
        [(n.t("deal-btn-dispute"), ("cb", "dispute_hint", deal.id))],
    ]


@keyboard("notify.delivery_overdue")
async def overdue(n: Note) -> Rows:
    """The client's Extend / Refund now / Wait, while nothing is delivered and it is late."""
    deal = await n.deal()
    if deal is None or deal.client_id != n.chat_id or deal.state != DealState.FUNDED:
        return []
    if (deal.due_at or n.now + 1) > n.now:
        return []
    return [
        [
            (n.t("deal-btn-extend-1d"), ("cb", "extend1d", deal.id)),
            (n.t("deal-btn-refund-now"), ("cb", "refundnow", deal.id)),
        ],
        [(n.t("deal-btn-wait"), ("cb", "wait", deal.id))],
    ]


@keyboard("notify.cancel_requested")
async def cancel_requested(n: Note) -> Rows:
    """The freelancer's Yes / No, while the client's cancel request stands."""
    deal = await n.deal()
    if deal is None or deal.state != DealState.FUNDED or deal.cancel_requested_at is None:
        return []
    return [
        [
            (n.t("deal-btn-cancel-yes"), ("cb", "cancel_yes", deal.id)),
            (n.t("deal-btn-cancel-no"), ("cb", "cancel_no", deal.id)),
        ]
    ]


@keyboard(
    "notify.released_freelancer",
    "notify.released_client",
    "notify.feedback_request",
    "notify.feedback_received",
    "card.rate",  # a handler's answer with the stars (params: deal)
)
async def rate(n: Note) -> Rows:
    """1⭐-5⭐ while the reader may still rate the finished deal."""
    deal = await n.deal()
    if deal is None or deal.state not in RATEABLE:
        return []
    rated = {f.rater_id for f in await n.tx.feedback.for_deal(deal.id)}
    return [] if n.chat_id in rated else [stars_row(deal.id)]


@keyboard("notify.dispute_opened_other", "notify.dispute_opened_self")
async def dispute_opened(n: Note) -> Rows:
    """Add evidence, while the dispute is open."""
    deal = await n.deal()
    if deal is None or deal.state != DealState.DISPUTED:
        return []
    if await n.tx.disputes.open_for(deal.id) is None:
        return []
    return [[evidence_button(n, deal.id)]]


# --- bid and job notifications ----------------------------------------------------------------


@keyboard("notify.shortlisted_nda")
async def nda(n: Note) -> Rows:
    """Accept / Decline the NDA, until it is answered or the bid ends."""
    bid_id = _int(n, "bid")
    bid = await n.tx.bids.get(bid_id) if bid_id is not None else None
    if bid is None or bid.state != BidState.ACTIVE or bid.shortlisted_at is None:
        return []
    if bid.nda_accepted_at is not None or bid.nda_declined_at is not None:
        return []
    return [
        [
            (n.t("notify-btn-nda-accept"), ("cb", "nda_yes", bid.id)),
            (n.t("notify-btn-nda-decline"), ("cb", "nda_no", bid.id)),
        ]
    ]


@keyboard("notify.trial_requested")
async def trial_requested(n: Note) -> Rows:
    """Accept / Decline while the trial is asked, then Submit result once accepted (the
    trials flow), nothing once it is sent, declined or the bid ended."""
    trial_id = _int(n, "trial")
    trial = await n.tx.trials.get(trial_id) if trial_id is not None else None
    if trial is None or trial["state"] not in ("requested", "accepted"):
        return []
    bid = await n.tx.bids.get(int(trial["bid_id"]))
    if bid is None or bid.state != BidState.ACTIVE:
        return []
    if trial["state"] == "accepted":
        label = n.t("btn-trial-submit", trial=str(trial_id))
        return [[(label, ("cb", "trial_submit", trial_id))]]
    return [
        [
            (n.t("notify-btn-trial-accept"), ("cb", "trial_yes", trial_id)),
            (n.t("notify-btn-trial-decline"), ("cb", "trial_no", trial_id)),
        ]
    ]


@keyboard("notify.invited")
async def invited(n: Note) -> Rows:
    """Bid, while the job takes bids."""
    job = await n.job()
    if job is None or job.state != JobState.OPEN or job.bidding_ends_at <= n.now:
        return []
    return [[(n.t("notify-btn-bid"), ("cb", "bid", job.id))]]


# --- handlers' answers ------------------------------------------------------------------------


@keyboard("card.deal")
async def deal_card(n: Note) -> Rows:
    """A party's /deal card (params: deal)."""
    deal = await n.deal()
    if deal is None or deal.party(n.chat_id) is None:
        return []
    feedback = await n.tx.feedback.for_deal(deal.id)
    data = DealData(
        deal=deal,
        job=None,
        users={},
        time_log=[],
        events=[],
        dispute=await n.tx.disputes.latest_for(deal.id),
        feedback=[],
        rated_by={f.rater_id for f in feedback},
        max_revisions=n.rt.svc.settings.max_revisions,
    )
    url = n.rt.svc.settings.miniapp_url
    return buttons_for(data, n.chat_id, n, n.now) + app_row(
        url, n.t("miniapp-btn-open"), deal=deal.id
    )


@keyboard("card.bids")
async def bids_card(n: Note) -> Rows:
    """A page of the client's /bids (params: job, the page's bids in order, sort, page,
    prev, next): each bid's buttons as the bid stands now."""
    job = await n.job()
    if job is None or job.client_id != n.chat_id:
        return []
    ids = [int(i) for i in n.params.get("bids") or []]
    trials = await n.tx.records.latest_trials(ids)
    items = []
    for bid_id in ids:
        bid = await n.tx.bids.get(bid_id)
        if bid is not None:
            items.append((bid, trials.get(bid_id)))
    page: Page[Any] = Page(
        [], _int(n, "page") or 0, bool(n.params.get("prev")), bool(n.params.get("next"))
    )
    sort = str(n.params.get("sort") or "")
    url = n.rt.svc.settings.miniapp_url
    app = app_row(url, n.t("miniapp-btn-open"), job=job.id)
    return [*bids_keyboard(n, job, items, sort, page, n.now), *app]


# --- the redraw -------------------------------------------------------------------------------
