"""Handling updates from the inbox: exactly once, one at a time per person, in update_id order.

Every update is stored in the inbox (bot/storage/inbox.py) before Telegram is told it
arrived (bot/intake.py); this runner handles it from there:

- **A person's turn.** A person's updates are handled by whoever holds that person's turn
  (`inbox_turns`, a lease renewed while this process lives), one at a time, oldest
  `update_id` first, whichever process or instance stored them. A turn is given back once
  the person has nothing unhandled left; one held by a process of this host that died is
  freed at start, another host's when its lease ends.
- **Exactly once.** The update is marked handled in the transaction of its handling's first
  counted write (bot/storage/db.py's write hook), so its effects and the mark commit
  together; a handling that writes nothing is marked at its end. The mark is conditional, so
  a second handling (another instance, after a lease ended) rolls its effects back. A crash
  before the mark: the update is handled again at the next start (it changed nothing yet,
  though an answer it had sent may be sent again). A crash after it: not handled again,
  never doubled; what it would have said is owed.
- **An answer owed is never silence.** The mark written with a handling's effects also
  records that its answer is owed; the handling's closing transaction (after its answers
  were sent or queued) clears that. One left owed by a handling that is over (its process
  killed between the commit and the answer, or before an answer queued after a failed
  send) is found by any runner's pass (`settle_lost`: at start and every few seconds) and
  the person is told, once cluster-wide, through the outbox (bot/services/lost_answers.py;
  README: "Webhooks and the inbox").
- **Conversation state in the database, read per update.** PTB's ConversationHandler keeps
  states in memory and its persistence reads them only at start (PTB issues #4452, #5123,
  #5225), so two processes would each act on their own stale copy. Here the flows are not
  persistent in PTB's sense: before an update is handled (holding the person's turn) this
  runner loads that person's states (the keys this update touches) and user_data from the
  database into the handlers' mappings, and writes them back with every counted write of
  the handling and at its end; after the update they are dropped from memory.
- **Fairness.** An update takes one of `concurrency` slots only once it is its person's
  turn: a person's flood (an album, 64 quick messages) waits for that person only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import Application, ConversationHandler

from bot import logs
from bot.holders import is_gone, new_name
from bot.metrics import Metrics
from bot.services import lost_answers
from bot.services.base import Services
from bot.storage.conversations import decode, encode, key_text
from bot.storage.db import Tx, forget_commits, set_write_hook
from bot.storage.inbox import LEASE, AlreadyHandled

log = logging.getLogger(__name__)

NOBODY = -(1 << 62)  # an update of no user and no chat takes a turn of its own
CONCURRENCY = 64
PRUNE_EVERY = 600.0
SETTLE_EVERY = 5.0  # seconds between looks for answers owed by handlings that are over
_live: weakref.WeakSet[InboxRunner] = weakref.WeakSet()


def person_of(update: Update) -> int:
    """Whose turn the update takes: its user's, else its chat's."""
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return NOBODY + update.update_id


@dataclass
class Saved:
    """A person's conversation state as the database holds it (JSON texts)."""

    states: dict[tuple[str, str], str] = field(default_factory=dict)  # (name, key) -> state
    user_data: str | None = None


@dataclass
class Job:
    """An update in hand: its row, the parsed update, and the person's saved state."""

    update_id: int
    update: Update | None
    keys: list[tuple[ConversationHandler, tuple[Any, ...], str]]
    saved: Saved


class UpdateMark:
    """The write hook of one update's handling (bot/storage/db.py): the first counted write
    transaction marks the update handled; every one writes the person's conversation state
    as it is now, if it changed since last written."""

    def __init__(self, runner: InboxRunner, job: Job) -> None:
        self.runner = runner
        self.job = job
        self.marked = False
        self.written = job.saved
        self._writing: Saved | None = None

    def changed(self) -> bool:
        return self.runner.snapshot(self.job, self.written) != self.written

    async def before_commit(self, tx: Tx) -> None:
        await self._write(tx, owed=True)  # the answer comes after this commit

    async def _write(self, tx: Tx, *, owed: bool) -> None:
        if not self.marked:
            await tx.inbox.mark_handled(self.job.update_id, self.runner.name, owed=owed)
        now = self.runner.snapshot(self.job, self.written)
        await write_state(tx, self.job, self.written, now)
        self._writing = now

    async def finish(self, tx: Tx) -> None:
        """The handling's end, in a transaction of the runner's own (the hook detached):
        the mark if no write made it (nothing owed: the handling is over), the state if it
        changed since, and the answer owed since an earlier mark given (sent, queued in
        the outbox, or there was none)."""
        earlier = self.marked
        if not self.marked or self.changed():
            await self._write(tx, owed=False)
        if earlier:
            await tx.inbox.answered(self.job.update_id)

    def committed(self) -> None:
        self.marked = True
        if self._writing is not None:
            self.written, self._writing = self._writing, None


async def write_state(tx: Tx, job: Job, before: Saved, now: Saved) -> None:
    """Write what changed from `before` to `now`."""
    for (name, key), state in now.states.items():
        if before.states.get((name, key)) != state:
            await tx.conversations.set_state(name, key, state)
    for name, key in before.states.keys() - now.states.keys():
        await tx.conversations.set_state(name, key, None)
    user = job.update.effective_user if job.update is not None else None
    if user is not None and now.user_data != before.user_data:
        await tx.conversations.set_user_data(user.id, now.user_data)


class InboxRunner:
    def __init__(
        self,
        app: Application,
        svc: Services,
        *,
        concurrency: int = CONCURRENCY,
        lease: int = LEASE,
        poll: float = 1.0,
        name: str | None = None,
        grace: float = 10.0,
        metrics: Metrics | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.svc = svc
        self.lease = lease
        self.poll = poll
        self.grace = grace
        self.name = name or new_name()
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._serving: dict[int, asyncio.Task[None]] = {}
        self._news: set[int] = set()  # people notified while their drain was running
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._flows: list[ConversationHandler] = []

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Free the turns of dead processes of this host, then handle what is waiting."""
        self._stopping = False
        self._flows = [
            h
            for group in self.app.handlers.values()
            for h in group
            if isinstance(h, ConversationHandler)
        ]
        _live.add(self)
        try:
            await self.recover()
        except Exception:
            log.exception("could not free the turns of dead processes")
        self._task = asyncio.create_task(self._loop(), name="inbox-runner")

    async def stop(self) -> None:
        """Finish the updates in hand (for up to `grace` seconds; the rest stay unhandled
        and are handled at the next start), then give every turn back."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        drains = list(self._serving.values())
        if drains:
            _done, pending = await asyncio.wait(drains, timeout=self.grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        try:
            async with self.svc.tx() as tx:
                await tx.inbox.drop_turns(self.name)
        except Exception:  # the leases end by themselves
            log.exception("could not give the turns back")
        _live.discard(self)

    async def recover(self) -> int:
        async with self.svc.read() as tx:
            holders = await tx.inbox.holders()
        freed = 0
        for holder in holders:
            if is_gone(holder, (r.name for r in _live)):
                async with self.svc.tx() as tx:
                    freed += await tx.inbox.drop_turns(holder)
        if freed:
            log.info("freed %s turns of processes that are gone", freed)
        return freed

    async def settle_lost(self) -> int:
        """Tell the people whose answer a handling that is over still owes (a process killed
        between a handling's commit and its answer: bot/services/lost_answers.py), once
        cluster-wide; the number told."""
        told = await lost_answers.settle(self.svc, self.name, set(self._serving))
        rt = self.app.bot_data.get("rt")
        if told and rt is not None and rt.dispatcher is not None:
            rt.dispatcher.kick()
        return told

    def notify(self, persons: Iterable[int], taken: Iterable[int] = ()) -> None:
        """New updates of these people are stored: handle them (`taken`: their turn was
        taken for this runner in the storing transaction, see `take_turns`)."""
        held = set(taken)
        for person in persons:
            self._serve(person, person in held)

    async def take_turns(self, tx: Tx, persons: Iterable[int]) -> list[int]:
        """In the transaction that stores their updates: take the turns of the people this
        runner is not handling yet (saves a transaction per update); the ones taken."""
        taken = []
        for person in persons:
            if self._stopping or person in self._serving:
                continue
            if await tx.inbox.take_turn(person, self.name, self.lease):
                taken.append(person)
        return taken

    async def run_once(self, limit: int = 1000) -> None:
        """Look for waiting people now and handle them (tests; the loop does this)."""
        await self._sweep(limit)
        await self.idle()

    async def idle(self) -> None:
        """Until no person is being handled."""
        while self._serving:
            await asyncio.gather(*self._serving.values(), return_exceptions=True)

    # -- the loop -----------------------------------------------------------------------------

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        renewed = pruned = settled = loop.time()
        first = True
        while not self._stopping:
            try:
                await self._sweep(1000 if first else 100)
                if first or loop.time() - settled >= SETTLE_EVERY:
                    settled = loop.time()  # at start (after the first sweep), then every 5 s
                    await self.settle_lost()
                first = False
                if loop.time() - renewed >= self.lease / 3:
                    renewed = loop.time()
                    async with self.svc.tx() as tx:
                        await tx.inbox.renew_turns(self.name, self.lease)
                if loop.time() - pruned >= PRUNE_EVERY:
                    pruned = loop.time()
                    await self.prune()
            except Exception:
                log.exception("inbox runner pass failed")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll)

    async def prune(self, batch: int = 1000, batches: int = 100) -> int:
        """Forget handled updates past their retention, a batch per transaction (yielding
        between them), until none is left or `batches` ran."""
        deleted = 0
        for _ in range(batches):
            async with self.svc.tx() as tx:
                n = await tx.inbox.prune(batch)
            deleted += n
            if n < batch:
                break
            await asyncio.sleep(0)
        return deleted

    async def _sweep(self, limit: int) -> None:
        """Start on the people whose updates wait with no live holder (another process died,
        a start after a crash, an update stored while its turn was being given back)."""
        async with self.svc.read() as tx:
            persons = await tx.inbox.waiting(self.name, limit)
        self.notify(p for p in persons if p not in self._serving)

    def _serve(self, person: int, held: bool = False) -> None:
        if self._stopping:
            return
        if person in self._serving:
            self._news.add(person)
            return
        self._serving[person] = asyncio.get_running_loop().create_task(
            self._drain(person, held), name=f"inbox-person-{person}"
        )

    async def _drain(self, person: int, held: bool) -> None:
        """Hold the person's turn and handle their updates, oldest first, until none is
        left: the last one's closing transaction gives the turn back."""
        try:
            while not self._stopping:
                self._news.discard(person)
                if not held:
                    async with self.svc.tx() as tx:
                        if not await tx.inbox.take_turn(person, self.name, self.lease):
                            return  # another process holds it: it handles them
                held = True
                released = False
                while not self._stopping and not released:
                    job = await self._next(person)
                    if job is None:  # none left (or the turn was lost)
                        async with self.svc.tx() as tx:
                            released = await tx.inbox.release_turn(person, self.name)
                            held = released or await tx.inbox.holds_turn(person, self.name)
                        if not held:
                            return  # lost to another process (our lease ended): it goes on
                        continue
                    async with self._slots:
                        # A task of its own: the update's ContextVars (commits, the write
                        # hook, answered queries, its language) start afresh.
                        handling = asyncio.create_task(
                            self._handle(person, job), name=f"update-{job.update_id}"
                        )
                        released = await handling
                if self._stopping or person not in self._news:
                    return
                held = False
        except Exception:
            log.exception("handling the updates of %s failed; the sweep tries again", person)
        finally:
            self._serving.pop(person, None)

    async def _next(self, person: int) -> Job | None:
        """The person's oldest unhandled update, parsed, with their saved state."""
        async with self.svc.read() as tx:
            row = await tx.inbox.next_for(person, self.name)
            if row is None:
                return None
            job = self._parse(int(row["update_id"]), row["payload"])
            if job.update is not None:
                job.saved = await self._load(tx, job)
        return job

    def _parse(self, update_id: int, payload: str) -> Job:
        try:
            update: Update | None = Update.de_json(json.loads(payload), self.app.bot)
        except Exception:
            log.exception("update %s cannot be read; it is marked handled", update_id)
            update = None
        keys = []
        if update is not None:
            for h in self._flows:
                key = _flow_key(h, update)
                if key is not None:
                    keys.append((h, key, key_text(key)))
        return Job(update_id, update, keys, Saved())

    async def _load(self, tx: Tx, job: Job) -> Saved:
        saved = Saved()
        by_key: dict[str, list[str]] = {}
        for h, _key, text in job.keys:
            by_key.setdefault(text, []).append(str(h.name))
        for text, names in by_key.items():
            for name, state in (await tx.conversations.states(names, text)).items():
                saved.states[(name, text)] = state
        user = job.update.effective_user if job.update is not None else None
        if user is not None:
            saved.user_data = await tx.conversations.user_data(user.id)
        return saved

    # -- one update -----------------------------------------------------------------------------

    async def _handle(self, person: int, job: Job) -> bool:
        """Handle one update; whether its closing transaction gave the person's turn back
        (nothing of theirs was left unhandled)."""
        forget_commits()
        mark = UpdateMark(self, job)
        set_write_hook(mark)
        try:
            if job.update is not None:
                self._put(job)
                try:
                    await self._process(job.update)
                except Exception:
                    log.exception("update %s failed", job.update_id)
            set_write_hook(None)
            # The closing transaction: the mark if nothing wrote it, the state if it changed
            # after the last write, and the turn back if this was the person's last update.
            # The turn is locked first, as intake locks it before storing (bot/storage/inbox.py).
            async with self.svc.tx() as tx:
                await tx.inbox.lock_turns((person,))
                await mark.finish(tx)
                released = await tx.inbox.release_turn(person, self.name)
            mark.committed()
            return released
        except AlreadyHandled:
            log.warning("update %s was handled elsewhere; this handling rolled back", job.update_id)
            return False
        finally:
            set_write_hook(None)
            self._evict(job)

    async def _process(self, update: Update) -> None:
        """Hand the update to PTB's handlers, counted by kind and outcome (bot.metrics), this
        task's log lines bound to it (bot.logs)."""
        user = update.effective_user
        logs.bind(update=update.update_id, user=user.id if user is not None else None)
        metrics = self.metrics
        if metrics is None:
            await self.app.process_update(update)
            return
        holder = metrics.start_update()
        start = time.perf_counter()
        try:
            await self.app.process_update(update)
        finally:
            metrics.update_done(update, holder, time.perf_counter() - start)

    def _put(self, job: Job) -> None:
        """The saved state into the handlers' mappings, replacing whatever memory held."""
        assert job.update is not None
        for h, key, text in job.keys:
            state = job.saved.states.get((str(h.name), text))
            if state is None:
                h._conversations.pop(key, None)
            else:
                h._conversations[key] = decode(state, f"state of conversation {h.name}")
        user = job.update.effective_user
        if user is not None:
            data = decode(job.saved.user_data, f"user_data of {user.id}")
            self.app._user_data[user.id] = data if isinstance(data, dict) else {}

    def snapshot(self, job: Job, last: Saved) -> Saved:
        """The person's state in memory now, as JSON texts (`last`'s where it cannot be)."""
        now = Saved()
        if job.update is None:
            return last
        for h, key, text in job.keys:
            state = h._conversations.get(key)
            if state is None:
                continue
            try:
                now.states[(str(h.name), text)] = encode(state, f"state of {h.name}")
            except TypeError:
                log.exception("state of conversation %s is not stored", h.name)
                if (str(h.name), text) in last.states:
                    now.states[(str(h.name), text)] = last.states[(str(h.name), text)]
        user = job.update.effective_user
        if user is not None:
            data = self.app._user_data.get(user.id)
            try:
                now.user_data = encode(data, f"user_data of {user.id}") if data else None
            except TypeError:
                log.exception("user_data of %s is not stored", user.id)
                now.user_data = last.user_data
        return now

    def _evict(self, job: Job) -> None:
        """Memory holds no one's state between their updates: the database is the copy."""
        for h, key, _text in job.keys:
            h._conversations.pop(key, None)
        user = job.update.effective_user if job.update is not None else None
        if user is not None:
            self.app._user_data.pop(user.id, None)


def _flow_key(h: ConversationHandler, update: Update) -> tuple[Any, ...] | None:
    """The key `h` consults for `update` (None when it does not look at this update), by
    the conditions of ConversationHandler.check_update."""
    if update.channel_post or update.edited_channel_post:
        return None
    if h.per_chat and update.effective_chat is None:
        return None
    if h.per_user and update.effective_user is None:
        return None
    if h.per_message and update.callback_query is None:
        return None
    if update.callback_query and h.per_chat and not update.callback_query.message:
        return None
    return h._get_key(update)
