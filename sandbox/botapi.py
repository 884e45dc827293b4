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
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import html
import inspect
import itertools
import json
import logging
import math
import mimetypes
import re
import secrets
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from sandbox.forum import ForumServer
from sandbox.inline import InlineServer, InlineUser
from sandbox.webhooks import WebhookDelivery

__all__ = [
    "ApiError",
    "BotApiServer",
    "Button",
    "CallRecord",
    "Charge",
    "EntityParseError",
    "Fault",
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

_LOG = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024
MAX_UPLOAD_SIZE = 50 * 1024 * 1024

MSG_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
MSG_QUERY_TOO_OLD = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
MSG_CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
MSG_CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)

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
# Errors
# --------------------------------------------------------------------------------------


class ApiError(Exception):
    """An error answer of the Bot API (``{"ok": false, ...}``)."""

    def __init__(self, code: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict:
        data: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            data["parameters"] = self.parameters
        return data


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def _forbidden(description: str) -> ApiError:
    return ApiError(403, f"Forbidden: {description}")


def _too_many(retry_after: int) -> ApiError:
    retry_after = max(1, int(retry_after))
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


class EntityParseError(ValueError):
    """Raised by the parse_* helpers; the message is Telegram's wording after the prefix."""


# --------------------------------------------------------------------------------------
# Text helpers: UTF-16 lengths, HTML / Markdown parsing, entities -> HTML
# --------------------------------------------------------------------------------------


def _u16(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def u16len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (the unit of entity offsets)."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


class _Builder:
    """Accumulates visible text and tracks the UTF-16 position."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0

    def add(self, s: str) -> None:
        self.parts.append(s)
        for ch in s:
            self.pos += _u16(ch)

    def text(self) -> str:
        return "".join(self.parts)


_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _decode_html_entity(text: str, i: int) -> tuple[str, int] | None:
    """Decode an entity starting at ``text[i] == '&'``; return (char, next index) or None."""
    n = len(text)
    j = i + 1
    if j < n and text[j] == "#":
        j += 1
        base = 10
        if j < n and text[j] in "xX":
            base = 16
            j += 1
        start = j
        digits = "0123456789abcdefABCDEF" if base == 16 else "0123456789"
        while j < n and text[j] in digits and j - start < 10:
            j += 1
        if j == start or j >= n or text[j] != ";":
            return None
        code = int(text[start:j], base)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), j + 1
    start = j
    while j < n and text[j].isascii() and text[j].isalpha() and j - start < 10:
        j += 1
    name = text[start:j]
    if j < n and text[j] == ";" and name in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[name], j + 1
    return None


def _decode_attr_value(value: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&":
            dec = _decode_html_entity(value, i)
            if dec is not None:
                out.append(dec[0])
                i = dec[1]
                continue
        out.append(value[i])
        i += 1
    return "".join(out)


_HTML_TAGS = {
    "a",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}
_HTML_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    start: int  # UTF-16 offset in visible text
    byte_pos: int


def parse_html(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[dict]]:
    """Parse Telegram-flavoured HTML into (visible text, entities).

    Raises :class:`EntityParseError` with Telegram's wording on malformed input.  With
    ``strict_ampersand`` a bare ``&`` that is not a valid entity is an error (the Bot API docs
    require escaping it; real Telegram is lenient).
    """
    out = _Builder()
    stack: list[_OpenTag] = []
    entities: list[dict] = []
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            dec = _decode_html_entity(text, i)
            if dec is not None:
                out.add(dec[0])
                i = dec[1]
                continue
            if strict_ampersand:
                raise EntityParseError(
                    'Unescaped "&" or unsupported HTML entity at byte offset '
                    f"{_byte_offset(text, i)}; use &amp;"
                )
            out.add(c)
            i += 1
            continue
        if c != "<":
            out.add(c)
            i += 1
            continue
        begin = i
        if i + 1 < n and text[i + 1] == "/":
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(text, i)}")
            j = i + 2
            while j < n and not text[j].isspace() and text[j] != ">":
                j += 1
            end_name = text[i + 2 : j].lower()
            while j < n and text[j].isspace():
                j += 1
            if j >= n or text[j] != ">":
                raise EntityParseError(
                    f"Unclosed end tag at byte offset {_byte_offset(text, begin)}"
                )
            tag = stack.pop()
            if end_name and end_name != tag.name:
                raise EntityParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                    f'expected "</{tag.name}>", found "</{end_name}>"'
                )
            _close_html_tag(tag, out.pos, entities)
            i = j + 1
            continue
        # start tag
        j = i + 1
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        if j >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        name = text[i + 1 : j].lower()
        if name not in _HTML_TAGS:
            raise EntityParseError(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, begin)}'
            )
        attrs: dict[str, str] = {}
        while True:
            while j < n and text[j].isspace():
                j += 1
            if j >= n:
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
                )
            if text[j] == ">":
                j += 1
                break
            k = j
            while k < n and (text[k].isalnum() or text[k] in "-_") and text[k].isascii():
                k += 1
            attr_name = text[j:k].lower()
            if not attr_name:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{name}" at byte offset '
                    f"{_byte_offset(text, j)}"
                )
            while k < n and text[k].isspace():
                k += 1
            if k >= n:
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
                )
            if text[k] != "=":
                attrs[attr_name] = ""
                j = k
                continue
            k += 1
            while k < n and text[k].isspace():
                k += 1
            if k >= n:
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
                )
            if text[k] in "\"'":
                end = text.find(text[k], k + 1)
                if end < 0:
                    raise EntityParseError(
                        f"Unclosed start tag at byte offset {_byte_offset(text, begin)}"
                    )
                raw_value = text[k + 1 : end]
                j = end + 1
            else:
                m = k
                while m < n and text[m].isascii() and (text[m].isalnum() or text[m] in ".-_"):
                    m += 1
                if m == k:
                    raise EntityParseError(
                        f"Unexpected end of name token at byte offset {_byte_offset(text, k)}"
                    )
                raw_value = text[k:m]
                j = m
            attrs[attr_name] = _decode_attr_value(raw_value)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset '
                f"{_byte_offset(text, begin)}"
            )
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise EntityParseError(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset '
                f"{_byte_offset(text, begin)}"
            )
        stack.append(_OpenTag(name, attrs, out.pos, _byte_offset(text, begin)))
        i = j
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    visible = out.text()
    entities = _merge_pre_code(entities)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return visible, entities


def _close_html_tag(tag: _OpenTag, pos: int, entities: list[dict]) -> None:
    length = pos - tag.start
    if length <= 0:
        return
    ent: dict[str, Any] = {"offset": tag.start, "length": length}
    if tag.name == "a":
        url = tag.attrs.get("href")
        if url is None:
            return
        m = re.fullmatch(r"tg://user\?id=(\d+)", url)
        if m:
            ent.update(
                type="text_mention", user={"id": int(m.group(1)), "is_bot": False, "first_name": ""}
            )
        else:
            ent.update(type="text_link", url=url)
    elif tag.name == "blockquote":
        ent["type"] = "expandable_blockquote" if "expandable" in tag.attrs else "blockquote"
    elif tag.name == "tg-emoji":
        ent.update(type="custom_emoji", custom_emoji_id=tag.attrs["emoji-id"])
    else:
        ent["type"] = _HTML_SIMPLE[tag.name]
        if tag.name == "code":
            cls = tag.attrs.get("class", "")
            if cls.startswith("language-"):
                ent["_language"] = cls[len("language-") :]
    entities.append(ent)


def _merge_pre_code(entities: list[dict]) -> list[dict]:
    """``<pre><code class="language-x">`` becomes one pre entity with a language."""
    result = []
    pres = [e for e in entities if e["type"] == "pre"]
    for e in entities:
        lang = e.pop("_language", None)
        if e["type"] == "code":
            outer = next(
                (p for p in pres if p["offset"] == e["offset"] and p["length"] == e["length"]),
                None,
            )
            if outer is not None:
                if lang:
                    outer["language"] = lang
                continue
        result.append(e)
    return result


_MDV2_RESERVED = "_*[]()~`>#+-=|{}.!"
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


def parse_markdown_v2(text: str) -> tuple[str, list[dict]]:
    """Parse MarkdownV2 into (visible text, entities); raise :class:`EntityParseError`."""
    out = _Builder()
    entities: list[dict] = []
    stack: list[dict] = []  # {"type", "start", "byte", "lang"}
    quote_start: int | None = None
    n = len(text)
    i = 0

    def end_quote(at: int) -> None:
        nonlocal quote_start
        if quote_start is not None and at > quote_start:
            entities.append(
                {"type": "blockquote", "offset": quote_start, "length": at - quote_start}
            )
        quote_start = None

    while i < n:
        c = text[i]
        top = stack[-1]["type"] if stack else None
        at_line_start = i == 0 or text[i - 1] == "\n"
        if at_line_start and top not in ("code", "pre"):
            if c == ">":
                if quote_start is None:
                    quote_start = out.pos
                i += 1
                continue
            if quote_start is not None:
                # the quote ended with the previous line (excluding its newline)
                end_quote(out.pos - 1 if out.pos else 0)
        if c == "\\" and i + 1 < n:
            nxt = text[i + 1]
            if top in ("code", "pre") and nxt not in "`\\":
                out.add(c)
                i += 1
                continue
            if 0 < ord(nxt) <= 126:
                out.add(nxt)
                i += 2
                continue
        if top in ("code", "pre"):
            if top == "pre" and text.startswith("```", i):
                _mdv2_close(stack.pop(), out.pos, entities)
                i += 3
                continue
            if top == "code" and c == "`":
                _mdv2_close(stack.pop(), out.pos, entities)
                i += 1
                continue
            out.add(c)
            i += 1
            continue
        if c not in _MDV2_RESERVED:
            out.add(c)
            i += 1
            continue
        begin = i
        # end of the innermost entity?
        if top == "underline" and text.startswith("__", i):
            _mdv2_close(stack.pop(), out.pos, entities)
            i += 2
            continue
        if top == "italic" and c == "_":
            _mdv2_close(stack.pop(), out.pos, entities)
            i += 1
            continue
        if (top == "bold" and c == "*") or (top == "strikethrough" and c == "~"):
            _mdv2_close(stack.pop(), out.pos, entities)
            i += 1
            continue
        if top == "spoiler" and text.startswith("||", i):
            _mdv2_close(stack.pop(), out.pos, entities)
            i += 2
            continue
        if top in ("text_link", "custom_emoji") and c == "]":
            ent = stack.pop()
            i += 1
            if i < n and text[i] == "(":
                j = i + 1
                url_chars: list[str] = []
                while j < n and text[j] != ")":
                    if text[j] == "\\" and j + 1 < n and text[j + 1] in ")\\":
                        url_chars.append(text[j + 1])
                        j += 2
                        continue
                    url_chars.append(text[j])
                    j += 1
                if j >= n:
                    raise EntityParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(text, i + 1)}"
                    )
                url = "".join(url_chars)
                i = j + 1
                if ent["type"] == "custom_emoji":
                    m = re.fullmatch(r"tg://emoji\?id=(\d+)", url)
                    if not m:
                        raise EntityParseError(
                            "Custom emoji entity must contain a tg://emoji URL at byte offset "
                            f"{ent['byte']}"
                        )
                    ent["emoji"] = m.group(1)
                else:
                    ent["url"] = url
            elif ent["type"] == "custom_emoji":
                raise EntityParseError(
                    f"Custom emoji entity must contain a tg://emoji URL at byte offset "
                    f"{ent['byte']}"
                )
            _mdv2_close(ent, out.pos, entities)
            continue
        # start of a new entity
        byte = _byte_offset(text, begin)
        if c == "_" and text.startswith("__", i):
            stack.append({"type": "underline", "start": out.pos, "byte": byte})
            i += 2
        elif c == "_":
            stack.append({"type": "italic", "start": out.pos, "byte": byte})
            i += 1
        elif c == "*":
            stack.append({"type": "bold", "start": out.pos, "byte": byte})
            i += 1
        elif c == "~":
            stack.append({"type": "strikethrough", "start": out.pos, "byte": byte})
            i += 1
        elif c == "|" and text.startswith("||", i):
            stack.append({"type": "spoiler", "start": out.pos, "byte": byte})
            i += 2
        elif c == "[":
            stack.append({"type": "text_link", "start": out.pos, "byte": byte})
            i += 1
        elif c == "!" and text.startswith("![", i):
            stack.append({"type": "custom_emoji", "start": out.pos, "byte": byte})
            i += 2
        elif c == "`" and text.startswith("```", i):
            j = i + 3
            k = j
            while k < n and not text[k].isspace() and text[k] != "`":
                k += 1
            lang = ""
            if k < n and text[k] == "\n":
                lang = text[j:k]
                j = k + 1
            stack.append({"type": "pre", "start": out.pos, "byte": byte, "lang": lang})
            i = j
        elif c == "`":
            stack.append({"type": "code", "start": out.pos, "byte": byte})
            i += 1
        else:
            raise EntityParseError(
                f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
            )
    if stack:
        ent = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_MDV2_NAMES[ent['type']]} entity at byte offset {ent['byte']}"
        )
    end_quote(out.pos)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return out.text(), entities


def _mdv2_close(ent: dict, pos: int, entities: list[dict]) -> None:
    length = pos - ent["start"]
    if length <= 0:
        return
    item: dict[str, Any] = {"type": ent["type"], "offset": ent["start"], "length": length}
    if ent["type"] == "text_link":
        if not ent.get("url"):
            return
        item["url"] = ent["url"]
    elif ent["type"] == "custom_emoji":
        item["custom_emoji_id"] = ent["emoji"]
    elif ent["type"] == "pre" and ent.get("lang"):
        item["language"] = ent["lang"]
    entities.append(item)


def parse_markdown(text: str) -> tuple[str, list[dict]]:
    """Parse legacy Markdown into (visible text, entities)."""
    out = _Builder()
    entities: list[dict] = []
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
            continue
        if c not in "_*`[":
            out.add(c)
            i += 1
            continue
        begin = i
        end_char = "]" if c == "[" else c
        i += 1
        is_pre = False
        lang = ""
        if c == "`" and text.startswith("``", i):
            is_pre = True
            i += 2
            k = i
            while k < n and not text[k].isspace() and text[k] != "`":
                k += 1
            if k < n and text[k] == "\n":
                lang = text[i:k]
                i = k + 1
        start = out.pos
        while i < n and (
            (is_pre and not text.startswith("```", i)) or (not is_pre and text[i] != end_char)
        ):
            out.add(text[i])
            i += 1
        if i >= n:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}"
            )
        i += 3 if is_pre else 1
        length = out.pos - start
        if c == "[":
            url = ""
            if i < n and text[i] == "(":
                j = text.find(")", i + 1)
                if j < 0:
                    raise EntityParseError(
                        "Can't find end of the entity starting at byte offset "
                        f"{_byte_offset(text, begin)}"
                    )
                url = text[i + 1 : j]
                i = j + 1
            if url and length > 0:
                entities.append(
                    {"type": "text_link", "offset": start, "length": length, "url": url}
                )
            continue
        if length <= 0:
            continue
        etype = {"*": "bold", "_": "italic", "`": "pre" if is_pre else "code"}[c]
        ent: dict[str, Any] = {"type": etype, "offset": start, "length": length}
        if is_pre and lang:
            ent["language"] = lang
        entities.append(ent)
    return out.text(), entities


def _strip_formatted(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Strip leading/trailing whitespace like Telegram and fix entity offsets."""
    stripped_left = text.lstrip()
    shift = u16len(text[: len(text) - len(stripped_left)])
    result = stripped_left.rstrip()
    total = u16len(result)
    fixed = []
    for ent in entities:
        start = max(0, ent["offset"] - shift)
        end = min(total, ent["offset"] + ent["length"] - shift)
        if end > start:
            fixed.append({**ent, "offset": start, "length": end - start})
    return result, fixed


_HTML_OPEN = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "spoiler": ("<tg-spoiler>", "</tg-spoiler>"),
    "code": ("<code>", "</code>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ("<blockquote expandable>", "</blockquote>"),
}


def _entity_tags(ent: dict) -> tuple[str, str]:
    etype = ent.get("type")
    if etype in _HTML_OPEN:
        return _HTML_OPEN[etype]
    if etype == "pre":
        lang = ent.get("language")
        if lang:
            return f'<pre><code class="language-{html.escape(lang)}">', "</code></pre>"
        return "<pre>", "</pre>"
    if etype == "text_link":
        return f'<a href="{html.escape(ent.get("url", ""))}">', "</a>"
    if etype == "text_mention":
        uid = (ent.get("user") or {}).get("id", 0)
        return f'<a href="tg://user?id={uid}">', "</a>"
    if etype == "custom_emoji":
        return f'<tg-emoji emoji-id="{html.escape(str(ent.get("custom_emoji_id", "")))}">', (
            "</tg-emoji>"
        )
    return "", ""


def entities_to_html(text: str, entities: Iterable[dict] | None) -> str:
    """Render visible text + entities back into Telegram HTML."""
    ents = sorted(entities or [], key=lambda e: (e["offset"], -e["length"]))
    if not ents:
        return html.escape(text, quote=False)
    opens: dict[int, list[dict]] = {}
    for ent in ents:
        opens.setdefault(ent["offset"], []).append(ent)
    out: list[str] = []
    stack: list[tuple[int, str]] = []  # (end offset, closing tag)
    pos = 0

    def close_until(p: int) -> None:
        while stack and stack[-1][0] <= p:
            out.append(stack.pop()[1])

    for ch in text:
        close_until(pos)
        for ent in opens.get(pos, []):
            o, c = _entity_tags(ent)
            out.append(o)
            stack.append((ent["offset"] + ent["length"], c))
        out.append(html.escape(ch, quote=False))
        pos += _u16(ch)
    while stack:
        out.append(stack.pop()[1])
    return "".join(out)


# --------------------------------------------------------------------------------------
# Reply markup validation
# --------------------------------------------------------------------------------------

_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_URL_RE = re.compile(
    r"^(?:(?:https?|tg|ftp)://[^\s]+|(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?:/[^\s]*)?)$"
)


def _json_value(value: Any, what: str) -> Any:
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            raise _bad(f"can't parse {what} JSON object") from None
    return value


def _parse_reply_markup(value: Any) -> dict | None:
    if value is None or value == "":
        return None
    obj = _json_value(value, "reply keyboard markup")
    if not isinstance(obj, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in obj:
        rows = obj["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise _bad(
                'can\'t parse inline keyboard button: Field "inline_keyboard" must be of type Array'
            )
        clean_rows = []
        for row in rows:
            clean_row = []
            for btn in row:
                if not isinstance(btn, dict):
                    raise _bad(
                        "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                    )
                if not isinstance(btn.get("text"), str):
                    raise _bad(
                        'can\'t parse inline keyboard button: Field "text" must be of type String'
                    )
                actions = [a for a in _INLINE_ACTIONS if btn.get(a) not in (None, False)]
                if not actions:
                    raise _bad(
                        "can't parse inline keyboard button: Text buttons are unallowed "
                        "in the inline keyboard"
                    )
                if "callback_data" in btn:
                    data = btn["callback_data"]
                    if not isinstance(data, str):
                        raise _bad(
                            'can\'t parse inline keyboard button: Field "callback_data" '
                            "must be of type String"
                        )
                    if not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
                        raise _bad("BUTTON_DATA_INVALID")
                if "url" in btn:
                    url = btn["url"]
                    if not isinstance(url, str) or not _URL_RE.match(url):
                        raise _bad(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
                clean_row.append(dict(btn))
            clean_rows.append(clean_row)
        return {"inline_keyboard": clean_rows}
    if "keyboard" in obj:
        rows = obj["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise _bad('can\'t parse keyboard button: Field "keyboard" must be of type Array')
        norm = [[{"text": b} if isinstance(b, str) else dict(b) for b in row] for row in rows]
        for row in norm:
            for btn in row:
                if not isinstance(btn.get("text"), str):
                    raise _bad('can\'t parse keyboard button: Field "text" must be of type String')
        return {**obj, "keyboard": norm}
    if obj.get("remove_keyboard") or obj.get("force_reply"):
        return dict(obj)
    raise _bad("can't parse reply keyboard markup JSON object")


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
        timeout: float = 5.0,  # noqa: ASYNC109
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


# --------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------

_CMD_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_MENTION_RE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}")
_LINK_RE = re.compile(r"https?://[^\s]+")
_MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")
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
_SCOPE_TYPES = {
    "default",
    "all_private_chats",
    "all_group_chats",
    "all_chat_administrators",
    "chat",
    "chat_administrators",
    "chat_member",
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


class BotApiServer(InlineServer, ForumServer):
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

    # -- calls and faults ---------------------------------------------------------------
    @property
    def calls(self) -> list[tuple[str, dict]]:
        return [(r.method, r.params) for r in self.call_records]

    def call_count(self, method: str, *, ok_only: bool = False) -> int:
        low = method.lower()
        return sum(
            1
            for r in self.call_records
            if r.method.lower() == low and (not ok_only or r.status == 200)
        )

    def calls_of(self, method: str) -> list[dict]:
        low = method.lower()
        return [r.params for r in self.call_records if r.method.lower() == low]

    def failed_calls(self) -> list[CallRecord]:
        return [r for r in self.call_records if r.status != 200]

    def reset_calls(self) -> None:
        self.call_records.clear()

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[dict], Any] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        since: int = 0,
    ) -> CallRecord:
        """Wait until the bot calls ``method`` (optionally with params matching)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        low = method.lower()
        while True:
            for rec in self.call_records[since:]:
                if rec.method.lower() == low and (predicate is None or predicate(rec.params)):
                    return rec
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"bot did not call {method} within {timeout}s; calls so far: "
                    f"{[r.method for r in self.call_records]}"
                )
            event = self._log_changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def inject_fault(
        self,
        method: str | None = None,
        *,
        times: int | None = 1,
        seconds: float | None = None,
        status: int | None = 429,
        retry_after: int | None = 5,
        description: str | None = None,
        drop: bool = False,
        delay: float = 0.0,
        chat_id: int | None = None,
        after_work: bool = False,
    ) -> Fault:
        """Make the next ``times`` calls of ``method`` (None = any method but getUpdates)
        fail, or all calls for ``seconds`` (pass ``times=None``); with ``chat_id``, only
        calls about that chat.

        ``status`` 429 answers with ``parameters.retry_after``; any other status answers with
        that error code; ``drop=True`` closes the connection without an answer (with
        ``after_work=True`` once the call was performed: the bot does not learn that it
        happened); ``delay`` sleeps before answering (with ``status=None`` the call then
        succeeds).
        """
        until = time.monotonic() + seconds if seconds is not None else None
        if seconds is not None and times == 1:
            times = None
        fault = Fault(
            method=method,
            remaining=times,
            until=until,
            status=status or 0,
            retry_after=retry_after,
            description=description,
            drop=drop,
            delay=delay,
            chat_id=chat_id,
            after_work=after_work,
        )
        self.faults.append(fault)
        return fault

    def flood(
        self,
        method: str | None,
        retry_after: int = 5,
        times: int | None = 1,
        seconds: float | None = None,
    ) -> Fault:
        """Shortcut: 429 Too Many Requests with ``retry_after``."""
        return self.inject_fault(
            method, times=times, seconds=seconds, status=429, retry_after=retry_after
        )

    def fail_next(
        self,
        method: str | None,
        status: int = 500,
        times: int = 1,
        description: str | None = None,
    ) -> Fault:
        return self.inject_fault(method, times=times, status=status, description=description)

    def drop_next(self, method: str | None, times: int = 1, *, after_work: bool = False) -> Fault:
        """Close the connection of the next ``times`` calls without an answer; with
        ``after_work`` each call is performed first (its answer is what gets lost)."""
        return self.inject_fault(method, times=times, drop=True, after_work=after_work)

    def hold(self, chat_id: int, method: str | None = None) -> Fault:
        """Leave every call about ``chat_id`` (of ``method``; None = any) unanswered until
        ``fault.release()``; ``fault.hits`` counts the calls held so far. A bot whose answers
        to one person hang (a slow connection, a stuck proxy) without any timing in a test."""
        fault = Fault(method=method, remaining=None, status=0, retry_after=None)
        fault.chat_id, fault.gate = chat_id, asyncio.Event()
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        for fault in self.faults:
            if fault.gate is not None:
                fault.gate.set()
        self.faults.clear()

    def _take_fault(self, method: str, chat_id: object = None) -> Fault | None:
        now = time.monotonic()
        self.faults = [
            f
            for f in self.faults
            if not (
                (f.until is not None and now >= f.until)
                or (f.remaining is not None and f.remaining <= 0)
            )
        ]
        for fault in self.faults:
            if fault.matches(method, now, chat_id):
                fault.hits += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                return fault
        return None

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

    async def _pay(self, user: SimUser, invoice: SimMessage | str, timeout: float) -> Any:  # noqa: ASYNC109
        if isinstance(invoice, str):
            slug = invoice.rsplit("$", 1)[-1]
            data = self._invoice_links.get(slug)
            if data is None:
                raise AssertionError(f"unknown invoice link {invoice!r}")
            chat = self._chat_for_user(user, None)
        else:
            chat = self._chat_for_user(user, invoice.chat_id)
            live = chat.messages.get(invoice.message_id)
            if live is None or live.deleted or live.invoice_data is None:
                raise AssertionError(
                    f"message #{invoice.message_id} is not an (existing) invoice:\n"
                    + self.transcript(chat.id)
                )
            data = live.invoice_data
        query_id, future = self._push_pre_checkout(user, data)
        try:
            answer = await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            self._pre_checkouts.pop(query_id, None)
            raise AssertionError(
                f"bot did not answer pre_checkout_query {query_id} (payload "
                f"{data['payload']!r}) within {timeout}s"
            ) from None
        if not answer["ok"]:
            return answer.get("error_message") or ""
        return self._successful_payment(
            user, chat.id, data["payload"], data["total_amount"], data["currency"], None
        )

    def _push_pre_checkout(self, user: SimUser, data: dict) -> tuple[str, asyncio.Future]:
        """Send the bot a pre_checkout_query for invoice `data`; the future gets its answer."""
        query_id = str(5_000_000_000_000_000 + next(self._ids))
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pre_checkouts[query_id] = {"future": future, "user_id": user.id, "data": data}
        self.push_update(
            "pre_checkout_query",
            {
                "id": query_id,
                "from": user.api(),
                "currency": data["currency"],
                "total_amount": data["total_amount"],
                "invoice_payload": data["payload"],
            },
        )
        return query_id, future

    def add_charge(
        self,
        user_id: int,
        currency: str,
        total_amount: int,
        payload: str,
        charge_id: str | None = None,
        provider_charge_id: str = "",
        date: int | None = None,
    ) -> Charge:
        """Record a payment Telegram took (a Stars one is also a Star transaction). The
        payment flow calls it; a test calls it alone for a payment whose update the bot
        never got, or to give the bot a long history."""
        if charge_id is None:
            charge_id = f"{'stxsim' if currency == 'XTR' else 'tgsim'}{secrets.token_hex(16)}"
        when = self.now() if date is None else date
        charge = Charge(
            charge_id, user_id, currency, total_amount, payload, provider_charge_id, when
        )
        self.charges[charge_id] = charge
        if currency == "XTR":
            self.star_transactions.append((charge, "in", when))
        return charge

    def _successful_payment(
        self,
        user: SimUser,
        chat_id: int,
        payload: str,
        total_amount: int,
        currency: str,
        charge_id: str | None,
    ) -> SimMessage:
        chat = self._chat_for_user(user, chat_id)
        charge = self.charges.get(charge_id) if charge_id is not None else None
        if charge is None:
            provider_id = "" if currency == "XTR" else f"prov_{secrets.token_hex(8)}"
            charge = self.add_charge(
                user.id, currency, total_amount, payload, charge_id, provider_id
            )
        charge_id = charge.charge_id
        payment = {
            "currency": currency,
            "total_amount": total_amount,
            "invoice_payload": payload,
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": charge.provider_charge_id,
        }
        msg = self._new_message(
            chat,
            from_bot=False,
            sender=user.api(),
            kind="successful_payment",
            successful_payment=payment,
        )
        self._emit(SandboxEvent("payment", chat.id, msg.snapshot(), dict(payment)))
        self._publish_user_message(chat, msg)
        return msg

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

    @staticmethod
    def _fault_error(fault: Fault) -> ApiError:
        if fault.status == 429:
            retry_after = fault.retry_after
            desc = fault.description or f"Too Many Requests: retry after {retry_after}"
            return ApiError(429, desc, {"retry_after": retry_after} if retry_after else None)
        default = {
            400: "Bad Request",
            403: "Forbidden",
            409: "Conflict",
            500: "Internal Server Error",
            502: "Bad Gateway",
            503: "Service Unavailable",
        }.get(fault.status, "Error")
        return ApiError(fault.status, fault.description or default)

    def _add_record(self, record: CallRecord) -> None:
        self.call_records.append(record)
        self._bump_log()

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

    def _check_flood(self, chat: SimChat) -> None:
        if not self.flood_control:
            return
        now = time.monotonic()
        while self._sent_times and now - self._sent_times[0][0] >= 60.0:
            self._sent_times.popleft()
        last_second = [t for t, _ in self._sent_times if now - t < 1.0]
        if len(last_second) >= self.global_rate:
            raise _too_many(math.ceil(last_second[0] + 1.0 - now))
        if chat.type != "private":
            in_chat = [t for t, c in self._sent_times if c == chat.id]
            if len(in_chat) >= self.group_rate_per_minute:
                raise _too_many(math.ceil(in_chat[0] + 60.0 - now))

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

    # payments
    def _parse_invoice(self, p: _Params) -> dict:
        title = p.str("title") or ""
        description = p.str("description") or ""
        payload = p.str("payload") or ""
        currency = (p.str("currency") or "").upper()
        provider_token = p.str("provider_token") or ""
        if not 1 <= len(title) <= 32:
            raise _bad("INVOICE_TITLE_INVALID" if title else "title is empty")
        if not 1 <= len(description) <= 255:
            raise _bad("INVOICE_DESCRIPTION_INVALID" if description else "description is empty")
        if not 1 <= len(payload.encode("utf-8")) <= 128:
            raise _bad("INVOICE_PAYLOAD_INVALID" if payload else "payload is empty")
        if not currency:
            raise _bad("currency is empty")
        prices = p.json("prices", "prices")
        if not isinstance(prices, list) or not prices:
            raise _bad("can't parse prices JSON object")
        for price in prices:
            if (
                not isinstance(price, dict)
                or not isinstance(price.get("label"), str)
                or not isinstance(price.get("amount"), int)
            ):
                raise _bad("can't parse LabeledPrice JSON object")
        total = sum(price["amount"] for price in prices)
        if currency == "XTR":
            if provider_token:
                raise _bad("PAYMENT_PROVIDER_INVALID: provider_token must be empty for XTR")
            if len(prices) != 1:
                raise _bad("STARS_INVOICE_INVALID: exactly one price must be specified for XTR")
            if p.int("max_tip_amount") or p.json("suggested_tip_amounts"):
                raise _bad("STARS_INVOICE_INVALID: tips are not supported for XTR")
            if not 1 <= total <= 100_000:
                raise _bad("CURRENCY_TOTAL_AMOUNT_INVALID")
        else:
            if not provider_token:
                raise _bad("PAYMENT_PROVIDER_INVALID")
            if not re.fullmatch(r"[A-Z]{3}", currency):
                raise _bad("CURRENCY_INVALID")
            if total <= 0:
                raise _bad("CURRENCY_TOTAL_AMOUNT_INVALID")
        return {
            "title": title,
            "description": description,
            "payload": payload,
            "currency": currency,
            "prices": prices,
            "total_amount": total,
            "provider_token": provider_token,
            "start_parameter": p.str("start_parameter") or "",
        }

    def _m_send_invoice(self, p: _Params) -> dict:
        data = self._parse_invoice(p)
        markup = _parse_reply_markup(p.raw("reply_markup"))
        if markup is not None:
            rows = markup.get("inline_keyboard")
            if not rows or not rows[0] or not rows[0][0].get("pay"):
                raise _bad("REPLY_MARKUP_BUY_EMPTY: the first button must be a Pay button")
        else:
            total = data["total_amount"]
            label = (
                f"Pay ⭐️{total}"
                if data["currency"] == "XTR"
                else (f"Pay {total / 100:.2f} {data['currency']}")
            )
            markup = {"inline_keyboard": [[{"text": label, "pay": True}]]}
        chat = self._send_target(p)
        invoice = {
            "title": data["title"],
            "description": data["description"],
            "start_parameter": data["start_parameter"],
            "currency": data["currency"],
            "total_amount": data["total_amount"],
        }
        msg = self._deliver(
            p,
            chat,
            event="invoice",
            kind="invoice",
            body=f"{data['title']}\n{data['description']}",
            invoice=invoice,
            invoice_data=data,
            markup=markup,
        )
        return self.render(msg)

    def _m_create_invoice_link(self, p: _Params) -> str:
        data = self._parse_invoice(p)
        slug = secrets.token_urlsafe(12)
        self._invoice_links[slug] = data
        return f"https://t.me/${slug}"

    def _m_answer_pre_checkout_query(self, p: _Params) -> bool:
        query_id = p.str("pre_checkout_query_id") or ""
        entry = self._pre_checkouts.get(query_id)
        if entry is None or entry["future"].done():
            raise ApiError(400, MSG_QUERY_TOO_OLD)
        if not p.has("ok"):
            raise _bad("ok is empty")
        is_ok = p.bool("ok")
        error_message = p.str("error_message")
        if not is_ok and not error_message:
            raise _bad("error_message is empty")
        del self._pre_checkouts[query_id]
        entry["future"].set_result({"ok": is_ok, "error_message": error_message})
        self._emit(
            SandboxEvent(
                "pre_checkout_answer",
                entry["user_id"],
                None,
                {"query_id": query_id, "ok": is_ok, "error_message": error_message},
            )
        )
        return True

    def _m_refund_star_payment(self, p: _Params) -> bool:
        user_id = p.req_int("user_id")
        charge_id = p.str("telegram_payment_charge_id") or ""
        if not charge_id:
            raise _bad("telegram_payment_charge_id is empty")
        charge = self.charges.get(charge_id)
        if charge is None or charge.user_id != user_id or charge.currency != "XTR":
            raise _bad("CHARGE_NOT_FOUND")
        if charge.refunded:
            raise _bad("CHARGE_ALREADY_REFUNDED")
        charge.refunded = True
        self.refunds.append(charge)
        self.star_transactions.append((charge, "out", int(time.time())))
        self._emit(
            SandboxEvent(
                "refund", user_id, None, {"charge_id": charge_id, "amount": charge.total_amount}
            )
        )
        return True

    def _m_get_star_transactions(self, p: _Params) -> dict:
        """As Telegram: the bot's Star transactions in chronological order (oldest first),
        `offset` of them skipped, at most `limit` (1-100, default 100); past the end, none.
        A refund is a transaction of its own, at the time it happened, with the id of the
        payment it returns."""
        offset = max(0, p.int("offset", 0) or 0)
        limit = min(100, max(1, p.int("limit", 100) or 100))
        txs = []
        for charge, direction, date in self.star_transactions[offset : offset + limit]:
            partner: dict[str, Any] = {
                "type": "user",
                "transaction_type": "invoice_payment",
                "user": self.users[charge.user_id].api(),
            }
            tx: dict[str, Any] = {"id": charge.charge_id, "amount": charge.total_amount}
            tx["date"] = date
            if direction == "in":
                partner["invoice_payload"] = charge.payload
                tx["source"] = partner
            else:
                tx["receiver"] = partner
            txs.append(tx)
        return {"transactions": txs}
