"""Direct offers, the private job and accepted bid a taken offer stands on, and a contract's
QA reviewer with their verdicts (migration 0019)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import Field

from bot.domain.models import Model
from bot.domain.states import ContractKind

if TYPE_CHECKING:
    from bot.storage.db import Tx


class Offer(Model):
    id: int
    client_id: int
    freelancer_id: int
    sender_id: int  # who proposed it; the other party answers
    kind: ContractKind = ContractKind.FIXED
    title: str
    description: str
    amount: int
    currency: str
    days: int
    terms: dict[str, Any] = Field(default_factory=dict)
    state: str  # pending | accepted | declined | lapsed
    created_at: int
    expires_at: int
    answered_at: int | None = None
    deal_id: int | None = None

    @property
    def recipient_id(self) -> int:
        return self.freelancer_id if self.sender_id == self.client_id else self.client_id

    @property
    def by_client(self) -> bool:
        return self.sender_id == self.client_id


def _offer(row: Any) -> Offer:
    d = dict(row)
    d["terms"] = json.loads(d.get("terms") or "{}")
    return Offer.model_validate(d)


class OffersRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def create(self, **f: Any) -> Offer:
        offer_id = await self.tx.insert(
            "INSERT INTO offers (client_id, freelancer_id, sender_id, kind, title, description,"
            " amount, currency, days, terms, state, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
            (
                f["client_id"],
                f["freelancer_id"],
                f["sender_id"],
                str(f.get("kind") or ContractKind.FIXED),
                f["title"],
                f["description"],
                f["amount"],
                f["currency"],
                f["days"],
                json.dumps(f.get("terms") or {}, ensure_ascii=False),
                self.tx.now,
                f["expires_at"],
            ),
        )
        offer = await self.get(offer_id)
        assert offer is not None
        return offer

    async def get(self, offer_id: int, *, lock: bool = False) -> Offer | None:
        """The offer; `lock`: its row locked until the commit (PostgreSQL), the lock every
        change of an offer takes first (an offer has no job of its own to lock yet)."""
        row = await self.tx.fetchone(
            "SELECT * FROM offers WHERE id = ?" + (self.tx.for_update if lock else ""),
            (offer_id,),
        )
        return None if row is None else _offer(row)

    async def answer(self, offer_id: int, new: str, deal_id: int | None = None) -> bool:
        """Move a pending offer to `new` (accepted, declined, lapsed); False if it was not
        pending any more."""
        return bool(
            await self.tx.update(
                "UPDATE offers SET state = ?, answered_at = ?, deal_id = ?"
                " WHERE id = ? AND state = 'pending'",
                (new, self.tx.now, deal_id, offer_id),
            )
        )

    async def for_user(self, user_id: int, limit: int = 50) -> list[Offer]:
        rows = await self.tx.fetchall(
            "SELECT * FROM offers WHERE id IN (SELECT id FROM offers WHERE client_id = ?1"
            " UNION SELECT id FROM offers WHERE freelancer_id = ?1) ORDER BY id DESC LIMIT ?2",
            (user_id, limit),
        )
        return [_offer(r) for r in rows]

    async def for_deal(self, deal_id: int) -> Offer | None:
        row = await self.tx.fetchone("SELECT * FROM offers WHERE deal_id = ?", (deal_id,))
        return None if row is None else _offer(row)

    async def private_job(self, offer: Offer, deadline_at: int) -> int:
        """The job a taken offer stands on: the client's, private, already hiring (it was
        never open, so no listing shows it). Returns its id."""
        return await self.tx.insert(
            "INSERT INTO jobs (client_id, category, title, description, answers, budget_min,"
            " budget_max, currency, deadline_at, files, state, created_at, bidding_ends_at,"
            " is_private) VALUES (?, 'other', ?, ?, '{}', ?, ?, ?, ?, '[]', 'hiring', ?, ?, 1)",
            (
                offer.client_id,
                offer.title,
                offer.description,
                offer.amount,
                offer.amount,
                offer.currency,
                deadline_at,
                self.tx.now,
                self.tx.now,
            ),
        )

    async def accepted_bid(self, job_id: int, offer: Offer) -> int:
        """The freelancer's bid on that job, at the offer's terms, already accepted."""
        return await self.tx.insert(
            "INSERT INTO bids (job_id, freelancer_id, amount, days, cover, state, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, 'accepted', ?, ?)",
            (
                job_id,
                offer.freelancer_id,
                offer.amount,
                offer.days,
                offer.description,
                self.tx.now,
                self.tx.now,
            ),
        )


class ReviewersRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def add(self, deal_id: int, reviewer_id: int) -> bool:
        """False if the deal has a reviewer already."""
        return bool(
            await self.tx.update(
                "INSERT INTO deal_reviewers (deal_id, reviewer_id, added_at) VALUES (?, ?, ?)"
                " ON CONFLICT (deal_id) DO NOTHING",
                (deal_id, reviewer_id, self.tx.now),
            )
        )

    async def of_deal(self, deal_id: int) -> int | None:
        """The deal's reviewer, unless they left."""
        row = await self.tx.fetchone(
            "SELECT reviewer_id FROM deal_reviewers WHERE deal_id = ? AND left_at IS NULL",
            (deal_id,),
        )
        return None if row is None else int(row["reviewer_id"])

    async def leave(self, deal_id: int) -> None:
        await self.tx.execute(
            "UPDATE deal_reviewers SET left_at = ? WHERE deal_id = ? AND left_at IS NULL",
            (self.tx.now, deal_id),
        )

    async def add_verdict(
        self, deal_id: int, reviewer_id: int, verdict: str, notes: str, files: list[dict]
    ) -> int:
        return await self.tx.insert(
            "INSERT INTO deal_verdicts (deal_id, reviewer_id, verdict, notes, files, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                deal_id,
                reviewer_id,
                verdict,
                notes,
                json.dumps(files, ensure_ascii=False),
                self.tx.now,
            ),
        )

    async def verdicts(self, deal_id: int) -> list[dict[str, Any]]:
        rows = await self.tx.fetchall(
            "SELECT * FROM deal_verdicts WHERE deal_id = ? ORDER BY id", (deal_id,)
        )
        out = []
        for r in rows:
            d = dict(r)
            d["files"] = json.loads(d["files"] or "[]")
            out.append(d)
        return out

    async def verdict(self, verdict_id: int) -> dict[str, Any] | None:
        row = await self.tx.fetchone("SELECT * FROM deal_verdicts WHERE id = ?", (verdict_id,))
        if row is None:
            return None
        d = dict(row)
        d["files"] = json.loads(d["files"] or "[]")
        return d
