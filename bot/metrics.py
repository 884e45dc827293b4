"""The bot's metrics in Prometheus format (prometheus-client), one registry per Application.

Counted as things happen (in this process): updates by kind and outcome and their handling
time, Telegram calls by method and result (429s by who met them: an answer, the outbox),
outbox rows sent and given up, deadlines run and given up, the event loop's lag, and when
the scheduler and the dispatcher last ran. Read from the database at scrape time (cheap
indexed queries, bot/storage/gauges.py, in aiosqlite's thread): the outbox's depth and oldest
row per lane, deadlines pending, due and overdue, the scheduler's lag, and the money held
per account kind and currency. The README lists the PromQL for a dashboard.

A registry per Application (not prometheus-client's global one), so that tests starting many
bots in one process each count their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from telegram import Update

if TYPE_CHECKING:
    from bot.storage.gauges import Gauges

__all__ = ["CONTENT_TYPE_LATEST", "LoopLag", "Metrics", "mark_outcome", "update_kind"]

LANE_NAMES = {0: "answer", 1: "effects", 2: "transactional", 3: "bulk"}
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
LAG_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)
OUTCOMES = ("ok", "refused", "error")  # worst last: a later, worse mark wins

# The outcome of the update being handled (a one-item list, set per update): the handler
# wrapper marks a refusal, the error handler an error (bot.handlers.base).
_outcome: ContextVar[list[str] | None] = ContextVar("update_outcome", default=None)


def mark_outcome(outcome: str) -> None:
    holder = _outcome.get()
    if holder is not None and OUTCOMES.index(outcome) > OUTCOMES.index(holder[0]):
        holder[0] = outcome


def update_kind(update: object) -> str:
    """command, button, text, file, payment, pre_checkout, edited, member or other."""
    if not isinstance(update, Update):
        return "other"
    if update.callback_query is not None:
        return "button"
    if update.pre_checkout_query is not None:
        return "pre_checkout"
    if update.edited_message is not None:
        return "edited"
    if update.my_chat_member is not None or update.chat_member is not None:
        return "member"
    message = update.message
    if message is None:
        return "other"
    if message.successful_payment is not None:
        return "payment"
    if (message.text or message.caption or "").startswith("/"):
        return "command"
    if message.document is not None or message.photo:
        return "file"
    if message.text:
        return "text"
    return "other"


def command_of(update: object, known: frozenset[str]) -> str | None:
    """The command an update runs (`start`), "unknown" for one the bot has not, else None."""
    if not isinstance(update, Update) or update.message is None:
        return None
    text = update.message.text or update.message.caption or ""
    if not text.startswith("/"):
        return None
    name = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
    return name if name in known else "unknown"


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.known_commands: frozenset[str] = frozenset()
        self.updates = Counter(
            "market_updates",
            "Updates handled, by kind and outcome",
            ["kind", "outcome"],
            registry=r,
        )
        self.commands = Counter(
            "market_commands", "Commands handled, by command", ["command"], registry=r
        )
        self.update_seconds = Histogram(
            "market_update_seconds",
            "Time to handle an update, from its turn to the end of its handler",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.telegram_calls = Counter(
            "market_telegram_calls",
            "Bot API calls by method and result (ok, 429, 4xx, 5xx, network)",
            ["method", "result"],
            registry=r,
        )
        self.telegram_429 = Counter(
            "market_telegram_429",
            "429 Too Many Requests from Telegram, by who met it (answer, outbox, other)",
            ["source"],
            registry=r,
        )
        self.outbox_sent = Counter(
            "market_outbox_sent", "Outbox rows sent, by lane", ["lane"], registry=r
        )
        self.outbox_gave_up = Counter(
            "market_outbox_gave_up",
            "Outbox rows given up (blocked, refused, unreachable, error), by lane",
            ["lane", "reason"],
            registry=r,
        )
        self.deadlines_acted = Counter(
            "market_deadlines_acted", "Deadlines whose action acted", registry=r
        )
        self.deadlines_gave_up = Counter(
            "market_deadlines_gave_up", "Deadlines given up after their last attempt", registry=r
        )
        self.loop_lag = Gauge(
            "market_event_loop_lag_seconds", "The event loop's lag, last measured", registry=r
        )
        self.loop_lag_hist = Histogram(
            "market_event_loop_lag_observed_seconds",
            "The event loop's lag, each measurement",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.scheduler_last_run = Gauge(
            "market_scheduler_last_run_timestamp_seconds",
            "When the deadline scheduler last ran (unix time)",
            registry=r,
        )
        self.dispatcher_last_pass = Gauge(
            "market_dispatcher_last_pass_timestamp_seconds",
            "When the outbox dispatcher last looked for rows (unix time)",
            registry=r,
        )
        self.telegram_last_ok = Gauge(
            "market_telegram_last_ok_timestamp_seconds",
            "When Telegram last answered a call (unix time)",
            registry=r,
        )
        # Read from the database at scrape time.
        self.database_up = Gauge(
            "market_database_up", "1 when the database answered the scrape", registry=r
        )
        self.scrape_seconds = Gauge(
            "market_database_scrape_seconds", "Time the scrape's database reads took", registry=r
        )
        self.outbox_depth = Gauge(
            "market_outbox_pending", "Outbox rows waiting to be sent, by lane", ["lane"], registry=r
        )
        self.outbox_age = Gauge(
            "market_outbox_oldest_age_seconds",
            "Age of the oldest row waiting in the outbox, by lane (0 when none)",
            ["lane"],
            registry=r,
        )
        self.deadlines_pending = Gauge("market_deadlines_pending", "Deadlines pending", registry=r)
        self.deadlines_due = Gauge(
            "market_deadlines_due", "Pending deadlines whose time has come", registry=r
        )
        self.deadlines_overdue = Gauge(
            "market_deadlines_overdue",
            "Pending deadlines due for longer than a minute (the scheduler is behind)",
            registry=r,
        )
        self.deadlines_backing_off = Gauge(
            "market_deadlines_backing_off", "Deadlines waiting to retry a failed run", registry=r
        )
        self.scheduler_lag = Gauge(
            "market_scheduler_lag_seconds",
            "How long the oldest due deadline (not backing off) has waited (0 when none)",
            registry=r,
        )
        self.money = Gauge(
            "market_money_minor",
            "Money held, in minor units, by account kind (escrow, user, payable,"
            " refund_pending, fees) and currency",
            ["account", "currency"],
            registry=r,
        )
        for lane in LANE_NAMES.values():
            self.outbox_depth.labels(lane)
            self.outbox_age.labels(lane)
        for outcome in OUTCOMES:
            self.updates.labels("command", outcome)
        for source in ("answer", "outbox"):
            self.telegram_429.labels(source)

    # --- updates ---------------------------------------------------------------------------

    def start_update(self) -> list[str]:
        holder = ["ok"]
        _outcome.set(holder)
        return holder

    def update_done(self, update: object, holder: list[str], seconds: float) -> None:
        kind = update_kind(update)
        self.updates.labels(kind, holder[0]).inc()
        self.update_seconds.labels(kind).observe(seconds)
        command = command_of(update, self.known_commands)
        if command is not None:
            self.commands.labels(command).inc()

    # --- Telegram calls (bot.transport) ------------------------------------------------------

    def telegram_call(self, method: str, status: int | None, source: str) -> None:
        """One Bot API call: its HTTP status, None when no answer came."""
        if status is None:
            result = "network"
        elif status == 429:
            result = "429"
            self.telegram_429.labels(source).inc()
        elif status >= 500:
            result = "5xx"
        elif status >= 400:
            result = "4xx"
        else:
            result = "ok"
        self.telegram_calls.labels(method, result).inc()

    # --- the outbox and the scheduler --------------------------------------------------------

    def sent(self, lane: int) -> None:
        self.outbox_sent.labels(LANE_NAMES.get(lane, str(lane))).inc()

    def gave_up(self, lane: int, reason: str) -> None:
        self.outbox_gave_up.labels(LANE_NAMES.get(lane, str(lane)), reason).inc()

    def scheduler_ran(self, acted: int, failed: int) -> None:
        self.scheduler_last_run.set(time.time())
        self.deadlines_acted.inc(acted)
        self.deadlines_gave_up.inc(failed)

    # --- the scrape --------------------------------------------------------------------------

    def set_gauges(self, g: Gauges | None, seconds: float) -> None:
        """The database's figures (None: it did not answer: they are left out)."""
        self.scrape_seconds.set(seconds)
        self.database_up.set(0 if g is None else 1)
        if g is None:
            return
        for lane, name in LANE_NAMES.items():
            self.outbox_depth.labels(name).set(g.outbox_depth.get(lane, 0))
            self.outbox_age.labels(name).set(g.outbox_age.get(lane, 0))
        self.deadlines_pending.set(g.deadlines_pending)
        self.deadlines_due.set(g.deadlines_due)
        self.deadlines_overdue.set(g.deadlines_overdue)
        self.deadlines_backing_off.set(g.deadlines_backing_off)
        self.scheduler_lag.set(g.scheduler_lag)
        self.money.clear()
        for (account, currency), amount in sorted(g.money.items()):
            self.money.labels(account, currency).set(amount)
        for currency in g.currencies:  # a currency with nothing in escrow shows 0
            self.money.labels("escrow", currency).set(g.money.get(("escrow", currency), 0))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class LoopLag:
    """Measures how late the event loop wakes a sleeper (a blocked loop shows here first)."""

    def __init__(self, metrics: Metrics, interval: float = 0.25) -> None:
        self.metrics = metrics
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="loop-lag")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(self.interval)
            lag = max(0.0, loop.time() - start - self.interval)
            self.metrics.loop_lag.set(lag)
            self.metrics.loop_lag_hist.observe(lag)


def registered_commands(handlers: Iterable[Any]) -> frozenset[str]:
    """The command names of an Application's CommandHandlers (the `command` label's values)."""
    from telegram.ext import CommandHandler, ConversationHandler

    names: set[str] = set()
    for handler in handlers:
        if isinstance(handler, CommandHandler):
            names |= set(handler.commands)
        elif isinstance(handler, ConversationHandler):
            names |= registered_commands(handler.entry_points)
            names |= registered_commands(handler.fallbacks)
            for steps in handler.states.values():
                names |= registered_commands(steps)
    return frozenset(names)
