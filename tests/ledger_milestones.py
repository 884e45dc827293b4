"""Milestone contracts in the ledger state machine (tests/test_ledger_stateful.py), issue 14.

A mixin of `LedgerMachine`: the model of a bid's plan and of a contract's milestones, the
rules that set plans (the right sum, or one of the refusals: not adding up to the bid, more
than 10, an amount of zero or less) and add milestones later (the freelancer accepts or
declines), and the milestone side of the model's money moves (fund, release, auto-release,
split, refund, the contract ending between two milestones). The machine's own rules (pay,
deliver, revise, release, dispute, random moderator decisions, cancel, timers) act on the
current milestone unchanged; its invariants compare the milestones table with this model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from bot.domain.errors import Conflict, DomainError, Forbidden, InvalidInput
from bot.domain.money import percent_of
from bot.services import deals, milestones

if TYPE_CHECKING:
    from tests.test_ledger_stateful import MBid, MDeal

MAX = 10
WEIGHTS = st.lists(st.integers(min_value=0, max_value=4), min_size=1, max_size=12)


@dataclass
class MMilestone:
    id: int
    title: str
    amount: int
    state: str  # pending, proposed, current, released, split, refunded, cancelled
    charge: str | None = None
    paid: int = 0
    fee: int = 0
    returned: int = 0


SETTLED = ("released", "split", "refunded")


def _parts(total: int, weights: list[int], skew: int) -> list[tuple[str, int]]:
    """Amounts in proportion to `weights` that add up to `total` (+ `skew`)."""
    whole = sum(weights) or 1
    amounts = [total * w // whole for w in weights]
    amounts[-1] += total - sum(amounts) + skew
    return [(f"Part {n}", a) for n, a in enumerate(amounts, 1)]


class MilestoneRules:
    """Mixed into LedgerMachine (which provides svc, run, attempt, the model and helpers)."""

    plans: dict[int, list[tuple[str, int]]]  # a bid's plan before a hire

    # --- the current cycle --------------------------------------------------------------

    def _cycle(self, d: MDeal) -> int:
        """What one funding of the deal moves: its amount, or its current milestone's."""
        cur = self._current(d)
        return d.amount if cur is None else cur.amount

    def _current(self, d: MDeal) -> MMilestone | None:
        return next((m for m in d.plan if m.state == "current"), None)

    def _payload(self, d: MDeal) -> str:
        if d.kind != "milestones":
            return deals.invoice_payload(d.id)
        cur = self._current(d) or (d.plan[-1] if d.plan else None)
        return milestones.payload(d.id, cur.id) if cur else deals.invoice_payload(d.id)

    def _ms_settled(self, d: MDeal) -> bool:
        return any(m.state in SETTLED for m in d.plan)

    # --- the model's money moves, for a milestone contract -------------------------------

    def _ms_fund(self, d: MDeal, charge: str) -> None:
        cur = self._current(d)
        assert cur is not None
        cur.charge = charge

    def _ms_settle(self, d: MDeal, state: str, paid: int, fee: int, back: int, final: str) -> None:
        """The current milestone is settled: the next one awaits funding, or the contract
        ends in `final` (a refund always ends it)."""
        cur = self._current(d)
        assert cur is not None
        cur.state, cur.paid, cur.fee, cur.returned = state, paid, fee, back
        self.escrow[d.id] -= cur.amount
        nxt = next((m for m in d.plan if m.state == "pending"), None)
        event(f"milestone {state}, {'the next offered' if nxt and state != 'refunded' else 'end'}")
        if nxt is not None and state != "refunded":
            nxt.state = "current"
            d.state = "awaiting_funding"
            d.funding_ends_at = self.now + self.s.funding_window
            d.due_at = d.review_ends_at = d.charge_id = None
            d.revisions = 0
            d.cancel_requested = False
            return
        self._ms_end_plan(d)
        d.state = final
        d.cancel_requested = False
        self._m_finish(d, "closed" if final == "refunded" else "completed")

    def _ms_end_plan(self, d: MDeal) -> None:
        """The contract ended: a proposal the freelancer had not accepted is dropped, what
        was planned and never funded is cancelled."""
        d.plan = [m for m in d.plan if m.state != "proposed"]
        for m in d.plan:
            if m.state in ("pending", "current"):
                m.state = "cancelled"

    def _ms_release(self, d: MDeal, state: str) -> None:
        amount = self._cycle(d)
        fee = percent_of(amount, self.fee_pct)
        self.avail[d.freelancer] += amount - fee
        self.fees += fee
        self._ms_settle(d, "released", amount - fee, fee, 0, state)

    def _ms_refund(self, d: MDeal) -> None:
        cur = self._current(d)
        assert cur is not None and cur.charge is not None
        if self.stars:
            self._m_star_refund(d.client, cur.amount, cur.charge)
        else:
            self._queue_payout(d.client, cur.amount)
        self._ms_settle(d, "refunded", 0, 0, cur.amount, "refunded")

    def _ms_split(self, d: MDeal, pct: int) -> None:
        cur = self._current(d)
        assert cur is not None and cur.charge is not None
        share = percent_of(cur.amount, pct)
        if share == 0 and self.stars:
            self._m_star_refund(d.client, cur.amount, cur.charge)
            self._ms_settle(d, "split", 0, 0, cur.amount, "split")
            return
        fee = percent_of(share, self.fee_pct)
        self.avail[d.freelancer] += share - fee
        self.fees += fee
        if cur.amount - share:
            self._queue_payout(d.client, cur.amount - share)
        self._ms_settle(d, "split", share - fee, fee, cur.amount - share, "split")

    def _ms_unfunded_end(self, d: MDeal) -> bool:
        """The next milestone was not funded: True when the contract ends released (some
        were paid); else its plan is the bid's again and it is cancelled as a fixed deal."""
        event(f"milestone contract unfunded: {'ends' if self._ms_settled(d) else 'cancelled'}")
        if self._ms_settled(d):
            self._ms_end_plan(d)
            d.state = "released"
            d.cancel_requested = False
            self._m_finish(d, "completed")
            return True
        self.plans[d.bid] = [(m.title, m.amount) for m in d.plan if m.state != "proposed"]
        d.plan = []
        return False

    def _ms_hired(self, d: MDeal, b: MBid) -> None:
        """A hire of a bid with a plan: the contract's milestones, as the database numbered
        them."""
        parts = self.plans.pop(b.id, None)
        if not parts:
            return
        rows = self.run(self._ms_rows(d.id))
        assert [(r["title"], r["amount"]) for r in rows] == parts
        d.kind = "milestones"
        d.plan = [
            MMilestone(r["id"], r["title"], r["amount"], "current" if n == 0 else "pending")
            for n, r in enumerate(rows)
        ]

    def _ms_stale(self, b: MBid) -> bool:
        parts = self.plans.get(b.id)
        return bool(parts) and sum(a for _, a in parts) != b.amount

    async def _ms_rows(self, deal_id: int) -> list[Any]:
        async with self.svc.read() as tx:
            return await tx.fetchall(
                "SELECT * FROM milestones WHERE deal_id = ? ORDER BY position", (deal_id,)
            )

    # --- rules ----------------------------------------------------------------------------

    def _set_plan(self, b: MBid, actor: int, weights: list[int], skew: int) -> None:
        j = self.jobs[b.job]
        parts = _parts(b.amount, weights, skew)
        unit = self.scale

        def shown(minor: int) -> str:
            return str(minor) if unit == 1 else f"{minor // 100}.{minor % 100:02d}"

        text = "; ".join(f"{t} = {shown(a) if a > 0 else str(a // unit)}" for t, a in parts)
        expect: type[DomainError] | None = None
        if actor in self.banned or actor not in (b.freelancer, j.client):
            expect = Forbidden
        elif b.state != "active" or j.state != "open":
            expect = Conflict
        elif (
            len(parts) > MAX
            or any(not unit <= a <= 1_000_000 * unit for _, a in parts)
            or sum(a for _, a in parts) != b.amount
        ):
            expect = InvalidInput
        got = self.attempt(expect, milestones.set_plan(self.svc, actor, b.id, text))
        if got is not self._refused_marker():
            self.plans[b.id] = parts

    @precondition(lambda self: any(b.state == "active" for b in self.bids.values()))
    @rule(
        i=st.integers(min_value=0, max_value=10_000),
        who=st.integers(min_value=0, max_value=9),
        weights=WEIGHTS,
        skew=st.sampled_from([0, 0, 0, 0, 1, -1]),
    )
    def plan_milestones(self, i: int, who: int, weights: list[int], skew: int) -> None:
        """The freelancer (or the client) sets a bid's plan, or tries one that is refused."""
        from tests.test_ledger_stateful import EVERYONE, _pick

        b = _pick(self.bids, i, lambda b: b.state == "active")
        j = self.jobs[b.job]
        actor = (b.freelancer, j.client)[who % 2] if who < 8 else EVERYONE[i % len(EVERYONE)]
        self._set_plan(b, actor, weights, skew * self.scale)

    @precondition(lambda self: any(d.kind == "milestones" for d in self.deals.values()))
    @rule(
        i=st.integers(min_value=0, max_value=10_000),
        who=st.integers(min_value=0, max_value=9),
        whole=st.integers(min_value=-1, max_value=60),
    )
    def add_milestone(self, i: int, who: int, whole: int) -> None:
        from tests.test_ledger_stateful import EVERYONE, FINAL, _pick

        d = _pick(self.deals, i, lambda d: d.kind == "milestones" and d.state not in FINAL)
        actor = d.client if who < 7 else EVERYONE[i % len(EVERYONE)]
        amount = whole * self.scale
        expect: type[DomainError] | None = None
        live = [m for m in d.plan if m.state != "cancelled"]
        if actor in self.banned or actor != d.client:
            expect = Forbidden
        elif d.kind != "milestones" or d.state in FINAL:
            expect = Conflict
        elif amount <= 0:
            expect = InvalidInput
        elif any(m.state == "proposed" for m in d.plan):
            expect = Conflict
        elif len(live) >= MAX:
            expect = InvalidInput
        text = f"Extra {i} = {whole}"
        got = self.attempt(expect, milestones.propose(self.svc, actor, d.id, text))
        if got is not self._refused_marker():
            d.plan.append(MMilestone(got.id, f"Extra {i}", amount, "proposed"))

    @precondition(
        lambda self: any(
            m.state == "proposed" for d in self.deals.values() for m in getattr(d, "plan", [])
        )
    )
    @rule(
        i=st.integers(min_value=0, max_value=10_000),
        who=st.integers(min_value=0, max_value=9),
        agree=st.booleans(),
    )
    def answer_milestone(self, i: int, who: int, agree: bool) -> None:
        from tests.test_ledger_stateful import EVERYONE, FINAL, _pick

        d = _pick(self.deals, i, lambda d: any(m.state == "proposed" for m in d.plan))
        actor = d.freelancer if who < 7 else EVERYONE[i % len(EVERYONE)]
        proposed = next((m for m in d.plan if m.state == "proposed"), None)
        expect: type[DomainError] | None = None
        if not d.party(actor) or actor != d.freelancer:
            expect = Forbidden
        elif proposed is None or d.state in FINAL:
            expect = Conflict
        coro = milestones.answer_proposal(self.svc, actor, d.id, agree)
        if self.attempt(expect, coro) is self._refused_marker():
            return
        assert proposed is not None
        if agree:
            proposed.state = "pending"
            d.amount += proposed.amount
        else:
            d.plan.remove(proposed)

    def _refused_marker(self) -> object:
        from tests.service_machine import REFUSED

        return REFUSED

    # --- the invariant ---------------------------------------------------------------------

    async def _check_milestones(self) -> None:
        async with self.svc.read() as tx:
            rows = await tx.fetchall("SELECT * FROM milestones ORDER BY bid_id, position")
        attached: dict[int, list[tuple[Any, ...]]] = {}
        planned: dict[int, list[tuple[str, int]]] = {}
        for r in rows:
            if r["deal_id"] is None:
                assert r["state"] == "pending", dict(r)
                planned.setdefault(r["bid_id"], []).append((r["title"], r["amount"]))
            else:
                attached.setdefault(r["deal_id"], []).append(
                    (
                        r["id"],
                        r["title"],
                        r["amount"],
                        r["state"],
                        r["charge_id"],
                        r["paid"],
                        r["fee"],
                        r["returned"],
                    )
                )
        assert planned == {b: p for b, p in self.plans.items() if p}
        want = {
            d.id: [
                (m.id, m.title, m.amount, m.state, m.charge, m.paid, m.fee, m.returned)
                for m in d.plan
            ]
            for d in self.deals.values()
            if d.plan
        }
        assert attached == want
        for d in self.deals.values():
            if d.kind == "milestones" and d.state != "cancelled":
                # The contract's total is its plan; a settled milestone's money went in full.
                assert d.amount == sum(m.amount for m in d.plan if m.state != "proposed")
                for m in d.plan:
                    if m.state in SETTLED:
                        assert m.paid + m.fee + m.returned == m.amount
                if d.state in ("released", "refunded", "split"):
                    assert self.escrow[d.id] == 0
                    assert all(m.state in (*SETTLED, "cancelled") for m in d.plan)
