"""The state machines. The deal table is the only place that knows which move is legal."""

from __future__ import annotations

from enum import StrEnum

from bot.domain.errors import Conflict


class JobState(StrEnum):
    OPEN = "open"  # taking bids
    HIRING = "hiring"  # a bid accepted, its deal awaits funding
    IN_PROGRESS = "in_progress"  # a funded deal is running
    COMPLETED = "completed"  # its deal was released or split
    CLOSED = "closed"  # closed by the client, or its deal refunded
    EXPIRED = "expired"  # the bidding window ended with no hire
    REMOVED = "removed"  # taken down by a moderator


JOB_OPEN_FOR_BIDS = (JobState.OPEN,)


class BidState(StrEnum):
    ACTIVE = "active"
    ACCEPTED = "accepted"  # chosen; a deal exists
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


BID_LIVE = (BidState.ACTIVE, BidState.ACCEPTED)
# The bids a job "has" (its card, /myjobs, the client's list): every bid placed and not
# withdrawn, whatever happened to it since (accepted, declined, closed with the job). A hire
# does not make the count drop.
BID_PLACED = (BidState.ACTIVE, BidState.ACCEPTED, BidState.DECLINED)


class ContractKind(StrEnum):
    """How a deal is paid (migration 0015): at once, in milestones, or by the week."""

    FIXED = "fixed"
    MILESTONES = "milestones"
    HOURLY = "hourly"


class DealState(StrEnum):
    AWAITING_FUNDING = "awaiting_funding"
    FUNDED = "funded"
    DELIVERED = "delivered"
    DISPUTED = "disputed"
    RELEASED = "released"
    REFUNDED = "refunded"
    SPLIT = "split"
    CANCELLED = "cancelled"


FINAL_DEAL_STATES = frozenset(
    {DealState.RELEASED, DealState.REFUNDED, DealState.SPLIT, DealState.CANCELLED}
)
# States whose escrow holds the client's money.
FUNDED_DEAL_STATES = frozenset({DealState.FUNDED, DealState.DELIVERED, DealState.DISPUTED})


class DealAction(StrEnum):
    PAY = "pay"
    FUNDING_EXPIRED = "funding_expired"
    CANCEL_UNFUNDED = "cancel_unfunded"
    DELIVER = "deliver"
    REVISE = "revise"
    EXTEND = "extend"
    RELEASE = "release"
    AUTO_RELEASE = "auto_release"
    CANCEL = "cancel"  # freelancer cancels, or the client's cancel is confirmed
    AUTO_REFUND = "auto_refund"
    DISPUTE = "dispute"
    RESOLVE_RELEASE = "resolve_release"
    RESOLVE_REFUND = "resolve_refund"
    RESOLVE_SPLIT = "resolve_split"
    # Milestone contracts (bot.services.milestones): a settled milestone with more to come
    # puts the contract back to awaiting the next one's funding; a contract whose next
    # milestone is never funded (cancelled, or its funding window ended) ends released.
    NEXT_MILESTONE = "next_milestone"
    CLOSE_MILESTONES = "close_milestones"
    END_CONTRACT = "end_contract"  # an hourly contract's last week is settled


S, A = DealState, DealAction

DEAL_TRANSITIONS: dict[tuple[DealState, DealAction], DealState] = {
    (S.AWAITING_FUNDING, A.PAY): S.FUNDED,
    (S.AWAITING_FUNDING, A.FUNDING_EXPIRED): S.CANCELLED,
    (S.AWAITING_FUNDING, A.CANCEL_UNFUNDED): S.CANCELLED,
    (S.FUNDED, A.DELIVER): S.DELIVERED,
    (S.FUNDED, A.EXTEND): S.FUNDED,
    (S.FUNDED, A.CANCEL): S.REFUNDED,
    (S.FUNDED, A.AUTO_REFUND): S.REFUNDED,
    (S.FUNDED, A.DISPUTE): S.DISPUTED,
    (S.DELIVERED, A.RELEASE): S.RELEASED,
    (S.DELIVERED, A.AUTO_RELEASE): S.RELEASED,
    (S.DELIVERED, A.REVISE): S.FUNDED,
    (S.DELIVERED, A.DISPUTE): S.DISPUTED,
    (S.DISPUTED, A.RESOLVE_RELEASE): S.RELEASED,
    (S.DISPUTED, A.RESOLVE_REFUND): S.REFUNDED,
    (S.DISPUTED, A.RESOLVE_SPLIT): S.SPLIT,
    (S.DELIVERED, A.NEXT_MILESTONE): S.AWAITING_FUNDING,
    (S.DISPUTED, A.NEXT_MILESTONE): S.AWAITING_FUNDING,
    (S.AWAITING_FUNDING, A.CLOSE_MILESTONES): S.RELEASED,
    (S.FUNDED, A.END_CONTRACT): S.RELEASED,
}

del S, A


def allowed_actions(state: DealState) -> list[DealAction]:
    return [a for (s, a) in DEAL_TRANSITIONS if s == state]


def next_deal_state(state: DealState | str, action: DealAction, deal_id: int) -> DealState:
    """The state after `action`, or Conflict("deal.bad_state") naming the current state."""
    state = DealState(state)
    try:
        return DEAL_TRANSITIONS[(state, action)]
    except KeyError:
        raise Conflict("deal.bad_state", deal=deal_id, state=state.value) from None
