"""Buttons that ask, and the answers they take.

    [✉️ Message] [🧪 Trial] on /bids     the bot asks for the text (a question with Cancel)
    [❓ Ask] on a job card               the next message is the answer: the same service as
    [✏️ Request changes] [⚠️ Dispute]     /msg, /trial, /ask, /revise, /dispute, /deliver,
    [📦 Deliver] [📎 Add evidence]        /evidence, with the same refusals
    [✖ Cancel] or /cancel               nothing is sent
    a command instead (/deals)          the question is dropped silently and the command runs
    a Telegram reply to the question    the answer too (a reply to another message is that
                                        message's: a relayed thread, a dispute notification)

The question lives in the database (bot.services.inputs), read on each private message, so
every instance of the bot takes the answer; a button checks first that its action is allowed
now, so an old one gets one sentence instead of a question. An answer refused as typed (too
long, empty) leaves the question open; any other refusal closes it. Deliver and Add evidence
also take documents and photos (a caption is the note); the others take text.

The buttons keep their first names (`msg_help`, `revise_hint`...): messages already in
people's chats carry them, and now ask as well.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop, MessageHandler, filters

from bot.domain.errors import DomainError, InvalidInput
from bot.domain.models import PendingInput
from bot.flows.common import leave_flows, strip_buttons
from bot.handlers import bids as bid_handlers
from bot.handlers import deals as deal_handlers
from bot.handlers import messages as message_handlers
from bot.handlers import moderation as moderation_handlers
from bot.handlers import offers as offer_handlers
from bot.handlers.base import MarketContext, _answer_query, handler, int_arg, me
from bot.handlers.callbacks import button
from bot.handlers.deals import files_of
from bot.i18n import id_params
from bot.services import inputs
from bot.storage.db import commits_not_counted

Files = list[dict[str, Any]]
Answer = Callable[[Update, MarketContext, int, str, Files], Awaitable[None]]


async def _msg(u: Update, c: MarketContext, bid: int, text: str, _files: Files) -> None:
    await message_handlers.send_message(u, c, bid, text)


async def _ask(u: Update, c: MarketContext, job: int, text: str, _files: Files) -> None:
    await message_handlers.send_question(u, c, job, text)


async def _trial(u: Update, c: MarketContext, bid: int, text: str, _files: Files) -> None:
    await bid_handlers.request_trial(u, c, bid, text)


async def _revise(u: Update, c: MarketContext, deal: int, text: str, _files: Files) -> None:
    await deal_handlers.request_changes(u, c, deal, text)


async def _dispute(u: Update, c: MarketContext, deal: int, text: str, _files: Files) -> None:
    await deal_handlers.open_dispute(u, c, deal, text)


async def _deliver(u: Update, c: MarketContext, deal: int, text: str, files: Files) -> None:
    await deal_handlers.send_delivery(u, c, deal, text, files)


async def _evidence(u: Update, c: MarketContext, deal: int, text: str, files: Files) -> None:
    await moderation_handlers.add_evidence(u, c, deal, text, files)


async def _offer(u: Update, c: MarketContext, user: int, text: str, _files: Files) -> None:
    await offer_handlers.send_terms(u, c, str(user), text, propose=False)


async def _propose(u: Update, c: MarketContext, user: int, text: str, _files: Files) -> None:
    await offer_handlers.send_terms(u, c, str(user), text, propose=True)


# kind: (the button's action, the target's parameter name, the answer, takes files)
KINDS: dict[str, tuple[str, str, Answer, bool]] = {
    "msg": ("msg_help", "bid", _msg, False),
    "ask": ("ask_help", "job", _ask, False),
    "trial": ("trial_help", "bid", _trial, False),
    "revise": ("revise_hint", "deal", _revise, False),
    "dispute": ("dispute_hint", "deal", _dispute, False),
    "deliver": ("deliver_hint", "deal", _deliver, True),
    "evidence": ("evidence_ask", "deal", _evidence, True),
    "offer": ("offer_to", "user", _offer, False),  # a direct offer's terms (issue 14)
    "propose": ("propose_to", "user", _propose, False),  # the next contract, to a past client
}
CANCEL = "input_cancel"


def _text(context: MarketContext, key: str, **params: Any) -> str:
    return context.t(key, **id_params(params))


def _sentence(context: MarketContext, err: DomainError) -> str:
    return context.rt.i18n.error(context.locale, err)


# --- the buttons ------------------------------------------------------------------------------


async def ask_for(update: Update, context: MarketContext, kind: str, target: int) -> None:
    """Check that the action is allowed now, then ask for its text; the person's next
    message answers it (one open question per person: a new one replaces the old)."""
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        await context.refuse(update, context.t("flow-private-only"))
        return
    await inputs.check(context.svc, me(update), kind, target)  # a refusal: one sentence
    leave_flows(update, context)  # what the person types next is this answer
    if update.callback_query is not None:
        await _answer_query(update.callback_query)
    param = KINDS[kind][1]
    text = _text(context, f"input-ask-{kind}", **{param: target})
    text += "\n\n" + context.t("input-cancel-hint")
    rows = [[(context.t("input-btn-cancel"), ("cb", CANCEL))]]
    prompt = await context.say(update, text, rows)
    prompt_id = prompt.message_id if prompt is not None else None
    with commits_not_counted():  # what was asked for is the answer, not this question
        replaced = await inputs.expect(context.svc, me(update), chat.id, kind, target, prompt_id)
    if replaced is not None and replaced.prompt_message_id != prompt_id:
        await strip_buttons(context, chat.id, replaced.prompt_message_id)


def _asking(kind: str) -> Callable[[Update, MarketContext, list[str]], Awaitable[None]]:
    async def press(update: Update, context: MarketContext, args: list[str]) -> None:
        await ask_for(update, context, kind, int_arg(args[0] if args else None))

    press.__name__ = f"{kind}_button"
    return press


# Each kind's button asks for its text (bot.handlers.callbacks.use_buttons routes them).
ask_for.__buttons__ = tuple(  # type: ignore[attr-defined]
    (action, _asking(kind)) for kind, (action, *_rest) in KINDS.items()
)


@button(CANCEL)
async def cancel_button(update: Update, context: MarketContext, args: list[str]) -> None:
    """Cancel on the question: nothing is sent. On an older question (answered, cancelled,
    replaced): one sentence, and its button goes."""
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None and chat is not None
    prompt_id = query.message.message_id if query.message is not None else None
    taken = await inputs.take(context.svc, me(update), prompt_id) if prompt_id else None
    await strip_buttons(context, chat.id, prompt_id)
    if taken is None:
        await context.refuse(update, context.t("input-closed"))
        return
    await _answer_query(query)
    await context.say(update, context.t("input-cancelled"))


# --- the answer -------------------------------------------------------------------------------


def _command(message: Message) -> str | None:
    """`/deals` of `/deals`, `/deals@bot 5` or a file captioned `/evidence 5`."""
    text = (message.text or message.caption or "").strip()
    if not text.startswith("/"):
        return None
    return text.split(None, 1)[0].split("@", 1)[0].lower()


@handler
async def _take_answer(update: Update, context: MarketContext) -> bool:
    """True when this message was about the open question (answered, refused or cancelled
    here); False to let the other handlers have it."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None or update.effective_user is None:
        return False
    pending = await inputs.current(context.svc, me(update))
    if pending is None:
        return False
    command = _command(message)
    if command is not None:
        with commits_not_counted():
            taken = await inputs.take(context.svc, pending.user_id, pending.prompt_message_id)
        await strip_buttons(context, chat.id, pending.prompt_message_id)
        if command == "/cancel" and taken is not None:
            await context.say(update, context.t("input-cancelled"))
            return True
        return False  # any other command runs; the question is dropped without a word
    reply = message.reply_to_message
    if reply is not None and reply.message_id != pending.prompt_message_id:
        return False  # a reply to another message is about that message
    return await _answer(update, context, pending, message)


async def _answer(
    update: Update, context: MarketContext, pending: PendingInput, message: Message
) -> bool:
    _action, _param, answer, takes_files = KINDS[pending.kind]
    files = files_of(message)
    text = message.text or message.caption or ""
    again = context.t("input-again")
    if files and not takes_files:
        await context.say(update, context.t("input-text-only") + "\n\n" + again)
        return True
    if not text.strip() and not files:  # a sticker, a voice note...
        key = "input-text-or-files" if takes_files else "input-text-only"
        await context.say(update, context.t(key) + "\n\n" + again)
        return True
    with commits_not_counted():
        taken = await inputs.take(context.svc, pending.user_id, pending.prompt_message_id)
    if taken is None:
        return False  # answered meanwhile (another instance, another device)
    try:
        await answer(update, context, taken.target, text, files)
    except InvalidInput as err:  # as typed: the question stays open
        with commits_not_counted():
            await inputs.put_back(context.svc, taken)
        await context.say(update, _sentence(context, err) + "\n\n" + again)
        return True
    except DomainError:  # the deal, bid or job moved on: the question is over
        await strip_buttons(context, pending.chat_id, pending.prompt_message_id)
        raise
    await strip_buttons(context, pending.chat_id, pending.prompt_message_id)
    return True


async def take_answer(update: Update, context: MarketContext) -> None:
    """Runs before every other handler (a group of its own): an answer to the open question
    goes no further. Most messages answer none: one read says so, and the message goes on
    untouched (the handler's wrapper, which records the person, runs only for an answer)."""
    user = update.effective_user
    if user is None or await inputs.current(context.svc, user.id) is None:
        return
    if await _take_answer(update, context) is not False:
        raise ApplicationHandlerStop


def answer_handler() -> MessageHandler:
    """Every new private message but payments and service messages (commands included:
    they drop the question)."""
    return MessageHandler(
        filters.ChatType.PRIVATE
        & filters.UpdateType.MESSAGE
        & ~filters.SUCCESSFUL_PAYMENT
        & ~filters.StatusUpdate.ALL,
        take_answer,
    )
