"""The outbox dispatcher: sends what services queued, within Telegram's limits.

- Rows are taken in id order; one chat's rows go in order, different chats in parallel.
- 429: the row waits `retry_after` (the chat is skipped until then, others go on); a 429 in
  a private chat means the bot as a whole is over its limit, so every send pauses as long.
- Network errors and 5xx: retried with backoff (at most a minute apart) for as long as
  Telegram stays unreachable, up to GIVE_UP_AFTER: an outage delays notifications, it does
  not lose them.
- 403 (blocked, never started): given up, the person marked unreachable; nothing else stops.
- A row is marked sent only after Telegram accepted it; a crash in between sends it again
  at most once more (at-least-once), never loses it.

Pacing is the dispatcher's own (`Pacer`): sends are spaced evenly at `rate` a second (27, under
Telegram's 30) and at most `group_per_minute` (19, under 20) go to one group or channel in
any 61 seconds. PTB's AIORateLimiter on the bot (a leaky bucket, 30/s with a burst of 30)
still paces the handlers' replies, but its burst alone would break a strict "30 in any one
second" rule: a burst of notifications (10,000 deadlines falling due at once) must not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot, LabeledPrice
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.runtime import Runtime
from bot.services import refunds

log = logging.getLogger(__name__)

BATCH = 100
GIVE_UP_AFTER = 24 * 3600  # a row Telegram would not take for a day (network, 5xx) fails
MAX_BACKOFF = 60  # seconds between retries after network errors and 5xx
RATE = 27.0  # sends a second, evenly spaced (Telegram allows about 30: room for jitter)
GROUP_PER_MINUTE = 19  # sends to one group or channel in any GROUP_WINDOW (Telegram: 20/min)
GROUP_WINDOW = 61.0
IN_FLIGHT = 8  # rows being sent at once: a burst of notifications leaves the replies room


class Pacer:
    """Spaces the dispatcher's sends: one every 1/rate seconds overall, and a sliding window
    per group chat. `wait(chat_id)` returns when this send may go; `pause(seconds)` holds
    every send (after a 429 that speaks for the whole bot).

    The spacing is measured from when the previous send was actually let go, not from when
    it was due: when the event loop was busy (a crowd of deadlines running) the late sends do
    not bunch up and go out together."""

    def __init__(self, rate: float = RATE, group_per_minute: int = GROUP_PER_MINUTE) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.group_limit = group_per_minute
        self._last = float("-inf")  # loop time the last send was let go
        self._lock = asyncio.Lock()  # first come, first served
        self._groups: dict[int, deque[float]] = {}
        self._group_locks: dict[int, asyncio.Lock] = {}

    def pause(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        self._last = max(self._last, loop.time() + seconds - self.interval)

    async def wait(self, chat_id: int) -> None:
        loop = asyncio.get_running_loop()
        if chat_id < 0 and self.group_limit > 0:
            lock = self._group_locks.setdefault(chat_id, asyncio.Lock())
            async with lock:
                sent = self._groups.setdefault(chat_id, deque())
                while True:
                    now = loop.time()
                    while sent and now - sent[0] >= GROUP_WINDOW:
                        sent.popleft()
                    if len(sent) < self.group_limit:
                        break
                    await asyncio.sleep(sent[0] + GROUP_WINDOW - now)
                sent.append(now)
        if not self.interval:
            return
        async with self._lock:
            left = self._last + self.interval - loop.time()
            while left > 0:  # (again if a 429 paused everything meanwhile)
                await asyncio.sleep(left)
                left = self._last + self.interval - loop.time()
            self._last = loop.time()


@dataclass
class Outgoing:
    """A rendered outbox row."""

    text: str = ""
    rows: Any = None  # keyboard rows, see bot.handlers.base.Keyboard
    skip: bool = False  # nothing to send any more (e.g. the thing it was about is gone)
    extra: dict[str, Any] = field(default_factory=dict)


Renderer = Callable[[Runtime, dict[str, Any], str], Awaitable[Outgoing]]


class Dispatcher:
    def __init__(
        self,
        rt: Runtime,
        bot: Bot,
        render: Renderer,
        poll_interval: float = 0.5,
        pacer: Pacer | None = None,
    ):
        self.rt = rt
        self.bot = bot
        self.render = render
        self.poll_interval = poll_interval
        self.pacer = pacer or Pacer()
        self._in_flight = asyncio.Semaphore(IN_FLIGHT)
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._stopping = False

    def kick(self) -> None:
        """Something was written to the outbox: look now instead of at the next poll."""
        self._wake.set()

    async def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._loop(), name="outbox-dispatcher")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                sent = await self.run_once()
            except Exception:
                log.exception("outbox dispatcher pass failed")
                sent = 0
            if sent:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)

    async def run_once(self) -> int:
        """Send every row due now; returns how many rows were handled."""
        svc = self.rt.svc
        async with svc.read() as tx:
            rows = await tx.outbox.due(tx.now, BATCH)
        if not rows:
            return 0
        by_chat: dict[int, list[dict[str, Any]]] = {}
        for row in rows:
            by_chat.setdefault(row["chat_id"], []).append(row)
        await asyncio.gather(*(self._send_chat(chat_rows) for chat_rows in by_chat.values()))
        return len(rows)

    async def _send_chat(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            async with self._in_flight:
                sent = await self._send_row(row)
            if not sent:
                return  # keep this chat's order: later rows wait for the failed one

    async def _send_row(self, row: dict[str, Any]) -> bool:
        """Deliver one row; False when the chat should wait (retry later)."""
        svc = self.rt.svc
        try:
            if row["method"] == "refund_star":
                return await self._refund_star(row)  # settles (and marks) the row itself
            message_id = await self._deliver(row)
        except RetryAfter as exc:
            wait = exc.retry_after
            delay = int(wait.total_seconds()) if hasattr(wait, "total_seconds") else int(wait)
            if row["chat_id"] > 0:  # not a group's own limit: the bot's, every send waits
                self.pacer.pause(max(1, delay))
            await self._retry(row, max(1, delay), f"429 retry after {delay}s")
            return False
        except Forbidden as exc:
            async with svc.tx() as tx:
                await tx.outbox.give_up(row["id"], str(exc))
                if row["chat_id"] > 0:
                    await tx.users.set_unreachable(row["chat_id"])
            log.info("chat %s unreachable: %s", row["chat_id"], exc)
            return True
        except BadRequest as exc:
            text = str(exc).lower()
            if "not modified" in text:
                message_id = None
            else:
                log.error("outbox row %s (%s) refused: %s", row["id"], row["key"], exc)
                async with svc.tx() as tx:
                    await tx.outbox.give_up(row["id"], str(exc), state="failed")
                return True
        except (TimedOut, NetworkError) as exc:
            # Telegram unreachable or failing (5xx, a dropped connection): try again, a little
            # later each time; only a row it has refused for a whole day is given up.
            if svc.clock.now() - row["created_at"] >= GIVE_UP_AFTER:
                async with svc.tx() as tx:
                    await tx.outbox.give_up(row["id"], str(exc), state="failed")
                return True
            await self._retry(row, min(MAX_BACKOFF, 2 ** min(row["attempts"], 16)), str(exc))
            return False
        except Exception as exc:
            log.exception("outbox row %s (%s) failed to render or send", row["id"], row["key"])
            async with svc.tx() as tx:
                await tx.outbox.give_up(row["id"], repr(exc), state="failed")
            return True
        async with svc.tx() as tx:
            await tx.outbox.mark_sent(row["id"], message_id)
            if row["key"] == "channel.job" and row["method"] == "send" and message_id:
                await tx.jobs.set_channel_message(int(row["params"]["job"]), message_id)
            if row["key"] == "mod.dispute_card" and row["method"] == "send" and message_id:
                await tx.disputes.set_card(int(row["params"]["dispute"]), message_id)
        return True

    async def _refund_star(self, row: dict[str, Any]) -> bool:
        """refundStarPayment, settled by bot.services.refunds in the transaction that marks
        the row: confirmed on success or CHARGE_ALREADY_REFUNDED (an earlier call did it),
        failed on any other refusal or after GIVE_UP_AFTER of network errors and 5xx. A 429
        and shorter outages go back to `_send_row`, which retries as for any call."""
        svc, charge_id = self.rt.svc, row["params"]["charge_id"]
        try:
            await self.pacer.wait(row["chat_id"])
            await self.bot.refund_star_payment(
                user_id=row["chat_id"], telegram_payment_charge_id=charge_id
            )
        except (BadRequest, Forbidden) as exc:
            if "charge_already_refunded" not in str(exc).lower():
                await refunds.fail(svc, charge_id, str(exc), row["id"])
                return True
        except (TimedOut, NetworkError) as exc:
            if svc.clock.now() - row["created_at"] < GIVE_UP_AFTER:
                raise
            await refunds.fail(svc, charge_id, f"no answer for a day: {exc}", row["id"])
            return True
        await refunds.confirm(svc, charge_id, row["id"])
        return True

    async def _progress(self, row: dict[str, Any], parts_sent: int, message_id: int) -> None:
        """Keep how many calls of a many-part row went out (a retry re-reads the row)."""
        async with self.rt.svc.tx() as tx:
            await tx.outbox.progress(row["id"], parts_sent, message_id)

    async def _retry(self, row: dict[str, Any], delay: int, why: str) -> None:
        async with self.rt.svc.tx() as tx:
            await tx.outbox.retry_later(row["id"], tx.now + delay, why)

    async def _locale_for(self, chat_id: int) -> str:
        i18n = self.rt.i18n
        if chat_id < 0:
            return i18n.default
        async with self.rt.svc.read() as tx:
            user = await tx.users.get(chat_id)
        if user is None:
            return i18n.default
        return i18n.negotiate(user.locale_override, user.language)

    async def _deliver(self, row: dict[str, Any]) -> int | None:
        from bot.handlers.base import build_keyboard
        from bot.text import MESSAGE_LIMIT, cut_html

        method = row["method"]
        params = row["params"]
        chat_id = row["chat_id"]
        pace = self.pacer.wait  # right before each call, after the rendering's reads
        locale = await self._locale_for(chat_id)
        out = await self.render(self.rt, row, locale)
        if out.skip:
            return None
        markup = build_keyboard(self.rt, out.rows)
        if method == "invoice" and "payload" in out.extra:  # else a sentence: see the view
            s = self.rt.svc.settings
            await pace(chat_id)
            msg = await self.bot.send_invoice(
                chat_id=chat_id,
                title=out.extra["title"],
                description=out.extra["description"],
                payload=out.extra["payload"],
                currency=params["currency"],
                prices=[LabeledPrice(out.extra["label"], int(params["amount"]))],
                provider_token=s.provider_token(params["currency"]),  # the deal's currency
            )
            return msg.message_id
        text = cut_html(out.text, MESSAGE_LIMIT)
        if method == "edit":
            target = out.extra.get("message_id")
            if target is None and row["ref"]:
                async with self.rt.svc.read() as tx:
                    target = await tx.outbox.sent_message(row["ref"], chat_id)
            if target is None:
                return None
            await pace(chat_id)
            await self.bot.edit_message_text(
                text, chat_id=chat_id, message_id=target, reply_markup=markup
            )
            return target
        # The text, then each file: a retry after a failed file sends only what is left.
        files = [(self.bot.send_document, f) for f in out.extra.get("documents", [])]
        files += [(self.bot.send_photo, f) for f in out.extra.get("photos", [])]
        done = int(row.get("parts_sent") or 0)
        message_id = row.get("message_id")
        if done == 0:
            await pace(chat_id)
            msg = await self.bot.send_message(
                chat_id,
                text,
                reply_markup=markup,
                reply_to_message_id=out.extra.get("reply_to"),
                allow_sending_without_reply=True,
            )
            message_id = msg.message_id
            if files:
                await self._progress(row, 1, message_id)
        for part, (send, file_id) in enumerate(files, start=1):
            if part < done:
                continue
            await pace(chat_id)
            await send(chat_id, file_id)
            if part < len(files):
                await self._progress(row, part + 1, message_id)
        return message_id
