"""Inline mode in the loopback Bot API server, as Telegram does it.

A person types `@bot words` in a chat: their client sends an `inline_query` update (once
inline mode is on: `server.inline_placeholder`, what @BotFather's /setinline sets), the bot
answers with `answerInlineQuery` within `inline_answer_ttl` seconds, and the client lists the
results. Telegram keeps an answer for its `cache_time` (300 s by default), for everyone or,
with `is_personal`, for that person only: the same query (and offset) meanwhile is answered
from that cache and never reaches the bot. Choosing a result posts its message into the chat
the query was typed in, from the person, `via_bot` the bot, with the result's keyboard; the
bot hears of the choice (`chosen_inline_result`) only with inline feedback on
(`server.inline_feedback`, @BotFather's /setinlinefeedback).

A t.me deep link in a URL button (`https://t.me/<bot>?start=<payload>`) opens the private
chat with the bot and sends `/start <payload>` from the person: `user.open_link(...)`.

    answer = await bob.inline_query("logo")
    answer.titles                       # what Bob's client lists
    message = await bob.choose_inline(answer, answer.results[0]["id"], chat=-100123)
    await carol.open_link(message, "Open Job #3")
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

if TYPE_CHECKING:
    from sandbox.botapi.model import SimChat, SimMessage
    from sandbox.botapi.people import SimUser
    from sandbox.botapi.server import _Params

MAX_RESULTS = 50
MAX_RESULT_ID_BYTES = 64
MAX_OFFSET_BYTES = 64
DEFAULT_CACHE_TIME = 300
CHAT_TYPES = ("sender", "private", "group", "supergroup", "channel")


class InlineAnswer:
    """A query and, once the bot answered (or the cache did), its answer."""

    def __init__(self, query_id: str, user_id: int, query: str, offset: str, chat_id: int) -> None:
        self.query_id = query_id
        self.user_id = user_id
        self.query = query
        self.offset = offset
        self.chat_id = chat_id  # where a chosen result is posted
        self.created = time.monotonic()
        self.results: list[dict] = []
        self.next_offset = ""
        self.cache_time = DEFAULT_CACHE_TIME
        self.is_personal = False
        self.button: dict | None = None
        self.from_cache = False
        self._answered = asyncio.Event()

    @property
    def answered(self) -> bool:
        return self._answered.is_set()

    @property
    def titles(self) -> list[str]:
        return [str(r.get("title", "")) for r in self.results]

    def result(self, result_id: str) -> dict:
        for r in self.results:
            if r["id"] == result_id:
                return r
        raise AssertionError(
            f"no result {result_id!r}; the answer has {[r['id'] for r in self.results]}"
        )

    async def wait(self, timeout: float) -> InlineAnswer:  # noqa: ASYNC109
        try:
            await asyncio.wait_for(self._answered.wait(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"the bot did not answer inline query {self.query!r} within {timeout}s"
            ) from None
        return self

    def __repr__(self) -> str:
        return f"InlineAnswer(query={self.query!r}, offset={self.offset!r}, results={self.titles})"


class InlineServer:
    """BotApiServer's inline mode (mixed into it)."""

    inline_placeholder: str | None = None  # None: inline mode off, as a new bot's
    inline_feedback: bool = False
    inline_answer_ttl: float = 10.0  # seconds a query may be answered in

    @property
    def _inline(self) -> dict[str, InlineAnswer]:
        return self.__dict__.setdefault("_inline_queries", {})

    @property
    def _inline_cache(self) -> dict[tuple[str, str, int | None], tuple[float, InlineAnswer]]:
        return self.__dict__.setdefault("_inline_cache_store", {})

    def inline_reset(self) -> None:
        self._inline.clear()
        self._inline_cache.clear()

    def _inline_methods(self) -> dict[str, Any]:
        return {"answerInlineQuery": self._m_answer_inline_query}

    # -- the person's side ------------------------------------------------------------
    def _inline_query(
        self, user: SimUser, query: str, offset: str, chat: int | None, chat_type: str | None
    ) -> InlineAnswer:
        if self.inline_placeholder is None:  # type: ignore[attr-defined]
            raise AssertionError(
                "inline mode is off for this bot (Telegram clients send no inline queries):"
                " set server.inline_placeholder, as @BotFather's /setinline does"
            )
        if len(query) > 256:
            raise AssertionError("Telegram clients cut inline queries at 256 characters")
        server: Any = self
        chat_id = user.id if chat is None else chat
        if chat_id != user.id:
            server._chat_for_user(user, chat_id)  # a chat the person is in
        now = server.now()
        for key in ((query, offset, user.id), (query, offset, None)):
            hit = self._inline_cache.get(key)
            if hit is not None and hit[0] > now:
                cached = hit[1]
                answer = InlineAnswer(cached.query_id, user.id, query, offset, chat_id)
                for name in ("results", "next_offset", "cache_time", "is_personal", "button"):
                    setattr(answer, name, getattr(cached, name))
                answer.from_cache = True
                answer._answered.set()
                return answer
        query_id = str(5_000_000_000_000_000 + next(server._ids))
        answer = InlineAnswer(query_id, user.id, query, offset, chat_id)
        self._inline[query_id] = answer
        if chat_type is None:
            kind = server.chats[chat_id].type
            chat_type = "sender" if chat_id == user.id else kind
        if chat_type not in CHAT_TYPES:
            raise AssertionError(f"unknown chat_type {chat_type!r}")
        server.push_update(
            "inline_query",
            {
                "id": query_id,
                "from": user.api(),
                "query": query,
                "offset": offset,
                "chat_type": chat_type,
            },
        )
        return answer

    def _choose_inline(self, user: SimUser, answer: InlineAnswer, result_id: str) -> SimMessage:
        from sandbox.botapi.model import SandboxEvent

        server: Any = self
        result = answer.result(result_id)
        if result.get("type") != "article":
            raise AssertionError("only article results can be chosen in the sandbox")
        content = result["input_message_content"]
        chat: SimChat = (
            server._chat_for_user(user, None)
            if answer.chat_id == user.id
            else server._chat_for_user(user, answer.chat_id)
        )
        msg = server._new_message(
            chat,
            from_bot=False,
            sender=user.api(),
            kind="text",
            body=content["text"],
            entities=content["entities"],
            source=content["source"],
            parse_mode=content["parse_mode"],
            markup=result.get("reply_markup"),
        )
        msg.extra["api"] = {"via_bot": server.bot_user()}
        server._emit(SandboxEvent("user_message", chat.id, msg.snapshot()))
        if server._bot_sees(chat, msg):
            server.push_update("message", server.render(msg))
        if self.inline_feedback:
            server.push_update(
                "chosen_inline_result",
                {"result_id": result_id, "from": user.api(), "query": answer.query},
            )
        return msg

    async def _open_link(self, user: SimUser, url: str) -> SimMessage | None:
        """A t.me link to this bot: `/start <payload>` in the person's chat with it."""
        server: Any = self
        parsed = urlparse(url)
        if parsed.netloc not in ("t.me", "telegram.me") or not parsed.path.strip("/"):
            raise AssertionError(f"{url} is not a t.me link; the sandbox opens only those")
        if parsed.path.strip("/").lower() != server.bot_username.lower():
            raise AssertionError(f"{url} is a link to another bot or chat")
        payload = (parse_qs(parsed.query).get("start") or [""])[0]
        if user.blocked:
            user.unblock()  # opening the bot and pressing Start unblocks it
        return await user.send(f"/start {payload}".strip())

    # -- the bot's side ---------------------------------------------------------------
    def _m_answer_inline_query(self, p: _Params) -> bool:
        from sandbox.botapi.errors import MAX_TEXT_LENGTH, MSG_QUERY_TOO_OLD, ApiError, _bad
        from sandbox.botapi.parsing import _parse_reply_markup, _strip_formatted

        server: Any = self
        answer = self._inline.get(p.str("inline_query_id") or "")
        if (
            answer is None
            or answer.answered
            or time.monotonic() - answer.created > self.inline_answer_ttl
        ):
            raise ApiError(400, MSG_QUERY_TOO_OLD)
        results = p.json("results", "inline query results")
        if not isinstance(results, list):
            raise _bad("can't parse inline query results JSON object")
        if len(results) > MAX_RESULTS:
            raise _bad("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        clean: list[dict] = []
        for result in results:
            if not isinstance(result, dict) or not isinstance(result.get("type"), str):
                raise _bad("can't parse InlineQueryResult JSON object")
            rid = result.get("id")
            if not isinstance(rid, str) or not 1 <= len(rid.encode()) <= MAX_RESULT_ID_BYTES:
                raise _bad("RESULT_ID_INVALID")
            if rid in seen:
                raise _bad("RESULT_ID_DUPLICATE")
            seen.add(rid)
            item = dict(result)
            if item.get("reply_markup") is not None:
                markup = _parse_reply_markup(item["reply_markup"])
                if not markup or "inline_keyboard" not in markup:
                    raise _bad("REPLY_MARKUP_INVALID")
                item["reply_markup"] = markup
            if item["type"] == "article":
                if not str(item.get("title") or "").strip():
                    raise _bad("RESULT_TITLE_EMPTY")
                content = item.get("input_message_content")
                if not isinstance(content, dict) or "message_text" not in content:
                    raise _bad("can't parse InputMessageContent JSON object")
                raw = str(content["message_text"])
                mode = content.get("parse_mode") or p.str("parse_mode") or ""
                if mode:
                    visible, entities = server._parse_mode(raw, mode)
                else:
                    visible, entities = raw, []
                visible, entities = _strip_formatted(visible, entities)
                if not visible.strip():
                    raise _bad("MESSAGE_EMPTY")
                if len(visible) > MAX_TEXT_LENGTH:
                    raise _bad("MESSAGE_TOO_LONG")
                item["input_message_content"] = {
                    "text": visible,
                    "entities": entities,
                    "source": raw,
                    "parse_mode": mode or None,
                }
            clean.append(item)
        next_offset = p.str("next_offset") or ""
        if len(next_offset.encode()) > MAX_OFFSET_BYTES:
            raise _bad("NEXT_OFFSET_INVALID")
        answer.results = clean
        answer.next_offset = next_offset
        answer.cache_time = p.int("cache_time", DEFAULT_CACHE_TIME) or 0
        answer.is_personal = p.bool("is_personal")
        button = p.json("button", "InlineQueryResultsButton")
        answer.button = button if isinstance(button, dict) else None
        answer._answered.set()
        if answer.cache_time > 0:
            key = (answer.query, answer.offset, answer.user_id if answer.is_personal else None)
            self._inline_cache[key] = (server.now() + answer.cache_time, answer)
        return True


class InlineUser:
    """SimUser's side of inline mode (mixed into it)."""

    async def inline_query(
        self,
        query: str = "",
        offset: str = "",
        *,
        chat: int | None = None,
        chat_type: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> InlineAnswer:
        """Type `@bot query` in `chat` (the private chat with the bot by default) and wait
        for the list; `offset` is the `next_offset` of the page before."""
        me: Any = self
        answer = me.server._inline_query(me, query, offset, chat, chat_type)
        return await answer.wait(timeout)

    async def choose_inline(self, answer: InlineAnswer, result_id: str) -> SimMessage:
        """Tap a result: its message is posted into the chat the query was typed in."""
        me: Any = self
        msg = me.server._choose_inline(me, answer, result_id)
        await asyncio.sleep(0)
        return msg

    async def open_link(self, message: SimMessage | str, button: str | None = None) -> Any:
        """Follow a t.me link to the bot: a URL, or the URL button `button` of `message`."""
        me: Any = self
        if isinstance(message, str):
            return await me.server._open_link(me, message)
        btn = message.find_button(button or "")
        if btn is None or not btn.url:
            raise AssertionError(f"no URL button {button!r}:\n    {message.describe()}")
        return await me.server._open_link(me, btn.url)
