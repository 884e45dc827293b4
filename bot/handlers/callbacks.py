"""Inline buttons: one router for every signed button; modules mark their actions, and
`use_buttons` (called by bot.app with the list of those modules) routes them.

    @button("accept")
    async def accept_button(update, context, args): ...

A press whose data does not verify, or names no action, gets "This button has expired." and
changes nothing. A handler raising a DomainError is answered with that one sentence.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

from telegram import Update

from bot.handlers.base import MarketContext, _answer_query, handler

ButtonFn = Callable[[Update, MarketContext, list[str]], Awaitable[Any]]
AnswerFn = Callable[[Update, MarketContext, list[str], bool], Awaitable[Any]]
ACTIONS: dict[str, ButtonFn] = {}  # filled by `use_buttons` (bot.app lists the modules)


def button(action: str) -> Callable[[ButtonFn], ButtonFn]:
    """Mark a function as the handler of a button action; `use_buttons` collects it."""

    def mark(fn: ButtonFn) -> ButtonFn:
        fn.__buttons__ = (*getattr(fn, "__buttons__", ()), (action, fn))  # type: ignore[attr-defined]
        return fn

    return mark


def yes_no_buttons(prefix: str) -> Callable[[AnswerFn], AnswerFn]:
    """Mark one handler that takes the answer as `<prefix>_yes` and `<prefix>_no`."""

    def mark(fn: AnswerFn) -> AnswerFn:
        pairs = []
        for suffix, answer in (("yes", True), ("no", False)):

            async def press(
                update: Update, context: MarketContext, args: list[str], answer: bool = answer
            ) -> Any:
                return await fn(update, context, args, answer)

            pairs.append((f"{prefix}_{suffix}", press))
        fn.__buttons__ = (*getattr(fn, "__buttons__", ()), *pairs)  # type: ignore[attr-defined]
        return fn

    return mark


def use_buttons(*modules: ModuleType) -> None:
    """Route the button actions marked in `modules` (the one list is in bot.app). The same
    modules may be given again (every Application of a process); an action marked by two
    different functions is refused at start."""
    for module in modules:
        for value in vars(module).values():
            for action, fn in getattr(value, "__buttons__", ()) if callable(value) else ():
                known = ACTIONS.get(action)
                if known is not None and getattr(known, "__qualname__", None) != fn.__qualname__:
                    raise ValueError(f"button action {action!r} marked twice")
                ACTIONS[action] = fn


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
