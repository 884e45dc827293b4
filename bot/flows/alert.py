"""A new job alert, step by step (the "New alert" button of `/alerts`): category (buttons,
or any), words (typed, or Skip), smallest budget (typed in today's currency, or Skip),
language (buttons), at once or a daily digest (buttons); then it is saved through
services.alerts.create_search and the list is shown. Back and Cancel on every step.

The draft lives in `context.user_data["alert"]` as plain JSON types, like the other flows.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler

from bot.domain.alerts import DIGEST_HOUR
from bot.domain.categories import CATEGORIES
from bot.domain.errors import DomainError
from bot.domain.money import STARS, parse_amount
from bot.flows.common import (
    END,
    INPUT,
    PRIVATE,
    TEXT,
    Flow,
    answer,
    end_other_flows,
    expired,
    pressed,
    prompt,
    strip_buttons,
)
from bot.handlers.alerts import send_list
from bot.handlers.base import Button, MarketContext, handler
from bot.handlers.callbacks import is_action
from bot.runtime import Runtime
from bot.services import alerts
from bot.views.alerts import search_summary
from bot.views.cards import tr

NAME = "alert"
KEY = "alert"
ACTION = "alf"
ENTRY = "al_new"
STEPS = ("category", "words", "budget", "language", "mode")
TYPED = ("words", "budget")
STATE = "alert.step"


def _btn(label: str, op: str, step: str, *args: object) -> Button:
    return (label, ("cb", ACTION, op, step, *args))


def _nav(context: MarketContext, step: str, skip: bool = False) -> list[Button]:
    row = []
    if step != STEPS[0]:
        row.append(_btn(context.t("flow-back"), "back", step))
    if skip:
        row.append(_btn(context.t("flow-skip"), "skip", step))
    row.append(_btn(context.t("flow-cancel"), "cancel", step))
    return row


def _currency_name(context: MarketContext) -> str:
    currency = context.svc.settings.currency
    return "⭐" if currency == STARS else currency


async def ask(
    update: Update, context: MarketContext, d: dict[str, Any], step: str, note: str = ""
) -> str:
    t = context.t
    d["step"] = step
    rows: list[list[Button]] = []
    if step == "category":
        text = t("alerts-ask-category")
        picks = [_btn(t(f"category-{cid}"), "pick", step, cid) for cid in CATEGORIES]
        rows += [picks[i : i + 2] for i in range(0, len(picks), 2)]
        rows.append([_btn(t("alerts-btn-any-category"), "pick", step, "")])
    elif step == "words":
        text = t("alerts-ask-words")
    elif step == "budget":
        text = t("alerts-ask-budget", currency=_currency_name(context))
    elif step == "language":
        text = t("alerts-ask-language")
        rows.append(
            [
                _btn(t("alerts-btn-any-language"), "pick", step, ""),
                _btn(t("alerts-btn-english"), "pick", step, "en"),
                _btn(t("alerts-btn-russian"), "pick", step, "ru"),
            ]
        )
    else:
        text = t("alerts-ask-mode", hour=str(DIGEST_HOUR).zfill(2))
        rows.append(
            [
                _btn(t("alerts-btn-instant"), "pick", step, "instant"),
                _btn(t("alerts-btn-digest"), "pick", step, "digest"),
            ]
        )
    rows.append(_nav(context, step, skip=step in TYPED))
    if note:
        text = f"{note}\n\n{text}"
    await prompt(update, context, d, text, rows)
    return STATE


def _draft(context: MarketContext) -> dict[str, Any] | None:
    d = (context.user_data or {}).get(KEY)
    return d if isinstance(d, dict) and d.get("step") in STEPS else None


async def _finish(update: Update, context: MarketContext, text: str) -> object:
    d = context.user_data.pop(KEY, None) if context.user_data is not None else None
    if isinstance(d, dict) and update.effective_chat is not None:
        await strip_buttons(context, update.effective_chat.id, d.get("msg"))
    await context.say(update, text)
    return END


async def _next(update: Update, context: MarketContext, d: dict[str, Any], step: str) -> object:
    """After `step` was answered: the next step, or save the alert after the last."""
    at = STEPS.index(step)
    if at + 1 < len(STEPS):
        return await ask(update, context, d, STEPS[at + 1])
    assert context.me is not None
    draft = alerts.SearchDraft(
        category=d.get("category") or None,
        words=d.get("words") or "",
        min_budget=d.get("budget"),
        language=d.get("language") or None,
        mode=d.get("mode") or "instant",
    )
    try:
        search = await alerts.create_search(context.svc, context.me.id, draft)
    except DomainError as err:  # e.g. too many alerts meanwhile: said, and the flow ends
        return await _finish(update, context, context.rt.i18n.error(context.locale, err))
    await _finish(
        update,
        context,
        tr(context, "alerts-saved", alert=search.id, summary=search_summary(context, search)),
    )
    await send_list(update, context)
    return END


@handler
async def start(update: Update, context: MarketContext) -> object:
    await answer(update)
    await end_other_flows(update, context, NAME)
    d: dict[str, Any] = {"step": STEPS[0]}
    context.user_data[KEY] = d
    return await ask(update, context, d, STEPS[0])


@handler
async def on_text(update: Update, context: MarketContext) -> object:
    d = _draft(context)
    if d is None:
        return await _finish(update, context, context.t("flow-lost"))
    step = d["step"]
    if step not in TYPED:
        return await ask(update, context, d, step, note=context.t("flow-use-buttons"))
    message = update.effective_message
    text = (message.text if message is not None else "") or ""
    try:
        if step == "words":
            d["words"] = alerts.clean_words(text)
        else:
            d["budget"] = parse_amount(text, context.svc.settings.currency)
    except DomainError as err:
        return await ask(update, context, d, step, note=context.rt.i18n.error(context.locale, err))
    return await _next(update, context, d, step)


@handler
async def on_other(update: Update, context: MarketContext) -> object:
    d = _draft(context)
    if d is None:
        return await _finish(update, context, context.t("flow-lost"))
    key = "flow-send-text" if d["step"] in TYPED else "flow-use-buttons"
    return await ask(update, context, d, d["step"], note=context.t(key))


@handler
async def on_button(update: Update, context: MarketContext) -> object:
    d = _draft(context)
    if d is None:
        await answer(update)
        return await _finish(update, context, context.t("flow-lost"))
    decoded = pressed(update, context)
    if decoded is None or decoded[1] != d["step"]:
        await expired(update, context)
        return None
    op, step, args = decoded
    await answer(update)
    if op == "cancel":
        return await _finish(update, context, context.t("alerts-cancelled"))
    if op == "back":
        return await ask(update, context, d, STEPS[max(0, STEPS.index(step) - 1)])
    if op == "skip" and step in TYPED:
        d[step] = "" if step == "words" else None
        return await _next(update, context, d, step)
    if op == "pick" and step in ("category", "language", "mode"):
        value = args[0] if args else ""
        allowed = {
            "category": ("", *CATEGORIES),
            "language": ("", "en", "ru"),
            "mode": ("instant", "digest"),
        }[step]
        if value not in allowed:
            await expired(update, context)
            return None
        d[step] = value
        return await _next(update, context, d, step)
    return None


@handler
async def cancel(update: Update, context: MarketContext) -> object:
    return await _finish(update, context, context.t("alerts-cancelled"))


def conversation(rt: Runtime) -> Flow:
    buttons = CallbackQueryHandler(on_button, pattern=is_action(rt.buttons, ACTION))
    step_handlers = [buttons, MessageHandler(TEXT, on_text), MessageHandler(INPUT, on_other)]
    return Flow(
        name=NAME,
        data_key=KEY,
        entry_points=[CallbackQueryHandler(start, pattern=is_action(rt.buttons, ENTRY))],
        states={STATE: step_handlers},
        fallbacks=[CommandHandler("cancel", cancel, filters=PRIVATE)],
    )
