"""Milestones (issue 14): a fixed price in parts, funded and paid one at a time.

A plan is typed as `Title = amount; Title = amount` (a new line works as well as `;`); each
part has a title of 1..MILESTONE_TITLE_MAX characters and an amount above zero, there are
at most MAX_MILESTONES of them, and they add up to the bid. Pure rules, no I/O.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bot.domain import rules
from bot.domain.errors import InvalidInput
from bot.domain.money import parse_amount

MAX_MILESTONES = 10
MILESTONE_TITLE_MAX = 100
_SEPARATORS = re.compile(r"[;\n]+")
_ZERO_OR_LESS = re.compile(r"^\s*(-|−|0+([.,]0*)?\s*$)")


class MilestoneState(StrEnum):
    PENDING = "pending"  # planned, not offered yet
    PROPOSED = "proposed"  # added by the client after the hire; the freelancer has not agreed
    CURRENT = "current"  # being funded, worked on or reviewed: its live state is the deal's
    RELEASED = "released"
    SPLIT = "split"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"  # the contract ended before it was funded


SETTLED = (MilestoneState.RELEASED, MilestoneState.SPLIT, MilestoneState.REFUNDED)


class Milestone(BaseModel):
    model_config = ConfigDict(use_enum_values=False)

    id: int
    bid_id: int
    deal_id: int | None = None
    position: int
    title: str
    amount: int
    state: MilestoneState
    charge_id: str | None = None
    paid: int = 0
    fee: int = 0
    returned: int = 0
    created_at: int
    funded_at: int | None = None
    ended_at: int | None = None


Part = tuple[str, int]


def parse_part(text: str, currency: str) -> Part:
    """`Title = amount`: one milestone."""
    title, sep, amount = (text or "").rpartition("=")
    title = rules.clean_text(title)
    if not sep or not title or not amount.strip():
        raise InvalidInput("milestones.syntax")
    if len(title) > MILESTONE_TITLE_MAX:
        raise InvalidInput("milestones.title_too_long", max=MILESTONE_TITLE_MAX)
    if _ZERO_OR_LESS.match(amount):
        raise InvalidInput("milestones.amount_positive", title=title)
    return title, parse_amount(amount.strip(), currency)


def parse_plan(text: str, currency: str) -> list[Part]:
    """Every `Title = amount` of a plan, in order (at most MAX_MILESTONES)."""
    pieces = [p for p in _SEPARATORS.split(text or "") if p.strip()]
    if not pieces:
        raise InvalidInput("milestones.syntax")
    if len(pieces) > MAX_MILESTONES:
        raise InvalidInput("milestones.too_many", max=MAX_MILESTONES, count=len(pieces))
    return [parse_part(p, currency) for p in pieces]


def check_plan(parts: list[Part], total: int, currency: str) -> list[Part]:
    """A plan for a bid of `total`: refused unless its amounts add up to it exactly."""
    if len(parts) > MAX_MILESTONES:
        raise InvalidInput("milestones.too_many", max=MAX_MILESTONES, count=len(parts))
    if any(amount <= 0 for _, amount in parts):
        raise InvalidInput("milestones.amount_positive", title=next(t for t, a in parts if a <= 0))
    if sum(amount for _, amount in parts) != total:
        amount = sum(a for _, a in parts)
        raise InvalidInput("milestones.sum", amount=amount, total=total, currency=currency)
    return parts
