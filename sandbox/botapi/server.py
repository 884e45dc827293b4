"""The HTTP side: request parameters (JSON, form, multipart uploads), the aiohttp routes and
their lifecycle, the method table, updates (getUpdates, webhooks) and event subscribers, and
the methods about the bot itself (getMe, commands, menu button, descriptions)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from sandbox.botapi.errors import (
    MAX_UPLOAD_SIZE,
    MSG_CONFLICT_POLL,
    MSG_CONFLICT_WEBHOOK,
    ApiError,
    _bad,
)
from sandbox.botapi.model import _MEDIA_KINDS, CallRecord, SandboxEvent, SimMessage
from sandbox.botapi.parsing import _json_value

if TYPE_CHECKING:
    from sandbox.botapi import BotApiServer


# Update types delivered when allowed_updates is empty / never set.
_DEFAULT_ALLOWED = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)


# --------------------------------------------------------------------------------------
# HTTP request parameters
# --------------------------------------------------------------------------------------


@dataclass
class _Upload:
    filename: str | None
    content_type: str | None
    data: bytes = field(repr=False)


class _Params:
    def __init__(self, data: dict[str, Any], files: dict[str, _Upload]) -> None:
        self.data = data
        self.files = files

    def has(self, name: str) -> bool:
        return name in self.data or name in self.files

    def raw(self, name: str) -> Any:
        return self.data.get(name)

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self.data.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dict | list):
            return json.dumps(value)
        return str(value)

    def int(self, name: str, default: int | None = None) -> int | None:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        try:
            return int(value)
        except (TypeError, ValueError):
            try:
                as_float = float(value)
            except (TypeError, ValueError):
                raise _bad(f"invalid {name} specified") from None
            if as_float.is_integer():
                return int(as_float)
            raise _bad(f"invalid {name} specified") from None

    def req_int(self, name: str) -> int:
        value = self.int(name)
        if value is None:
            raise _bad(f"{name} is empty")
        return value

    def float(self, name: str, default: float = 0.0) -> float:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _bad(f"invalid {name} specified") from None

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.data.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return bool(value)
        return str(value).strip().lower() in ("true", "1", "yes")

    def json(self, name: str, what: str | None = None) -> Any:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        return _json_value(value, what or name)

    def chat_id(self, name: str = "chat_id") -> int | str:
        value = self.data.get(name)
        if value is None or value == "":
            raise _bad(f"{name} is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        if re.fullmatch(r"-?\d+", text):
            return int(text)
        if text.startswith("@"):
            return text
        raise _bad("chat not found")

    def file(self, name: str) -> _Upload | str | None:
        if name in self.files:
            return self.files[name]
        value = self.data.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = self.files.get(value[len("attach://") :])
            if upload is None:
                raise _bad(f"wrong file identifier/HTTP URL specified: {value} is not attached")
            return upload
        if value is None or value == "":
            return None
        return str(value)

    def for_record(self) -> dict:
        record = dict(self.data)
        for key, upload in self.files.items():
            record[key] = f"<file {upload.filename!r}, {len(upload.data)} bytes>"
        return record


_SCOPE_TYPES = {
    "default",
    "all_private_chats",
    "all_group_chats",
    "all_chat_administrators",
    "chat",
    "chat_administrators",
    "chat_member",
}

_LOG = logging.getLogger("sandbox.botapi")


class ServerMixin:
    """HTTP routes and lifecycle, updates, subscribers and the bot's own settings."""

    # -- lifecycle ----------------------------------------------------------------------
    async def start(self) -> BotApiServer:
        self._closing = False
        app = web.Application(client_max_size=MAX_UPLOAD_SIZE + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(
            app,
            handle_signals=False,
            access_log=None,
            shutdown_timeout=0.5,
            handler_cancellation=True,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._requested_port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        self._closing = True
        await self.webhooks.stop()
        self._bump_updates()
        self._bump_log()
        for entry in self._pre_checkouts.values():
            if not entry["future"].done():
                entry["future"].set_exception(AssertionError("the Bot API server was stopped"))
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for task in list(self._tasks):
            task.cancel()

    async def __aenter__(self) -> BotApiServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("server not started")
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    # -- subscribers --------------------------------------------------------------------
    def subscribe(self, maxsize: int = 0) -> asyncio.Queue:
        """A queue receiving every :class:`SandboxEvent` from now on."""
        queue: asyncio.Queue = asyncio.Queue(maxsize)
        self._subscribers.append(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        with contextlib.suppress(ValueError):
            self._subscribers.remove(queue)

    def add_listener(self, callback: Callable[[SandboxEvent], Any]) -> None:
        """Call ``callback(event)`` (sync or async) for every event."""
        self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[SandboxEvent], Any]) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(callback)

    def _emit(self, event: SandboxEvent) -> None:
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(event)
        for callback in list(self._listeners):
            try:
                result = callback(event)
                if inspect.isawaitable(result):
                    task = asyncio.ensure_future(result)
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
            except Exception:
                _LOG.exception("sandbox event listener failed")

    def _bump_log(self) -> None:
        event, self._log_changed = self._log_changed, asyncio.Event()
        event.set()

    def _bump_updates(self) -> None:
        event, self._updates_changed = self._updates_changed, asyncio.Event()
        event.set()
        self.webhooks.kick()

    @property
    def webhook_url(self) -> str | None:
        return self.webhooks.url

    def _log_bot_message(self, kind: str, msg: SimMessage) -> None:
        snap = msg.snapshot()
        self._log.setdefault(msg.chat_id, []).append((kind, snap))
        self._bump_log()
        self._emit(SandboxEvent(kind, msg.chat_id, snap))

    # -- updates ------------------------------------------------------------------------
    @property
    def pending_updates(self) -> list[dict]:
        return list(self._updates)

    def push_update(self, kind: str, obj: dict) -> int:
        """Queue a raw update (``{"update_id": n, kind: obj}``) for getUpdates."""
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, kind: obj})
        self._bump_updates()
        return update_id

    async def drain_updates(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has fetched and confirmed every queued update."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._updates:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"{len(self._updates)} updates were not fetched by the bot")
            event = self._updates_changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), min(remaining, 0.05))

    def _confirm_updates(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            self._updates = (
                self._updates[offset:] if -offset < len(self._updates) else (self._updates)
            )
        else:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def _confirm_one(self, update_id: int) -> None:
        """A webhook delivery was answered with a 2xx: the update is done."""
        self._updates = [u for u in self._updates if u["update_id"] != update_id]
        self._bump_updates()

    def _deliverable_updates(self) -> list[dict]:
        """The pending updates of the allowed types, oldest first."""
        allowed = self._allowed_updates or _DEFAULT_ALLOWED
        return [u for u in self._updates if (set(u) - {"update_id"}) & allowed]

    def _take_updates(self, limit: int) -> list[dict]:
        allowed = self._allowed_updates or _DEFAULT_ALLOWED
        kept = [u for u in self._updates if (set(u) - {"update_id"}) & allowed]
        if len(kept) != len(self._updates):
            self._updates = kept
        return kept[:limit]

    # -- HTTP ---------------------------------------------------------------------------
    async def _read_params(self, request: web.Request) -> _Params:
        data: dict[str, Any] = dict(request.query)
        files: dict[str, _Upload] = {}
        if request.method == "POST" and request.body_exists:
            ctype = request.content_type
            if ctype == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise _bad("can't parse JSON encoded request") from None
                if isinstance(body, dict):
                    data.update(body)
            elif ctype.startswith("multipart/"):
                reader = await request.multipart()
                while True:
                    part = await reader.next()
                    if part is None:
                        break
                    if not isinstance(part, BodyPartReader) or part.name is None:
                        continue
                    if part.filename is not None:
                        files[part.name] = _Upload(
                            part.filename,
                            part.headers.get("Content-Type"),
                            bytes(await part.read()),
                        )
                    else:
                        data[part.name] = await part.text()
            else:
                post = await request.post()
                for key, value in post.items():
                    if isinstance(value, web.FileField):
                        files[key] = _Upload(value.filename, value.content_type, value.file.read())
                    else:
                        data[key] = value
        return _Params(data, files)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        method = request.match_info["method"]
        entry = self._methods.get(method.lower())
        name = entry[0] if entry else method
        try:
            params = await self._read_params(request)
        except ApiError as exc:
            self._add_record(CallRecord(name, {}, exc.code, exc.description, time.time()))
            return web.json_response(exc.payload(), status=exc.code)
        record = CallRecord(name, params.for_record(), at=time.time())
        status = 200
        try:
            fault = self._take_fault(name, params.raw("chat_id"))
            if fault is not None:
                if fault.gate is not None:
                    await fault.gate.wait()
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.drop and fault.after_work and entry is not None:
                    result = entry[1](params)
                    if inspect.isawaitable(result):
                        await result
                if fault.drop:
                    record.status, record.description = 0, "connection dropped (injected)"
                    self._add_record(record)
                    if request.transport is not None:
                        request.transport.close()
                    return web.Response(status=500)
                if fault.status:
                    raise self._fault_error(fault)
            if entry is None:
                raise ApiError(404, "Not Found")
            result = entry[1](params)
            if inspect.isawaitable(result):
                result = await result
            payload: dict[str, Any] = {"ok": True, "result": result}
        except ApiError as exc:
            payload, status = exc.payload(), exc.code
        except Exception as exc:  # a bug in the simulator: make it visible
            _LOG.exception("sandbox Bot API handler %s failed", name)
            status = 500
            payload = {
                "ok": False,
                "error_code": 500,
                "description": f"Internal Server Error: {exc!r}",
            }
        record.status, record.description = status, payload.get("description")
        self._add_record(record)
        return web.json_response(payload, status=status)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        stored = None
        if request.match_info["token"] == self.token:
            stored = self._files_by_path.get(request.match_info["path"])
        if stored is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        self.downloads.append(stored.file_id)
        return web.Response(
            body=stored.content, content_type=stored.mime_type or "application/octet-stream"
        )

    # -- Bot API methods ----------------------------------------------------------------
    def _register_methods(self) -> None:
        def ok(_p: _Params) -> bool:
            return True

        table: dict[str, Callable[[_Params], Any]] = {
            "getMe": self._m_get_me,
            "logOut": ok,
            "close": ok,
            "getUpdates": self._m_get_updates,
            "setWebhook": self._m_set_webhook,
            "deleteWebhook": self._m_delete_webhook,
            "getWebhookInfo": self._m_get_webhook_info,
            "getMyCommands": self._m_get_my_commands,
            "setMyCommands": self._m_set_my_commands,
            "deleteMyCommands": self._m_delete_my_commands,
            "setChatMenuButton": self._m_set_chat_menu_button,
            "getChatMenuButton": self._m_get_chat_menu_button,
            "setMyDescription": self._bot_text_setter("description"),
            "getMyDescription": self._bot_text_getter("description"),
            "setMyShortDescription": self._bot_text_setter("short_description"),
            "getMyShortDescription": self._bot_text_getter("short_description"),
            "setMyName": self._bot_text_setter("name"),
            "getMyName": self._bot_text_getter("name"),
            "setMyDefaultAdministratorRights": ok,
            "sendMessage": self._m_send_message,
            "editMessageText": self._m_edit_message_text,
            "editMessageCaption": self._m_edit_message_caption,
            "editMessageReplyMarkup": self._m_edit_message_reply_markup,
            "deleteMessage": self._m_delete_message,
            "deleteMessages": self._m_delete_messages,
            "answerCallbackQuery": self._m_answer_callback_query,
            "sendChatAction": self._m_send_chat_action,
            "sendMediaGroup": self._m_send_media_group,
            "copyMessage": self._m_copy_message,
            "forwardMessage": self._m_forward_message,
            "getFile": self._m_get_file,
            "getChat": self._m_get_chat,
            "getChatMember": self._m_get_chat_member,
            "getChatAdministrators": self._m_get_chat_administrators,
            "getChatMemberCount": self._m_get_chat_member_count,
            "leaveChat": self._m_leave_chat,
            "pinChatMessage": self._m_pin,
            "unpinChatMessage": self._m_pin,
            "unpinAllChatMessages": self._m_pin,
            "setMessageReaction": self._m_pin,
            "sendInvoice": self._m_send_invoice,
            "createInvoiceLink": self._m_create_invoice_link,
            "answerPreCheckoutQuery": self._m_answer_pre_checkout_query,
            "answerShippingQuery": ok,
            "refundStarPayment": self._m_refund_star_payment,
            "getStarTransactions": self._m_get_star_transactions,
        }
        for kind in _MEDIA_KINDS:
            name = "send" + "".join(part.title() for part in kind.split("_"))
            table[name] = self._media_sender(kind)
        table.update(self._inline_methods())
        table.update(self._forum_methods())
        for name, func in table.items():
            self._methods[name.lower()] = (name, func)

    # updates & webhook
    def _m_get_me(self, _p: _Params) -> dict:
        return {
            **self.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": self.inline_placeholder is not None,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_get_updates(self, p: _Params) -> list[dict]:
        if self.webhook_url:
            raise ApiError(409, MSG_CONFLICT_WEBHOOK)
        offset = p.int("offset")
        limit = min(100, max(1, p.int("limit", 100) or 100))
        timeout = max(0.0, p.float("timeout", 0.0))
        allowed = p.json("allowed_updates", "allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = set(allowed) or None
        self._confirm_updates(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self._bump_updates()  # wakes an older poll so that it ends with 409
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._closing:
                return []
            if generation != self._poll_generation:
                raise ApiError(409, MSG_CONFLICT_POLL)
            batch = self._take_updates(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0:
                return batch
            event = self._updates_changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def _m_set_webhook(self, p: _Params) -> bool:
        url = p.str("url") or ""
        allowed = p.json("allowed_updates", "allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = set(allowed) or None
        if p.bool("drop_pending_updates"):
            self._updates.clear()
        if not url:  # setWebhook with an empty URL removes it
            self.webhooks.delete()
            return True
        try:
            self.webhooks.set(url, p.str("secret_token"), p.int("max_connections"))
        except ValueError as exc:
            raise _bad(str(exc).removeprefix("Bad Request: ")) from None
        self._poll_generation += 1  # a long poll in progress ends with 409
        self._bump_updates()
        return True

    def _m_delete_webhook(self, p: _Params) -> bool:
        self.webhooks.delete()
        if p.bool("drop_pending_updates"):
            self._updates.clear()
        self._bump_updates()
        return True

    def _m_get_webhook_info(self, _p: _Params) -> dict:
        return self.webhooks.info()

    # commands, menu, descriptions
    @staticmethod
    def _scope_key(p: _Params) -> tuple[str, str]:
        scope = p.json("scope", "BotCommandScope") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
            raise _bad("can't parse BotCommandScope JSON object")
        return json.dumps(scope, sort_keys=True), p.str("language_code") or ""

    def _m_set_my_commands(self, p: _Params) -> bool:
        commands = p.json("commands", "commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("too many commands specified")
        clean = []
        for cmd in commands:
            if not isinstance(cmd, dict):
                raise _bad("can't parse BotCommand JSON object")
            name = str(cmd.get("command", "")).lstrip("/")
            desc = str(cmd.get("description", ""))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(desc.strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": name, "description": desc})
        self.my_commands[self._scope_key(p)] = clean
        return True

    def _m_get_my_commands(self, p: _Params) -> list[dict]:
        return list(self.my_commands.get(self._scope_key(p), []))

    def _m_delete_my_commands(self, p: _Params) -> bool:
        self.my_commands.pop(self._scope_key(p), None)
        return True

    def _m_set_chat_menu_button(self, p: _Params) -> bool:
        button = p.json("menu_button", "MenuButton")
        if button is not None and (not isinstance(button, dict) or "type" not in button):
            raise _bad("can't parse MenuButton JSON object")
        chat_id = p.int("chat_id") if p.has("chat_id") else None
        if chat_id is None:
            self.default_menu_button = button or {"type": "commands"}
        else:
            self._resolve_chat(chat_id).menu_button = button
        return True

    def _m_get_chat_menu_button(self, p: _Params) -> dict:
        if p.has("chat_id"):
            chat = self._resolve_chat(p.chat_id())
            if chat.menu_button:
                return chat.menu_button
        return self.default_menu_button

    def _bot_text_setter(self, field_name: str) -> Callable[[_Params], bool]:
        limits = {"description": 512, "short_description": 120, "name": 64}

        def setter(p: _Params) -> bool:
            value = p.str(field_name) or ""
            if len(value) > limits[field_name]:
                raise _bad(f"{field_name} is too long")
            self.bot_texts[(field_name, p.str("language_code") or "")] = value
            return True

        return setter

    def _bot_text_getter(self, field_name: str) -> Callable[[_Params], dict]:
        def getter(p: _Params) -> dict:
            lang = p.str("language_code") or ""
            value = self.bot_texts.get((field_name, lang), self.bot_texts.get((field_name, "")))
            if value is None:
                value = self.bot_name if field_name == "name" else ""
            return {field_name: value}

        return getter
