"""Command line: `python main.py [run|migrate|check|sandbox]`."""

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


def _run() -> int:
    from bot.app import run

    settings = load_settings()
    if not settings.bot_token:
        raise ConfigError("Configuration error: BOT_TOKEN: is required (get one from @BotFather)")
    run(settings)
    return 0


def _sandbox(port: int) -> int:
    from bot.sandbox.run import run_sandbox

    run_sandbox(port)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="main.py", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (long polling); the default")
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("check", help="audit the ledger")
    sandbox = sub.add_parser("sandbox", help="a loopback Bot API and a chat page, no token needed")
    sandbox.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        if args.command == "migrate":
            return _migrate()
        if args.command == "check":
            return _check()
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
