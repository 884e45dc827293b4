"""Messages and files: rendering a message as the Bot API's ``Message``, stored files, the
checks every send and edit shares (chat, parse mode, reply, delivery), and the message
methods (send, edit, delete, media, copy, forward, getFile, pin)."""

from __future__ import annotations

import contextlib
import copy
import mimetypes
import secrets
import time
from collections.abc import Callable
from typing import Any

from sandbox.botapi.errors import (
    MAX_CALLBACK_ANSWER_LENGTH,
    MAX_CAPTION_LENGTH,
    MAX_DOWNLOAD_SIZE,
    MAX_TEXT_LENGTH,
    MAX_UPLOAD_SIZE,
    MSG_NOT_MODIFIED,
    MSG_QUERY_TOO_OLD,
    ApiError,
    EntityParseError,
    _bad,
    _forbidden,
)
from sandbox.botapi.model import _MEDIA_KINDS, SandboxEvent, SimChat, SimMessage, StoredFile
from sandbox.botapi.parsing import (
    _parse_reply_markup,
    _strip_formatted,
    parse_html,
    parse_markdown,
    parse_markdown_v2,
    u16len,
)
from sandbox.botapi.server import _Params, _Upload

_CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
_FILE_PREFIX = {
    "document": "BQACAgIAAxkBAA",
    "photo": "AgACAgIAAxkBAA",
    "video": "BAACAgIAAxkBAA",
    "animation": "CgACAgIAAxkBAA",
    "audio": "CQACAgIAAxkBAA",
    "voice": "AwACAgIAAxkBAA",
    "video_note": "DQACAgIAAxkBAA",
    "sticker": "CAACAgIAAxkBAA",
}
_FILE_DIR = {
    "document": "documents",
    "photo": "photos",
    "video": "videos",
    "animation": "animations",
    "audio": "music",
    "voice": "voice",
    "video_note": "video_notes",
    "sticker": "stickers",
}
_GROUP_KIND = {"group": "group chat", "supergroup": "supergroup chat", "channel": "channel chat"}


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width/height of a PNG/GIF/JPEG, if recognisable."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                return int.from_bytes(data[i + 7 : i + 9], "big"), int.from_bytes(
                    data[i + 5 : i + 7], "big"
                )
            i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return None


class MessagesMixin:
    """Messages the bot sends and edits, and the files they carry."""

    # -- rendering ----------------------------------------------------------------------
    def render(self, msg: SimMessage, *, with_reply: bool = True) -> dict:
        """The Bot API ``Message`` object for ``msg``."""
        data: dict[str, Any] = {"message_id": msg.message_id, "date": msg.date, "chat": msg.chat}
        if msg.chat.get("type") == "channel":
            data["sender_chat"] = msg.chat
        elif msg.sender:
            data["from"] = msg.sender
        if msg.kind == "text":
            data["text"] = msg.body or ""
            if msg.entities:
                data["entities"] = msg.entities
        elif msg.kind in _MEDIA_KINDS:
            data[msg.kind] = msg.media
            if msg.body:
                data["caption"] = msg.body
                if msg.entities:
                    data["caption_entities"] = msg.entities
        elif msg.kind == "invoice":
            data["invoice"] = msg.invoice
        elif msg.kind == "successful_payment":
            data["successful_payment"] = msg.successful_payment
        if with_reply and msg.reply_to_message_id is not None:
            target = self.message(msg.chat_id, msg.reply_to_message_id)
            if target is not None and not target.deleted:
                data["reply_to_message"] = self.render(target, with_reply=False)
        if msg.forward_origin:
            data["forward_origin"] = msg.forward_origin
        if msg.media_group_id:
            data["media_group_id"] = msg.media_group_id
        if msg.edit_date:
            data["edit_date"] = msg.edit_date
        if msg.extra.get("protect_content"):
            data["has_protected_content"] = True
        if msg.inline:
            data["reply_markup"] = msg.markup
        data.update(msg.extra.get("api", {}))  # via_bot, a forum topic's fields ...
        return data

    def _new_message(
        self, chat: SimChat, *, from_bot: bool, sender: dict | None, **fields: Any
    ) -> SimMessage:
        msg = SimMessage(
            chat_id=chat.id,
            message_id=chat.next_message_id,
            date=self.now(),
            from_bot=from_bot,
            sender=sender,
            chat=chat.api(),
            **fields,
        )
        chat.next_message_id += 1
        chat.messages[msg.message_id] = msg
        return msg

    # -- files --------------------------------------------------------------------------
    def add_file(
        self,
        content: bytes,
        file_name: str | None = None,
        kind: str = "document",
        mime_type: str | None = None,
        *,
        source_url: str | None = None,
    ) -> StoredFile:
        """Store bytes as a Telegram file and return it (file_id usable by the bot)."""
        n = next(self._ids)
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        if mime_type is None:
            mime_type = {
                "photo": "image/jpeg",
                "voice": "audio/ogg",
                "sticker": "image/webp",
                "video": "video/mp4",
                "animation": "video/mp4",
                "video_note": "video/mp4",
            }.get(kind, "application/octet-stream")
        ext = ""
        if file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1][:8]
        else:
            ext = mimetypes.guess_extension(mime_type) or ""
        stored = StoredFile(
            file_id=f"{_FILE_PREFIX.get(kind, 'BQACAgIAAxkBAA')}{n:06d}{secrets.token_urlsafe(18)}",
            file_unique_id=f"AgAD{n:04d}{secrets.token_urlsafe(6)}",
            kind=kind,
            content=bytes(content),
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"{_FILE_DIR.get(kind, 'documents')}/file_{n}{ext}",
            source_url=source_url,
        )
        if kind in ("photo", "sticker"):
            size = _image_size(stored.content)
            if size:
                stored.width, stored.height = size
        self.files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _file_from_input(self, source: _Upload | str, kind: str) -> StoredFile:
        if isinstance(source, _Upload):
            if len(source.data) > MAX_UPLOAD_SIZE:
                raise ApiError(413, "Request Entity Too Large")
            mime = source.content_type
            if mime in (None, "application/octet-stream") and source.filename:
                mime = mimetypes.guess_type(source.filename)[0] or mime
            name = source.filename if kind != "photo" else None
            return self.add_file(source.data, name, kind, mime)
        if source.startswith(("http://", "https://")):
            name = source.rsplit("/", 1)[-1].split("?", 1)[0] or None
            return self.add_file(b"", name, kind, source_url=source)
        stored = self.files.get(source)
        if stored is None:
            raise _bad("wrong file identifier/HTTP URL specified")
        compatible = stored.kind == kind or (
            kind == "document" and stored.kind not in ("photo", "sticker")
        )
        if not compatible:
            raise _bad(
                f"can't use file of type {stored.kind.title()} as {kind.replace('_', ' ').title()}"
            )
        return stored

    # -- shared checks ------------------------------------------------------------------
    def _resolve_chat(self, ref: int | str) -> SimChat:
        if isinstance(ref, str):
            name = ref.lstrip("@").lower()
            for chat in self.chats.values():
                if chat.type != "private" and (chat.username or "").lower() == name:
                    return chat
            raise _bad("chat not found")
        chat = self.chats.get(ref)
        if chat is None:
            raise _bad("chat not found")
        return chat

    def _check_can_send(self, chat: SimChat) -> None:
        if chat.type == "private":
            user = self.users[chat.id]
            if user.blocked:
                raise _forbidden("bot was blocked by the user")
            if not user.started:
                raise _forbidden("bot can't initiate conversation with a user")
            return
        kind = _GROUP_KIND[chat.type]
        if chat.bot_status == "kicked":
            raise _forbidden(f"bot was kicked from the {kind}")
        if chat.bot_status == "left":
            raise _forbidden(f"bot is not a member of the {kind}")
        if chat.type == "channel" and chat.bot_status not in ("administrator", "creator"):
            raise _bad("need administrator rights in the channel chat")
        if chat.bot_status == "restricted":
            raise _bad("not enough rights to send text messages to the chat")

    def _send_target(self, p: _Params) -> SimChat:
        chat = self._resolve_chat(p.chat_id())
        self._check_can_send(chat)
        return chat

    def _parse_mode(self, raw: str, mode: str) -> tuple[str, list[dict]]:
        low = mode.lower()
        try:
            if low == "html":
                return parse_html(raw, strict_ampersand=self.strict_html_ampersand)
            if low == "markdownv2":
                return parse_markdown_v2(raw)
            if low == "markdown":
                return parse_markdown(raw)
        except EntityParseError as exc:
            raise _bad(f"can't parse entities: {exc}") from None
        raise _bad("unsupported parse_mode")

    @staticmethod
    def _check_entities(value: Any, text: str) -> list[dict]:
        if not isinstance(value, list):
            raise _bad("can't parse entities JSON object")
        total = u16len(text)
        result = []
        for ent in value:
            if (
                not isinstance(ent, dict)
                or not isinstance(ent.get("type"), str)
                or not isinstance(ent.get("offset"), int)
                or not isinstance(ent.get("length"), int)
            ):
                raise _bad("can't parse MessageEntity JSON object")
            if ent["offset"] < 0 or ent["length"] <= 0 or ent["offset"] + ent["length"] > total:
                continue
            result.append(dict(ent))
        result.sort(key=lambda e: (e["offset"], -e["length"]))
        return result

    def _formatted(
        self, p: _Params, key: str, *, caption: bool
    ) -> tuple[str | None, list[dict], str | None, str | None]:
        """Parse text/caption with parse_mode or entities; enforce Telegram's limits."""
        raw = p.str(key)
        if raw is None or raw == "":
            if caption:
                return None, [], None, None
            raise _bad("message text is empty")
        parse_mode = p.str("parse_mode") or None
        explicit = p.json("caption_entities" if caption else "entities", "entities")
        if explicit is not None:
            visible, entities = raw, self._check_entities(explicit, raw)
            parse_mode = None
        elif parse_mode:
            visible, entities = self._parse_mode(raw, parse_mode)
        else:
            visible, entities = raw, []
        visible, entities = _strip_formatted(visible, entities)
        if caption:
            if len(visible) > MAX_CAPTION_LENGTH:
                raise _bad("message caption is too long")
            if not visible:
                return None, [], None, None
        else:
            if len(visible) > MAX_TEXT_LENGTH:
                raise _bad("message is too long")
            if not visible:
                raise _bad("message text is empty")
        return visible, entities, raw, parse_mode

    def _reply_target(self, p: _Params, chat: SimChat) -> int | None:
        params = p.json("reply_parameters", "reply parameters")
        if isinstance(params, dict):
            mid = params.get("message_id")
            allow = bool(params.get("allow_sending_without_reply"))
            other = params.get("chat_id")
            if other is not None and str(other) != str(chat.id):
                return None  # replies to other chats are not modelled
        else:
            mid = p.int("reply_to_message_id")
            allow = p.bool("allow_sending_without_reply")
        if mid is None:
            return None
        target = chat.messages.get(int(mid))
        if target is None or target.deleted:
            if allow:
                return None
            raise _bad("message to be replied not found")
        return int(mid)

    def _deliver(
        self, p: _Params, chat: SimChat, *, event: str = "message", **fields: Any
    ) -> SimMessage:
        reply_id = self._reply_target(p, chat)
        thread = self._thread_for_send(p, chat)
        self._check_flood(chat)
        msg = self._new_message(
            chat, from_bot=True, sender=self.bot_user(), reply_to_message_id=reply_id, **fields
        )
        self._place(chat, msg, thread)
        if p.bool("protect_content"):
            msg.extra["protect_content"] = True
        now = time.monotonic()
        self._sent_times.append((now, chat.id))
        while now - self._sent_times[0][0] >= 60.0:
            self._sent_times.popleft()
        self._log_bot_message(event, msg)
        return msg

    def _editable(self, p: _Params) -> tuple[SimChat, SimMessage]:
        if p.raw("inline_message_id") and not p.has("chat_id"):
            raise _bad("MESSAGE_ID_INVALID")
        chat = self._resolve_chat(p.chat_id())
        self._check_can_send(chat)
        mid = p.int("message_id")
        if mid is None:
            raise _bad("message identifier is not specified")
        msg = chat.messages.get(mid)
        if msg is None or msg.deleted:
            raise _bad("message to edit not found")
        if not msg.from_bot:
            raise _bad("message can't be edited")
        return chat, msg

    @staticmethod
    def _edit_markup(p: _Params) -> dict | None:
        markup = _parse_reply_markup(p.raw("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise _bad("inline keyboard expected")
        return markup

    def _commit_edit(self, msg: SimMessage, markup: dict | None) -> dict:
        if markup is not None or msg.inline:
            msg.markup = markup
        msg.edited += 1
        msg.edit_date = self.now()
        self._log_bot_message("edit", msg)
        return self.render(msg)

    @staticmethod
    def _same_markup(msg: SimMessage, markup: dict | None) -> bool:
        old = msg.markup if msg.inline else None
        return (old or None) == (markup or None)

    # messages
    def _m_send_message(self, p: _Params) -> dict:
        visible, entities, source, mode = self._formatted(p, "text", caption=False)
        markup = _parse_reply_markup(p.raw("reply_markup"))
        chat = self._send_target(p)
        msg = self._deliver(
            p,
            chat,
            kind="text",
            body=visible,
            entities=entities,
            source=source,
            parse_mode=mode,
            markup=markup,
        )
        return self.render(msg)

    def _m_edit_message_text(self, p: _Params) -> dict:
        visible, entities, source, mode = self._formatted(p, "text", caption=False)
        markup = self._edit_markup(p)
        _chat, msg = self._editable(p)
        if msg.kind != "text":
            raise _bad("there is no text in the message to edit")
        if visible == msg.body and entities == msg.entities and self._same_markup(msg, markup):
            raise ApiError(400, MSG_NOT_MODIFIED)
        msg.body, msg.entities, msg.source, msg.parse_mode = visible, entities, source, mode
        return self._commit_edit(msg, markup)

    def _m_edit_message_caption(self, p: _Params) -> dict:
        caption, entities, source, mode = self._formatted(p, "caption", caption=True)
        markup = self._edit_markup(p)
        _chat, msg = self._editable(p)
        if msg.kind not in _MEDIA_KINDS:
            raise _bad("there is no caption in the message to edit")
        if (
            (caption or None) == (msg.body or None)
            and entities == msg.entities
            and self._same_markup(msg, markup)
        ):
            raise ApiError(400, MSG_NOT_MODIFIED)
        msg.body, msg.entities, msg.source, msg.parse_mode = caption, entities, source, mode
        return self._commit_edit(msg, markup)

    def _m_edit_message_reply_markup(self, p: _Params) -> dict:
        markup = self._edit_markup(p)
        _chat, msg = self._editable(p)
        if self._same_markup(msg, markup):
            raise ApiError(400, MSG_NOT_MODIFIED)
        return self._commit_edit(msg, markup)

    def _delete_one(self, chat: SimChat, mid: int) -> None:
        msg = chat.messages.get(mid)
        if msg is None or msg.deleted:
            raise _bad("message to delete not found")
        if (
            chat.type != "private"
            and not msg.from_bot
            and chat.bot_status not in ("administrator", "creator")
        ):
            raise _bad("message can't be deleted")
        msg.deleted = True
        self._emit(SandboxEvent("delete", chat.id, msg.snapshot()))
        self._bump_log()

    def _m_delete_message(self, p: _Params) -> bool:
        chat = self._resolve_chat(p.chat_id())
        self._delete_one(chat, p.req_int("message_id"))
        return True

    def _m_delete_messages(self, p: _Params) -> bool:
        chat = self._resolve_chat(p.chat_id())
        ids = p.json("message_ids", "message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise _bad("message_ids is empty")
        deleted = 0
        for mid in ids:
            with contextlib.suppress(ApiError):
                self._delete_one(chat, int(mid))
                deleted += 1
        if not deleted:
            raise _bad("message to delete not found")
        return True

    def _m_answer_callback_query(self, p: _Params) -> bool:
        query_id = p.str("callback_query_id") or ""
        res = self._callback_queries.get(query_id)
        if res is None or res.answered or time.monotonic() - res.created > self.callback_query_ttl:
            raise ApiError(400, MSG_QUERY_TOO_OLD)
        text = p.str("text")
        if text and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad("MESSAGE_TOO_LONG")
        answer = {
            "text": text,
            "show_alert": p.bool("show_alert"),
            "url": p.str("url"),
            "cache_time": p.int("cache_time", 0),
        }
        res._set_answer(answer)
        self._emit(
            SandboxEvent(
                "callback_answer",
                res.message.chat_id,
                None,
                {
                    "query_id": query_id,
                    "user_id": res.user_id,
                    "message_id": res.message.message_id,
                    **answer,
                },
            )
        )
        return True

    def _m_send_chat_action(self, p: _Params) -> bool:
        action = p.str("action")
        chat = self._send_target(p)
        if action not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        self._emit(SandboxEvent("chat_action", chat.id, None, {"action": action}))
        return True

    def _media_sender(self, kind: str) -> Callable[[_Params], dict]:
        def send(p: _Params) -> dict:
            source = p.file(kind)
            if source is None:
                raise _bad(f"there is no {kind.replace('_', ' ')} in the request")
            if kind in ("sticker", "video_note"):
                caption, entities, src, mode = None, [], None, None
            else:
                caption, entities, src, mode = self._formatted(p, "caption", caption=True)
            markup = _parse_reply_markup(p.raw("reply_markup"))
            chat = self._send_target(p)
            stored = self._file_from_input(source, kind)
            for attr in ("width", "height", "duration"):
                value = p.int(attr)
                if value and getattr(stored, attr) is None:
                    setattr(stored, attr, value)
            msg = self._deliver(
                p,
                chat,
                kind=kind,
                body=caption,
                entities=entities,
                source=src,
                parse_mode=mode,
                markup=markup,
                media=stored.api(),
                file_id=stored.file_id,
            )
            return self.render(msg)

        return send

    def _m_send_media_group(self, p: _Params) -> list[dict]:
        items = p.json("media", "InputMedia")
        if not isinstance(items, list) or not 2 <= len(items) <= 10:
            raise _bad("wrong number of messages specified: must be 2-10")
        chat = self._send_target(p)
        prepared = []
        for item in items:
            if not isinstance(item, dict) or item.get("type") not in (
                "photo",
                "video",
                "document",
                "audio",
            ):
                raise _bad("can't parse InputMedia JSON object")
            sub = _Params(
                {k: item.get(k) for k in ("media", "caption", "parse_mode", "caption_entities")},
                p.files,
            )
            source = sub.file("media")
            if source is None:
                raise _bad("media is empty")
            caption = self._formatted(sub, "caption", caption=True)
            prepared.append((item["type"], source, caption))
        group_id = str(13_000_000_000_000_000 + next(self._ids))
        result = []
        for kind, source, (caption, entities, src, mode) in prepared:
            stored = self._file_from_input(source, kind)
            msg = self._deliver(
                p,
                chat,
                kind=kind,
                body=caption,
                entities=entities,
                source=src,
                parse_mode=mode,
                media=stored.api(),
                file_id=stored.file_id,
                media_group_id=group_id,
            )
            result.append(self.render(msg))
        return result

    def _source_message(self, p: _Params, missing: str) -> SimMessage:
        src_chat = self._resolve_chat(p.chat_id("from_chat_id"))
        src = src_chat.messages.get(p.req_int("message_id"))
        if src is None or src.deleted:
            raise _bad(missing)
        return src

    def _m_copy_message(self, p: _Params) -> dict:
        src = self._source_message(p, "message to copy not found")
        if src.kind in ("invoice", "successful_payment"):
            raise _bad("message can't be copied")
        body, entities, source, mode = src.body, src.entities, src.source, src.parse_mode
        if p.has("caption") and src.kind in _MEDIA_KINDS:
            body, entities, source, mode = self._formatted(p, "caption", caption=True)
        markup = _parse_reply_markup(p.raw("reply_markup"))
        chat = self._send_target(p)
        msg = self._deliver(
            p,
            chat,
            kind=src.kind,
            body=body,
            entities=copy.deepcopy(entities),
            source=source,
            parse_mode=mode,
            markup=markup,
            media=copy.deepcopy(src.media),
            file_id=src.file_id,
        )
        return {"message_id": msg.message_id}

    def _m_forward_message(self, p: _Params) -> dict:
        src = self._source_message(p, "message to forward not found")
        if src.kind in ("invoice", "successful_payment"):
            raise _bad("message can't be forwarded")
        chat = self._send_target(p)
        if src.chat.get("type") == "channel":
            origin = {
                "type": "channel",
                "chat": src.chat,
                "message_id": src.message_id,
                "date": src.date,
            }
        else:
            origin = {
                "type": "user",
                "sender_user": src.sender or self.bot_user(),
                "date": src.date,
            }
        msg = self._deliver(
            p,
            chat,
            kind=src.kind,
            body=src.body,
            entities=copy.deepcopy(src.entities),
            source=src.source,
            parse_mode=src.parse_mode,
            media=copy.deepcopy(src.media),
            file_id=src.file_id,
            forward_origin=origin,
        )
        return self.render(msg)

    def _m_get_file(self, p: _Params) -> dict:
        stored = self.files.get(p.str("file_id") or "")
        if stored is None:
            raise _bad("wrong file_id or the file is temporarily unavailable")
        if stored.size > MAX_DOWNLOAD_SIZE:
            raise _bad("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    def _m_pin(self, p: _Params) -> bool:
        chat = self._resolve_chat(p.chat_id())
        self._check_can_send(chat)
        return True
