"""What operating the bot reads: the database's figures for /metrics and its health."""

from __future__ import annotations

from bot.services.base import Services
from bot.storage.gauges import Gauges, read_gauges


async def gauges(svc: Services) -> Gauges:
    """The scrape's figures, read off the event loop (a read-only connection of its own),
    once the bot's own connection answered (else it raises: the database is down for it)."""
    await svc.db.ping()
    async with svc.read(in_thread=True) as tx:
        return await read_gauges(tx)


async def ping(svc: Services) -> None:
    """Raises when the database cannot be read."""
    await svc.db.ping()
