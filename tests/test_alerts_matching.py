"""Job alerts' matching: the tokenizer is SQLite's, a search's words match a job exactly when
/jobs would list that job for them, the index finds every search a brute-force scan finds
(category, budget, language, the client, bans), a fan-out larger than the publish
transaction's share goes on in batches and survives a restart, and the rows render in both
languages."""

from __future__ import annotations

import json
import random
import sqlite3

import pytest

from bot.domain import alerts as rules
from bot.handlers.base import build_keyboard
from bot.handlers.buttons import ButtonCodec
from bot.i18n import SUPPORTED, I18n
from bot.runtime import Runtime
from bot.services import alerts, jobs, moderation, timers
from bot.services.base import Moderator, Services
from bot.services.profiles import touch_user
from bot.storage import fts
from bot.storage.alerts import AlertsRepo
from bot.storage.db import Database
from bot.views import alerts as _views  # noqa: F401  (registers the renderers)
from bot.views.registry import render_row
from sandbox.botapi import parse_html
from tests import factories as f
from tests.factories import CLIENT, FREELANCER, FREELANCER2

VOCAB = [
    "Logo",
    "logos",
    "Café",
    "cafe",
    "e-commerce",
    "E-Commerce-ready",
    "Программист",
    "программирование",
    "бот",
    "Ботов",
    "Telegram",
    "telegram-bot",
    "$$$",
    "50%",
    "naïve",
    "Ёлка",
    "ёлки",
    "ΆΘΗΝΑ",
    "co-op",
    "c++",
    "C#",
    "x",
    "1С",
    "2024",
    "api_v2",
    "straße",
    "Ǆemal",
    "Zoë",
    "日本語",
    "🙂",
]


def _text(rng: random.Random, lo: int, hi: int) -> str:
    seps = [" ", " ", " ", ", ", "-", ". ", "/", " — "]
    words = [rng.choice(VOCAB) for _ in range(rng.randint(lo, hi))]
    out = words[0]
    for w in words[1:]:
        out += rng.choice(seps) + w
    return out


def _query(rng: random.Random) -> list[str]:
    words = []
    for _ in range(rng.randint(1, 3)):
        w = rng.choice(VOCAB)
        r = rng.random()
        if r < 0.4:
            w = w[: rng.randint(1, len(w))]  # a prefix, as people type
        elif r < 0.5:
            w = rng.choice(["$$", "-", "%", "ogo", "mmerce", "+"])  # substrings, middles
        words.append(w)
    return rules.split_words(" ".join(words))


def test_the_tokenizer_is_sqlites_on_mixed_text() -> None:
    """Characters are asked of SQLite one at a time; a text of many is tokenized the same as
    FTS5 does it whole (unicode61 decides per character)."""
    rng = random.Random(15)
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize = '{fts.TOKENIZE}')")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    alphabet = [chr(c) for c in (*range(0x20, 0x2FF), *range(0x370, 0x52F), *range(0x1E00, 0x1F00))]
    alphabet += ["\u0301", "\u0308", "\u200d", "\ue000", "日", "🙂", "\u3000", "\u00a0"]
    texts = [_text(rng, 1, 12) for _ in range(200)]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(800)]
    conn.executemany("INSERT INTO t (rowid, x) VALUES (?, ?)", list(enumerate(texts, 1)))
    got: dict[int, list[tuple[int, str]]] = {}
    for term, doc, offset in conn.execute("SELECT term, doc, offset FROM v"):
        got.setdefault(doc, []).append((offset, term))
    for n, text in enumerate(texts, 1):
        assert fts.tokens(text) == [t for _o, t in sorted(got.get(n, []))], repr(text)


async def _post(svc: Services, rng: random.Random, client: int = CLIENT, **over: object):
    title = _text(rng, 2, 6)
    while len(title) < 5:
        title += " " + rng.choice(VOCAB)
    description = _text(rng, 8, 30)
    while len(description) < 20:
        description += " " + rng.choice(VOCAB)
    return await f.job(svc, client, title=title[:100], description=description, **over)


async def test_words_match_a_job_exactly_when_jobs_lists_it(svc) -> None:
    rng = random.Random(3)
    posted = [await _post(svc, rng) for _ in range(150)]
    texts = {j.id: rules.job_text(j.title, j.description, fts.tokens) for j in posted}
    checked = hits = 0
    for _ in range(400):
        words = _query(rng)
        if not words:
            continue
        async with svc.read() as tx:
            listed = {j.id for j in await tx.jobs.search_open(None, words, 1000, 0)}
        terms = alerts.compile_terms(" ".join(words))
        found = {job_id for job_id, text in texts.items() if rules.matches(terms, text)}
        assert found == listed, (words, sorted(found ^ listed)[:5])
        checked += 1
        hits += len(found)
    assert checked > 300 and hits > 1000  # the corpus is not trivially empty or full


async def test_the_index_finds_what_a_scan_of_every_search_finds(svc, monkeypatch) -> None:
    monkeypatch.setattr(alerts, "WINDOW", 16)  # pages read in many windows of search ids
    rng = random.Random(7)
    people = list(range(5000, 5040))
    for uid in people:
        await touch_user(svc, uid, f"u{uid}", f"User {uid}", "en")
    await moderation.ban(svc, Moderator(9001), people[0], "Spam")
    for _ in range(250):
        draft = alerts.SearchDraft(
            category=rng.choice([None, None, "programming", "design", "other"]),
            words=" ".join(_query(rng)) if rng.random() < 0.8 else "",
            min_budget=rng.choice([None, None, 50, 150, 500]),
            language=rng.choice([None, None, "en", "ru"]),
            mode=rng.choice(["instant", "digest"]),
        )
        user = rng.choice([*people, CLIENT])
        try:
            await alerts.create_search(svc, user, draft)
        except Exception as exc:  # a person over MAX_SEARCHES, or banned
            assert type(exc).__name__ in ("Conflict", "Forbidden")
    async with svc.read() as tx:
        searches = [s for uid in [*people, CLIENT] for s in await AlertsRepo(tx).live_of(uid)]
    assert len(searches) > 200
    answers = {"programming": {"stack": "python"}, "design": {"deliverable": "files"}}
    total = 0
    for _ in range(60):
        category = rng.choice(["programming", "design", "other"])
        low = rng.choice([20, 100, 400])
        job = await _post(
            svc,
            rng,
            category=category,
            answers=answers.get(category, {}),
            budget_min=low,
            budget_max=low * rng.choice([1, 2]),
        )
        language = rules.job_language(job.title, job.description)
        async with svc.read() as tx:
            matched, rest = await alerts.match_job(tx, job)
            assert rest is None
            via_index = {(m.search_id, m.user_id) for m in matched}
            # A page at a time: the same searches, in order.
            paged: list = []
            after: int | None = 0
            while after is not None:
                page, after = await alerts.match_job(tx, job, after, 7)
                paged += page
            assert paged == sorted(matched)
            expected = set()
            for s in searches:
                listed = (
                    {j.id for j in await tx.jobs.search_open(None, s.words.split(), 1000, 0)}
                    if s.words
                    else {job.id}
                )
                if (
                    job.id in listed
                    and s.category in (None, job.category)
                    and (s.min_budget is None or s.min_budget <= job.budget_max)
                    and s.language in (None, language)
                    and s.user_id != job.client_id  # (a banned person: refused when alerted)
                ):
                    expected.add((s.id, s.user_id))
        assert via_index == expected, (job.title, sorted(via_index ^ expected)[:5])
        total += len(expected)
    assert total > 100


async def test_a_large_fan_out_goes_on_in_batches_and_survives_a_restart(
    tmp_path, settings, monkeypatch
) -> None:
    monkeypatch.setattr(alerts, "INLINE_BATCH", 2)
    monkeypatch.setattr(alerts, "BATCH", 3)
    path = tmp_path / "fan.db"
    db = await Database(path).connect()
    svc = Services(db=db, settings=settings)
    await f.people(svc)
    people = list(range(6000, 6011))
    for uid in people:
        await touch_user(svc, uid, f"u{uid}", f"User {uid}", "en")
        await alerts.create_search(svc, uid, alerts.SearchDraft(words="telegram"))
    job = await f.job(svc)

    async def alerted() -> list[int]:
        async with svc.read() as tx:
            rows = await tx.fetchall(
                "SELECT chat_id FROM outbox WHERE key = 'alert.job' ORDER BY id"
            )
        return [r["chat_id"] for r in rows]

    assert await alerted() == people[:2]  # in the publish transaction
    assert await timers.run_due(svc) == 1
    assert await alerted() == people[:5]
    await db.close()  # a restart between two batches
    db = await Database(path).connect()
    svc = Services(db=db, settings=settings)
    while await timers.run_due(svc):
        pass
    assert await alerted() == people  # each once, in order
    async with svc.read() as tx:
        assert await AlertsRepo(tx).fanout_cursor(job.id) is None
        assert not [d for d in await tx.deadlines.pending(job.id) if d["kind"] == "job_alerts"]
    await db.close()


async def test_every_alert_row_renders_in_both_languages_and_is_skipped_when_stale(svc) -> None:
    rt = Runtime(svc=svc, i18n=I18n(), buttons=ButtonCodec("123:TEST"), bot_username="market_bot")
    await alerts.create_search(
        svc,
        FREELANCER,
        alerts.SearchDraft(category="programming", words="bot <b>", min_budget=90, language="en"),
    )
    digest = await alerts.create_search(
        svc, FREELANCER2, alerts.SearchDraft(words="bot", mode="digest")
    )
    job = await f.job(svc, title="A bot & <friends>")
    other = await f.job(svc, title="Another bot")
    async with svc.tx() as tx:
        assert await alerts.send_digest(tx, svc, FREELANCER2)
    async with svc.read() as tx:
        rows = [
            {**dict(r), "params": json.loads(r["params"])}
            for r in await tx.fetchall("SELECT * FROM outbox WHERE key LIKE 'alert.%'")
        ]
    assert sorted(r["key"] for r in rows) == ["alert.digest", "alert.job", "alert.job"]
    for row in rows:
        for lang in SUPPORTED:
            out = await render_row(rt, row, lang)
            assert not out.skip
            parse_html(out.text)  # Telegram would take it
            assert "{" not in out.text and "alert-" not in out.text
            build_keyboard(rt, out.rows)  # every button's data fits
    job_row = next(r for r in rows if r["key"] == "alert.job")
    en = await render_row(rt, job_row, "en")
    assert "A bot &amp; &lt;friends&gt;" in en.text and "“bot &lt;b&gt;”" in en.text
    assert "from 90 ⭐ · in English" in en.text
    ru = await render_row(rt, next(r for r in rows if r["key"] == "alert.digest"), "ru")
    assert "2 новых заказа" in ru.text
    # Stale: the job closed, the search stopped, the person banned.
    await jobs.close_job(svc, CLIENT, job.id)
    assert (await render_row(rt, job_row, "en")).skip
    await alerts.stop_search(svc, FREELANCER2, digest.id)
    digest_row = next(r for r in rows if r["key"] == "alert.digest")
    assert (await render_row(rt, digest_row, "en")).skip
    second = next(r for r in rows if r["key"] == "alert.job" and r["params"]["job"] == other.id)
    assert not (await render_row(rt, second, "en")).skip
    await moderation.ban(svc, Moderator(9001), FREELANCER, "Spam")
    assert (await render_row(rt, second, "en")).skip


@pytest.mark.parametrize(
    ("title", "description", "language"),
    [
        ("Логотип для пекарни", "Нужен логотип в двух цветах, Telegram и VK.", "ru"),
        ("A logo for a bakery", "Два цвета, two colours, simple and clean please.", "en"),
        ("1234 5678", "$$$ 100% — 2024-12-01 !!!", None),
        ("Перевод Zoë", "ΆΘΗΝΑ ΆΘΗΝΑ ΆΘΗΝΑ ΆΘΗΝΑ", "en"),  # any script but Cyrillic
    ],
)
def test_a_jobs_language_is_the_script_of_most_of_its_letters(
    title: str, description: str, language: str | None
) -> None:
    assert rules.job_language(title, description) == language


def test_the_digest_is_due_at_the_next_digest_hour() -> None:
    day = 20_000 * rules.DAY
    hour = rules.DIGEST_HOUR * 3600
    assert rules.next_digest_at(day) == day + hour
    assert rules.next_digest_at(day + hour - 1) == day + hour
    assert rules.next_digest_at(day + hour) == day + rules.DAY + hour
