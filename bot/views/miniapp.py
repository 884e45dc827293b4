"""The buttons that open the Mini App (bot/miniapp) at a job, a deal or a bid, when
MINIAPP_URL is set: Telegram opens `MINIAPP_URL?job=5` inside the chat."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

Button = tuple[str, tuple[Any, ...]]


def app_link(base: str, **params: int | str) -> str:
    return f"{base}?{urlencode(params)}" if params else base


def app_row(base: str, label: str, **params: int | str) -> list[list[Button]]:
    """One row with the Mini App button, or no row without MINIAPP_URL."""
    if not base:
        return []
    return [[(label, ("webapp", app_link(base, **params)))]]
