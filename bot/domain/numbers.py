"""The one rule for every number and id a person types: ASCII digits only, within the field's
range. Nothing else in the bot turns typed text (or a button's, a link's, a payload's) into a
number.

Python's own tests accept far more: `str.isdigit()` passes `²`, which `int()` then refuses
(an unhandled ValueError); `int()`, `float()`, `Decimal()` and the regex `\\d` accept `٣` and
`３`; `int()` takes `+5` and `1_000`, `float()` takes `1e1` and `inf`; and a 30-digit id
overflows SQLite's 64-bit integers. A wrong number is one translated sentence (the caller's
`InvalidInput` key), never "Something went wrong".
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from bot.domain.errors import InvalidInput

ID_MAX = 2**63 - 1  # SQLite's INTEGER
_WHOLE = re.compile(r"[0-9]+", re.ASCII)
_DECIMAL = re.compile(r"([0-9]+)(?:[.,]([0-9]+))?", re.ASCII)


def whole(text: object, lo: int = 0, hi: int = ID_MAX) -> int | None:
    """`text` (spaces around allowed) as an int when it is ASCII digits within lo..hi."""
    if not isinstance(text, str):
        return None
    value = text.strip()
    if not _WHOLE.fullmatch(value) or len(value.lstrip("0")) > len(str(hi)):
        return None
    number = int(value)
    return number if lo <= number <= hi else None


def entity_id(text: object) -> int | None:
    """An entity number as people write it: `34` or `#34`, 1..ID_MAX."""
    if not isinstance(text, str):
        return None
    value = text.strip()
    return whole(value[1:] if value.startswith("#") else value, 1, ID_MAX)


def parse_whole(text: object, lo: int, hi: int, key: str, **params: Any) -> int:
    """`whole`, or InvalidInput(key, **params)."""
    number = whole(text, lo, hi)
    if number is None:
        raise InvalidInput(key, **params)
    return number


def parse_id(text: object, key: str, **params: Any) -> int:
    """`entity_id`, or InvalidInput(key, **params)."""
    number = entity_id(text)
    if number is None:
        raise InvalidInput(key, **params)
    return number


def decimal(text: object, int_digits: int, frac_digits: int) -> tuple[str, str] | None:
    """(whole part, fraction) of `12`, `1.5` or `1,5` in ASCII digits, with at most
    `int_digits` and `frac_digits` of each; None otherwise."""
    if not isinstance(text, str):
        return None
    m = _DECIMAL.fullmatch(text.strip())
    if m is None:
        return None
    whole_part, frac = m.group(1), m.group(2) or ""
    if len(whole_part.lstrip("0")) > int_digits or len(frac) > frac_digits:
        return None
    return whole_part, frac


def parse_decimal(
    text: object, int_digits: int, frac_digits: int, key: str, **params: Any
) -> Decimal:
    """`decimal` as a Decimal, or InvalidInput(key, **params)."""
    parts = decimal(text, int_digits, frac_digits)
    if parts is None:
        raise InvalidInput(key, **params)
    return Decimal(f"{parts[0]}.{parts[1] or '0'}")
