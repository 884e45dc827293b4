"""Helpers that build a marketplace state through the real services (never by raw SQL)."""

from __future__ import annotations

import itertools
import struct
import zlib

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


async def bid(
    svc: Services,
    job_id: int,
    freelancer: int = FREELANCER,
    amount: int = 150,
    days: int = 3,
    cover: str = "I can do it",
):
    return (await bids.place_bid(svc, freelancer, job_id, amount, days, cover)).bid


def charge() -> str:
    return f"charge-{next(_charges)}"


async def pay(svc: Services, deal, charge_id: str | None = None) -> str:
    return await deals.record_payment(
        svc,
        deal.client_id,
        deals.invoice_payload(deal.id),
        deal.amount,
        deal.currency,
        charge_id or charge(),
    )


async def funded_deal(
    svc: Services, client: int = CLIENT, freelancer: int = FREELANCER, amount: int = 150
):
    j = await job(svc, client)
    b = await bid(svc, j.id, freelancer, amount)
    d = await deals.hire(svc, client, b.id)
    assert await pay(svc, d) == "funded"
    async with svc.read() as tx:
        return await tx.deals.get(d.id)


async def delivered_deal(svc: Services, **kw: int):
    d = await funded_deal(svc, **kw)
    return await deals.deliver(svc, d.freelancer_id, d.id, "done")


# --- Helpers for the service tests: read the database, and check refusals change nothing. ---


async def snapshot(svc: Services) -> dict[str, list[tuple]]:
    """Every row of every table, to prove that a refused action changed nothing (but the
    inbox's: the updates that brought the refused action are not its change; nor the shared
    send budget's, which the answer saying so spends)."""
    out: dict[str, list[tuple]] = {}
    async with svc.read() as tx:
        tables = await tx.fetchall(tx.dialect.tables())
        for row in tables:
            name = row["name"]
            if name in ("inbox", "inbox_turns", "send_budget"):
                continue
            rows = await tx.fetchall(f"SELECT * FROM {name}")
            out[name] = sorted((tuple(r) for r in rows), key=repr)
    return out


async def refused(svc: Services, call, key: str, kind: type | None = None, **params: object):
    """Await `call` (a coroutine): it must raise a DomainError named `key`, carrying `params`,
    and leave every table exactly as it was. Returns the error."""
    from bot.domain.errors import DomainError

    before = await snapshot(svc)
    try:
        await call
    except DomainError as exc:
        err = exc
    else:
        raise AssertionError(f"expected the refusal {key!r}, but the call succeeded")
    assert err.key == key, f"expected {key!r}, got {err!r}"
    if kind is not None:
        assert isinstance(err, kind), f"{err!r} is not a {kind.__name__}"
    for name, value in params.items():
        assert err.params.get(name) == value, f"{err!r}: {name} should be {value!r}"
    after = await snapshot(svc)
    changed = [t for t in before if before[t] != after.get(t)]
    assert not changed, f"{key} was refused but these tables changed: {changed}"
    return err


async def get_job(svc: Services, job_id: int):
    async with svc.read() as tx:
        return await tx.jobs.get(job_id)


async def get_bid(svc: Services, bid_id: int):
    async with svc.read() as tx:
        return await tx.bids.get(bid_id)


async def get_deal(svc: Services, deal_id: int):
    async with svc.read() as tx:
        return await tx.deals.get(deal_id)


async def balance(
    svc: Services, kind: str, owner_id: int | None = None, currency: str | None = None
) -> int:
    """A ledger account's balance (0 when the account does not exist yet)."""
    async with svc.read() as tx:
        return await tx.ledger.balance(kind, currency or svc.settings.currency, owner_id)


async def outbox(
    svc: Services, key: str | None = None, chat_id: int | None = None, method: str | None = None
) -> list[dict]:
    """Outbox rows, oldest first, optionally filtered; `params` decoded."""
    import json

    async with svc.read() as tx:
        rows = await tx.fetchall("SELECT * FROM outbox ORDER BY id")
    out = []
    for r in rows:
        d = dict(r)
        d["params"] = json.loads(d["params"])
        if key is not None and d["key"] != key:
            continue
        if chat_id is not None and d["chat_id"] != chat_id:
            continue
        if method is not None and d["method"] != method:
            continue
        out.append(d)
    return out


JOB_KINDS = ("job_nudge", "job_expire")


async def pending(svc: Services, subject_id: int, of_job: bool = False) -> dict[str, int]:
    """The pending deadlines of a deal, or of a job with `of_job`: {kind: due_at}. (A job and
    a deal may share an id; their deadline kinds never coincide.)"""
    async with svc.read() as tx:
        rows = await tx.deadlines.pending(subject_id)
    return {d["kind"]: d["due_at"] for d in rows if of_job == (d["kind"] in JOB_KINDS)}


def advance_to(svc: Services, when: int) -> None:
    """Move the services' clock to `when` (never backwards)."""
    svc.clock.advance(max(0, when - svc.clock.now()))


def png(width: int = 240, height: int = 150) -> bytes:
    """A real PNG image (blue and white bands) that a browser draws."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    bands = [bytes((51, 144, 236)), bytes((255, 255, 255))]
    rows = b"".join(b"\x00" + bands[(y // 25) % 2] * width for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def pay_milestone(svc: Services, deal, charge_id: str | None = None) -> str:
    """Pay the invoice of a milestone contract's current milestone (issue 14)."""
    from bot.services import milestones

    async with svc.read() as tx:
        current = await tx.milestones.current(deal.id)
    assert current is not None
    return await deals.record_payment(
        svc,
        deal.client_id,
        milestones.payload(deal.id, current.id),
        current.amount,
        deal.currency,
        charge_id or charge(),
    )
