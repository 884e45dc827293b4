"""Logging: quiet by default, one JSON object a line with LOG_FORMAT=json, and the update, the
person and the deal a line is about.

What a line is about lives in ContextVars, set where it becomes known: the update id and the
person when an update starts (bot.updates), the deal when a service loads one
(bot.services.base.deal_or_404), the chat and deal of an outbox row as the dispatcher sends
it, the deal of a deadline as the scheduler runs it. Each update, outbox row and scheduler run
is a task of its own, so what one sets is never seen by another.

What never goes in a line at INFO or above: what people wrote (messages, cover letters,
reasons) and payment or charge ids (those at DEBUG only). Libraries that log every call or
every tick (APScheduler's executor every few seconds, httpx and aiohttp access lines) log
warnings only.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(context)s"
# Loggers that are noisy at INFO: a line per job run, per HTTP request.
QUIET = ("apscheduler", "httpx", "httpcore", "aiohttp.access", "aiohttp.server")

update_id: ContextVar[int | None] = ContextVar("log_update_id", default=None)
user_id: ContextVar[int | None] = ContextVar("log_user_id", default=None)
deal_id: ContextVar[int | None] = ContextVar("log_deal_id", default=None)
_FIELDS = (("update_id", update_id), ("user_id", user_id), ("deal_id", deal_id))


def bind(*, update: int | None = None, user: int | None = None, deal: int | None = None) -> None:
    """Say what the rest of this task is about (only the values given change)."""
    if update is not None:
        update_id.set(update)
    if user is not None:
        user_id.set(user)
    if deal is not None:
        deal_id.set(deal)


@contextmanager
def bound(*, deal: int | None = None, user: int | None = None) -> Iterator[None]:
    """What a block is about (one deadline of a scheduler run): its deal is `deal` (None:
    none), its person `user` (None: the current one), whatever the block binds itself;
    the values before it are restored after it."""
    tokens = [(deal_id, deal_id.set(deal))]
    if user is not None:
        tokens.append((user_id, user_id.set(user)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def context() -> dict[str, int]:
    return {name: value for name, var in _FIELDS if (value := var.get()) is not None}


class ContextFilter(logging.Filter):
    """Puts the update, person and deal on every record (`record.context`, and as fields)."""

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = context()
        for name, value in ctx.items():
            setattr(record, name, value)
        record.context = (
            " [" + " ".join(f"{k.removesuffix('_id')}={v}" for k, v in ctx.items()) + "]"
            if ctx
            else ""
        )
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the context, a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name, _var in _FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                out[name] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exc"] = record.exc_text
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def setup(
    fmt: str = "text", level: int = logging.INFO, stream: Any = None, *, force: bool = False
) -> logging.Handler | None:
    """Configure the root logger; returns its handler. Like `logging.basicConfig`, a root
    logger that has handlers already (a host application's, pytest's) is left as it is,
    unless `force` (which replaces them); the noisy libraries are quietened either way."""
    if fmt not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of: {', '.join(FORMATS)}")
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    root = logging.getLogger()
    if root.handlers and not force:
        return None
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
