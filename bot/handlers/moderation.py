"""The moderator group: dispute decisions, bans, job removal, payouts, figures; and the
parties' evidence on a dispute (/evidence, or a reply to the dispute notification).

Who is a moderator: a member of MODERATOR_CHAT_ID acting in that group (membership checked
with getChatMember and cached for a short while), or an ADMIN_USER_IDS user anywhere.
Everyone else is refused with one sentence and nothing changes.
"""

from __future__ import annotations

from typing import Any

from telegram import Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, BaseHandler, MessageHandler, filters

from bot.domain import rules
from bot.domain.errors import Forbidden, InvalidInput
from bot.handlers.arguments import command_args
from bot.handlers.base import MarketContext, handler, int_arg
from bot.handlers.callbacks import button
from bot.handlers.deals import files_of
from bot.i18n import Markup
from bot.services import disputes, jobs, moderation, payouts
from bot.services.base import Moderator

MEMBER_CACHE_SECONDS = 60
# Owners, administrators and ordinary members of the group; a restricted (muted) member and
# anyone who left or was removed is not a moderator.
_MEMBER_STATUSES = {
    ChatMemberStatus.OWNER,
    ChatMemberStatus.ADMINISTRATOR,
    ChatMemberStatus.MEMBER,
}


async def moderator_of(update: Update, context: MarketContext) -> Moderator:
    """The Moderator acting in this update, or Forbidden("moderator.only")."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        raise Forbidden("moderator.only")
    svc = context.svc
    if svc.is_admin(user.id):
        return Moderator(user.id)
    group = svc.settings.moderator_chat_id
    if group is None or chat.id != group:
        raise Forbidden("moderator.only")
    if not await is_group_member(context, group, user.id):
        raise Forbidden("moderator.only")
    return Moderator(user.id)


async def is_group_member(context: MarketContext, group: int, user_id: int) -> bool:
    """getChatMember, cached for MEMBER_CACHE_SECONDS (by the services' clock)."""
    cache: dict[int, tuple[bool, int]] = context.bot_data.setdefault("mod_cache", {})
    now = context.svc.clock.now()
    hit = cache.get(user_id)
    if hit is not None and hit[1] > now:
        return hit[0]
    try:
        member = await context.bot.get_chat_member(group, user_id)
        ok = member.status in _MEMBER_STATUSES
    except TelegramError:
        ok = False
    cache[user_id] = (ok, now + MEMBER_CACHE_SECONDS)
    return ok


def _who(update: Update) -> str:
    user = update.effective_user
    if user is None:
        return "?"
    return f"@{user.username}" if user.username else (user.first_name or str(user.id))


async def _decide(
    update: Update,
    context: MarketContext,
    deal_id: int,
    outcome: str,
    percent: int | None,
    note: str,
) -> None:
    mod = await moderator_of(update, context)
    deal = await disputes.resolve(context.svc, mod, deal_id, outcome, percent, note)
    text = context.t(
        "mod-resolved",
        deal=str(deal.id),
        outcome=outcome,
        percent=percent if percent is not None else (100 if outcome == "release" else 0),
        moderator=_who(update),
    )
    # The group is told here; the card itself is edited (through the outbox) to show it.
    await context.say(update, text)


@handler
async def resolve_cmd(update: Update, context: MarketContext) -> None:
    """/resolve <deal> release|refund|split <percent to freelancer> [note]"""
    args, rest = command_args(update.effective_message, 2, "mod.resolve_usage")
    deal_id = int_arg(args[0], "mod.resolve_usage")
    outcome = args[1].lower()
    percent = None
    if outcome == "split":
        words, rest = command_args(update.effective_message, 3, "percent.invalid")
        percent = rules.parse_percent(words[2])
    await _decide(update, context, deal_id, outcome, percent, rest)


@button("mod_release")
async def release_button(update: Update, context: MarketContext, args: list[str]) -> None:
    await _decide(update, context, int_arg(args[0] if args else None), "release", None, "")


@button("mod_refund")
async def refund_button(update: Update, context: MarketContext, args: list[str]) -> None:
    await _decide(update, context, int_arg(args[0] if args else None), "refund", None, "")


@button("mod_split")
async def split_button(update: Update, context: MarketContext, args: list[str]) -> None:
    await _decide(update, context, int_arg(args[0] if args else None), "split", 50, "")


@handler
async def ban_cmd(update: Update, context: MarketContext) -> None:
    mod = await moderator_of(update, context)
    args, reason = command_args(update.effective_message, 1, "mod.ban_usage", rest=True)
    user_id = int_arg(args[0], "mod.ban_usage")
    await moderation.ban(context.svc, mod, user_id, reason)
    await context.say(update, context.t("mod-banned", user=str(user_id)))


@handler
async def unban_cmd(update: Update, context: MarketContext) -> None:
    mod = await moderator_of(update, context)
    args, _ = command_args(update.effective_message, 1, "mod.unban_usage")
    user_id = int_arg(args[0], "mod.unban_usage")
    await moderation.unban(context.svc, mod, user_id)
    await context.say(update, context.t("mod-unbanned", user=str(user_id)))


@handler
async def removejob_cmd(update: Update, context: MarketContext) -> None:
    mod = await moderator_of(update, context)
    args, reason = command_args(update.effective_message, 1, "mod.removejob_usage", rest=True)
    job_id = int_arg(args[0], "mod.removejob_usage")
    job = await jobs.remove_job(context.svc, mod, job_id, reason)
    await context.say(update, context.t("mod-job-removed", job=str(job.id)))


@handler
async def payouts_cmd(update: Update, context: MarketContext) -> None:
    mod = await moderator_of(update, context)
    pending = await payouts.pending_payouts(context.svc, mod)
    if not pending:
        await context.say(update, context.t("mod-payouts-empty"))
        return
    owed: dict[str, int] = {}
    for p in pending:
        owed[p.currency] = owed.get(p.currency, 0) + p.amount
    lines = [
        context.t("mod-payouts-title", count=len(pending)),
        context.t("mod-payouts-owed", owed=_each_currency(context, sorted(owed.items()))),
    ]
    for p in pending[:50]:
        lines.append(
            context.t(
                "mod-payout-line",
                payout=str(p.id),
                user=str(p.user_id),
                amount=context.money(p.amount, p.currency),
                since=context.when(p.created_at),
            )
        )
    await context.say(update, "\n".join(lines))


@handler
async def paid_cmd(update: Update, context: MarketContext) -> None:
    mod = await moderator_of(update, context)
    args, _ = command_args(update.effective_message, 1, "mod.paid_usage")
    payout = await payouts.mark_paid(context.svc, mod, int_arg(args[0], "mod.paid_usage"))
    await context.say(
        update,
        context.t(
            "mod-paid", payout=str(payout.id), amount=context.money(payout.amount, payout.currency)
        ),
    )


@handler
async def stats_cmd(update: Update, context: MarketContext) -> None:
    mod = await moderator_of(update, context)
    s = await moderation.stats(context.svc, mod)

    def counts(d: dict[str, int]) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(d.items())) or "0"

    await context.say(
        update,
        context.t(
            "mod-stats",
            jobs=counts(s.jobs),
            bids=counts(s.bids),
            deals=counts(s.deals),
            kinds=counts(s.kinds),
            escrow=_each_currency(context, [(b.currency, b.escrow) for b in s.money]),
            fees=_each_currency(context, [(b.currency, b.fees) for b in s.money]),
            balances=_each_currency(context, [(b.currency, b.balances) for b in s.money]),
            payable=_each_currency(context, [(b.currency, b.payable) for b in s.money]),
        ),
    )


def _each_currency(context: MarketContext, amounts: list[tuple[str, int]]) -> Markup:
    """`$150.00 · €80.00 · 45 ⭐`: each currency on its own, never added together."""
    return Markup(" · ".join(context.money(amount, cur) for cur, amount in amounts))


@handler
async def group_deal_cmd(update: Update, context: MarketContext) -> None:
    """/deal <deal> in the moderator group: the whole history."""
    from bot.services.deal_cards import load_deal
    from bot.views.deal_card import deal_history

    await moderator_of(update, context)  # moderators only
    args, _ = command_args(update.effective_message, 1, "mod.deal_usage")
    data = await load_deal(context.svc, int_arg(args[0], "mod.deal_usage"), None)
    await context.say(update, deal_history(data, context, context.svc.clock.now()))


def in_group(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


# --- evidence: the parties' side of a dispute ------------------------------------------------


async def add_evidence(
    update: Update, context: MarketContext, deal_id: int, text: str, files: list[dict[str, Any]]
) -> None:
    user = update.effective_user
    assert user is not None
    await disputes.add_evidence(context.svc, user.id, deal_id, text, files)
    await context.say(update, context.t("mod-evidence-added", deal=str(deal_id), files=len(files)))


def _evidence_args(message: Message | None) -> tuple[int, str]:
    """/evidence <deal> [text] (as a command or a file's caption): the deal and the text."""
    args, text = command_args(message, 1, "mod.evidence_usage")
    return int_arg(args[0], "mod.evidence_usage"), text


@handler
async def evidence_cmd(update: Update, context: MarketContext) -> None:
    """/evidence <deal> <text>; as a reply to one's own file or photo, that file too."""
    message = update.effective_message
    deal_id, text = _evidence_args(message)
    files: list[dict[str, Any]] = []
    reply = message.reply_to_message if message is not None else None
    user = update.effective_user
    sender = reply.from_user if reply is not None else None
    if sender is not None and user is not None and sender.id == user.id:
        files = files_of(reply)
    if not text and not files:
        raise InvalidInput("mod.evidence_usage")
    await add_evidence(update, context, deal_id, text, files)


@handler
async def _evidence_file(update: Update, context: MarketContext) -> None:
    message = update.effective_message
    deal_id, text = _evidence_args(message)
    await add_evidence(update, context, deal_id, text, files_of(message))


async def evidence_file(update: Update, context: MarketContext) -> None:
    """A file or photo with the caption `/evidence <deal> [text]`: evidence, answered (or
    refused) here and never taken for a delivery file."""
    await _evidence_file(update, context)
    raise ApplicationHandlerStop


@handler
async def _evidence_reply(update: Update, context: MarketContext) -> bool:
    message = update.effective_message
    chat = update.effective_chat
    target = message.reply_to_message if message is not None else None
    if message is None or chat is None or target is None:
        return False
    deal_id = await disputes.dispute_of_reply(context.svc, chat.id, target.message_id)
    if deal_id is None:
        return False
    text = message.text or message.caption or ""
    await add_evidence(update, context, deal_id, text, files_of(message))
    return True


async def evidence_reply(update: Update, context: MarketContext) -> None:
    """A reply (text, file or photo) to a dispute notification adds to that dispute (a
    refusal is answered here too); any other reply goes on to the ordinary handlers."""
    if await _evidence_reply(update, context) is not False:
        raise ApplicationHandlerStop


def evidence_handlers() -> list[BaseHandler]:
    """Run before every other handler (a group of their own): a reply to the dispute
    notification, and a file captioned /evidence, are evidence, not deliveries or messages."""
    private = filters.ChatType.PRIVATE
    media = filters.Document.ALL | filters.PHOTO
    return [
        MessageHandler(
            private & filters.CaptionRegex(r"^/evidence(@\w+)?(\s|$)") & media, evidence_file
        ),
        MessageHandler(
            private & filters.REPLY & ((filters.TEXT & ~filters.COMMAND) | media),
            evidence_reply,
        ),
    ]
