"""The loopback Bot API server in a process of its own, with the simulated people inside it.

The benchmark process starts `ServerProcess` (multiprocessing, spawn) and talks to it over a
pipe; the bot, in the benchmark process, long-polls the server over HTTP on 127.0.0.1 like a
bot polls Telegram (or, bench/instances.py, runs in processes of its own that the server
posts updates to by webhook). Commands (each answered with one reply):

    ("users", clients, freelancers)  register the people (they have started the bot)
    ("chats", [(chat_id, type), ...])  groups and channels the bot is in
    ("load", LoadSpec as dict)        run the load; answers the measurements
    ("commands", CommandSpec as dict) people typing one command at a steady rate
    ("stats", since)                  the server's counters (calls, 429s, send times)
    ("calls", method)                 how many calls of `method` were answered 200
    ("balance", urls)                 deliver webhooks to these URLs in turn (bench/instances.py)
    ("stop",)                         end the process

Latency is measured here, in the server: from the moment getUpdates hands an update out (by
webhook: its POST starts), and separately from the moment the update was created, to the
first bot message in that chat that answers it (a predicate per update tells the reply from
notifications that land in the same chat), or to answerPreCheckoutQuery for a pre-checkout
query.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import multiprocessing as mp
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sandbox.botapi import BotApiServer, CallRecord, SimMessage, SimUser

TOKEN = "424242:BENCH"
Predicate = Callable[[SimMessage], bool]
SEND_METHODS = {"sendMessage", "sendInvoice", "sendDocument", "sendPhoto"}


@dataclass
class LoadSpec:
    """One run of load. `script` is "market" (the marketplace's commands, ids parsed from its
    replies) or "echo" (the same updates for a bot that only echoes)."""

    script: str
    jobs: dict[int, list[int]] = field(default_factory=dict)  # client -> job ids to use
    bidders: dict[int, list[int]] = field(default_factory=dict)  # client -> their freelancers
    lifecycles: int = 100  # lifecycles in all (spread over the clients)
    bids_per_job: int = 3
    rate: float = 0.0  # updates a second offered (0: as fast as the bot answers)
    timeout: float = 60.0  # per awaited reply
    seed: int = 1


@dataclass
class Waiter:
    chat_id: int
    predicate: Predicate
    future: asyncio.Future
    update_id: int | None = None


class BenchServer(BotApiServer):
    """BotApiServer plus the bookkeeping the benchmarks need."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.created: dict[int, float] = {}
        self.handed: dict[int, float] = {}
        self.precheckout_update: dict[str, int] = {}
        self.latency_handout: list[float] = []
        self.latency_created: list[float] = []
        self.answered = 0
        self.first_push: float | None = None
        self.last_answer: float | None = None
        self.waiters: dict[int, list[Waiter]] = {}
        self.status_counts: dict[int, int] = {}
        self.send_times: list[float] = []
        self.method_counts: dict[str, int] = {}
        self.keep_records = True
        # By webhook (bench/instances.py), an update is handed out when its POST starts.
        deliver = self.webhooks._deliver

        async def handed_out(update: dict) -> None:
            self.handed.setdefault(update["update_id"], time.perf_counter())
            await deliver(update)

        self.webhooks._deliver = handed_out  # type: ignore[method-assign]

    # -- updates in and out --------------------------------------------------------------
    def push_update(self, kind: str, obj: dict) -> int:
        update_id = super().push_update(kind, obj)
        now = time.perf_counter()
        self.created[update_id] = now
        if self.first_push is None:
            self.first_push = now
        if kind == "pre_checkout_query":
            self.precheckout_update[obj["id"]] = update_id
        return update_id

    async def _m_get_updates(self, p: Any) -> list[dict]:
        batch = await super()._m_get_updates(p)
        now = time.perf_counter()
        for update in batch:
            self.handed.setdefault(update["update_id"], now)
        return batch

    def _answered(self, update_id: int, now: float) -> None:
        handed = self.handed.get(update_id, self.created.get(update_id, now))
        self.latency_handout.append(now - handed)
        self.latency_created.append(now - self.created.get(update_id, now))
        self.answered += 1
        self.last_answer = now

    # -- the bot's answers -----------------------------------------------------------------
    def _log_bot_message(self, kind: str, msg: SimMessage) -> None:
        super()._log_bot_message(kind, msg)
        waiting = self.waiters.get(msg.chat_id)
        if not waiting:
            return
        now = time.perf_counter()
        for waiter in list(waiting):
            if waiter.future.done():
                waiting.remove(waiter)
                continue
            try:
                hit = waiter.predicate(msg)
            except Exception:
                hit = False
            if hit:
                waiting.remove(waiter)
                if waiter.update_id is not None:
                    self._answered(waiter.update_id, now)
                waiter.future.set_result(msg)

    def _m_answer_pre_checkout_query(self, p: Any) -> bool:
        query_id = p.str("pre_checkout_query_id") or ""
        result = super()._m_answer_pre_checkout_query(p)
        update_id = self.precheckout_update.pop(query_id, None)
        if update_id is not None:
            self._answered(update_id, time.perf_counter())
        return result

    def _add_record(self, record: CallRecord) -> None:
        self.status_counts[record.status] = self.status_counts.get(record.status, 0) + 1
        if record.status == 200:
            self.method_counts[record.method] = self.method_counts.get(record.method, 0) + 1
        if record.status == 200 and record.method in SEND_METHODS:
            self.send_times.append(time.monotonic())
        if self.keep_records and record.method != "getUpdates":
            super()._add_record(record)
        else:
            self._bump_log()

    # -- acting for the simulated people ---------------------------------------------------
    def expect(self, chat_id: int, predicate: Predicate, update_id: int | None = None) -> Waiter:
        waiter = Waiter(chat_id, predicate, asyncio.get_running_loop().create_future(), update_id)
        self.waiters.setdefault(chat_id, []).append(waiter)
        return waiter

    async def say(self, user: SimUser, text: str, predicate: Predicate, wait: float) -> Any:
        """The person sends `text`; returns the bot's answer (the first message matching)."""
        msg = self._user_text(user, text, None, None)
        update_id = next(reversed(self.created))  # the update just pushed for it
        del msg
        waiter = self.expect(user.id, predicate, update_id)
        return await asyncio.wait_for(waiter.future, wait)

    async def pay(
        self,
        user: SimUser,
        data: dict,
        predicate: Predicate,
        wait: float,
        slot: Callable[[], Awaitable[None]] | None = None,
    ) -> SimMessage:
        """Pre-checkout (answered by the bot), then the successful payment and its answer;
        `slot` is awaited before each of the two updates (the pacing)."""
        if slot is not None:
            await slot()
        _query_id, future = self._push_pre_checkout(user, data)
        answer = await asyncio.wait_for(future, wait)
        if not answer["ok"]:
            raise LoadError(f"pre-checkout refused: {answer.get('error_message')}")
        if slot is not None:
            await slot()
        self._successful_payment(
            user, user.id, data["payload"], data["total_amount"], data["currency"], None
        )
        update_id = next(reversed(self.created))
        waiter = self.expect(user.id, predicate, update_id)
        return await asyncio.wait_for(waiter.future, wait)

    async def wait_message(self, chat_id: int, predicate: Predicate, wait: float) -> SimMessage:
        """A bot message that answers no update of its own (a notification, an invoice)."""
        for _kind, snap in self._log.get(chat_id, []):
            if predicate(snap):
                return snap
        return await asyncio.wait_for(self.expect(chat_id, predicate).future, wait)

    def reset_measurements(self) -> None:
        self.latency_handout.clear()
        self.latency_created.clear()
        self.answered = 0
        self.first_push = self.last_answer = None
        self.created.clear()
        self.handed.clear()
        self.waiters.clear()
        self._log.clear()
        self.call_records.clear()
        for chat in self.chats.values():
            chat.messages.clear()


class LoadError(RuntimeError):
    pass


# --- the load ------------------------------------------------------------------------------


class Pacer:
    """Hands out send slots `1/rate` seconds apart (rate 0: no pacing)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next = 0.0

    async def slot(self) -> None:
        if not self.interval:
            return
        now = time.perf_counter()
        at = max(now, self.next)
        self.next = at + self.interval
        if at > now:
            await asyncio.sleep(at - now)


def text_has(*parts: str) -> Predicate:
    return lambda m: all(part in m.text for part in parts)


def regex(pattern: str) -> Predicate:
    compiled = re.compile(pattern)
    return lambda m: compiled.search(m.text) is not None


class Load:
    def __init__(self, server: BenchServer, spec: LoadSpec) -> None:
        self.server = server
        self.spec = spec
        self.pacer = Pacer(spec.rate)
        self.rng = random.Random(spec.seed)
        self.failures: list[str] = []
        self.completed = 0
        self.fake_ids = itertools.count(1)

    async def act(self, user_id: int, text: str, predicate: Predicate) -> SimMessage:
        await self.pacer.slot()
        user = self.server.users[user_id]
        return await self.server.say(user, text, predicate, self.spec.timeout)

    async def bidder(self, freelancer: int, job_id: int, amount: int) -> int:
        echo = self.spec.script == "echo"
        await self.act(
            freelancer,
            f"/job {job_id}",
            (lambda m: True) if echo else text_has(f"Job #{job_id}", "Budget"),
        )
        msg = await self.act(
            freelancer,
            f"/bid {job_id} {amount} {self.rng.randint(1, 30)} I have done this many times.",
            (lambda m: True) if echo else regex(rf"Bid #\d+ on Job #{job_id} is placed"),
        )
        if echo:
            return next(self.fake_ids)
        found = re.search(r"Bid #(\d+)", msg.text)
        assert found is not None
        return int(found.group(1))

    async def lifecycle(self, client: int, job_id: int, bidders: list[int]) -> None:
        echo = self.spec.script == "echo"
        amounts = [self.rng.randint(50, 500) for _ in bidders]
        bid_ids = await asyncio.gather(
            *(self.bidder(f, job_id, a) for f, a in zip(bidders, amounts, strict=True))
        )
        chosen = self.rng.randrange(len(bidders))
        msg = await self.act(
            client,
            f"/accept {bid_ids[chosen]}",
            (lambda m: True) if echo else regex(r"Deal #\d+ created"),
        )
        if echo:
            deal_id = next(self.fake_ids)
            data = {"currency": "XTR", "total_amount": amounts[chosen], "payload": f"d{deal_id}"}
        else:
            found = re.search(r"Deal #(\d+)", msg.text)
            assert found is not None
            deal_id = int(found.group(1))
            invoice = await self.server.wait_message(
                client,
                lambda m: m.kind == "invoice" and m.text.startswith(f"Deal #{deal_id}\n"),
                self.spec.timeout,
            )
            data = invoice.invoice_data
        await self.server.pay(
            self.server.users[client],
            data,
            (lambda m: True) if echo else text_has(f"Deal #{deal_id} is funded"),
            self.spec.timeout,
            self.pacer.slot,
        )
        await self.act(
            bidders[chosen],
            f"/deliver {deal_id} The work is done, see the link in the description.",
            (lambda m: True) if echo else text_has(f"Deal #{deal_id} is delivered"),
        )
        await self.act(
            client,
            f"/release {deal_id}",
            (lambda m: True) if echo else text_has(f"Deal #{deal_id} is complete"),
        )
        self.completed += 1

    async def client_loop(self, client: int, count: int) -> None:
        jobs = self.spec.jobs.get(client, [])
        pool = self.spec.bidders[client]
        for n in range(count):
            job_id = jobs[n] if n < len(jobs) else 1_000_000 + next(self.fake_ids)
            start = (n * self.spec.bids_per_job) % len(pool)
            bidders = [pool[(start + i) % len(pool)] for i in range(self.spec.bids_per_job)]
            try:
                await self.lifecycle(client, job_id, bidders)
            except (TimeoutError, LoadError, AssertionError) as exc:
                self.failures.append(f"client {client} job {job_id}: {type(exc).__name__} {exc}")

    async def run(self) -> dict[str, Any]:
        clients = list(self.spec.bidders)
        per, extra = divmod(self.spec.lifecycles, len(clients))
        counts = [per + (1 if i < extra else 0) for i in range(len(clients))]
        self.server.reset_measurements()
        start = time.perf_counter()
        await asyncio.gather(
            *(self.client_loop(c, k) for c, k in zip(clients, counts, strict=True) if k)
        )
        end = time.perf_counter()
        s = self.server
        first = s.first_push or start
        last = s.last_answer or end
        return {
            "script": self.spec.script,
            "rate": self.spec.rate,
            "lifecycles": self.completed,
            "updates": s.answered,
            "seconds": last - first,
            "wall": end - start,
            "latency_handout": list(s.latency_handout),
            "latency_created": list(s.latency_created),
            "failures": self.failures[:10],
            "failed": len(self.failures),
        }


@dataclass
class CommandSpec:
    """People (round robin) each typing `text` at `rate` a second in all, for `seconds`;
    the answer is the first message in their chat containing `expect`."""

    users: list[int] = field(default_factory=list)
    text: str = "/balance"
    expect: str = "Your balance"
    rate: float = 20.0
    seconds: float = 10.0
    timeout: float = 30.0


async def run_commands(server: BenchServer, spec: CommandSpec) -> dict[str, Any]:
    server.reset_measurements()
    pacer = Pacer(spec.rate)
    failures: list[str] = []

    async def one(uid: int) -> None:
        try:
            await server.say(server.users[uid], spec.text, text_has(spec.expect), spec.timeout)
        except TimeoutError:
            failures.append(f"{uid}: no answer within {spec.timeout:g}s")

    tasks = []
    count = max(1, int(spec.rate * spec.seconds))
    start = time.perf_counter()
    for n in range(count):
        await pacer.slot()
        tasks.append(asyncio.create_task(one(spec.users[n % len(spec.users)])))
    await asyncio.gather(*tasks)
    return {
        "sent": count,
        "seconds": time.perf_counter() - start,
        "latency_handout": list(server.latency_handout),
        "latency_created": list(server.latency_created),
        "failed": len(failures),
        "failures": failures[:10],
    }


# --- the process ---------------------------------------------------------------------------


def _serve(conn: Any, flood_control: bool, keep_records: bool) -> None:
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_main(conn, flood_control, keep_records))


async def _main(conn: Any, flood_control: bool, keep_records: bool) -> None:
    server = BenchServer(token=TOKEN, bot_username="bench_bot", flood_control=flood_control)
    server.keep_records = keep_records
    await server.start()
    conn.send(("ready", server.base_url))
    loop = asyncio.get_running_loop()
    try:
        while True:
            cmd, *args = await loop.run_in_executor(None, conn.recv)
            if cmd == "stop":
                conn.send(("ok",))
                break
            if cmd == "users":
                for uid in args[0]:
                    server.add_user(uid, f"Client {uid}", username=f"c{uid}", started=True)
                for uid in args[1]:
                    server.add_user(uid, f"Freelancer {uid}", username=f"f{uid}", started=True)
                conn.send(("ok",))
            elif cmd == "calls":
                conn.send(("ok", server.method_counts.get(args[0], 0)))
            elif cmd == "balance":
                server.webhooks.balance(args[0])
                conn.send(("ok",))
            elif cmd == "chats":
                for chat_id, kind in args[0]:
                    server.add_chat(int(chat_id), kind)
                conn.send(("ok",))
            elif cmd == "commands":
                conn.send(("ok", await run_commands(server, CommandSpec(**args[0]))))
            elif cmd == "load":
                spec = LoadSpec(**args[0])
                spec.jobs = {int(k): v for k, v in spec.jobs.items()}
                spec.bidders = {int(k): v for k, v in spec.bidders.items()}
                conn.send(("ok", await Load(server, spec).run()))
            elif cmd == "stats":
                since = args[0] if args else 0.0
                conn.send(
                    (
                        "ok",
                        {
                            "status_counts": dict(server.status_counts),
                            "send_times": [t for t in server.send_times if t >= since],
                            "monotonic": time.monotonic(),
                        },
                    )
                )
            else:
                conn.send(("error", f"unknown command {cmd}"))
    finally:
        with contextlib.suppress(Exception):
            await server.stop()


class ServerProcess:
    """The server's process and its pipe, from the benchmark's side."""

    def __init__(self, flood_control: bool = False, keep_records: bool = True) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_serve, args=(child, flood_control, keep_records), daemon=True
        )
        self.process.start()
        kind, self.base_url = self.conn.recv()
        assert kind == "ready"

    async def call(self, *command: Any) -> Any:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.conn.send, command)
        reply = await loop.run_in_executor(None, self.conn.recv)
        if reply[0] != "ok":
            raise RuntimeError(f"server process: {reply}")
        return reply[1] if len(reply) > 1 else None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.send(("stop",))
            self.conn.recv()
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)


__all__ = ["TOKEN", "BenchServer", "CommandSpec", "LoadSpec", "ServerProcess", "asdict"]
