"""Backups (issue 16): `python main.py backup FILE` while money moves, `restore FILE` refusing a
newer database without --force, and `check` passing on what was restored."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

import main
from bot.services import deals
from bot.storage.audit import ledger_problems
from bot.storage.backup import BackupError, activity, backup, restore, running_lock
from bot.storage.db import Database, _migrations
from tests import factories as f

# Backups copy the SQLite file; PostgreSQL is backed up with its own tools (pg_dump, WAL
# archiving), and `main.py backup` says so: test_backup_of_postgresql_points_to_pg_dump.
pytestmark = pytest.mark.sqlite_only

LATEST = max(n for n, _name, _sql in _migrations())
CLIENTS = range(1001, 1009)
FREELANCERS = range(2001, 2009)


@pytest.fixture
def env(monkeypatch, tmp_path):
    """The command line's environment, pointing at a database of the test's."""

    def use(path: Path) -> None:
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")

    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    monkeypatch.setenv("BOT_TOKEN", "123:TEST")
    return use


async def cli(argv: list[str]) -> int:
    """`python main.py ...` (in a thread: it runs an event loop of its own)."""
    return await asyncio.to_thread(main.main, argv)


def has_wal(path: str) -> bool:
    return os.path.exists(path + "-wal")


def counts(path: Path) -> dict[str, int]:
    con = sqlite3.connect(path)
    try:
        return {
            t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("deals", "ledger_transactions", "ledger_entries", "outbox")
        }
    finally:
        con.close()


async def audit_of(path: Path) -> list[str]:
    db = await Database(path).connect(migrate=False)
    try:
        async with db.read(0) as tx:
            return await ledger_problems(tx)
    finally:
        await db.close()


async def test_a_backup_taken_during_a_burst_restores_and_audits_clean(
    svc, tmp_path, env, capsys
) -> None:
    await f.people(svc, *CLIENTS, *FREELANCERS)
    done = 0
    stop = asyncio.Event()
    progressed = asyncio.Event()

    async def lifecycles(client: int, freelancer: int) -> None:
        nonlocal done
        while not stop.is_set():
            job = await f.job(svc, client)
            bid = await f.bid(svc, job.id, freelancer)
            deal = await deals.hire(svc, client, bid.id)
            await f.pay(svc, deal)
            await deals.deliver(svc, freelancer, deal.id, "done")
            await deals.release(svc, client, deal.id)
            done += 1
            progressed.set()

    async def lifecycles_done(n: int) -> None:
        while done < n:
            progressed.clear()
            await progressed.wait()

    workers = [
        asyncio.create_task(lifecycles(c, w)) for c, w in zip(CLIENTS, FREELANCERS, strict=True)
    ]
    copies = []
    try:
        for i, after in enumerate((20, 60, 120)):
            await lifecycles_done(after)
            target = tmp_path / f"backup-{i}.db"
            # In a thread, as `python main.py backup` would run beside the bot's process.
            copies.append(await asyncio.to_thread(backup, svc.db.path, str(target)))
    finally:
        stop.set()
        await asyncio.gather(*workers)
    live = counts(Path(svc.db.path))
    for copy in copies:
        got = counts(Path(copy.path))
        assert 0 < got["deals"] < live["deals"], "taken mid-burst"
        assert await audit_of(Path(copy.path)) == []
        assert not has_wal(copy.path)  # one self-contained file

    # Restored in place of a fresh database, `check` passes on it.
    restored = tmp_path / "restored" / "market.db"
    env(restored)
    assert await cli(["restore", copies[1].path]) == 0
    assert counts(restored) == counts(Path(copies[1].path))
    capsys.readouterr()
    assert await cli(["check"]) == 0
    assert capsys.readouterr().out.strip().endswith("ledger OK")


async def test_the_command_line_backup_while_the_database_is_in_use(svc, tmp_path, env, capsys):
    env(Path(svc.db.path))
    deal = await f.delivered_deal(svc)
    await deals.release(svc, f.CLIENT, deal.id)
    assert await cli(["backup", str(tmp_path / "copies" / "one.db")]) == 0
    out = capsys.readouterr().out
    assert "written to" in out and f"schema {LATEST}" in out and "latest activity" in out
    assert counts(tmp_path / "copies" / "one.db")["deals"] == 1
    assert not (tmp_path / "copies" / "one.db.part").exists()


async def test_restore_refuses_a_newer_database_without_force(svc, tmp_path, env, capsys):
    path = Path(svc.db.path)
    env(path)
    await f.funded_deal(svc)
    copy = backup(str(path), str(tmp_path / "before.db"))
    newer = await f.job(svc, f.CLIENT, title="Posted after the backup")
    await svc.db.close()  # the bot is stopped for a restore

    assert await cli(["restore", copy.path]) == 1
    err = capsys.readouterr().err
    assert "is newer than the backup" in err and "--force" in err
    async with Database(path) as db, db.read(0) as tx:
        assert (await tx.jobs.get(newer.id)) is not None  # nothing was touched

    assert await cli(["restore", copy.path, "--force"]) == 0
    async with Database(path) as db, db.read(0) as tx:
        assert (await tx.jobs.get(newer.id)) is None
        assert await ledger_problems(tx) == []
    # The same backup again: the database is not newer than it now.
    assert await cli(["restore", copy.path]) == 0
    await svc.db.connect()  # for the fixture's closing audit


async def test_restore_refuses_under_a_running_bot_and_what_is_no_backup(svc, tmp_path) -> None:
    path = str(svc.db.path)
    copy = backup(path, str(tmp_path / "copy.db"))
    with running_lock(path, shared=True) as mine:  # what `python main.py run` holds
        assert mine
        with pytest.raises(BackupError, match="the bot is running"):
            restore(copy.path, path, LATEST, force=True)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(BackupError, match="not a sound SQLite database"):
        restore(str(junk), str(tmp_path / "x.db"), LATEST)
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(BackupError, match="not a backup of this bot"):
        restore(str(empty), str(tmp_path / "x.db"), LATEST)
    with pytest.raises(BackupError, match="newer than this code's"):
        restore(copy.path, str(tmp_path / "x.db"), LATEST - 1)
    with pytest.raises(BackupError, match="no backup at"):
        restore(str(tmp_path / "missing.db"), path, LATEST)
    with pytest.raises(BackupError, match="no database at"):
        backup(str(tmp_path / "missing.db"), str(tmp_path / "y.db"))


def test_newer_means_later_activity_or_rows_the_backup_lacks(tmp_path) -> None:
    def db(name: str, rows: list[tuple[int, int]]) -> sqlite3.Connection:
        con = sqlite3.connect(tmp_path / name)
        con.execute("CREATE TABLE ledger_transactions (id INTEGER PRIMARY KEY, created_at INT)")
        con.executemany("INSERT INTO ledger_transactions VALUES (?, ?)", rows)
        return con

    old = activity(db("a.db", [(1, 100), (2, 200)]))
    same = activity(db("b.db", [(1, 100), (2, 200)]))
    later = activity(db("c.db", [(1, 100), (2, 300)]))
    more = activity(db("d.db", [(1, 100), (2, 200), (3, 200)]))
    nothing = activity(db("e.db", []))
    assert not same.newer_than(old) and not old.newer_than(same)
    assert later.newer_than(old) and not old.newer_than(later)
    assert more.newer_than(old)
    assert not nothing.newer_than(old) and old.newer_than(nothing)


async def test_backup_of_postgresql_points_to_pg_dump(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "postgresql://market:secret@db:5432/market")
    assert await cli(["backup", str(tmp_path / "x.db")]) == 2
    out = capsys.readouterr().out
    assert "pg_dump" in out and "point-in-time recovery" in out
    assert out.count("\n") == 1  # one line
    assert not (tmp_path / "x.db").exists()
    assert await cli(["restore", str(tmp_path / "x.db")]) == 2


def test_a_backup_is_a_copy_not_the_file(tmp_path) -> None:
    """(The copy is made through SQLite, not by copying the file, whose WAL would be left
    behind: shutil.copy of a live WAL database loses the last transactions.)"""
    src = tmp_path / "live.db"
    con = sqlite3.connect(src, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA wal_autocheckpoint = 0")
    con.execute("CREATE TABLE ledger_transactions (id INTEGER PRIMARY KEY, created_at INT)")
    con.execute("INSERT INTO ledger_transactions VALUES (1, 5)")
    naive = tmp_path / "naive.db"
    shutil.copy(src, naive)  # the WAL holds the rows; the main file does not yet
    assert sqlite3.connect(naive).execute("SELECT name FROM sqlite_master").fetchall() == []
    backup(str(src), str(tmp_path / "good.db"))
    good = sqlite3.connect(tmp_path / "good.db")
    assert good.execute("SELECT * FROM ledger_transactions").fetchall() == [(1, 5)]
    con.close()


def test_a_bot_on_postgresql_takes_no_file_lock(monkeypatch, tmp_path) -> None:
    """The run lock is a file beside the SQLite database; with a PostgreSQL URL there is
    none (it made a directory named after the URL: `postgresql:/…/db.run-lock`)."""
    from bot import app as bot_app
    from tests.conftest import make_settings

    ran = []

    async def serve(app: object) -> None:
        ran.append(app)

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(bot_app, "serve", serve)
    monkeypatch.setattr(bot_app, "build_application", lambda settings, **kw: "app")
    bot_app.run(make_settings(database_url="postgresql://market:secret@db:5432/market"))
    assert ran == ["app"]
    assert list(tmp_path.iterdir()) == []
