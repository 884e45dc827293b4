"""Forum supergroups (topics) in the loopback Bot API server, as Telegram does them.

`server.make_forum(chat_id)` turns a supergroup into a forum (getChat says `is_forum`). The
bot, an administrator there, creates topics (`createForumTopic`: a service message whose id
is the topic's `message_thread_id`), renames them (`editForumTopic`), closes and reopens them
(`closeForumTopic`, `reopenForumTopic`); each of these posts its service message into the
topic. A message sent with `message_thread_id` goes into that topic (`is_topic_message`); one
without it goes to General. People write into a topic with `user.send(text, chat=..,
thread=..)`: their message carries the topic's id and, replying to nothing else, replies to
the topic's first message, as Telegram's clients do. Into a closed topic only administrators
(the bot among them) may write.

Errors as Telegram words them: a chat that is not a forum, a topic that does not exist
(`message thread not found`), a name out of 1..128 characters, an unchanged topic
(`TOPIC_NOT_MODIFIED`), a bot without the right to manage topics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.botapi.model import SimChat, SimMessage
    from sandbox.botapi.people import SimUser
    from sandbox.botapi.server import _Params

TOPIC_NAME_MAX = 128
ICON_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)
_ADMINS = ("creator", "administrator")


@dataclass
class Topic:
    thread_id: int
    name: str
    icon_color: int
    closed: bool = False


class ForumServer:
    """BotApiServer's forum topics (mixed into it)."""

    @property
    def topics(self) -> dict[int, dict[int, Topic]]:
        """chat id -> thread id -> Topic."""
        return self.__dict__.setdefault("_forum_topics", {})

    def forum_reset(self) -> None:
        self.topics.clear()

    def make_forum(self, chat_id: int) -> SimChat:
        server: Any = self
        chat = server.chats[chat_id]
        if chat.type != "supergroup":
            raise ValueError("only a supergroup can be a forum")
        chat.is_forum = True
        self.topics.setdefault(chat_id, {})
        return chat

    def topic(self, chat_id: int, thread_id: int) -> Topic:
        return self.topics[chat_id][thread_id]

    def topic_messages(self, chat_id: int, thread_id: int) -> list[SimMessage]:
        """Every message in one topic (the bot's and people's), in order."""
        server: Any = self
        return [
            m for m in server.chat_messages(chat_id, include_user=True) if thread_of(m) == thread_id
        ]

    def _forum_methods(self) -> dict[str, Any]:
        return {
            "createForumTopic": self._m_create_forum_topic,
            "editForumTopic": self._m_edit_forum_topic,
            "closeForumTopic": self._topic_closer(True),
            "reopenForumTopic": self._topic_closer(False),
        }

    # -- placing messages -------------------------------------------------------------
    def _thread_for_send(self, p: _Params, chat: SimChat) -> int | None:
        """The topic a bot's message goes to (checked before the message exists)."""
        from sandbox.botapi.errors import _bad

        thread = p.int("message_thread_id")
        if thread is None:
            return None
        topic = self.topics.get(chat.id, {}).get(thread) if chat.is_forum else None
        if topic is None:
            raise _bad("message thread not found")
        if topic.closed and chat.bot_status not in _ADMINS:
            raise _bad("TOPIC_CLOSED")
        return thread

    def _place(self, chat: SimChat, msg: SimMessage, thread: int | None) -> None:
        if thread is None:
            return
        msg.extra.setdefault("api", {}).update(message_thread_id=thread, is_topic_message=True)
        if msg.reply_to_message_id is None:
            msg.reply_to_message_id = thread  # the topic's first message, as clients do

    def _thread_for_user(self, user: SimUser, chat: SimChat, thread: int | None) -> int | None:
        if thread is None:
            return None
        topic = self.topics.get(chat.id, {}).get(thread) if chat.is_forum else None
        if topic is None:
            raise AssertionError(f"chat {chat.id} has no topic {thread}")
        if topic.closed and chat.members.get(user.id) not in _ADMINS:
            raise AssertionError(f"topic {thread} is closed: only administrators write there")
        return thread

    # -- the methods ------------------------------------------------------------------
    def _forum_of(self, p: _Params) -> SimChat:
        from sandbox.botapi.errors import _bad

        server: Any = self
        chat = server._resolve_chat(p.chat_id())
        server._check_can_send(chat)
        if chat.type != "supergroup" or not chat.is_forum:
            raise _bad("the chat is not a forum")
        if chat.bot_status not in _ADMINS:
            raise _bad("not enough rights to manage topics in the chat")
        return chat

    def _topic_of(self, p: _Params, chat: SimChat) -> Topic:
        from sandbox.botapi.errors import _bad

        topic = self.topics.get(chat.id, {}).get(p.int("message_thread_id") or 0)
        if topic is None:
            raise _bad("message thread not found")
        return topic

    @staticmethod
    def _name(p: _Params, required: bool) -> str | None:
        from sandbox.botapi.errors import _bad

        name = p.str("name")
        if name is None and not required:
            return None
        if not name or not name.strip():
            raise _bad("TOPIC_NAME_EMPTY" if required else "TOPIC_NAME_INVALID")
        if len(name) > TOPIC_NAME_MAX:
            raise _bad("TOPIC_NAME_INVALID")
        return name

    def _service(self, chat: SimChat, thread: int | None, field: str, value: dict) -> SimMessage:
        """A service message of the bot's in the topic (its first, for a new topic)."""
        server: Any = self
        server._check_flood(chat)
        msg = server._new_message(chat, from_bot=True, sender=server.bot_user(), kind="service")
        msg.extra["api"] = {field: value, "is_topic_message": True}
        msg.extra["api"]["message_thread_id"] = thread or msg.message_id
        server._log_bot_message("message", msg)
        return msg

    def _m_create_forum_topic(self, p: _Params) -> dict:
        from sandbox.botapi.errors import _bad

        chat = self._forum_of(p)
        name = self._name(p, required=True)
        assert name is not None
        color = p.int("icon_color", ICON_COLORS[0]) or ICON_COLORS[0]
        if color not in ICON_COLORS:
            raise _bad("TOPIC_ICON_COLOR_INVALID")
        msg = self._service(chat, None, "forum_topic_created", {"name": name, "icon_color": color})
        topic = Topic(msg.message_id, name, color)
        self.topics.setdefault(chat.id, {})[topic.thread_id] = topic
        return {"message_thread_id": topic.thread_id, "name": name, "icon_color": color}

    def _m_edit_forum_topic(self, p: _Params) -> bool:
        from sandbox.botapi.errors import ApiError

        chat = self._forum_of(p)
        topic = self._topic_of(p, chat)
        name = self._name(p, required=False)
        if name is None or name == topic.name:
            raise ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic.name = name
        self._service(chat, topic.thread_id, "forum_topic_edited", {"name": name})
        return True

    def _topic_closer(self, close: bool) -> Any:
        def toggle(p: _Params) -> bool:
            from sandbox.botapi.errors import ApiError

            chat = self._forum_of(p)
            topic = self._topic_of(p, chat)
            if topic.closed == close:
                raise ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
            topic.closed = close
            field = "forum_topic_closed" if close else "forum_topic_reopened"
            self._service(chat, topic.thread_id, field, {})
            return True

        return toggle


def thread_of(msg: SimMessage) -> int | None:
    """The topic a message is in (None: General, or not a forum)."""
    return msg.extra.get("api", {}).get("message_thread_id")
