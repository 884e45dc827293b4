"""The outbox dispatcher: sends what services queued, within Telegram's limits.

- Rows are taken in id order; one chat's rows go in order, different chats in parallel.
- 429: the row waits `retry_after` (the chat is skipped until then, others go on).
- Network errors and 5xx: retried with backoff, up to MAX_ATTEMPTS.
- 403 (blocked, never started): given up, the person marked unreachable; nothing else stops.
- A row is marked sent only after Telegram accepted it; a crash in between sends it again
  at most once more (at-least-once), never loses it.
The overall 30/s and 20/min-per-group pacing comes from PTB's AIORateLimiter on the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot, LabeledPrice
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.runtime import Runtime

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BATCH = 100


@dataclass
class Outgoing:
    """A rendered outbox row."""

    text: str = ""
    rows: Any = None  # keyboard rows, see bot.handlers.base.Keyboard
    skip: bool = False  # nothing to send any more (e.g. the thing it was about is gone)
    extra: dict[str, Any] = field(default_factory=dict)


Renderer = Callable[[Runtime, dict[str, Any], str], Awaitable[Outgoing]]


class Dispatcher:
    def __init__(self, rt: Runtime, bot: Bot, render: Renderer, poll_interval: float = 0.5):
        self.rt = rt
        self.bot = bot
        self.render = render
        self.poll_interval = poll_interval
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
            if not await self._send_row(row):
                return  # keep this chat's order: later rows wait for the failed one

    async def _send_row(self, row: dict[str, Any]) -> bool:
        """Deliver one row; False when the chat should wait (retry later)."""
        svc = self.rt.svc
        try:
            message_id = await self._deliver(row)
        except RetryAfter as exc:
            wait = exc.retry_after
            delay = int(wait.total_seconds()) if hasattr(wait, "total_seconds") else int(wait)
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
            if row["attempts"] + 1 >= MAX_ATTEMPTS:
                async with svc.tx() as tx:
                    await tx.outbox.give_up(row["id"], str(exc), state="failed")
                return True
            await self._retry(row, min(300, 2 ** row["attempts"]), str(exc))
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
        if method == "refund_star":
            await self.bot.refund_star_payment(
                user_id=chat_id, telegram_payment_charge_id=params["charge_id"]
            )
            return None
        locale = await self._locale_for(chat_id)
        out = await self.render(self.rt, row, locale)
        if out.skip:
            return None
        markup = build_keyboard(self.rt, out.rows)
        if method == "invoice":
            s = self.rt.svc.settings
            msg = await self.bot.send_invoice(
                chat_id=chat_id,
                title=out.extra["title"],
                description=out.extra["description"],
                payload=out.extra["payload"],
                currency=params["currency"],
                prices=[LabeledPrice(out.extra["label"], int(params["amount"]))],
                provider_token=s.payment_provider_token or None,
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
            await self.bot.edit_message_text(
                text, chat_id=chat_id, message_id=target, reply_markup=markup
            )
            return target
        reply_to = out.extra.get("reply_to")
        msg = await self.bot.send_message(
            chat_id,
            text,
            reply_markup=markup,
            reply_to_message_id=reply_to,
            allow_sending_without_reply=True,
        )
        for file_id in out.extra.get("documents", []):
            await self.bot.send_document(chat_id, file_id)
        for file_id in out.extra.get("photos", []):
            await self.bot.send_photo(chat_id, file_id)
        return msg.message_id
