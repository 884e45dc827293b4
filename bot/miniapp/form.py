"""The post-a-job form: one page for what the chat asks in steps, validated by the chat flow's
own functions (bot/flows/post_job.py `take_text`), so the same input gets the same sentence,
and published through the same service (services.jobs.post_job).

The form as the page sends it (every value as typed; the server keeps it as the draft):

    {"category": "writing", "title": "...", "description": "...",
     "answers": {"pages": "5", "native": "yes"}, "budget": "100-200", "deadline": "3d",
     "brief": "", "nda": false, "nda_text": ""}

Files are never taken from the page: an upload is sent to the person's own chat to get its
Telegram file_id (the chat flow stores attachments by file_id), and kept in the draft.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from aiohttp import web
from telegram import InputFile
from telegram.error import TelegramError

from bot.domain.categories import CATEGORIES
from bot.domain.errors import DomainError, InvalidInput
from bot.flows.post_job import FILES_MAX, Again, job_draft, preview_text, set_category, take_text
from bot.miniapp.common import Visitor, endpoint, json_body, json_error
from bot.pacing import REPLY_RETRIES
from bot.services import drafts, jobs

TEXT_FIELDS = ("category", "title", "description", "budget", "deadline", "brief", "nda_text")
FIELD_MAX = 20_000  # characters of one field as sent (the rules' own limits are lower)
FILE_NAME_MAX = 120
UPLOAD_MAX = 20 * 1024 * 1024  # bytes of one file (a bot may send up to 50 MB)


def clean_form(raw: Any) -> dict[str, Any]:
    """The form's known fields, as strings (anything else is dropped)."""
    raw = raw if isinstance(raw, dict) else {}
    form: dict[str, Any] = {k: str(raw.get(k) or "")[:FIELD_MAX] for k in TEXT_FIELDS}
    answers = raw.get("answers") if isinstance(raw.get("answers"), dict) else {}
    form["answers"] = {str(k)[:40]: str(v or "")[:FIELD_MAX] for k, v in answers.items()}
    form["nda"] = bool(raw.get("nda"))
    return form


def _sentence(visitor: Visitor, exc: Exception) -> str:
    if isinstance(exc, DomainError):
        return visitor.error(exc)
    return str(getattr(exc, "sentence", exc))


def validate(
    visitor: Visitor, form: dict[str, Any], files: list[dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The chat flow's draft built from the form, and a sentence per field that is wrong
    (the chat's sentence for the same text at the same step)."""
    d: dict[str, Any] = {"answers": {}, "files": list(files)}
    errors: dict[str, str] = {}

    def take(field: str, step: str, text: str) -> None:
        try:
            take_text(visitor, d, step, text)
        except (DomainError, Again) as exc:
            errors[field] = _sentence(visitor, exc)

    cid = form.get("category") or ""
    if cid in CATEGORIES:
        set_category(d, cid)
    else:
        errors["category"] = visitor.error(InvalidInput("job.category_invalid"))
    take("title", "title", form["title"])
    take("description", "desc", form["description"])
    if cid in CATEGORIES:
        for i, q in enumerate(CATEGORIES[cid].questions):
            take(f"q:{q.id}", f"q{i}", form["answers"].get(q.id, ""))
    take("budget", "budget", form["budget"])
    take("deadline", "deadline", form["deadline"])
    take("brief", "brief", form["brief"])
    if d.get("brief"):
        take("nda", "nda", "yes" if form["nda"] else "no")
        if d.get("nda"):
            take("nda_text", "ndatext", form["nda_text"])
    return d, errors


async def _draft(visitor: Visitor) -> dict[str, Any]:
    saved = await drafts.get_draft(visitor.svc, visitor.id)
    return {
        "form": clean_form(saved.get("form")),
        "files": [f for f in saved.get("files") or [] if isinstance(f, dict)],
    }


def _files_out(files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": f.get("name") or "", "size": f.get("size") or 0} for f in files]


def _answer(draft: dict[str, Any], errors: dict[str, str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"form": draft["form"], "files": _files_out(draft["files"])}
    if errors is not None:
        out["errors"] = errors
    return out


@endpoint()
async def get_draft(request: web.Request, visitor: Visitor) -> web.Response:
    return web.json_response(_answer(await _draft(visitor)))


@endpoint()
async def save_draft(request: web.Request, visitor: Visitor) -> web.Response:
    body = await json_body(request)
    draft = await _draft(visitor)
    draft["form"] = clean_form(body.get("form"))
    await drafts.save_draft(visitor.svc, visitor.id, draft)
    return web.json_response(_answer(draft))


@endpoint()
async def check(request: web.Request, visitor: Visitor) -> web.Response:
    """Validate the form as sent (and keep it as the draft); the preview when it is valid."""
    body = await json_body(request)
    draft = await _draft(visitor)
    draft["form"] = clean_form(body.get("form"))
    await drafts.save_draft(visitor.svc, visitor.id, draft)
    d, errors = validate(visitor, draft["form"], draft["files"])
    out = _answer(draft, errors)
    out["preview"] = preview_text(visitor, d) if not errors else None  # type: ignore[arg-type]
    return web.json_response(out)


@endpoint()
async def publish(request: web.Request, visitor: Visitor) -> web.Response:
    body = await json_body(request)
    draft = await _draft(visitor)
    draft["form"] = clean_form(body.get("form"))
    await drafts.save_draft(visitor.svc, visitor.id, draft)
    d, errors = validate(visitor, draft["form"], draft["files"])
    if errors:
        return web.json_response(_answer(draft, errors), status=400)
    job = await jobs.post_job(visitor.svc, visitor.id, job_draft(d))
    await drafts.drop_draft(visitor.svc, visitor.id)
    sentence = visitor.t("post-published", job=str(job.id), title=job.title)
    return web.json_response({"job": job.id, "message": sentence})


@endpoint(body="bytes")
async def upload(request: web.Request, visitor: Visitor) -> web.Response:
    """A file for the draft (the raw bytes; its name in X-File-Name, URL-encoded): sent to the
    person's own chat, which gives its Telegram file_id, then kept in the draft."""
    draft = await _draft(visitor)
    if len(draft["files"]) >= FILES_MAX:
        return json_error(400, visitor.t("post-files-full", max=FILES_MAX))
    # The webhook server keeps its bodies small (bot/web.py); a file may be larger.
    data = await request.clone(client_max_size=UPLOAD_MAX).read()
    if not data:
        return json_error(400, visitor.t("post-files-hint"))
    name = unquote(request.headers.get("X-File-Name", "") or "file")[:FILE_NAME_MAX] or "file"
    bot = visitor.application.bot
    try:
        sent = await bot.send_document(
            visitor.id,
            InputFile(data, filename=name),
            caption=visitor.t("miniapp-file-caption"),
            rate_limit_args=REPLY_RETRIES,
        )
    except TelegramError as exc:
        return json_error(502, visitor.t("miniapp-file-failed", reason=str(exc)))
    doc = sent.document
    if doc is None:
        return json_error(502, visitor.t("miniapp-file-failed", reason="no document"))
    draft["files"].append(
        {
            "kind": "document",
            "file_id": doc.file_id,
            "file_unique_id": doc.file_unique_id,
            "name": doc.file_name or name,
            "size": doc.file_size or len(data),
        }
    )
    await drafts.save_draft(visitor.svc, visitor.id, draft)
    return web.json_response(_answer(draft))


@endpoint()
async def remove_file(request: web.Request, visitor: Visitor) -> web.Response:
    body = await json_body(request)
    draft = await _draft(visitor)
    index = body.get("index")
    if isinstance(index, int) and 0 <= index < len(draft["files"]):
        draft["files"].pop(index)
        await drafts.save_draft(visitor.svc, visitor.id, draft)
    return web.json_response(_answer(draft))
