"""The outbox dispatcher: sends what services queued, within Telegram's limits.

The queue itself (lanes, streams, claims with leases) is bot/storage/outbox.py; the send
budget shared with the handlers' answers is bot/pacing.py. Here:

- Continuous, not in batches: up to `capacity` rows are in hand at once, each sent by a task
  of its own; whenever one finishes (or a service kicks), the free places are filled by a new
  claim, most urgent lane first. `ANSWER_RESERVE` of the places are only for lane 0, so a
  backlog of notifications never takes every place from a person's answer. A stream has one
  row in hand at most (its head), so a chat's order holds without waiting for anyone else.
- A group or channel over its per-minute budget does not hold a place: its row is deferred
  (next_attempt_at pushed to when the window allows, no attempt counted) and the place goes
  to the next row of anyone else.
- 429: the row waits `retry_after` (its stream waits, others go on); a 429 in a private chat
  means the bot as a whole is over its limit, so every send pauses as long; in a group, that
  group's window is closed as long.
- Network errors and 5xx: retried with backoff (at most a minute apart) for as long as
  Telegram stays unreachable, up to GIVE_UP_AFTER: an outage delays notifications, it does
  not lose them.
- 403 (blocked, never started): given up, the person marked unreachable; nothing else stops.
- A row is marked sent only after Telegram accepted it; a crash in between sends it again
  at most once more (at-least-once), never loses it. Every write about a row is conditional
  on the claim still being this dispatcher's: a row whose lease passed to another
  dispatcher is left to it, and before each call a claim nearer its end than LEASE_MARGIN is
  renewed (or, lost, not sent).
- A dispatcher stopping hands its claims back; one starting hands back at once the claims
  of processes of this host that no longer run (a crash and restart need not wait for the
  lease); another host's claims pass when their lease ends.
- Rows done for longer than OUTBOX_RETENTION are pruned in the background, a batch per
  transaction (bot/storage/outbox.py keeps what replies and card edits look up).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot, LabeledPrice
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot import forum, logs
from bot.holders import is_gone, new_name
from bot.pacing import GROUP_PER_MINUTE, GROUP_WINDOW, PACED, RATE, Pacer
from bot.runtime import Runtime
from bot.services import refunds
from bot.storage.outbox import ANSWER, LEASE

__all__ = [
    "GROUP_PER_MINUTE",
    "GROUP_WINDOW",
    "RATE",
    "Dispatcher",
    "Outgoing",
    "Pacer",
    "Renderer",
]

log = logging.getLogger(__name__)

CAPACITY = 8  # rows in hand at once
ANSWER_RESERVE = 2  # of them, places only lane 0 (answers) may take
GIVE_UP_AFTER = 24 * 3600  # a row Telegram would not take for a day (network, 5xx) fails
MAX_BACKOFF = 60  # seconds between retries after network errors and 5xx
LEASE_MARGIN = 30  # seconds a call may take: a claim ending sooner is renewed before the call
PRUNE_EVERY = 3600.0  # seconds between pruning runs
PRUNE_BATCH = 500  # rows a pruning transaction deletes

_live: weakref.WeakSet[Dispatcher] = weakref.WeakSet()  # running in this process


class LeaseLost(Exception):
    """The row's claim passed to another dispatcher: leave the row to it."""


class Deferred(Exception):
    """A group's window is full: send this row in `seconds`."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"group budget spent, {seconds:.1f}s to wait")
        self.seconds = seconds


@dataclass
class Outgoing:
    """A rendered outbox row."""

    text: str = ""
    rows: Any = None  # keyboard rows, see bot.handlers.base.Keyboard
    skip: bool = False  # nothing to send any more (e.g. the thing it was about is gone)
    extra: dict[str, Any] = field(default_factory=dict)


Renderer = Callable[[Runtime, dict[str, Any], str], Awaitable[Outgoing]]


@dataclass
class Claim:
    """A row in this dispatcher's hands: the row as claimed, the claim's token (the row's
    `claimed_by`) and when the lease ends."""

    row: dict[str, Any]
    token: str
    lease_until: int
    lost: bool = False
    track: str | None = None  # the digest of buttons that follow a state, once sent

    @property
    def id(self) -> int:
        return int(self.row["id"])

    @property
    def chat_id(self) -> int:
        return int(self.row["chat_id"])

    @property
    def lane(self) -> int:
        return int(self.row["lane"])


class Dispatcher:
    def __init__(
        self,
        rt: Runtime,
        bot: Bot,
        render: Renderer,
        poll_interval: float = 0.5,
        pacer: Pacer | None = None,
        *,
        name: str | None = None,
        capacity: int = CAPACITY,
        lease: int = LEASE,
        retention: int | None = None,
    ):
        self.rt = rt
        self.bot = bot
        self.render = render
        self.poll_interval = poll_interval
        self.pacer = pacer or Pacer()
        # host:pid:n, so that a restarted process can tell its dead predecessor's claims.
        self.name = name or new_name()
        self.capacity = max(1, capacity)
        self.reserve = min(ANSWER_RESERVE, self.capacity - 1)
        self.lease = lease
        self.retention = retention if retention is not None else rt.svc.settings.outbox_retention
        self._claims = itertools.count(1)
        self._active: dict[int, tuple[Claim, asyncio.Task[None]]] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._pruner: asyncio.Task | None = None
        self._stopping = False

    def kick(self) -> None:
        """Something was written to the outbox: look now instead of at the next poll."""
        self._wake.set()

    async def start(self) -> None:
        self._stopping = False
        _live.add(self)
        try:
            await self.recover()
        except Exception:
            log.exception("could not hand back the claims of dead dispatchers")
        self._task = asyncio.create_task(self._loop(), name="outbox-dispatcher")
        self._pruner = asyncio.create_task(self._prune_loop(), name="outbox-pruner")

    async def stop(self) -> None:
        """Stop sending: rows in flight are cancelled and their claims handed back (they go
        out again, at least once, from whoever claims them next)."""
        self._stopping = True
        self._wake.set()
        for task in (self._task, self._pruner):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = self._pruner = None
        tasks = [task for _claim, task in self._active.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._active.clear()
        try:
            async with self.rt.svc.tx() as tx:
                await tx.outbox.release(self.name + "/", prefix=True)
        except Exception:  # the leases end by themselves
            log.exception("could not hand back the outbox claims")
        _live.discard(self)

    async def recover(self) -> int:
        """Hand back the claims of dispatchers of this host whose process is gone."""
        async with self.rt.svc.read() as tx:
            claimers = await tx.outbox.claimers()
        dead = {
            c.split("/", 1)[0]
            for c in claimers
            if is_gone(c.split("/", 1)[0], (d.name for d in _live))
        }
        released = 0
        for name in dead:
            async with self.rt.svc.tx() as tx:
                released += await tx.outbox.release(name + "/", prefix=True)
        if released:
            log.info("handed back %s outbox rows claimed by %s", released, ", ".join(dead))
        return released

    @property
    def running(self) -> bool:
        """Whether its loop is alive (started, not stopped, not crashed)."""
        return self._task is not None and not self._task.done()

    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            if self.rt.ops is not None:
                self.rt.ops.dispatcher_pass()
            try:
                await self._fill()
            except Exception:
                log.exception("outbox dispatcher pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)

    async def run_once(self) -> int:
        """One pass, as tests drive it: claim what is due (up to the free places), send it
        and wait for those rows; returns how many rows were handled."""
        started = await self._fill()
        await asyncio.gather(*(task for _claim, task in started), return_exceptions=True)
        return len(started)

    async def drain(self, passes: int = 1000) -> int:
        """run_once until nothing is due (tests); returns the rows handled."""
        total = 0
        for _ in range(passes):
            handled = await self.run_once()
            if not handled:
                break
            total += handled
        return total

    async def _fill(self) -> list[tuple[Claim, asyncio.Task[None]]]:
        """Renew the leases that need it, then claim rows for the free places and start a
        task for each."""
        free = self.capacity - len(self._active)
        now = self.rt.svc.clock.now()
        renew = [c for c, _t in self._active.values() if c.lease_until - now < self.lease / 2]
        if free <= 0 and not renew:
            return []
        async with self.rt.svc.tx() as tx:
            for claim in renew:  # before the claim: our own rows are never offered again
                until = tx.now + self.lease
                if await tx.outbox.renew(claim.id, claim.token, until):
                    claim.lease_until = until
                else:
                    claim.lost = True
            rows: list[dict[str, Any]] = []
            if free > 0 and await tx.outbox.wake(tx.now):  # (one statement when nothing is)
                token = f"{self.name}/{next(self._claims)}"
                rows = await tx.outbox.claim(
                    token, free, max_lane=ANSWER, lease=self.lease, wake=False
                )
                bulk = sum(1 for c, _t in self._active.values() if c.lane != ANSWER)
                room = min(free - len(rows), self.capacity - self.reserve - bulk)
                if room > 0:
                    rows += await tx.outbox.claim(token, room, lease=self.lease, wake=False)
        started = []
        for row in rows:
            claim = Claim(row, row["claimed_by"], int(row["lease_until"]))
            task = asyncio.create_task(self._run(claim), name=f"outbox-row-{claim.id}")
            self._active[claim.id] = (claim, task)
            started.append((claim, task))
        return started

    async def _run(self, claim: Claim) -> None:
        PACED.set(True)  # this task's calls are paced here (see bot.pacing)
        ref = str(claim.row.get("ref") or "")
        deal = ref.removeprefix("deal:")
        logs.bind(
            user=claim.chat_id if claim.chat_id > 0 else None,
            deal=int(deal) if ref.startswith("deal:") and deal.isdigit() else None,
        )
        try:
            await self._send_row(claim)
        except LeaseLost:
            log.warning("outbox row %s: its claim passed to another dispatcher", claim.id)
        except Exception:
            log.exception("outbox row %s could not be handled", claim.id)
        finally:
            if self._active.get(claim.id, (None,))[0] is claim:
                del self._active[claim.id]
            self._wake.set()

    async def _check_lease(self, claim: Claim) -> None:
        """Right before a call: the claim must outlast the call, renewed if need be."""
        if claim.lost:
            raise LeaseLost
        svc = self.rt.svc
        if claim.lease_until - svc.clock.now() >= LEASE_MARGIN:
            return
        async with svc.tx() as tx:
            until = tx.now + self.lease
            ok = await tx.outbox.renew(claim.id, claim.token, until)
        if not ok:
            claim.lost = True
            raise LeaseLost
        claim.lease_until = until

    async def _send_row(self, claim: Claim) -> None:
        """Deliver one row and record what came of it."""
        svc = self.rt.svc
        row, token = claim.row, claim.token
        try:
            if row["method"] == "refund_star":
                await self._refund_star(claim)  # settles (and marks) the row itself
                return
            if row["method"] == "markup":
                await self._edit_markup(claim)  # marks the row itself
                return
            message_id = await self._deliver(claim)
        except Deferred as exc:
            async with svc.tx() as tx:
                await tx.outbox.defer(row["id"], tx.now + math.ceil(exc.seconds), claimer=token)
            return
        except RetryAfter as exc:
            wait = exc.retry_after
            delay = int(wait.total_seconds()) if hasattr(wait, "total_seconds") else int(wait)
            delay = max(1, delay)
            if claim.chat_id > 0:  # not a group's own limit: the bot's, every send waits
                self.pacer.pause(delay)
            else:
                self.pacer.hold_group(claim.chat_id, delay)
            await self._retry(claim, delay, f"429 retry after {delay}s")
            return
        except Forbidden as exc:
            async with svc.tx() as tx:
                gave_up = await tx.outbox.give_up(row["id"], str(exc), claimer=token)
                if gave_up and claim.chat_id > 0:
                    await tx.users.set_unreachable(claim.chat_id)
            self._count(claim, "blocked")
            log.info("chat %s unreachable: %s", claim.chat_id, exc)
            return
        except BadRequest as exc:
            text = str(exc).lower()
            if "not modified" in text:
                message_id = None
            else:
                log.error("outbox row %s (%s) refused: %s", row["id"], row["key"], exc)
                async with svc.tx() as tx:
                    await tx.outbox.give_up(row["id"], str(exc), state="failed", claimer=token)
                self._count(claim, "refused")
                return
        except (TimedOut, NetworkError) as exc:
            # Telegram unreachable or failing (5xx, a dropped connection): try again, a little
            # later each time; only a row it has refused for a whole day is given up.
            if svc.clock.now() - row["created_at"] >= GIVE_UP_AFTER:
                async with svc.tx() as tx:
                    await tx.outbox.give_up(row["id"], str(exc), state="failed", claimer=token)
                self._count(claim, "unreachable")
                return
            await self._retry(claim, min(MAX_BACKOFF, 2 ** min(row["attempts"], 16)), str(exc))
            return
        except LeaseLost:
            raise
        except Exception as exc:
            log.exception("outbox row %s (%s) failed to render or send", row["id"], row["key"])
            async with svc.tx() as tx:
                await tx.outbox.give_up(row["id"], repr(exc), state="failed", claimer=token)
            self._count(claim, "error")
            return
        async with svc.tx() as tx:
            if await tx.outbox.mark_sent(row["id"], message_id, claimer=token):
                await self._after_sent(tx, row, message_id)
                if claim.track and message_id and row["ref"]:
                    numbers = {
                        k: v
                        for k, v in row["params"].items()
                        if isinstance(v, int) and not isinstance(v, bool)
                    }
                    await tx.keyboards.track(
                        claim.chat_id,
                        message_id,
                        row["ref"],
                        row["key"],
                        numbers,
                        claim.track,
                        source_row=row["id"],
                    )
                sent = True
            else:
                sent = False
        if sent:
            self._count(claim)

    def _count(self, claim: Claim, outcome: str | None = None) -> None:
        """Metrics: a row sent (no outcome) or given up (why). (The transport counts 429s.)"""
        ops = self.rt.ops
        if ops is None:
            return
        if outcome is None:
            ops.metrics.sent(claim.lane)
        else:
            ops.metrics.gave_up(claim.lane, outcome)

    async def _after_sent(self, tx: Any, row: dict[str, Any], message_id: int | None) -> None:
        """What a sent row records elsewhere, in the transaction that marks it sent."""
        if row["method"] != "send" or not message_id:
            return
        if row["key"] == "channel.job":
            await tx.jobs.set_channel_message(int(row["params"]["job"]), message_id)
        if row["key"] == "mod.dispute_card":
            await tx.disputes.set_card(int(row["params"]["dispute"]), message_id)

    async def _progress(self, claim: Claim, parts_sent: int, message_id: int) -> None:
        """Keep how many calls of a many-part row went out (a retry re-reads the row)."""
        async with self.rt.svc.tx() as tx:
            await tx.outbox.progress(claim.id, parts_sent, message_id, claimer=claim.token)

    async def _retry(self, claim: Claim, delay: int, why: str) -> None:
        async with self.rt.svc.tx() as tx:
            await tx.outbox.retry_later(claim.id, tx.now + delay, why, claimer=claim.token)

    async def _pace(self, claim: Claim) -> None:
        """Right before each call: a group over its budget defers the row; otherwise wait
        for the overall slot (by lane), and make sure the claim outlasts the call."""
        wait = await self.pacer.group_wait(claim.chat_id)
        if wait > 0:
            raise Deferred(wait)
        await self.pacer.wait(claim.lane)
        await self._check_lease(claim)

    async def _locale_for(self, chat_id: int) -> str:
        i18n = self.rt.i18n
        if chat_id < 0:
            return i18n.default
        async with self.rt.svc.read(one=True) as tx:
            user = await tx.users.get(chat_id)
        if user is None:
            return i18n.default
        return i18n.negotiate(user.locale_override, user.language)

    async def _refund_star(self, claim: Claim) -> None:
        """refundStarPayment, settled by bot.services.refunds in the transaction that marks
        the row: confirmed on success or CHARGE_ALREADY_REFUNDED (an earlier call did it),
        failed on any other refusal or after GIVE_UP_AFTER of network errors and 5xx. A 429
        and shorter outages go back to `_send_row`, which retries as for any call."""
        svc, row = self.rt.svc, claim.row
        charge_id = row["params"]["charge_id"]
        await self._pace(claim)
        try:
            await self.bot.refund_star_payment(
                user_id=row["chat_id"], telegram_payment_charge_id=charge_id
            )
        except (BadRequest, Forbidden) as exc:
            if "charge_already_refunded" not in str(exc).lower():
                await refunds.fail(svc, charge_id, str(exc), row["id"], claimer=claim.token)
                self._count(claim, "refused")
                return
        except (TimedOut, NetworkError) as exc:
            if svc.clock.now() - row["created_at"] < GIVE_UP_AFTER:
                raise
            error = f"no answer for a day: {exc}"
            await refunds.fail(svc, charge_id, error, row["id"], claimer=claim.token)
            self._count(claim, "unreachable")
            return
        await refunds.confirm(svc, charge_id, row["id"], claimer=claim.token)
        self._count(claim)

    async def _edit_markup(self, claim: Claim) -> None:
        """Draw a tracked message's buttons again (bot.views.keyboards) and, where they
        differ from what it shows, edit its keyboard alone (editMessageReplyMarkup: the text
        stays as it was). A message gone or no longer editable is forgotten."""
        from bot.handlers.base import build_keyboard, markup_digest

        row, chat_id = claim.row, claim.chat_id
        out = await self.render(self.rt, row, await self._locale_for(chat_id))
        target = out.extra.get("message_id")
        digest: str | None = None
        forget = False
        if not out.skip and target:
            markup = build_keyboard(self.rt, out.rows)
            digest = markup_digest(markup)
            forget = markup is None  # no buttons left to follow
            if digest != out.extra.get("digest"):
                await self._pace(claim)
                try:
                    await self.bot.edit_message_reply_markup(
                        chat_id=chat_id, message_id=target, reply_markup=markup
                    )
                except BadRequest as exc:
                    if "not modified" not in str(exc).lower():
                        log.info("buttons of message %s in %s: %s", target, chat_id, exc)
                        forget = True
        async with self.rt.svc.tx() as tx:
            if await tx.outbox.mark_sent(row["id"], None, claimer=claim.token) and target:
                if forget:
                    await tx.keyboards.forget(chat_id, int(target))
                elif digest is not None:
                    await tx.keyboards.set_digest(chat_id, int(target), digest)

    async def _deliver(self, claim: Claim) -> int | None:
        from bot.handlers.base import build_keyboard, markup_digest
        from bot.text import MESSAGE_LIMIT, cut_html

        row = claim.row
        method = row["method"]
        params = row["params"]
        chat_id = row["chat_id"]

        async def pace() -> None:  # right before each call, after the rendering's reads
            await self._pace(claim)

        locale = await self._locale_for(chat_id)
        if method in forum.METHODS:  # a forum topic's creation, renaming, closing
            return await forum.call(self, claim, locale)
        out = await self.render(self.rt, row, locale)
        if out.skip:
            return None
        markup = build_keyboard(self.rt, out.rows)
        if method == "invoice" and "payload" in out.extra:  # else a sentence: see the view
            s = self.rt.svc.settings
            await pace()
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
            await pace()
            await self.bot.edit_message_text(
                text, chat_id=chat_id, message_id=target, reply_markup=markup
            )
            return target
        # The text, then each file: a retry after a failed file sends only what is left.
        files = [(self.bot.send_document, f) for f in out.extra.get("documents", [])]
        files += [(self.bot.send_photo, f) for f in out.extra.get("photos", [])]
        done = int(row.get("parts_sent") or 0)
        message_id = row.get("message_id")
        thread = await forum.thread_of(self.rt, row)  # a dispute's topic (bot/forum.py)
        if done == 0:
            await pace()
            msg = await self.bot.send_message(
                chat_id,
                text,
                reply_markup=markup,
                reply_to_message_id=out.extra.get("reply_to"),
                allow_sending_without_reply=True,
                message_thread_id=thread,
            )
            message_id = msg.message_id
            if out.extra.get("track") and markup is not None:
                claim.track = markup_digest(markup)
            if files:
                await self._progress(claim, 1, message_id)
        for part, (send, file_id) in enumerate(files, start=1):
            if part < done:
                continue
            await pace()
            await send(chat_id, file_id, message_thread_id=thread)
            if part < len(files):
                await self._progress(claim, part + 1, message_id)
        return message_id

    # --- pruning ---------------------------------------------------------------------------

    async def prune(self) -> int:
        """Delete the rows done for longer than the retention, a batch per transaction;
        returns how many were deleted."""
        total = 0
        while True:
            async with self.rt.svc.tx() as tx:
                deleted = await tx.outbox.prune(tx.now - self.retention, PRUNE_BATCH)
                # Buttons unchanged for as long are no longer followed (bot.storage.buttons).
                deleted += await tx.keyboards.prune(tx.now - self.retention, PRUNE_BATCH)
            total += deleted
            if deleted < PRUNE_BATCH or self._stopping:
                return total
            await asyncio.sleep(0)  # let the sends and the handlers in between

    async def _prune_loop(self) -> None:
        while not self._stopping:
            try:
                deleted = await self.prune()
                if deleted:
                    log.info("pruned %s outbox rows", deleted)
            except Exception:
                log.exception("pruning the outbox failed")
            await asyncio.sleep(PRUNE_EVERY)
