"""A contract's QA reviewer (issue 14): another professional the client adds to a contract.

The reviewer is told (with the brief), gets a copy of every delivery, may open the deal's
card read-only, and records verdicts (pass / changes needed, with notes and files) that the
client sees beside the Release button. The reviewer is no party: every action on the deal
(release, refund, cancel, dispute, extend, revise, pay...) is refused with one sentence
(bot.services.base.party_deal). Access ends with the contract (`RUNNING`); when it ends
the reviewer is told they leave (bot.services.lifecycle.finish_deal).
"""

from __future__ import annotations

from bot.domain import rules
from bot.domain.errors import Conflict, Forbidden, InvalidInput
from bot.domain.models import Deal, User
from bot.domain.states import DealState
from bot.services.base import RUNNING_DEAL_STATES, Services, active_user, deal_or_404, party_deal
from bot.services.lifecycle import notify_params
from bot.services.profiles import find_user
from bot.storage.db import Tx
from bot.storage.offers import ReviewersRepo

VERDICTS = {"pass": "pass", "changes": "changes", "ok": "pass", "fix": "changes"}
VERDICT_FILES_MAX = 10


def parse_verdict(word: str) -> str:
    verdict = VERDICTS.get((word or "").strip().lower())
    if verdict is None:
        raise InvalidInput("verdict.usage")
    return verdict


async def add_reviewer(svc: Services, actor: int, deal_id: int, ref: str) -> User:
    """The client adds a reviewer to a running contract; the reviewer gets the brief and
    the deliveries so far, the freelancer is told."""
    async with svc.tx() as tx:
        await active_user(tx, actor)
        deal = await party_deal(tx, deal_id, actor, lock=True)
        if actor != deal.client_id:
            raise Forbidden("deal.only_client", deal=deal_id)
        if deal.state not in RUNNING_DEAL_STATES:
            raise Conflict("reviewer.deal_ended", deal=deal_id)
        reviewer = await find_user(tx, ref)
        if reviewer.id == actor:
            raise InvalidInput("reviewer.self")
        if reviewer.id == deal.freelancer_id:
            raise InvalidInput("reviewer.freelancer", deal=deal_id)
        if reviewer.banned:
            raise Forbidden("reviewer.banned", name=reviewer.display_name)
        repo = ReviewersRepo(tx)
        if not await repo.add(deal.id, reviewer.id):
            raise Conflict("reviewer.already", deal=deal_id)
        await tx.deals.add_event(deal.id, actor, "reviewer_added", reviewer.display_name)
        params = notify_params(deal, client=deal.client_id, reviewer=reviewer.id)
        await tx.outbox.add(reviewer.id, "review.added", params, ref=f"deal:{deal.id}")
        for event in await tx.deals.events(deal.id):
            if event.kind == "delivery":
                await tell_reviewer(tx, deal, event.id, event.text, len(event.files), reviewer.id)
        await tx.outbox.add(
            deal.freelancer_id,
            "review.added_freelancer",
            {**params, "user": reviewer.id},
            ref=f"deal:{deal.id}",
        )
        return reviewer


async def tell_reviewer(
    tx: Tx, deal: Deal, event: int, note: str, files: int, reviewer: int | None = None
) -> None:
    """A delivery's copy for the deal's reviewer (if there is one), in the delivery's
    transaction."""
    if reviewer is None:
        reviewer = await ReviewersRepo(tx).of_deal(deal.id)
    if reviewer is None:
        return
    await tx.outbox.add(
        reviewer,
        "review.delivered",
        notify_params(deal, event=event, note=note, files=files),
        ref=f"deal:{deal.id}",
    )


async def reviewing(tx: Tx, deal_id: int, actor: int) -> Deal:
    """A running deal `actor` reviews; anyone else is told it is not theirs."""
    deal = await deal_or_404(tx, deal_id)
    if await ReviewersRepo(tx).of_deal(deal.id) != actor:
        raise Forbidden("deal.not_party", deal=deal_id)
    if deal.state not in RUNNING_DEAL_STATES:
        raise Forbidden("reviewer.ended", deal=deal_id)
    return deal


async def record_verdict(
    svc: Services,
    actor: int,
    deal_id: int,
    verdict: str,
    notes: str = "",
    files: list[dict] | None = None,
) -> int:
    """The reviewer's verdict on the delivery waiting for the client; the client is told,
    with Release beside it. Returns the verdict's id."""
    notes = rules.clean_text(notes)
    if len(notes) > rules.NOTE_MAX:
        raise InvalidInput("verdict.notes_too_long", max=rules.NOTE_MAX, length=len(notes))
    if len(files or []) > VERDICT_FILES_MAX:
        raise InvalidInput("verdict.too_many_files", max=VERDICT_FILES_MAX)
    async with svc.tx() as tx:
        await active_user(tx, actor)
        await tx.jobs.lock_of_deal(deal_id)
        deal = await reviewing(tx, deal_id, actor)
        if deal.state != DealState.DELIVERED:
            raise Conflict("verdict.nothing_delivered", deal=deal_id)
        verdict_id = await ReviewersRepo(tx).add_verdict(
            deal.id, actor, verdict, notes, files or []
        )
        await tx.deals.add_event(deal.id, actor, f"verdict_{verdict}", notes, files or [])
        await tx.outbox.add(
            deal.client_id,
            "review.verdict",
            notify_params(deal, verdict=verdict_id, user=actor),
            ref=f"deal:{deal.id}",
        )
        return verdict_id
