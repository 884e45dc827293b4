"""What a deal's money buttons ask before they act, and what the refund says it did: the chat's
buttons (handlers/deals.py) and the Mini App (miniapp/deals.py) make the same checks (who may
act, in which state) and say the same sentences. `speaker` is the chat's context or the Mini
App's visitor: both translate (`t`), show money (`money`) and hold the services (`svc`)."""

from __future__ import annotations

from typing import Any

from bot.domain.errors import Conflict, Forbidden
from bot.domain.models import Deal
from bot.domain.states import ContractKind, DealAction, DealState, next_deal_state
from bot.handlers.milestones import cycle_amount
from bot.i18n import Markup, id_params
from bot.services.deal_cards import DealData
from bot.services.escrow import Returned


def _t(speaker: Any, key: str, **params: Any) -> str:
    return str(speaker.t(key, **id_params(params)))


async def cycle_money(speaker: Any, deal: Deal) -> Markup:
    """What one release or cancel moves: the deal's amount, or its current milestone's."""
    return Markup(speaker.money(await cycle_amount(speaker, deal), deal.currency))


async def release_question(speaker: Any, data: DealData, me: int) -> str:
    deal = data.deal
    if deal.client_id != me:
        raise Forbidden("deal.only_client_release", deal=deal.id)
    next_deal_state(deal.state, DealAction.RELEASE, deal.id)
    return _t(
        speaker,
        "deal-release-confirm",
        deal=deal.id,
        amount=await cycle_money(speaker, deal),
        freelancer=data.name(deal.freelancer_id),
    )


async def cancel_question(speaker: Any, data: DealData, me: int) -> str:
    deal = data.deal
    if deal.state == DealState.AWAITING_FUNDING:
        kind = "unfunded"
    elif deal.kind == ContractKind.HOURLY:
        kind = "hourly"  # ends the contract; the last week is settled as usual
    else:
        next_deal_state(deal.state, DealAction.CANCEL, deal.id)
        kind = deal.party(me) or "client"
        if kind == "client" and deal.cancel_requested_at is not None:
            raise Conflict("cancel.already_requested", deal=deal.id)
    return _t(
        speaker,
        f"deal-canceldeal-confirm-{kind}",
        deal=deal.id,
        amount=await cycle_money(speaker, deal),
    )


def refund_done(speaker: Any, deal: Deal, back: Returned) -> str:
    return _t(
        speaker,
        "deal-refundnow-done",
        deal=deal.id,
        amount=Markup(speaker.money(deal.amount, deal.currency)),
        how=back.how,
        payout=back.payout or 0,
    )
