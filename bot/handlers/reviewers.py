"""A contract's QA reviewer in private chat: /reviewer <deal> @username (the client adds one),
/verdict <deal> pass|changes [notes] (the reviewer; as a file's caption, the file goes
with it), and the Pass / Changes needed buttons of a delivery's copy."""

from __future__ import annotations

from telegram import Update
from telegram.ext import filters

from bot.handlers.arguments import command_args
from bot.handlers.base import MarketContext, handler, int_arg, me
from bot.handlers.callbacks import button
from bot.handlers.deals import files_of
from bot.i18n import id_params
from bot.services import reviewers

VERDICT_CAPTION = filters.CaptionRegex(r"^/verdict(@\w+)?(\s|$)")


@handler
async def reviewer_cmd(update: Update, context: MarketContext) -> None:
    args, _ = command_args(update.effective_message, 2, "reviewer.usage")
    deal_id = int_arg(args[0], "reviewer.usage")
    user = await reviewers.add_reviewer(context.svc, me(update), deal_id, args[1])
    text = context.t("reviewer-added", name=user.display_name, **id_params({"deal": deal_id}))
    await context.say(update, text)


async def _verdict(update: Update, context: MarketContext, files: list) -> None:
    args, notes = command_args(update.effective_message, 2, "verdict.usage")
    deal_id = int_arg(args[0], "verdict.usage")
    verdict = reviewers.parse_verdict(args[1])
    await reviewers.record_verdict(context.svc, me(update), deal_id, verdict, notes, files)
    await context.say(update, context.t("verdict-sent", **id_params({"deal": deal_id})))


@handler
async def verdict_cmd(update: Update, context: MarketContext) -> None:
    await _verdict(update, context, [])


@handler
async def verdict_file(update: Update, context: MarketContext) -> None:
    """A document or photo captioned `/verdict <deal> pass|changes [notes]`."""
    await _verdict(update, context, files_of(update.effective_message))


async def _pressed(update: Update, context: MarketContext, args: list[str], verdict: str) -> None:
    deal_id = int_arg(args[0] if args else None)
    await reviewers.record_verdict(context.svc, me(update), deal_id, verdict)
    await context.say(update, context.t("verdict-sent", **id_params({"deal": deal_id})))


@button("verdict_pass")
async def pass_button(update: Update, context: MarketContext, args: list[str]) -> None:
    await _pressed(update, context, args, "pass")


@button("verdict_changes")
async def changes_button(update: Update, context: MarketContext, args: list[str]) -> None:
    await _pressed(update, context, args, "changes")
