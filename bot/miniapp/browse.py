"""Who am I (with the page's strings), and browsing: the /jobs search with a category filter,
a budget range and a cursor for infinite scroll, and a job's whole card."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from bot.domain import rules
from bot.domain.categories import CATEGORIES
from bot.domain.errors import DomainError
from bot.domain.money import parse_amount
from bot.miniapp.common import Visitor, endpoint, json_error, path_id
from bot.pacing import REPLY_RETRIES
from bot.services import jobs
from bot.text import clip
from bot.views import cards

PAGE = 20
QUERY_MAX = 100
STRING_PREFIX = "miniapp-"


def _strings(visitor: Visitor) -> dict[str, str]:
    """Every `miniapp-*` message without parameters in the visitor's language: the page's own
    labels."""
    i18n = visitor.rt.i18n
    sources = i18n.sources.get(visitor.locale, {})
    keys = sorted(k for k, names in sources.items() if k.startswith(STRING_PREFIX) and not names)
    return {k.removeprefix(STRING_PREFIX): i18n.t(visitor.locale, k) for k in keys}


def _categories(visitor: Visitor) -> list[dict[str, Any]]:
    out = []
    for cid, cat in CATEGORIES.items():
        questions = [
            {
                "id": q.id,
                "kind": q.kind,
                "required": q.required,
                "label": visitor.t(f"question-{cid}-{q.id}"),
            }
            for q in cat.questions
        ]
        out.append({"id": cid, "label": visitor.t(f"category-{cid}"), "questions": questions})
    return out


@endpoint()
async def me(request: web.Request, visitor: Visitor) -> web.Response:
    u = visitor.user
    return web.json_response(
        {
            "id": u.id,
            "name": u.display_name,
            "locale": visitor.locale,
            "currency": visitor.svc.settings.currency,
            "chat_link": f"https://t.me/{visitor.rt.bot_username}",
            "strings": _strings(visitor),
            "categories": _categories(visitor),
        }
    )


def _amount(visitor: Visitor, raw: str | None) -> int | None:
    text = (raw or "").strip()
    if not text:
        return None
    return parse_amount(text, visitor.svc.settings.currency)


def _job_item(visitor: Visitor, job: Any) -> dict[str, Any]:
    return {
        "id": job.id,
        "title": job.title,
        "category": visitor.t(f"category-{job.category}"),
        "budget": str(cards.budget(visitor, job)),
        "deadline": visitor.when(job.deadline_at),
        "summary": clip(job.description, 140),
    }


@endpoint()
async def list_jobs(request: web.Request, visitor: Visitor) -> web.Response:
    q = request.query
    words = clip(rules.clean_text(q.get("q", "")), QUERY_MAX)
    category = q.get("category", "")
    query = f"{category} {words}".strip() if category in CATEGORIES else words
    try:
        low, high = _amount(visitor, q.get("min")), _amount(visitor, q.get("max"))
    except DomainError as err:
        return json_error(400, visitor.error(err))
    cursor = q.get("cursor", "")
    offset = int(cursor) if re.fullmatch(r"[0-9]{1,7}", cursor) else 0
    found = await jobs.list_open_jobs(
        visitor.svc,
        query,
        limit=PAGE + 1,
        offset=offset,
        budget=None if low is None and high is None else (low, high),
    )
    more = len(found) > PAGE
    return web.json_response(
        {
            "jobs": [_job_item(visitor, j) for j in found[:PAGE]],
            "next": str(offset + PAGE) if more else None,
        }
    )


@endpoint()
async def show_job(request: web.Request, visitor: Visitor) -> web.Response:
    """The job's whole card as the chat shows it (its HTML), with its files and the client's
    trust signals, and what the reader may do (Bid opens the chat)."""
    job_id = path_id(request, "job")
    view = await jobs.view_job(visitor.svc, job_id, visitor.id)
    html, _rows = cards.job_card(visitor, view, visitor.id, visitor.svc.clock.now())
    job = view.job
    return web.json_response(
        {
            **_job_item(visitor, job),
            "html": html,
            "state": str(job.state),
            "mine": job.client_id == visitor.id,
            "files": [
                {"name": f.get("name") or f.get("kind") or "", "size": f.get("size") or 0}
                for f in job.files
            ],
            "trust": str(cards.trust_client(visitor, view.client_trust)),
            "bid_link": f"https://t.me/{visitor.rt.bot_username}?start=bid_{job.id}",
        }
    )


@endpoint()
async def send_job_files(request: web.Request, visitor: Visitor) -> web.Response:
    """The card's Files: sent to the reader's chat, as the chat's Files button does."""
    job_id = path_id(request, "job")
    files = await jobs.job_files(visitor.svc, job_id)
    bot = visitor.application.bot
    for f in files:
        send = bot.send_photo if f.get("kind") == "photo" else bot.send_document
        await send(visitor.id, f["file_id"], rate_limit_args=REPLY_RETRIES)
    return web.json_response({"sent": len(files), "message": visitor.t("miniapp-files-sent")})
