"""The send budget instances share (table send_budget, migration 0016; used by bot/pacing.py).

A budget's time is cut into fixed windows; `claim` takes up to `want` of the `limit` tokens
of window `window_no` in one conditional UPDATE: the row moves to a newer window (its count
starting afresh) or counts on in the current one, and never hands out more than `limit` in a
window. A claim for a window older than the row's (a clock behind the others', or a pause,
below) gets nothing. The statement takes the row's lock for an instant; nothing is held
across a send. `close` books a budget out until a window: a 429 that speaks for the bot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.storage.engine import Tx

BOT = "bot"  # every send of the bot (seeded by the migration)

# ?1 the window, ?2 tokens wanted, ?3 the window's limit, ?4 the budget's name. SET reads the
# row as it was before the statement (both engines), so `granted` and `used` agree.
_GRANT = (
    "CASE WHEN window_no = ?1"
    " THEN (CASE WHEN ?3 - used < ?2 THEN ?3 - used ELSE CAST(?2 AS INTEGER) END)"
    " ELSE (CASE WHEN ?3 < ?2 THEN CAST(?3 AS INTEGER) ELSE CAST(?2 AS INTEGER) END) END"
)
_CLAIM = (
    "UPDATE send_budget SET window_no = ?1,"
    f" granted = {_GRANT},"
    f" used = CASE WHEN window_no = ?1 THEN used ELSE 0 END + {_GRANT}"
    " WHERE name = ?4 AND (window_no < ?1 OR (window_no = ?1 AND used < ?3))"
    " RETURNING granted"
)


class SendBudget:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def claim(self, name: str, window_no: int, want: int, limit: int) -> int:
        """Tokens of window `window_no` handed to the caller (0 to `want`)."""
        if want <= 0 or limit <= 0:
            return 0
        params = (window_no, want, limit, name)
        row = await self.tx.fetchone(_CLAIM, params)
        if row is None and not await self._exists(name):
            await self.tx.execute(
                "INSERT INTO send_budget (name) VALUES (?) ON CONFLICT (name) DO NOTHING", (name,)
            )
            row = await self.tx.fetchone(_CLAIM, params)
        return 0 if row is None else int(row[0])

    async def close(self, name: str, until_window: int, limit: int) -> None:
        """Nothing more of budget `name` before window `until_window` (whose tokens are
        spent too): for everyone claiming from it."""
        await self.tx.execute(
            "INSERT INTO send_budget (name) VALUES (?) ON CONFLICT (name) DO NOTHING", (name,)
        )
        await self.tx.execute(
            "UPDATE send_budget SET window_no = ?, used = ?, granted = 0"
            " WHERE name = ? AND window_no < ?",
            (until_window, limit, name, until_window),
        )

    async def _exists(self, name: str) -> bool:
        row = await self.tx.fetchone("SELECT 1 FROM send_budget WHERE name = ?", (name,))
        return row is not None
