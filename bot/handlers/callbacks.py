"""Inline buttons: one router for every signed button; modules register their actions.

    @button("accept")
    async def accept_button(update, context, args): ...

A press whose data does not verify, or names no action, gets "This button has expired." and
changes nothing. A handler raising a DomainError is answered with that one sentence.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update

from bot.handlers.base import MarketContext, _answer_query, handler

ButtonFn = Callable[[Update, MarketContext, list[str]], Awaitable[Any]]
AnswerFn = Callable[[Update, MarketContext, list[str], bool], Awaitable[Any]]
ACTIONS: dict[str, ButtonFn] = {}


def button(action: str) -> Callable[[ButtonFn], ButtonFn]:
    def register(fn: ButtonFn) -> ButtonFn:
        if action in ACTIONS:
            raise ValueError(f"button action {action!r} registered twice")
        ACTIONS[action] = fn
        return fn

    return register


def yes_no_buttons(prefix: str) -> Callable[[AnswerFn], AnswerFn]:
    """Register `<prefix>_yes` and `<prefix>_no` for one handler that takes the answer."""

    def register(fn: AnswerFn) -> AnswerFn:
        for suffix, answer in (("yes", True), ("no", False)):

            async def press(
                update: Update, context: MarketContext, args: list[str], answer: bool = answer
            ) -> Any:
                return await fn(update, context, args, answer)

            button(f"{prefix}_{suffix}")(press)
        return fn

    return register


def is_action(context_rt_codec: Any, *actions: str) -> Callable[[object], bool]:
    """A CallbackQueryHandler pattern matching signed buttons of the given actions (flows use
    it for their entry points)."""

    def match(data: object) -> bool:
        decoded = context_rt_codec.unpack(data if isinstance(data, str) else None)
        return decoded is not None and decoded[0] in actions

    return match


@handler
async def on_button(update: Update, context: MarketContext) -> None:
    query = update.callback_query
    assert query is not None
    decoded = context.rt.buttons.unpack(query.data)
    fn = ACTIONS.get(decoded[0]) if decoded else None
    if decoded is None or fn is None:
        await _answer_query(query, context.t("button-expired"), alert=True)
        return
    await fn(update, context, decoded[1])
    # A handler that did not answer the query leaves a spinner; answer it quietly.
    await _answer_query(query)
