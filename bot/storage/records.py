"""Track records of many people at once: what a list of bids shows about each bidder.

A list shows a dozen bids, each with the freelancer's deals, rating, disputes and the bid's
latest trial; asked one by one that is six queries a bid. Here each figure is one query for
the whole list (the ids passed as one JSON array), grouped by person in the caller.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from bot.domain.models import Feedback, User
from bot.domain.trust import TrustCounts
from bot.storage.repositories import Repo, _decode

_DONE = "('released','split')"
_WORKED = "('funded','delivered','disputed','released','split')"


def _ids(values: Iterable[int]) -> str:
    return json.dumps(sorted({int(v) for v in values}))


class RecordsRepo(Repo):
    async def users(self, user_ids: Iterable[int]) -> dict[int, User]:
        rows = await self.tx.fetchall(
            f"SELECT * FROM users WHERE id IN ({self.tx.dialect.id_list()})", (_ids(user_ids),)
        )
        return {int(r["id"]): User.model_validate(_decode(r)) for r in rows}

    async def completed(self, user_ids: Iterable[int]) -> dict[int, int]:
        """Deals each person completed (released or split), on either side."""
        ids, ids1 = _ids(user_ids), self.tx.dialect.id_list("?1")
        rows = await self.tx.fetchall(
            "SELECT uid, COUNT(*) AS n FROM ("
            f" SELECT client_id AS uid FROM deals WHERE state IN {_DONE}"
            f"  AND client_id IN ({ids1})"
            " UNION ALL"
            f" SELECT freelancer_id FROM deals WHERE state IN {_DONE}"
            f"  AND freelancer_id IN ({ids1})"
            ") AS done GROUP BY uid",
            (ids,),
        )
        return {int(r["uid"]): int(r["n"]) for r in rows}

    async def disputes(self, user_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
        """(disputes each person was party to, disputes they lost)."""
        ids, ids1 = _ids(user_ids), self.tx.dialect.id_list("?1")
        rows = await self.tx.fetchall(
            "SELECT uid, COUNT(*) AS n, SUM(lost) AS lost FROM ("
            " SELECT deals.client_id AS uid,"
            "  CASE WHEN d.outcome = 'release' THEN 1 ELSE 0 END AS lost"
            " FROM deals JOIN disputes d ON d.deal_id = deals.id"
            f" WHERE deals.client_id IN ({ids1})"
            " UNION ALL"
            " SELECT deals.freelancer_id, CASE WHEN d.outcome = 'refund' THEN 1 ELSE 0 END"
            " FROM deals JOIN disputes d ON d.deal_id = deals.id"
            f" WHERE deals.freelancer_id IN ({ids1})"
            ") AS held GROUP BY uid",
            (ids,),
        )
        return {int(r["uid"]): (int(r["n"] or 0), int(r["lost"] or 0)) for r in rows}

    async def visible_feedback(
        self, user_ids: Iterable[int], window: int
    ) -> dict[int, list[Feedback]]:
        """Public ratings about each person (both sides rated, or the window passed), newest
        first (as FeedbackRepo.visible_for)."""
        rows = await self.tx.fetchall(
            "SELECT f.* FROM feedback f JOIN deals d ON d.id = f.deal_id"
            f" WHERE f.ratee_id IN ({self.tx.dialect.id_list()})"
            " AND ((SELECT COUNT(*) FROM feedback g WHERE g.deal_id = f.deal_id) = 2"
            "      OR d.ended_at + ? <= ?)"
            " ORDER BY f.created_at DESC, f.deal_id DESC",
            (_ids(user_ids), window, self.tx.now),
        )
        out: dict[int, list[Feedback]] = {}
        for r in rows:
            out.setdefault(int(r["ratee_id"]), []).append(Feedback.model_validate(dict(r)))
        return out

    async def worked_with(self, client_id: int, freelancer_ids: Iterable[int]) -> set[int]:
        """Which of the freelancers the client hired before (a deal that was funded)."""
        rows = await self.tx.fetchall(
            "SELECT DISTINCT freelancer_id FROM deals WHERE client_id = ?"
            f" AND state IN {_WORKED} AND freelancer_id IN ({self.tx.dialect.id_list()})",
            (client_id, _ids(freelancer_ids)),
        )
        return {int(r["freelancer_id"]) for r in rows}

    async def latest_trials(self, bid_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """Each bid's latest trial (bids without one are absent)."""
        rows = await self.tx.fetchall(
            "SELECT * FROM trials WHERE id IN (SELECT MAX(id) FROM trials"
            f" WHERE bid_id IN ({self.tx.dialect.id_list()}) GROUP BY bid_id)",
            (_ids(bid_ids),),
        )
        return {int(r["bid_id"]): _decode(r) for r in rows}

    async def trust(self, user_ids: Iterable[int], recent_since: int) -> dict[int, TrustCounts]:
        """The counts behind each person's trust signals (bot.domain.trust), in one statement
        for the whole list; people with no record are absent. `recent_since`: disputes lost
        as a freelancer resolved at or after it are `lost_recently`."""
        rows = await self.tx.fetchall(
            f"WITH ids AS (SELECT value AS uid FROM ({self.tx.dialect.id_list('?1')}) AS v),"
            " f AS (SELECT freelancer_id AS uid,"
            "  SUM(CASE WHEN funded_at IS NOT NULL AND state IN ('released','split','refunded')"
            "   THEN 1 ELSE 0 END) AS funded_ended,"
            "  SUM(CASE WHEN state = 'released' THEN 1 ELSE 0 END) AS released,"
            "  SUM(CASE WHEN delivered_at IS NOT NULL THEN 1 ELSE 0 END) AS delivered,"
            "  SUM(CASE WHEN delivered_at IS NOT NULL AND delivered_at <= due_at"
            "   THEN 1 ELSE 0 END) AS on_time"
            "  FROM deals WHERE freelancer_id IN (SELECT uid FROM ids) GROUP BY freelancer_id),"
            " c AS (SELECT client_id AS uid,"
            "  SUM(CASE WHEN funded_at IS NOT NULL OR state = 'cancelled' THEN 1 ELSE 0 END)"
            "   AS owed,"
            "  SUM(CASE WHEN funded_at IS NOT NULL THEN 1 ELSE 0 END) AS paid"
            "  FROM deals WHERE client_id IN (SELECT uid FROM ids) GROUP BY client_id),"
            " j AS (SELECT jobs.client_id AS uid, COUNT(*) AS closed,"
            "  SUM(CASE WHEN EXISTS (SELECT 1 FROM deals WHERE deals.job_id = jobs.id"
            "   AND deals.funded_at IS NOT NULL) THEN 1 ELSE 0 END) AS hired"
            "  FROM jobs WHERE jobs.client_id IN (SELECT uid FROM ids)"
            "  AND jobs.state NOT IN ('open','removed') GROUP BY jobs.client_id),"
            " l AS (SELECT uid, SUM(lost_f) AS lost_f, SUM(recent) AS recent,"
            "  SUM(lost_c) AS lost_c FROM ("
            "   SELECT deals.freelancer_id AS uid,"
            "    CASE WHEN d.outcome = 'refund' THEN 1 ELSE 0 END AS lost_f,"
            "    CASE WHEN d.outcome = 'refund' AND d.resolved_at >= ?2 THEN 1 ELSE 0 END"
            "     AS recent, 0 AS lost_c"
            "   FROM disputes d JOIN deals ON deals.id = d.deal_id"
            "   WHERE deals.freelancer_id IN (SELECT uid FROM ids)"
            "   UNION ALL"
            "   SELECT deals.client_id, 0, 0, CASE WHEN d.outcome = 'release' THEN 1 ELSE 0 END"
            "   FROM disputes d JOIN deals ON deals.id = d.deal_id"
            "   WHERE deals.client_id IN (SELECT uid FROM ids)"
            "  ) AS parts GROUP BY uid)"
            " SELECT ids.uid, f.funded_ended, f.released, f.delivered, f.on_time,"
            "  l.lost_f, l.recent, j.closed, j.hired, c.owed, c.paid, l.lost_c"
            " FROM ids LEFT JOIN f ON f.uid = ids.uid LEFT JOIN c ON c.uid = ids.uid"
            " LEFT JOIN j ON j.uid = ids.uid LEFT JOIN l ON l.uid = ids.uid",
            (_ids(user_ids), recent_since),
        )
        return {int(r[0]): TrustCounts(*(int(v or 0) for v in tuple(r)[1:])) for r in rows}
