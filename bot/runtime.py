"""What the Telegram layer shares: services, translations, the button codec, the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.i18n import I18n
from bot.services.base import Services

if TYPE_CHECKING:
    from bot.notify import Dispatcher
    from bot.ops import Ops


@dataclass
class Runtime:
    svc: Services
    i18n: I18n
    buttons: Any  # bot.handlers.buttons.ButtonCodec
    dispatcher: Dispatcher | None = None
    bot_username: str = ""
    ops: Ops | None = None  # metrics, health signals (bot.ops)
