"""Money is an integer count of the currency's smallest unit; floats are refused everywhere."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision

from bot.domain.errors import InvalidInput
from bot.domain.numbers import decimal

STARS = "XTR"
MIN_WHOLE = 1
MAX_WHOLE = 1_000_000


def exponent(currency: str) -> int:
    """Digits after the decimal point: 0 for Stars, 2 for USD, per ISO 4217 via Babel."""
    if currency == STARS:
        return 0
    return get_currency_precision(currency)


def _require_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int in minor units, got {type(value).__name__}")
    return value


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units of one currency."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        _require_int(self.amount, "Money.amount")
        if not re.fullmatch(r"[A-Z]{3}", self.currency):
            raise ValueError(f"bad currency code {self.currency!r}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise TypeError("cannot mix currencies or non-Money values")

    def format(self, locale: str = "en") -> str:
        return format_money(self.amount, self.currency, locale)


def percent_of(amount: int, percent: int) -> int:
    """`percent` % of `amount`, rounded down (the remainder stays with the payer's side)."""
    _require_int(amount, "amount")
    _require_int(percent, "percent")
    if not 0 <= percent <= 100:
        raise ValueError("percent must be 0..100")
    return amount * percent // 100


def parse_amount(text: str, currency: str) -> int:
    """Parse what a person typed (`150`, `99.5`) into minor units, within 1..1000000 whole units.

    Raises InvalidInput("amount.invalid") for anything else: negative, words, too many decimals,
    decimals for Stars.
    """
    exp = exponent(currency)
    parts = decimal(text, 9, exp)  # ASCII digits (bot.domain.numbers), the currency's decimals
    if parts is None:
        raise InvalidInput("amount.invalid", min=MIN_WHOLE, max=MAX_WHOLE)
    whole, frac = parts
    try:
        value = Decimal(f"{whole}.{frac or '0'}")
    except InvalidOperation:  # pragma: no cover - regex already guards
        raise InvalidInput("amount.invalid", min=MIN_WHOLE, max=MAX_WHOLE) from None
    if not MIN_WHOLE <= value <= MAX_WHOLE:
        raise InvalidInput("amount.invalid", min=MIN_WHOLE, max=MAX_WHOLE)
    return int(value * (10**exp))


def check_amount(minor: int, currency: str) -> int:
    """Validate an amount already in minor units (from a one-line command or an API)."""
    _require_int(minor, "amount")
    scale = 10 ** exponent(currency)
    if not MIN_WHOLE * scale <= minor <= MAX_WHOLE * scale:
        raise InvalidInput("amount.invalid", min=MIN_WHOLE, max=MAX_WHOLE)
    return minor


def parse_currency(text: str) -> str:
    """A currency a person names: an ISO 4217 code in any case, or Stars (`XTR`, `stars`, ⭐).
    Raises InvalidInput("currency.invalid") for anything else."""
    code = (text or "").strip().upper()
    if code in ("⭐", "STARS", "STAR"):
        return STARS
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise InvalidInput("currency.invalid")
    return code


def format_money(minor: int, currency: str, locale: str = "en") -> str:
    """`150 ⭐` for Stars; Babel's currency format (`$150.00`) for fiat."""
    _require_int(minor, "amount")
    if currency == STARS:
        return f"{minor} ⭐"
    exp = exponent(currency)
    return format_currency(Decimal(minor).scaleb(-exp), currency, locale=locale)
