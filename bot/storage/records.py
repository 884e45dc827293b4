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
from bot.storage.repositories import Repo, _decode

_DONE = "('released','split')"
_WORKED = "('funded','delivered','disputed','released','split')"


def _ids(values: Iterable[int]) -> str:
    return json.dumps(sorted({int(v) for v in values}))


class RecordsRepo(Repo):
    async def users(self, user_ids: Iterable[int]) -> dict[int, User]:
        rows = await self.tx.fetchall(
            "SELECT * FROM users WHERE id IN (SELECT value FROM json_each(?))", (_ids(user_ids),)
        )
        return {int(r["id"]): User.model_validate(_decode(r)) for r in rows}

    async def completed(self, user_ids: Iterable[int]) -> dict[int, int]:
        """Deals each person completed (released or split), on either side."""
        ids = _ids(user_ids)
        rows = await self.tx.fetchall(
            "SELECT uid, COUNT(*) AS n FROM ("
            f" SELECT client_id AS uid FROM deals WHERE state IN {_DONE}"
            "  AND client_id IN (SELECT value FROM json_each(?1))"
            " UNION ALL"
            f" SELECT freelancer_id FROM deals WHERE state IN {_DONE}"
            "  AND freelancer_id IN (SELECT value FROM json_each(?1))"
            ") GROUP BY uid",
            (ids,),
        )
        return {int(r["uid"]): int(r["n"]) for r in rows}

    async def disputes(self, user_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
        """(disputes each person was party to, disputes they lost)."""
        ids = _ids(user_ids)
        rows = await self.tx.fetchall(
            "SELECT uid, COUNT(*) AS n, SUM(lost) AS lost FROM ("
            " SELECT deals.client_id AS uid, d.outcome = 'release' AS lost"
            " FROM deals JOIN disputes d ON d.deal_id = deals.id"
            " WHERE deals.client_id IN (SELECT value FROM json_each(?1))"
            " UNION ALL"
            " SELECT deals.freelancer_id, d.outcome = 'refund'"
            " FROM deals JOIN disputes d ON d.deal_id = deals.id"
            " WHERE deals.freelancer_id IN (SELECT value FROM json_each(?1))"
            ") GROUP BY uid",
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
            " WHERE f.ratee_id IN (SELECT value FROM json_each(?))"
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
            f" AND state IN {_WORKED} AND freelancer_id IN (SELECT value FROM json_each(?))",
            (client_id, _ids(freelancer_ids)),
        )
        return {int(r["freelancer_id"]) for r in rows}

    async def latest_trials(self, bid_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """Each bid's latest trial (bids without one are absent)."""
        rows = await self.tx.fetchall(
            "SELECT * FROM trials WHERE id IN (SELECT MAX(id) FROM trials"
            " WHERE bid_id IN (SELECT value FROM json_each(?)) GROUP BY bid_id)",
            (_ids(bid_ids),),
        )
        return {int(r["bid_id"]): _decode(r) for r in rows}
