"""Where each person is in a flow, and the flow's draft (tables of migration 0002).

The database is the only copy: bot/updates.py reads a person's states and user_data before
each of their updates is handled and writes them back in the transaction that marks the
update handled. Values are JSON text, so what flows keep in `context.user_data` must be
plain dicts, lists, strings, numbers, booleans and None. A conversation's key is the JSON
array of PTB's key (chat id, user id).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.storage.db import Tx

log = logging.getLogger(__name__)

ConversationKey = tuple[int | str, ...]


def key_text(key: ConversationKey) -> str:
    return json.dumps(list(key), separators=(",", ":"))


def encode(value: Any, what: str) -> str:
    """Canonical JSON text (equal values give equal text, so unchanged data is not written)."""
    try:
        return json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), allow_nan=False, sort_keys=True
        )
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} is not JSON-serialisable: {exc}") from exc


def decode(text: str | None, what: str) -> Any:
    """The value of stored JSON text; None when there is none or it cannot be read."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        log.error("unreadable %s is ignored", what)
        return None


class Conversations:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def states(self, names: Sequence[str], key: str) -> dict[str, str]:
        """The JSON text of the state of each named conversation at `key` that has one."""
        if not names:
            return {}
        marks = ", ".join("?" for _ in names)
        rows = await self.tx.fetchall(
            f"SELECT name, state FROM ptb_conversations WHERE name IN ({marks}) AND key = ?",
            (*names, key),
        )
        return {r["name"]: r["state"] for r in rows}

    async def set_state(self, name: str, key: str, state: str | None) -> None:
        """Store a conversation's state (JSON text); None ends it."""
        if state is None:
            await self.tx.execute(
                "DELETE FROM ptb_conversations WHERE name = ? AND key = ?", (name, key)
            )
            return
        await self.tx.execute(
            "INSERT INTO ptb_conversations (name, key, state) VALUES (?, ?, ?)"
            " ON CONFLICT (name, key) DO UPDATE SET state = excluded.state",
            (name, key, state),
        )

    async def user_data(self, user_id: int) -> str | None:
        row = await self.tx.fetchone("SELECT data FROM ptb_user_data WHERE user_id = ?", (user_id,))
        return None if row is None else row["data"]

    async def set_user_data(self, user_id: int, data: str | None) -> None:
        """Store a person's user_data (JSON text of a dict); None or "{}" keeps no row."""
        if data is None or data == "{}":
            await self.tx.execute("DELETE FROM ptb_user_data WHERE user_id = ?", (user_id,))
            return
        await self.tx.execute(
            "INSERT INTO ptb_user_data (user_id, data) VALUES (?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET data = excluded.data",
            (user_id, data),
        )
