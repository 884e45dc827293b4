"""The moderator group end to end (SPEC sections 3 and 6): dispute cards, evidence, decisions
by button and by /resolve, who counts as a moderator, the moderator commands, error alerts,
and the command menus. The real Application polls the loopback Bot API server; the moderator
group is a supergroup there with its members."""

from __future__ import annotations

import asyncio
import re
from collections import Counter

import pytest
from telegram import BotCommandScopeAllPrivateChats, BotCommandScopeChat

from bot.services import deals, disputes, payouts, timers
from bot.services.profiles import touch_user
from sandbox.botapi import SimMessage, SimUser
from tests import factories as f
from tests.factories import CLIENT, FREELANCER, FREELANCER2, STRANGER
from tests.harness import Market

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning"),
    pytest.mark.usefixtures("market_engine"),  # on SQLite and on PostgreSQL
]

GROUP = -100500  # MODERATOR_CHAT_ID (tests.conftest.make_settings)
OTHER_GROUP = -100600
MOD = 4001  # a member of the moderator group
MUTED = 4002  # in the group, but restricted: not a moderator
ADMIN = 9001  # ADMIN_USER_IDS


class People:
    def __init__(self, m: Market) -> None:
        self.m = m
        self.alice = m.person(CLIENT, "Alice")
        self.bob = m.person(FREELANCER, "Bob")
        self.carol = m.person(FREELANCER2, "Carol")
        self.stranger = m.person(STRANGER, "Sam")
        self.mia = m.person(MOD, "Mia")
        self.muted = m.person(MUTED, "Max")
        self.admin = m.person(ADMIN, "Ada")
        m.server.add_chat(GROUP, "supergroup", "Moderators", {MOD: "member", MUTED: "restricted"})
        m.server.add_chat(OTHER_GROUP, "supergroup", "Chat", {MOD: "member", STRANGER: "member"})

    async def start(self) -> None:
        for user in (self.alice, self.bob, self.carol, self.stranger, self.mia, self.admin):
            user.started = True
            await touch_user(self.m.svc, user.id, user.username, user.first_name, "en")

    async def in_group(self, user: SimUser, text: str, reply_to: SimMessage | None = None) -> None:
        await user.send(text, reply_to, chat=GROUP)

    async def group_says(self, match: object, timeout: float = 5.0) -> SimMessage:  # noqa: ASYNC109
        return await self.mia.wait_for(match, timeout, chat=GROUP)


def group_texts(m: Market) -> list[str]:
    return [msg.text for msg in m.server.chat_messages(GROUP)]


async def said(m: Market, text: str, timeout: float = 5.0) -> None:  # noqa: ASYNC109
    """Wait until some bot message in the group is exactly `text` (in whatever order it came
    among the other group messages)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while text not in group_texts(m):
        assert loop.time() < end, f"{text!r} not in the group: {group_texts(m)}"
        await asyncio.sleep(0.05)


async def people(m: Market) -> People:
    p = People(m)
    await p.start()
    return p


async def events(m: Market, deal_id: int, kind: str) -> list:
    async with m.svc.read() as tx:
        return [e for e in await tx.deals.events(deal_id) if e.kind == kind]


async def open_dispute(m: Market, p: People, reason: str = "The logo is not what we agreed"):
    """Deal 1 released (so both have a completed deal), deal 2 delivered and disputed by the
    client through the bot; returns (deal, the card in the group, the note Bob got)."""
    first = await f.delivered_deal(m.svc)
    await deals.release(m.svc, CLIENT, first.id)
    deal = await f.delivered_deal(m.svc)
    await p.alice.send(f"/dispute {deal.id} {reason}")
    await p.alice.wait_for(f"Dispute opened on Deal #{deal.id}")
    card = await p.group_says(f"Dispute on Deal #{deal.id}")
    note = await p.bob.wait_for("opened a dispute")
    return deal, card, note


# --- the dispute card, evidence, a decision ------------------------------------------------


async def test_dispute_card_evidence_and_a_decision_by_button(tmp_path) -> None:
    async with Market(tmp_path) as m:
        p = await people(m)
        deal, card, note = await open_dispute(m, p)

        # The card: the deal, both parties with their record, the amount, the reason, the
        # timeline, the buttons.
        lines = card.text.split("\n")
        assert lines[0] == (
            f"⚖️ Dispute on Deal #{deal.id} · Job #{deal.job_id} “Build a Telegram bot”"
        )
        assert lines[1] == "Amount: 150 ⭐ · the deal was delivered, in review"
        assert lines[2].startswith("Opened by Alice (@alice), ")
        since = r"member since \d{4}-\d{2}-\d{2}"
        assert re.fullmatch(
            rf"Client: Alice \(@alice\) \(id {CLIENT}\) · completed deals: 1 · {since}"
            r" · disputes: 1 \(lost 0\)",
            lines[3],
        ), lines[3]
        assert re.fullmatch(
            rf"Freelancer: Bob \(@bob\) \(id {FREELANCER}\) · completed deals: 1 · {since}"
            r" · disputes: 1 \(lost 0\)",
            lines[4],
        ), lines[4]
        assert "Reason\nThe logo is not what we agreed" in card.text
        timeline = card.text.split("Timeline\n", 1)[1]
        assert "bid accepted" in timeline and "delivered" in timeline
        assert "dispute opened · Alice (@alice)" in timeline
        assert f"/resolve {deal.id} split <percent to the freelancer> [note]" in card.text
        assert [b.text for b in card.buttons] == [
            "Release to freelancer",
            "Refund client",
            "Split 50/50",
        ]

        # The other party is asked for their side, and told how to give it.
        assert "your side is expected by" in note.text
        assert (
            f"Reply to this message with your side (text or files), or send /evidence {deal.id}"
            in note.text
        )

        # Evidence: a reply to the dispute note, a file as a reply, /evidence; each is added
        # to the case and posted to the group under the card.
        await p.bob.send("I delivered exactly the brief, see the chat log.", reply_to=note)
        await p.bob.wait_for(f"📎 Added to the dispute on Deal #{deal.id}; the moderators see it.")
        posted = await p.group_says(f"📎 Evidence on Deal #{deal.id} from Bob (@bob):")
        assert "I delivered exactly the brief" in posted.text
        assert posted.reply_to_message_id == card.message_id

        await p.bob.send_document("brief.pdf", b"%PDF brief", reply_to=note)
        await p.bob.wait_for(f"📎 Added to the dispute on Deal #{deal.id} with 1 file")
        await p.group_says(f"📎 Evidence on Deal #{deal.id} from Bob (@bob):")
        doc = await p.group_says(lambda msg: msg.document is not None)
        assert doc.document["file_name"] == "brief.pdf"
        assert seen_deliver_hint(p.bob) == 0  # the file was not taken for a delivery

        await p.alice.send(f"/evidence {deal.id} The brief asked for a round logo.")
        await p.alice.wait_for(f"📎 Added to the dispute on Deal #{deal.id}")
        await p.group_says("The brief asked for a round logo.")

        shot = await p.alice.send_photo(b"\x89PNG screenshot")
        await p.alice.send(f"/evidence {deal.id} Screenshot of the brief", reply_to=shot)
        await p.alice.wait_for(f"📎 Added to the dispute on Deal #{deal.id} with 1 file")
        await p.group_says(lambda msg: msg.photo is not None)

        added = await events(m, deal.id, "evidence")
        assert [(e.actor_id, len(e.files)) for e in added] == [
            (FREELANCER, 0),
            (FREELANCER, 1),
            (CLIENT, 0),
            (CLIENT, 1),
        ]
        assert added[1].files[0]["name"] == "brief.pdf"

        # Refusals: a stranger, no text, no open dispute.
        await p.stranger.send(f"/evidence {deal.id} I saw it all")
        await p.stranger.wait_for(f"Deal #{deal.id} is not one of yours.")
        await p.bob.send(f"/evidence {deal.id}")
        await p.bob.wait_for("Send your side of a dispute: /evidence <deal> <what happened>")
        assert len(await events(m, deal.id, "evidence")) == 4

        # Someone in the group who is not a moderator presses a button: refused, no change.
        press = await p.muted.press(card, "Release to freelancer")
        answer = await press.wait_answer()
        assert answer["text"] == "Only moderators can do this." and answer["show_alert"]
        assert (await f.get_deal(m.svc, deal.id)).state == "disputed"
        assert m.server.message(GROUP, card.message_id).buttons  # the card is unchanged

        # A moderator presses Split 50/50: the card shows who decided what; both are told.
        await p.mia.press(card, "Split 50/50")
        decided = await p.group_says(
            lambda msg: msg.message_id == card.message_id and "Decided by" in msg.text
        )
        assert "✅ Decided by Mia (@mia)" in decided.text
        assert decided.text.endswith("split, 50% to the freelancer.")
        assert decided.buttons == []
        await said(m, f"Deal #{deal.id}: split, 50% to the freelancer, decided by @mia.")
        told = await p.alice.wait_for(f"The moderators decided Deal #{deal.id}")
        assert "split, 50% to the freelancer; 75 ⭐ comes back to you" in told.text
        told = await p.bob.wait_for(f"The moderators decided Deal #{deal.id}")
        assert "split, 50% to you: 68 ⭐ went to your balance (platform fee 7 ⭐)" in told.text

        d = await f.get_deal(m.svc, deal.id)
        assert d.state == "split"
        async with m.svc.read() as tx:
            dispute = await tx.disputes.latest_for(deal.id)
        assert (dispute.resolved_by, dispute.outcome, dispute.percent) == (MOD, "split", 50)
        assert await f.balance(m.svc, "escrow", deal.id) == 0
        assert await f.balance(m.svc, "user", FREELANCER) == 135 + 68

        # Deciding again: one sentence, nothing changes.
        await p.in_group(p.mia, f"/resolve {deal.id} release")
        await p.group_says(
            f"Deal #{deal.id} is split by the moderators, so this can't be done now."
        )
        assert await f.balance(m.svc, "user", FREELANCER) == 135 + 68
        await p.bob.send(f"/evidence {deal.id} one more thing")
        await p.bob.wait_for(f"Deal #{deal.id} has no open dispute.")
        await m.settle()


def seen_deliver_hint(user: SimUser) -> int:
    return sum("To deliver files" in msg.text for msg in user.messages)


async def test_two_moderators_pressing_at_once_make_one_decision(tmp_path) -> None:
    async with Market(tmp_path) as m:
        p = await people(m)
        m.server.set_member(GROUP, ADMIN, "member")  # Ada is in the group too
        deal, card, _note = await open_dispute(m, p)
        first = await p.mia.press(card, "Release to freelancer")
        second = await p.admin.press(card, "Refund client")
        answers = [await first.wait_answer(), await second.wait_answer()]
        await m.settle()
        state = (await f.get_deal(m.svc, deal.id)).state
        assert state in ("released", "refunded")
        refused = [a for a in answers if a.get("text")]
        assert len(refused) == 1 and refused[0]["show_alert"]
        assert refused[0]["text"] in (
            f"Deal #{deal.id} is {state}, so this can't be done now.",
            f"Deal #{deal.id} changed in the meantime; look at it again with /deal {deal.id}.",
        )
        async with m.svc.read() as tx:
            dispute = await tx.disputes.latest_for(deal.id)
            kinds = await tx.fetchall(
                "SELECT kind FROM ledger_transactions WHERE deal_id = ?", (deal.id,)
            )
        assert dispute.outcome == ("release" if state == "released" else "refund")
        # (A refund is then settled: this charge is unknown to Telegram, which refuses it.)
        settling = ("refund_sent", "refund_refused")
        made = Counter(r["kind"] for r in kinds if r["kind"] not in settling)
        assert made == Counter({"fund": 1, dispute.outcome: 1})
        assert sum(t.startswith(f"Deal #{deal.id}: ") for t in group_texts(m)) == 1
        told = [msg for msg in p.alice.messages if "The moderators decided" in msg.text]
        assert len(told) == 1


async def test_resolve_command_any_split_and_who_may_use_it(tmp_path) -> None:
    async with Market(tmp_path) as m:
        p = await people(m)
        deal, card, _note = await open_dispute(m, p)

        # Usage and bad values: one sentence each.
        await p.in_group(p.mia, "/resolve")
        await p.group_says(
            "Usage: /resolve <deal> release|refund|split <percent to the freelancer>"
        )
        await p.in_group(p.mia, f"/resolve {deal.id} split")
        await p.group_says("The percentage must be a whole number from 0 to 100.")
        await p.in_group(p.mia, f"/resolve {deal.id} split 130")
        await p.group_says("The percentage must be a whole number from 0 to 100.")
        await p.in_group(p.mia, f"/resolve {deal.id} maybe")
        await p.group_says("The decision must be release, refund or split.")

        # Moderator commands typed elsewhere are refused: a stranger in private, a moderator
        # in private, a moderator in another group, a muted member of the group.
        await p.stranger.send(f"/resolve {deal.id} release")
        await p.stranger.wait_for("Only moderators can do this.")
        await p.mia.send(f"/resolve {deal.id} release")
        await p.mia.wait_for("Only moderators can do this.")
        await p.mia.send(f"/resolve {deal.id} release", chat=OTHER_GROUP)
        await p.mia.wait_for("Only moderators can do this.", chat=OTHER_GROUP)
        await p.in_group(p.muted, f"/resolve {deal.id} release")
        await p.group_says("Only moderators can do this.")
        assert (await f.get_deal(m.svc, deal.id)).state == "disputed"

        # Any split, with a note.
        await p.in_group(p.mia, f"/resolve {deal.id} split 30% Only the sketches were done")
        await said(m, f"Deal #{deal.id}: split, 30% to the freelancer, decided by @mia.")
        decided = await p.group_says(
            lambda msg: msg.message_id == card.message_id and "Decided by" in msg.text
        )
        assert "split, 30% to the freelancer." in decided.text
        assert "Only the sketches were done" in decided.text
        bob = await p.bob.wait_for(f"The moderators decided Deal #{deal.id}")
        assert "30% to you: 41 ⭐ went to your balance (platform fee 4 ⭐)" in bob.text
        assert "Only the sketches were done" in bob.text
        alice = await p.alice.wait_for(f"The moderators decided Deal #{deal.id}")
        assert "105 ⭐ comes back to you" in alice.text
        async with m.svc.read() as tx:
            dispute = await tx.disputes.latest_for(deal.id)
        assert (dispute.outcome, dispute.percent, dispute.note) == (
            "split",
            30,
            "Only the sketches were done",
        )

        # An admin decides from a private chat.
        other = await f.funded_deal(m.svc)
        await disputes.open_dispute(m.svc, FREELANCER, other.id, "The client vanished")
        await p.group_says(f"Dispute on Deal #{other.id}")
        await p.admin.send(f"/resolve {other.id} release")
        await p.admin.wait_for(f"Deal #{other.id}: released to the freelancer, decided by @ada.")
        assert (await f.get_deal(m.svc, other.id)).state == "released"
        await m.settle()


async def test_membership_is_checked_with_get_chat_member_and_cached(tmp_path) -> None:
    async with Market(tmp_path) as m:
        p = await people(m)
        await p.in_group(p.mia, "/stats")
        await p.group_says("Marketplace")
        await p.in_group(p.mia, "/payouts")
        await p.group_says("No payout or refund requests are waiting.")
        asked = [c for c in m.server.calls_of("getChatMember") if int(c["user_id"]) == MOD]
        assert len(asked) == 1  # the second command used the cached answer

        # Mia is muted (restricted) in the group: once the cache has expired, she is refused.
        m.server.set_member(GROUP, MOD, "restricted")
        await p.in_group(p.mia, "/stats")
        await p.group_says("Marketplace")  # still cached
        m.clock.advance(61)
        await p.in_group(p.mia, "/stats")
        await p.group_says("Only moderators can do this.")
        asked = [c for c in m.server.calls_of("getChatMember") if int(c["user_id"]) == MOD]
        assert len(asked) == 2


# --- bans, removals, payouts, figures, history ---------------------------------------------


async def test_ban_unban_removejob_payouts_paid_stats_and_history(tmp_path) -> None:
    async with Market(tmp_path) as m:
        p = await people(m)
        svc = m.svc

        # /ban: the person is told, and can no longer bid; /unban lifts it.
        job = await f.job(svc, CLIENT)
        await p.in_group(p.mia, f"/ban {FREELANCER2} Spam in cover letters")
        await p.group_says(f"User {FREELANCER2} is banned.")
        await p.carol.wait_for("⛔ You are banned from the marketplace: Spam in cover letters.")
        async with svc.read() as tx:
            carol = await tx.users.get(FREELANCER2)
        assert carol.banned and carol.ban_reason == "Spam in cover letters"
        await p.carol.send(f"/bid {job.id} 150 3 Please hire me, I am very good")
        await p.carol.wait_for("You are banned from the marketplace, so you can't do this.")
        assert await f.outbox(svc, "notify.bid_new") == []
        await p.in_group(p.mia, f"/ban {FREELANCER2} again")
        await p.group_says(f"User {FREELANCER2} is already banned.")
        await p.in_group(p.mia, "/ban")
        await p.group_says("Usage: /ban <user id> <reason>")
        await p.in_group(p.mia, f"/unban {FREELANCER2}")
        await p.group_says(f"User {FREELANCER2} is no longer banned.")
        await p.carol.wait_for("✅ Your ban was lifted.")
        async with svc.read() as tx:
            assert not (await tx.users.get(FREELANCER2)).banned

        # /removejob: bidders and the client are told; the job is gone from the listings.
        bid = await f.bid(svc, job.id, FREELANCER2)
        await p.in_group(p.mia, f"/removejob {job.id} Asks for homework answers")
        await p.group_says(f"Job #{job.id} was taken down; its bidders are told.")
        told = await p.carol.wait_for(f"The moderators took down Job #{job.id}")
        assert "Asks for homework answers" in told.text
        await p.alice.wait_for(f"The moderators took down your Job #{job.id}")
        assert (await f.get_job(svc, job.id)).state == "removed"
        assert (await f.get_bid(svc, bid.id)).state == "declined"

        # A released deal, with a message thread before the hire and a delivery with a file:
        # /deal in the group shows the whole history.
        job2 = await f.job(svc, CLIENT, title="Landing page")
        bid2 = await f.bid(svc, job2.id, FREELANCER)
        await p.alice.send(f"/msg {bid2.id} Can you start on Monday?")
        await p.bob.wait_for("Can you start on Monday?")
        deal = await deals.hire(svc, CLIENT, bid2.id)
        await f.pay(svc, deal)
        await p.bob.send_document("landing.zip", b"PK zip", caption=f"/deliver {deal.id} v1")
        await p.bob.wait_for(f"Deal #{deal.id} is delivered with 1 file.")
        await deals.release(svc, CLIENT, deal.id)
        await p.in_group(p.mia, f"/deal {deal.id}")
        history = await p.group_says("History")
        assert f"Deal #{deal.id}" in history.text and "released" in history.text
        assert "delivered · Bob (@bob) · “v1” · 1 file" in history.text
        assert "landing.zip" in history.text
        assert "Alice (@alice): Can you start on Monday?" in history.text
        await p.in_group(p.mia, "/deal")
        await p.group_says("Usage: /deal <deal>")

        # /payouts and /paid: Bob asks for his balance, the group sees it, a moderator pays.
        await p.bob.send("/payout")
        confirm = await p.bob.wait_for("Withdraw your whole balance, 135 ⭐?")
        await p.bob.press(confirm, "Yes, withdraw it all")
        await p.bob.wait_for("Payout #1 of 135 ⭐ is requested")
        await p.group_says("💸 Payout #1: Bob (@bob) (id 2001) asks for 135 ⭐.")
        await p.in_group(p.mia, "/payouts")
        waiting = await p.group_says("Waiting payouts: 1")
        assert f"Payout #1: user {FREELANCER}, 135 ⭐" in waiting.text
        assert "/paid 1" in waiting.text
        await p.in_group(p.mia, "/paid 1")
        await p.group_says("Payout #1 (135 ⭐) is marked paid.")
        await p.bob.wait_for("💸 Payout #1 of 135 ⭐ was paid.")
        assert await payouts.pending_payouts(svc, mod_of(MOD)) == []
        await p.in_group(p.mia, "/paid 1")
        await p.group_says("Payout #1")  # already paid: one sentence
        assert "already" in group_texts(m)[-1]

        # /stats: the marketplace's figures.
        await p.in_group(p.mia, "/stats")
        stats = await p.group_says("Marketplace")
        assert "Jobs: completed 1, removed 1" in stats.text
        assert "Deals: released 1" in stats.text
        assert "In escrow: 0 ⭐" in stats.text and "Fees earned: 15 ⭐" in stats.text
        assert "Payouts owed: 0 ⭐" in stats.text

        # The same commands typed by someone else, elsewhere: refused, nothing changes.
        await p.stranger.send(f"/ban {FREELANCER} nope")
        await p.stranger.wait_for("Only moderators can do this.")
        await p.stranger.send("/stats")
        await p.stranger.wait_for("Only moderators can do this.")
        await p.bob.send(f"/removejob {job2.id} mine now")
        await p.bob.wait_for("Only moderators can do this.")
        async with svc.read() as tx:
            assert not (await tx.users.get(FREELANCER)).banned
        assert (await f.get_job(svc, job2.id)).state == "completed"
        await m.settle()


def mod_of(user_id: int):
    from bot.services.base import Moderator

    return Moderator(user_id)


# --- errors --------------------------------------------------------------------------------


async def test_unexpected_errors_alert_the_group_at_most_once_a_minute(
    tmp_path, monkeypatch
) -> None:
    async with Market(tmp_path) as m:
        p = await people(m)

        async def broken(*_args: object, **_kw: object) -> None:
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(payouts, "balances", broken)
        await p.alice.send("/balance")
        await p.alice.wait_for("Something went wrong; nothing was changed.")
        alert = await p.group_says("⚠️ Internal error while handling an update: RuntimeError.")
        assert "disk on fire" not in alert.text  # details stay in the log
        await p.bob.send("/balance")
        await p.bob.wait_for("Something went wrong; nothing was changed.")
        await asyncio.sleep(0.3)
        assert sum("Internal error" in t for t in group_texts(m)) == 1

        # A minute later the next error is reported again.
        assert m.app is not None
        m.app.bot_data["last_alert"] -= 61
        await p.alice.send("/balance")
        await p.alice.wait_for("Something went wrong; nothing was changed.")
        await p.group_says("Internal error")
        assert sum("Internal error" in t for t in group_texts(m)) == 2


async def test_a_failing_timed_action_backs_off_and_runs_once_fixed(tmp_path, monkeypatch) -> None:
    """The running bot's scheduler: a release that raises stays pending, backing off (no
    retry at every tick, no alert yet: the moderators hear when it is given up, see
    tests/test_scheduler_failures.py); fixed, it runs at the end of its backoff, once."""
    async with Market(tmp_path, review_window=2, nudge_lead=1) as m:
        p = await people(m)
        deal = await f.delivered_deal(m.svc)

        async def broken(*_args: object) -> bool:
            raise RuntimeError("boom")

        async def release_row() -> dict:
            async with m.svc.read() as tx:
                rows = await tx.fetchall(
                    "SELECT * FROM deadlines WHERE kind = 'review_release' AND subject_id = ?",
                    (deal.id,),
                )
            assert len(rows) == 1
            return dict(rows[0])

        real = timers.ACTIONS["review_release"]
        monkeypatch.setitem(timers.ACTIONS, "review_release", broken)
        for _ in range(100):  # the window (2 s) ends and a tick runs it
            row = await release_row()
            if row["attempts"]:
                break
            await asyncio.sleep(0.05)
        assert row["state"] == "pending" and row["attempts"] == 1
        assert row["last_error"] == "RuntimeError: boom"
        assert row["retry_at"] >= m.clock.now() + timers.BACKOFF_FIRST_S - 1
        await asyncio.sleep(0.6)  # several ticks: none retries it before its backoff ends
        assert (await release_row())["attempts"] == 1
        assert (await f.get_deal(m.svc, deal.id)).state == "delivered"
        assert not any("timed action" in t for t in group_texts(m))

        # Fixed: at the end of the backoff the next run releases, once.
        monkeypatch.setitem(timers.ACTIONS, "review_release", real)
        m.clock.advance(timers.BACKOFF_FIRST_S)
        await p.alice.wait_for(f"The review window of Deal #{deal.id} ended", timeout=5)
        await m.settle()
        assert (await f.get_deal(m.svc, deal.id)).state == "released"
        assert (await release_row())["state"] == "done"
        async with m.svc.read() as tx:
            rows = await tx.fetchall(
                "SELECT kind FROM ledger_transactions WHERE deal_id = ?", (deal.id,)
            )
        assert Counter(r["kind"] for r in rows) == Counter({"fund": 1, "release": 1})


# --- the command menus -----------------------------------------------------------------------


def scope(obj: object) -> dict:
    return obj.to_dict()  # type: ignore[attr-defined]


async def test_command_menus_per_language_and_for_the_moderator_group(tmp_path) -> None:
    async with Market(tmp_path) as m:
        server = m.server
        private = scope(BotCommandScopeAllPrivateChats())
        en = server.commands(private, "en")
        ru = server.commands(private, "ru")
        default = server.commands(private)
        assert [c["command"] for c in en] == [c["command"] for c in ru]
        assert {"start", "help", "post", "jobs", "deals", "language"} <= {c["command"] for c in en}
        assert default == en
        by_name = {c["command"]: c["description"] for c in ru}
        assert by_name["post"] == "Разместить заказ"
        assert {c["command"]: c["description"] for c in en}["post"] == "Post a job"

        group = scope(BotCommandScopeChat(GROUP))
        mod_en = server.commands(group, "en")
        mod_ru = server.commands(group, "ru")
        assert [c["command"] for c in mod_en] == [
            "resolve",
            "deal",
            "ban",
            "unban",
            "removejob",
            "payouts",
            "paid",
            "stats",
            "audit",
        ]
        assert [c["command"] for c in mod_ru] == [c["command"] for c in mod_en]
        assert server.commands(group) == mod_en
        assert mod_ru[0]["description"].startswith("Решить спор")
        assert "post" not in {c["command"] for c in mod_en}

        admin = {c["command"] for c in server.commands(scope(BotCommandScopeChat(ADMIN)), "en")}
        assert {"post", "resolve", "stats", "deal"} <= admin
