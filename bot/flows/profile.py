"""/editprofile: the profile fields with a button each (bio, skills, years of experience,
portfolio links) and Done; each asks for the new text and saves it through
services.profiles.edit_profile. A `-` clears a text field. The flow's state lives in
`context.user_data["profile"]` as plain JSON types.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler

from bot.domain import rules
from bot.domain.errors import DomainError
from bot.domain.models import User
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
from bot.handlers.base import Button, MarketContext, handler
from bot.handlers.callbacks import is_action
from bot.i18n import Markup, escape
from bot.runtime import Runtime
from bot.services import profiles

NAME = "profile"
KEY = "profile"
ACTION = "prof"
FIELDS = ("bio", "skills", "years", "portfolio")
STATES = ("profile.menu", "profile.field")
CLEAR = "-"


def _btn(label: str, op: str, step: str, *args: object) -> Button:
    return (label, ("cb", ACTION, op, step, *args))


def _value(context: MarketContext, text: str) -> str:
    return text if text else context.t("editprofile-empty")


def card(context: MarketContext, user: User | None) -> str:
    t = context.t
    bio = user.bio if user else ""
    skills = user.skills if user else ""
    years = user.experience_years if user else None
    links = user.portfolio if user else []
    return t(
        "editprofile-card",
        bio=_value(context, bio),
        skills=_value(context, skills),
        years=Markup(
            t("editprofile-years", years=years) if years is not None else t("editprofile-empty")
        ),
        portfolio=Markup("\n".join(escape(link) for link in links))
        if links
        else Markup(t("editprofile-empty")),
    )


def _current(user: User | None, field: str) -> str:
    if user is None:
        return ""
    if field == "bio":
        return user.bio
    if field == "skills":
        return user.skills
    if field == "years":
        return "" if user.experience_years is None else str(user.experience_years)
    return " ".join(user.portfolio)


async def ask(
    update: Update,
    context: MarketContext,
    d: dict[str, Any],
    step: str,
    note: str | None = None,
) -> str:
    """`menu` (the card with a button per field) or one of FIELDS (asks for its text)."""
    t = context.t
    d["step"] = step
    if step == "menu":
        text = t("editprofile-head") + "\n\n" + card(context, context.me)
        rows: list[list[Button]] = [
            [
                _btn(t("editprofile-btn-bio"), "pick", step, "bio"),
                _btn(t("editprofile-btn-skills"), "pick", step, "skills"),
            ],
            [
                _btn(t("editprofile-btn-years"), "pick", step, "years"),
                _btn(t("editprofile-btn-portfolio"), "pick", step, "portfolio"),
            ],
            [_btn(t("flow-done"), "done", step)],
        ]
        state = "profile.menu"
    else:
        text = t(f"editprofile-ask-{step}", max=rules.BIO_MAX)
        current = _current(context.me, step)
        if current:
            text += "\n\n" + t("post-current", value=current)
        rows = [[_btn(t("flow-back"), "back", step), _btn(t("flow-cancel"), "cancel", step)]]
        state = "profile.field"
    if note:
        text = f"{note}\n\n{text}"
    await prompt(update, context, d, text, rows)
    return state


def _draft(context: MarketContext) -> dict[str, Any] | None:
    d = (context.user_data or {}).get(KEY)
    return d if isinstance(d, dict) and d.get("step") else None


async def _done(update: Update, context: MarketContext, text: str) -> object:
    d = context.user_data.pop(KEY, None) if context.user_data is not None else None
    if isinstance(d, dict) and update.effective_chat is not None:
        await strip_buttons(context, update.effective_chat.id, d.get("msg"))
    await context.say(update, text)
    return END


async def _save(context: MarketContext, field: str, text: str) -> User:
    assert context.me is not None
    value = text.strip()
    svc, me = context.svc, context.me.id
    if field == "bio":
        return await profiles.edit_profile(svc, me, bio="" if value == CLEAR else value)
    if field == "skills":
        return await profiles.edit_profile(svc, me, skills="" if value == CLEAR else value)
    if field == "years":
        return await profiles.edit_profile(svc, me, experience_years=value)
    links = [] if value == CLEAR else value.replace(",", " ").split()
    return await profiles.edit_profile(svc, me, portfolio=links)


@handler
async def start(update: Update, context: MarketContext) -> object:
    await end_other_flows(update, context, NAME)
    d: dict[str, Any] = {"step": "menu"}
    context.user_data[KEY] = d
    return await ask(update, context, d, "menu")


@handler
async def on_text(update: Update, context: MarketContext) -> object:
    d = _draft(context)
    if d is None:
        return await _done(update, context, context.t("flow-lost"))
    step = d["step"]
    if step not in FIELDS:
        return await ask(update, context, d, step, note=context.t("flow-use-buttons"))
    message = update.effective_message
    try:
        context.me = await _save(context, step, message.text if message and message.text else "")
    except DomainError as err:
        return await ask(update, context, d, step, note=context.rt.i18n.error(context.locale, err))
    return await ask(update, context, d, "menu", note=context.t("editprofile-saved"))


@handler
async def on_other(update: Update, context: MarketContext) -> object:
    d = _draft(context)
    if d is None:
        return await _done(update, context, context.t("flow-lost"))
    key = "flow-send-text" if d["step"] in FIELDS else "flow-use-buttons"
    return await ask(update, context, d, d["step"], note=context.t(key))


@handler
async def on_button(update: Update, context: MarketContext) -> object:
    d = _draft(context)
    if d is None:
        await answer(update)
        return await _done(update, context, context.t("flow-lost"))
    decoded = pressed(update, context)
    if decoded is None or decoded[1] != d["step"]:
        await expired(update, context)
        return None
    op, step, args = decoded
    await answer(update)
    if op == "done" and step == "menu":
        return await _done(update, context, context.t("editprofile-done"))
    if op == "pick" and step == "menu" and args and args[0] in FIELDS:
        return await ask(update, context, d, args[0])
    if op == "back" and step in FIELDS:
        return await ask(update, context, d, "menu")
    if op == "cancel":
        return await _done(update, context, context.t("editprofile-done"))
    return None


@handler
async def cancel(update: Update, context: MarketContext) -> object:
    """/cancel: leave the flow (what was saved stays saved)."""
    return await _done(update, context, context.t("editprofile-done"))


def conversation(rt: Runtime) -> Flow:
    buttons = CallbackQueryHandler(on_button, pattern=is_action(rt.buttons, ACTION))
    step_handlers = [buttons, MessageHandler(TEXT, on_text), MessageHandler(INPUT, on_other)]
    return Flow(
        name=NAME,
        data_key=KEY,
        entry_points=[CommandHandler("editprofile", start, filters=PRIVATE)],
        states={state: step_handlers for state in STATES},
        fallbacks=[CommandHandler("cancel", cancel, filters=PRIVATE)],
    )
