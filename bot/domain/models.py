"""The marketplace's entities as the services see them (repositories build these)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.domain.states import BidState, ContractKind, DealState, JobState
from bot.domain.trust import Trust

# What is left of an erased account (bot.storage.people): marks that the translator shows in
# the reader's language ("deleted account", "(deleted)"; bot.i18n). Private-use characters,
# never typed by anyone.
DELETED_NAME = "\ue010"
DELETED_TEXT = "\ue011"


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, strict=False, extra="ignore")


class User(Model):
    id: int
    username: str | None = None
    first_name: str = ""
    language: str | None = None  # from Telegram's language_code
    locale_override: str | None = None  # chosen with /language
    bio: str = ""
    skills: str = ""
    experience_years: int | None = None
    portfolio: list[str] = Field(default_factory=list)
    created_at: int
    banned: bool = False
    ban_reason: str | None = None
    unreachable: bool = False
    deleted_at: int | None = None  # the account was deleted: nothing of the person is left

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def display_name(self) -> str:
        if self.deleted:
            return DELETED_NAME
        return self.first_name or (f"@{self.username}" if self.username else f"user {self.id}")


class Job(Model):
    id: int
    client_id: int
    category: str
    title: str
    description: str
    answers: dict[str, Any] = Field(default_factory=dict)
    budget_min: int
    budget_max: int
    currency: str
    deadline_at: int
    brief: str | None = None
    nda_required: bool = False
    nda_text: str | None = None
    files: list[dict[str, Any]] = Field(default_factory=list)
    state: JobState
    created_at: int
    bidding_ends_at: int
    closed_at: int | None = None
    channel_message_id: int | None = None
    is_private: bool = False  # a direct offer's job: never listed (migration 0019)


class Bid(Model):
    id: int
    job_id: int
    freelancer_id: int
    amount: int
    days: int
    cover: str
    state: BidState
    created_at: int
    updated_at: int
    shortlisted_at: int | None = None
    nda_accepted_at: int | None = None
    nda_declined_at: int | None = None
    decline_reason: str | None = None


class Deal(Model):
    id: int
    job_id: int
    bid_id: int
    client_id: int
    freelancer_id: int
    amount: int
    currency: str
    days: int
    state: DealState
    revisions: int = 0
    created_at: int
    funding_ends_at: int | None = None
    funded_at: int | None = None
    due_at: int | None = None
    delivered_at: int | None = None
    review_ends_at: int | None = None
    ended_at: int | None = None
    cancel_requested_at: int | None = None
    charge_id: str | None = None
    kind: ContractKind = ContractKind.FIXED

    def party(self, user_id: int) -> str | None:
        if user_id == self.client_id:
            return "client"
        if user_id == self.freelancer_id:
            return "freelancer"
        return None

    def other(self, user_id: int) -> int:
        return self.freelancer_id if user_id == self.client_id else self.client_id


class Dispute(Model):
    id: int
    deal_id: int
    opened_by: int
    reason: str
    from_state: DealState
    opened_at: int
    respond_by: int
    resolved_at: int | None = None
    resolved_by: int | None = None
    outcome: str | None = None  # release | refund | split
    percent: int | None = None  # to the freelancer
    note: str | None = None
    card_message_id: int | None = None


class Feedback(Model):
    deal_id: int
    rater_id: int
    ratee_id: int
    stars: int
    comment: str = ""
    created_at: int


class Payout(Model):
    id: int
    user_id: int
    amount: int
    currency: str
    state: str  # pending | paid
    created_at: int
    paid_at: int | None = None
    paid_by: int | None = None


class Refund(Model):
    """A refund made outside the books (refundStarPayment): pending until Telegram answers."""

    id: int
    deal_id: int
    payer_id: int
    charge_id: str
    amount: int
    currency: str
    state: str  # pending | confirmed | failed
    created_at: int
    settled_at: int | None = None
    error: str | None = None
    payout_id: int | None = None


class DealEvent(Model):
    id: int
    deal_id: int
    actor_id: int | None
    kind: str
    text: str = ""
    files: list[dict[str, Any]] = Field(default_factory=list)
    created_at: int


class ProfileStats(Model):
    """What a profile, a bid summary and a dispute card show about a person."""

    user: User
    completed_deals: int
    rating_avg: float | None
    rating_count: int
    disputes: int
    disputes_lost: int
    recent_reviews: list[Feedback] = Field(default_factory=list)
    trust: Trust | None = None  # bot.domain.trust: the signals shown before committing


class PendingInput(Model):
    """What a person's next message answers: a button asked for it (bot.services.inputs)."""

    user_id: int
    chat_id: int
    kind: str  # msg | ask | trial | revise | dispute | deliver | evidence
    target: int  # the bid, job or deal
    prompt_message_id: int | None = None
    created_at: int
    expires_at: int
