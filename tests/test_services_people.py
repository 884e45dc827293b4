"""People: double-blind feedback, balances and payouts, bans, messages, profiles."""

from __future__ import annotations

import asyncio

import pytest

from bot.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from bot.domain.states import DealState
from bot.services import bids, deals, feedback, jobs, messages, moderation, payouts, profiles
from bot.services.base import as_admin
from bot.storage.db import committed_here, forget_commits
from tests import factories as f
from tests.factories import CLIENT, FREELANCER, FREELANCER2, STRANGER

ADMIN = 9001
MOD_CHAT = -100500


async def released(svc, amount: int = 150, freelancer: int = FREELANCER):
    deal = await f.delivered_deal(svc, amount=amount, freelancer=freelancer)
    return await deals.release(svc, CLIENT, deal.id)


async def rating(svc, user_id: int) -> tuple[float | None, int]:
    async with svc.read() as tx:
        return await profiles.rating_of(tx, svc, user_id)


# --- feedback ---------------------------------------------------------------------------------


async def test_rate_only_finished_deals(svc) -> None:
    deal = await f.funded_deal(svc)
    await f.refused(
        svc, feedback.rate(svc, CLIENT, deal.id, 5), "rate.not_finished", Conflict, deal=deal.id
    )
    await deals.deliver(svc, FREELANCER, deal.id)
    await f.refused(svc, feedback.rate(svc, CLIENT, deal.id, 5), "rate.not_finished")
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    cancelled = await deals.hire(svc, CLIENT, b.id)
    await deals.cancel(svc, CLIENT, cancelled.id)
    await f.refused(svc, feedback.rate(svc, CLIENT, cancelled.id, 5), "rate.not_finished")


async def test_rate_refusals(svc) -> None:
    deal = await released(svc)
    await f.refused(svc, feedback.rate(svc, STRANGER, deal.id, 5), "deal.not_party", Forbidden)
    await f.refused(svc, feedback.rate(svc, ADMIN, deal.id, 5), "deal.not_party")
    for bad in (0, 6, -1):
        await f.refused(svc, feedback.rate(svc, CLIENT, deal.id, bad), "rating.invalid")
    await f.refused(svc, feedback.rate(svc, CLIENT, 999, 5), "deal.not_found", NotFound)


async def test_double_blind(svc) -> None:
    deal = await released(svc)
    assert await feedback.rate(svc, CLIENT, deal.id, 4, "Good work") == feedback.Rated(False)
    await f.refused(svc, feedback.rate(svc, CLIENT, deal.id, 5), "rate.already", Conflict)
    [received] = await f.outbox(svc, "notify.feedback_received")
    assert received["chat_id"] == FREELANCER
    # Hidden from the other side and from profiles until both rated.
    assert await feedback.visible_feedback(svc, deal.id, FREELANCER) == []
    [own] = await feedback.visible_feedback(svc, deal.id, CLIENT)
    assert (own.rater_id, own.ratee_id, own.stars, own.comment) == (
        CLIENT,
        FREELANCER,
        4,
        "Good work",
    )
    assert await rating(svc, FREELANCER) == (None, 0)
    assert (await profiles.profile(svc, FREELANCER)).recent_reviews == []
    with pytest.raises(Forbidden):
        await feedback.visible_feedback(svc, deal.id, STRANGER)

    rated = await feedback.rate(svc, FREELANCER, deal.id, 5)
    assert rated.both and rated.received is not None
    # What the freelancer got is in their answer; the client is told by a message.
    assert (rated.received.stars, rated.received.comment) == (4, "Good work")
    revealed = await f.outbox(svc, "notify.feedback_revealed")
    assert [r["chat_id"] for r in revealed] == [CLIENT]
    assert len(await feedback.visible_feedback(svc, deal.id, FREELANCER)) == 2
    assert len(await feedback.visible_feedback(svc, deal.id, CLIENT)) == 2
    assert await rating(svc, FREELANCER) == (4.0, 1)
    assert await rating(svc, CLIENT) == (5.0, 1)
    stats = await profiles.profile(svc, FREELANCER)
    assert (stats.rating_avg, stats.rating_count, stats.completed_deals) == (4.0, 1, 1)
    assert [r.comment for r in stats.recent_reviews] == ["Good work"]
    await f.refused(svc, feedback.rate(svc, FREELANCER, deal.id, 1), "rate.already")
    assert "feedback_request" not in await f.pending(svc, deal.id)


async def test_one_sided_rating_shows_after_the_window(svc) -> None:
    deal = await released(svc)
    await feedback.rate(svc, CLIENT, deal.id, 2, "Late")
    f.advance_to(svc, deal.ended_at + svc.settings.feedback_window - 10)
    assert await feedback.visible_feedback(svc, deal.id, FREELANCER) == []
    assert await rating(svc, FREELANCER) == (None, 0)
    f.advance_to(svc, deal.ended_at + svc.settings.feedback_window)
    [shown] = await feedback.visible_feedback(svc, deal.id, FREELANCER)
    assert (shown.stars, shown.comment) == (2, "Late")
    assert await rating(svc, FREELANCER) == (2.0, 1)
    assert (await profiles.profile(svc, FREELANCER)).rating_count == 1
    # A late rating from the other side is still accepted, once.
    assert (await feedback.rate(svc, FREELANCER, deal.id, 3)).both is True


async def test_average_of_several_deals(svc) -> None:
    for stars in (5, 4, 4):
        deal = await released(svc)
        await feedback.rate(svc, CLIENT, deal.id, stars)
        await feedback.rate(svc, FREELANCER, deal.id, 5)
    assert await rating(svc, FREELANCER) == (4.33, 3)
    view = await jobs.view_job(svc, (await f.job(svc)).id)
    assert (view.client_rating, view.client_rating_count) == (5.0, 3)


async def test_refunded_and_split_deals_can_be_rated(svc) -> None:
    deal = await f.funded_deal(svc)
    await deals.cancel(svc, FREELANCER, deal.id)
    assert (await feedback.rate(svc, CLIENT, deal.id, 3)).both is False
    assert (await f.get_deal(svc, deal.id)).state == DealState.REFUNDED


# --- balances and payouts ---------------------------------------------------------------------


async def test_payout_flow(svc) -> None:
    await released(svc)  # FREELANCER has 135
    [bal] = await payouts.balances(svc, FREELANCER)
    assert (bal.available, bal.pending_payouts, bal.currency) == (135, 0, "XTR")
    err = await f.refused(
        svc, payouts.request_payout(svc, FREELANCER, "200"), "payout.too_much", InvalidInput
    )
    assert err.params == {"available": 135, "currency": "XTR"}
    await f.refused(svc, payouts.request_payout(svc, FREELANCER, "abc"), "amount.invalid")
    await f.refused(svc, payouts.request_payout(svc, FREELANCER, "1.5"), "amount.invalid")

    first = await payouts.request_payout(svc, FREELANCER, "100")
    assert (first.user_id, first.amount, first.currency, first.state) == (
        FREELANCER,
        100,
        "XTR",
        "pending",
    )
    assert await f.balance(svc, "user", FREELANCER) == 35
    assert await f.balance(svc, "payable") == 100
    [asked] = await f.outbox(svc, "mod.payout_requested")
    assert asked["chat_id"] == MOD_CHAT
    assert asked["params"] == {
        "payout": first.id,
        "user": FREELANCER,
        "amount": 100,
        "currency": "XTR",
    }

    rest = await payouts.request_payout(svc, FREELANCER)  # all that is left
    assert rest.amount == 35
    [bal] = await payouts.balances(svc, FREELANCER)
    assert (bal.available, bal.pending_payouts) == (0, 135)
    assert [p.id for p in bal.payouts] == [first.id, rest.id]
    # Nothing left to withdraw, and the refusal says where the money is.
    await f.refused(
        svc, payouts.request_payout(svc, FREELANCER), "payout.already_requested_many", Conflict
    )
    await f.refused(svc, payouts.request_payout(svc, FREELANCER, "1"), "payout.too_much")

    mod = as_admin(svc, ADMIN)
    assert [p.id for p in await payouts.pending_payouts(svc, mod)] == [first.id, rest.id]
    paid = await payouts.mark_paid(svc, mod, first.id)
    assert (paid.state, paid.paid_by) == ("paid", ADMIN)
    assert paid.paid_at is not None
    assert await f.balance(svc, "payable") == 35
    assert await f.balance(svc, "world_out") == 100
    [told] = await f.outbox(svc, "notify.payout_paid")
    assert (told["chat_id"], told["params"]["amount"]) == (FREELANCER, 100)
    await f.refused(
        svc, payouts.mark_paid(svc, mod, first.id), "payout.already_paid", Conflict, payout=first.id
    )
    await f.refused(svc, payouts.mark_paid(svc, mod, 999), "payout.not_found", NotFound)
    assert [p.id for p in await payouts.pending_payouts(svc, mod)] == [rest.id]
    await f.refused(
        svc,
        payouts.request_all_payouts(svc, FREELANCER),
        "payout.already_requested",
        payout=rest.id,
        amount=35,
        currency="XTR",
    )
    assert (await payouts.balances(svc, FREELANCER))[0].pending_payouts == 35


async def test_nothing_to_pay(svc) -> None:
    await f.refused(svc, payouts.request_payout(svc, STRANGER), "payout.nothing")
    await f.refused(svc, payouts.request_payout(svc, STRANGER, ""), "payout.nothing")
    await f.refused(svc, payouts.request_payout(svc, STRANGER, "5"), "payout.too_much")
    await f.refused(svc, payouts.request_payout(svc, 4242), "user.not_found")


async def test_moderator_actions_need_a_moderator(svc) -> None:
    for who in (CLIENT, FREELANCER):
        with pytest.raises(Forbidden) as info:
            as_admin(svc, who)
        assert info.value.key == "moderator.only"


async def test_stats(svc) -> None:
    await released(svc)
    await f.funded_deal(svc, freelancer=FREELANCER2)
    stats = await moderation.stats(svc, as_admin(svc, ADMIN))
    assert stats.deals == {"released": 1, "funded": 1}
    [xtr] = stats.money
    assert (xtr.currency, xtr.escrow, xtr.fees, xtr.balances, xtr.payable) == (
        "XTR",
        150,
        15,
        135,
        0,
    )
    assert stats.jobs == {"completed": 1, "in_progress": 1}


# --- bans -------------------------------------------------------------------------------------


async def test_ban_and_unban(svc) -> None:
    mod = as_admin(svc, ADMIN)
    await moderation.ban(svc, mod, FREELANCER, "Spam bids")
    user = (await profiles.profile(svc, FREELANCER)).user
    assert (user.banned, user.ban_reason) == (True, "Spam bids")
    [told] = await f.outbox(svc, "notify.banned")
    assert (told["chat_id"], told["params"]) == (FREELANCER, {"reason": "Spam bids"})
    await f.refused(svc, moderation.ban(svc, mod, FREELANCER, "again"), "ban.already", Conflict)
    await f.refused(svc, moderation.ban(svc, mod, STRANGER, "  "), "reason.required")
    await f.refused(svc, moderation.ban(svc, mod, 4242, "who"), "user.not_found", NotFound)
    await moderation.unban(svc, mod, FREELANCER)
    assert not (await profiles.profile(svc, FREELANCER)).user.banned
    assert [r["chat_id"] for r in await f.outbox(svc, "notify.unbanned")] == [FREELANCER]
    await f.refused(svc, moderation.unban(svc, mod, FREELANCER), "ban.not_banned", Conflict)
    job = await f.job(svc)
    await f.bid(svc, job.id)  # may bid again


async def test_banned_user_cannot_act(svc) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    other_job = await f.job(svc, client=FREELANCER2)
    msg = await messages.ask(svc, STRANGER, job.id, "Is it remote?")
    await moderation.ban(svc, as_admin(svc, ADMIN), CLIENT, "Fraud")
    await moderation.ban(svc, as_admin(svc, ADMIN), FREELANCER, "Fraud")
    await f.refused(svc, jobs.post_job(svc, CLIENT, f.draft()), "user.banned", Forbidden)
    await f.refused(svc, deals.hire(svc, CLIENT, b.id), "user.banned")
    await f.refused(svc, messages.reply(svc, CLIENT, msg, "Yes"), "user.banned")
    await f.refused(svc, messages.message_bid(svc, CLIENT, b.id, "Hi"), "user.banned")
    await f.refused(svc, bids.place_bid(svc, FREELANCER, other_job.id, 150, 3, ""), "user.banned")
    await f.refused(svc, messages.ask(svc, FREELANCER, other_job.id, "Remote?"), "user.banned")
    await f.refused(svc, messages.message_bid(svc, FREELANCER, b.id, "Hi"), "user.banned")
    await f.refused(svc, profiles.add_favourite(svc, CLIENT, str(FREELANCER2)), "user.banned")
    await f.refused(svc, profiles.invite(svc, CLIENT, str(FREELANCER2), job.id), "user.banned")


async def test_running_deal_goes_on_after_a_ban(svc) -> None:
    deal = await f.funded_deal(svc)
    mod = as_admin(svc, ADMIN)
    await moderation.ban(svc, mod, FREELANCER, "Fraud")
    await moderation.ban(svc, mod, CLIENT, "Fraud")
    await deals.log_time(svc, FREELANCER, deal.id, "2", "work")
    d = await deals.deliver(svc, FREELANCER, deal.id, "done")
    assert d.state == DealState.DELIVERED
    d = await deals.release(svc, CLIENT, deal.id)
    assert d.state == DealState.RELEASED
    assert await f.balance(svc, "user", FREELANCER) == 135


# --- messages ---------------------------------------------------------------------------------


async def test_ask_and_reply(svc) -> None:
    job = await f.job(svc)
    question = await messages.ask(svc, FREELANCER, job.id, " Which Python version? ")
    [asked] = await f.outbox(svc, "notify.question")
    assert asked["chat_id"] == CLIENT
    assert asked["params"] == {
        "job": job.id,
        "bid": None,
        "from": FREELANCER,
        "text": "Which Python version?",
        "message": question,
    }
    answer = await messages.reply(svc, CLIENT, question, "3.12")
    [back] = await f.outbox(svc, "notify.message")
    assert back["chat_id"] == FREELANCER
    assert (back["params"]["text"], back["params"]["from"], back["params"]["job"]) == (
        "3.12",
        CLIENT,
        job.id,
    )
    # And a reply to the reply goes back to the client.
    await messages.reply(svc, FREELANCER, answer, "Thanks")
    assert [r["chat_id"] for r in await f.outbox(svc, "notify.message")] == [FREELANCER, CLIENT]


async def test_a_reply_to_a_message_whose_mark_is_being_written_finds_it(svc) -> None:
    """The person replies to a relayed question the moment it arrives, while the dispatcher
    (maybe another instance) is still committing the row's message id: the reply waits for
    that mark instead of being taken for a message the bot never sent."""
    job = await f.job(svc)
    question = await messages.ask(svc, FREELANCER, job.id, "Which Python version?")
    [row] = await f.outbox(svc, "notify.question")
    held: list[int] = []
    for _ in range(3):  # the rows before it in its stream go out; it is claimed, not marked
        async with svc.tx() as tx:
            for other in await tx.outbox.claim("dispatcher-1", 10):
                if other["id"] == row["id"]:
                    held.append(other["id"])
                else:
                    await tx.outbox.mark_sent(other["id"], None, claimer="dispatcher-1")
        if held:
            break
    assert held == [row["id"]]

    async def mark_later() -> None:
        await asyncio.sleep(0.2)
        async with svc.tx() as tx:
            assert await tx.outbox.mark_sent(row["id"], 777, claimer="dispatcher-1")

    marking = asyncio.create_task(mark_later())
    assert await messages.thread_of_reply(svc, CLIENT, 777) == question
    await marking
    # Nothing in flight, nothing found: no waiting.
    assert await messages.thread_of_reply(svc, CLIENT, 778) is None


async def test_ask_refusals(svc) -> None:
    job = await f.job(svc)
    await f.refused(svc, messages.ask(svc, CLIENT, job.id, "Hello?"), "ask.own_job", Forbidden)
    await f.refused(svc, messages.ask(svc, FREELANCER, job.id, "   "), "message.length")
    await f.refused(svc, messages.ask(svc, FREELANCER, job.id, "q" * 3001), "message.length")
    await f.refused(svc, messages.ask(svc, FREELANCER, 999, "Hello?"), "job.not_found")
    await jobs.close_job(svc, CLIENT, job.id)
    await f.refused(svc, messages.ask(svc, FREELANCER, job.id, "Hello?"), "job.not_open")


async def test_reply_refusals(svc) -> None:
    job = await f.job(svc)
    question = await messages.ask(svc, FREELANCER, job.id, "Remote?")
    # Only the recipient of a relayed message may reply to it.
    await f.refused(svc, messages.reply(svc, STRANGER, question, "hi"), "message.not_yours")
    await f.refused(svc, messages.reply(svc, FREELANCER, question, "hi"), "message.not_yours")
    await f.refused(svc, messages.reply(svc, CLIENT, 999, "hi"), "message.not_found", NotFound)


async def test_private_thread_on_a_bid(svc) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    m1 = await messages.message_bid(svc, CLIENT, b.id, "Can you start today?")
    await messages.message_bid(svc, FREELANCER, b.id, "Yes")
    await messages.reply(svc, FREELANCER, m1, "Tomorrow morning")
    rows = await f.outbox(svc, "notify.message")
    assert [(r["chat_id"], r["params"]["bid"]) for r in rows] == [
        (FREELANCER, b.id),
        (CLIENT, b.id),
        (CLIENT, b.id),
    ]
    async with svc.read() as tx:
        thread = await tx.misc.thread(b.id)
    assert [m["text"] for m in thread] == ["Can you start today?", "Yes", "Tomorrow morning"]


async def test_message_bid_refusals(svc) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    await f.refused(svc, messages.message_bid(svc, STRANGER, b.id, "hi"), "msg.not_party")
    await f.refused(svc, messages.message_bid(svc, FREELANCER2, b.id, "hi"), "msg.not_party")
    await f.refused(svc, messages.message_bid(svc, CLIENT, 999, "hi"), "bid.not_found")
    await bids.decline_bid(svc, CLIENT, b.id)
    await f.refused(svc, messages.message_bid(svc, CLIENT, b.id, "hi"), "bid.not_active")


async def test_messages_on_an_accepted_bid(svc) -> None:
    deal = await f.funded_deal(svc)
    await messages.message_bid(svc, CLIENT, deal.bid_id, "Welcome aboard")
    assert [r["chat_id"] for r in await f.outbox(svc, "notify.message")] == [FREELANCER]


# --- profiles ---------------------------------------------------------------------------------


async def test_profile_and_edit(svc) -> None:
    user = await profiles.edit_profile(
        svc,
        FREELANCER,
        bio=" Python dev ",
        skills="python, aiogram",
        experience_years="7",
        portfolio="https://a.example https://b.example/x",
    )
    assert (user.bio, user.skills, user.experience_years) == ("Python dev", "python, aiogram", 7)
    assert user.portfolio == ["https://a.example", "https://b.example/x"]
    assert (await profiles.profile(svc, "@user2001")).user.id == FREELANCER
    assert (await profiles.profile(svc, str(FREELANCER))).user.id == FREELANCER
    assert (await profiles.profile(svc, FREELANCER)).completed_deals == 0
    with pytest.raises(NotFound):
        await profiles.profile(svc, "@nobody_here")
    with pytest.raises(InvalidInput):
        await profiles.profile(svc, "not a ref!")


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [
        ("bio", "b" * 1001, "profile.bio_too_long"),
        ("skills", "s" * 301, "profile.skills_too_long"),
        ("experience_years", "many", "profile.years_invalid"),
        ("experience_years", "100", "profile.years_invalid"),
        ("portfolio", "ftp://x.org", "profile.portfolio_invalid"),
        ("portfolio", [f"https://x.org/{i}" for i in range(11)], "profile.portfolio_invalid"),
    ],
)
async def test_edit_profile_refusals(svc, field: str, value, key: str) -> None:
    await f.refused(svc, profiles.edit_profile(svc, FREELANCER, **{field: value}), key)


async def test_language(svc) -> None:
    assert (await profiles.set_language(svc, CLIENT, "ru")).locale_override == "ru"
    await f.refused(svc, profiles.set_language(svc, CLIENT, "de"), "language.invalid")


async def test_favourites_and_invites(svc) -> None:
    fav = await profiles.add_favourite(svc, CLIENT, "@user2001")
    assert fav.id == FREELANCER
    await f.refused(svc, profiles.add_favourite(svc, CLIENT, str(FREELANCER)), "fav.already")
    await f.refused(svc, profiles.add_favourite(svc, CLIENT, str(CLIENT)), "fav.self")
    assert [s.user.id for s in await profiles.favourites(svc, CLIENT)] == [FREELANCER]
    job = await f.job(svc)
    await profiles.invite(svc, CLIENT, "@user2001", job.id)
    [invited] = await f.outbox(svc, "notify.invited")
    assert (invited["chat_id"], invited["params"]["job"]) == (FREELANCER, job.id)
    await f.refused(
        svc, profiles.invite(svc, FREELANCER, str(FREELANCER2), job.id), "job.not_client"
    )
    await f.refused(svc, profiles.invite(svc, CLIENT, str(CLIENT), job.id), "invite.self")
    await jobs.close_job(svc, CLIENT, job.id)
    await f.refused(svc, profiles.invite(svc, CLIENT, str(FREELANCER), job.id), "job.not_open")


async def test_hired_before(svc) -> None:
    assert not await profiles.hired_before(svc, CLIENT, FREELANCER)
    await f.funded_deal(svc)
    assert await profiles.hired_before(svc, CLIENT, FREELANCER)
    assert not await profiles.hired_before(svc, CLIENT, FREELANCER2)


async def test_touch_user_creates_refreshes_and_otherwise_only_reads(svc) -> None:
    new = await profiles.touch_user(svc, 7001, "zed", "Zed", "en")
    assert (new.username, new.first_name, new.language) == ("zed", "Zed", "en")
    forget_commits()
    same = await profiles.touch_user(svc, 7001, "zed", "Zed", "en")
    assert same == new and not committed_here()  # a read, no write
    renamed = await profiles.touch_user(svc, 7001, "zed_new", "Zed Z", "ru")
    assert (renamed.username, renamed.first_name, renamed.language) == ("zed_new", "Zed Z", "ru")
    async with svc.tx() as tx:
        await tx.users.set_unreachable(7001)
    # Writing to the bot again makes a person who had blocked it reachable again.
    back = await profiles.touch_user(svc, 7001, "zed_new", "Zed Z", "ru")
    assert not back.unreachable
