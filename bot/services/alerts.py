"""Job alerts: saved searches (`/alerts`), and a new job pushed to the people whose search it
answers, at once or in their daily digest, at most ALERTS_PER_DAY a person.

**When a job is matched.** `post_job` calls `on_job_posted` in its own transaction: the job
is looked up in the index of searches (bot/storage/alerts.py; bot/domain/alerts.py says what
matches) and the first INLINE_BATCH people found are alerted in that transaction, so a
published job and its alerts commit together or not at all. A larger fan-out is handed to
the `job_alerts` deadline with a cursor (the last search done), which works it off BATCH
people a run (a transaction each) until every search is done: a crash or restart resumes at
the cursor, and nothing is lost or sent twice (one delivery row per person and job).

**Who is told.** A live search whose category (or any), words, minimum budget (in the job's
currency) and language (or any) fit; never the job's client; never a banned person or one
the bot cannot reach (both also checked again when the alert is sent); once a job per
person, whichever of their searches found it; and not past ALERTS_PER_DAY alerts (instant
ones and jobs put in a digest alike) in one UTC day: what comes after that is dropped.

**How.** An instant alert is an outbox row `alert.job` in the bulk lane: it never delays a
person's answer or a money notification. A digest's jobs wait in `alert_deliveries` for the
person's `alert_digest` deadline, set (when the first job waits) to the next DIGEST_HOUR:00
UTC, which sends them all in one `alert.digest` row: one digest a day at most.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from bot.domain import alerts as rules
from bot.domain.categories import get_category
from bot.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from bot.domain.models import Job
from bot.domain.money import check_amount
from bot.domain.rules import clean_text
from bot.domain.states import JobState
from bot.services.base import Services, active_user
from bot.storage import fts
from bot.storage.alerts import AlertsRepo, Search
from bot.storage.db import Tx
from bot.storage.repositories import _has_token  # the rule /jobs applies to a word

INLINE_BATCH = 50  # people alerted inside the publish transaction
BATCH = 100  # people alerted per run of the `job_alerts` deadline (its statements run on
# the loop: a run of 100 holds it ~25 ms, so answers interleave between runs)
MAX_SEARCHES = 10  # live saved searches a person may keep
WINDOW = 2048  # search ids the first read of a limited match covers (then doubling)
FANOUT = "job_alerts"
DIGEST = "alert_digest"


@dataclass(frozen=True)
class SearchDraft:
    """What the /alerts flow collects. `min_budget` is in minor units of today's CURRENCY."""

    category: str | None = None
    words: str = ""
    min_budget: int | None = None
    language: str | None = None
    mode: str = "instant"


def clean_words(text: str) -> str:
    """A search's words as /jobs reads a filter: cleaned, lower case, the first five."""
    words = clean_text(text)
    if len(words) > rules.WORDS_MAX_CHARS:
        raise InvalidInput("alerts.words_too_long", max=rules.WORDS_MAX_CHARS)
    return " ".join(rules.split_words(words))


def compile_terms(words: str) -> rules.Terms:
    return rules.compile_words(rules.split_words(words), fts.tokens, _has_token)


async def create_search(svc: Services, actor: int, draft: SearchDraft) -> Search:
    category = get_category(draft.category).id if draft.category else None
    words = clean_words(draft.words)
    currency = svc.settings.currency
    min_budget = None
    if draft.min_budget is not None:
        min_budget = check_amount(draft.min_budget, currency)
    if draft.language is not None and draft.language not in rules.LANGUAGES:
        raise InvalidInput("language.invalid")
    if draft.mode not in rules.MODES:
        raise InvalidInput("alerts.mode_invalid")
    terms = compile_terms(words)
    async with svc.tx() as tx:
        await active_user(tx, actor)
        repo = AlertsRepo(tx)
        if await repo.count_live(actor) >= MAX_SEARCHES:
            raise Conflict("alerts.too_many", max=MAX_SEARCHES)
        return await repo.create(
            actor,
            category=category,
            words=words,
            terms=terms.to_json(),
            key=terms.key,
            exact=terms.exact,
            min_budget=min_budget,
            currency=currency if min_budget is not None else None,
            language=draft.language,
            mode=draft.mode,
        )


async def _own(tx: Tx, actor: int, search_id: int) -> Search:
    search = await AlertsRepo(tx).get(search_id)
    if search is None:
        raise NotFound("alerts.not_found", alert=search_id)
    if search.user_id != actor:
        raise Forbidden("alerts.not_yours", alert=search_id)
    return search


async def stop_search(svc: Services, actor: int, search_id: int) -> Search:
    """The "Stop these alerts" button: the search leaves the index; its alerts not yet sent
    (and its jobs waiting for a digest) are not sent."""
    async with svc.tx() as tx:
        search = await _own(tx, actor, search_id)
        if not await AlertsRepo(tx).stop(search):
            raise Conflict("alerts.already_stopped", alert=search_id)
        found = await AlertsRepo(tx).get(search_id)
        assert found is not None
        return found


async def set_mode(svc: Services, actor: int, search_id: int, mode: str) -> Search:
    if mode not in rules.MODES:
        raise InvalidInput("alerts.mode_invalid")
    async with svc.tx() as tx:
        search = await _own(tx, actor, search_id)
        if not search.live:
            raise Conflict("alerts.already_stopped", alert=search_id)
        await AlertsRepo(tx).set_mode(search_id, mode)
        found = await AlertsRepo(tx).get(search_id)
        assert found is not None
        return found


async def my_searches(svc: Services, actor: int) -> list[Search]:
    async with svc.read() as tx:
        return await AlertsRepo(tx).live_of(actor)


# --- matching a new job -------------------------------------------------------------------------


class Match(NamedTuple):
    """A search that a job answers."""

    search_id: int
    user_id: int
    mode: str


async def match_job(
    tx: Tx, job: Job, after_search: int = 0, limit: int | None = None
) -> tuple[list[Match], int | None]:
    """The live searches `job` answers after search `after_search`, in search id order: the
    first `limit` (or all), found through the index, each one that is not exact checked in
    full. Returns them, and where to go on (the last search looked at) when `limit` cut the
    match short; None when no later search can match.

    With a limit the index is read a window of search ids at a time (WINDOW ids, doubling
    while matches are sparse), so finding the first few matches of a job that answers
    thousands of searches reads about as many as it keeps."""
    text = rules.job_text(job.title, job.description, fts.tokens)
    keys = text.lookup_keys()
    language = rules.job_language(job.title, job.description)
    repo = AlertsRepo(tx)
    last = await repo.last_search_id()
    found: list[Match] = []
    low = after_search
    window = WINDOW if limit is not None else last
    while low < last:
        high = min(last, low + window)
        rows = await repo.candidates(
            keys,
            category=job.category,
            client_id=job.client_id,
            currency=job.currency,
            budget_max=job.budget_max,
            language=language,
            after_search=low,
            upto=high,
        )
        for c in rows:
            if c.exact or rules.matches(rules.Terms.from_json(c.terms), text):
                found.append(Match(c.search_id, c.user_id, c.mode))
                if limit is not None and len(found) >= limit:
                    return found, c.search_id
        low = high
        window *= 2
    return found, None


async def on_job_posted(tx: Tx, svc: Services, job: Job) -> int:
    """In the publish transaction: alert the first INLINE_BATCH people; the rest go on
    through the `job_alerts` deadline. Returns how many were alerted here."""
    if svc.settings.alerts_per_day <= 0:
        return 0
    return await _fan_out(tx, svc, job, 0, INLINE_BATCH)


async def continue_fanout(tx: Tx, svc: Services, job_id: int) -> bool:
    """Deadline `job_alerts`: the next BATCH people of a large fan-out."""
    repo = AlertsRepo(tx)
    cursor = await repo.fanout_cursor(job_id)
    if cursor is None:
        return False
    job = await tx.jobs.get(job_id)
    if job is None or job.state != JobState.OPEN or svc.settings.alerts_per_day <= 0:
        await repo.end_fanout(job_id)
        return False
    return await _fan_out(tx, svc, job, cursor, BATCH) > 0


async def _fan_out(tx: Tx, svc: Services, job: Job, after: int, limit: int) -> int:
    """Alert up to `limit` matching searches after search `after`; if more may remain, keep
    the cursor and have the deadline go on at once."""
    repo = AlertsRepo(tx)
    matches, next_after = await match_job(tx, job, after, limit)
    alerted = 0
    for match in matches:
        alerted += await _alert(tx, svc, repo, job, match)
    if next_after is not None:
        await repo.set_fanout_cursor(job.id, next_after)
        await tx.deadlines.set(FANOUT, job.id, tx.now)
    elif after:
        await repo.end_fanout(job.id)
    return alerted


async def _alert(tx: Tx, svc: Services, repo: AlertsRepo, job: Job, match: Match) -> bool:
    day = rules.day_of(tx.now)
    if not await repo.reachable(match.user_id):
        return False  # never a banned person, nor one the bot cannot reach
    if await repo.count_today(match.user_id, day) >= svc.settings.alerts_per_day:
        return False
    state = "sent" if match.mode == "instant" else "queued"
    if not await repo.record(match.user_id, job.id, match.search_id, state):
        return False  # told already (another of their searches)
    await repo.add_count(match.user_id, day)
    if match.mode == "instant":
        await tx.outbox.add(
            match.user_id,
            "alert.job",
            {"job": job.id, "search": match.search_id},
            ref=f"alert:{match.search_id}",
        )
    elif not any(d["kind"] == DIGEST for d in await tx.deadlines.pending(match.user_id)):
        await tx.deadlines.set(DIGEST, match.user_id, rules.next_digest_at(tx.now))
    return True


# --- the digest ---------------------------------------------------------------------------------


async def send_digest(tx: Tx, svc: Services, user_id: int) -> bool:
    """Deadline `alert_digest`: the jobs waiting for a person's digest, in one message (those
    no longer open, or whose search was stopped, are left out)."""
    repo = AlertsRepo(tx)
    queued = await repo.queued_for(user_id)
    if not queued:
        return False
    user = await tx.users.get(user_id)
    if user is None or user.banned or user.unreachable:
        await repo.mark(user_id, [q["job_id"] for q in queued], "dropped")
        return False
    jobs: list[int] = []
    searches: list[int] = []  # the search that found each job
    gone: list[int] = []
    for item in queued:
        job = await tx.jobs.get(int(item["job_id"]))
        search = await repo.get(int(item["search_id"]))
        if job is None or job.state != JobState.OPEN or search is None or not search.live:
            gone.append(int(item["job_id"]))
            continue
        jobs.append(job.id)
        searches.append(search.id)
    await repo.mark(user_id, gone, "dropped")
    if not jobs:
        return False
    await repo.mark(user_id, jobs, "sent")
    await tx.outbox.add(user_id, "alert.digest", {"jobs": jobs, "searches": searches})
    return True
