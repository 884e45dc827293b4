"""Command line: `python main.py [run|migrate|check|backup|restore|sandbox]`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.config import ConfigError, load_settings
from bot.storage.engine import DatabaseUnavailable


def _migrate() -> int:
    from bot.storage import open_database

    settings = load_settings()

    async def go() -> list[str]:
        db = open_database(settings.database_url, pool_size=1)
        await db.connect(migrate=False)
        try:
            return await db.migrate()
        finally:
            await db.close()

    applied = asyncio.run(go())
    print("applied: " + ", ".join(applied) if applied else "database is up to date")
    return 0


def _check() -> int:
    """Audit the ledger of the configured database; exit 1 if anything is wrong."""
    from bot.services.base import Clock
    from bot.storage import open_database
    from bot.storage.audit import ledger_problems

    settings = load_settings()

    async def go() -> list[str]:
        db = await open_database(settings.database_url, pool_size=1).connect()
        try:
            async with db.read(Clock().now()) as tx:
                return await ledger_problems(tx)
        finally:
            await db.close()

    problems = asyncio.run(go())
    for p in problems:
        print(p)
    print("ledger OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


PG_POINTER = (
    "DATABASE_URL is a PostgreSQL database: back it up with PostgreSQL's own tools, pg_dump"
    " for a copy (pg_dump --format=custom --file=FILE DBNAME) and continuous archiving with"
    " point-in-time recovery for a running service (README: Backups)."
)


def _database_url() -> str:
    """DATABASE_URL alone (whatever the rest of the configuration says)."""
    from pydantic_settings import BaseSettings, SettingsConfigDict

    class _Url(BaseSettings):
        model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)
        database_url: str = "sqlite:///data/marketplace.db"

    return _Url().database_url


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://", "postgresql+"))


def _backup(file: str) -> int:
    """A consistent copy of the SQLite database while the bot runs (bot/storage/backup.py)."""
    from bot.storage.backup import BackupError, backup

    if _is_postgres(_database_url()):
        print(PG_POINTER)
        return 2
    settings = load_settings()
    try:
        done = backup(settings.database_path, file)
    except BackupError as exc:
        print(f"backup refused: {exc}", file=sys.stderr)
        return 1
    print(
        f"backup of {settings.database_path} written to {done.path}: {done.size:,} bytes,"
        f" schema {done.activity.schema}, {done.activity.describe()}"
    )
    return 0


def _restore(file: str, force: bool) -> int:
    """Put a backup in place of the database (refusing a newer one without --force), then
    bring its schema up to date."""
    from bot.storage.backup import BackupError, restore
    from bot.storage.db import _migrations

    if _is_postgres(_database_url()):
        print(PG_POINTER)
        return 2
    settings = load_settings()
    latest = max(number for number, _name, _sql in _migrations())
    try:
        done = restore(file, settings.database_path, latest, force=force)
    except BackupError as exc:
        print(f"restore refused: {exc}", file=sys.stderr)
        return 1
    print(
        f"restored {file} to {done.path} ({done.size:,} bytes, schema {done.activity.schema},"
        f" {done.activity.describe()})"
    )
    _migrate()
    return 0


def _run() -> int:
    from bot.app import run

    settings = load_settings()
    if not settings.bot_token:
        raise ConfigError("Configuration error: BOT_TOKEN: is required (get one from @BotFather)")
    run(settings)
    return 0


def _sandbox(port: int) -> int:
    from sandbox.run import run_sandbox

    run_sandbox(port)
    return 0


def _setup_logging() -> None:
    """LOG_FORMAT's format (text when the configuration is wrong: the command says why)."""
    from bot import logs

    try:
        fmt = load_settings().log_format
    except ConfigError:
        fmt = "text"
    logs.setup(fmt, logging.INFO)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="main.py", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser(
        "run", help="run the bot (long polling, or a webhook when WEBHOOK_URL is set); the default"
    )
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("check", help="audit the ledger")
    backup = sub.add_parser("backup", help="copy the database consistently, also while it runs")
    backup.add_argument("file")
    restore = sub.add_parser("restore", help="put a backup in place of the database")
    restore.add_argument("file")
    restore.add_argument(
        "--force", action="store_true", help="also over a database newer than the backup"
    )
    sandbox = sub.add_parser("sandbox", help="a loopback Bot API and a chat page, no token needed")
    sandbox.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    _setup_logging()
    try:
        if args.command == "migrate":
            return _migrate()
        if args.command == "check":
            return _check()
        if args.command == "backup":
            return _backup(args.file)
        if args.command == "restore":
            return _restore(args.file, args.force)
        if args.command == "sandbox":
            return _sandbox(args.port)
        return _run()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except DatabaseUnavailable as exc:
        print(exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
