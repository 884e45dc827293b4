"""Helpers for hourly contracts' tests: a clock the test moves, hourly bids and contracts."""

from __future__ import annotations

from bot.domain import weeks as W
from bot.services import bids, deals, hourly
from bot.services.base import Clock, Services
from tests import factories as f

# Wednesday 2026-12-02 10:00 UTC.
WEDNESDAY = 1_796_205_600


class TestClock(Clock):
    """Time that moves only when the test moves it."""

    __test__ = False

    def __init__(self, start: int = WEDNESDAY) -> None:
        super().__init__()
        self.start = start

    def now(self) -> int:
        return self.start + self.offset


def fixed_clock(svc: Services, start: int = WEDNESDAY) -> TestClock:
    svc.clock = TestClock(start)
    return svc.clock


async def hourly_bid(svc: Services, job_id: int, freelancer: int, rate: int, hours: int):
    res = await bids.place_bid(
        svc, freelancer, job_id, rate, 7, "hourly", weekly_minutes=hours * 60
    )
    return res.bid


async def hourly_deal(svc: Services, rate: int = 10, hours: int = 10, client: int = f.CLIENT):
    job = await f.job(svc, client)
    bid = await hourly_bid(svc, job.id, f.FREELANCER, rate, hours)
    return await deals.hire(svc, client, bid.id)


async def week_invoice(svc: Services, deal_id: int) -> dict:
    rows = [r for r in await f.outbox(svc, "invoice.week") if r["params"]["deal"] == deal_id]
    return rows[-1]


async def pay_week(svc: Services, deal_id: int, charge_id: str | None = None) -> str:
    inv = await week_invoice(svc, deal_id)
    p = inv["params"]
    return await deals.record_payment(
        svc,
        inv["chat_id"],
        hourly.week_payload(p["week_id"]),
        p["amount"],
        p["currency"],
        charge_id or f.charge(),
    )


async def weeks(svc: Services, deal_id: int):
    async with svc.read() as tx:
        return await tx.hourly.weeks(deal_id)


def monday_after(t: int) -> int:
    return W.week_end(W.week_start(t))
