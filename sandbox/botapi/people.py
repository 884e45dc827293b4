"""Chats and people: the simulated users (:class:`SimUser`) and what they do (write, send
files, edit, press buttons, block the bot), the chats and their members, and waiting for
the bot's answer."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sandbox.botapi.errors import MAX_TEXT_LENGTH, _bad
from sandbox.botapi.model import PressResult, SandboxEvent, SimChat, SimMessage
from sandbox.botapi.parsing import u16len
from sandbox.botapi.server import _Params
from sandbox.inline import InlineUser

if TYPE_CHECKING:
    from sandbox.botapi import BotApiServer


# --------------------------------------------------------------------------------------
# Simulated people
# --------------------------------------------------------------------------------------

MessageRef = SimMessage | int
Matcher = str | re.Pattern | Callable[[SimMessage], Any] | None


class SimUser(InlineUser):
    """A simulated Telegram user talking to the bot (create with ``server.add_user``).
    Inline mode (``inline_query``, ``choose_inline``, ``open_link``): sandbox/inline.py."""

    def __init__(
        self,
        server: BotApiServer,
        user_id: int,
        first_name: str,
        username: str | None = None,
        language_code: str | None = "en",
        *,
        last_name: str | None = None,
        is_premium: bool | None = None,
        started: bool = False,
    ) -> None:
        self.server = server
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.is_premium = is_premium
        self.started = started
        self.blocked = False
        self._cursors: dict[int, int] = {}

    def __repr__(self) -> str:
        return f"SimUser(id={self.id}, first_name={self.first_name!r}, username={self.username!r})"

    @property
    def chat_id(self) -> int:
        return self.id

    def api(self) -> dict:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        if self.is_premium:
            data["is_premium"] = True
        return data

    # -- observing ------------------------------------------------------------------------
    @property
    def messages(self) -> list[SimMessage]:
        """Bot messages in this user's private chat, in order, with their current content."""
        return self.server.chat_messages(self.id)

    @property
    def last_message(self) -> SimMessage | None:
        msgs = self.messages
        return msgs[-1] if msgs else None

    async def wait_for(
        self,
        match: Matcher = None,
        timeout: float = 15.0,  # noqa: ASYNC109
        *,
        chat: int | None = None,
    ) -> SimMessage:
        """First bot message (new or edited) after the last consumed point that matches.

        ``match`` is a substring of the visible text, a compiled regex, a predicate taking
        a :class:`SimMessage`, or None (anything).  Returns a snapshot of the message as it
        was at that event; the consumed point moves past it.
        """
        return await self.server._wait_for(self, match, timeout, self.id if chat is None else chat)

    def mark_read(self, chat: int | None = None) -> None:
        """Move the consumed point to the end: wait_for only sees later events."""
        chat_id = self.id if chat is None else chat
        self._cursors[chat_id] = len(self.server._log.get(chat_id, []))

    def transcript(self, chat: int | None = None) -> str:
        return self.server.transcript(self.id if chat is None else chat)

    # -- acting ---------------------------------------------------------------------------
    async def send(
        self,
        text: str,
        reply_to: MessageRef | None = None,
        *,
        chat: int | None = None,
        thread: int | None = None,
    ) -> SimMessage:
        """Send text (``/command args`` gets a bot_command entity) to the bot or a group (into
        forum topic ``thread``)."""
        msg = self.server._user_text(self, text, chat, reply_to, thread)
        await asyncio.sleep(0)
        return msg

    async def send_document(
        self,
        filename: str,
        content: bytes,
        caption: str | None = None,
        reply_to: MessageRef | None = None,
        *,
        chat: int | None = None,
        mime_type: str | None = None,
    ) -> SimMessage:
        msg = self.server._user_media(
            self, "document", content, filename, mime_type, caption, chat, reply_to
        )
        await asyncio.sleep(0)
        return msg

    async def send_photo(
        self,
        content: bytes = b"\x89PNG\r\n\x1a\n",
        caption: str | None = None,
        reply_to: MessageRef | None = None,
        *,
        chat: int | None = None,
        filename: str = "photo.jpg",
        mime_type: str = "image/jpeg",
    ) -> SimMessage:
        msg = self.server._user_media(
            self, "photo", content, filename, mime_type, caption, chat, reply_to
        )
        await asyncio.sleep(0)
        return msg

    async def edit(self, message: MessageRef, text: str, *, chat: int | None = None) -> SimMessage:
        """Edit one of this user's own text messages (sends an ``edited_message`` update)."""
        msg = self.server._user_edit(self, message, text, chat)
        await asyncio.sleep(0)
        return msg

    async def press(
        self, message: MessageRef, button: str, *, chat: int | None = None
    ) -> PressResult:
        """Press an inline button (matched by text, then by callback_data) of a bot message."""
        res = self.server._press(self, message, button, chat)
        await asyncio.sleep(0)
        return res

    async def press_data(
        self, message: MessageRef, data: str, *, chat: int | None = None
    ) -> PressResult:
        """Send a press with this callback data on a bot message, whatever buttons it has
        now: a button already gone (a second device, a double tap, a replayed request)."""
        res = self.server._press(self, message, "", chat, data=data)
        await asyncio.sleep(0)
        return res

    async def pay(self, invoice: SimMessage | str, timeout: float = 10.0) -> SimMessage | str:  # noqa: ASYNC109
        """Pay an invoice message (or an invoice link from createInvoiceLink).

        Sends a pre_checkout_query and waits for answerPreCheckoutQuery.  If the bot says
        ok, a ``successful_payment`` message is delivered and returned; otherwise the bot's
        error_message is returned.
        """
        return await self.server._pay(self, invoice, timeout)

    async def send_successful_payment(
        self,
        payload: str,
        total_amount: int,
        currency: str = "XTR",
        charge_id: str | None = None,
        *,
        chat: int | None = None,
    ) -> SimMessage:
        """Deliver a successful_payment message directly (e.g. to replay a duplicate)."""
        msg = self.server._successful_payment(
            self, self.id if chat is None else chat, payload, total_amount, currency, charge_id
        )
        await asyncio.sleep(0)
        return msg

    def block(self) -> None:
        """The user blocks the bot: sends to them get 403 and a my_chat_member update."""
        if not self.blocked:
            self.blocked = True
            self.server._my_chat_member(self, "member", "kicked")

    def unblock(self) -> None:
        if self.blocked:
            self.blocked = False
            self.started = True
            self.server._my_chat_member(self, "kicked", "member")


_CMD_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_MENTION_RE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}")
_LINK_RE = re.compile(r"https?://[^\s]+")
_MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")


def _member_api(status: str, user: dict) -> dict:
    if status == "creator":
        return {"status": "creator", "user": user, "is_anonymous": False}
    if status == "administrator":
        rights = dict.fromkeys(
            (
                "can_manage_chat",
                "can_delete_messages",
                "can_manage_video_chats",
                "can_restrict_members",
                "can_change_info",
                "can_invite_users",
                "can_post_stories",
                "can_edit_stories",
                "can_delete_stories",
                "can_post_messages",
                "can_edit_messages",
                "can_pin_messages",
            ),
            True,
        )
        return {
            "status": "administrator",
            "user": user,
            "can_be_edited": False,
            "is_anonymous": False,
            "can_promote_members": False,
            **rights,
        }
    if status == "restricted":
        flags = dict.fromkeys(
            (
                "can_change_info",
                "can_invite_users",
                "can_pin_messages",
                "can_send_messages",
                "can_send_polls",
                "can_send_other_messages",
                "can_add_web_page_previews",
                "can_manage_topics",
                "can_send_audios",
                "can_send_documents",
                "can_send_photos",
                "can_send_videos",
                "can_send_video_notes",
                "can_send_voice_notes",
                "can_edit_tag",
                "can_react_to_messages",
            ),
            False,
        )
        return {"status": "restricted", "user": user, "is_member": True, "until_date": 0, **flags}
    if status == "kicked":
        return {"status": "kicked", "user": user, "until_date": 0}
    return {"status": status, "user": user}


class PeopleMixin:
    """Users, chats and members; the simulation of people acting and waiting."""

    # -- people and chats ---------------------------------------------------------------
    def bot_user(self) -> dict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

    def add_user(
        self,
        user_id: int,
        first_name: str,
        username: str | None = None,
        language_code: str | None = "en",
        *,
        last_name: str | None = None,
        is_premium: bool | None = None,
        started: bool = False,
    ) -> SimUser:
        """Register a person; their private chat with the bot has ``id == user_id``."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        existing = self.users.get(user_id)
        if existing is not None:  # e.g. a placeholder created by add_chat(members=...)
            existing.first_name, existing.last_name = first_name, last_name
            existing.username, existing.language_code = username, language_code
            existing.is_premium = is_premium
            existing.started = existing.started or started
            chat = self.chats[user_id]
            chat.first_name, chat.last_name, chat.username = first_name, last_name, username
            return existing
        user = SimUser(
            self,
            user_id,
            first_name,
            username,
            language_code,
            last_name=last_name,
            is_premium=is_premium,
            started=started,
        )
        self.users[user_id] = user
        self.chats[user_id] = SimChat(
            id=user_id,
            type="private",
            first_name=first_name,
            last_name=last_name,
            username=username,
        )
        return user

    def user(self, user_id: int) -> SimUser:
        return self.users[user_id]

    def reset(self) -> None:
        """Forget every chat, message, file, payment, menu, call and pending update, as a
        new Telegram would; the people and the chats' members stay (the sandbox's Reset)."""
        for chat in self.chats.values():
            chat.messages.clear()
            chat.next_message_id = 1
            chat.menu_button = None
        for user in self.users.values():
            user.started = user.blocked = False
            user._cursors.clear()
        for entry in self._pre_checkouts.values():
            if not entry["future"].done():
                entry["future"].set_exception(AssertionError("the sandbox was reset"))
        for store in (
            self.files,
            self._files_by_path,
            self.charges,
            self.my_commands,
            self.bot_texts,
            self._log,
            self._callback_queries,
            self._pre_checkouts,
            self._invoice_links,
        ):
            store.clear()
        for log in (self.refunds, self.call_records, self.faults, self.downloads, self._updates):
            log.clear()
        self.default_menu_button = {"type": "commands"}
        self.inline_reset()
        self.forum_reset()
        self._bump_updates()
        self._bump_log()

    def add_chat(
        self,
        chat_id: int,
        type: str = "group",
        title: str | None = None,
        members: dict[int, str] | None = None,
        *,
        username: str | None = None,
        bot_status: str = "administrator",
    ) -> SimChat:
        """Add a group/supergroup/channel; the bot is in it with ``bot_status``."""
        if type not in ("group", "supergroup", "channel"):
            raise ValueError(f"unsupported chat type {type!r}")
        if chat_id >= 0:
            raise ValueError("group and channel ids are negative")
        for status in [*(members or {}).values(), bot_status]:
            if status not in _MEMBER_STATUSES:
                raise ValueError(f"unknown member status {status!r}")
        for uid in members or {}:
            if uid not in self.users:
                self.add_user(uid, f"User{uid}")
        chat = SimChat(
            id=chat_id,
            type=type,
            title=title or f"Chat {chat_id}",
            username=username.lstrip("@") if username else None,
            members=dict(members or {}),
            bot_status=bot_status,
        )
        self.chats[chat_id] = chat
        return chat

    def chat(self, chat_id: int) -> SimChat:
        return self.chats[chat_id]

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        if status not in _MEMBER_STATUSES:
            raise ValueError(f"unknown member status {status!r}")
        if user_id == self.bot_id:
            self.chats[chat_id].bot_status = status
        else:
            self.chats[chat_id].members[user_id] = status

    def message(self, chat_id: int, message_id: int) -> SimMessage | None:
        chat = self.chats.get(chat_id)
        return chat.messages.get(message_id) if chat else None

    def chat_messages(
        self, chat_id: int, *, include_user: bool = False, include_deleted: bool = False
    ) -> list[SimMessage]:
        """Messages in a chat, in order (bot messages only unless ``include_user``)."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        return [
            m
            for m in chat.messages.values()
            if (include_user or m.from_bot) and (include_deleted or not m.deleted)
        ]

    def transcript(self, chat_id: int) -> str:
        msgs = self.chat_messages(chat_id, include_user=True, include_deleted=True)
        if not msgs:
            return "    (no messages)"
        return "\n".join("    " + m.describe().replace("\n", "\n    ") for m in msgs)

    def commands(self, scope: dict | None = None, language_code: str = "") -> list[dict]:
        key = json.dumps(scope or {"type": "default"}, sort_keys=True)
        return list(self.my_commands.get((key, language_code), []))

    # -- simulation: users acting -------------------------------------------------------
    def _chat_for_user(self, user: SimUser, chat_id: int | None) -> SimChat:
        if chat_id is None or chat_id == user.id:
            chat = self.chats[user.id]
            if user.blocked:
                raise AssertionError(
                    f"{user!r} has blocked the bot; call user.unblock() before writing to it"
                )
            return chat
        chat = self.chats.get(chat_id)
        if chat is None:
            raise AssertionError(f"unknown chat {chat_id}; add it with server.add_chat()")
        if chat.type == "private":
            raise AssertionError(f"{user!r} cannot write into another user's private chat")
        if chat.type == "channel":
            raise AssertionError("simulated users cannot post in channels")
        if chat.members.get(user.id) not in ("creator", "administrator", "member", "restricted"):
            raise AssertionError(
                f"{user!r} is not a member of chat {chat_id} "
                f"(status {chat.members.get(user.id, 'left')!r}); use server.set_member()"
            )
        return chat

    def _reply_id(self, chat: SimChat, reply_to: MessageRef | None) -> int | None:
        if reply_to is None:
            return None
        if isinstance(reply_to, SimMessage):
            if reply_to.chat_id != chat.id:
                raise AssertionError("reply_to message belongs to another chat")
            return reply_to.message_id
        return int(reply_to)

    def _bot_sees(self, chat: SimChat, msg: SimMessage) -> bool:
        if chat.type == "private" or not self.privacy_mode:
            return chat.bot_status not in ("left", "kicked")
        if chat.bot_status in ("administrator", "creator"):
            return True
        if chat.bot_status != "member":
            return False
        text = msg.body or ""
        if text.startswith("/") or f"@{self.bot_username}".lower() in text.lower():
            return True
        if msg.reply_to_message_id is not None:
            target = chat.messages.get(msg.reply_to_message_id)
            return bool(target and target.from_bot)
        return msg.kind == "successful_payment"

    def _publish_user_message(self, chat: SimChat, msg: SimMessage) -> None:
        self._emit(SandboxEvent("user_message", chat.id, msg.snapshot()))
        if self._bot_sees(chat, msg):
            self.push_update("message", self.render(msg))

    def _text_entities(self, text: str) -> list[dict]:
        entities = []
        for regex, etype in ((_CMD_RE, "bot_command"), (_MENTION_RE, "mention"), (_LINK_RE, "url")):
            for m in regex.finditer(text):
                entities.append(
                    {
                        "type": etype,
                        "offset": u16len(text[: m.start()]),
                        "length": u16len(m.group()),
                    }
                )
        entities.sort(key=lambda e: e["offset"])
        return entities

    def _user_text(
        self,
        user: SimUser,
        text: str,
        chat_id: int | None,
        reply_to: MessageRef | None,
        thread: int | None = None,
    ) -> SimMessage:
        if not text or not text.strip():
            raise AssertionError("Telegram clients cannot send empty messages")
        if len(text) > MAX_TEXT_LENGTH:
            raise AssertionError("Telegram clients split texts over 4096 characters")
        chat = self._chat_for_user(user, chat_id)
        thread = self._thread_for_user(user, chat, thread)
        user.started = user.started or chat.type == "private"
        msg = self._new_message(
            chat,
            from_bot=False,
            sender=user.api(),
            kind="text",
            body=text,
            source=text,
            entities=self._text_entities(text),
            reply_to_message_id=self._reply_id(chat, reply_to),
        )
        self._place(chat, msg, thread)
        self._publish_user_message(chat, msg)
        return msg

    def _user_media(
        self,
        user: SimUser,
        kind: str,
        content: bytes,
        filename: str | None,
        mime_type: str | None,
        caption: str | None,
        chat_id: int | None,
        reply_to: MessageRef | None,
    ) -> SimMessage:
        chat = self._chat_for_user(user, chat_id)
        user.started = user.started or chat.type == "private"
        stored = self.add_file(content, filename if kind != "photo" else None, kind, mime_type)
        msg = self._new_message(
            chat,
            from_bot=False,
            sender=user.api(),
            kind=kind,
            body=caption or None,
            source=caption,
            entities=self._text_entities(caption) if caption else [],
            media=stored.api(),
            file_id=stored.file_id,
            reply_to_message_id=self._reply_id(chat, reply_to),
        )
        self._publish_user_message(chat, msg)
        return msg

    def _user_edit(
        self, user: SimUser, message: MessageRef, text: str, chat_id: int | None
    ) -> SimMessage:
        if isinstance(message, SimMessage):
            chat_id = message.chat_id
            message = message.message_id
        chat = self._chat_for_user(user, chat_id)
        msg = chat.messages.get(int(message))
        if msg is None or msg.deleted or msg.from_bot or (msg.sender or {}).get("id") != user.id:
            raise AssertionError(f"{user!r} can only edit their own existing messages")
        if msg.kind != "text":
            raise AssertionError("only text messages can be edited with user.edit()")
        msg.body = msg.source = text
        msg.entities = self._text_entities(text)
        msg.edited += 1
        msg.edit_date = self.now()
        self._emit(SandboxEvent("user_edit", chat.id, msg.snapshot()))
        if self._bot_sees(chat, msg):
            self.push_update("edited_message", self.render(msg))
        return msg

    def _press(
        self,
        user: SimUser,
        message: MessageRef,
        button: str,
        chat_id: int | None,
        data: str | None = None,
    ) -> PressResult:
        if isinstance(message, SimMessage):
            chat_id = message.chat_id
            mid = message.message_id
        else:
            mid = int(message)
            chat_id = user.id if chat_id is None else chat_id
        chat = self._chat_for_user(user, chat_id)
        live = chat.messages.get(mid)
        if live is None or live.deleted:
            raise AssertionError(
                f"message #{mid} does not exist (deleted?) in chat {chat.id}\n"
                + self.transcript(chat.id)
            )
        if not live.from_bot:
            raise AssertionError(f"message #{mid} was not sent by the bot")
        if data is not None:
            return self._push_press(user, chat, live, data)
        if not live.inline:
            raise AssertionError(
                f"message #{mid} has no inline keyboard (now):\n    {live.describe()}"
            )
        btn = live.find_button(button)
        if btn is None:
            raise AssertionError(
                f"no inline button {button!r} on message #{mid}; it has:\n    " + live.describe()
            )
        if btn.pay:
            raise AssertionError("that is a Pay button: use `await user.pay(message)`")
        if btn.callback_data is None:
            raise AssertionError(
                f"button {btn.text!r} is not a callback button ({btn.raw}); nothing is sent to "
                "the bot when it is pressed"
            )
        return self._push_press(user, chat, live, btn.callback_data)

    def _push_press(self, user: SimUser, chat: Any, live: SimMessage, data: str) -> PressResult:
        query_id = str(4_000_000_000_000_000 + next(self._ids))
        result = PressResult(query_id, live.snapshot(), data, user.id)
        self._callback_queries[query_id] = result
        self.push_update(
            "callback_query",
            {
                "id": query_id,
                "from": user.api(),
                "message": self.render(live),
                "chat_instance": str((abs(chat.id) * 7_919 + self.bot_id) % 10**18),
                "data": data,
            },
        )
        self._emit(
            SandboxEvent(
                "press",
                chat.id,
                live.snapshot(),
                {"user_id": user.id, "data": data, "query_id": query_id},
            )
        )
        return result

    def _my_chat_member(self, user: SimUser, old: str, new: str) -> None:
        chat = self.chats[user.id]
        bot = self.bot_user()
        self.push_update(
            "my_chat_member",
            {
                "chat": chat.api(),
                "from": user.api(),
                "date": self.now(),
                "old_chat_member": _member_api(old, bot),
                "new_chat_member": _member_api(new, bot),
            },
        )
        self._emit(SandboxEvent("block" if new == "kicked" else "unblock", user.id))

    # -- simulation: waiting ------------------------------------------------------------
    @staticmethod
    def _predicate(match: Matcher) -> Callable[[SimMessage], bool]:
        if match is None:
            return lambda m: True
        if isinstance(match, str):
            return lambda m: match in m.text
        if isinstance(match, re.Pattern):
            return lambda m: match.search(m.text) is not None
        return lambda m: bool(match(m))

    async def _wait_for(
        self,
        user: SimUser,
        match: Matcher,
        timeout: float,  # noqa: ASYNC109
        chat_id: int,
    ) -> SimMessage:
        predicate = self._predicate(match)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            log = self._log.get(chat_id, [])
            start = user._cursors.get(chat_id, 0)
            for index in range(start, len(log)):
                if predicate(log[index][1]):
                    user._cursors[chat_id] = index + 1
                    return log[index][1]
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing:
                raise AssertionError(self._timeout_report(user, match, timeout, chat_id))
            event = self._log_changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def _timeout_report(self, user: SimUser, match: Matcher, timeout: float, chat_id: int) -> str:
        log = self._log.get(chat_id, [])
        start = user._cursors.get(chat_id, 0)
        what = match if isinstance(match, str) else getattr(match, "pattern", match)
        lines = [
            f"{user!r}: no bot message matching {what!r} in chat {chat_id} within {timeout}s.",
            f"Unconsumed bot events ({len(log) - start}):",
        ]
        lines += [f"    {kind}: {snap.describe()}" for kind, snap in log[start:]] or ["    (none)"]
        lines.append("Whole chat:")
        lines.append(self.transcript(chat_id))
        failed = [r for r in self.call_records if r.status != 200][-5:]
        if failed:
            lines.append("Recent failed Bot API calls:")
            lines += [f"    {r.method} -> {r.status} {r.description}" for r in failed]
        return "\n".join(lines)

    # chats and members
    def _m_get_chat(self, p: _Params) -> dict:
        chat = self._resolve_chat(p.chat_id())
        return {
            **chat.api(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }

    def _member_of(self, chat: SimChat, user_id: int) -> dict:
        if user_id == self.bot_id:
            status = "member" if chat.type == "private" else chat.bot_status
            return _member_api(status, self.bot_user())
        user = self.users.get(user_id)
        if user is None:
            raise _bad("user not found")
        if chat.type == "private":
            status = "member" if user_id == chat.id else "left"
        else:
            status = chat.members.get(user_id, "left")
        return _member_api(status, user.api())

    def _m_get_chat_member(self, p: _Params) -> dict:
        chat = self._resolve_chat(p.chat_id())
        return self._member_of(chat, p.req_int("user_id"))

    def _m_get_chat_administrators(self, p: _Params) -> list[dict]:
        chat = self._resolve_chat(p.chat_id())
        if chat.type == "private":
            raise _bad("there are no administrators in the private chat")
        ids = [uid for uid, s in chat.members.items() if s in ("creator", "administrator")]
        if chat.bot_status in ("creator", "administrator"):
            ids.append(self.bot_id)
        return [self._member_of(chat, uid) for uid in ids]

    def _m_get_chat_member_count(self, p: _Params) -> int:
        chat = self._resolve_chat(p.chat_id())
        if chat.type == "private":
            return 2
        present = ("creator", "administrator", "member", "restricted")
        count = sum(1 for s in chat.members.values() if s in present)
        return count + (1 if chat.bot_status in present else 0)

    def _m_leave_chat(self, p: _Params) -> bool:
        chat = self._resolve_chat(p.chat_id())
        if chat.type == "private":
            raise _bad("chat member status can't be changed in private chats")
        chat.bot_status = "left"
        return True
