"""A python-telegram-bot persistence over the database: conversations and user_data survive
restarts.

PTB ships only pickle and dict persistence; this one keeps two small tables (migration 0002)
in the same database as the marketplace (SQLite or PostgreSQL), through a connection (a
small pool) of its own. Values are JSON, so what flows keep in `context.user_data`
must be plain dicts, lists, strings, numbers, booleans and None. Bot, chat and callback data
are not stored: `bot_data` holds the live Runtime, which must never be written anywhere.

PTB batches the writes: `Application.update_persistence()` runs every `update_interval`
seconds and once more on stop, and calls the `update_*` methods below.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telegram.ext import BasePersistence, PersistenceInput

from bot.storage import open_database
from bot.storage.db import Database

if TYPE_CHECKING:
    from bot.storage.pg import PgDatabase

log = logging.getLogger(__name__)

ConversationKey = tuple[int | str, ...]
ConversationDict = dict[ConversationKey, object]
CDCData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]

STORE = PersistenceInput(bot_data=False, chat_data=False, user_data=True, callback_data=False)


def _key_text(key: ConversationKey) -> str:
    return json.dumps(list(key), separators=(",", ":"))


def _key_of(text: str) -> ConversationKey:
    value = json.loads(text)
    return tuple(value) if isinstance(value, list) else (value,)


def _json(value: Any, what: str) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} is not JSON-serialisable: {exc}") from exc


class SqlitePersistence(BasePersistence[dict, dict, dict]):
    """Conversations and user_data in `ptb_conversations` / `ptb_user_data`."""

    def __init__(self, url: str | Path, update_interval: float = 1.0) -> None:
        """`url` is a DATABASE_URL, or the path of an SQLite file."""
        super().__init__(store_data=STORE, update_interval=update_interval)
        url = str(url)
        self.url = url if "://" in url else f"sqlite:///{url}"
        self._db: Database | PgDatabase | None = None
        self._connecting = asyncio.Lock()
        # user_data as last written, so PTB's batch (every user seen since the last run)
        # writes only what changed.
        self._user_cache: dict[int, str] = {}

    async def _database(self) -> Database | PgDatabase:
        """The connection, opened (and the schema migrated) on first use: PTB loads the
        persisted data in Application.initialize(), before the app's own post_init runs."""
        async with self._connecting:
            if self._db is None:
                self._db = await open_database(self.url, pool_size=2).connect(migrate=True)
            return self._db

    async def close(self) -> None:
        async with self._connecting:
            if self._db is not None:
                await self._db.close()
                self._db = None

    async def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        db = await self._database()
        async with db.transaction(0) as tx:
            await tx.execute(sql, params)

    # -- user data ---------------------------------------------------------------------------

    async def get_user_data(self) -> dict[int, dict]:
        db = await self._database()
        async with db.read(0) as tx:
            rows = await tx.fetchall("SELECT user_id, data FROM ptb_user_data")
        out: dict[int, dict] = {}
        for row in rows:
            try:
                data = json.loads(row["data"])
            except ValueError:
                log.error("unreadable user_data of user %s is ignored", row["user_id"])
                continue
            if isinstance(data, dict):
                out[int(row["user_id"])] = data
                self._user_cache[int(row["user_id"])] = row["data"]
        return out

    async def update_user_data(self, user_id: int, data: dict) -> None:
        text = _json(data, f"user_data of user {user_id}")
        if self._user_cache.get(user_id) == text:
            return
        if not data:
            await self.drop_user_data(user_id)
            return
        await self._write(
            "INSERT INTO ptb_user_data (user_id, data) VALUES (?, ?)"
            " ON CONFLICT(user_id) DO UPDATE SET data = excluded.data",
            (user_id, text),
        )
        self._user_cache[user_id] = text

    async def drop_user_data(self, user_id: int) -> None:
        await self._write("DELETE FROM ptb_user_data WHERE user_id = ?", (user_id,))
        self._user_cache[user_id] = _json({}, "user_data")

    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        """Nothing to do: this process is the only writer of its users' data."""

    # -- conversations -----------------------------------------------------------------------

    async def get_conversations(self, name: str) -> ConversationDict:
        db = await self._database()
        async with db.read(0) as tx:
            rows = await tx.fetchall(
                "SELECT key, state FROM ptb_conversations WHERE name = ?", (name,)
            )
        out: ConversationDict = {}
        for row in rows:
            try:
                out[_key_of(row["key"])] = json.loads(row["state"])
            except ValueError:
                log.error("unreadable state of conversation %s %s is ignored", name, row["key"])
        return out

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        key_text = _key_text(key)
        if new_state is None:
            await self._write(
                "DELETE FROM ptb_conversations WHERE name = ? AND key = ?", (name, key_text)
            )
            return
        await self._write(
            "INSERT INTO ptb_conversations (name, key, state) VALUES (?, ?, ?)"
            " ON CONFLICT(name, key) DO UPDATE SET state = excluded.state",
            (name, key_text, _json(new_state, f"state of conversation {name}")),
        )

    # -- not stored: bot data (the live Runtime), chat data, callback data ------------------

    async def get_chat_data(self) -> dict[int, dict]:
        return {}

    async def get_bot_data(self) -> dict:
        return {}

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        return None

    async def update_bot_data(self, data: dict) -> None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict) -> None:
        return None

    async def flush(self) -> None:
        """Every write is committed as it happens; on shutdown just close the connection
        (it is opened again if the Application is initialized again)."""
        await self.close()
