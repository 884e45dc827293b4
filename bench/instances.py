"""The bot in processes of its own, by webhook, for `bench/e2e.py --instances N`.

- A worker, `python bench/instances.py worker DATABASE_URL BASE_URL PORT POOL`, is the bot as
  `python main.py run` runs it (`bot.app.serve`: signals, start, stop) in webhook mode at
  http://127.0.0.1:PORT/telegram, with DATABASE_POOL_SIZE=POOL and its one send budget
  unpaced (`outbox_rate=0`, as the throughput runs of bench/e2e.py).
- `Instances` starts N workers, waits for each one's setWebhook, and points the Bot API
  server's webhook delivery at them in turn (sandbox/webhooks.py `balance`: round robin,
  one chat's updates one at a time, different chats' concurrently), as a load balancer in
  front of several instances would. Telegram allows one getUpdates poller a bot, so several
  instances take updates by webhook.
- `PgServer`: fresh databases on the server that `--database-url` names (its role needs
  CREATEDB): a seed (migrated, with the people and jobs of the setup) and a clone of it for
  each run (CREATE DATABASE ... TEMPLATE), all dropped at the end.
- `Cpu`: CPU seconds (user + system) of processes from /proc/<pid>/stat: the workers, the
  Bot API server's process, and the PostgreSQL backends serving the run's database
  (pg_stat_activity; a backend is a process of its own, so its CPU is the database's work
  for that connection). The server's own background processes (WAL writer, checkpointer,
  ...) serve every database on it and are counted apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.botsim import TOKEN, ServerProcess  # noqa: E402

SECRET = "bench-webhook-secret"
HERE = Path(__file__).resolve()
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


# --- the worker ----------------------------------------------------------------------------


def worker_main(argv: list[str]) -> None:
    import logging

    url, base_url, port, pool = argv
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from bot import app as bot_app
    from bot.config import Settings

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        bot_token=TOKEN,
        bot_api_base_url=base_url,
        database_url=url,
        database_pool_size=int(pool),
        webhook_url=f"http://127.0.0.1:{port}/telegram",
        webhook_listen=f"127.0.0.1:{port}",
        webhook_secret=SECRET,
        # Unpaced as a whole: a send budget shared by the instances (where the code has one)
        # would cap every configuration at Telegram's 30 a second.
        send_budget="local",
    )
    app = bot_app.build_application(settings, outbox_rate=0.0, freeze_heap=True)
    profile = os.environ.get("BENCH_PROFILE")  # a directory: a cProfile of each process there
    if not profile:
        asyncio.run(bot_app.serve(app))
        return
    import cProfile

    with cProfile.Profile(timer=time.process_time) as prof:
        asyncio.run(bot_app.serve(app))
    prof.dump_stats(str(Path(profile) / f"worker-{port}-{os.getpid()}.prof"))


# --- the instances -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    """A process of its own, its stderr into `log` (a bot process starts in well under a
    second of this one's time: blocking here is fine)."""
    with log.open("wb") as err:
        return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)


@dataclass
class Worker:
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    def tail(self) -> str:
        try:
            return self.log.read_text()[-2000:]
        except OSError:
            return ""


@dataclass
class Instances:
    """N bot processes on one database, the server delivering to them in turn."""

    server: ServerProcess
    url: str
    count: int
    pool: int
    logdir: Path
    workers: list[Worker] = field(default_factory=list)

    async def start(self, timeout: float = 60.0) -> None:  # noqa: ASYNC109
        """One after another (the first migrates, if it must, before the others connect),
        each until its setWebhook; a port taken meanwhile by someone else: another port."""
        for _ in range(self.count):
            for attempt in range(3):
                calls = await self.server.call("calls", "setWebhook")
                port = free_port()
                log = self.logdir / f"worker-{port}.log"
                args = [sys.executable, str(HERE), "worker"]
                args += [self.url, self.server.base_url, str(port), str(self.pool)]
                worker = Worker(port, spawn(args, log), log)
                self.workers.append(worker)
                try:
                    await self._until_webhook(worker, calls + 1, timeout)
                    break
                except RuntimeError:
                    self.workers.remove(worker)
                    if "address already in use" not in worker.tail() or attempt == 2:
                        raise
        urls = [f"http://127.0.0.1:{w.port}/telegram" for w in self.workers]
        await self.server.call("balance", urls)

    async def _until_webhook(self, w: Worker, calls: int, timeout: float) -> None:  # noqa: ASYNC109
        end = time.monotonic() + timeout
        while await self.server.call("calls", "setWebhook") < calls:
            if w.proc.poll() is not None:
                raise RuntimeError(f"a bot process exited at start:\n{w.tail()}")
            if time.monotonic() > end:
                w.proc.kill()
                raise RuntimeError("a bot process did not set its webhook in time")
            await asyncio.sleep(0.1)

    @property
    def pids(self) -> list[int]:
        return [w.proc.pid for w in self.workers]

    async def stop(self) -> list[str]:
        """SIGTERM to each (the bot stops in order), then wait; what went wrong, if anything."""
        for w in self.workers:
            if w.proc.poll() is None:
                w.proc.send_signal(signal.SIGTERM)
        problems = []
        loop = asyncio.get_running_loop()
        for w in self.workers:
            try:
                code = await loop.run_in_executor(None, w.proc.wait, 30)
            except subprocess.TimeoutExpired:
                w.proc.kill()
                code = await loop.run_in_executor(None, w.proc.wait, 10)
                problems.append(f"instance on port {w.port} did not stop in 30 s")
            if code != 0:
                problems.append(f"instance on port {w.port} exited {code}: {w.tail()[-300:]}")
        self.workers.clear()
        return problems


# --- PostgreSQL ----------------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


class PgServer:
    """Databases made for the run on one server, and what the server says about them."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.conn: Any = None
        self.made: list[str] = []

    async def open(self) -> PgServer:
        import asyncpg

        self.conn = await asyncpg.connect(self.admin_url, timeout=10)
        return self

    def url(self, name: str) -> str:
        return with_database(self.admin_url, name)

    async def create(self, name: str, template: str | None = None) -> str:
        if template is None:  # as tests/pg.py makes its template: UTF-8, C collation
            how = "TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
        else:
            how = f'TEMPLATE "{template}"'
        await self.conn.execute(f'CREATE DATABASE "{name}" {how}')
        self.made.append(name)
        return self.url(name)

    async def drop(self, name: str) -> None:
        await self.conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid() AND usename = current_user",
            name,
        )
        await self.conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        with contextlib.suppress(ValueError):
            self.made.remove(name)

    async def backends(self, name: str) -> list[int]:
        rows = await self.conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", name)
        return [r["pid"] for r in rows]

    async def background(self) -> list[int]:
        """The server's own processes (no database): WAL writer, checkpointer, ..."""
        rows = await self.conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname IS NULL")
        return [r["pid"] for r in rows]

    async def transactions(self, name: str) -> int:
        """Commits and rollbacks of the database (as flushed: a backend reports at the end of
        a transaction at most once a second, and when it exits)."""
        await self.conn.execute("SELECT pg_stat_clear_snapshot()")
        value = await self.conn.fetchval(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1", name
        )
        return int(value or 0)

    async def close(self) -> None:
        for name in list(self.made):
            with contextlib.suppress(Exception):
                await self.drop(name)
        if self.conn is not None:
            await self.conn.close()


# --- CPU -----------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process so far; None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            rest = fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(rest[11]) + int(rest[12])) / TICKS


def cpu_of(pids: list[int]) -> dict[int, float]:
    out = {}
    for pid in pids:
        seconds = cpu_seconds(pid)
        if seconds is not None:
            out[pid] = seconds
    return out


@dataclass
class CpuSample:
    bots: dict[int, float]
    sim: dict[int, float]
    pg: dict[int, float] = field(default_factory=dict)
    pg_server: dict[int, float] = field(default_factory=dict)
    at: float = field(default_factory=time.perf_counter)


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two samples; a process born in between counts in full (a pooled
    connection opened under the load), one gone in between is lost (none are, here)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


class Cpu:
    """Samples of the CPU of the bot processes, the server's process and PostgreSQL's."""

    def __init__(self, server: ServerProcess, pg: PgServer | None, database: str | None) -> None:
        self.server = server
        self.pg = pg
        self.database = database

    async def sample(self, instances: Instances) -> CpuSample:
        sample = CpuSample(bots=cpu_of(instances.pids), sim=cpu_of([self.server.process.pid]))
        if self.pg is not None and self.database is not None:
            sample.pg = cpu_of(await self.pg.backends(self.database))
            sample.pg_server = cpu_of(await self.pg.background())
        return sample

    @staticmethod
    def between(a: CpuSample, b: CpuSample) -> dict[str, float]:
        return {
            "bots": spent(a.bots, b.bots),
            "sim": spent(a.sim, b.sim),
            "pg": spent(a.pg, b.pg),
            "pg_server": spent(a.pg_server, b.pg_server),
            "wall": b.at - a.at,
        }


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        worker_main(sys.argv[2:])
    else:
        raise SystemExit("usage: python bench/instances.py worker DATABASE_URL BASE_URL PORT POOL")
