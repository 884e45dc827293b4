"""Telegram text limits: cut HTML safely with "…" instead of letting Telegram refuse it."""

from __future__ import annotations

import html
import re

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
ELLIPSIS = "…"

_TAG = re.compile(r"<(/?)([a-zA-Z0-9-]+)[^>]*>|&[#a-zA-Z0-9]+;")


def visible_length(markup: str) -> int:
    """Length of the text Telegram counts: tags removed, entities decoded."""
    return len(html.unescape(re.sub(r"<[^>]+>", "", markup)))


def cut_html(markup: str, limit: int = MESSAGE_LIMIT) -> str:
    """Cut HTML to at most `limit` visible characters (ending with "…"), closing open tags."""
    if visible_length(markup) <= limit:
        return markup
    budget = limit - 1
    out: list[str] = []
    open_tags: list[str] = []
    pos = 0
    count = 0
    for m in _TAG.finditer(markup):
        text = markup[pos : m.start()]
        if count + len(text) >= budget:
            out.append(text[: budget - count])
            count = budget
            break
        out.append(text)
        count += len(text)
        token = m.group(0)
        if token.startswith("&"):
            if count + 1 > budget:
                break
            out.append(token)
            count += 1
        else:
            closing, name = m.group(1), m.group(2).lower()
            out.append(token)
            if closing:
                if name in open_tags:
                    open_tags.reverse()
                    open_tags.remove(name)
                    open_tags.reverse()
            else:
                open_tags.append(name)
        pos = m.end()
    else:
        text = markup[pos:]
        out.append(text[: max(0, budget - count)])
    out.append(ELLIPSIS)
    out.extend(f"</{name}>" for name in reversed(open_tags))
    return "".join(out)


def clip(text: str, limit: int) -> str:
    """Shorten plain (unescaped) text for a summary line."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS
