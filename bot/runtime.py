"""What the Telegram layer shares: services, translations, the button codec, the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.i18n import I18n
from bot.services.base import Services

if TYPE_CHECKING:
    from bot.notify import Dispatcher


@dataclass
class Runtime:
    svc: Services
    i18n: I18n
    buttons: Any  # bot.handlers.buttons.ButtonCodec
    dispatcher: Dispatcher | None = None
    bot_username: str = ""
    # Telegram name/language last written per user, so an update only writes when they change.
    seen_users: dict[int, tuple[str | None, str, str | None]] = field(default_factory=dict)
