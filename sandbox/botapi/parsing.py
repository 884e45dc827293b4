"""Text the bot sends, as Telegram reads it: UTF-16 lengths, HTML / MarkdownV2 / Markdown
entity parsing (with Telegram's error messages), entities back to HTML, and the validation
of reply markup."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sandbox.botapi.errors import MAX_CALLBACK_DATA_BYTES, EntityParseError, _bad

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
