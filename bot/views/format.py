"""Turning service values into display parameters for the translations."""

from __future__ import annotations

from typing import Any

from bot.i18n import I18n, Markup, id_params

MONEY_PARAMS = ("amount", "paid", "fee", "back", "available", "budget_min", "budget_max", "total")


def display_params(i18n: I18n, locale: str, params: dict[str, Any], now: int) -> dict[str, Any]:
    """Money as `150 ⭐`/`$150.00`, times as `2026-12-01 18:00 UTC (in 3 days)`, ids as text."""
    out = dict(params)
    currency = params.get("currency")
    for key in MONEY_PARAMS:
        if currency and isinstance(params.get(key), int):
            out[key] = Markup(i18n.money(locale, params[key], currency))
    for key, value in params.items():
        if key.endswith("_at") and isinstance(value, int):
            out[key] = Markup(i18n.when(locale, value, now))
    return id_params(out)
