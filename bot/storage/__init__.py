"""SQLite storage: migrations, one transaction object, repositories, the ledger and outbox."""

from bot.storage.db import Database, Tx

__all__ = ["Database", "Tx"]
