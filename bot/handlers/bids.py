"""The client's side of bids (/bids, /shortlist, /trial, /accept, /decline) and the
freelancer's (/mybids, /withdraw, the NDA and trial answers). Placing a bid is the bid flow's.
"""

from __future__ import annotations

import contextlib

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.domain.errors import InvalidInput
from bot.handlers.base import Follow, MarketContext, args_of, handler, int_arg, me
from bot.handlers.callbacks import button, yes_no_buttons
from bot.i18n import Markup
from bot.services import bids, deals
from bot.views import cards
from bot.views.miniapp import app_row
from bot.views.pages import page_arg, page_of


def _first_id(args: list[str], key: str) -> int:
    return int_arg(args[0] if args else None, key)


# --- /bids ----------------------------------------------------------------------------------


async def _send_bids(
    update: Update, context: MarketContext, job_id: int, sort: str, number: int, edit: bool
) -> None:
    job, found = await bids.bids_on_job(context.svc, me(update), job_id)
    rows = cards.sort_bids([cards.BidRow(*item) for item in found], sort)
    page = page_of(rows, number)
    html, keyboard = cards.bids_list(context, job, page, sort, context.svc.clock.now())
    url = context.svc.settings.miniapp_url
    keyboard = [*keyboard, *app_row(url, context.t("miniapp-btn-open"), job=job.id)]
    # Each bid's buttons follow the bid (declined, shortlisted, hired...): bot.views.keyboards.
    follow = Follow(
        "card.bids",
        f"bids:{job.id}",
        {
            "job": job.id,
            "bids": [row.bid.id for row in page.items],
            "sort": sort,
            "page": page.number,
            "prev": page.has_prev,
            "next": page.has_next,
        },
    )
    await context.say(update, html, keyboard, edit=edit, follow=follow)


@handler
async def list_bids(update: Update, context: MarketContext) -> None:
    args = args_of(context)
    job_id = _first_id(args, "args.bids")
    sort = args[1].lower() if len(args) > 1 else ""
    if sort and sort not in cards.BID_SORTS:
        raise InvalidInput("args.bids_sort")
    await _send_bids(update, context, job_id, sort, 0, edit=False)


@button("bids")
async def bids_page(update: Update, context: MarketContext, args: list[str]) -> None:
    """From a job card or /myjobs (`bids:<job>`: a new message), or the list's own sort and
    ◀ ▶ buttons (`bids:<job>:<sort>:<page>`: the list is edited)."""
    job_id = _first_id(args, "args.bids")
    if len(args) < 3:
        await _send_bids(update, context, job_id, "", 0, edit=False)
        return
    sort = args[1] if args[1] in cards.BID_SORTS else ""
    await _send_bids(update, context, job_id, sort, page_arg(args[2]), edit=True)


# --- the client's decisions -----------------------------------------------------------------


async def _shortlist(update: Update, context: MarketContext, bid_id: int) -> None:
    bid, job = await bids.shortlist_bid(context.svc, me(update), bid_id)
    gets = "nda" if job.nda_required else "brief" if job.brief else "nothing"
    await context.say(
        update, cards.tr(context, "bid-shortlisted", bid=bid.id, job=bid.job_id, gets=gets)
    )


async def _accept(update: Update, context: MarketContext, bid_id: int) -> None:
    deal = await deals.hire(context.svc, me(update), bid_id)
    due = Markup(context.when(deal.funding_ends_at or context.svc.clock.now()))
    await context.say(update, cards.tr(context, "deal-created", deal=deal.id, bid=bid_id, due=due))


async def _decline(update: Update, context: MarketContext, bid_id: int, reason: str) -> None:
    bid = await bids.decline_bid(context.svc, me(update), bid_id, reason)
    await context.say(update, cards.tr(context, "bid-declined", bid=bid.id))


@handler
async def shortlist(update: Update, context: MarketContext) -> None:
    await _shortlist(update, context, _first_id(args_of(context), "args.shortlist"))


@handler
async def accept(update: Update, context: MarketContext) -> None:
    await _accept(update, context, _first_id(args_of(context), "args.accept"))


@handler
async def decline(update: Update, context: MarketContext) -> None:
    args = args_of(context)
    await _decline(update, context, _first_id(args, "args.decline"), " ".join(args[1:]))


@handler
async def trial(update: Update, context: MarketContext) -> None:
    args = args_of(context)
    bid_id = _first_id(args, "args.trial")
    task = " ".join(args[1:]).strip()
    if not task:
        raise InvalidInput("args.trial")
    await request_trial(update, context, bid_id, task)


async def request_trial(update: Update, context: MarketContext, bid_id: int, task: str) -> None:
    """/trial, or the answer to the Trial button's question."""
    trial_id = await bids.request_trial(context.svc, me(update), bid_id, task)
    await context.say(update, cards.tr(context, "trial-requested", trial=trial_id, bid=bid_id))


@button("shortlist")
async def shortlist_button(update: Update, context: MarketContext, args: list[str]) -> None:
    await _shortlist(update, context, _first_id(args, "args.shortlist"))


@button("accept")
async def accept_button(update: Update, context: MarketContext, args: list[str]) -> None:
    await _accept(update, context, _first_id(args, "args.accept"))


@button("decline")
async def decline_button(update: Update, context: MarketContext, args: list[str]) -> None:
    await _decline(update, context, _first_id(args, "args.decline"), "")


# --- the freelancer's side ------------------------------------------------------------------


async def _send_my_bids(update: Update, context: MarketContext, number: int, edit: bool) -> None:
    page = page_of(await bids.my_bids(context.svc, me(update)), number)
    html, rows = cards.my_bids_list(context, page)
    await context.say(update, html, rows, edit=edit)


@handler
async def my_bids(update: Update, context: MarketContext) -> None:
    await _send_my_bids(update, context, 0, edit=False)


@button("mybids")
async def my_bids_page(update: Update, context: MarketContext, args: list[str]) -> None:
    await _send_my_bids(update, context, page_arg((args or [""])[0]), edit=True)


@handler
async def withdraw(update: Update, context: MarketContext) -> None:
    bid_id = _first_id(args_of(context), "args.withdraw")
    bid = await bids.withdraw_bid(context.svc, me(update), bid_id)
    await context.say(update, cards.tr(context, "bid-withdrawn", bid=bid.id, job=bid.job_id))


async def _drop_buttons(update: Update, markup: InlineKeyboardMarkup | None = None) -> None:
    """An answered question's buttons go away (or give way to `markup`), so they are not
    pressed twice."""
    query = update.callback_query
    if query is not None and query.message is not None:
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(markup)


@yes_no_buttons("nda")
async def _answer_nda(update: Update, context: MarketContext, args: list[str], ok: bool) -> None:
    bid, job = await bids.answer_nda(context.svc, me(update), _first_id(args, "args.bid"), ok)
    await _drop_buttons(update)
    if not ok:
        await context.say(update, cards.tr(context, "nda-declined", bid=bid.id, job=job.id))
        return
    # One answer: the acceptance with the brief it opens.
    text = cards.tr(context, "nda-accepted", bid=bid.id, job=job.id, title=job.title)
    if job.brief:
        text += "\n\n" + context.t("notify-brief-body", brief=job.brief)
    await context.say(update, text)


@yes_no_buttons("trial")
async def _answer_trial(update: Update, context: MarketContext, args: list[str], ok: bool) -> None:
    trial_id = _first_id(args, "args.trial_id")
    await bids.answer_trial(context.svc, me(update), trial_id, ok)
    # An accepted trial's message gets the button that sends its result (bot.handlers.trials).
    label = cards.tr(context, "btn-trial-submit", trial=trial_id)
    submit = [[(label, ("cb", "trial_submit", trial_id))]] if ok else None
    await _drop_buttons(update, context.keyboard(submit))
    key = "trial-accepted" if ok else "trial-declined"
    await context.say(update, cards.tr(context, key, trial=trial_id))
