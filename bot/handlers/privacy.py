"""/mydata (a copy of everything the bot stores about the person, as a JSON file) and
/deleteaccount (erasure, after a Yes/No confirmation; bot/services/privacy.py says when it is
refused and bot/storage/people.py what it keeps)."""

from __future__ import annotations

import logging

from telegram import BotCommandScopeChat, InputFile, Update
from telegram.error import TelegramError

from bot.handlers.base import MarketContext, handler
from bot.handlers.callbacks import yes_no_buttons
from bot.pacing import REPLY_RETRIES
from bot.services import privacy

log = logging.getLogger(__name__)


@handler
async def mydata_cmd(update: Update, context: MarketContext) -> None:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    document = await privacy.my_data(context.svc, user.id)
    await context.bot.send_document(
        chat.id,
        InputFile(document, filename=f"mydata-{user.id}.json"),
        caption=context.t("mydata-caption"),
        rate_limit_args=REPLY_RETRIES,
    )


@handler
async def deleteaccount_cmd(update: Update, context: MarketContext) -> None:
    user = update.effective_user
    assert user is not None
    await privacy.can_delete(context.svc, user.id)  # else one sentence says why not
    rows = [
        [
            (context.t("deleteaccount-yes"), ("cb", "delacct_yes")),
            (context.t("deleteaccount-no"), ("cb", "delacct_no")),
        ]
    ]
    await context.say(update, context.t("deleteaccount-confirm"), rows)


@yes_no_buttons("delacct")
async def deleteaccount_answer(
    update: Update, context: MarketContext, args: list[str], yes: bool
) -> None:
    user = update.effective_user
    assert user is not None
    if not yes:
        await context.say(update, context.t("deleteaccount-kept"), edit=True)
        return
    await privacy.delete_account(context.svc, user.id)
    # What PTB keeps of the person in memory goes too (it would be written back), and their
    # own command menu; the next update starts afresh.
    if context.user_data is not None:
        context.user_data.clear()
    context.me = None
    await context.say(update, context.t("deleteaccount-done"), edit=True)
    try:
        await context.bot.delete_my_commands(scope=BotCommandScopeChat(user.id))
    except TelegramError as exc:  # the menu is a convenience
        log.warning("deleteMyCommands(chat %s) failed: %s", user.id, exc)
