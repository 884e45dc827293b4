"""Durations (`90s`, `15m`, `2h`, `3d`, `1w`, `3 days`, `2д`, `3 часа`, `1 нед`) and deadline
input (a duration or a date)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.domain.errors import InvalidInput

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

# Every spelling a person may type for a unit, English and Russian, any number form; a
# trailing dot (`1 нед.`, `30 мин.`) is allowed. Months and years are not durations here:
# their length varies.
_WORDS: dict[str, tuple[str, ...]] = {
    "s": ("s", "sec", "secs", "second", "seconds", "с", "сек", "секунда", "секунды", "секунд",
          "секунду"),
    "m": ("m", "min", "mins", "minute", "minutes", "м", "мин", "минута", "минуты", "минут",
          "минуту"),
    "h": ("h", "hr", "hrs", "hour", "hours", "ч", "час", "часа", "часов"),
    "d": ("d", "day", "days", "д", "дн", "день", "дня", "дней"),
    "w": ("w", "wk", "wks", "week", "weeks", "н", "нед", "неделя", "недели", "недель",
          "неделю"),
}  # fmt: skip
_UNIT_OF = {word: unit for unit, words in _WORDS.items() for word in words}
_DURATION_RE = re.compile(r"^\s*([0-9]{1,7})\s*([^\W\d_]+)\.?\s*$")
_DATE_RE = re.compile(r"^\s*([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[ T]([0-9]{2}):([0-9]{2}))?\s*$")


class Seconds(int):
    """A duration in a refusal's parameters: each language renders it in its own words."""


def parse_duration(text: str) -> int:
    """Seconds in a duration like `3d`, `3 days`, `3д` or `3 дня`; ValueError for anything
    else (no sign, no fraction, one number and one unit)."""
    m = _DURATION_RE.match(text or "")
    unit = _UNIT_OF.get(m.group(2).lower()) if m else None
    if m is None or unit is None:
        raise ValueError(f"not a duration: {text!r} (use 90s, 15m, 2h, 3d or 1w)")
    seconds = int(m.group(1)) * _UNITS[unit]
    if seconds <= 0:
        raise ValueError(f"duration must be positive: {text!r}")
    return seconds


def split_duration(seconds: int) -> tuple[int, str]:
    """The largest whole unit: 259200 -> (3, "d"), 5400 -> (90, "m"), 61 -> (61, "s")."""
    for unit in ("w", "d", "h", "m"):
        size = _UNITS[unit]
        if seconds >= size and seconds % size == 0:
            return seconds // size, unit
    return seconds, "s"


def format_duration(seconds: int) -> str:
    """The largest whole unit: 259200 -> `3d`, 5400 -> `90m`."""
    count, unit = split_duration(seconds)
    return f"{count}{unit}"


EXAMPLE_AHEAD = 14 * 86400  # the example date people are shown: two weeks from now


def example_date(now: int) -> str:
    """A date to show as an example of a deadline (`2026-12-16`): always ahead of `now`,
    never a fixed date that has passed."""
    return datetime.fromtimestamp(now + EXAMPLE_AHEAD, UTC).strftime("%Y-%m-%d")


def parse_deadline(text: str, now: int, min_seconds: int) -> int:
    """A delivery deadline typed as a duration (`3d`, `3 дня`) or a date (`2026-12-01`, end
    of that day UTC, or `2026-12-01 18:00`). Returns epoch seconds; at least `min_seconds`
    after `now`."""
    try:
        due = now + parse_duration(text)
    except ValueError:
        m = _DATE_RE.match(text or "")
        if not m:
            raise InvalidInput("deadline.invalid", example=example_date(now)) from None
        y, mo, d, hh, mm = m.groups()
        try:
            if hh is None:
                dt = datetime(int(y), int(mo), int(d), 23, 59, tzinfo=UTC)
            else:
                dt = datetime(int(y), int(mo), int(d), int(hh), int(mm), tzinfo=UTC)
        except ValueError:
            raise InvalidInput("deadline.invalid", example=example_date(now)) from None
        due = int(dt.timestamp())
    if due - now < min_seconds:
        raise InvalidInput("deadline.too_soon", min=Seconds(min_seconds))
    if due - now > 5 * 365 * 86400:
        raise InvalidInput("deadline.invalid", example=example_date(now))
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
