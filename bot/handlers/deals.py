"""Deals in private chat: /deals, /deal, /deliver (and its files), /release, /revise, /extend,
/canceldeal, /dispute, /log, /rate, and the buttons of deal notifications and cards.

Each handler parses its arguments (a missing or bad one is answered with one sentence), calls
one service, and renders the answer. The services check who may act and in which state.
"""

from __future__ import annotations

import html
from typing import Any

from telegram import Message, Update

from bot.domain import rules
from bot.domain.errors import Conflict, InvalidInput
from bot.domain.states import DealState
from bot.handlers import milestones as milestone_views
from bot.handlers.arguments import command_args
from bot.handlers.base import Follow, MarketContext, _answer_query, handler, int_arg
from bot.handlers.callbacks import button, yes_no_buttons
from bot.handlers.deal_questions import cancel_question, refund_done, release_question
from bot.handlers.hourly import log_hourly
from bot.i18n import Markup, id_params
from bot.services import deals, disputes, feedback, hourly
from bot.services.deal_cards import load_deal, load_deal_list
from bot.views.deal_card import deal_card, deal_history, deal_list_line, stars_row
from bot.views.miniapp import app_row
from bot.views.pages import page_arg, page_of, with_nav

# Files sent this long after /deliver join that delivery.
DELIVER_FILES_WINDOW = 10 * 60
PENDING_KEY = "deliver_deal"


# --- parsing ---------------------------------------------------------------------------------


def _me(update: Update) -> int:
    assert update.effective_user is not None
    return update.effective_user.id


def _t(context: MarketContext, key: str, **params: Any) -> str:
    """context.t with entity numbers shown as-is."""
    return context.t(key, **id_params(params))


def _now(context: MarketContext) -> int:
    return context.svc.clock.now()


def files_of(message: Message | None) -> list[dict[str, Any]]:
    """The document or photo of a message, as the deal events store files."""
    if message is None:
        return []
    if message.document is not None:
        doc = message.document
        return [
            {
                "kind": "document",
                "file_id": doc.file_id,
                "file_unique_id": doc.file_unique_id,
                "name": doc.file_name or "",
                "mime": doc.mime_type or "",
                "size": doc.file_size or 0,
            }
        ]
    if message.photo:
        photo = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        return [
            {
                "kind": "photo",
                "file_id": photo.file_id,
                "file_unique_id": photo.file_unique_id,
                "name": "photo.jpg",
                "size": photo.file_size or 0,
            }
        ]
    return []


# --- listing and the card ----------------------------------------------------------------------


@handler
async def list_deals(update: Update, context: MarketContext) -> None:
    await _deals_page(update, context, 0, edit=False)


async def _deals_page(update: Update, context: MarketContext, number: int, edit: bool) -> None:
    me = _me(update)
    items = await load_deal_list(context.svc, me)
    if not items:
        await context.say(update, context.t("deals-empty"), edit=edit)
        return
    page = page_of(items, number)
    lines = [context.t("deals-title", count=len(items))]
    lines += [deal_list_line(deal, job, me, context) for deal, job in page.items]
    buttons = [
        (_t(context, "deal-btn-deal", deal=deal.id), ("cb", "deal_card", deal.id))
        for deal, _job in page.items
    ]
    rows: list[list[Any]] = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows = with_nav(rows, page, "deals_page")
    await context.say(update, "\n".join(lines), rows, edit=edit)


@button("deals_page")
async def deals_page_button(update: Update, context: MarketContext, args: list[str]) -> None:
    await _deals_page(update, context, page_arg(args[0] if args else None), edit=True)


@handler
async def show_deal(update: Update, context: MarketContext) -> None:
    args, _ = command_args(update.effective_message, 1, "dealcmd.usage_deal")
    await _show_card(update, context, int_arg(args[0], "dealcmd.usage_deal"), edit=False)


async def _show_card(update: Update, context: MarketContext, deal_id: int, edit: bool) -> None:
    me = _me(update)
    svc = context.svc
    if svc.is_admin(me):
        data = await load_deal(svc, deal_id, None)
        if data.deal.party(me) is None:  # an admin looking at someone else's deal
            await context.say(update, deal_history(data, context, _now(context)), edit=edit)
            return
    data = await load_deal(svc, deal_id, me, reviewer_ok=True)  # a reviewer reads it too
    text, rows = deal_card(data, me, context, _now(context))
    url = svc.settings.miniapp_url
    rows = rows + app_row(url, context.t("miniapp-btn-open"), deal=deal_id)
    follow = Follow("card.deal", f"deal:{deal_id}", {"deal": deal_id})
    await context.say(update, text, rows, edit=edit, follow=follow)


@button("deal_card")
async def deal_card_button(update: Update, context: MarketContext, args: list[str]) -> None:
    await _show_card(update, context, int_arg(args[0] if args else None), edit=True)


# --- work ------------------------------------------------------------------------------------


@handler
async def deliver(update: Update, context: MarketContext) -> None:
    """/deliver <deal> [note]; as a reply to one's own file, that file is delivered."""
    message = update.effective_message
    args, note = command_args(message, 1, "dealcmd.usage_deliver")
    deal_id = int_arg(args[0], "dealcmd.usage_deliver")
    files: list[dict[str, Any]] = []
    reply = message.reply_to_message if message is not None else None
    if reply is not None and reply.from_user is not None and reply.from_user.id == _me(update):
        files = files_of(reply)
    await send_delivery(update, context, deal_id, note, files)


async def send_delivery(
    update: Update, context: MarketContext, deal_id: int, note: str, files: list[dict[str, Any]]
) -> None:
    deal = await deals.deliver(context.svc, _me(update), deal_id, note, files)
    if context.user_data is not None:
        context.user_data[PENDING_KEY] = {"deal": deal.id, "at": _now(context)}
    await context.say(
        update,
        _t(
            context,
            "deal-deliver-done",
            deal=deal.id,
            review_ends=Markup(context.when(deal.review_ends_at or _now(context))),
            files=len(files),
        ),
    )


@handler
async def files_received(update: Update, context: MarketContext) -> None:
    """A document or photo in private: part of a delivery, or answered with a hint."""
    message = update.effective_message
    files = files_of(message)
    if not files:
        return
    caption = (message.caption or "") if message is not None else ""
    command = caption.split(None, 1)[0].split("@")[0].lower() if caption.strip() else ""
    if command == "/deliver":
        args, note = command_args(message, 1, "dealcmd.usage_deliver")
        deal_id = int_arg(args[0], "dealcmd.usage_deliver")
        await send_delivery(update, context, deal_id, note, files)
        return
    user_data = context.user_data if context.user_data is not None else {}
    pending = user_data.get(PENDING_KEY)
    now = _now(context)
    if not isinstance(pending, dict) or now - int(pending.get("at", 0)) > DELIVER_FILES_WINDOW:
        await context.say(update, context.t("deal-deliver-files-hint"))
        return
    deal_id = int(pending["deal"])
    try:
        await deals.attach_files(context.svc, _me(update), deal_id, files)
    except Conflict as err:
        if err.key != "deliver.no_open_delivery":
            raise
        # The delivery moved on (revision asked, released...): these files start a new one.
        user_data.pop(PENDING_KEY, None)
        await context.say(update, context.t("deal-deliver-files-hint"))
        return
    user_data[PENDING_KEY] = {"deal": deal_id, "at": now}  # more files may follow
    await context.say(
        update, _t(context, "deal-deliver-files-attached", deal=deal_id, files=len(files))
    )


@handler
async def revise(update: Update, context: MarketContext) -> None:
    args, what = command_args(update.effective_message, 1, "dealcmd.usage_revise")
    await request_changes(update, context, int_arg(args[0], "dealcmd.usage_revise"), what)


async def request_changes(update: Update, context: MarketContext, deal_id: int, what: str) -> None:
    """/revise, or the answer to the Request changes button's question."""
    deal = await deals.revise(context.svc, _me(update), deal_id, what)
    await context.say(
        update,
        _t(
            context,
            "deal-revise-done",
            deal=deal.id,
            used=deal.revisions,
            max=context.svc.settings.max_revisions,
            due=Markup(context.when(deal.due_at or _now(context))),
        ),
    )


@handler
async def extend(update: Update, context: MarketContext) -> None:
    args, duration = command_args(
        update.effective_message, 1, "dealcmd.usage_extend"
    )  # `3d`, or `3 дня`: the rest
    if not duration:
        raise InvalidInput("dealcmd.usage_extend")
    deal_id = int_arg(args[0], "dealcmd.usage_extend")
    await _extend(update, context, deal_id, duration, edit=False)


async def _extend(
    update: Update, context: MarketContext, deal_id: int, duration: str, edit: bool
) -> None:
    deal = await deals.extend(context.svc, _me(update), deal_id, duration)
    await context.say(
        update,
        _t(
            context,
            "deal-extend-done",
            deal=deal.id,
            due=Markup(context.when(deal.due_at or _now(context))),
        ),
        edit=edit,
    )


@handler
async def log_time(update: Update, context: MarketContext) -> None:
    args, note = command_args(update.effective_message, 2, "dealcmd.usage_log")
    deal_id = int_arg(args[0], "dealcmd.usage_log")
    if await hourly.is_hourly(context.svc, deal_id):  # against the contract's current week
        await log_hourly(update, context, deal_id, args[1], note)
        return
    minutes = rules.hours_to_minutes(args[1])
    await deals.log_time(context.svc, _me(update), deal_id, args[1], note)
    hours = round(minutes / 60, 2)
    await context.say(
        update,
        _t(
            context,
            "deal-log-done",
            deal=deal_id,
            hours=int(hours) if hours == int(hours) else hours,
        ),
    )


# --- endings ---------------------------------------------------------------------------------


@handler
async def release(update: Update, context: MarketContext) -> None:
    args, _ = command_args(update.effective_message, 1, "dealcmd.usage_release")
    await _release(update, context, int_arg(args[0], "dealcmd.usage_release"), edit=False)


async def _release(update: Update, context: MarketContext, deal_id: int, edit: bool) -> None:
    deal = await deals.release(context.svc, _me(update), deal_id)
    part = await milestone_views.released_text(context, deal)
    if part is not None and deal.state == DealState.AWAITING_FUNDING:
        await context.say(update, part, edit=edit)  # the next milestone's invoice follows
        return
    await context.say(
        update,
        _t(
            context,
            "deal-release-done",
            deal=deal.id,
            amount=Markup(context.money(deal.amount, deal.currency)),
        ),
        [stars_row(deal.id)],
        edit=edit,
        follow=Follow("card.rate", f"deal:{deal.id}", {"deal": deal.id}),
    )


@handler
async def cancel_deal(update: Update, context: MarketContext) -> None:
    args, _ = command_args(update.effective_message, 1, "dealcmd.usage_canceldeal")
    await _cancel(update, context, int_arg(args[0], "dealcmd.usage_canceldeal"), edit=False)


async def _cancel(update: Update, context: MarketContext, deal_id: int, edit: bool) -> None:
    outcome = await deals.cancel(context.svc, _me(update), deal_id)
    await context.say(update, _t(context, f"deal-canceldeal-{outcome}", deal=deal_id), edit=edit)


@handler
async def dispute(update: Update, context: MarketContext) -> None:
    args, reason = command_args(update.effective_message, 1, "dealcmd.usage_dispute")
    await open_dispute(update, context, int_arg(args[0], "dealcmd.usage_dispute"), reason)


async def open_dispute(update: Update, context: MarketContext, deal_id: int, reason: str) -> None:
    """/dispute, or the answer to the Dispute button's question."""
    opened = await disputes.open_dispute(context.svc, _me(update), deal_id, reason)
    await context.say(update, _t(context, "deal-dispute-opened", deal=opened.deal_id))


@handler
async def rate(update: Update, context: MarketContext) -> None:
    args, comment = command_args(update.effective_message, 2, "dealcmd.usage_rate")
    deal_id = int_arg(args[0], "dealcmd.usage_rate")
    await _rate(update, context, deal_id, args[1], comment, edit=False)


async def _rate(
    update: Update, context: MarketContext, deal_id: int, stars: str, comment: str, edit: bool
) -> None:
    value = rules.parse_stars(stars)
    rated = await feedback.rate(context.svc, _me(update), deal_id, value, comment)
    if not rated.both:
        text = _t(context, "deal-rate-done-wait", deal=deal_id, stars=value)
    else:  # the pair is complete: this answer shows what they got (one message)
        text = _t(context, "deal-rate-done-both", deal=deal_id, stars=value)
        got = rated.received
        if got is not None:
            text += "\n" + context.t("notify-feedback-stars", stars=got.stars)
            if got.comment:
                text += "\n" + context.t("notify-quote", text=got.comment)
    await context.say(update, text, edit=edit)


# --- buttons ---------------------------------------------------------------------------------


def _deal_arg(args: list[str]) -> int:
    return int_arg(args[0] if args else None)


@button("release")
async def release_button(update: Update, context: MarketContext, args: list[str]) -> None:
    """Release asks once more: the money can't come back."""
    me = _me(update)
    data = await load_deal(context.svc, _deal_arg(args), me)
    text = await release_question(context, data, me)
    deal = data.deal
    rows = [
        [
            (context.t("deal-btn-release-confirm"), ("cb", "release_go", deal.id)),
            (context.t("deal-btn-keep"), ("cb", "deal_close", deal.id)),
        ]
    ]
    await context.say(update, text, rows)


@button("release_go")
async def release_go_button(update: Update, context: MarketContext, args: list[str]) -> None:
    await _release(update, context, _deal_arg(args), edit=True)


@button("deal_close")
async def deal_close_button(update: Update, context: MarketContext, args: list[str]) -> None:
    await context.say(update, context.t("deal-nothing-changed"), edit=True)


@button("cancel_ask")
async def cancel_ask_button(update: Update, context: MarketContext, args: list[str]) -> None:
    me = _me(update)
    data = await load_deal(context.svc, _deal_arg(args), me)
    text = await cancel_question(context, data, me)
    deal = data.deal
    rows = [
        [
            (context.t("deal-btn-cancel-confirm"), ("cb", "cancel_go", deal.id)),
            (context.t("deal-btn-keep"), ("cb", "deal_card", deal.id)),
        ]
    ]
    await context.say(update, text, rows, edit=True)


@button("cancel_go")
async def cancel_go_button(update: Update, context: MarketContext, args: list[str]) -> None:
    await _cancel(update, context, _deal_arg(args), edit=True)


@yes_no_buttons("cancel")
async def _answer_cancel(
    update: Update, context: MarketContext, args: list[str], agree: bool
) -> None:
    deal_id = _deal_arg(args)
    outcome = await deals.answer_cancel(context.svc, _me(update), deal_id, agree)
    await context.say(update, _t(context, f"deal-cancel-answer-{outcome}", deal=deal_id), edit=True)


@button("extend1d")
async def extend1d_button(update: Update, context: MarketContext, args: list[str]) -> None:
    await _extend(update, context, _deal_arg(args), "1d", edit=True)


@button("refundnow")
async def refundnow_button(update: Update, context: MarketContext, args: list[str]) -> None:
    deal, back = await deals.refund_overdue(context.svc, _me(update), _deal_arg(args))
    await context.say(update, refund_done(context, deal, back), edit=True)


@button("wait")
async def wait_button(update: Update, context: MarketContext, args: list[str]) -> None:
    deal_id = _deal_arg(args)
    await load_deal(context.svc, deal_id, _me(update))  # only the parties
    query = update.callback_query
    if query is not None:
        await _answer_query(
            query, html.unescape(_t(context, "deal-wait-ok", deal=deal_id)), alert=True
        )


@button("rate")
async def rate_button(update: Update, context: MarketContext, args: list[str]) -> None:
    if len(args) < 2:
        raise InvalidInput("rating.invalid")
    await _rate(update, context, _deal_arg(args), args[1], "", edit=True)
