"""/bid: a bid on a job, guided (amount, delivery days, cover letter, confirm) or in one line.

    /bid 12                      the guided flow on Job #12
    /bid 12 150 3 I can do it    at once: amount, days, cover letter
    /start bid_12                the deep link of a job post: the guided flow
    [Bid] on a job card          the guided flow (button action "bid", args [job id])

An amount far outside the job's budget (bot.domain.rules.far_from_budget: below half its
lowest amount or above twice its highest) is asked "are you sure?" with Yes / No before it
goes on: in the guided flow right after the amount (No asks the amount again), and in one
line before the bid is placed (No places nothing).

Every step checks what was typed (the amount with the job's currency's rules, 1..365 days, at most
2000 characters of cover letter) and asks again with one sentence; a refusal from the
service (own job, job not open, banned) ends the flow with its sentence. The draft lives in
`context.user_data["bid"]` as plain JSON types.
"""

from __future__ import annotations

import re
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.domain import rules
from bot.domain.errors import Conflict, DomainError, Forbidden, InvalidInput
from bot.domain.money import parse_amount
from bot.domain.numbers import entity_id, parse_id
from bot.domain.states import JobState
from bot.flows.common import (
    END,
    INPUT,
    PRIVATE,
    TEXT,
    Flow,
    answer,
    end_other_flows,
    expired,
    in_private,
    pressed,
    prompt,
    strip_buttons,
)
from bot.handlers.base import Button, MarketContext, handler
from bot.handlers.callbacks import is_action
from bot.i18n import Markup
from bot.runtime import Runtime
from bot.services import bids, hourly, jobs

NAME = "bid"
KEY = "bid"
ACTION = "bidf"  # the flow's own buttons; "bid" is the job card's button that starts it
STEPS = ("amount", "check", "days", "cover", "confirm")
STATES = tuple(f"bid.{s}" for s in STEPS)
DEEP_LINK = re.compile(r"^/start bid_(\S*)$")  # every such link: a wrong one gets a sentence


def _btn(label: str, op: str, step: str) -> Button:
    return (label, ("cb", ACTION, op, step))


def _nav(context: MarketContext, step: str) -> list[Button]:
    row = []
    if step != "amount":
        row.append(_btn(context.t("flow-back"), "back", step))
    row.append(_btn(context.t("flow-cancel"), "cancel", step))
    return row


def _cancel(context: MarketContext, step: str) -> Button:
    return _btn(context.t("flow-cancel"), "cancel", step)


def _after_amount(d: dict[str, Any]) -> str:
    """ "are you sure?" when the amount is far outside the budget, else on to the days."""
    far = rules.far_from_budget(d["amount"], d["budget_min"], d["budget_max"])
    return "check" if far else "days"


def _budget(context: MarketContext, d: dict[str, Any]) -> str:
    lo, hi, cur = d["budget_min"], d["budget_max"], d["currency"]
    if lo == hi:
        return context.money(lo, cur)
    return context.t(
        "post-budget-range", low=Markup(context.money(lo, cur)), high=Markup(context.money(hi, cur))
    )


async def ask(
    update: Update, context: MarketContext, d: dict[str, Any], step: str, error: str | None = None
) -> str:
    t = context.t
    d["step"] = step
    rows: list[list[Button]] = []
    job = str(d["job"])
    if step == "amount":
        text = t("bid-ask-amount", job=job, title=d["title"], budget=Markup(_budget(context, d)))
    elif step == "check":
        amount = Markup(context.money(d["amount"], d["currency"]))
        far = rules.far_from_budget(d["amount"], d["budget_min"], d["budget_max"]) or "below"
        text = t(f"bid-far-{far}", amount=amount, job=job, budget=Markup(_budget(context, d)))
        rows.append(
            [
                _btn(t("bid-btn-far-yes", amount=amount), "yes", step),
                _btn(t("bid-btn-far-no"), "no", step),
            ]
        )
    elif step == "days":
        text = t("bid-ask-days", min=rules.DAYS_MIN, max=rules.DAYS_MAX)
    elif step == "cover":
        text = t("bid-ask-cover", max=rules.COVER_MAX)
    else:
        text = t(
            "bid-confirm",
            job=job,
            title=d["title"],
            amount=Markup(context.money(d["amount"], d["currency"])),
            days=d["days"],
            cover=d.get("cover") or "",
        )
        rows.append([_btn(t("bid-btn-confirm"), "confirm", step)])
    rows.append(_nav(context, step) if step != "check" else [_cancel(context, step)])
    if error:
        text = f"{error}\n\n{text}"
    await prompt(update, context, d, text, rows)
    return f"bid.{step}"


def _draft(context: MarketContext) -> dict[str, Any] | None:
    d = (context.user_data or {}).get(KEY)
    return d if isinstance(d, dict) and d.get("step") in STEPS else None


def _sentence(context: MarketContext, err: DomainError) -> str:
    return context.rt.i18n.error(context.locale, err)


def _check_can_bid(context: MarketContext, job: Any) -> None:
    """The service's own refusals, said before the questions rather than after them."""
    me = context.me
    if me is not None and me.banned:
        raise Forbidden("user.banned")
    if me is not None and job.client_id == me.id:
        raise Forbidden("bid.own_job", job=job.id)
    if job.state != JobState.OPEN or job.bidding_ends_at <= context.svc.clock.now():
        raise Conflict("job.not_open", job=job.id)


async def begin(update: Update, context: MarketContext, job_id: int) -> object:
    """Start the guided flow on a job."""
    await end_other_flows(update, context, NAME)
    context.user_data.pop(KEY, None)
    try:
        view = await jobs.view_job(context.svc, job_id)
        _check_can_bid(context, view.job)
    except DomainError as err:
        await context.say(update, _sentence(context, err))
        return END
    d: dict[str, Any] = {**_job_fields(view.job), "step": "amount"}
    context.user_data[KEY] = d
    return await ask(update, context, d, "amount")


def _job_fields(job: Any) -> dict[str, Any]:
    return {
        "job": job.id,
        "title": job.title,
        "currency": job.currency,
        "budget_min": job.budget_min,
        "budget_max": job.budget_max,
    }


async def _done(
    update: Update, context: MarketContext, d: dict[str, Any] | None, text: str
) -> object:
    """Leave the flow with one message."""
    context.user_data.pop(KEY, None)
    if d is not None and update.effective_chat is not None:
        await strip_buttons(context, update.effective_chat.id, d.get("msg"))
    await context.say(update, text)
    return END


async def _place(
    update: Update,
    context: MarketContext,
    d: dict[str, Any] | None,
    job_id: int,
    amount: int | str,
    days: int,
    cover: str,
) -> object:
    assert context.me is not None
    try:
        result = await bids.place_bid(context.svc, context.me.id, job_id, amount, days, cover)
    except DomainError as err:
        return await _done(update, context, d, _sentence(context, err))
    key = "bid-updated" if result.updated else "bid-placed"
    text = context.t(
        key,
        bid=str(result.bid.id),
        job=str(job_id),
        amount=Markup(context.money(result.bid.amount, result.currency)),
        days=result.bid.days,
    )
    return await _done(update, context, d, text)


def _is_rate(text: str) -> bool:
    return text.lower().endswith(RATE_SUFFIXES)


RATE_SUFFIXES = ("/h", "/ч")


async def _place_hourly(
    update: Update, context: MarketContext, job_id: int, parts: list[str]
) -> object:
    """An hourly bid in one line: `20/h 10 cover`: 20 an hour, at most 10 hours a week."""
    assert context.me is not None
    try:
        if len(parts) < 2:
            raise InvalidInput("hourly.bid_usage")
        weekly = hourly.parse_limit(parts[1])
        cover = rules.cover_letter(parts[2] if len(parts) > 2 else "")
        job = (await jobs.view_job(context.svc, job_id)).job
        rate = parse_amount(parts[0][: -len("/h")], job.currency)
        result = await bids.place_bid(
            context.svc, context.me.id, job_id, rate, 7, cover, weekly_minutes=weekly
        )
    except DomainError as err:
        await context.say(update, _sentence(context, err))
        return END
    key = "bid-updated-hourly" if result.updated else "bid-placed-hourly"
    text = context.t(
        key,
        bid=str(result.bid.id),
        job=str(job_id),
        rate=Markup(context.money(result.bid.amount, result.currency)),
        hours=weekly // 60,
    )
    await context.say(update, text)
    return END


# -- entry points -----------------------------------------------------------------------------


@handler
async def command(update: Update, context: MarketContext) -> object:
    """/bid <job> (guided) or /bid <job> <amount> <days> <cover letter> (one line)."""
    message = update.effective_message
    parts = (message.text if message else "").split(None, 4)[1:]
    job_id = entity_id(parts[0]) if parts else None
    if job_id is None or len(parts) == 2:
        await context.say(update, context.t("bid-usage"))
        return None
    if len(parts) == 1:
        return await begin(update, context, job_id)
    # One line: the cover letter keeps its own lines.
    context.user_data.pop(KEY, None)
    if _is_rate(parts[1]):  # /bid <job> <rate>/h <hours a week> <cover letter>
        return await _place_hourly(update, context, job_id, parts[1:])
    try:
        days = rules.parse_days(parts[2])
        cover = rules.cover_letter(parts[3] if len(parts) > 3 else "")
        job = (await jobs.view_job(context.svc, job_id)).job
        amount = parse_amount(parts[1], job.currency)  # in the job's own currency
        far = rules.far_from_budget(amount, job.budget_min, job.budget_max)
        if far:
            _check_can_bid(context, job)  # no "are you sure?" for a bid that can't be placed
    except DomainError as err:
        await context.say(update, _sentence(context, err))
        return END
    if not far:
        return await _place(update, context, None, job_id, amount, days, cover)
    await end_other_flows(update, context, NAME)
    d: dict[str, Any] = {
        **_job_fields(job),
        "step": "check",
        "amount": amount,
        "days": days,
        "cover": cover,
        "oneline": True,  # Yes places the bid at once
    }
    context.user_data[KEY] = d
    return await ask(update, context, d, "check")


@handler
async def deep_link(update: Update, context: MarketContext) -> object:
    """/start bid_<job> from a job post."""
    message = update.effective_message
    m = DEEP_LINK.match((message.text if message else "").strip())
    return await begin(update, context, parse_id(m.group(1) if m else "", "args.link"))


@handler
async def job_button(update: Update, context: MarketContext) -> object:
    """The Bid button of a job card."""
    query = update.callback_query
    decoded = context.rt.buttons.unpack(query.data if query else None)
    job_id = entity_id(decoded[1][0]) if decoded and decoded[1] else None
    if job_id is None:
        await expired(update, context)
        return None
    if not in_private(update):
        await answer(update, context.t("flow-private-only"), alert=True)
        return None
    await answer(update)
    return await begin(update, context, job_id)


# -- steps ------------------------------------------------------------------------------------


@handler
async def on_text(update: Update, context: MarketContext) -> object:
    d = _draft(context)
    if d is None:
        return await _done(update, context, None, context.t("flow-lost"))
    step = d["step"]
    message = update.effective_message
    text = message.text if message and message.text else ""
    try:
        if step == "amount":
            d["amount"] = parse_amount(text, d["currency"])  # the job's currency
        elif step == "days":
            d["days"] = rules.parse_days(text)
        elif step == "cover":
            d["cover"] = rules.cover_letter(text)
        else:
            return await ask(update, context, d, step, error=context.t("flow-use-buttons"))
    except DomainError as err:
        return await ask(update, context, d, step, error=_sentence(context, err))
    if step == "amount":
        return await ask(update, context, d, _after_amount(d))
    return await ask(update, context, d, STEPS[STEPS.index(step) + 1])


@handler
async def on_other(update: Update, context: MarketContext) -> object:
    d = _draft(context)
    if d is None:
        return await _done(update, context, None, context.t("flow-lost"))
    return await ask(update, context, d, d["step"], error=context.t("flow-send-text"))


@handler
async def on_button(update: Update, context: MarketContext) -> object:
    d = _draft(context)
    if d is None:
        await answer(update)
        return await _done(update, context, None, context.t("flow-lost"))
    decoded = pressed(update, context)
    if decoded is None or decoded[1] != d["step"]:
        await expired(update, context)
        return None
    op, step, _args = decoded
    if op == "cancel":
        await answer(update)
        return await _done(update, context, d, context.t("bid-cancelled"))
    if op == "back" and step not in ("amount", "check"):
        await answer(update)
        back = "amount" if step == "days" else STEPS[STEPS.index(step) - 1]
        return await ask(update, context, d, back)
    if op in ("yes", "no") and step == "check":
        await answer(update)
        if op == "no" and d.get("oneline"):
            return await _done(update, context, d, context.t("bid-far-dropped", job=str(d["job"])))
        if op == "no":
            return await ask(update, context, d, "amount")
        if d.get("oneline"):
            return await _confirm_place(update, context, d)
        return await ask(update, context, d, "days")
    if op == "confirm" and step == "confirm":
        await answer(update)
        return await _confirm_place(update, context, d)
    await expired(update, context)
    return None


async def _confirm_place(update: Update, context: MarketContext, d: dict[str, Any]) -> object:
    # A double press must not bid twice: the first press holds this in-memory mark.
    busy = context.chat_data.setdefault("busy", set())
    if KEY in busy:
        return None
    busy.add(KEY)
    try:
        return await _place(
            update, context, d, d["job"], d["amount"], d["days"], d.get("cover", "")
        )
    finally:
        busy.discard(KEY)


@handler
async def cancel(update: Update, context: MarketContext) -> object:
    """/cancel: leave the flow; no bid is placed."""
    return await _done(update, context, _draft(context), context.t("bid-cancelled"))


def conversation(rt: Runtime) -> Flow:
    buttons = CallbackQueryHandler(on_button, pattern=is_action(rt.buttons, ACTION))
    step_handlers = [buttons, MessageHandler(TEXT, on_text), MessageHandler(INPUT, on_other)]
    return Flow(
        name=NAME,
        data_key=KEY,
        entry_points=[
            CommandHandler("bid", command, filters=PRIVATE),
            CommandHandler("start", deep_link, filters=PRIVATE & filters.Regex(r"^/start bid_")),
            CallbackQueryHandler(job_button, pattern=is_action(rt.buttons, "bid")),
        ],
        states={state: step_handlers for state in STATES},
        fallbacks=[CommandHandler("cancel", cancel, filters=PRIVATE)],
    )
