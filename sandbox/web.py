"""The sandbox's chat page: an aiohttp app in front of the loopback Bot API server.

The page (``sandbox/static``) lists the personas and the group chats, shows one chat at a
time and acts as the chosen persona through the server's simulation API (``SimUser.send``,
``press``, ``pay``, ``send_document``).  Everything the bot does reaches the page live over
Server-Sent Events fed by ``BotApiServer.subscribe()``.

HTTP API (JSON unless said otherwise; every POST needs the header ``X-Sandbox: 1``, which a
cross-site form cannot send, and the Host must be a loopback name):

=======================================  ==================================================
``GET  /``                               the page
``GET  /api/state``                      bot, personas, chats, clock
``GET  /api/personas``                   the personas
``GET  /api/chats``                      the chats (private chats, groups, channels)
``GET  /api/chats/{chat}/messages``      the chat's messages, rendered for the page
``GET  /api/commands?persona=ID``        the bot's command menu in the persona's language
``POST /api/send``                       ``{persona, chat, text, reply_to?}``
``POST /api/upload``                     multipart: persona, chat, file, caption?, reply_to?,
                                         as? (photo | document; an image is a photo)
``POST /api/press``                      ``{persona, chat, message, row, col}``
``POST /api/pay``                        ``{persona, chat, message}``
``GET  /api/clock`` / ``POST /api/clock``  the sandbox time / ``{seconds}`` to fast-forward
``POST /api/reset``                      start over (a fresh database and chats)
``GET  /api/files/{file_id}``            a file's bytes (sent by the bot or a persona)
``GET  /api/events``                     Server-Sent Events: ``{kind, chat_id, message, data}``
``GET  /api/miniapp?persona=ID``         the Mini App's address with signed initData
                                         (sandbox/miniapp.py; ``url``, ``theme`` optional)
=======================================  ==================================================
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import inspect
import json
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from aiohttp import BodyPartReader, web

from sandbox.botapi import BotApiServer, SandboxEvent, SimMessage, SimUser

__all__ = ["Persona", "SandboxWeb", "message_json"]

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).with_name("static")
MAX_UPLOAD = 20 * 1024 * 1024
MAX_ADVANCE = 366 * 86400
KEEPALIVE_SECONDS = 15.0
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Only these are shown inline by the browser; everything else is downloaded. An upload of one
# of them is sent as a photo, as Telegram's apps do, unless the page asks for a file.
INLINE_MIME = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)


class ClockLike(Protocol):
    offset: int

    def now(self) -> int: ...

    def advance(self, seconds: int) -> None: ...


@dataclass(frozen=True)
class Persona:
    """Someone to chat as; their private chat with the bot has ``id == user_id``."""

    user_id: int
    name: str
    username: str
    language: str
    role: str  # client | freelancer | moderator
    about: str = ""


class _BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# --------------------------------------------------------------------------------------
# Rendering for the page
# --------------------------------------------------------------------------------------


def _button_type(raw: dict) -> str:
    if raw.get("pay"):
        return "pay"
    if isinstance(raw.get("web_app"), dict):
        return "web_app"
    if raw.get("callback_data") is not None:
        return "callback"
    if raw.get("url"):
        return "url"
    if raw.get("copy_text"):
        return "copy"
    return "other"


def _buttons(msg: SimMessage) -> list[list[dict]]:
    if not msg.markup or "inline_keyboard" not in msg.markup:
        return []
    rows = []
    for r, row in enumerate(msg.markup["inline_keyboard"]):
        out = []
        for c, raw in enumerate(row):
            item: dict[str, Any] = {"text": raw.get("text", ""), "type": _button_type(raw)}
            item["row"], item["col"] = r, c
            if raw.get("url"):
                item["url"] = raw["url"]
            if isinstance(raw.get("web_app"), dict):  # opens the Mini App panel
                item["url"] = str(raw["web_app"].get("url") or "")
            if isinstance(raw.get("copy_text"), dict):
                item["copy"] = raw["copy_text"].get("text", "")
            out.append(item)
        rows.append(out)
    return rows


def _file(server: BotApiServer, msg: SimMessage) -> dict | None:
    if msg.file_id is None:
        return None
    stored = server.files.get(msg.file_id)
    media = msg.media[-1] if isinstance(msg.media, list) and msg.media else msg.media
    media = media if isinstance(media, dict) else {}
    name = media.get("file_name") or (stored.file_name if stored else None)
    mime = media.get("mime_type") or (stored.mime_type if stored else None)
    if msg.kind == "photo":
        mime = (stored.mime_type if stored else None) or "image/jpeg"
    return {
        "file_id": msg.file_id,
        "kind": msg.kind,
        "name": name or f"{msg.kind}",
        "mime_type": mime or "application/octet-stream",
        "size": media.get("file_size", stored.size if stored else 0),
        "url": f"/api/files/{msg.file_id}",
        "inline": bool(mime in INLINE_MIME),
    }


def _sender(msg: SimMessage) -> dict | None:
    s = msg.sender
    if not s:
        return None
    name = " ".join(p for p in (s.get("first_name"), s.get("last_name")) if p)
    return {"id": s.get("id"), "name": name, "username": s.get("username"), "bot": s.get("is_bot")}


def _excerpt(msg: SimMessage, limit: int = 120) -> str:
    if msg.kind == "invoice" and msg.invoice:
        return f"🧾 {msg.invoice.get('title', '')}"
    if msg.kind == "successful_payment":
        return "💳 payment"
    text = msg.text
    if not text and msg.file_id:
        text = "📎 " + ((_file_name(msg)) or msg.kind)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _file_name(msg: SimMessage) -> str | None:
    if isinstance(msg.media, dict):
        return msg.media.get("file_name")
    return None


def message_json(server: BotApiServer, msg: SimMessage) -> dict:
    """A message as the page draws it (not the Bot API shape).

    ``html`` is Telegram-subset HTML (the bot's own markup, or the user's text escaped); the
    page renders it with a whitelist of Telegram's tags and treats anything else as text.
    ``date`` is the server's, which the page's clock sets (sandbox time).
    """
    reply = None
    if msg.reply_to_message_id is not None:
        target = server.message(msg.chat_id, msg.reply_to_message_id)
        reply = {"id": msg.reply_to_message_id, "deleted": True, "text": "", "sender": None}
        if target is not None and not target.deleted:
            reply = {
                "id": target.message_id,
                "deleted": False,
                "text": _excerpt(target),
                "sender": _sender(target),
                "from_bot": target.from_bot,
            }
    invoice = None
    if msg.invoice:
        invoice = {
            "title": msg.invoice.get("title", ""),
            "description": msg.invoice.get("description", ""),
            "currency": msg.invoice.get("currency", ""),
            "total_amount": msg.invoice.get("total_amount", 0),
        }
    payment = None
    if msg.successful_payment:
        sp = msg.successful_payment
        payment = {
            "currency": sp.get("currency"),
            "total_amount": sp.get("total_amount"),
            "charge_id": sp.get("telegram_payment_charge_id"),
        }
    return {
        "id": msg.message_id,
        "chat_id": msg.chat_id,
        "date": msg.date,
        "from_bot": msg.from_bot,
        "sender": _sender(msg),
        "kind": msg.kind,
        "text": msg.text,
        "html": msg.html if msg.kind != "invoice" else "",
        "buttons": _buttons(msg),
        "file": _file(server, msg),
        "invoice": invoice,
        "payment": payment,
        "reply_to": reply,
        "forwarded": bool(msg.forward_origin),
        "edited": msg.edited,
        "deleted": msg.deleted,
        "excerpt": _excerpt(msg),
    }


def _clock_json(clock: ClockLike | None) -> dict:
    if clock is None:
        now = int(dt.datetime.now(dt.UTC).timestamp())
        offset = 0
    else:
        now, offset = clock.now(), int(clock.offset)
    stamp = dt.datetime.fromtimestamp(now, dt.UTC)
    return {
        "now": now,
        "offset": offset,
        "text": stamp.strftime("%Y-%m-%d %H:%M UTC"),
        "offset_text": _offset_text(offset),
    }


def _offset_text(seconds: int) -> str:
    if seconds <= 0:
        return "real time"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days}d"] if days else []
    if hours:
        parts.append(f"{hours}h")
    if minutes and not days:
        parts.append(f"{minutes}m")
    return "+" + " ".join(parts or [f"{seconds}s"])


# --------------------------------------------------------------------------------------
# The web app
# --------------------------------------------------------------------------------------


class SandboxWeb:
    """Serves the chat page and its API for one :class:`BotApiServer`.

    ``group_ids`` are the non-private chats to list (groups where personas talk, channels
    shown read-only).  ``on_advance(seconds)`` (sync or async) runs after the clock moved,
    e.g. to persist the offset; ``on_reset()`` (async) starts everything over, and without it
    the page has no Reset.  With a ``clock``, the server dates messages by it (sandbox time).
    """

    def __init__(
        self,
        server: BotApiServer,
        personas: Sequence[Persona],
        *,
        group_ids: Sequence[int] = (),
        clock: ClockLike | None = None,
        on_advance: Callable[[int], Awaitable[None] | None] | None = None,
        on_reset: Callable[[], Awaitable[None]] | None = None,
        host: str = "127.0.0.1",
        port: int = 8080,
        title: str = "Marketplace sandbox",
        miniapp: Any = None,
    ) -> None:
        self.server = server
        self.miniapp = miniapp  # sandbox.miniapp.MiniAppLink: the 📱 App panel, when set
        self.personas = list(personas)
        self.group_ids = list(group_ids)
        self.clock = clock
        self.on_advance = on_advance
        self.on_reset = on_reset
        self.host = host
        self.port = port
        self.title = title
        self._streams: set[asyncio.Queue] = set()
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self._resetting = False
        self._resets = 0
        if clock is not None:
            server.now = clock.now

    # -- lifecycle ----------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPLOAD + 64 * 1024, middlewares=[self._guard])
        r = app.router
        r.add_get("/", self._index)
        r.add_get("/static/{name}", self._static)
        r.add_get("/api/state", self._state)
        r.add_get("/api/personas", self._personas)
        r.add_get("/api/chats", self._chats)
        r.add_get("/api/chats/{chat}/messages", self._messages)
        r.add_get("/api/commands", self._commands)
        r.add_post("/api/send", self._send)
        r.add_post("/api/upload", self._upload)
        r.add_post("/api/press", self._press)
        r.add_post("/api/pay", self._pay)
        r.add_get("/api/clock", self._clock_get)
        r.add_post("/api/clock", self._clock_post)
        r.add_post("/api/reset", self._reset)
        r.add_get("/api/files/{file_id}", self._file)
        r.add_get("/api/events", self._events)
        if self.miniapp is not None:
            r.add_get("/api/miniapp", self.miniapp.handler)
        app.on_shutdown.append(self._on_shutdown)
        return app

    async def start(self) -> SandboxWeb:
        self._closing.clear()
        self._runner = web.AppRunner(
            self.app(), handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        addresses = self._runner.addresses
        if addresses:
            self.port = addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def _on_shutdown(self, _app: web.Application) -> None:
        self._closing.set()
        for queue in list(self._streams):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)

    # -- helpers ------------------------------------------------------------------------
    @web.middleware
    async def _guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        host = (request.host or "").rsplit(":", 1)[0] if request.host else ""
        if request.host and request.host.startswith("["):
            host = request.host[1:].split("]", 1)[0]
        if host not in LOOPBACK_HOSTS:
            return web.json_response({"error": "the sandbox answers on loopback only"}, status=403)
        if request.method == "POST" and request.headers.get("X-Sandbox") != "1":
            return web.json_response({"error": "missing X-Sandbox header"}, status=403)
        if self._resetting and request.method == "POST":
            return web.json_response({"error": "the sandbox is starting over"}, status=503)
        try:
            response = await handler(request)
        except _BadRequest as exc:
            response = web.json_response({"error": exc.message}, status=exc.status)
        except AssertionError as exc:  # the simulation API refusing an impossible action
            message = str(exc).split("\n", 1)[0] or "not possible"
            response = web.json_response({"error": message}, status=400)
        if not response.prepared:
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "no-referrer")
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    def _persona(self, raw: Any) -> tuple[Persona, SimUser]:
        try:
            user_id = int(raw)
        except (TypeError, ValueError):
            raise _BadRequest("persona must be a user id") from None
        for persona in self.personas:
            if persona.user_id == user_id:
                return persona, self.server.user(user_id)
        raise _BadRequest(f"unknown persona {user_id}", 404)

    def _chat_id(self, raw: Any, user: SimUser | None = None) -> int:
        if raw in (None, ""):
            if user is None:
                raise _BadRequest("chat is required")
            return user.id
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise _BadRequest("chat must be a chat id") from None
        if not self._visible(chat_id):
            raise _BadRequest(f"unknown chat {chat_id}", 404)
        return chat_id

    def _visible(self, chat_id: int) -> bool:
        if chat_id in self.group_ids:
            return chat_id in self.server.chats
        return any(p.user_id == chat_id for p in self.personas)

    def _live_message(self, chat_id: int, raw: Any) -> SimMessage:
        try:
            message_id = int(raw)
        except (TypeError, ValueError):
            raise _BadRequest("message must be a message id") from None
        msg = self.server.message(chat_id, message_id)
        if msg is None or msg.deleted:
            raise _BadRequest(f"message {message_id} does not exist in chat {chat_id}", 404)
        return msg

    @staticmethod
    async def _json_body(request: web.Request) -> dict:
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            raise _BadRequest("the body must be a JSON object") from None
        if not isinstance(body, dict):
            raise _BadRequest("the body must be a JSON object")
        return body

    @staticmethod
    def _reply_to(raw: Any) -> int | None:
        if raw in (None, "", 0, "0"):
            return None
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise _BadRequest("reply_to must be a message id") from None

    def _chat_json(self, chat_id: int) -> dict:
        chat = self.server.chats[chat_id]
        msgs = self.server.chat_messages(chat_id, include_user=True)
        last = msgs[-1] if msgs else None
        data: dict[str, Any] = {
            "id": chat.id,
            "type": chat.type,
            "title": chat.title or chat.first_name or str(chat.id),
            "read_only": chat.type == "channel",
            "members": [],
            "persona": None,
            "count": len(msgs),
            "last": {"excerpt": _excerpt(last), "date": self._msg(last)["date"]} if last else None,
        }
        if chat.type == "private":
            data["persona"] = chat.id
            data["members"] = [chat.id]
        else:
            present = ("creator", "administrator", "member", "restricted")
            data["members"] = [
                p.user_id for p in self.personas if chat.members.get(p.user_id) in present
            ]
        return data

    def _chats_json(self) -> list[dict]:
        ids = [p.user_id for p in self.personas] + [
            g for g in self.group_ids if g in self.server.chats
        ]
        return [self._chat_json(i) for i in ids]

    def _msg(self, msg: SimMessage) -> dict:
        return message_json(self.server, msg)

    def broadcast(self, payload: dict) -> None:
        """Send a page-level event (not from the Bot API server) to every open page."""
        for queue in list(self._streams):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(payload)

    def _event_json(self, event: SandboxEvent) -> dict | None:
        if event.chat_id is not None and not self._visible(event.chat_id):
            return None
        if event.kind in ("press", "pre_checkout_answer"):
            return None  # the page learns the outcome from the messages and answers
        data = dict(event.data)
        return {
            "kind": event.kind,
            "chat_id": event.chat_id,
            "message": self._msg(event.message) if event.message else None,
            "data": data,
        }

    # -- pages --------------------------------------------------------------------------
    async def _index(self, _request: web.Request) -> web.StreamResponse:
        return self._static_file("index.html")

    async def _static(self, request: web.Request) -> web.StreamResponse:
        return self._static_file(request.match_info["name"])

    def _static_file(self, name: str) -> web.StreamResponse:
        if not re.fullmatch(r"[A-Za-z0-9_-]+\.(html|js|css|svg|png|ico)", name):
            raise web.HTTPNotFound()
        path = STATIC_DIR / name
        if not path.is_file():
            raise web.HTTPNotFound()
        types = {
            "html": "text/html",
            "js": "text/javascript",
            "css": "text/css",
            "svg": "image/svg+xml",
            "png": "image/png",
            "ico": "image/x-icon",
        }
        ext = name.rsplit(".", 1)[1]
        response = web.Response(
            body=path.read_bytes(),
            content_type=types[ext],
            charset="utf-8" if ext in ("html", "js", "css", "svg") else None,
        )
        csp = CSP
        if self.miniapp is not None:  # the 📱 App panel frames the Mini App's server
            csp += f"; frame-src {self.miniapp.origin}"
        response.headers["Content-Security-Policy"] = csp
        return response

    # -- reading ------------------------------------------------------------------------
    async def _state(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {
                "title": self.title,
                "bot": self.server.bot_user(),
                "personas": [asdict(p) for p in self.personas],
                "chats": self._chats_json(),
                "clock": _clock_json(self.clock),
                "can_reset": self.on_reset is not None,
                "reset": self._resets,
            }
        )

    async def _personas(self, _request: web.Request) -> web.Response:
        return web.json_response({"personas": [asdict(p) for p in self.personas]})

    async def _chats(self, _request: web.Request) -> web.Response:
        return web.json_response({"chats": self._chats_json()})

    async def _messages(self, request: web.Request) -> web.Response:
        chat_id = self._chat_id(request.match_info["chat"])
        msgs = self.server.chat_messages(chat_id, include_user=True)
        return web.json_response(
            {
                "chat": self._chat_json(chat_id),
                "messages": [self._msg(m) for m in msgs],
            }
        )

    async def _commands(self, request: web.Request) -> web.Response:
        persona, user = self._persona(request.query.get("persona"))
        chat_id = self._chat_id(request.query.get("chat"), user)
        return web.json_response({"commands": self.menu(persona, chat_id)})

    def menu(self, persona: Persona, chat_id: int) -> list[dict]:
        """The command menu Telegram would show this persona in this chat: the narrowest
        scope with commands wins, the persona's language before the default list."""
        chat = self.server.chats[chat_id]
        uid = persona.user_id
        if chat.type == "private":
            scopes = [{"type": "chat", "chat_id": chat_id}, {"type": "all_private_chats"}]
        else:
            scopes = [
                {"type": "chat_member", "chat_id": chat_id, "user_id": uid},
                {"type": "chat_administrators", "chat_id": chat_id},
                {"type": "chat", "chat_id": chat_id},
                {"type": "all_chat_administrators"},
                {"type": "all_group_chats"},
            ]
            if chat.members.get(uid) not in ("creator", "administrator"):
                scopes = [s for s in scopes if "administrators" not in s["type"]]
        scopes.append({"type": "default"})
        for scope in scopes:
            for language in (persona.language, ""):
                commands = self.server.commands(scope, language)
                if commands:
                    return commands
        return []

    async def _file(self, request: web.Request) -> web.StreamResponse:
        stored = self.server.files.get(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound()
        mime = stored.mime_type or "application/octet-stream"
        inline = mime in INLINE_MIME
        name = stored.file_name or stored.file_path.rsplit("/", 1)[-1]
        safe = re.sub(r"[^A-Za-z0-9._ -]", "_", name)[:100] or "file"
        response = web.Response(
            body=stored.content, content_type=mime if inline else "application/octet-stream"
        )
        response.headers["Content-Disposition"] = (
            f'{"inline" if inline else "attachment"}; filename="{safe}"'
        )
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
        return response

    # -- acting -------------------------------------------------------------------------
    async def _send(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        _persona, user = self._persona(body.get("persona"))
        chat_id = self._chat_id(body.get("chat"), user)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _BadRequest("text is empty")
        reply_to = self._reply_to(body.get("reply_to"))
        if reply_to is not None:
            self._live_message(chat_id, reply_to)
        msg = await user.send(text, reply_to, chat=chat_id)
        return web.json_response({"message": self._msg(msg)})

    async def _upload(self, request: web.Request) -> web.Response:
        if not request.content_type.startswith("multipart/"):
            raise _BadRequest("send the file as multipart/form-data")
        if (request.content_length or 0) > MAX_UPLOAD + 64 * 1024:
            raise _BadRequest("files are at most 20 MB here", 413)
        fields: dict[str, str] = {}
        upload: tuple[str, str | None, bytes] | None = None
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.name == "file" and part.filename is not None:
                data = bytearray()
                while chunk := await part.read_chunk():
                    data += chunk
                    if len(data) > MAX_UPLOAD:
                        raise _BadRequest("files are at most 20 MB here", 413)
                upload = (part.filename, part.headers.get("Content-Type"), bytes(data))
            else:
                fields[part.name] = await part.text()
        if upload is None:
            raise _BadRequest("no file in the request")
        filename, mime, content = upload
        if not content:
            raise _BadRequest("the file is empty")
        _persona, user = self._persona(fields.get("persona"))
        chat_id = self._chat_id(fields.get("chat"), user)
        reply_to = self._reply_to(fields.get("reply_to"))
        if reply_to is not None:
            self._live_message(chat_id, reply_to)
        caption = (fields.get("caption") or "").strip() or None
        if caption is not None and len(caption) > 1024:
            raise _BadRequest("a caption is at most 1024 characters")
        if mime in (None, "", "application/octet-stream"):
            mime = None
        name = Path(filename).name or "file"
        send_as = fields.get("as") or ("photo" if mime in INLINE_MIME else "document")
        if send_as not in ("photo", "document"):
            raise _BadRequest("as must be photo or document")
        if send_as == "photo":
            if mime not in INLINE_MIME:
                raise _BadRequest("only PNG, JPEG, GIF and WebP images go as photos")
            msg = await user.send_photo(
                content, caption, reply_to, chat=chat_id, filename=name, mime_type=mime
            )
        else:
            msg = await user.send_document(
                name, content, caption, reply_to, chat=chat_id, mime_type=mime
            )
        return web.json_response({"message": self._msg(msg)})

    async def _press(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        _persona, user = self._persona(body.get("persona"))
        chat_id = self._chat_id(body.get("chat"), user)
        msg = self._live_message(chat_id, body.get("message"))
        try:
            button = msg.reply_markup[int(body.get("row"))][int(body.get("col"))]
        except (TypeError, ValueError, IndexError):
            raise _BadRequest("no such button on that message") from None
        if button.pay:
            return await self._do_pay(user, chat_id, msg)
        if button.callback_data is None:
            raise _BadRequest(f"{button.text!r} is not a callback button")
        same_text = [b for b in msg.buttons if b.text == button.text]
        label = button.text if len(same_text) == 1 else button.callback_data
        result = await user.press(msg, label, chat=chat_id)
        return web.json_response({"ok": True, "query_id": result.query_id})

    async def _pay(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        _persona, user = self._persona(body.get("persona"))
        chat_id = self._chat_id(body.get("chat"), user)
        msg = self._live_message(chat_id, body.get("message"))
        return await self._do_pay(user, chat_id, msg)

    async def _do_pay(self, user: SimUser, chat_id: int, msg: SimMessage) -> web.Response:
        if msg.invoice_data is None:
            raise _BadRequest("that message is not an invoice")
        if chat_id != user.id:
            raise _BadRequest("invoices are paid in the private chat")
        result = await user.pay(msg, timeout=10.0)
        if isinstance(result, str):
            return web.json_response({"ok": False, "error": result or "payment declined"})
        return web.json_response({"ok": True, "message": self._msg(result)})

    # -- clock --------------------------------------------------------------------------
    async def _clock_get(self, _request: web.Request) -> web.Response:
        return web.json_response(_clock_json(self.clock))

    async def _clock_post(self, request: web.Request) -> web.Response:
        if self.clock is None:
            raise _BadRequest("this sandbox has no clock to move", 409)
        body = await self._json_body(request)
        seconds = body.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int):
            raise _BadRequest("seconds must be a whole number")
        if not 1 <= seconds <= MAX_ADVANCE:
            raise _BadRequest(f"seconds must be from 1 to {MAX_ADVANCE}")
        await self.advance(seconds)
        return web.json_response(_clock_json(self.clock))

    async def advance(self, seconds: int) -> None:
        """Move the sandbox clock forward and tell every open page."""
        assert self.clock is not None
        self.clock.advance(seconds)
        if self.on_advance is not None:
            result = self.on_advance(seconds)
            if inspect.isawaitable(result):
                await result
        self.broadcast(
            {"kind": "clock", "chat_id": None, "message": None, "data": _clock_json(self.clock)}
        )

    # -- reset --------------------------------------------------------------------------
    async def _reset(self, _request: web.Request) -> web.Response:
        if self.on_reset is None:
            raise _BadRequest("this sandbox cannot start over", 409)
        if self._resetting:
            raise _BadRequest("the sandbox is starting over already", 409)
        self._resetting = True
        try:
            await self.on_reset()
        finally:
            self._resetting = False
        self._resets += 1  # each page starts over once per reset, from the answer or the event
        data = {"reset": self._resets, "clock": _clock_json(self.clock)}
        self.broadcast({"kind": "reset", "chat_id": None, "message": None, "data": data})
        return web.json_response({"ok": True, **data})

    # -- live events --------------------------------------------------------------------
    async def _events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
                "X-Content-Type-Options": "nosniff",
            }
        )
        await response.prepare(request)
        # One queue per page: the server's events (SandboxEvent), the page-level events
        # (dicts, e.g. the clock) put there by broadcast(), and None to close.
        queue = self.server.subscribe(maxsize=10_000)
        self._streams.add(queue)
        hello = {"kind": "hello", "chat_id": None, "message": None, "data": _clock_json(self.clock)}
        try:
            await self._write_event(response, hello)
            while not self._closing.is_set():
                try:
                    item = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    await response.write(b": keepalive\n\n")
                    continue
                if item is None:
                    break
                payload = self._event_json(item) if isinstance(item, SandboxEvent) else item
                if payload is not None:
                    await self._write_event(response, payload)
        except ConnectionResetError:
            pass  # the page went away
        finally:
            self.server.unsubscribe(queue)
            self._streams.discard(queue)
        return response

    @staticmethod
    async def _write_event(response: web.StreamResponse, payload: dict) -> None:
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        await response.write(f"data: {data}\n\n".encode())
