"""Backups of the SQLite database: `python main.py backup FILE` and `restore FILE [--force]`.

**Backup** uses SQLite's online backup API in one step: the copy is one read snapshot of the
database, so it is consistent (every transaction in it whole, none half) while the bot goes
on writing (in WAL mode readers and writers do not wait for each other). It is written next
to FILE, checked (`PRAGMA integrity_check`), made a single self-contained file (rollback
journal mode), and only then renamed to FILE.

**Restore** copies a backup over the configured database with the same API, then applies
the migrations the backup predates. It refuses:
- while the bot runs on that database (the running bot holds `<database>.run-lock`);
- a file that is not a sound database of this bot, or one of a newer schema than this code;
- without `--force`, when the database is **newer** than the backup: its latest activity
  (the latest time written in the ledger, the outbox, deal events, the audit trail, jobs,
  bids, messages or users; at the same time, a row the backup does not have) is later than
  the backup's. A database with no such rows is never newer.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# (table, the time column of its rows): where activity is written.
ACTIVITY = (
    ("ledger_transactions", "created_at"),
    ("outbox", "created_at"),
    ("deal_events", "created_at"),
    ("audit_log", "at"),
    ("jobs", "created_at"),
    ("bids", "updated_at"),
    ("messages", "created_at"),
    ("users", "created_at"),
)


class BackupError(Exception):
    """The backup or the restore was refused or failed: the message says why."""


@dataclass(frozen=True)
class Activity:
    """When a database last changed (epoch seconds, 0 for none) and each table's last id."""

    at: int
    last_ids: dict[str, int]
    schema: int

    def newer_than(self, other: Activity) -> bool:
        if self.at != other.at:
            return self.at > other.at
        return any(i > other.last_ids.get(t, 0) for t, i in self.last_ids.items())

    def describe(self) -> str:
        if not self.at:
            return "no activity"
        stamp = datetime.fromtimestamp(self.at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        ledger = self.last_ids.get("ledger_transactions", 0)
        return f"latest activity {stamp}, ledger transaction #{ledger}"


def activity(con: sqlite3.Connection) -> Activity:
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    at, last = 0, {}
    for table, column in ACTIVITY:  # whole-table maxima: a command's reads, never the bot's
        if table not in tables:
            continue
        top, latest = con.execute(f"SELECT MAX(rowid), MAX({column}) FROM {table}").fetchone()
        if top is not None:
            last[table] = int(top)
            at = max(at, int(latest or 0))
    schema = int(con.execute("PRAGMA user_version").fetchone()[0])
    return Activity(at, last, schema)


@dataclass(frozen=True)
class Copied:
    path: str
    pages: int
    size: int
    activity: Activity


def backup(database: str, target: str) -> Copied:
    """Copy `database` (the bot may be running on it) to `target` consistently."""
    if not Path(database).exists():
        raise BackupError(f"no database at {database}")
    part = f"{target}.part"
    with contextlib.suppress(FileNotFoundError):
        os.remove(part)
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(database, timeout=30)
    dst = sqlite3.connect(part)
    try:
        src.backup(dst)  # one step: one read snapshot of the whole database
        dst.execute("PRAGMA journal_mode = DELETE")  # one file, no -wal beside it
        _check_sound(dst, part)
        pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
        done = activity(dst)
    finally:
        dst.close()
        src.close()
    os.replace(part, target)
    return Copied(target, pages, Path(target).stat().st_size, done)


def restore(source: str, database: str, latest_schema: int, *, force: bool = False) -> Copied:
    """Copy the backup `source` over `database`; see the module's docstring for refusals."""
    if not Path(source).exists():
        raise BackupError(f"no backup at {source}")
    with running_lock(database, shared=False) as free:
        if not free:
            raise BackupError(
                f"the bot is running on {database}: stop it before restoring a backup"
            )
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            _check_sound(src, source)
            incoming = activity(src)
            if incoming.schema == 0:
                raise BackupError(f"{source} is not a backup of this bot's database")
            if incoming.schema > latest_schema:
                raise BackupError(
                    f"{source} has schema {incoming.schema}, newer than this code's"
                    f" {latest_schema}: restore it with the release that made it"
                )
            if Path(database).exists():
                with contextlib.closing(sqlite3.connect(database, timeout=30)) as cur:
                    current = activity(cur)
                if current.newer_than(incoming) and not force:
                    raise BackupError(
                        f"{database} is newer than the backup ({current.describe()}; the"
                        f" backup's: {incoming.describe()}): restoring would lose that;"
                        " add --force to restore anyway"
                    )
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            dst = sqlite3.connect(database, timeout=30)
            try:
                src.backup(dst)
                pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
            finally:
                dst.close()
        finally:
            src.close()
    return Copied(database, pages, Path(database).stat().st_size, incoming)


def _check_sound(con: sqlite3.Connection, name: str) -> None:
    try:
        result = con.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{name} is not a sound SQLite database: {exc}") from None
    if result != "ok":
        raise BackupError(f"{name} fails the integrity check: {result}")


@contextlib.contextmanager
def running_lock(database: str, *, shared: bool) -> Iterator[bool]:
    """A lock on `<database>.run-lock` for as long as the block runs, never waited for
    (the block gets False when it cannot be had). Each running bot holds it shared (several
    may share a database); a restore needs it exclusive, so it cannot replace the database
    under a running bot. Released when the process ends, however it ends."""
    path = Path(f"{database}.run-lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
