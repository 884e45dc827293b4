"""A photo is taken wherever a file is (issue 12, item 8): the post flow's files, a delivery
(after /deliver, or captioned with it), a dispute's evidence (captioned /evidence) and a
trial's result; the other side receives it as a photo. The real bot over the loopback
Bot API."""

from __future__ import annotations

import pytest

from bot.services import bids, disputes
from bot.services.profiles import touch_user
from sandbox.botapi import SimMessage
from tests import factories as f
from tests.factories import CLIENT, FREELANCER, png
from tests.harness import Market, step

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning")


def is_photo(msg: SimMessage) -> bool:
    return msg.photo is not None


async def meet(m: Market):
    alice, bob = m.person(CLIENT, "Alice"), m.person(FREELANCER, "Bob")
    for user in (alice, bob):
        user.started = True
        await touch_user(m.svc, user.id, user.username, user.first_name, "en")
    return alice, bob


async def test_a_photo_in_the_post_flow(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice = m.person(CLIENT, "Alice")
        msg = await step(alice, "/post", "choose the category")
        await step(alice, None, "title of the job", press="🧩 Other", on=msg)
        await step(alice, "A logo for a bakery", "Describe the job")
        await step(alice, "A round logo for a family bakery, warm colours please.", "budget")
        await step(alice, "150", "delivered")
        msg = await step(alice, "3 days", "private brief")
        msg = await step(alice, None, "files", press="Skip ▶", on=msg)
        await alice.send_photo(png(), caption="like this")
        msg = await alice.wait_for(lambda x: "One file added" in x.text, timeout=10)
        msg = await step(alice, None, "Preview", press="✔ Done", on=msg)
        await alice.press(msg, "✅ Publish")
        await alice.wait_for("Job #1 is live.", timeout=10)
        job = await f.get_job(m.svc, 1)
        assert [file["kind"] for file in job.files] == ["photo"]


async def test_a_photo_in_a_delivery_and_as_evidence(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob = await meet(m)
        deal = await f.funded_deal(m.svc)
        # A photo captioned /deliver is a delivery by itself; a photo right after it joins.
        await bob.send_photo(png(), caption=f"/deliver {deal.id} The first sketch")
        await alice.wait_for("The first sketch")
        first = await alice.wait_for(is_photo)
        await bob.send_photo(png(120, 80), caption="and a detail")
        second = await alice.wait_for(is_photo)
        assert first.photo and second.photo and first.file_id != second.file_id
        async with m.svc.read() as tx:
            events = await tx.deals.events(deal.id)
        files = [file for e in events for file in e.files]
        assert [file["kind"] for file in files] == ["photo", "photo"]

        # A dispute: a photo captioned /evidence goes to the moderators.
        await disputes.open_dispute(m.svc, CLIENT, deal.id, "Not what the brief said")
        await alice.send_photo(png(), caption=f"/evidence {deal.id} The brief")
        await alice.wait_for(f"📎 Added to the dispute on Deal #{deal.id} with 1 file")


async def test_a_photo_as_a_trial_result(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob = await meet(m)
        job = await f.job(m.svc)
        bid = await f.bid(m.svc, job.id, FREELANCER)
        await bids.shortlist_bid(m.svc, CLIENT, bid.id)
        trial_id = await bids.request_trial(m.svc, CLIENT, bid.id, "A tiny sketch")
        asked = await bob.wait_for(f"Trial #{trial_id}")
        await bob.press(asked, "Accept the trial")
        await bob.wait_for(f"You took on Trial #{trial_id}")
        await bob.press(asked, "📤 Submit result")
        await bob.wait_for(f"The result of Trial #{trial_id}")
        await bob.send_photo(png())
        done = await bob.wait_for("so far: 0 texts, 1 file")
        await bob.press(done, "✔ Done")
        await alice.wait_for(is_photo)
