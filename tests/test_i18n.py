"""Translations: both languages complete and alike, every refusal explained, every outbox row
rendered (in both languages, as valid Telegram HTML, with buttons that fit)."""

from __future__ import annotations

import ast
import logging
import re
from pathlib import Path

import pytest
from fluent.syntax import ast as fast
from fluent.syntax import parse as parse_ftl

from bot.domain import rules
from bot.handlers.base import build_keyboard
from bot.handlers.buttons import ButtonCodec
from bot.i18n import SUPPORTED, I18n, fluent_id, ftl_files
from bot.notify import Outgoing
from bot.runtime import Runtime
from bot.services import (
    bids,
    deals,
    disputes,
    feedback,
    hourly,
    jobs,
    messages,
    milestones,
    moderation,
    payouts,
    profiles,
    refunds,
    timers,
)
from bot.services.base import Clock, Moderator, Services
from bot.storage.db import Database
from bot.text import MESSAGE_LIMIT, cut_html
from bot.views.registry import RENDERERS, render_row
from sandbox.botapi import parse_html
from tests import factories as f
from tests.conftest import make_settings
from tests.factories import CLIENT, FREELANCER, FREELANCER2, STRANGER

BOT = Path(__file__).resolve().parent.parent / "bot"
ERROR_CLASSES = {"DomainError", "InvalidInput", "Forbidden", "Conflict", "NotFound"}
OUTBOX_KEY = re.compile(r"^(notify|mod|channel|invoice)\.[a-z_]+$")
NOT_RENDERED = {"refund_star"}  # a Bot API call the dispatcher makes itself, no text
ADMIN = 9001
CHANNEL = -100777
GROUP = -100500


# --- the message files ---------------------------------------------------------------------------


def test_both_languages_have_the_same_messages_and_placeholders() -> None:
    i18n = I18n()
    en, ru = i18n.sources["en"], i18n.sources["ru"]
    assert sorted(set(en) - set(ru)) == [], "messages missing in Russian"
    assert sorted(set(ru) - set(en)) == [], "messages missing in English"
    differ = {mid: (en[mid], ru[mid]) for mid in en if en[mid] != ru[mid]}
    assert differ == {}, "placeholders differ between English and Russian"


def test_no_message_id_is_defined_twice() -> None:
    for lang in SUPPORTED:
        seen: dict[str, str] = {}
        twice = []
        for path in ftl_files(lang):
            for entry in parse_ftl(path.read_text(encoding="utf-8")).body:
                if isinstance(entry, fast.Message | fast.Term):
                    name = entry.id.name
                    if name in seen:
                        twice.append(f"{lang}: {name} in {seen[name]} and {path.name}")
                    seen[name] = path.name
        assert twice == []


# --- refusals ---------------------------------------------------------------------------------


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _const(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _key_takers(trees: list[ast.Module]) -> dict[str, tuple[int, str | None]]:
    """Functions that turn an argument into a DomainError key: name -> (position, keyword).
    The error classes and PaymentCheck, then (to a fixpoint) every function that passes one
    of its own parameters on as such an argument (`text_in_range`, `int_arg`, usage helpers)."""
    takers: dict[str, tuple[int, str | None]] = {c: (0, None) for c in ERROR_CLASSES}
    takers["PaymentCheck"] = (1, None)
    functions = [
        node
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    changed = True
    while changed:
        changed = False
        for func in functions:
            if func.name in takers:
                continue
            params = [a.arg for a in func.args.args]
            for call in ast.walk(func):
                if not isinstance(call, ast.Call) or _name(call.func) not in takers:
                    continue
                arg = _key_argument(call, takers[_name(call.func)])
                if isinstance(arg, ast.Name) and arg.id in params:
                    takers[func.name] = (params.index(arg.id), arg.id)
                    changed = True
                    break
    return takers


def _key_argument(call: ast.Call, where: tuple[int, str | None]) -> ast.expr | None:
    position, keyword = where
    if len(call.args) > position and not isinstance(call.args[position], ast.Starred):
        return call.args[position]
    return next((kw.value for kw in call.keywords if keyword and kw.arg == keyword), None)


def error_keys() -> dict[str, str]:
    """Every DomainError key raised in bot/ (key -> where), found by reading the source."""
    files = sorted(BOT.rglob("*.py"))
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in files]
    takers = _key_takers(trees)
    found: dict[str, str] = {}
    for path, tree in zip(files, trees, strict=True):
        where = str(path.relative_to(BOT.parent))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in takers:
                _position, keyword = takers[node.name]
                names = [a.arg for a in node.args.args]
                defaults = node.args.defaults
                for arg, default in zip(names[len(names) - len(defaults) :], defaults, strict=True):
                    if arg == keyword and (key := _const(default)):
                        found.setdefault(key, f"{where}:{node.lineno}")
            if not (isinstance(node, ast.Call) and _name(node.func) in takers):
                continue
            if key := _const(_key_argument(node, takers[_name(node.func)])):
                found.setdefault(key, f"{where}:{node.lineno}")
    return found


def test_the_scan_finds_refusals() -> None:
    keys = error_keys()
    for known in ("bid.not_client", "job.not_open", "amount.invalid", "deal.bad_state"):
        assert known in keys
    assert "payment.not_awaiting" in keys  # PaymentCheck
    assert "revise.text_required" in keys  # text_in_range
    assert "args.number" in keys  # int_arg's default
    assert "dealcmd.usage_deliver" in keys  # through a handler's own helper


def test_every_refusal_has_a_sentence() -> None:
    i18n = I18n()
    missing = {
        key: where
        for key, where in error_keys().items()
        for lang in SUPPORTED
        if f"err-{fluent_id(key)}" not in i18n.sources[lang]
    }
    assert missing == {}, "add err- messages for these DomainError keys"
    for mid in ("error-internal", "button-expired"):
        assert all(mid in i18n.sources[lang] for lang in SUPPORTED)


def test_refusal_examples_from_the_spec() -> None:
    from bot.domain.errors import Conflict, Forbidden, InvalidInput

    i18n = I18n()
    assert i18n.error("en", Conflict("job.not_open", job=12)) == "Job #12 is closed for bids."
    assert (
        i18n.error("en", Forbidden("bid.not_client", job=12))
        == "Only the client of Job #12 can accept bids."
    )
    assert (
        i18n.error("en", InvalidInput("amount.invalid", min=1, max=1000000))
        == "The amount must be a whole number from 1 to 1000000."
    )
    state = i18n.error("ru", Conflict("deal.bad_state", deal=1234, state="delivered"))
    assert "#1234" in state and "delivered" not in state  # the state is translated


# --- notifications ------------------------------------------------------------------------------


def outbox_keys() -> set[str]:
    """Every outbox key the services write: key-like strings in bot/services, with f-string
    keys (`notify.trial_{new}`) expanded from the values their variable takes."""
    keys: set[str] = set()
    for path in sorted((BOT / "services").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        pieces = {id(v) for j in ast.walk(tree) if isinstance(j, ast.JoinedStr) for v in j.values}
        for node in ast.walk(tree):
            value = _const(node) if id(node) not in pieces else None  # type: ignore[arg-type]
            if value and OUTBOX_KEY.match(value):
                keys.add(value)
        for func in ast.walk(tree):
            if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                for node in ast.walk(func):
                    if isinstance(node, ast.JoinedStr):
                        keys |= _expand(func, node)
    return keys


def _expand(func: ast.AST, joined: ast.JoinedStr) -> set[str]:
    parts: list[list[str]] = []
    for piece in joined.values:
        if isinstance(piece, ast.Constant):
            parts.append([str(piece.value)])
        elif isinstance(piece, ast.FormattedValue) and isinstance(piece.value, ast.Name):
            name = piece.value.id
            values = [
                str(c.value)
                for node in ast.walk(func)
                if isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
                for c in ast.walk(node.value)
                if isinstance(c, ast.Constant) and isinstance(c.value, str)
            ]
            parts.append(values or ["?"])
        else:
            return set()
    out = [""]
    for options in parts:
        out = [a + b for a in out for b in options]
    return {k for k in out if OUTBOX_KEY.match(k)}


def test_the_scan_finds_outbox_keys() -> None:
    keys = outbox_keys()
    assert {"notify.trial_accepted", "notify.trial_declined", "notify.bid_new"} <= keys
    assert {"invoice.deal", "channel.job", "mod.dispute_card", "notify.refunded"} <= keys


def test_every_outbox_key_has_a_renderer() -> None:
    assert sorted(outbox_keys() - set(RENDERERS) - NOT_RENDERED) == []


async def _step(svc: Services, seconds: int, until: int) -> None:
    """Move the clock in steps, running what falls due as the scheduler would."""
    while svc.clock.now() < until:
        svc.clock.advance(min(seconds, until - svc.clock.now()))
        await timers.run_due(svc)


async def _deal(svc: Services, freelancer: int = FREELANCER, days: int = 3, pay: bool = True):
    job = await f.job(svc)
    bid = await f.bid(svc, job.id, freelancer, days=days)
    deal = await deals.hire(svc, CLIENT, bid.id)
    if pay:
        assert await f.pay(svc, deal) == "funded"
    return deal


async def marketplace(svc: Services, rt: Runtime) -> list[Outgoing]:
    """A marketplace where every kind of notification happens, through the services only.
    Returns the invoice rendered while its deal still waited for payment."""
    mod = Moderator(ADMIN)
    file = [{"kind": "document", "file_id": "FILE-1", "name": "a.pdf"}]
    photo = [{"kind": "photo", "file_id": "PHOTO-1"}]
    # Job 1: questions, messages, an invitation, a shortlist with a brief and a trial.
    j1 = await f.job(svc, brief="The private details <b>&</b> secrets.")
    b1 = await f.bid(svc, j1.id, FREELANCER)
    await f.bid(svc, j1.id, FREELANCER, amount=160)  # updated
    await f.bid(svc, j1.id, FREELANCER2)
    await bids.shortlist_bid(svc, CLIENT, b1.id)
    trial = await bids.request_trial(svc, CLIENT, b1.id, "Make a small demo")
    await bids.answer_trial(svc, FREELANCER, trial, True)
    await bids.submit_trial(svc, FREELANCER, trial, "Here it is", file)
    question = await messages.ask(svc, STRANGER, j1.id, "Is Python <ok>?")
    await messages.reply(svc, CLIENT, question, "Yes")  # a thread with no bid
    await messages.message_bid(svc, CLIENT, b1.id, "Hello & welcome")
    await profiles.invite(svc, CLIENT, "user3001", j1.id)
    d1 = await deals.hire(svc, CLIENT, b1.id)
    async with svc.read() as tx:
        [invoice_row] = [r for r in await tx.outbox.due(tx.now, 500) if r["key"] == "invoice.deal"]
    invoices = [await render_row(rt, invoice_row, lang) for lang in SUPPORTED]
    assert await f.pay(svc, d1) == "funded"  # the other bid is told the job is filled
    assert await f.pay(svc, d1) == "refunded"  # a second payment goes back
    await deals.deliver(svc, FREELANCER, d1.id, "First version", file)
    await deals.attach_files(svc, FREELANCER, d1.id, photo)
    await deals.revise(svc, CLIENT, d1.id, "Make it blue")
    await deals.extend(svc, CLIENT, d1.id, "2d")
    await deals.log_time(svc, FREELANCER, d1.id, "2.5", "drawing")
    await deals.deliver(svc, FREELANCER, d1.id)
    await deals.release(svc, CLIENT, d1.id)
    await feedback.rate(svc, CLIENT, d1.id, 5, "Great")
    await feedback.rate(svc, FREELANCER, d1.id, 4)
    await payouts.request_payout(svc, FREELANCER)
    async with svc.read() as tx:
        [pending] = await tx.payouts.pending()
    await payouts.mark_paid(svc, mod, pending.id)
    # Job 2: an NDA accepted by one, declined by the other; a declined trial; bids ended.
    j2 = await f.job(svc, brief="Secret", nda_required=True, nda_text="Tell no one.")
    b2a = await f.bid(svc, j2.id, FREELANCER)
    b2b = await f.bid(svc, j2.id, FREELANCER2)
    await bids.shortlist_bid(svc, CLIENT, b2a.id)
    await bids.answer_nda(svc, FREELANCER, b2a.id, True)
    await bids.shortlist_bid(svc, CLIENT, b2b.id)
    await bids.answer_nda(svc, FREELANCER2, b2b.id, False)
    trial2 = await bids.request_trial(svc, CLIENT, b2b.id, "Another small demo")
    await bids.answer_trial(svc, FREELANCER2, trial2, False)
    await bids.withdraw_bid(svc, FREELANCER2, b2b.id)
    await bids.decline_bid(svc, CLIENT, b2a.id, "Too expensive")
    # Jobs closed, removed (with a deal awaiting payment), left to expire.
    j3 = await f.job(svc)
    await f.bid(svc, j3.id, FREELANCER)
    await jobs.close_job(svc, CLIENT, j3.id)
    j4 = await f.job(svc)
    b4 = await f.bid(svc, j4.id, FREELANCER)
    await f.bid(svc, j4.id, FREELANCER2)
    await deals.hire(svc, CLIENT, b4.id)
    await jobs.remove_job(svc, mod, j4.id, "Spam")
    j5 = await f.job(svc)
    await f.bid(svc, j5.id, FREELANCER)
    # A milestone contract (issue 14): a plan set and edited, an added milestone accepted and
    # another declined, milestones released, the contract ended while the next is unfunded.
    j6 = await f.job(svc)
    b6 = await f.bid(svc, j6.id, FREELANCER, amount=150)
    await milestones.set_plan(svc, FREELANCER, b6.id, "Design = 50; Build <it> = 100")
    await milestones.set_plan(svc, CLIENT, b6.id, "Design = 60; Build <it> = 90")
    d6 = await deals.hire(svc, CLIENT, b6.id)
    async with svc.read() as tx:
        [ms_row] = [r for r in await tx.outbox.due(tx.now, 500) if r["key"] == "invoice.milestone"]
    invoices += [await render_row(rt, ms_row, lang) for lang in SUPPORTED]
    assert await f.pay_milestone(svc, d6) == "funded"
    await milestones.propose(svc, CLIENT, d6.id, "Extra & more = 10")
    await milestones.answer_proposal(svc, FREELANCER, d6.id, True)
    await milestones.propose(svc, CLIENT, d6.id, "Not this = 5")
    await milestones.answer_proposal(svc, FREELANCER, d6.id, False)
    await deals.deliver(svc, FREELANCER, d6.id)
    await deals.release(svc, CLIENT, d6.id)
    await deals.cancel(svc, CLIENT, d6.id)
    # Deals that end in every other way.
    unfunded = await _deal(svc, pay=False)
    await deals.cancel(svc, FREELANCER, unfunded.id)
    await _deal(svc, pay=False)  # left to expire unpaid
    cancelled = await _deal(svc)
    await deals.cancel(svc, CLIENT, cancelled.id)
    await deals.answer_cancel(svc, FREELANCER, cancelled.id, False)
    await deals.cancel(svc, CLIENT, cancelled.id)
    await deals.answer_cancel(svc, FREELANCER, cancelled.id, True)
    await _deal(svc, days=3)  # never delivered: nudged, overdue, refunded
    reviewed = await _deal(svc, freelancer=FREELANCER2)
    await deals.deliver(svc, FREELANCER2, reviewed.id, "Done")  # released automatically
    disputed = await _deal(svc)
    await disputes.open_dispute(svc, CLIENT, disputed.id, "Nothing <works>")
    await disputes.add_evidence(svc, FREELANCER, disputed.id, "It works for me", file)
    split = await _deal(svc, freelancer=FREELANCER2)
    await disputes.open_dispute(svc, FREELANCER2, split.id, "The client vanished")
    await moderation.ban(svc, mod, STRANGER, "Spam & scams")
    await moderation.unban(svc, mod, STRANGER)
    # Time passes: nudges, expiries, overdue work, auto-release, SLA reminders, feedback asks.
    await _step(svc, 6 * 3600, svc.clock.now() + 12 * 86400)
    # A timed action that keeps failing is given up, and the moderators are told.
    async with svc.tx() as tx:
        await tx.deadlines.set("review_release", 10**6, tx.now)
        (given_up,) = await tx.deadlines.pending(10**6)
    for _ in range(timers.MAX_ATTEMPTS):
        await timers.deadline_failed(svc, given_up["id"], RuntimeError("no <deal> & no luck"))
    assert await timers.alert_given_up(svc)
    await disputes.resolve(svc, mod, disputed.id, "refund", note="No delivery")
    await disputes.resolve(svc, mod, split.id, "split", 60)
    # Stars refunds settled both ways: one Telegram confirmed, one it refused.
    async with svc.read() as tx:
        waiting = await tx.fetchall("SELECT charge_id FROM refunds WHERE state = 'pending'")
    assert len(waiting) >= 2
    await refunds.confirm(svc, waiting[0]["charge_id"])
    await refunds.fail(svc, waiting[1]["charge_id"], "Bad Request: CHARGE_NOT_FOUND <x>")
    await _hourly(svc, mod)
    return invoices


async def _hourly(svc: Services, mod: Moderator) -> None:
    """Hourly contracts: a week disputed and decided, one unpaid, one approved by silence,
    then ended; and one whose third week is funded from credit, ended while it runs."""
    from bot.domain import weeks as W
    from tests.hourly_helpers import hourly_bid, pay_week, weeks

    job = await f.job(svc)
    deal = await deals.hire(svc, CLIENT, (await hourly_bid(svc, job.id, FREELANCER2, 10, 10)).id)
    assert await pay_week(svc, deal.id) == "funded"
    await hourly.log_time(svc, FREELANCER2, deal.id, "2", "setup <b>")
    first = (await weeks(svc, deal.id))[0]
    await _step(svc, 6 * 3600, first.edit_ends_at)  # the next week's invoice, the review
    await disputes.open_dispute(svc, CLIENT, deal.id, "Too long")
    await disputes.resolve(svc, mod, deal.id, "split", 50, "Half")
    await _step(svc, 6 * 3600, W.week_end(first.starts_at) + W.WEEK)  # unpaid: lapses
    assert await pay_week(svc, deal.id) == "funded"
    await hourly.log_time(svc, FREELANCER2, deal.id, "1", "more")
    third = (await weeks(svc, deal.id))[-1]
    await _step(svc, 6 * 3600, third.review_ends_at)  # approved by silence
    assert await deals.cancel(svc, CLIENT, deal.id) == "ended"
    job = await f.job(svc)
    deal = await deals.hire(svc, CLIENT, (await hourly_bid(svc, job.id, FREELANCER, 5, 2)).id)
    assert await pay_week(svc, deal.id) == "funded"
    start = (await weeks(svc, deal.id))[0].starts_at
    await _step(svc, 6 * 3600, W.week_end(start))
    assert await pay_week(svc, deal.id) == "funded"
    await _step(svc, 6 * 3600, W.week_end(start) + W.WEEK)  # funded from the credit
    assert await deals.cancel(svc, FREELANCER, deal.id) == "ending"
    await _step(svc, 6 * 3600, W.week_end(start) + 2 * W.WEEK + W.EDIT_GRACE)


@pytest.fixture
async def market(tmp_path):
    settings = make_settings(jobs_channel_id=CHANNEL, moderator_chat_id=GROUP)
    db = await Database(tmp_path / "m.db").connect()
    svc = Services(db=db, settings=settings, clock=Clock())
    await f.people(svc)
    await f.people(svc, ADMIN)
    rt = Runtime(svc=svc, i18n=I18n(), buttons=ButtonCodec("123:TEST"), bot_username="market_bot")
    yield svc, rt
    await db.close()


def _check_text(text: str, where: str) -> None:
    assert text.strip(), f"{where}: empty text"
    visible, _ = parse_html(cut_html(text, MESSAGE_LIMIT))  # Telegram would accept it
    assert "{" not in visible and "}" not in visible, f"{where}: a placeholder is left"
    assert not re.search(r"\b(notify|err|deal|mod|channel|dispute)-[a-z-]+\b", visible), (
        f"{where}: a message id is shown instead of its text: {visible!r}"
    )


async def test_every_outbox_row_renders_in_both_languages(market, caplog) -> None:
    svc, rt = market
    invoices = await marketplace(svc, rt)
    for out in invoices:
        assert not out.skip
        for field in ("title", "description", "payload", "label"):
            assert out.extra[field], field
        assert len(out.extra["title"]) <= 32 and len(out.extra["description"]) <= 255
        assert "&" not in out.extra["description"]  # plain text, not HTML
    async with svc.read() as tx:
        rows = await tx.fetchall("SELECT * FROM outbox ORDER BY id")
    import json

    rows = [{**dict(r), "params": json.loads(r["params"])} for r in rows]
    produced = {r["key"] for r in rows}
    assert sorted(outbox_keys() - produced - NOT_RENDERED) == [], "extend the scenario"

    caplog.set_level(logging.WARNING, logger="bot")
    texts: dict[tuple[str, str], str] = {}
    for row in rows:
        if row["key"] in NOT_RENDERED:
            continue
        for lang in SUPPORTED:
            where = f"{row['key']} ({row['method']}, {lang})"
            out = await render_row(rt, row, lang)
            if out.skip:
                assert row["key"] in ("invoice.deal", "invoice.milestone", "invoice.week"), (
                    f"{where} was skipped"
                )
                continue
            _check_text(out.text, where)
            build_keyboard(rt, out.rows)  # every button's data fits in 64 bytes
            for file_id in out.extra.get("documents", []) + out.extra.get("photos", []):
                assert isinstance(file_id, str) and file_id
            texts.setdefault((row["key"], lang), out.text)
    problems = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert problems == [], "translations reported problems"
    # Some texts, checked by eye once and pinned here.
    assert "Bid #" in texts[("notify.bid_new", "en")]
    # The brief comes with the shortlisting (one message), a person's text escaped.
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in texts[("notify.shortlisted", "en")]
    assert "Новый отклик" in texts[("notify.bid_new", "ru")]


async def test_notification_details(market) -> None:
    svc, rt = market
    await marketplace(svc, rt)
    async with svc.read() as tx:
        rows = await tx.fetchall("SELECT * FROM outbox ORDER BY id")
    import json

    rows = [{**dict(r), "params": json.loads(r["params"])} for r in rows]

    def first(key: str, chat: int | None = None, method: str = "send") -> dict:
        return next(
            r
            for r in rows
            if r["key"] == key and r["method"] == method and (chat is None or r["chat_id"] == chat)
        )

    def actions(out: Outgoing) -> list[str]:
        return [target[1] for row in out.rows or [] for _label, target in row if target[0] == "cb"]

    out = await render_row(rt, first("notify.bid_new"), "en")
    assert actions(out) == ["bids"] and "completed deals" in out.text
    # By the end of the scenario every deal, bid and job these were about has moved on, and a
    # button is drawn only while the state allows it (bot/views/keyboards.py; the live
    # buttons are in tests/test_buttons_follow_state.py).
    out = await render_row(rt, first("notify.delivered"), "en")
    assert actions(out) == []  # released
    assert out.extra["documents"] == ["FILE-1"]
    out = await render_row(rt, first("notify.delivery_files"), "en")
    assert out.extra == {"photos": ["PHOTO-1"]}
    for key, chat in (
        ("notify.delivery_overdue", CLIENT),  # refunded
        ("notify.delivery_overdue", FREELANCER),
        ("notify.cancel_requested", None),  # refunded
        ("notify.trial_requested", None),  # the bid ended
        ("notify.invited", None),  # the job no longer takes bids
    ):
        out = await render_row(rt, first(key, chat), "en")
        assert out.rows is None, key
    out = await render_row(rt, first("notify.shortlisted_nda"), "en")
    assert out.rows is None and "Tell no one." in out.text
    out = await render_row(rt, first("notify.feedback_request"), "en")
    assert actions(out) == ["rate"] * 5
    out = await render_row(rt, first("notify.question"), "en")
    assert "Is Python &lt;ok&gt;?" in out.text and "Reply to this message" in out.text
    out = await render_row(rt, first("notify.shortlisted"), "en")
    assert "You are shortlisted" in out.text and "The private details" in out.text
    # The channel post: a deep link while open, "closed" once the job is done.
    out = await render_row(rt, first("channel.job", CHANNEL), "en")
    [[(_label, target)]] = out.rows
    assert target[0] == "url" and re.fullmatch(
        r"https://t\.me/market_bot\?start=job_\d+", target[1]
    )
    edits = [r for r in rows if r["key"] == "channel.job" and r["method"] == "edit"]
    closed = [r for r in edits if (await f.get_job(svc, r["params"]["job"])).state == "closed"]
    out = await render_row(rt, closed[0], "en")
    assert "Closed" in out.text and out.rows[0][0][0] == "View the job"
    # The dispute card: buttons while open, the decision and no buttons once resolved.
    card = first("mod.dispute_card", GROUP)
    sent = await render_row(rt, card, "en")
    assert "Dispute on Deal" in sent.text and "Reason" in sent.text and "Timeline" in sent.text
    assert sent.rows is None  # resolved by the end of the scenario: the card shows the decision
    edited = await render_row(rt, first("mod.dispute_card", GROUP, "edit"), "en")
    assert "Decided by" in edited.text and edited.rows is None


async def test_open_dispute_card_has_the_moderator_buttons(market) -> None:
    svc, rt = market
    deal = await _deal(svc)
    await deals.log_time(svc, FREELANCER, deal.id, "1", "work")
    await disputes.open_dispute(svc, CLIENT, deal.id, "Late")
    [row] = await f.outbox(svc, "mod.dispute_card")
    out = await render_row(rt, row, "en")
    assert [t[1] for r in out.rows for _l, t in r] == ["mod_release", "mod_refund", "mod_split"]
    assert all(t[2] == deal.id for r in out.rows for _l, t in r)
    assert "completed deals" in out.text and "member since" in out.text
    ru = await render_row(rt, row, "ru")
    assert "Спор по сделке" in ru.text


def test_rules_limits_match_the_messages() -> None:
    # The amount sentence of the SPEC uses the domain's own limits.
    from bot.domain.money import MAX_WHOLE, MIN_WHOLE

    assert (MIN_WHOLE, MAX_WHOLE) == (1, 1_000_000)
    assert rules.HOURS_MAX_PER_ENTRY == 24
