"""Helpers that build a marketplace state through the real services (never by raw SQL)."""

from __future__ import annotations

import itertools

from bot.services import bids, deals, jobs
from bot.services.base import Services
from bot.services.jobs import JobDraft
from bot.services.profiles import touch_user

_charges = itertools.count(1)

CLIENT, FREELANCER, FREELANCER2, STRANGER = 1001, 2001, 2002, 3001


async def people(svc: Services, *ids: int) -> None:
    for uid in ids or (CLIENT, FREELANCER, FREELANCER2, STRANGER):
        await touch_user(svc, uid, f"user{uid}", f"User {uid}", "en")


def draft(**over: object) -> JobDraft:
    base: dict[str, object] = {
        "category": "programming",
        "title": "Build a Telegram bot",
        "description": "A marketplace bot with escrow, bids and disputes, in Python.",
        "answers": {"stack": "python"},
        "budget_min": 100,
        "budget_max": 200,
        "deadline_at": 10**10,
    }
    base.update(over)
    return JobDraft(**base)  # type: ignore[arg-type]


async def job(svc: Services, client: int = CLIENT, **over: object):
    return await jobs.post_job(svc, client, draft(**over))


async def bid(svc: Services, job_id: int, freelancer: int = FREELANCER, amount: int = 150,
              days: int = 3, cover: str = "I can do it"):
    return (await bids.place_bid(svc, freelancer, job_id, amount, days, cover)).bid


def charge() -> str:
    return f"charge-{next(_charges)}"


async def pay(svc: Services, deal, charge_id: str | None = None) -> str:
    return await deals.record_payment(
        svc, deal.client_id, deals.invoice_payload(deal.id), deal.amount, deal.currency,
        charge_id or charge(),
    )


async def funded_deal(svc: Services, client: int = CLIENT, freelancer: int = FREELANCER,
                      amount: int = 150):
    j = await job(svc, client)
    b = await bid(svc, j.id, freelancer, amount)
    d = await deals.hire(svc, client, b.id)
    assert await pay(svc, d) == "funded"
    async with svc.read() as tx:
        return await tx.deals.get(d.id)


async def delivered_deal(svc: Services, **kw: int):
    d = await funded_deal(svc, **kw)
    return await deals.deliver(svc, d.freelancer_id, d.id, "done")
