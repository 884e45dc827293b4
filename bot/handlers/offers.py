"""Direct offers in private chat: /offer (a client to a freelancer), /propose (a freelancer to
a past client), /offers, and the Accept / Decline buttons of a received offer. The Offer
button (a profile's, `/offer @bob` alone) asks for the terms (bot.handlers.inputs, kind
"offer"), answered as the one line after the command."""

from __future__ import annotations

from telegram import Update

from bot.handlers.arguments import command_args
from bot.handlers.base import MarketContext, handler, int_arg, me
from bot.handlers.callbacks import yes_no_buttons
from bot.i18n import id_params
from bot.services import offers, profiles


async def _send(update: Update, context: MarketContext, propose: bool) -> None:
    usage = "offer.usage_propose" if propose else "offer.usage"
    args, rest = command_args(update.effective_message, 1, usage)
    if rest:
        await send_terms(update, context, args[0], rest, propose=propose)
        return
    # `/offer @bob` alone: the one line to write, and a button that asks for the terms.
    stats = await profiles.profile(context.svc, args[0])  # an unknown person is said so
    if propose:
        await context.say(update, context.t("offer-how-propose", who=args[0]))
        return
    rows = [[(context.t("btn-offer"), ("cb", "offer_to", stats.user.id))]]
    await context.say(update, context.t("offer-how", who=args[0]), rows)


async def send_terms(
    update: Update, context: MarketContext, ref: str, text: str, *, propose: bool
) -> None:
    """The terms as typed (`150 5 Title | Description`), after the command or as the answer
    to the Offer button's question (bot.handlers.inputs)."""
    usage = "offer.usage_propose" if propose else "offer.usage"
    terms = offers.parse_terms(text, usage)
    offer = await offers.send_offer(context.svc, me(update), ref, terms, propose=propose)
    amount = context.money(offer.amount, offer.currency)
    params = id_params({"offer": offer.id, "expires_at": context.when(offer.expires_at)})
    await context.say(update, context.t("offer-sent", amount=amount, **params))


@handler
async def offer_cmd(update: Update, context: MarketContext) -> None:
    """/offer <@username|id> <amount> <days> <title> | <description>"""
    await _send(update, context, propose=False)


@handler
async def propose_cmd(update: Update, context: MarketContext) -> None:
    """/propose <@client> <amount> <days> <title> | <description>: to a past client."""
    await _send(update, context, propose=True)


@handler
async def offers_cmd(update: Update, context: MarketContext) -> None:
    mine = await offers.my_offers(context.svc, me(update))
    if not mine:
        await context.say(update, context.t("offers-empty"))
        return
    lines = [context.t("offers-title", count=len(mine))]
    for o in mine[:20]:
        lines.append(
            context.t(
                "offers-line",
                offer=str(o.id),
                title=o.title,
                amount=context.money(o.amount, o.currency),
                state=o.state,
                deal=str(o.deal_id or ""),
            )
        )
    await context.say(update, "\n".join(lines))


@yes_no_buttons("offer")
async def _answer(update: Update, context: MarketContext, args: list[str], agree: bool) -> None:
    offer_id = int_arg(args[0] if args else None)
    if agree:
        deal = await offers.accept_offer(context.svc, me(update), offer_id)
        text = context.t("offer-accept-done", **id_params({"offer": offer_id, "deal": deal.id}))
        rows = [[(_deal_label(context, deal.id), ("cb", "deal_card", deal.id))]]
        await context.say(update, text, rows)
        return
    await offers.decline_offer(context.svc, me(update), offer_id)
    text = context.t("offer-decline-done", **id_params({"offer": offer_id}))
    await context.say(update, text)


def _deal_label(context: MarketContext, deal_id: int) -> str:
    return context.t("deal-btn-deal", **id_params({"deal": deal_id}))
