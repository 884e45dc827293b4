"""People: first sight, profiles with their track record, language, favourites, invitations."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.domain import rules, trust
from bot.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from bot.domain.models import ProfileStats, User
from bot.domain.numbers import entity_id, parse_whole
from bot.domain.states import JobState
from bot.services.base import Services, active_user, job_or_404, user_or_404
from bot.storage.db import Tx

LANGUAGES = ("en", "ru")
_URL = re.compile(r"^https?://[^\s<>\"]{3,300}$")


async def touch_user(
    svc: Services, user_id: int, username: str | None, first_name: str, language: str | None
) -> User:
    """Create or refresh the person behind an update (called once per update). Most updates
    come from someone already known as they are: then it is a read, not a write."""
    async with svc.read(one=True) as tx:
        known = await tx.users.get(user_id)
    if (
        known is not None
        and not known.unreachable
        and (known.username, known.first_name, known.language)
        == (username, first_name or "", language)
    ):
        return known
    async with svc.tx() as tx:
        return await tx.users.upsert(user_id, username, first_name, language)


async def rating_of(tx: Tx, svc: Services, user_id: int) -> tuple[float | None, int]:
    visible = await tx.feedback.visible_for(user_id, svc.settings.feedback_window)
    if not visible:
        return None, 0
    return round(sum(f.stars for f in visible) / len(visible), 2), len(visible)


async def stats_of(tx: Tx, svc: Services, user_id: int) -> ProfileStats:
    return (await stats_of_many(tx, svc, [user_id]))[user_id]


async def stats_of_many(tx: Tx, svc: Services, user_ids: Iterable[int]) -> dict[int, ProfileStats]:
    """The track record of each person, in a constant number of queries for the whole list
    (a list of bids shows one per bidder)."""
    ids = list(dict.fromkeys(int(u) for u in user_ids))
    records = tx.records
    users = await records.users(ids)
    for uid in ids:
        if uid not in users:
            raise NotFound("user.not_found", user=uid)
    completed = await records.completed(ids)
    disputes = await records.disputes(ids)
    reviews = await records.visible_feedback(ids, svc.settings.feedback_window)
    counts = await records.trust(ids, tx.now - trust.TOP_CLEAN_DAYS * 86400)
    out = {}
    for uid in ids:
        visible = reviews.get(uid, [])
        avg = round(sum(f.stars for f in visible) / len(visible), 2) if visible else None
        held, lost = disputes.get(uid, (0, 0))
        out[uid] = ProfileStats(
            user=users[uid],
            completed_deals=completed.get(uid, 0),
            rating_avg=avg,
            rating_count=len(visible),
            disputes=held,
            disputes_lost=lost,
            recent_reviews=visible[:3],
            trust=trust.trust_of(counts.get(uid, trust.TrustCounts()), avg),
        )
    return out


async def find_user(tx: Tx, ref: str) -> User:
    """`@username` or a numeric user id."""
    ref = (ref or "").strip()
    user = None
    if (user_id := entity_id(ref)) is not None:
        user = await tx.users.get(user_id)
    elif re.fullmatch(r"@?[A-Za-z0-9_]{3,32}", ref):
        user = await tx.users.by_username(ref)
    else:
        raise InvalidInput("user.ref_invalid")
    if user is None or user.deleted:  # a deleted account is no one to find
        raise NotFound("user.not_found", user=ref)
    return user


async def profile(svc: Services, ref: str | int) -> ProfileStats:
    async with svc.read() as tx:
        user = await (user_or_404(tx, ref) if isinstance(ref, int) else find_user(tx, ref))
        return await stats_of(tx, svc, user.id)


async def edit_profile(
    svc: Services,
    actor: int,
    *,
    bio: str | None = None,
    skills: str | None = None,
    experience_years: int | str | None = None,
    portfolio: list[str] | str | None = None,
) -> User:
    fields: dict[str, object] = {}
    if bio is not None:
        value = rules.clean_text(bio)
        if len(value) > rules.BIO_MAX:
            raise InvalidInput("profile.bio_too_long", max=rules.BIO_MAX, length=len(value))
        fields["bio"] = value
    if skills is not None:
        value = rules.clean_text(skills)
        if len(value) > 300:
            raise InvalidInput("profile.skills_too_long", max=300, length=len(value))
        fields["skills"] = value
    if experience_years is not None:
        fields["experience_years"] = parse_whole(
            str(experience_years), 0, 99, "profile.years_invalid"
        )
    if portfolio is not None:
        links = portfolio.split() if isinstance(portfolio, str) else list(portfolio)
        if len(links) > 10 or any(not _URL.match(link) for link in links):
            raise InvalidInput("profile.portfolio_invalid")
        fields["portfolio"] = links
    async with svc.tx() as tx:
        await user_or_404(tx, actor)
        await tx.users.update_profile(actor, **fields)
        return await user_or_404(tx, actor)


async def set_language(svc: Services, actor: int, language: str) -> User:
    if language not in LANGUAGES:
        raise InvalidInput("language.invalid")
    async with svc.tx() as tx:
        await user_or_404(tx, actor)
        await tx.users.update_profile(actor, locale_override=language)
        return await user_or_404(tx, actor)


async def chosen_languages(svc: Services, user_ids: list[int]) -> dict[int, str]:
    """The /language choice of each of these people who made one."""
    out: dict[int, str] = {}
    async with svc.read() as tx:
        for uid in user_ids:
            user = await tx.users.get(uid)
            if user is not None and user.locale_override:
                out[uid] = user.locale_override
    return out


async def add_favourite(svc: Services, actor: int, ref: str) -> User:
    async with svc.tx() as tx:
        await active_user(tx, actor)
        freelancer = await find_user(tx, ref)
        if freelancer.id == actor:
            raise InvalidInput("fav.self")
        if not await tx.misc.add_favourite(actor, freelancer.id):
            raise Conflict("fav.already", user=freelancer.id)
        return freelancer


async def favourites(svc: Services, actor: int) -> list[ProfileStats]:
    async with svc.read() as tx:
        ids = await tx.misc.favourites(actor)
        stats = await stats_of_many(tx, svc, ids) if ids else {}
        return [stats[uid] for uid in ids]


async def invite(svc: Services, actor: int, ref: str, job_id: int) -> User:
    """Invite a freelancer (a favourite, a past hire, anyone known) to bid on an open job."""
    async with svc.tx() as tx:
        await active_user(tx, actor)
        job = await job_or_404(tx, job_id, lock=True)
        if job.client_id != actor:
            raise Forbidden("job.not_client", job=job_id)
        if job.state != JobState.OPEN:
            raise Conflict("job.not_open", job=job_id)
        freelancer = await find_user(tx, ref)
        if freelancer.id == actor:
            raise InvalidInput("invite.self")
        await tx.outbox.add(
            freelancer.id,
            "notify.invited",
            {"job": job.id, "title": job.title, "client": actor},
            ref=f"job:{job.id}",
        )
        return freelancer


async def hired_before(svc: Services, client_id: int, freelancer_id: int) -> bool:
    async with svc.read() as tx:
        return await tx.deals.worked_together(client_id, freelancer_id)
