"""A loopback Telegram Bot API server for tests and the browser sandbox.

The server speaks enough of the Bot API over HTTP (aiohttp, 127.0.0.1) that an unmodified
python-telegram-bot ``Application`` can long-poll it and call its methods.  On top of the
HTTP side sits a plain-Python simulation API: people (:class:`SimUser`) write to the bot,
press inline buttons, pay invoices, block the bot; tests observe what the bot sent through
``user.messages``, ``await user.wait_for(...)``, ``server.calls`` and ``server.subscribe()``.

Everything is kept in memory in a small model (:class:`SimChat`, :class:`SimMessage`,
:class:`StoredFile`) so a live web page can render the same state later.

Telegram behaviours reproduced on purpose (bots commonly get these wrong):

* text > 4096 / caption > 1024 visible characters, empty text;
* ``callback_data`` > 64 bytes -> ``BUTTON_DATA_INVALID``;
* HTML / MarkdownV2 / Markdown entity parsing errors (``can't parse entities: ...``);
* ``message is not modified`` / ``message to edit not found``;
* 403 for users who blocked the bot or never started it, ``chat not found``;
* flood control (429 + ``retry_after``) and injectable faults (429, 5xx, dropped connections);
* Telegram Stars invoices, pre-checkout queries, successful payments and refunds;
* webhooks (setWebhook: updates POSTed to the bot, per chat in order, retried; while one is
  set getUpdates is refused with 409), see :mod:`sandbox.webhooks`.

The package, by concern (one mixin of :class:`BotApiServer` each): :mod:`.parsing` (HTML /
MarkdownV2 / Markdown, reply markup), :mod:`.model` (messages, chats, files, faults, events),
:mod:`.people` (simulated users, chats and members), :mod:`.messages` (messages and files),
:mod:`.payments` (invoices, Stars, refunds), :mod:`.faults` (call records, injected faults,
flood control), :mod:`.server` (HTTP routes, request parameters, updates, webhooks' side);
:mod:`.errors` holds Telegram's limits and error answers.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import web

from sandbox.botapi.errors import (
    MAX_CALLBACK_ANSWER_LENGTH,
    MAX_CALLBACK_DATA_BYTES,
    MAX_CAPTION_LENGTH,
    MAX_DOWNLOAD_SIZE,
    MAX_TEXT_LENGTH,
    MAX_UPLOAD_SIZE,
    MSG_CONFLICT_POLL,
    MSG_CONFLICT_WEBHOOK,
    MSG_NOT_MODIFIED,
    MSG_QUERY_TOO_OLD,
    ApiError,
    EntityParseError,
)
from sandbox.botapi.faults import FaultsMixin
from sandbox.botapi.messages import MessagesMixin
from sandbox.botapi.model import (
    Button,
    CallRecord,
    Charge,
    Fault,
    PressResult,
    SandboxEvent,
    SimChat,
    SimMessage,
    StoredFile,
)
from sandbox.botapi.parsing import (
    entities_to_html,
    parse_html,
    parse_markdown,
    parse_markdown_v2,
    u16len,
)
from sandbox.botapi.payments import PaymentsMixin
from sandbox.botapi.people import Matcher, MessageRef, PeopleMixin, SimUser
from sandbox.botapi.server import ServerMixin, _Params
from sandbox.forum import ForumServer
from sandbox.inline import InlineServer
from sandbox.webhooks import WebhookDelivery

__all__ = [
    "MAX_CALLBACK_ANSWER_LENGTH",
    "MAX_CALLBACK_DATA_BYTES",
    "MAX_CAPTION_LENGTH",
    "MAX_DOWNLOAD_SIZE",
    "MAX_TEXT_LENGTH",
    "MAX_UPLOAD_SIZE",
    "MSG_CONFLICT_POLL",
    "MSG_CONFLICT_WEBHOOK",
    "MSG_NOT_MODIFIED",
    "MSG_QUERY_TOO_OLD",
    "ApiError",
    "BotApiServer",
    "Button",
    "CallRecord",
    "Charge",
    "EntityParseError",
    "Fault",
    "Matcher",
    "MessageRef",
    "PressResult",
    "SandboxEvent",
    "SimChat",
    "SimMessage",
    "SimUser",
    "StoredFile",
    "entities_to_html",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "u16len",
]


class BotApiServer(
    ServerMixin,
    PeopleMixin,
    MessagesMixin,
    PaymentsMixin,
    FaultsMixin,
    InlineServer,
    ForumServer,
):
    """In-memory Telegram Bot API served over HTTP on 127.0.0.1. Inline mode (off until
    ``inline_placeholder`` is set, as with @BotFather's /setinline): sandbox/inline.py;
    forum topics (``make_forum``): sandbox/forum.py.

    Point PTB at it with ``.base_url(server.base_url).base_file_url(server.base_file_url)``.
    """

    def __init__(
        self,
        token: str = "123:ABC",
        bot_username: str = "market_bot",
        *,
        bot_name: str = "Market Bot",
        host: str = "127.0.0.1",
        port: int = 0,
        flood_control: bool = False,
        global_rate: int = 30,
        group_rate_per_minute: int = 20,
        strict_html_ampersand: bool = True,
        privacy_mode: bool = False,
        callback_query_ttl: float = 15.0,
    ) -> None:
        self.token = token
        head = token.split(":", 1)[0]
        self.bot_id = int(head) if head.isdigit() else 1
        self.bot_username = bot_username
        self.bot_name = bot_name
        self.host = host
        self._requested_port = port
        self.port: int | None = None
        # behaviour switches
        self.flood_control = flood_control
        self.global_rate = global_rate
        self.group_rate_per_minute = group_rate_per_minute
        self.strict_html_ampersand = strict_html_ampersand
        self.privacy_mode = privacy_mode
        self.callback_query_ttl = callback_query_ttl
        # The clock of message, edit, payment and member dates (the sandbox moves it).
        self.now: Callable[[], int] = lambda: int(time.time())
        # model
        self.users: dict[int, SimUser] = {}
        self.chats: dict[int, SimChat] = {}
        self.files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self.charges: dict[str, Charge] = {}
        self.refunds: list[Charge] = []
        # The bot's Star transactions in the order they happened, as getStarTransactions
        # lists them: (charge, "in" for a payment or "out" for its refund, date).
        self.star_transactions: list[tuple[Charge, str, int]] = []
        self.my_commands: dict[tuple[str, str], list[dict]] = {}
        self.bot_texts: dict[tuple[str, str], str] = {}
        self.default_menu_button: dict = {"type": "commands"}
        # Webhook delivery (setWebhook); its knobs for tests are on `self.webhooks`.
        self.webhooks = WebhookDelivery(self)
        self.call_records: list[CallRecord] = []
        self.faults: list[Fault] = []
        self.downloads: list[str] = []
        # updates
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._allowed_updates: set[str] | None = None
        self._poll_generation = 0
        self._updates_changed = asyncio.Event()
        # simulation bookkeeping
        self._log: dict[int, list[tuple[str, SimMessage]]] = {}
        self._log_changed = asyncio.Event()
        self._callback_queries: dict[str, PressResult] = {}
        self._pre_checkouts: dict[str, dict] = {}
        self._invoice_links: dict[str, dict] = {}
        self._ids = itertools.count(1)
        self._sent_times: deque[tuple[float, int]] = deque()
        self._subscribers: list[asyncio.Queue] = []
        self._listeners: list[Callable[[SandboxEvent], Any]] = []
        self._tasks: set[asyncio.Task] = set()
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._methods: dict[str, tuple[str, Callable[[_Params], Any]]] = {}
        self._register_methods()
