"""My contracts: each deal with its card (money, deadlines), timeline and the actions its state
allows this person, and those actions: the chat's own services, who-may-act checks and
sentences (a stranger hears exactly what the chat tells them). A money action is done only
with `"confirm": true`; without it the answer is the question the page asks first.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.domain import rules
from bot.domain.errors import InvalidInput
from bot.domain.states import DealState
from bot.handlers.deal_questions import (
    cancel_question,
    cycle_money,
    refund_done,
    release_question,
)
from bot.handlers.milestones import released_text
from bot.i18n import Markup, id_params
from bot.miniapp.common import Visitor, endpoint, json_body, path_id
from bot.services import deals, disputes, feedback
from bot.services.deal_cards import DealData, load_deal, load_deal_list
from bot.views.deal_card import deal_card, deal_list_line, plan_lines, timeline
from bot.views.hourly import card_lines as hourly_lines

# The chat card's button actions the page offers: api action, is it money, does it take text.
ACTIONS: dict[str, tuple[str, bool, bool]] = {
    "release": ("release", True, False),
    "extend1d": ("extend1d", False, False),
    "refundnow": ("refundnow", True, False),
    "cancel_ask": ("cancel", True, False),
    "cancel_yes": ("cancel_yes", True, False),
    "cancel_no": ("cancel_no", False, False),
    "deliver_hint": ("deliver", False, True),
    "revise_hint": ("revise", False, True),
    "dispute_hint": ("dispute", False, True),
}


def _t(visitor: Visitor, key: str, **params: Any) -> str:
    return visitor.t(key, **id_params(params))


CARD_ONLY = {"deal_card"}  # Refresh: the page has its own


def actions_of(data: DealData, visitor: Visitor) -> list[dict[str, Any]]:
    """The buttons the chat's card draws for this person, as the page's actions; one the page
    cannot do itself (evidence with files, what a later part adds) opens the chat."""
    _text, rows = deal_card(data, visitor.id, visitor, visitor.svc.clock.now())
    out: list[dict[str, Any]] = []
    for row in rows:
        for label, target in row:
            if target[0] != "cb":
                continue
            if target[1] == "rate":
                out.append({"action": "rate", "label": label, "stars": int(target[3])})
                continue
            known = ACTIONS.get(target[1])
            if known is None:
                if target[1] not in CARD_ONLY:
                    out.append({"action": "chat", "label": label})
                continue
            name, money, text = known
            out.append({"action": name, "label": label, "money": money, "text": text})
    return out


def deal_out(data: DealData, visitor: Visitor) -> dict[str, Any]:
    d = data.deal
    html, _rows = deal_card(data, visitor.id, visitor, visitor.svc.clock.now())
    return {
        "id": d.id,
        "title": data.job.title if data.job else "",
        "state": str(d.state),
        "role": d.party(visitor.id) or "",
        "amount": visitor.money(d.amount, d.currency),
        "html": html,
        "timeline": timeline(data, visitor),
        "milestones": (
            plan_lines(visitor, data.milestones, d.currency, d.state) if data.milestones else []
        ),
        "weeks": hourly_lines(data, data.hourly, visitor) if data.hourly is not None else [],
        "actions": actions_of(data, visitor),
    }


@endpoint()
async def list_deals(request: web.Request, visitor: Visitor) -> web.Response:
    items = await load_deal_list(visitor.svc, visitor.id)
    return web.json_response(
        {
            "deals": [
                {
                    "id": deal.id,
                    "title": job.title if job else "",
                    "state": str(deal.state),
                    "line": deal_list_line(deal, job, visitor.id, visitor),
                }
                for deal, job in items
            ]
        }
    )


@endpoint()
async def show_deal(request: web.Request, visitor: Visitor) -> web.Response:
    data = await load_deal(visitor.svc, path_id(request, "deal"), visitor.id)
    return web.json_response(deal_out(data, visitor))


async def _confirmation(visitor: Visitor, deal_id: int, action: str) -> str:
    """The chat's checks before it asks (who may act, in which state), then its question."""
    data = await load_deal(visitor.svc, deal_id, visitor.id)
    if action == "release":
        return await release_question(visitor, data, visitor.id)
    if action == "cancel":
        return await cancel_question(visitor, data, visitor.id)
    deal = data.deal
    amount = await cycle_money(visitor, deal)
    return _t(visitor, f"miniapp-confirm-{action.replace('_', '-')}", deal=deal.id, amount=amount)


async def _act(visitor: Visitor, deal_id: int, action: str, body: dict[str, Any]) -> str:
    svc, me = visitor.svc, visitor.id
    text = str(body.get("text") or "")
    now = svc.clock.now()
    if action == "release":
        deal = await deals.release(svc, me, deal_id)
        part = await released_text(visitor, deal)
        if part is not None and deal.state == DealState.AWAITING_FUNDING:
            return part  # a milestone released; the next one's invoice follows in the chat
        amount = Markup(visitor.money(deal.amount, deal.currency))
        return _t(visitor, "deal-release-done", deal=deal.id, amount=amount)
    if action == "extend1d":
        deal = await deals.extend(svc, me, deal_id, "1d")
        due = Markup(visitor.when(deal.due_at or now))
        return _t(visitor, "deal-extend-done", deal=deal.id, due=due)
    if action == "refundnow":
        deal, back = await deals.refund_overdue(svc, me, deal_id)
        return refund_done(visitor, deal, back)
    if action == "cancel":
        outcome = await deals.cancel(svc, me, deal_id)
        return _t(visitor, f"deal-canceldeal-{outcome}", deal=deal_id)
    if action in ("cancel_yes", "cancel_no"):
        outcome = await deals.answer_cancel(svc, me, deal_id, action == "cancel_yes")
        return _t(visitor, f"deal-cancel-answer-{outcome}", deal=deal_id)
    if action == "deliver":
        deal = await deals.deliver(svc, me, deal_id, text, [])
        ends = Markup(visitor.when(deal.review_ends_at or now))
        return _t(visitor, "deal-deliver-done", deal=deal.id, review_ends=ends, files=0)
    if action == "revise":
        deal = await deals.revise(svc, me, deal_id, text)
        return _t(
            visitor,
            "deal-revise-done",
            deal=deal.id,
            used=deal.revisions,
            max=svc.settings.max_revisions,
            due=Markup(visitor.when(deal.due_at or now)),
        )
    if action == "dispute":
        opened = await disputes.open_dispute(svc, me, deal_id, text)
        return _t(visitor, "deal-dispute-opened", deal=opened.deal_id)
    if action == "rate":
        value = rules.parse_stars(str(body.get("stars") or ""))
        rated = await feedback.rate(svc, me, deal_id, value, text)
        key = "deal-rate-done-both" if rated.both else "deal-rate-done-wait"
        return _t(visitor, key, deal=deal_id, stars=value)
    raise InvalidInput("miniapp.unknown_action")


MONEY = {name for name, money, _text in ACTIONS.values() if money}


@endpoint()
async def deal_action(request: web.Request, visitor: Visitor) -> web.Response:
    deal_id = path_id(request, "deal")
    body = await json_body(request)
    action = str(body.get("action") or "")
    if action in MONEY and body.get("confirm") is not True:
        question = await _confirmation(visitor, deal_id, action)
        return web.json_response({"confirm": question})
    message = await _act(visitor, deal_id, action, body)
    data = await load_deal(visitor.svc, deal_id, visitor.id)
    return web.json_response({"message": message, "deal": deal_out(data, visitor)})
