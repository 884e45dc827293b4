"""Posting and closing jobs, bidding, shortlisting with briefs and NDAs, trials (SPEC 4-5)."""

from __future__ import annotations

import pytest

from bot.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from bot.domain.states import BidState, JobState
from bot.services import bids, deals, jobs, moderation, timers
from bot.services.base import as_admin
from tests import factories as f
from tests.conftest import make_settings
from tests.factories import CLIENT, FREELANCER, FREELANCER2, STRANGER

ADMIN = 9001


async def ban(svc, user_id: int) -> None:
    await moderation.ban(svc, as_admin(svc, ADMIN), user_id, "spam")


# --- posting ----------------------------------------------------------------------------------


async def test_post_job(svc) -> None:
    job = await f.job(svc, brief="The secret part", nda_required=True, nda_text="Keep quiet")
    assert job.state == JobState.OPEN
    assert job.client_id == CLIENT
    assert job.currency == "XTR"
    assert (job.budget_min, job.budget_max) == (100, 200)
    assert job.answers == {"stack": "python"}
    assert job.brief == "The secret part"
    assert job.nda_required
    assert job.bidding_ends_at == job.created_at + svc.settings.bidding_window
    assert await f.pending(svc, job.id, of_job=True) == {
        "job_expire": job.bidding_ends_at,
        "job_nudge": job.bidding_ends_at - svc.settings.nudge_lead,
    }
    # The client is answered by the posting flow: no notification for them.
    assert await f.outbox(svc, chat_id=CLIENT) == []
    assert await f.outbox(svc, "channel.job") == []  # no JOBS_CHANNEL_ID
    assert (await jobs.view_job(svc, job.id)).bid_count == 0
    assert [j.id for j in await jobs.list_open_jobs(svc, "programming telegram")] == [job.id]
    assert await jobs.list_open_jobs(svc, "writing") == []


async def test_post_job_cleans_the_text(svc) -> None:
    job = await f.job(svc, title="  Logo\x00 design  ", brief="   ")
    assert job.title == "Logo design"
    assert job.brief is None


DEADLINE_FAR = 10**10


@pytest.mark.parametrize(
    ("over", "key"),
    [
        ({"title": "Bot"}, "job.title_length"),
        ({"title": "x" * 101}, "job.title_length"),
        ({"description": "too short"}, "job.description_length"),
        ({"description": "d" * 3001}, "job.description_length"),
        ({"category": "cooking"}, "job.category_invalid"),
        ({"answers": {}}, "question.required"),
        ({"answers": {"stack": "go", "repo": "not a link"}}, "question.url"),
        ({"budget_min": 0, "budget_max": 10}, "amount.invalid"),
        ({"budget_min": 10, "budget_max": 1_000_001}, "amount.invalid"),
        ({"budget_min": 300, "budget_max": 200}, "job.budget_invalid"),
        ({"nda_required": True}, "job.nda_needs_brief"),
        ({"brief": "b" * 3001}, "job.brief_too_long"),
    ],
)
async def test_post_job_validation(svc, over: dict, key: str) -> None:
    await f.refused(svc, jobs.post_job(svc, CLIENT, f.draft(**over)), key, InvalidInput)


async def test_post_job_deadline_too_soon(svc) -> None:
    soon = svc.clock.now() + 600
    await f.refused(
        svc,
        jobs.post_job(svc, CLIENT, f.draft(deadline_at=soon)),
        "deadline.too_soon",
        InvalidInput,
        min=3600,  # seconds, named in words by each language
    )


async def test_banned_client_cannot_post(svc) -> None:
    await ban(svc, CLIENT)
    await f.refused(svc, jobs.post_job(svc, CLIENT, f.draft()), "user.banned", Forbidden)


async def test_unknown_user_cannot_post(svc) -> None:
    await f.refused(svc, jobs.post_job(svc, 4242, f.draft()), "user.not_found", NotFound)


class TestChannel:
    @pytest.fixture
    def settings(self):
        return make_settings(jobs_channel_id=-100777)

    async def test_job_announced_and_post_edited_on_close(self, svc) -> None:
        job = await f.job(svc)
        [post] = await f.outbox(svc, "channel.job")
        assert (post["chat_id"], post["method"], post["ref"]) == (
            -100777,
            "send",
            f"channel:{job.id}",
        )
        await jobs.close_job(svc, CLIENT, job.id)
        edits = await f.outbox(svc, "channel.job", method="edit")
        assert [e["ref"] for e in edits] == [f"channel:{job.id}"]


# --- bidding ----------------------------------------------------------------------------------


async def test_place_bid_tells_the_client(svc) -> None:
    job = await f.job(svc)
    result = await bids.place_bid(svc, FREELANCER, job.id, 150, 3, "I can do it")
    assert not result.updated
    bid = result.bid
    assert (bid.state, bid.amount, bid.days, bid.cover) == (BidState.ACTIVE, 150, 3, "I can do it")
    [note] = await f.outbox(svc, "notify.bid_new")
    assert note["chat_id"] == CLIENT
    assert note["params"] == {
        "job": job.id,
        "title": job.title,
        "bid": bid.id,
        "freelancer": FREELANCER,
        "amount": 150,
        "currency": "XTR",
        "days": 3,
    }
    assert (await jobs.view_job(svc, job.id)).bid_count == 1


async def test_bidding_again_updates_the_bid(svc) -> None:
    job = await f.job(svc)
    first = await f.bid(svc, job.id)
    result = await bids.place_bid(svc, FREELANCER, job.id, 180, 5, "Better offer")
    assert result.updated
    assert result.bid.id == first.id
    assert (result.bid.amount, result.bid.days, result.bid.cover) == (180, 5, "Better offer")
    async with svc.read() as tx:
        assert [b.id for b in await tx.bids.for_job(job.id)] == [first.id]
    [note] = await f.outbox(svc, "notify.bid_updated")
    assert note["chat_id"] == CLIENT
    assert note["params"]["amount"] == 180
    assert note["params"]["bid"] == first.id
    assert len(await f.outbox(svc, "notify.bid_new")) == 1


async def test_bid_after_withdrawing_is_a_new_bid(svc) -> None:
    job = await f.job(svc)
    first = await f.bid(svc, job.id)
    await bids.withdraw_bid(svc, FREELANCER, first.id)
    result = await bids.place_bid(svc, FREELANCER, job.id, 120, 2, "")
    assert not result.updated
    assert result.bid.id != first.id
    assert (await f.get_bid(svc, first.id)).state == BidState.WITHDRAWN


async def test_bid_bounds_accepted(svc) -> None:
    job = await f.job(svc)
    await bids.place_bid(svc, FREELANCER, job.id, 1, 1, "")
    await bids.place_bid(svc, FREELANCER2, job.id, 1_000_000, 365, "c" * 2000)


async def test_cannot_bid_on_own_job(svc) -> None:
    job = await f.job(svc)
    await f.refused(
        svc, bids.place_bid(svc, CLIENT, job.id, 150, 3, ""), "bid.own_job", Forbidden, job=job.id
    )


async def test_cannot_bid_on_unknown_job(svc) -> None:
    await f.refused(svc, bids.place_bid(svc, FREELANCER, 999, 150, 3, ""), "job.not_found")


@pytest.mark.parametrize(
    ("amount", "days", "cover", "key"),
    [
        (0, 3, "", "amount.invalid"),
        (1_000_001, 3, "", "amount.invalid"),
        (150, 0, "", "bid.days_invalid"),
        (150, 366, "", "bid.days_invalid"),
        (150, 3, "c" * 2001, "bid.cover_too_long"),
    ],
)
async def test_bid_bounds_refused(svc, amount: int, days: int, cover: str, key: str) -> None:
    job = await f.job(svc)
    await f.refused(
        svc, bids.place_bid(svc, FREELANCER, job.id, amount, days, cover), key, InvalidInput
    )


async def test_rebid_out_of_bounds_keeps_the_old_bid(svc) -> None:
    job = await f.job(svc)
    await f.bid(svc, job.id)
    await f.refused(svc, bids.place_bid(svc, FREELANCER, job.id, 0, 3, ""), "amount.invalid")


async def test_banned_cannot_bid(svc) -> None:
    job = await f.job(svc)
    await ban(svc, FREELANCER)
    await f.refused(svc, bids.place_bid(svc, FREELANCER, job.id, 150, 3, ""), "user.banned")


async def test_cannot_bid_on_a_closed_job(svc) -> None:
    job = await f.job(svc)
    await jobs.close_job(svc, CLIENT, job.id)
    await f.refused(
        svc,
        bids.place_bid(svc, FREELANCER, job.id, 150, 3, ""),
        "job.not_open",
        Conflict,
        job=job.id,
    )


async def test_cannot_bid_while_hiring(svc) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    await deals.hire(svc, CLIENT, b.id)
    await f.refused(svc, bids.place_bid(svc, FREELANCER2, job.id, 150, 3, ""), "job.not_open")
    # Nor can the hired freelancer change the accepted bid.
    await f.refused(svc, bids.place_bid(svc, FREELANCER, job.id, 99, 3, ""), "job.not_open")


async def test_cannot_bid_once_the_window_passed(svc) -> None:
    job = await f.job(svc)
    f.advance_to(svc, job.bidding_ends_at)
    # Even before the expiry timer ran, the window is over.
    await f.refused(svc, bids.place_bid(svc, FREELANCER, job.id, 150, 3, ""), "job.not_open")
    await timers.run_due(svc)
    assert (await f.get_job(svc, job.id)).state == JobState.EXPIRED
    await f.refused(svc, bids.place_bid(svc, FREELANCER, job.id, 150, 3, ""), "job.not_open")


async def test_cannot_bid_on_a_removed_job(svc) -> None:
    job = await f.job(svc)
    await jobs.remove_job(svc, as_admin(svc, ADMIN), job.id, "scam")
    await f.refused(svc, bids.place_bid(svc, FREELANCER, job.id, 150, 3, ""), "job.not_open")


async def test_my_bids(svc) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    [(mine, its_job)] = await bids.my_bids(svc, FREELANCER)
    assert (mine.id, its_job.id) == (b.id, job.id)


# --- withdraw and decline ---------------------------------------------------------------------


async def test_withdraw(svc) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    out = await bids.withdraw_bid(svc, FREELANCER, b.id)
    assert out.state == BidState.WITHDRAWN
    [note] = await f.outbox(svc, "notify.bid_withdrawn")
    assert note["chat_id"] == CLIENT
    assert note["params"] == {"job": job.id, "bid": b.id, "freelancer": FREELANCER}


@pytest.mark.parametrize("who", [CLIENT, FREELANCER2, STRANGER])
async def test_withdraw_not_owner(svc, who: int) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    await f.refused(svc, bids.withdraw_bid(svc, who, b.id), "bid.not_owner", Forbidden, bid=b.id)


async def test_withdraw_not_active(svc) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    await bids.withdraw_bid(svc, FREELANCER, b.id)
    await f.refused(svc, bids.withdraw_bid(svc, FREELANCER, b.id), "bid.not_withdrawable")
    b2 = await f.bid(svc, job.id, FREELANCER2)
    await bids.decline_bid(svc, CLIENT, b2.id)
    await f.refused(svc, bids.withdraw_bid(svc, FREELANCER2, b2.id), "bid.not_withdrawable")


async def test_withdraw_accepted_bid_refused(svc) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    await deals.hire(svc, CLIENT, b.id)
    await f.refused(
        svc, bids.withdraw_bid(svc, FREELANCER, b.id), "bid.not_withdrawable", Conflict, bid=b.id
    )


async def test_withdraw_unknown(svc) -> None:
    await f.refused(svc, bids.withdraw_bid(svc, FREELANCER, 999), "bid.not_found", NotFound)


async def test_decline(svc) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    out = await bids.decline_bid(svc, CLIENT, b.id, " too expensive ")
    assert out.state == BidState.DECLINED
    assert out.decline_reason == "too expensive"
    [note] = await f.outbox(svc, "notify.bid_declined")
    assert note["chat_id"] == FREELANCER
    assert note["params"]["reason"] == "too expensive"


@pytest.mark.parametrize("who", [FREELANCER, FREELANCER2, STRANGER])
async def test_decline_not_client(svc, who: int) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    await f.refused(svc, bids.decline_bid(svc, who, b.id), "job.not_client", Forbidden, job=job.id)


async def test_decline_not_active(svc) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    await bids.decline_bid(svc, CLIENT, b.id)
    await f.refused(svc, bids.decline_bid(svc, CLIENT, b.id), "bid.not_active", Conflict)
    b2 = await f.bid(svc, job.id, FREELANCER2)
    await bids.withdraw_bid(svc, FREELANCER2, b2.id)
    await f.refused(svc, bids.decline_bid(svc, CLIENT, b2.id), "bid.not_active")


# --- shortlist, brief, NDA --------------------------------------------------------------------


async def test_shortlist_sends_the_brief(svc) -> None:
    job = await f.job(svc, brief="Repo access: ask for it")
    b = await f.bid(svc, job.id)
    other = await f.bid(svc, job.id, FREELANCER2)
    out, of = await bids.shortlist_bid(svc, CLIENT, b.id)
    assert out.shortlisted_at is not None and of.id == job.id
    keys = [r["key"] for r in await f.outbox(svc, chat_id=FREELANCER)]
    assert keys == ["notify.shortlisted"]  # one message, with the brief in it
    assert await bids.brief_for(svc, FREELANCER, b.id) == (
        await f.get_job(svc, job.id),
        "Repo access: ask for it",
    )
    _, brief = await bids.brief_for(svc, CLIENT, b.id)
    assert brief == "Repo access: ask for it"
    # Not shortlisted, or someone else's bid: no brief.
    with pytest.raises(Forbidden) as info:
        await bids.brief_for(svc, FREELANCER2, other.id)
    assert info.value.key == "brief.not_shortlisted"
    with pytest.raises(Forbidden) as info:
        await bids.brief_for(svc, FREELANCER2, b.id)
    assert info.value.key == "brief.not_shortlisted"
    with pytest.raises(Forbidden) as info:
        await bids.brief_for(svc, STRANGER, b.id)
    assert info.value.key == "brief.not_shortlisted"


async def test_shortlist_without_brief(svc) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    await bids.shortlist_bid(svc, CLIENT, b.id)
    assert [r["key"] for r in await f.outbox(svc, chat_id=FREELANCER)] == ["notify.shortlisted"]
    assert (await bids.brief_for(svc, FREELANCER, b.id))[1] is None


async def test_shortlist_refusals(svc) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    await f.refused(svc, bids.shortlist_bid(svc, FREELANCER, b.id), "job.not_client", Forbidden)
    await f.refused(svc, bids.shortlist_bid(svc, STRANGER, b.id), "job.not_client")
    await bids.shortlist_bid(svc, CLIENT, b.id)
    await f.refused(svc, bids.shortlist_bid(svc, CLIENT, b.id), "bid.already_shortlisted")
    b2 = await f.bid(svc, job.id, FREELANCER2)
    await bids.withdraw_bid(svc, FREELANCER2, b2.id)
    await f.refused(svc, bids.shortlist_bid(svc, CLIENT, b2.id), "bid.not_active", Conflict)


async def test_nda_flow(svc) -> None:
    job = await f.job(svc, brief="Secret sauce", nda_required=True, nda_text="Tell no one")
    b = await f.bid(svc, job.id)
    # Before shortlisting there is no NDA to answer.
    await f.refused(svc, bids.answer_nda(svc, FREELANCER, b.id, True), "nda.not_asked")
    await bids.shortlist_bid(svc, CLIENT, b.id)
    assert [r["key"] for r in await f.outbox(svc, chat_id=FREELANCER)] == ["notify.shortlisted_nda"]
    with pytest.raises(Forbidden) as info:
        await bids.brief_for(svc, FREELANCER, b.id)
    assert info.value.key == "brief.nda_first"
    await f.refused(svc, bids.answer_nda(svc, CLIENT, b.id, True), "bid.not_owner", Forbidden)
    await f.refused(svc, bids.answer_nda(svc, FREELANCER2, b.id, True), "bid.not_owner")

    out, of = await bids.answer_nda(svc, FREELANCER, b.id, True)
    assert out.nda_accepted_at is not None and of.brief == "Secret sauce"
    # The freelancer's answer shows the brief: nothing more for them in the outbox.
    assert [r["key"] for r in await f.outbox(svc, chat_id=FREELANCER)] == ["notify.shortlisted_nda"]
    [accepted] = await f.outbox(svc, "notify.nda_accepted")
    assert accepted["chat_id"] == CLIENT
    assert (await bids.brief_for(svc, FREELANCER, b.id))[1] == "Secret sauce"
    await f.refused(svc, bids.answer_nda(svc, FREELANCER, b.id, True), "nda.already_accepted")


async def test_nda_declined(svc) -> None:
    job = await f.job(svc, brief="Secret sauce", nda_required=True)
    b = await f.bid(svc, job.id)
    await bids.shortlist_bid(svc, CLIENT, b.id)
    out, _job = await bids.answer_nda(svc, FREELANCER, b.id, False)
    assert out.nda_accepted_at is None
    [declined] = await f.outbox(svc, "notify.nda_declined")
    assert declined["chat_id"] == CLIENT
    assert await f.outbox(svc, "notify.brief") == []
    with pytest.raises(Forbidden):
        await bids.brief_for(svc, FREELANCER, b.id)
    assert out.nda_declined_at is not None
    # The decline is final: a late accept (or a second decline) is refused, nothing changes.
    await f.refused(svc, bids.answer_nda(svc, FREELANCER, b.id, True), "nda.already_declined")
    await f.refused(svc, bids.answer_nda(svc, FREELANCER, b.id, False), "nda.already_declined")
    assert await f.outbox(svc, "notify.brief") == []


async def test_nda_not_asked_on_a_job_without_one(svc) -> None:
    job = await f.job(svc, brief="Open brief")
    b = await f.bid(svc, job.id)
    await bids.shortlist_bid(svc, CLIENT, b.id)
    await f.refused(svc, bids.answer_nda(svc, FREELANCER, b.id, True), "nda.not_asked", Conflict)


# --- trials -----------------------------------------------------------------------------------


async def shortlisted(svc, freelancer: int = FREELANCER):
    job = await f.job(svc)
    b = await f.bid(svc, job.id, freelancer)
    await bids.shortlist_bid(svc, CLIENT, b.id)
    return job, b


async def test_trial_needs_a_shortlisted_bid(svc) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    await f.refused(
        svc, bids.request_trial(svc, CLIENT, b.id, "Make a logo sketch"), "trial.not_shortlisted"
    )


async def test_trial_refusals_on_request(svc) -> None:
    _job, b = await shortlisted(svc)
    await f.refused(svc, bids.request_trial(svc, CLIENT, b.id, "tiny"), "trial.task_length")
    await f.refused(
        svc, bids.request_trial(svc, FREELANCER, b.id, "Do a sketch"), "job.not_client", Forbidden
    )
    await bids.withdraw_bid(svc, FREELANCER, b.id)
    await f.refused(svc, bids.request_trial(svc, CLIENT, b.id, "Do a sketch"), "bid.not_active")


async def test_trial_accept_and_submit(svc) -> None:
    job, b = await shortlisted(svc)
    trial_id = await bids.request_trial(svc, CLIENT, b.id, "Sketch the bot's menu")
    [asked] = await f.outbox(svc, "notify.trial_requested")
    assert asked["chat_id"] == FREELANCER
    assert asked["params"]["task"] == "Sketch the bot's menu"
    # One open trial per bid.
    await f.refused(
        svc, bids.request_trial(svc, CLIENT, b.id, "Another task here"), "trial.already_open"
    )
    # Only the bidder answers; nothing to submit before accepting.
    await f.refused(svc, bids.answer_trial(svc, CLIENT, trial_id, True), "trial.not_yours")
    await f.refused(
        svc, bids.submit_trial(svc, FREELANCER, trial_id, "Here it is"), "trial.not_accepted"
    )
    await bids.answer_trial(svc, FREELANCER, trial_id, True)
    assert [r["chat_id"] for r in await f.outbox(svc, "notify.trial_accepted")] == [CLIENT]
    await f.refused(svc, bids.answer_trial(svc, FREELANCER, trial_id, False), "trial.not_open")
    await f.refused(svc, bids.submit_trial(svc, FREELANCER, trial_id, "  "), "trial.result_empty")
    await f.refused(
        svc, bids.submit_trial(svc, FREELANCER, trial_id, "r" * 2001), "trial.result_too_long"
    )
    await f.refused(svc, bids.submit_trial(svc, FREELANCER2, trial_id, "mine"), "trial.not_yours")
    await bids.submit_trial(svc, FREELANCER, trial_id, "Here it is", [{"file_id": "F1"}])
    async with svc.read() as tx:
        trial = await tx.trials.get(trial_id)
    assert trial["state"] == "submitted"
    assert trial["result"] == "Here it is"
    assert trial["files"] == [{"file_id": "F1"}]
    [done] = await f.outbox(svc, "notify.trial_submitted")
    assert (done["chat_id"], done["params"]["trial"], done["params"]["job"]) == (
        CLIENT,
        trial_id,
        job.id,
    )
    await f.refused(
        svc, bids.submit_trial(svc, FREELANCER, trial_id, "again"), "trial.not_accepted"
    )
    # The trial is over, so another may be asked.
    assert await bids.request_trial(svc, CLIENT, b.id, "A second small task") != trial_id


async def test_trial_declined(svc) -> None:
    _job, b = await shortlisted(svc)
    trial_id = await bids.request_trial(svc, CLIENT, b.id, "Sketch the bot's menu")
    await bids.answer_trial(svc, FREELANCER, trial_id, False)
    assert [r["chat_id"] for r in await f.outbox(svc, "notify.trial_declined")] == [CLIENT]
    await f.refused(svc, bids.submit_trial(svc, FREELANCER, trial_id, "x"), "trial.not_accepted")


async def test_trial_unknown(svc) -> None:
    await f.refused(svc, bids.answer_trial(svc, FREELANCER, 999, True), "trial.not_found", NotFound)


# --- closing and removing jobs ----------------------------------------------------------------


async def test_close_job_declines_bids_and_tells_bidders(svc) -> None:
    job = await f.job(svc)
    b1 = await f.bid(svc, job.id)
    b2 = await f.bid(svc, job.id, FREELANCER2)
    gone = await f.bid(svc, job.id, STRANGER)
    await bids.withdraw_bid(svc, STRANGER, gone.id)
    out = await jobs.close_job(svc, CLIENT, job.id)
    assert out.state == JobState.CLOSED
    assert out.closed_at is not None
    assert [(await f.get_bid(svc, b.id)).state for b in (b1, b2, gone)] == [
        BidState.DECLINED,
        BidState.DECLINED,
        BidState.WITHDRAWN,
    ]
    told = await f.outbox(svc, "notify.job_closed_bidder")
    assert sorted(r["chat_id"] for r in told) == [FREELANCER, FREELANCER2]
    assert await f.pending(svc, job.id, of_job=True) == {}
    assert await jobs.list_open_jobs(svc) == []


async def test_close_job_refusals(svc) -> None:
    job = await f.job(svc)
    await f.refused(svc, jobs.close_job(svc, FREELANCER, job.id), "job.not_client", Forbidden)
    await jobs.close_job(svc, CLIENT, job.id)
    await f.refused(svc, jobs.close_job(svc, CLIENT, job.id), "job.not_open", Conflict)
    await f.refused(svc, jobs.close_job(svc, CLIENT, 999), "job.not_found", NotFound)


async def test_close_job_does_not_touch_a_deal(svc) -> None:
    deal = await f.funded_deal(svc)
    await f.refused(svc, jobs.close_job(svc, CLIENT, deal.job_id), "job.not_open")
    assert (await f.get_deal(svc, deal.id)).state == "funded"


async def test_remove_job_tells_everyone(svc) -> None:
    job = await f.job(svc)
    b = await f.bid(svc, job.id)
    out = await jobs.remove_job(svc, as_admin(svc, ADMIN), job.id, "Spam")
    assert out.state == JobState.REMOVED
    assert (await f.get_bid(svc, b.id)).state == BidState.DECLINED
    [bidder] = await f.outbox(svc, "notify.job_removed_bidder")
    assert (bidder["chat_id"], bidder["params"]["reason"]) == (FREELANCER, "Spam")
    [client] = await f.outbox(svc, "notify.job_removed_client")
    assert client["chat_id"] == CLIENT
    await f.refused(
        svc, jobs.remove_job(svc, as_admin(svc, ADMIN), job.id, "Again"), "job.already_removed"
    )
    job2 = await f.job(svc)
    await f.refused(
        svc, jobs.remove_job(svc, as_admin(svc, ADMIN), job2.id, "  "), "reason.required"
    )


async def test_my_jobs_counts_every_bid_placed_and_not_withdrawn(svc) -> None:
    job = await f.job(svc)
    await f.bid(svc, job.id)
    b2 = await f.bid(svc, job.id, FREELANCER2)
    await bids.decline_bid(svc, CLIENT, b2.id)  # declined: still a bid the job got
    b3 = await f.bid(svc, job.id, STRANGER)
    await bids.withdraw_bid(svc, STRANGER, b3.id)  # withdrawn: not counted
    [(mine, count)] = await jobs.my_jobs(svc, CLIENT)
    assert (mine.id, count) == (job.id, 2)
