"""The in-memory model the server keeps and a live page renders: buttons, files, messages,
chats, charges, call records, faults, events and a pending button press."""

from __future__ import annotations

import asyncio
import copy
import time
from dataclasses import dataclass, field
from typing import Any

from sandbox.botapi.parsing import entities_to_html

# --------------------------------------------------------------------------------------
# In-memory model
# --------------------------------------------------------------------------------------


@dataclass
class Button:
    """One keyboard button as the user sees it."""

    text: str
    callback_data: str | None = None
    url: str | None = None
    pay: bool = False
    raw: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls, data: dict) -> Button:
        return cls(
            text=data.get("text", ""),
            callback_data=data.get("callback_data"),
            url=data.get("url"),
            pay=bool(data.get("pay")),
            raw=dict(data),
        )


@dataclass
class StoredFile:
    """A file known to the server (uploaded by the bot or a simulated user)."""

    file_id: str
    file_unique_id: str
    kind: str
    content: bytes = field(repr=False)
    file_name: str | None = None
    mime_type: str | None = None
    file_path: str = ""
    width: int | None = None
    height: int | None = None
    duration: int | None = None
    source_url: str | None = None

    @property
    def size(self) -> int:
        return len(self.content)

    def api(self) -> Any:
        """The Telegram object describing this file for its kind (photo -> list of sizes)."""
        base: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        kind = self.kind
        if kind == "photo":
            return [{**base, "width": self.width or 100, "height": self.height or 100}]
        if kind in ("video", "animation"):
            base.update(
                width=self.width or 640, height=self.height or 360, duration=self.duration or 1
            )
        elif kind in ("audio", "voice"):
            base["duration"] = self.duration or 1
        elif kind == "video_note":
            base.update(length=self.width or 240, duration=self.duration or 1)
        elif kind == "sticker":
            base.update(
                width=self.width or 512,
                height=self.height or 512,
                is_animated=False,
                is_video=False,
                type="regular",
            )
        if kind in ("document", "video", "animation", "audio") and self.file_name:
            base["file_name"] = self.file_name
        if kind in ("document", "video", "animation", "audio", "voice") and self.mime_type:
            base["mime_type"] = self.mime_type
        return base


_MEDIA_KINDS = (
    "document",
    "photo",
    "video",
    "animation",
    "audio",
    "voice",
    "video_note",
    "sticker",
)


@dataclass(eq=False)
class SimMessage:
    """A message in a simulated chat (sent by the bot or by a simulated user).

    ``text`` is the *visible* text (tags removed, entities decoded); for media messages it
    is the visible caption.  ``html`` is the raw HTML the bot sent with ``parse_mode=HTML``,
    otherwise the text rendered to HTML from its entities.
    """

    chat_id: int
    message_id: int
    date: int
    from_bot: bool
    sender: dict | None
    chat: dict
    kind: str = "text"
    body: str | None = None  # visible text or caption
    entities: list[dict] = field(default_factory=list)
    source: str | None = None  # text/caption exactly as sent
    parse_mode: str | None = None
    markup: dict | None = None
    media: Any = None  # Telegram media object (document dict, photo list, ...)
    file_id: str | None = None
    invoice: dict | None = None
    invoice_data: dict | None = field(default=None, repr=False)  # payload, prices, ...
    successful_payment: dict | None = None
    reply_to_message_id: int | None = None
    forward_origin: dict | None = None
    media_group_id: str | None = None
    edited: int = 0
    edit_date: int | None = None
    deleted: bool = False
    extra: dict = field(default_factory=dict, repr=False)

    # -- convenience views -------------------------------------------------------------
    @property
    def text(self) -> str:
        return self.body or ""

    @property
    def caption(self) -> str | None:
        return self.body if self.kind != "text" else None

    @property
    def html(self) -> str:
        if self.source is not None and (self.parse_mode or "").lower() == "html":
            return self.source
        return entities_to_html(self.body or "", self.entities)

    @property
    def reply_markup(self) -> list[list[Button]]:
        """Inline keyboard (or reply keyboard) as rows of :class:`Button`; [] if none."""
        if not self.markup:
            return []
        rows = self.markup.get("inline_keyboard") or self.markup.get("keyboard") or []
        return [[Button.from_api(b) for b in row] for row in rows]

    @property
    def buttons(self) -> list[Button]:
        return [b for row in self.reply_markup for b in row]

    @property
    def inline(self) -> bool:
        return bool(self.markup and "inline_keyboard" in self.markup)

    @property
    def document(self) -> dict | None:
        return self.media if self.kind == "document" else None

    @property
    def photo(self) -> list | None:
        return self.media if self.kind == "photo" else None

    def find_button(self, label: str) -> Button | None:
        """A button whose text equals ``label``, else one whose callback_data equals it."""
        buttons = self.buttons
        for b in buttons:
            if b.text == label:
                return b
        for b in buttons:
            if b.callback_data is not None and b.callback_data == label:
                return b
        return None

    def snapshot(self) -> SimMessage:
        return copy.deepcopy(self)

    def describe(self) -> str:
        who = "bot" if self.from_bot else f"user {self.sender.get('id') if self.sender else '?'}"
        label = self.kind if self.kind != "text" else ""
        flags = []
        if self.edited:
            flags.append(f"edited x{self.edited}")
        if self.deleted:
            flags.append("deleted")
        head = f"#{self.message_id} [{who}{' ' + label if label else ''}"
        head += f"{', ' + ', '.join(flags) if flags else ''}]"
        body = repr(self.text)
        if self.successful_payment:
            sp = self.successful_payment
            body = (
                f"paid {sp['total_amount']} {sp['currency']} payload={sp['invoice_payload']!r} "
                f"charge={sp['telegram_payment_charge_id']}"
            )
        elif self.invoice:
            body += f" ({self.invoice['total_amount']} {self.invoice['currency']})"
        elif self.file_id and self.document:
            body += f" file={self.document.get('file_name')!r}"
        lines = [f"{head} {body}"]
        if self.buttons:
            lines.append(
                "    buttons: "
                + " | ".join(
                    " , ".join(
                        f"{b.text!r}->{b.callback_data or b.url or ('pay' if b.pay else '?')}"
                        for b in row
                    )
                    for row in self.reply_markup
                )
            )
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """A JSON-friendly view (for the web sandbox), not the Bot API shape."""
        return {
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "date": self.date,
            "from_bot": self.from_bot,
            "sender": self.sender,
            "kind": self.kind,
            "text": self.text,
            "html": self.html,
            "entities": self.entities,
            "reply_markup": self.markup,
            "media": self.media,
            "invoice": self.invoice,
            "successful_payment": self.successful_payment,
            "reply_to_message_id": self.reply_to_message_id,
            "forward_origin": self.forward_origin,
            "media_group_id": self.media_group_id,
            "edited": self.edited,
            "deleted": self.deleted,
        }


@dataclass(eq=False)
class SimChat:
    """A chat: private (id == user id), group, supergroup or channel."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    members: dict[int, str] = field(default_factory=dict)
    bot_status: str = "administrator"
    messages: dict[int, SimMessage] = field(default_factory=dict, repr=False)
    next_message_id: int = 1
    menu_button: dict | None = None
    is_forum: bool = False  # a supergroup with topics (sandbox/forum.py)

    def api(self) -> dict:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            data["first_name"] = self.first_name or ""
            if self.last_name:
                data["last_name"] = self.last_name
        else:
            data["title"] = self.title or ""
        if self.username:
            data["username"] = self.username
        if self.is_forum:
            data["is_forum"] = True
        return data


@dataclass
class Charge:
    """A successful payment (Telegram Stars or provider)."""

    charge_id: str
    user_id: int
    currency: str
    total_amount: int
    payload: str
    provider_charge_id: str = ""
    date: int = 0
    refunded: bool = False


@dataclass
class CallRecord:
    """One Bot API call received by the server."""

    method: str
    params: dict
    status: int = 200
    description: str | None = None
    at: float = 0.0


@dataclass
class Fault:
    """An injected failure; see :meth:`BotApiServer.inject_fault`."""

    method: str | None
    remaining: int | None = 1
    until: float | None = None
    status: int = 429
    retry_after: int | None = 5
    description: str | None = None
    drop: bool = False
    delay: float = 0.0
    after_work: bool = False  # drop only the answer: the call was performed
    hits: int = 0
    chat_id: int | None = None  # only calls about this chat (see BotApiServer.hold)
    gate: asyncio.Event | None = None  # held calls wait for it (see BotApiServer.hold)

    def matches(self, method: str, now: float, chat_id: object = None) -> bool:
        if self.until is not None and now >= self.until:
            return False
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.chat_id is not None and str(chat_id) != str(self.chat_id):
            return False
        if self.method is None:
            return method != "getupdates"
        return self.method.lower() == method.lower()

    def release(self) -> None:
        """End a hold: the held calls are answered, later ones are not held."""
        self.remaining = 0
        if self.gate is not None:
            self.gate.set()


@dataclass
class SandboxEvent:
    """Published to subscribers: message, edit, delete, callback_answer, invoice, ..."""

    kind: str
    chat_id: int | None
    message: SimMessage | None = None
    data: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "chat_id": self.chat_id,
            "message": self.message.to_dict() if self.message else None,
            "data": self.data,
        }


class PressResult:
    """What ``await user.press(...)`` returns: the callback query and, later, its answer."""

    def __init__(self, query_id: str, message: SimMessage, data: str, user_id: int) -> None:
        self.query_id = query_id
        self.message = message
        self.data = data
        self.user_id = user_id
        self.created = time.monotonic()
        self.answer: dict | None = None
        self._answered = asyncio.Event()

    @property
    def answered(self) -> bool:
        return self.answer is not None

    def _set_answer(self, answer: dict) -> None:
        self.answer = answer
        self._answered.set()

    async def wait_answer(self, timeout: float = 5.0) -> dict:  # noqa: ASYNC109
        """Wait for the bot's answerCallbackQuery; returns {text, show_alert, url, ...}."""
        try:
            await asyncio.wait_for(self._answered.wait(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"bot did not answer callback query {self.query_id} (data={self.data!r}) "
                f"within {timeout}s"
            ) from None
        assert self.answer is not None
        return self.answer

    def __repr__(self) -> str:
        return f"PressResult(query_id={self.query_id!r}, data={self.data!r}, answer={self.answer})"
