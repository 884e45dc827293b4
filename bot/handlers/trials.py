"""Trials: the freelancer sends the result of an accepted trial, the client looks at it.

    [📤 Submit result] on an accepted trial   the flow starts (button "trial_submit", [trial])
    any text, documents, photos              collected as the result (several messages)
    [✔ Done]                                 bids.submit_trial: the client gets the result
    [✖ Cancel] or /cancel                    nothing is sent; the button works again later

The draft lives in `context.user_data["trial"]` as plain JSON types, like the other flows, so
a result half sent survives a restart. The client's `/bids` shows each bid's latest trial
(task, state, result, files); its "Trial #N result" button (`trial_view`) shows the whole
result again and re-sends its files.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.domain import rules
from bot.domain.errors import DomainError, InvalidInput
from bot.domain.numbers import entity_id
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
from bot.handlers.base import Button, MarketContext, handler, int_arg, me
from bot.handlers.callbacks import button, is_action
from bot.handlers.deals import files_of
from bot.runtime import Runtime
from bot.services import bids
from bot.services.bids import TRIAL_FILES_MAX
from bot.views import cards

NAME = "trial"
KEY = "trial"
ACTION = "trialf"  # the flow's own buttons; "trial_submit" is the button that starts it
STEP = "collect"
STATE = "trial.collect"


def _btn(label: str, op: str) -> Button:
    return (label, ("cb", ACTION, op, STEP))


def _draft(context: MarketContext) -> dict[str, Any] | None:
    d = (context.user_data or {}).get(KEY)
    return d if isinstance(d, dict) and d.get("step") == STEP else None


def _result(d: dict[str, Any]) -> str:
    return "\n\n".join(d.get("texts") or [])


def _sentence(context: MarketContext, err: DomainError) -> str:
    return context.rt.i18n.error(context.locale, err)


async def ask(
    update: Update, context: MarketContext, d: dict[str, Any], error: str | None = None
) -> str:
    """The one prompt of the flow: what the trial asks, what is collected so far, Done."""
    trial = str(d["trial"])
    texts, files = len(d.get("texts") or []), len(d.get("files") or [])
    if texts or files:
        text = context.t("trial-submit-got", trial=trial, texts=texts, files=files)
    else:
        text = context.t("trial-submit-ask", trial=trial, task=d.get("task") or "")
    if error:
        text = f"{error}\n\n{text}"
    rows = [[_btn(context.t("flow-done"), "done"), _btn(context.t("flow-cancel"), "cancel")]]
    await prompt(update, context, d, text, rows)
    return STATE


async def _done(
    update: Update, context: MarketContext, d: dict[str, Any] | None, text: str
) -> object:
    """Leave the flow with one message."""
    context.user_data.pop(KEY, None)
    if d is not None and update.effective_chat is not None:
        await strip_buttons(context, update.effective_chat.id, d.get("msg"))
    await context.say(update, text)
    return END


# -- entry point ------------------------------------------------------------------------------


@handler
async def submit_button(update: Update, context: MarketContext) -> object:
    """The "Submit result" button of an accepted trial."""
    query = update.callback_query
    decoded = context.rt.buttons.unpack(query.data if query else None)
    trial_id = entity_id(decoded[1][0]) if decoded and decoded[1] else None
    if trial_id is None:
        await expired(update, context)
        return None
    if not in_private(update):
        await answer(update, context.t("flow-private-only"), alert=True)
        return None
    # Refused (not yours, declined, already submitted, the bid ended): one sentence, no flow.
    trial, _bid, _job = await bids.trial_to_submit(context.svc, me(update), trial_id)
    await answer(update)
    await end_other_flows(update, context, NAME)
    origin = query.message.message_id if query is not None and query.message else None
    d: dict[str, Any] = {
        "step": STEP,
        "trial": int(trial["id"]),
        "task": str(trial["task"]),
        "texts": [],
        "files": [],
        "origin": origin,  # the trial's message: its button goes once the result is sent
    }
    context.user_data[KEY] = d
    return await ask(update, context, d)


# -- collecting -------------------------------------------------------------------------------


def _add_text(d: dict[str, Any], text: str) -> None:
    text = rules.clean_text(text)
    if not text:
        return
    length = len(_result({"texts": [*d["texts"], text]}))
    if length > rules.NOTE_MAX:
        raise InvalidInput("trial.result_too_long", max=rules.NOTE_MAX, length=length)
    d["texts"].append(text)


@handler
async def on_text(update: Update, context: MarketContext) -> object:
    d = _draft(context)
    if d is None:
        return await _done(update, context, None, context.t("flow-lost"))
    message = update.effective_message
    try:
        _add_text(d, message.text if message and message.text else "")
    except DomainError as err:
        return await ask(update, context, d, error=_sentence(context, err))
    return await ask(update, context, d)


@handler
async def on_file(update: Update, context: MarketContext) -> object:
    d = _draft(context)
    if d is None:
        return await _done(update, context, None, context.t("flow-lost"))
    message = update.effective_message
    files = files_of(message)
    try:
        if len(d["files"]) + len(files) > TRIAL_FILES_MAX:
            raise InvalidInput("trial.too_many_files", max=TRIAL_FILES_MAX)
        _add_text(d, (message.caption or "") if message is not None else "")
    except DomainError as err:
        return await ask(update, context, d, error=_sentence(context, err))
    d["files"].extend(files)
    return await ask(update, context, d)


@handler
async def on_other(update: Update, context: MarketContext) -> object:
    d = _draft(context)
    if d is None:
        return await _done(update, context, None, context.t("flow-lost"))
    hint = cards.tr(context, "trial-submit-how", trial=d["trial"])
    return await ask(update, context, d, error=hint)


@handler
async def on_button(update: Update, context: MarketContext) -> object:
    d = _draft(context)
    if d is None:
        await answer(update)
        return await _done(update, context, None, context.t("flow-lost"))
    decoded = pressed(update, context)
    if decoded is None or decoded[1] != STEP:
        await expired(update, context)
        return None
    op = decoded[0]
    if op == "cancel":
        await answer(update)
        return await _cancelled(update, context, d)
    if op != "done":
        await expired(update, context)
        return None
    # A double press must not submit twice: the first press holds this in-memory mark.
    busy = context.chat_data.setdefault("busy", set())
    if KEY in busy:
        await answer(update)
        return None
    busy.add(KEY)
    try:
        await answer(update)
        trial = int(d["trial"])
        try:
            await bids.submit_trial(context.svc, me(update), trial, _result(d), d["files"])
        except InvalidInput as err:  # nothing sent yet, or too much: the step goes on
            return await ask(update, context, d, error=_sentence(context, err))
        except DomainError as err:  # the trial or its bid moved on: the flow ends
            return await _done(update, context, d, _sentence(context, err))
        text = cards.tr(context, "trial-submit-done", trial=trial, files=len(d["files"]))
        if update.effective_chat is not None:
            await strip_buttons(context, update.effective_chat.id, d.get("origin"))
        return await _done(update, context, d, text)
    finally:
        busy.discard(KEY)


async def _cancelled(update: Update, context: MarketContext, d: dict[str, Any] | None) -> object:
    trial = str(d["trial"]) if d is not None else "?"
    return await _done(update, context, d, context.t("trial-submit-cancelled", trial=trial))


@handler
async def cancel(update: Update, context: MarketContext) -> object:
    """/cancel: leave the flow; nothing is sent to the client."""
    return await _cancelled(update, context, _draft(context))


def conversation(rt: Runtime) -> Flow:
    files = MessageHandler(INPUT & (filters.Document.ALL | filters.PHOTO), on_file)
    step = [
        CallbackQueryHandler(on_button, pattern=is_action(rt.buttons, ACTION)),
        files,
        MessageHandler(TEXT, on_text),
        MessageHandler(INPUT, on_other),
    ]
    return Flow(
        name=NAME,
        data_key=KEY,
        entry_points=[
            CallbackQueryHandler(submit_button, pattern=is_action(rt.buttons, "trial_submit"))
        ],
        states={STATE: step},
        fallbacks=[CommandHandler("cancel", cancel, filters=PRIVATE)],
    )


# -- the client's side ------------------------------------------------------------------------


@button("trial_view")
async def trial_view_button(update: Update, context: MarketContext, args: list[str]) -> None:
    """From /bids: the whole trial (task, state, result), and its files sent again."""
    trial_id = int_arg(args[0] if args else None, "args.trial_id")
    trial, bid, job = await bids.trial_for_client(context.svc, me(update), trial_id)
    lines = [cards.tr(context, "trial-view-head", trial=trial_id, bid=bid.id, job=job.id)]
    lines += cards.trial_lines(context, {**trial, "result": None, "files": []})
    if trial.get("result"):
        lines.append(cards.tr(context, "bid-trial-result", text=trial["result"]))
    if trial.get("files"):
        lines.append(cards.tr(context, "bid-trial-files", count=len(trial["files"])))
    await context.say(update, "\n".join(lines))
    chat = update.effective_chat
    if chat is None:
        return
    for f in trial.get("files") or []:
        if f.get("kind") == "photo":
            await context.bot.send_photo(chat.id, f["file_id"])
        else:
            await context.bot.send_document(chat.id, f["file_id"])
