"""Storage: two engines (SQLite, PostgreSQL) behind one transaction object, migrations,
repositories, the ledger and the outbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.storage.db import Database, Tx
from bot.storage.engine import NestedTransaction, StorageConflict

if TYPE_CHECKING:
    from bot.storage.pg import PgDatabase

__all__ = ["Database", "NestedTransaction", "StorageConflict", "Tx", "open_database"]


def open_database(url: str, *, pool_size: int | None = None) -> Database | PgDatabase:
    """The engine DATABASE_URL names, not yet connected: `sqlite:///path` (the default) or
    `postgresql://user:password@host:port/database` (with a pool of `pool_size`
    connections)."""
    if url.startswith("sqlite:///"):
        return Database(url.removeprefix("sqlite:///"))
    from bot.storage.pg import POOL_SIZE, PgDatabase, is_postgres_url

    if is_postgres_url(url):
        return PgDatabase(url, pool_size=pool_size or POOL_SIZE)
    raise ValueError(f"unsupported DATABASE_URL {url!r}: sqlite:/// or postgresql://")
