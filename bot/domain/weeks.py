"""Hourly contracts' weeks (issue 14): pure time and money rules, no I/O.

A week runs from Monday 00:00 to the next Monday 00:00 UTC (Sunday 24:00). The freelancer
logs time in the current week and may edit it until EDIT_GRACE after the week (Monday 12:00
UTC); the client's review ends `review_after` seconds after the week (HOURLY_REVIEW_WINDOW,
by default Friday 23:59 UTC), when silence approves. Minutes are whole numbers; money is
rate (minor units per hour) x minutes / 60, rounded down, so that paid never exceeds rate x
limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.domain.durations import parse_duration

DAY = 86400
WEEK = 7 * DAY
EDIT_GRACE = 12 * 3600  # Monday 12:00 UTC after the week
# Friday 23:59 UTC after the week: four days, 23 hours and 59 minutes after its end.
DEFAULT_REVIEW_AFTER = 4 * DAY + 23 * 3600 + 59 * 60
MAX_WEEKLY_HOURS = 80
MONDAY_EPOCH = 4 * DAY  # 1970-01-05, the first Monday after the epoch

_WEEKDAYS = {
    name: i
    for i, names in enumerate(
        (
            ("mon", "monday", "пн", "понедельник"),
            ("tue", "tuesday", "вт", "вторник"),
            ("wed", "wednesday", "ср", "среда"),
            ("thu", "thursday", "чт", "четверг"),
            ("fri", "friday", "пт", "пятница"),
            ("sat", "saturday", "сб", "суббота"),
            ("sun", "sunday", "вс", "воскресенье"),
        )
    )
    for name in names
}
_WEEKDAY_TIME = re.compile(r"^\s*([^\W\d_]+)\s+([0-9]{1,2}):([0-9]{2})\s*(?:utc)?\s*$", re.I)


def week_start(t: int) -> int:
    """The Monday 00:00 UTC at or before `t` (epoch seconds)."""
    return t - (t - MONDAY_EPOCH) % WEEK


def week_end(start: int) -> int:
    return start + WEEK


def edit_ends(start: int) -> int:
    """Until when the week's hours may be logged or edited."""
    return start + WEEK + EDIT_GRACE


def review_ends(start: int, review_after: int) -> int:
    """When silence approves the week's hours."""
    return start + WEEK + review_after


def week_label(start: int) -> str:
    """`2026-12-07`: the week's Monday."""
    return datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%d")


def parse_review_window(text: str) -> int:
    """HOURLY_REVIEW_WINDOW -> seconds after the week's end when the review ends.

    `Friday 23:59` (a weekday and a UTC time in the week after) or a duration counted from
    the end of editing (Monday 12:00), e.g. `3d`. It must end after editing and before the
    next week's editing ends. ValueError otherwise."""
    m = _WEEKDAY_TIME.match(text or "")
    if m:
        day = _WEEKDAYS.get(m.group(1).lower())
        hour, minute = int(m.group(2)), int(m.group(3))
        if day is None or hour > 23 or minute > 59:
            raise ValueError(f"not a weekday and time: {text!r} (e.g. Friday 23:59)")
        after = day * DAY + hour * 3600 + minute * 60
    else:
        try:
            after = EDIT_GRACE + parse_duration(text)
        except ValueError:
            raise ValueError(
                f"not a weekday and time or a duration: {text!r} (e.g. Friday 23:59 or 3d)"
            ) from None
    if not EDIT_GRACE < after <= WEEK:
        raise ValueError("the review must end after Monday 12:00 and within the week after")
    return after


def pay_for(minutes: int, rate: int) -> int:
    """What `minutes` at `rate` per hour earn, rounded down to a minor unit."""
    return minutes * rate // 60


def weekly_limit_amount(rate: int, weekly_minutes: int) -> int:
    """What one week may cost at most: rate x limit."""
    return pay_for(weekly_minutes, rate)


@dataclass(frozen=True)
class Returning:
    """How a contract's remaining escrow goes back: whole Stars charges untouched by any
    payment (refundStarPayment) and the rest to the client's balance."""

    charges: list[tuple[str, int]]
    to_balance: int


def returning(remaining: int, charges: list[tuple[str, int]], stars: bool) -> Returning:
    """Payments spend a contract's charges oldest first; so what remains is the newest
    money, and the newest charges wholly inside it were never touched. `charges` are (charge
    id, amount) oldest first. Provider payments are never refunded by charge."""
    untouched: list[tuple[str, int]] = []
    left = remaining
    if stars:
        for charge_id, amount in reversed(charges):
            if amount > left:
                break
            untouched.append((charge_id, amount))
            left -= amount
    untouched.reverse()
    return Returning(untouched, left)


def split_pay(pay: int, percent: int) -> int:
    """A moderator's split of a disputed week: `percent` of its pay to the freelancer."""
    return pay * percent // 100
