"""People and money: /profile, /balance, /payout, favourites (/fav, /favs) and /invite."""

from __future__ import annotations

from telegram import Update

from bot.domain.errors import InvalidInput
from bot.domain.models import Payout
from bot.handlers.base import MarketContext, args_of, handler, int_arg, me
from bot.handlers.callbacks import button
from bot.i18n import Markup
from bot.services import payouts, profiles
from bot.views import cards
from bot.views.pages import page_arg, page_of


@handler
async def profile(update: Update, context: MarketContext) -> None:
    args = args_of(context)
    stats = await profiles.profile(context.svc, args[0] if args else me(update))
    own = stats.user.id == me(update)
    rows = [] if own else [[(context.t("btn-fav"), ("cb", "fav", stats.user.id))]]
    if not own:  # a direct offer to them (bot.handlers.offers)
        rows.append([(context.t("btn-offer"), ("cb", "offer_to", stats.user.id))])
    await context.say(update, cards.profile_card(context, stats, own), rows)


@handler
async def balance(update: Update, context: MarketContext) -> None:
    bals = await payouts.balances(context.svc, me(update))
    await context.say(update, cards.balance_card(context, bals))


@handler
async def payout(update: Update, context: MarketContext) -> None:
    """`/payout`: everything, one request per currency held; `/payout 50`: part of the only
    currency held; `/payout 50 USD`: part of one currency when there are several."""
    args = args_of(context)
    if not args:
        await _confirm_all(update, context)
        return
    currency = args[1] if len(args) > 1 else None
    done = [await payouts.request_payout(context.svc, me(update), args[0], currency)]
    await _requested(update, context, done, edit=False)


async def _confirm_all(update: Update, context: MarketContext) -> None:
    """`/payout` alone asks first: the whole balance (every currency) goes."""
    held = await payouts.withdrawable(context.svc, me(update))
    amounts = Markup(" · ".join(context.money(amount, cur) for cur, amount in held))
    stamp = payouts.balance_stamp(dict(held))
    rows = [
        [
            (context.t("payout-btn-all"), ("cb", "payout_all", stamp)),
            (context.t("payout-btn-keep"), ("cb", "payout_keep")),
        ]
    ]
    await context.say(update, context.t("payout-confirm-all", amounts=amounts), rows)


@button("payout_all")
async def payout_all_button(update: Update, context: MarketContext, args: list[str]) -> None:
    stamp = args[0] if args else ""
    done = await payouts.request_all_payouts(context.svc, me(update), stamp)
    await _requested(update, context, done, edit=True)


@button("payout_keep")
async def payout_keep_button(update: Update, context: MarketContext, args: list[str]) -> None:
    await context.say(update, context.t("payout-kept"), edit=True)


async def _requested(
    update: Update, context: MarketContext, done: list[Payout], *, edit: bool
) -> None:
    lines = [
        cards.tr(
            context,
            "payout-requested",
            payout=p.id,
            amount=Markup(context.money(p.amount, p.currency)),
        )
        for p in done
    ]
    await context.say(update, "\n".join(lines), edit=edit)


async def _fav(update: Update, context: MarketContext, ref: str) -> None:
    user = await profiles.add_favourite(context.svc, me(update), ref)
    await context.say(update, context.t("fav-added", name=user.display_name))


@handler
async def fav(update: Update, context: MarketContext) -> None:
    args = args_of(context)
    if not args:
        raise InvalidInput("args.fav")
    await _fav(update, context, args[0])


@button("fav")
async def fav_button(update: Update, context: MarketContext, args: list[str]) -> None:
    await _fav(update, context, str(int_arg(args[0] if args else None, "args.fav")))


async def _send_favs(update: Update, context: MarketContext, number: int, edit: bool) -> None:
    page = page_of(await profiles.favourites(context.svc, me(update)), number)
    html, rows = cards.favs_list(context, page)
    await context.say(update, html, rows, edit=edit)


@handler
async def favs(update: Update, context: MarketContext) -> None:
    await _send_favs(update, context, 0, edit=False)


@button("favs")
async def favs_page(update: Update, context: MarketContext, args: list[str]) -> None:
    await _send_favs(update, context, page_arg((args or [""])[0]), edit=True)


@handler
async def invite(update: Update, context: MarketContext) -> None:
    args = args_of(context)
    if len(args) < 2:
        raise InvalidInput("args.invite")
    job_id = int_arg(args[1], "args.invite")
    user = await profiles.invite(context.svc, me(update), args[0], job_id)
    await context.say(update, cards.tr(context, "invite-sent", name=user.display_name, job=job_id))
