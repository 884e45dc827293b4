"""Translations (Fluent files in the package, bot/locales/<lang>/) and locale-aware formatting
(Babel). The files are package data, read through importlib.resources, so an installed wheel
has them as the source tree does.

Message ids are Fluent identifiers (`bid-new`); keys written with dots or underscores in the
services (`notify.bid_new`, domain error `bid.not_client`) map to them by `fluent_id`.
Every string parameter is HTML-escaped on the way in; wrap trusted markup in `Markup`.

Text of any length renders whole: fluent.runtime refuses a placeable longer than 2,500
characters and then renders the *whole* message as `{???}` (a 2,600-character description,
a `<&`-rich delivery note once escaped). So Fluent never sees a string parameter's text: each
one goes in as a `_Slot` that compares equal to its text (a selector such as `$role` still
picks its variant) but formats as a short marker, and the escaped texts replace the markers
after formatting. Telegram's own limits are applied where a message is sent (bot.text).
"""

from __future__ import annotations

import html
import logging
import re
from datetime import UTC, datetime, timedelta
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from babel.dates import format_timedelta
from babel.units import format_unit
from fluent.runtime import FluentBundle, FluentResource
from fluent.runtime.types import FluentType
from fluent.syntax import ast as fast
from fluent.syntax import parse as parse_ftl
from fluent.syntax.visitor import Visitor

from bot.domain.durations import Seconds, split_duration
from bot.domain.errors import DomainError
from bot.domain.models import DELETED_NAME, DELETED_TEXT
from bot.domain.money import format_money

log = logging.getLogger(__name__)

JUST_NOW = 60  # seconds ago that are still "just now"
LOCALES_DIR: Traversable = resources.files("bot") / "locales"
SUPPORTED = ("en", "ru")


class Markup(str):
    """Text that is already safe HTML (built by us, with user text escaped inside)."""


def fluent_id(key: str) -> str:
    return key.replace(".", "-").replace("_", "-")


def escape(value: object) -> str:
    if isinstance(value, Markup):
        return value
    return html.escape(str(value), quote=False)


_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"  # private-use characters: never in our .ftl files
_MARKER = re.compile(f"{_MARK_OPEN}([0-9]+){_MARK_CLOSE}")


class _Slot(FluentType, str):
    """A string parameter inside Fluent: equal to its text, formatted as its marker."""

    marker: str

    def __new__(cls, text: str, index: int) -> _Slot:
        slot = super().__new__(cls, text)
        slot.marker = f"{_MARK_OPEN}{index}{_MARK_CLOSE}"
        return slot

    def format(self, locale: Any) -> str:
        return self.marker


class _Vars(Visitor):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_VariableReference(self, node: fast.VariableReference) -> None:
        self.names.add(node.id.name)


def ftl_files(lang: str, root: Traversable = LOCALES_DIR) -> list[Traversable]:
    """The message files of `lang`, by name. None found is an error at start, not a bot
    that answers every message with its id."""
    folder = root / lang
    files = sorted(
        (f for f in (folder.iterdir() if folder.is_dir() else ()) if f.name.endswith(".ftl")),
        key=lambda f: f.name,
    )
    if not files:
        raise FileNotFoundError(f"no translations (*.ftl) in {folder}")
    return files


class I18n:
    def __init__(self, root: Traversable = LOCALES_DIR, default: str = "en") -> None:
        self.root = root
        self.default = default
        self.bundles: dict[str, FluentBundle] = {}
        self.sources: dict[str, dict[str, set[str]]] = {}
        for lang in SUPPORTED:
            bundle = FluentBundle([lang], use_isolating=False)
            variables: dict[str, set[str]] = {}
            for path in ftl_files(lang, root):
                text = path.read_text(encoding="utf-8")
                bundle.add_resource(FluentResource(text))
                for entry in parse_ftl(text).body:
                    if isinstance(entry, fast.Message):
                        v = _Vars()
                        v.visit(entry)
                        variables[entry.id.name] = v.names
                    elif isinstance(entry, fast.Junk):
                        raise ValueError(f"{path}: bad Fluent syntax: {entry.content[:80]!r}")
            self.bundles[lang] = bundle
            self.sources[lang] = variables

    def negotiate(self, override: str | None, language_code: str | None) -> str:
        """`/language` choice, else Telegram's language_code if translated, else the default."""
        for cand in (override, (language_code or "").split("-")[0].lower()):
            if cand in self.bundles:
                return cand
        return self.default

    def has(self, locale: str, key: str) -> bool:
        return self.bundles[locale].has_message(fluent_id(key))

    def t(self, locale: str, key: str, **params: Any) -> str:
        """The message `key` in `locale` (falling back to the default), parameters escaped."""
        mid = fluent_id(key)
        bundle = self.bundles.get(locale) or self.bundles[self.default]
        if not bundle.has_message(mid):
            bundle = self.bundles[self.default]
            if not bundle.has_message(mid):
                log.error("missing message %s", mid)
                return html.escape(key)
        message = bundle.get_message(mid)
        if message.value is None:
            return html.escape(key)
        args: dict[str, Any] = {}
        texts: list[str] = []
        for k, v in params.items():
            if v is None:
                continue
            if isinstance(v, int | float) and not isinstance(v, bool):
                args[k] = v
                continue
            args[k] = _Slot(str(v), len(texts))
            texts.append(escape(v))
        text, errors = bundle.format_pattern(message.value, args)
        if errors:
            log.warning("message %s (%s): %s", mid, locale, errors)
        if not isinstance(text, str) or text == "{???}":  # pragma: no cover - never with slots
            log.error("message %s (%s) could not be formatted: %s", mid, locale, errors)
            return html.escape(key)
        if texts:
            text = _MARKER.sub(lambda m: texts[int(m.group(1))], text)
            if DELETED_NAME in text or DELETED_TEXT in text:  # an erased account's traces
                text = text.replace(DELETED_NAME, self.t(locale, "person-deleted"))
                text = text.replace(DELETED_TEXT, self.t(locale, "text-deleted"))
        return text

    def error(self, locale: str, err: DomainError) -> str:
        """The one sentence that explains a refusal."""
        params = _id_params(err.params)
        currency = params.get("currency")
        for key in ("amount", "available", "total"):  # money in a refusal, shown with its currency
            if currency and isinstance(params.get(key), int):
                params[key] = Markup(self.money(locale, params[key], currency))
        for key, value in params.items():
            if isinstance(value, Seconds):
                params[key] = self.duration(locale, value)
        return self.t(locale, f"err-{fluent_id(err.key)}", **params)

    # Formatting helpers (Babel).
    def money(self, locale: str, minor: int, currency: str) -> str:
        return format_money(minor, currency, "ru_RU" if locale == "ru" else "en_US")

    def duration(self, locale: str, seconds: int) -> str:
        """`3 days`, `3 дня`: the largest whole unit, in words."""
        count, unit = split_duration(seconds)
        name = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week"}[unit]
        return format_unit(count, f"duration-{name}", locale=locale)

    def when(self, locale: str, epoch: int, now: int) -> str:
        """`2026-12-01 18:00 UTC (in 3 days)`; a moment of the last minute is `just now`
        (Babel would say "in 0 seconds" for this very second)."""
        stamp = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")
        if -JUST_NOW < epoch - now <= 0:
            rel = self.t(locale, "when-just-now")
        else:
            rel = format_timedelta(
                timedelta(seconds=epoch - now), add_direction=True, locale=locale, threshold=1.0
            )
        return f"{stamp} ({rel})"


ID_PARAMS = {
    "job",
    "bid",
    "deal",
    "payout",
    "trial",
    "dispute",
    "user",
    "freelancer",
    "client",
    "from",
    "by",
    "message",
}


def _id_params(params: dict[str, Any]) -> dict[str, Any]:
    """Entity numbers are shown as-is (`Job #1234`, never `Job #1,234`)."""
    return {k: (str(v) if k in ID_PARAMS and isinstance(v, int) else v) for k, v in params.items()}


def id_params(params: dict[str, Any]) -> dict[str, Any]:
    return _id_params(params)
