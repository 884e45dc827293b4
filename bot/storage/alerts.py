"""Job alerts' SQL: saved searches and their index (migration 0014), deliveries, daily counts,
the fan-out cursor. Built on a Tx like the other repositories (`AlertsRepo(tx)`).

The index query (`candidates`) is the hot path: for a new job, one range of the covering
index `alert_keys_lookup` per token prefix the job holds and category (any, the job's),
bounded by a window of search ids, filtered there on budget, currency, language and the
client; nothing else is read. Its cost follows the number of prefixes and of searches found
in the window, never the number of searches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from bot.storage.db import Tx

LOOKUP_CHUNK = 500  # keys per statement (well inside any engine's limit on parameters)
ID_MAX = 2**63 - 1


@dataclass(frozen=True)
class Search:
    id: int
    user_id: int
    category: str | None
    words: str
    terms: str  # JSON (bot.domain.alerts.Terms)
    min_budget: int | None
    currency: str | None
    language: str | None
    mode: str
    created_at: int
    stopped_at: int | None

    @property
    def live(self) -> bool:
        return self.stopped_at is None


class Candidate(NamedTuple):
    """A live search found through the index for a job: `exact`, it answers the job; else
    its `terms` are still to be checked."""

    search_id: int
    user_id: int
    mode: str
    exact: int
    terms: str


def _search(row: Any) -> Search:
    return Search(**{k: row[k] for k in Search.__dataclass_fields__})


class AlertsRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    # --- searches --------------------------------------------------------------------------

    async def create(
        self,
        user_id: int,
        *,
        category: str | None,
        words: str,
        terms: str,
        key: str,
        exact: bool,
        min_budget: int | None,
        currency: str | None,
        language: str | None,
        mode: str,
    ) -> Search:
        search_id = await self.tx.insert(
            "INSERT INTO alert_searches (user_id, category, words, terms, min_budget, currency,"
            " language, mode, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (user_id, category, words, terms, min_budget, currency, language, mode, self.tx.now),
        )
        await self.tx.execute(
            "INSERT INTO alert_keys (search_id, term, category, user_id, mode, exact, terms,"
            " min_budget, currency, language) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                search_id,
                key,
                category or "",
                user_id,
                mode,
                int(exact),
                "" if exact else terms,
                min_budget,
                currency,
                language,
            ),
        )
        found = await self.get(search_id)
        assert found is not None
        return found

    async def get(self, search_id: int) -> Search | None:
        row = await self.tx.fetchone("SELECT * FROM alert_searches WHERE id = ?", (search_id,))
        return None if row is None else _search(row)

    async def live_of(self, user_id: int) -> list[Search]:
        rows = await self.tx.fetchall(
            "SELECT * FROM alert_searches WHERE user_id = ? AND stopped_at IS NULL ORDER BY id",
            (user_id,),
        )
        return [_search(r) for r in rows]

    async def count_live(self, user_id: int) -> int:
        row = await self.tx.fetchone(
            "SELECT COUNT(*) FROM alert_searches WHERE user_id = ? AND stopped_at IS NULL",
            (user_id,),
        )
        return int(row[0]) if row else 0

    async def stop(self, search: Search) -> bool:
        """Stop a live search and take it out of the index; False if it was stopped already."""
        if not await self.tx.update(
            "UPDATE alert_searches SET stopped_at = ? WHERE id = ? AND stopped_at IS NULL",
            (self.tx.now, search.id),
        ):
            return False
        await self.tx.execute("DELETE FROM alert_keys WHERE search_id = ?", (search.id,))
        await self.tx.execute(
            "UPDATE alert_deliveries SET state = 'dropped' WHERE user_id = ? AND search_id = ?"
            " AND state = 'queued'",
            (search.user_id, search.id),
        )
        return True

    async def set_mode(self, search_id: int, mode: str) -> bool:
        if not await self.tx.update(
            "UPDATE alert_searches SET mode = ? WHERE id = ? AND stopped_at IS NULL",
            (mode, search_id),
        ):
            return False
        await self.tx.execute(
            "UPDATE alert_keys SET mode = ? WHERE search_id = ?", (mode, search_id)
        )
        return True

    # --- matching --------------------------------------------------------------------------

    async def candidates(
        self,
        keys: list[str],
        *,
        category: str,
        client_id: int,
        currency: str,
        budget_max: int,
        language: str | None,
        after_search: int = 0,
        upto: int | None = None,
    ) -> list[Candidate]:
        """Live searches filed under one of `keys`, for any category or `category`, whose
        minimum budget (in the job's currency) the job reaches and whose language is the
        job's (or any), of people other than the client, with ids in (`after_search`,
        `upto`], in id order. (Whether each person may be told is checked as they are
        alerted.) The id bounds narrow each key's range in the index: a window of ids costs
        what its own searches cost, however many match elsewhere."""
        found: list[Candidate] = []
        for start in range(0, len(keys), LOOKUP_CHUNK):
            chunk = keys[start : start + LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = await self.tx.fetchall(
                "SELECT search_id, user_id, mode, exact, terms FROM alert_keys"
                f" WHERE term IN ({marks}) AND category IN ('', ?)"
                " AND search_id > ? AND search_id <= ? AND user_id <> ?"
                " AND (min_budget IS NULL OR (currency = ? AND min_budget <= ?))"
                " AND (language IS NULL OR language = ?)",
                (
                    *chunk,
                    category,
                    after_search,
                    ID_MAX if upto is None else upto,
                    client_id,
                    currency,
                    budget_max,
                    language,
                ),
            )
            found += [Candidate(*r) for r in rows]
        found.sort()
        return found

    async def last_search_id(self) -> int:
        """The highest id in the index (0 when it is empty)."""
        row = await self.tx.fetchone("SELECT MAX(search_id) FROM alert_keys")
        return int(row[0]) if row and row[0] is not None else 0

    # --- deliveries and counts -------------------------------------------------------------

    async def reachable(self, user_id: int) -> bool:
        """Whether a person may be alerted: known, not banned, not unreachable."""
        row = await self.tx.fetchone(
            "SELECT banned, unreachable FROM users WHERE id = ?", (user_id,)
        )
        return row is not None and not row[0] and not row[1]

    async def record(self, user_id: int, job_id: int, search_id: int, state: str) -> bool:
        """A person is alerted of a job (or it waits for their digest); False when they
        already were, by any of their searches."""
        return bool(
            await self.tx.update(
                "INSERT INTO alert_deliveries (user_id, job_id, search_id, state, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, job_id) DO NOTHING",
                (user_id, job_id, search_id, state, self.tx.now),
            )
        )

    async def delivery(self, user_id: int, job_id: int) -> dict[str, Any] | None:
        row = await self.tx.fetchone(
            "SELECT * FROM alert_deliveries WHERE user_id = ? AND job_id = ?", (user_id, job_id)
        )
        return None if row is None else dict(row)

    async def count_today(self, user_id: int, day: int) -> int:
        row = await self.tx.fetchone(
            "SELECT alerts FROM alert_counts WHERE user_id = ? AND day = ?", (user_id, day)
        )
        return int(row[0]) if row else 0

    async def add_count(self, user_id: int, day: int) -> None:
        """One more alert today; the person's count of an earlier day goes."""
        await self.tx.execute(
            "DELETE FROM alert_counts WHERE user_id = ? AND day < ?", (user_id, day)
        )
        await self.tx.execute(
            "INSERT INTO alert_counts (user_id, day, alerts) VALUES (?, ?, 1)"
            " ON CONFLICT (user_id, day) DO UPDATE SET alerts = alert_counts.alerts + 1",
            (user_id, day),
        )

    async def queued_for(self, user_id: int) -> list[dict[str, Any]]:
        """The jobs waiting for a person's digest, oldest first."""
        rows = await self.tx.fetchall(
            "SELECT * FROM alert_deliveries"
            " WHERE user_id = ? AND state = 'queued' ORDER BY created_at, job_id",
            (user_id,),
        )
        return [dict(r) for r in rows]

    async def mark(self, user_id: int, job_ids: list[int], state: str) -> None:
        await self.tx.executemany(
            "UPDATE alert_deliveries SET state = ? WHERE user_id = ? AND job_id = ?"
            " AND state = 'queued'",
            [(state, user_id, job_id) for job_id in job_ids],
        )

    # --- the fan-out cursor ----------------------------------------------------------------

    async def fanout_cursor(self, job_id: int) -> int | None:
        row = await self.tx.fetchone(
            "SELECT after_search FROM alert_fanouts WHERE job_id = ?", (job_id,)
        )
        return None if row is None else int(row[0])

    async def set_fanout_cursor(self, job_id: int, after_search: int) -> None:
        await self.tx.execute(
            "INSERT INTO alert_fanouts (job_id, after_search, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (job_id) DO UPDATE SET after_search = excluded.after_search,"
            " updated_at = excluded.updated_at",
            (job_id, after_search, self.tx.now),
        )

    async def end_fanout(self, job_id: int) -> None:
        await self.tx.execute("DELETE FROM alert_fanouts WHERE job_id = ?", (job_id,))
