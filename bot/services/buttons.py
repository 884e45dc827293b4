"""Messages a handler answered with buttons that follow a state (the /deal card, /bids, the
stars after a release): kept so that a change of that state redraws them (bot.storage.buttons). The
outbox's own messages are kept by the dispatcher as it sends them."""

from __future__ import annotations

from typing import Any

from bot.services.base import Services


async def follow(
    svc: Services,
    chat_id: int,
    message_id: int,
    ref: str,
    view: str,
    params: dict[str, Any],
    digest: str | None,
) -> None:
    """Follow the buttons of `message_id` (`digest` None: it has none now, forget it)."""
    async with svc.tx() as tx:
        if digest is None:
            await tx.keyboards.forget(chat_id, message_id)
        else:
            await tx.keyboards.track(chat_id, message_id, ref, view, params, digest)
