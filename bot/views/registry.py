"""Which function renders each outbox key and which draws the buttons that follow a state,
collected in this one place from the modules listed here. The decorators in bot.views.note
only mark functions; nothing registers itself on import, so a renderer module imports no
other and the list below is the whole of it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

from bot.notify import Outgoing
from bot.runtime import Runtime
from bot.views import alerts, hourly, keyboards, milestones, notifications, offers, topics
from bot.views.keyboards import Rows
from bot.views.note import Note

log = logging.getLogger(__name__)

Render = Callable[[Note], Awaitable[Outgoing]]
Draw = Callable[[Note], Awaitable[Rows]]


def collect(mark: str, *modules: ModuleType) -> dict[str, Any]:
    """Every function of `modules` marked with `mark`, by the keys it was marked with; a
    key marked twice is a mistake found at start, not a message rendered by chance."""
    found: dict[str, Any] = {}
    for module in modules:
        for value in vars(module).values():
            for key in getattr(value, mark, ()) if callable(value) else ():
                if key in found and found[key] is not value:
                    raise ValueError(f"two functions for {key}: {found[key]} and {value}")
                found[key] = value
    return found


RENDERERS: dict[str, Render] = collect(
    "__renders__", notifications, alerts, topics, milestones, hourly, offers
)
KEYBOARDS: dict[str, Draw] = collect("__draws__", keyboards, milestones, offers)


async def render_row(rt: Runtime, row: dict[str, Any], locale: str) -> Outgoing:
    """A row's message; buttons that follow a state are drawn by bot.views.keyboards (and
    the sent message is marked to be tracked: `extra["track"]`). A `markup` row is the
    redraw of an earlier message's buttons."""
    if row.get("method") == "markup":
        return await render_markup(rt, row, locale)
    render = RENDERERS.get(row["key"])
    if render is None:
        log.error("no renderer for outbox key %s (row %s)", row["key"], row.get("id"))
        raise LookupError(f"no renderer for {row['key']}")
    async with rt.svc.read() as tx:
        note = Note(rt, row, locale, tx)
        out = await render(note)
        draw = KEYBOARDS.get(row["key"])
        if draw is not None and not out.skip and note.method == "send":
            out.rows = await draw(note) or None
            out.extra["track"] = True
        return out


async def render_markup(rt: Runtime, row: dict[str, Any], locale: str) -> Outgoing:
    """An outbox row of method `markup`: the buttons of one tracked message, drawn now.
    `extra` carries the message and the digest of the buttons it shows; nothing to do
    (skip) when the message is not tracked (sent without buttons, or forgotten)."""
    params = row.get("params") or {}
    chat_id = int(row["chat_id"])
    async with rt.svc.read() as tx:
        if params.get("row") is not None:
            record = await tx.keyboards.by_source(int(params["row"]))
        else:
            record = await tx.keyboards.get(chat_id, int(params.get("message") or 0))
        draw = KEYBOARDS.get(record["view"]) if record is not None else None
        if record is None or draw is None:
            return Outgoing(skip=True)
        note = Note(
            rt, {"key": record["view"], "chat_id": chat_id, "params": record["params"]}, locale, tx
        )
        rows = await draw(note)
    return Outgoing(
        rows=rows or None,
        extra={"message_id": int(record["message_id"]), "digest": record["digest"]},
    )
