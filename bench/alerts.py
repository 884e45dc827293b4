"""Job alerts: matching a new job against 100,000 saved searches, and a 10,000-alert fan-out
while people type commands.

1. **Matching** (`services.alerts.match_job`: the index lookup, then each search found
   checked in full) with `--searches` (100,000) saved searches of `--people` (20,000)
   people: words from a vocabulary of 3,000 (skills in English and Russian and made-up
   words, drawn Zipf-like, so a few words are in thousands of searches), a category in a
   third, a smallest budget in a fifth, a language in a third, a tenth with no words at all.
   `--jobs` (300) new jobs of 5-9 title words and 30-300 description words (a third of them
   from the vocabulary), matched `--rounds` times each. Goal: p99 under 10 ms. Also timed:
   the publish transaction's whole share (`on_job_posted`: the match, and the first 50
   people alerted; rolled back), and, as a contrast, one scan of every search.
2. **Fan-out under production limits**: the bot as `main.py run` builds it (one Pacer, 27
   sends a second, answers first; the scheduler's 5 s tick) against the loopback Bot API
   server in its own process with Telegram's flood control on (as bench/outbox.py). One job
   is posted that `--fanout` (10,000) people's searches match: 50 alerted in its publish
   transaction, the rest by the `job_alerts` deadline, 100 a run; meanwhile people type
   `/balance` at `--rate` (20) a second for `--seconds` (30). Measured in the server: from a
   command's creation to its answer (goal p99 under 1 s), the 429s (goal 0); in the bot:
   how long until every alert was queued, how many were sent, the event loop's largest lag.

    python bench/alerts.py [--searches 100000] [--people 20000] [--jobs 300] [--rounds 3]
                           [--fanout 10000] [--rate 20] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import random
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


from bench.botsim import CommandSpec, ServerProcess  # noqa: E402
from bench.common import (  # noqa: E402
    Row,
    command_line,
    fmt_ms,
    machine_lines,
    print_table,
    summary,
    write_rows,
)
from bench.outbox import LagMeter, settings_for  # noqa: E402
from bot.app import build_application, start_receiving, stop_receiving  # noqa: E402
from bot.domain import alerts as rules  # noqa: E402
from bot.domain.models import Job  # noqa: E402
from bot.services import alerts  # noqa: E402
from bot.services.base import Clock, Services  # noqa: E402
from bot.services.jobs import JobDraft, post_job  # noqa: E402
from bot.storage import fts  # noqa: E402
from bot.storage.alerts import AlertsRepo  # noqa: E402
from bot.storage.db import Database  # noqa: E402

GOAL_MATCH_P99_MS = 10.0
GOAL_ANSWER_P99_MS = 1000.0
GOAL_LAG_MS = 50.0
QUEUE_WAIT_S = 40.0  # after the commands, how long to wait for the fan-out to be queued
PEOPLE_BASE, LISTENER_BASE, COMMANDER_BASE = 100_000, 300_000, 600_000
COMMANDERS = 200
CLIENT = 99
CATEGORIES = ("writing", "programming", "design", "marketing", "translation", "admin", "other")
ANSWERS = {
    "writing": {"pages": "2", "topic": "x", "native": "no"},
    "programming": {"stack": "python"},
    "design": {"deliverable": "files"},
    "marketing": {"channel": "telegram"},
    "translation": {"languages": "en-ru", "words": "1000", "native": "no"},
    "admin": {"hours_per_week": "5"},
    "other": {},
}
SKILLS = (  # noqa: SIM905
    "python django flask fastapi telegram bot aiogram scraping parser api rest graphql"
    " react vue angular typescript javascript node express nextjs wordpress woocommerce"
    " shopify magento laravel php symfony java kotlin android swift ios flutter dart unity"
    " unreal blender figma photoshop illustrator logo branding banner landing website"
    " ecommerce seo smm copywriting copywriter article blog translation translator"
    " subtitles voiceover video editing montage animation motion excel spreadsheet"
    " bookkeeping accounting presentation powerpoint research transcription dataentry crm"
    " bitrix amocrm tilda chatbot automation zapier make integration payment stripe crypto"
    " blockchain solidity smartcontract nft docker kubernetes devops aws linux server"
    " database postgres mysql mongodb redis analytics dashboard tableau powerbi"
    " machinelearning ai gpt prompt логотип дизайн сайт лендинг перевод переводчик текст"
    " статья копирайтинг рерайтинг бот телеграм парсер верстка вёрстка программист"
    " разработка приложение таргет реклама монтаж видео озвучка презентация таблица"
    " бухгалтерия маркетплейс вайлдберриз озон карточки инфографика фотошоп иллюстрация"
    " анимация seo-оптимизация продвижение"
).split()
FILLER = (  # noqa: SIM905
    "the a and for with in on to of need we our you your is are it this that be will can"
    " new small simple quick please project work task help looking experienced someone"
    " нужен нужно сделать для под на и в с по от быстро простой задача проект ищем"
).split()


def vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    words = list(dict.fromkeys(SKILLS))
    syllables = ["ka", "lo", "mi", "ra", "zen", "tor", "vi", "ple", "gra", "no", "sta", "ber"]
    while len(words) < size:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if word not in words:
            words.append(word)
    return words


class Words:
    """Skills drawn Zipf-like (a few are in thousands of searches: python, logo, ...), any
    word of the vocabulary uniformly (the long tail: a product's name, a rare tool)."""

    def __init__(self, vocab: list[str], rng: random.Random) -> None:
        self.vocab = vocab
        self.skills = [w for w in vocab if w in set(SKILLS)]
        self.rng = rng
        self.weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(self.skills))]

    def skill(self) -> str:
        return self.rng.choices(self.skills, self.weights)[0]

    def any(self) -> str:
        return self.rng.choice(self.vocab)


def search_draft(rng: random.Random, words: Words) -> alerts.SearchDraft:
    """Most searches name a skill, some add a second word; 5% name only a category."""
    picked: list[str] = []
    if rng.random() >= 0.05:
        picked.append(words.skill() if rng.random() < 0.85 else words.any())
        if rng.random() < 0.4:
            picked.append(words.skill() if rng.random() < 0.3 else words.any())
    category = rng.choice(CATEGORIES) if not picked or rng.random() < 0.3 else None
    return alerts.SearchDraft(
        category=category,
        words=" ".join(picked),
        min_budget=rng.choice((50, 100, 300, 1000)) if rng.random() < 0.2 else None,
        language=rng.choice(("en", "ru")) if rng.random() < 0.3 else None,
        mode="instant" if rng.random() < 0.7 else "digest",
    )


def job_text(rng: random.Random, words: Words, topic: list[str], lo: int, hi: int) -> str:
    """A job about its topic (a skill or three, said more than once), a few other words of
    the vocabulary, and everyday words in between."""
    out = []
    for _ in range(rng.randint(lo, hi)):
        r = rng.random()
        out.append(
            rng.choice(topic) if r < 0.08 else words.any() if r < 0.16 else rng.choice(FILLER)
        )
    return " ".join(out)


def new_job(rng: random.Random, words: Words, n: int, now: int) -> Job:
    low = rng.choice((50, 100, 200, 500, 1000))
    topic = [words.skill() for _ in range(rng.randint(1, 3))]
    title = " ".join([*topic, job_text(rng, words, topic, 3, 6)])[:100]
    return Job(
        id=10_000_000 + n,
        client_id=CLIENT,
        category=rng.choice(CATEGORIES),
        title=title if len(title) >= 5 else title + " work",
        description=job_text(rng, words, topic, 30, 300),
        budget_min=low,
        budget_max=low * rng.choice((1, 2, 3)),
        currency="XTR",
        deadline_at=now + 7 * 86400,
        state="open",
        created_at=now,
        bidding_ends_at=now + 7 * 86400,
    )


class _Rollback(Exception):
    pass


async def populate(svc: Services, args: argparse.Namespace, rng: random.Random) -> Words:
    words = Words(vocabulary(rng), rng)
    people = list(range(PEOPLE_BASE, PEOPLE_BASE + args.people))
    async with svc.tx() as tx:
        for uid in [CLIENT, *people]:
            await tx.users.upsert(uid, f"u{uid}", f"User {uid}", "en")
    made = 0
    while made < args.searches:
        async with svc.tx() as tx:
            repo = AlertsRepo(tx)
            for _ in range(min(10_000, args.searches - made)):
                d = search_draft(rng, words)
                typed = alerts.clean_words(d.words)
                terms = alerts.compile_terms(typed)
                await repo.create(
                    rng.choice(people),
                    category=d.category,
                    words=typed,
                    terms=terms.to_json(),
                    key=terms.key,
                    exact=terms.exact,
                    min_budget=d.min_budget,
                    currency="XTR" if d.min_budget else None,
                    language=d.language,
                    mode=d.mode,
                )
                made += 1
    return words


async def scan_all(svc: Services, job: Job) -> int:
    """The contrast: every live search read and checked, no index."""
    text = rules.job_text(job.title, job.description, fts.tokens)
    language = rules.job_language(job.title, job.description)
    found = 0
    async with svc.read() as tx:
        rows = await tx.fetchall(
            "SELECT s.category, s.terms, s.min_budget, s.currency, s.language, s.user_id"
            " FROM alert_searches s WHERE s.stopped_at IS NULL"
        )
    for r in rows:
        if r["category"] not in (None, job.category) or r["user_id"] == job.client_id:
            continue
        if r["min_budget"] is not None and (
            r["currency"] != job.currency or r["min_budget"] > job.budget_max
        ):
            continue
        if r["language"] not in (None, language):
            continue
        found += rules.matches(rules.Terms.from_json(r["terms"]), text)
    return found


async def match_part(args: argparse.Namespace, tmp: Path) -> list[Row]:
    # The contrast (every match of a job, a scan) runs long statements on purpose.
    logging.getLogger("bot.storage.db").setLevel(logging.ERROR)
    rng = random.Random(15)
    path = tmp / "match.db"
    db = await Database(path).connect()
    svc = Services(db=db, settings=settings_for("http://127.0.0.1:1/bot", path), clock=Clock())
    try:
        t0 = time.perf_counter()
        words = await populate(svc, args, rng)
        print(
            f"searches:  {args.searches:,} of {args.people:,} people in"
            f" {time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        now = svc.clock.now()
        new = [new_job(rng, words, n, now) for n in range(args.jobs)]
        gc.collect()
        gc.freeze()  # as the running bot does at start (bot/app.py), so collections stay short
        times: list[float] = []  # what publishing does: the first page of matches
        full: list[float] = []  # every match of the job, as a contrast
        found: list[int] = []
        for _round in range(args.rounds):
            for job in new:
                async with svc.read() as tx:
                    t = time.perf_counter()
                    await alerts.match_job(tx, job, 0, alerts.INLINE_BATCH)
                    times.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    matches, _rest = await alerts.match_job(tx, job)
                    full.append(time.perf_counter() - t)
                found.append(len(matches))
        posted: list[float] = []
        for n, job in enumerate(new[: min(100, len(new))]):
            draft = job.model_dump()
            try:
                async with svc.tx() as tx:
                    made = await tx.jobs.create(
                        client_id=CLIENT,
                        category=draft["category"],
                        title=draft["title"],
                        description=draft["description"],
                        answers={},
                        budget_min=draft["budget_min"],
                        budget_max=draft["budget_max"],
                        currency="XTR",
                        deadline_at=draft["deadline_at"],
                        brief=None,
                        nda_required=False,
                        nda_text=None,
                        files=[],
                        bidding_ends_at=draft["bidding_ends_at"],
                    )
                    t = time.perf_counter()
                    await alerts.on_job_posted(tx, svc, made)
                    posted.append(time.perf_counter() - t)
                    raise _Rollback
            except _Rollback:
                pass
            del n
        t = time.perf_counter()
        scanned = await scan_all(svc, new[0])
        scan_s = time.perf_counter() - t
        async with svc.read() as tx:
            direct = len((await alerts.match_job(tx, new[0]))[0])
        assert scanned == direct, (scanned, direct)  # the index finds what the scan finds
    finally:
        await db.close()
        logging.getLogger("bot.storage.db").setLevel(logging.NOTSET)
    m = summary(times)
    everything = summary(full)
    p = summary(posted)
    found.sort()
    median_found = found[len(found) // 2]
    print(
        f"match:     {len(times):,} matches of {args.jobs} jobs, the first"
        f" {alerts.INLINE_BATCH} (what publishing does): p50 {fmt_ms(m['p50'])},"
        f" p99 {fmt_ms(m['p99'])}, max {fmt_ms(m['max'])}"
    )
    print(
        f"all:       every matching search: p50 {fmt_ms(everything['p50'])}, p99"
        f" {fmt_ms(everything['p99'])}; searches matched per job: median {median_found:,},"
        f" max {found[-1]:,}"
    )
    print(
        f"publish:   on_job_posted (match + first {alerts.INLINE_BATCH} alerted) p50"
        f" {fmt_ms(p['p50'])}, p99 {fmt_ms(p['p99'])}; a scan of every search instead:"
        f" {fmt_ms(scan_s * 1e3)}"
    )
    return [
        Row(
            "alerts",
            f"match a new job against {args.searches:,} searches (first"
            f" {alerts.INLINE_BATCH}, as published), p50 / p99",
            f"{fmt_ms(m['p50'])} / {fmt_ms(m['p99'])}",
            f"p99 < {GOAL_MATCH_P99_MS:.0f} ms",
            m["p99"] < GOAL_MATCH_P99_MS,
        ),
        Row(
            "alerts",
            "every matching search of a job, p50 / p99",
            f"{fmt_ms(everything['p50'])} / {fmt_ms(everything['p99'])}",
        ),
        Row("alerts", "searches a job matches, median / max", f"{median_found:,} / {found[-1]:,}"),
        Row(
            "alerts",
            f"publish transaction's share (match + {alerts.INLINE_BATCH} alerted), p99",
            fmt_ms(p["p99"]),
        ),
        Row("alerts", "a scan of every search instead (contrast)", fmt_ms(scan_s * 1e3)),
    ]


# --- 2. the fan-out under production limits ----------------------------------------------------


async def setup_fanout(path: Path, listeners: list[int], commanders: list[int]) -> None:
    db = await Database(path).connect()
    svc = Services(db=db, settings=settings_for("http://127.0.0.1:1/bot", path), clock=Clock())
    try:
        async with svc.tx() as tx:
            for uid in [CLIENT, *listeners, *commanders]:
                await tx.users.upsert(uid, f"u{uid}", f"User {uid}", "en")
            repo = AlertsRepo(tx)
            terms = alerts.compile_terms("telegram")
            for uid in listeners:
                await repo.create(
                    uid,
                    category=None,
                    words="telegram",
                    terms=terms.to_json(),
                    key=terms.key,
                    exact=terms.exact,
                    min_budget=None,
                    currency=None,
                    language=None,
                    mode="instant",
                )
    finally:
        await db.close()


async def fanout_part(args: argparse.Namespace, tmp: Path) -> list[Row]:
    path = tmp / "fanout.db"
    listeners = list(range(LISTENER_BASE, LISTENER_BASE + args.fanout))
    commanders = list(range(COMMANDER_BASE, COMMANDER_BASE + COMMANDERS))
    await setup_fanout(path, listeners, commanders)
    server = ServerProcess(flood_control=True, keep_records=False)
    lag = LagMeter()
    try:
        await server.call("users", commanders, [CLIENT, *listeners])
        await server.call("chats", [(-100500, "supergroup")])
        base = await server.call("stats", 0.0)
        app = build_application(settings_for(server.base_url, path), freeze_heap=True)
        await app.initialize()
        assert app.post_init is not None
        await app.post_init(app)
        await app.start()
        await start_receiving(app, poll_timeout=10)
        svc: Services = app.bot_data["rt"].svc
        try:
            await asyncio.sleep(1.0)
            lag.start()
            spec = CommandSpec(users=commanders, rate=args.rate, seconds=args.seconds)
            commands = asyncio.create_task(server.call("commands", asdict(spec)))
            await asyncio.sleep(1.0)  # the commands are flowing
            posted_at = time.perf_counter()
            job = await post_job(
                svc,
                CLIENT,
                JobDraft(
                    category="programming",
                    title="A Telegram bot for a bakery",
                    description="Orders, payments and a menu, in Python; Telegram Stars.",
                    answers=ANSWERS["programming"],
                    budget_min=100,
                    budget_max=300,
                    deadline_at=svc.clock.now() + 7 * 86400,
                ),
            )
            queued_s = float("nan")
            while not commands.done():
                async with svc.read() as tx:
                    row = await tx.fetchone(
                        "SELECT COUNT(*) FROM alert_deliveries WHERE job_id = ?", (job.id,)
                    )
                if row[0] >= args.fanout and queued_s != queued_s:
                    queued_s = time.perf_counter() - posted_at
                await asyncio.sleep(0.25)
            result = await commands
            loop_lag = await lag.stop()
            waited = time.perf_counter()
            while queued_s != queued_s and time.perf_counter() - waited < QUEUE_WAIT_S:
                async with svc.read() as tx:
                    row = await tx.fetchone(
                        "SELECT COUNT(*) FROM alert_deliveries WHERE job_id = ?", (job.id,)
                    )
                if row[0] >= args.fanout:
                    queued_s = time.perf_counter() - posted_at
                await asyncio.sleep(0.25)
            stats = await server.call("stats", 0.0)
            async with svc.read() as tx:
                row = await tx.fetchone(
                    "SELECT SUM(state = 'sent'), COUNT(*) FROM outbox WHERE key = 'alert.job'"
                )
            sent_alerts, queued_alerts = int(row[0] or 0), int(row[1] or 0)
        finally:
            await stop_receiving(app)
            await app.stop()
            await app.shutdown()
            if app.post_shutdown is not None:
                await app.post_shutdown(app)
    finally:
        server.close()
    created = summary(result["latency_created"])
    too_many = stats["status_counts"].get(429, 0) - base["status_counts"].get(429, 0)
    print(
        f"fan-out:   {queued_alerts:,} alerts queued ({queued_s:.1f} s after the job was"
        f" posted), {sent_alerts:,} sent during the run"
    )
    print(
        f"answers:   {len(result['latency_created'])} of {result['sent']}; p50"
        f" {fmt_ms(created['p50'])} p99 {fmt_ms(created['p99'])} max {fmt_ms(created['max'])};"
        f" {too_many} x 429; loop lag max {loop_lag['max']:.1f} ms"
    )
    for failure in result["failures"]:
        print(f"  {failure}")
    ok = result["failed"] == 0
    return [
        Row(
            "alerts",
            f"{args.fanout:,}-alert fan-out: all queued after the job was posted",
            f"{queued_s:.1f} s",
        ),
        Row("alerts", "alerts sent while the commands ran", f"{sent_alerts:,}"),
        Row(
            "alerts",
            f"answer p99 at {args.rate:g} commands/s during the fan-out",
            fmt_ms(created["p99"]),
            f"< {GOAL_ANSWER_P99_MS:.0f} ms",
            ok and created["p99"] < GOAL_ANSWER_P99_MS,
        ),
        Row("alerts", "429 answers from the server", str(too_many), "0", too_many == 0),
        Row(
            "alerts",
            "event-loop lag p99 / max (fan-out + commands)",
            f"{loop_lag['p99']:.1f} ms / {loop_lag['max']:.1f} ms",
            f"max < {GOAL_LAG_MS:.0f} ms",
            loop_lag["max"] < GOAL_LAG_MS,
        ),
    ]


async def bench(args: argparse.Namespace, tmp: Path) -> list[Row]:
    print("alerts benchmark")
    print(f"command:   {command_line()}")
    print(*machine_lines(), sep="\n")
    rows = await match_part(args, tmp)
    if args.fanout:
        rows += await fanout_part(args, tmp)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--searches", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--fanout", type=int, default=10_000, help="people one job alerts")
    parser.add_argument("--rate", type=float, default=20.0, help="commands a second (20)")
    parser.add_argument("--seconds", type=float, default=30.0, help="of commands (30)")
    parser.add_argument("--json", default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory(prefix="bench-alerts-") as tmp:
        rows = asyncio.run(bench(args, Path(tmp)))
    print()
    print_table("alerts figures", rows)
    write_rows(args.json, rows)
    return 0 if all(r.ok is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
