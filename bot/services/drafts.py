"""The Mini App's server-side job draft: the form as the person left it (one a person)."""

from __future__ import annotations

from typing import Any

from bot.services.base import Services, active_user
from bot.storage.drafts import DraftsRepo

DRAFT_MAX = 64 * 1024  # characters of JSON: the form's limits are far below this


async def get_draft(svc: Services, actor: int) -> dict[str, Any]:
    async with svc.read() as tx:
        return await DraftsRepo(tx).get(actor) or {}


async def save_draft(svc: Services, actor: int, data: dict[str, Any]) -> None:
    """Keep the form; a banned person keeps nothing (they cannot post)."""
    async with svc.tx() as tx:
        await active_user(tx, actor)
        await DraftsRepo(tx).put(actor, data)


async def drop_draft(svc: Services, actor: int) -> None:
    async with svc.tx() as tx:
        await DraftsRepo(tx).drop(actor)
