"""The audit trail (issue 16): every moderator decision, ban, unban, job removal, payout marked
paid, and the configuration the operator runs with, recorded append-only (who, what, when,
why) and shown to moderators by /audit, through the real bot and the loopback Bot API."""

from __future__ import annotations

import pytest

from bot.services import disputes, payouts
from tests import factories as f
from tests.conftest import INTEGRITY_ERRORS
from tests.factories import CLIENT, FREELANCER, FREELANCER2
from tests.harness import Market
from tests.test_moderation import GROUP, MOD, group_texts, open_dispute, people

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning"),
    pytest.mark.usefixtures("market_engine"),  # on both engines
]


async def trail(m: Market) -> list[dict]:
    async with m.svc.read() as tx:
        return [dict(r) for r in await tx.fetchall("SELECT * FROM audit_log ORDER BY id")]


async def test_every_moderator_action_is_in_the_audit(tmp_path) -> None:
    async with Market(tmp_path) as m:
        p = await people(m)
        # Telegram's pace is not under test: the moderator group gets ~20 messages here, and
        # an answer over the group's 19 a minute would wait for the window (bot/pacing.py).
        m.app.bot_data["pacer"].group_limit = 0
        svc = m.svc
        start = await trail(m)
        assert [(r["action"], r["actor_id"]) for r in start] == [("config_changed", None)]

        # A dispute decided by button, another by /resolve with a note.
        deal, card, _note = await open_dispute(m, p)
        await p.mia.press(card, "Split 50/50", chat=GROUP)
        await p.group_says(f"Deal #{deal.id}: split, 50% to the freelancer")
        second = await f.delivered_deal(svc)
        await p.alice.send(f"/dispute {second.id} Nothing arrived")
        await p.group_says(f"Dispute on Deal #{second.id}")
        await p.in_group(p.mia, f"/resolve {second.id} refund Work never delivered")
        await p.group_says(f"Deal #{second.id}: refunded to the client")

        # A ban and its lifting, a job taken down, a payout marked paid.
        await p.in_group(p.mia, f"/ban {FREELANCER2} Spam in cover letters")
        await p.group_says(f"User {FREELANCER2} is banned.")
        await p.in_group(p.mia, f"/unban {FREELANCER2}")
        await p.group_says(f"User {FREELANCER2} is no longer banned.")
        job = await f.job(svc, CLIENT, title="Homework")
        await p.in_group(p.mia, f"/removejob {job.id} Asks for homework answers")
        await p.group_says(f"Job #{job.id} was taken down")
        payout = (await payouts.request_all_payouts(svc, FREELANCER))[0]
        await p.in_group(p.mia, f"/paid {payout.id}")
        await p.group_says(f"Payout #{payout.id} (")

        # A refused attempt records nothing.
        await p.stranger.send(f"/ban {FREELANCER} nope")
        await p.stranger.wait_for("Only moderators can do this.")

        rows = (await trail(m))[1:]
        assert [(r["action"], r["subject"], r["subject_id"], r["actor_id"]) for r in rows] == [
            ("resolve", "deal", deal.id, MOD),
            ("resolve", "deal", second.id, MOD),
            ("ban", "user", FREELANCER2, MOD),
            ("unban", "user", FREELANCER2, MOD),
            ("remove_job", "job", job.id, MOD),
            ("payout_paid", "payout", payout.id, MOD),
        ]
        assert rows[1]["reason"] == "Work never delivered"
        assert rows[2]["reason"] == "Spam in cover letters"
        assert rows[4]["reason"] == "Asks for homework answers" and rows[4]["user_id"] == CLIENT
        assert rows[5]["user_id"] == FREELANCER
        assert all(r["at"] > 0 for r in rows)

        # /audit shows each of them, newest first, with who and why.
        await p.in_group(p.mia, "/audit")
        shown = await p.group_says("Audit trail")
        lines = shown.text.split("\n")[1:]
        assert len(lines) == 7
        assert lines[0].startswith(f"#{rows[5]['id']} · ")
        assert (
            f"Mia (@mia) ({MOD}): marked Payout #{payout.id} paid ({payout.amount} ⭐ to user"
            f" {FREELANCER})"
        ) in lines[0]
        assert (
            f"took down Job #{job.id} (client {CLIENT}) — “Asks for homework answers”" in (lines[1])
        )
        assert f"lifted the ban on user {FREELANCER2}" in lines[2]
        assert f"banned user {FREELANCER2} — “Spam in cover letters”" in lines[3]
        assert f"resolved Deal #{second.id}: refunded to the client — “Work never" in lines[4]
        assert f"resolved Deal #{deal.id}: split, 50% to the freelancer" in lines[5]
        assert "the operator (configuration): configuration recorded:" in lines[6]
        assert "platform_fee_percent=10" in lines[6]

        # One deal's, one person's (by id or @username; a bare number is a deal).
        await p.in_group(p.mia, f"/audit deal {second.id}")
        one = await p.group_says(f"Audit trail of Deal #{second.id}")
        assert one.text.count("\n") == 1 and "refunded to the client" in one.text
        await p.in_group(p.mia, f"/audit {deal.id}")
        assert "split, 50%" in (await p.group_says(f"Audit trail of Deal #{deal.id}")).text
        await p.in_group(p.mia, f"/audit user {FREELANCER2}")
        carol = await p.group_says(f"Audit trail of user {FREELANCER2}")
        assert carol.text.count("\n") == 2 and "banned user" in carol.text
        await p.in_group(p.mia, "/audit @bob")
        bob = await p.group_says(f"Audit trail of user {FREELANCER}")
        # His payout and both deals he was a party to.
        assert bob.text.count("\n") == 3 and f"Payout #{payout.id}" in bob.text
        await p.in_group(p.mia, f"/audit user {MOD}")
        assert (await p.group_says(f"Audit trail of user {MOD}")).text.count("\n") == 6
        await p.in_group(p.mia, f"/audit payout {payout.id}")
        await p.group_says(f"Audit trail of Payout #{payout.id}")
        await p.in_group(p.mia, "/audit deal 999")
        await p.group_says("Deal #999")
        await p.in_group(p.mia, "/audit banana 5")
        await p.group_says("Usage: /audit [deal|user|job|payout]")

        # Only moderators see it.
        await p.stranger.send("/audit")
        await p.stranger.wait_for("Only moderators can do this.")
        assert not any("Audit trail" in m.text for m in p.stranger.messages)


async def test_the_audit_is_paginated_and_append_only(tmp_path) -> None:
    async with Market(tmp_path) as m:
        p = await people(m)
        for _ in range(6):
            await p.in_group(p.mia, f"/ban {FREELANCER2} Spam")
            await p.group_says(f"User {FREELANCER2} is banned.")
            await p.in_group(p.mia, f"/unban {FREELANCER2}")
            await p.group_says(f"User {FREELANCER2} is no longer banned.")
        await p.in_group(p.mia, "/audit")
        first = await p.group_says("Audit trail")
        assert first.text.count("\n") == 10 and [b.text for b in first.buttons] == ["▶"]
        await p.mia.press(first, "▶", chat=GROUP)
        second = await p.mia.wait_for(
            lambda x: x.message_id == first.message_id and "#3 ·" in x.text, chat=GROUP
        )
        assert second.text.count("\n") == 3  # 13 entries: 12 decisions and the configuration
        assert [b.text for b in second.buttons] == ["◀"]
        assert "configuration recorded" in second.text

        for sql in ("UPDATE audit_log SET reason = 'nothing happened'", "DELETE FROM audit_log"):
            with pytest.raises(INTEGRITY_ERRORS, match="append-only"):
                async with m.svc.tx() as tx:
                    await tx.execute(sql)
        assert len(await trail(m)) == 13


async def test_a_configuration_change_is_recorded_at_start(tmp_path) -> None:
    async with Market(tmp_path) as m:
        await m.restart()  # the same configuration: nothing new
        assert [r["action"] for r in await trail(m)] == ["config_changed"]
        m.settings_over = {"platform_fee_percent": 12, "dispute_sla": "24h"}
        await m.restart()
        rows = await trail(m)
        assert [r["action"] for r in rows] == ["config_changed", "config_changed"]
        p = await people(m)
        await p.in_group(p.mia, "/audit")
        shown = await p.group_says("Audit trail")
        line = shown.text.split("\n")[1]
        assert (
            "configuration changed: dispute_sla: 172800 → 86400, platform_fee_percent: 10 → 12"
            in (line)
        )


async def test_a_deal_decision_is_recorded_with_the_money_it_moved(tmp_path) -> None:
    async with Market(tmp_path) as m:
        p = await people(m)
        deal = await f.delivered_deal(m.svc)
        await disputes.open_dispute(m.svc, CLIENT, deal.id, "Late")
        await p.in_group(p.mia, f"/resolve {deal.id} split 30 Half done")
        await p.group_says(f"Deal #{deal.id}: split")
        row = (await trail(m))[-1]
        assert row["action"] == "resolve" and row["reason"] == "Half done"
        assert '"outcome": "split"' in row["details"] and '"percent": 30' in row["details"]
        assert not any("Traceback" in t for t in group_texts(m))
