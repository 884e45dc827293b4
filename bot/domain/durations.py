"""Durations (`90s`, `15m`, `2h`, `3d`, `1w`) and deadline input (a duration or a date)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.domain.errors import InvalidInput

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# ASCII digits only, as everywhere (bot.domain.numbers): `\d` would take `٣` and `３` too.
_DURATION_RE = re.compile(r"^\s*([0-9]{1,7})\s*([smhdw])\s*$", re.IGNORECASE)
_DATE_RE = re.compile(r"^\s*([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[ T]([0-9]{2}):([0-9]{2}))?\s*$")


def parse_duration(text: str) -> int:
    """Seconds in a duration like `3d`; raises ValueError for anything else."""
    m = _DURATION_RE.match(text or "")
    if not m:
        raise ValueError(f"not a duration: {text!r} (use 90s, 15m, 2h, 3d or 1w)")
    seconds = int(m.group(1)) * _UNITS[m.group(2).lower()]
    if seconds <= 0:
        raise ValueError(f"duration must be positive: {text!r}")
    return seconds


def format_duration(seconds: int) -> str:
    """The largest whole unit: 259200 -> `3d`, 5400 -> `90m`."""
    for unit in ("w", "d", "h", "m"):
        size = _UNITS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_deadline(text: str, now: int, min_seconds: int) -> int:
    """A delivery deadline typed as a duration (`3d`) or a date (`2026-12-01`, end of that day
    UTC, or `2026-12-01 18:00`). Returns epoch seconds; at least `min_seconds` after `now`."""
    try:
        due = now + parse_duration(text)
    except ValueError:
        m = _DATE_RE.match(text or "")
        if not m:
            raise InvalidInput("deadline.invalid") from None
        y, mo, d, hh, mm = m.groups()
        try:
            if hh is None:
                dt = datetime(int(y), int(mo), int(d), 23, 59, tzinfo=UTC)
            else:
                dt = datetime(int(y), int(mo), int(d), int(hh), int(mm), tzinfo=UTC)
        except ValueError:
            raise InvalidInput("deadline.invalid") from None
        due = int(dt.timestamp())
    if due - now < min_seconds:
        raise InvalidInput("deadline.too_soon", min=format_duration(min_seconds))
    if due - now > 5 * 365 * 86400:
        raise InvalidInput("deadline.invalid")
    return due


def parse_extension(text: str) -> int:
    """Seconds to move a deadline by, for /extend: a positive duration up to a year."""
    try:
        seconds = parse_duration(text)
    except ValueError:
        raise InvalidInput("duration.invalid") from None
    if seconds > 365 * 86400:
        raise InvalidInput("duration.invalid")
    return seconds


def utc_text(epoch: int) -> str:
    """`2026-12-01 18:00 UTC`."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")
