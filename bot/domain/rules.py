"""Validation of what people type, shared by services (the last line of defence) and flows."""

from __future__ import annotations

from bot.domain.errors import InvalidInput
from bot.domain.models import Bid, Job
from bot.domain.money import check_amount
from bot.domain.numbers import parse_decimal, parse_whole

TITLE_MIN, TITLE_MAX = 5, 100
DESCRIPTION_MIN, DESCRIPTION_MAX = 20, 3000
COVER_MAX = 2000
DAYS_MIN, DAYS_MAX = 1, 365
BRIEF_MAX = 3000
REASON_MAX = 1000
NOTE_MAX = 2000
MESSAGE_MAX = 3000
COMMENT_MAX = 1000
BIO_MAX = 1000
HOURS_MAX_PER_ENTRY = 24


def clean_text(text: str | None) -> str:
    """Strip, drop NULs and other control characters except newlines and tabs."""
    if text is None:
        return ""
    return "".join(ch for ch in str(text) if ch in "\n\t" or ch >= " ").strip()


def text_in_range(text: str | None, lo: int, hi: int, key: str) -> str:
    """Every length refusal says the limits and how long the text was (`length`)."""
    value = clean_text(text)
    if not lo <= len(value) <= hi:
        raise InvalidInput(key, min=lo, max=hi, length=len(value))
    return value


def at_most(text: str | None, hi: int, key: str) -> str:
    """Cleaned `text` of at most `hi` characters, else `key` with the length it had."""
    value = clean_text(text)
    if len(value) > hi:
        raise InvalidInput(key, max=hi, length=len(value))
    return value


def title(text: str | None) -> str:
    return text_in_range(text, TITLE_MIN, TITLE_MAX, "job.title_length")


def description(text: str | None) -> str:
    return text_in_range(text, DESCRIPTION_MIN, DESCRIPTION_MAX, "job.description_length")


def cover_letter(text: str | None) -> str:
    return at_most(text, COVER_MAX, "bid.cover_too_long")


# A bid this far outside its job's budget is asked "are you sure?" before it is placed: below
# half the lowest amount of the budget, or above twice the highest.
FAR_BELOW_DIVISOR, FAR_ABOVE_FACTOR = 2, 2


def far_from_budget(amount: int, low: int, high: int) -> str | None:
    """ "below" or "above" for an amount far outside the budget `low`..`high`, else None."""
    if amount * FAR_BELOW_DIVISOR < low:
        return "below"
    if amount > high * FAR_ABOVE_FACTOR:
        return "above"
    return None


def days(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not DAYS_MIN <= value <= DAYS_MAX:
        raise InvalidInput("bid.days_invalid", min=DAYS_MIN, max=DAYS_MAX)
    return value


def parse_days(text: str) -> int:
    return parse_whole(text, DAYS_MIN, DAYS_MAX, "bid.days_invalid", min=DAYS_MIN, max=DAYS_MAX)


def parse_stars(text: str) -> int:
    return stars(parse_whole(text, 1, 5, "rating.invalid"))


def parse_percent(text: str) -> int:
    """`30` or `30%`."""
    value = text.strip() if isinstance(text, str) else ""
    return percent(parse_whole(value.removesuffix("%"), 0, 100, "percent.invalid"))


def budget(lo: int, hi: int, currency: str) -> tuple[int, int]:
    check_amount(lo, currency)
    check_amount(hi, currency)
    if hi < lo:
        raise InvalidInput("job.budget_invalid")
    return lo, hi


def stars(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise InvalidInput("rating.invalid")
    return value


def percent(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise InvalidInput("percent.invalid")
    return value


def hours_to_minutes(text: str) -> int:
    """`1.5` (or `1,5`) hours -> 90 minutes; more than 0 and at most 24 in one entry."""
    value = parse_decimal(text, 2, 4, "log.hours_invalid", max=HOURS_MAX_PER_ENTRY)
    if not 0 < value <= HOURS_MAX_PER_ENTRY:
        raise InvalidInput("log.hours_invalid", max=HOURS_MAX_PER_ENTRY)
    minutes = round(value * 60)
    if minutes <= 0:
        raise InvalidInput("log.hours_invalid", max=HOURS_MAX_PER_ENTRY)
    return minutes


def brief_visible(job: Job, viewer: int | None, bid: Bid | None) -> bool:
    """Who may read a job's private brief: its client, and a freelancer whose live bid on it
    (`bid`, or None) is shortlisted, after accepting the NDA where the job asks for one."""
    if viewer is not None and viewer == job.client_id:
        return True
    if bid is None or bid.freelancer_id != viewer or bid.shortlisted_at is None:
        return False
    return not job.nda_required or bid.nda_accepted_at is not None
