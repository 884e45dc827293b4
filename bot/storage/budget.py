"""The send budget instances share (table send_budget, migration 0016; used by bot/pacing.py),
and the sliding windows of their sends to groups (table group_sends, migration 0022).

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

# ?1 the window, ?2 tokens wanted, ?3 the window's limit, ?4 the budget's name. One upsert:
# a budget's first claim makes its row. SET reads the row as it was before the statement
# (both engines), so `granted` and `used` agree; a row whose window is spent (or newer than
# ?1) is left alone and nothing is returned.
_W, _K, _L = "CAST(?1 AS BIGINT)", "CAST(?2 AS INTEGER)", "CAST(?3 AS INTEGER)"  # typed for PG
_FIRST = f"CASE WHEN {_L} < {_K} THEN {_L} ELSE {_K} END"
_GRANT = (
    f"CASE WHEN send_budget.window_no = {_W} THEN (CASE WHEN {_L} - send_budget.used < {_K}"
    f" THEN {_L} - send_budget.used ELSE {_K} END)"
    f" ELSE {_FIRST} END"
)
_CLAIM = (
    "INSERT INTO send_budget (name, window_no, used, granted)"
    f" VALUES (?4, {_W}, {_FIRST}, {_FIRST})"
    f" ON CONFLICT (name) DO UPDATE SET window_no = {_W},"
    f" granted = {_GRANT},"
    f" used = CASE WHEN send_budget.window_no = {_W} THEN send_budget.used ELSE 0 END"
    f" + {_GRANT}"
    f" WHERE send_budget.window_no < {_W}"
    f" OR (send_budget.window_no = {_W} AND send_budget.used < {_L})"
    " RETURNING granted"
)


class SendBudget:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def claim(self, name: str, window_no: int, want: int, limit: int) -> int:
        """Tokens of window `window_no` handed to the caller (0 to `want`)."""
        if want <= 0 or limit <= 0:
            return 0
        row = await self.tx.fetchone(_CLAIM, (window_no, want, limit, name))
        return 0 if row is None else int(row[0])

    async def close(self, name: str, until_window: int, limit: int) -> None:
        """Nothing more of budget `name` before window `until_window` (whose tokens are
        spent too): for everyone claiming from it."""
        await self.tx.execute(
            "INSERT INTO send_budget (name, window_no, used) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET window_no = excluded.window_no,"
            " used = excluded.used, granted = 0"
            " WHERE send_budget.window_no < excluded.window_no",
            (name, until_window, limit),
        )


class GroupSends:
    """One group's or channel's sends in its sliding window, for every instance.

    `take` is one short write transaction's work: the group's row in send_budget is locked
    first (an upsert: PostgreSQL's row lock, SQLite's write lock), so the instances' claims
    for one group run one after another and each counts what the others committed."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def _lock(self, chat: str) -> None:
        await self.tx.execute(
            "INSERT INTO send_budget (name) VALUES (?) ON CONFLICT (name)"
            " DO UPDATE SET used = send_budget.used",
            (f"group:{chat}",),
        )

    async def take(self, chat: str, now_ms: int, window_ms: int, limit: int) -> int:
        """0 when a send to `chat` may go now (it is counted), else the milliseconds until
        its window allows one (nothing counted)."""
        await self._lock(chat)
        await self.tx.execute(
            "DELETE FROM group_sends WHERE chat = ? AND sent_at <= ?", (chat, now_ms - window_ms)
        )
        row = await self.tx.fetchone(
            "SELECT COUNT(*), MIN(sent_at) FROM group_sends WHERE chat = ?", (chat,)
        )
        count, oldest = (0, now_ms) if row is None else (int(row[0]), row[1])
        if count < limit or oldest is None:
            await self.tx.execute(
                "INSERT INTO group_sends (chat, sent_at) VALUES (?, ?)", (chat, now_ms)
            )
            return 0
        return max(1, int(oldest) + window_ms - now_ms)

    async def hold(self, chat: str, until_ms: int, window_ms: int, limit: int) -> None:
        """Telegram said 429 for `chat`: its window is full until `until_ms`."""
        await self._lock(chat)
        await self.tx.execute("DELETE FROM group_sends WHERE chat = ?", (chat,))
        at = until_ms - window_ms
        await self.tx.executemany(
            "INSERT INTO group_sends (chat, sent_at) VALUES (?, ?)", [(chat, at)] * limit
        )
