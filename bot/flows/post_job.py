"""/post: the job-posting flow of SPEC section 4, one step at a time.

Steps: category, title, description, the category's own questions, budget, deadline, the
optional private brief (and, with a brief, whether an NDA is required and its text), optional
files, then a preview with Publish, Edit and Cancel. Every step has Cancel, and Back where
there is a step before it. Bad input gets one sentence and the same step again; nothing is
written until Publish, which calls services.jobs.post_job.

The draft lives in `context.user_data["post"]` (plain JSON types, persisted with the
conversation state, so a restart keeps the person's place):

    {"step": "title", "msg": 41, "category": "writing", "title": "...", "description": "...",
     "answers": {"pages": 5}, "budget_min": 100, "budget_max": 200, "currency": "XTR",
     "deadline_at": 1790000000,
     "brief": "...", "nda": true, "nda_text": null, "files": [{"kind": "photo", ...}],
     "complete": true, "picked": "budget"}

Question steps are named `q0`, `q1`, ... (the index into the category's questions).
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.domain import rules
from bot.domain.categories import CATEGORIES, Question
from bot.domain.durations import example_date, parse_deadline
from bot.domain.errors import DomainError, Forbidden, InvalidInput
from bot.domain.money import exponent, parse_amount
from bot.flows.common import (
    END,
    INPUT,
    PRIVATE,
    TEXT,
    Flow,
    answer,
    end_other_flows,
    expired,
    pressed,
    prompt,
    strip_buttons,
    yes_no,
)
from bot.handlers.base import Button, MarketContext, handler
from bot.handlers.callbacks import is_action
from bot.i18n import Markup
from bot.runtime import Runtime
from bot.services import jobs
from bot.services.base import Services
from bot.services.jobs import JobDraft
from bot.text import clip

NAME = "post_job"
KEY = "post"
ACTION = "post"
FILES_MAX = 10
NDA_MAX = rules.BRIEF_MAX
PREVIEW_BRIEF = 300
PREVIEW_NDA = 200

# Steps a person may jump to from the preview's Edit menu, in the order of the flow.
EDITABLE = ("cat", "title", "desc", "q0", "budget", "deadline", "brief", "files")
# Once the draft has been previewed, finishing one of these goes straight back to the preview
# (the others lead on: a new category asks its questions, a brief asks about the NDA).
INDEPENDENT = frozenset({"title", "desc", "budget", "deadline", "brief", "files"})


class Again(Exception):
    """Bad input that is not a DomainError: ask the same step again with this sentence."""

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


_Again = Again


class Reader(Protocol):
    """What taking an answer needs of its caller: the chat's context, or the Mini App's
    request (bot/miniapp/api.py), so both validate with the same rules and sentences."""

    @property
    def svc(self) -> Services: ...

    def t(self, key: str, **params: Any) -> str: ...


# -- the steps --------------------------------------------------------------------------------


def state_of(step: str) -> str:
    return "post.question" if step.startswith("q") else f"post.{step}"


STATES = (
    "post.cat",
    "post.title",
    "post.desc",
    "post.question",
    "post.budget",
    "post.deadline",
    "post.brief",
    "post.nda",
    "post.ndatext",
    "post.files",
    "post.preview",
    "post.edit",
)


def _questions(d: dict[str, Any]) -> tuple[Question, ...]:
    category = CATEGORIES.get(d.get("category") or "")
    return category.questions if category else ()


def steps(d: dict[str, Any]) -> list[str]:
    """The steps of this draft, in order (they depend on the category and the brief)."""
    out = ["cat", "title", "desc"]
    out += [f"q{i}" for i in range(len(_questions(d)))]
    out += ["budget", "deadline", "brief"]
    if d.get("brief"):
        out.append("nda")
        if d.get("nda"):
            out.append("ndatext")
    out += ["files", "preview"]
    return out


def next_step(d: dict[str, Any], step: str) -> str:
    seq = steps(d)
    nxt = seq[seq.index(step) + 1] if step in seq and step != "preview" else "preview"
    if d.get("complete") and step == "cat":
        # A category picked again from Edit: its own questions, then the preview.
        return "q0" if _questions(d) else "preview"
    if d.get("complete") and nxt in INDEPENDENT:
        return "preview"
    return nxt


def previous_step(d: dict[str, Any], step: str) -> str | None:
    if step == "edit":
        return "preview"
    if d.get("complete") and step == d.get("picked"):
        return "edit"
    seq = steps(d)
    if step not in seq:
        return None
    index = seq.index(step)
    return seq[index - 1] if index > 0 else None


def _question(d: dict[str, Any], step: str) -> Question | None:
    qs = _questions(d)
    if not re.fullmatch(r"q[0-9]{1,2}", step):
        return None
    index = int(step[1:])
    return qs[index] if index < len(qs) else None


def _question_label(context: MarketContext, d: dict[str, Any], q: Question) -> str:
    return context.t(f"question-{d['category']}-{q.id}")


# -- rendering --------------------------------------------------------------------------------


def _btn(label: str, op: str, step: str, *args: object) -> Button:
    return (label, ("cb", ACTION, op, step, *args))


def _nav(context: MarketContext, d: dict[str, Any], step: str) -> list[Button]:
    row = []
    if previous_step(d, step) is not None:
        row.append(_btn(context.t("flow-back"), "back", step))
    row.append(_btn(context.t("flow-cancel"), "cancel", step))
    return row


def _budget_currency(context: MarketContext, d: dict[str, Any]) -> str:
    """The currency the draft's budget was typed in (a draft from before `currency` was
    kept: today's)."""
    return d.get("currency") or context.svc.settings.currency


def _budget_text(context: MarketContext, d: dict[str, Any]) -> str:
    lo, hi, cur = d["budget_min"], d["budget_max"], _budget_currency(context, d)
    if lo == hi:
        return context.money(lo, cur)
    return context.t(
        "post-budget-range",
        low=Markup(context.money(lo, cur)),
        high=Markup(context.money(hi, cur)),
    )


def _answer_text(context: MarketContext, value: Any) -> str:
    if isinstance(value, bool):
        return context.t("flow-yes" if value else "flow-no")
    return str(value)


def _current(context: MarketContext, value: Any) -> str:
    """`Now: …` under a prompt whose step already has a value (Back, Edit)."""
    if value is None or value == "":
        return ""
    return "\n\n" + context.t("post-current", value=value)


def _prompt_for(context: MarketContext, d: dict[str, Any], step: str) -> tuple[str, list]:
    t = context.t
    settings = context.svc.settings
    rows: list[list[Button]] = []
    if step == "cat":
        buttons = [_btn(t(f"category-{cid}"), "pick", step, cid) for cid in CATEGORIES]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        text = t("post-ask-category")
        if d.get("category"):
            text += _current(context, Markup(t(f"category-{d['category']}")))
    elif step == "title":
        text = t("post-ask-title", min=rules.TITLE_MIN, max=rules.TITLE_MAX)
        text += _current(context, d.get("title"))
    elif step == "desc":
        text = t("post-ask-description", min=rules.DESCRIPTION_MIN, max=rules.DESCRIPTION_MAX)
        text += _current(context, clip(d.get("description") or "", 300))
    elif step.startswith("q"):
        q = _question(d, step)
        assert q is not None
        qs = _questions(d)
        text = t("post-ask-question", n=int(step[1:]) + 1, total=len(qs))
        text += "\n" + _question_label(context, d, q)
        if not q.required:
            text += "\n" + t("post-question-optional")
        if q.id in d.get("answers", {}):
            text += _current(context, _answer_text(context, d["answers"][q.id]))
        row = []
        if q.kind == "bool":
            row += [
                _btn(t("flow-yes"), "pick", step, "yes"),
                _btn(t("flow-no"), "pick", step, "no"),
            ]
        if not q.required:
            row.append(_btn(t("flow-skip"), "skip", step))
        if row:
            rows.append(row)
    elif step == "budget":
        cur = settings.currency  # a new job is priced in today's currency
        scale = 10 ** exponent(cur)
        text = t(
            "post-ask-budget",
            fixed=Markup(context.money(150 * scale, cur)),
            low=Markup(context.money(100 * scale, cur)),
            high=Markup(context.money(200 * scale, cur)),
        )
        if d.get("budget_min"):
            text += _current(context, Markup(_budget_text(context, d)))
    elif step == "deadline":
        text = t(
            "post-ask-deadline",
            min=context.duration(settings.min_deadline),
            example=example_date(context.svc.clock.now()),
        )
        if d.get("deadline_at"):
            text += _current(context, Markup(context.when(d["deadline_at"])))
    elif step == "brief":
        text = t("post-ask-brief", max=rules.BRIEF_MAX)
        text += _current(context, clip(d.get("brief") or "", PREVIEW_BRIEF))
        rows.append([_btn(t("flow-skip"), "skip", step)])
    elif step == "nda":
        text = t("post-ask-nda")
        rows.append(
            [
                _btn(t("flow-yes"), "pick", step, "1"),
                _btn(t("flow-no"), "pick", step, "0"),
            ]
        )
    elif step == "ndatext":
        text = t("post-ask-nda-text", max=NDA_MAX)
        text += _current(context, clip(d.get("nda_text") or "", PREVIEW_NDA))
        rows.append([_btn(t("post-btn-nda-default"), "skip", step)])
    elif step == "files":
        count = len(d.get("files") or [])
        text = t("post-ask-files", max=FILES_MAX)
        if count:
            text = t("post-files-added", count=count, max=FILES_MAX)
        rows.append([_btn(t("flow-done"), "skip", step)])
    elif step == "preview":
        text = preview_text(context, d)
        rows.append([_btn(t("post-btn-publish"), "publish", step)])
        rows.append([_btn(t("post-btn-edit"), "pick", step, "edit")])
    elif step == "edit":
        text = t("post-ask-edit")
        labels = {
            "cat": "post-edit-category",
            "title": "post-edit-title",
            "desc": "post-edit-description",
            "q0": "post-edit-questions",
            "budget": "post-edit-budget",
            "deadline": "post-edit-deadline",
            "brief": "post-edit-brief",
            "files": "post-edit-files",
        }
        buttons = [
            _btn(t(labels[s]), "pick", step, s) for s in EDITABLE if s != "q0" or _questions(d)
        ]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    else:  # pragma: no cover - steps() lists every step
        raise ValueError(f"unknown step {step!r}")
    rows.append(_nav(context, d, step))
    return text, rows


def preview_text(context: MarketContext, d: dict[str, Any]) -> str:
    t = context.t
    lines = [
        t("post-preview-head"),
        "",
        t("post-preview-title", title=d["title"]),
        t("post-preview-category", category=Markup(t(f"category-{d['category']}"))),
        t(
            "post-preview-budget",
            budget=Markup(_budget_text(context, d)),
        ),
        t("post-preview-deadline", deadline=Markup(context.when(d["deadline_at"]))),
        "",
        t("post-preview-description", description=d["description"]),
    ]
    answered = [q for q in _questions(d) if q.id in d.get("answers", {})]
    if answered:
        lines += ["", t("post-preview-answers")]
        for q in answered:
            lines.append(
                t(
                    "post-preview-answer",
                    question=Markup(_question_label(context, d, q)),
                    answer=_answer_text(context, d["answers"][q.id]),
                )
            )
    lines.append("")
    if d.get("brief"):
        lines.append(t("post-preview-brief", brief=clip(d["brief"], PREVIEW_BRIEF)))
        if d.get("nda"):
            if d.get("nda_text"):
                lines.append(t("post-preview-nda-custom", text=clip(d["nda_text"], PREVIEW_NDA)))
            else:
                lines.append(t("post-preview-nda-default"))
        else:
            lines.append(t("post-preview-nda-none"))
    else:
        lines.append(t("post-preview-no-brief"))
    lines.append(t("post-preview-files", count=len(d.get("files") or [])))
    return "\n".join(lines)


async def ask(
    update: Update,
    context: MarketContext,
    d: dict[str, Any],
    step: str,
    error: str | None = None,
) -> str:
    """Ask `step` (after the sentence saying what was wrong, if any); returns its state."""
    d["step"] = step
    if step == "preview":
        d["complete"] = True
    text, rows = _prompt_for(context, d, step)
    if error:
        text = f"{error}\n\n{text}"
    await prompt(update, context, d, text, rows)
    return state_of(step)


# -- taking answers ---------------------------------------------------------------------------


def parse_budget(text: str, currency: str) -> tuple[int, int]:
    """`150` or `100-200` (whole units, or with the currency's decimals) -> (low, high)."""
    value = (text or "").strip()
    m = re.fullmatch(r"([^-–—]*[0-9][^-–—]*?)\s*[-–—]\s*([^-–—]*)", value)
    if m:
        lo, hi = parse_amount(m.group(1), currency), parse_amount(m.group(2), currency)
    else:
        lo = hi = parse_amount(value, currency)
    return rules.budget(lo, hi, currency)


def take_text(context: Reader, d: dict[str, Any], step: str, text: str) -> None:
    """Validate and store what was typed at `step`; raises DomainError or Again. The chat
    flow and the Mini App's form (bot/miniapp/api.py) both take answers through this."""
    t = context.t
    settings = context.svc.settings
    if step == "cat":
        wanted = text.strip().lower()
        for cid in CATEGORIES:
            if wanted in (cid, t(f"category-{cid}").lower()):
                set_category(d, cid)
                return
        raise _Again(t("flow-use-buttons"))
    if step == "title":
        d["title"] = rules.title(text)
    elif step == "desc":
        d["description"] = rules.description(text)
    elif step.startswith("q"):
        q = _question(d, step)
        if q is None:
            raise _Again(t("flow-use-buttons"))
        set_answer(d, q, text)
    elif step == "budget":
        d["budget_min"], d["budget_max"] = parse_budget(text, settings.currency)
        d["currency"] = settings.currency
    elif step == "deadline":
        d["deadline_at"] = parse_deadline(text, context.svc.clock.now(), settings.min_deadline)
    elif step == "brief":
        brief = rules.clean_text(text)
        if len(brief) > rules.BRIEF_MAX:
            raise InvalidInput("job.brief_too_long", max=rules.BRIEF_MAX, length=len(brief))
        set_brief(d, brief or None)
    elif step == "nda":
        choice = yes_no(text)
        if choice is None:
            raise _Again(t("flow-use-buttons"))
        set_nda(d, choice)
    elif step == "ndatext":
        nda_text = rules.clean_text(text)
        if len(nda_text) > NDA_MAX:
            raise _Again(t("post-nda-too-long", max=NDA_MAX, length=len(nda_text)))
        d["nda_text"] = nda_text or None
    elif step == "files":
        raise _Again(t("post-files-hint"))
    else:
        raise _Again(t("flow-use-buttons"))


def set_category(d: dict[str, Any], cid: str) -> None:
    if d.get("category") != cid:
        d["answers"] = {}
    d["category"] = cid


def set_answer(d: dict[str, Any], q: Question, raw: str | None) -> None:
    value = q.parse(raw)
    answers = d.setdefault("answers", {})
    if value is None:
        answers.pop(q.id, None)
    else:
        answers[q.id] = value


def set_brief(d: dict[str, Any], brief: str | None) -> None:
    d["brief"] = brief
    if not brief:
        d["nda"] = False
        d["nda_text"] = None


def set_nda(d: dict[str, Any], required: bool) -> None:
    d["nda"] = required
    if not required:
        d["nda_text"] = None


def _draft(context: MarketContext) -> dict[str, Any] | None:
    d = (context.user_data or {}).get(KEY)
    return d if isinstance(d, dict) and d.get("step") else None


async def _lost(update: Update, context: MarketContext) -> object:
    """The conversation is on a step but its draft is gone: start over cleanly."""
    await answer(update)
    await context.say(update, context.t("flow-lost"))
    return END


async def _again(
    update: Update, context: MarketContext, d: dict[str, Any], step: str, exc: Exception
) -> str:
    if isinstance(exc, DomainError):
        sentence = context.rt.i18n.error(context.locale, exc)
    else:
        sentence = str(getattr(exc, "sentence", exc))
    return await ask(update, context, d, step, error=sentence)


# -- the handlers -------------------------------------------------------------------------------


@handler
async def start(update: Update, context: MarketContext) -> object:
    await end_other_flows(update, context, NAME)
    if context.me is not None and context.me.banned:
        raise Forbidden("user.banned")
    d: dict[str, Any] = {"step": "cat", "answers": {}, "files": []}
    context.user_data[KEY] = d
    return await ask(update, context, d, "cat")


@handler
async def on_text(update: Update, context: MarketContext) -> object:
    d = _draft(context)
    if d is None:
        return await _lost(update, context)
    step = d["step"]
    message = update.effective_message
    try:
        take_text(context, d, step, message.text if message else "")
    except (DomainError, _Again) as exc:
        return await _again(update, context, d, step, exc)
    return await ask(update, context, d, next_step(d, step))


@handler
async def on_file(update: Update, context: MarketContext) -> object:
    d = _draft(context)
    if d is None:
        return await _lost(update, context)
    step = d["step"]
    if step != "files":
        return await ask(update, context, d, step, error=context.t("flow-send-text"))
    files: list[dict[str, Any]] = d.setdefault("files", [])
    if len(files) >= FILES_MAX:
        return await ask(
            update, context, d, step, error=context.t("post-files-full", max=FILES_MAX)
        )
    message = update.effective_message
    assert message is not None
    if message.document is not None:
        doc = message.document
        files.append(
            {
                "kind": "document",
                "file_id": doc.file_id,
                "file_unique_id": doc.file_unique_id,
                "name": doc.file_name or "",
                "size": doc.file_size or 0,
            }
        )
    elif message.photo:
        photo = message.photo[-1]
        files.append(
            {
                "kind": "photo",
                "file_id": photo.file_id,
                "file_unique_id": photo.file_unique_id,
                "size": photo.file_size or 0,
            }
        )
    return await ask(update, context, d, step)


@handler
async def on_other(update: Update, context: MarketContext) -> object:
    """A sticker, a voice note, a file where text is asked: say what is expected."""
    d = _draft(context)
    if d is None:
        return await _lost(update, context)
    step = d["step"]
    key = "post-files-hint" if step == "files" else "flow-send-text"
    return await ask(update, context, d, step, error=context.t(key))


@handler
async def on_button(update: Update, context: MarketContext) -> object:
    d = _draft(context)
    if d is None:
        return await _lost(update, context)
    decoded = pressed(update, context)
    if decoded is None or decoded[1] != d["step"]:
        await expired(update, context)
        return None
    op, step, args = decoded
    arg = args[0] if args else ""
    if op == "cancel":
        await answer(update)
        return await _cancel(update, context)
    if op == "back":
        back = previous_step(d, step)
        if back is None:
            await expired(update, context)
            return None
        await answer(update)
        return await ask(update, context, d, back)
    if op == "publish" and step == "preview":
        return await _publish(update, context, d)
    try:
        target = _take_button(d, op, step, arg)
    except DomainError as exc:
        await answer(update)
        return await _again(update, context, d, step, exc)
    if target is None:
        await expired(update, context)
        return None
    await answer(update)
    return await ask(update, context, d, target)


def _take_button(d: dict[str, Any], op: str, step: str, arg: str) -> str | None:
    """Apply a Skip/choice press; returns the step to ask next, None for a meaningless press."""
    q = _question(d, step) if step.startswith("q") else None
    if op == "skip":
        if q is not None and not q.required:
            set_answer(d, q, None)
        elif step == "brief":
            set_brief(d, None)
        elif step == "ndatext":
            d["nda_text"] = None  # the standard NDA (nda-default-text) applies
        elif step != "files":
            return None
        return next_step(d, step)
    if op != "pick":
        return None
    if step == "cat" and arg in CATEGORIES:
        set_category(d, arg)
    elif q is not None and q.kind == "bool" and arg in ("yes", "no"):
        set_answer(d, q, arg)
    elif step == "nda" and arg in ("0", "1"):
        set_nda(d, arg == "1")
    elif step == "preview" and arg == "edit":
        return "edit"
    elif step == "edit" and arg in EDITABLE:
        d["picked"] = arg
        return arg
    else:
        return None
    return next_step(d, step)


def job_draft(d: dict[str, Any]) -> JobDraft:
    return JobDraft(
        category=d["category"],
        title=d["title"],
        description=d["description"],
        answers=dict(d.get("answers") or {}),
        budget_min=d["budget_min"],
        budget_max=d["budget_max"],
        deadline_at=d["deadline_at"],
        brief=d.get("brief") or None,
        nda_required=bool(d.get("brief") and d.get("nda")),
        nda_text=(d.get("nda_text") or None) if d.get("nda") else None,
        files=tuple(d.get("files") or ()),
        currency=d.get("currency"),
    )


async def _publish(update: Update, context: MarketContext, d: dict[str, Any]) -> object:
    # A double press must not post twice: the first press holds this (in-memory) mark.
    busy = context.chat_data.setdefault("busy", set()) if context.chat_data is not None else set()
    if KEY in busy:
        await answer(update)
        return None
    busy.add(KEY)
    # The draft leaves before the job is written: the person's state is stored with the job
    # (bot/updates.py), so after a crash right then a second Publish finds no draft.
    context.user_data.pop(KEY, None)
    try:
        assert context.me is not None
        job = await jobs.post_job(context.svc, context.me.id, job_draft(d))
    except DomainError as err:
        context.user_data[KEY] = d
        await answer(update)
        sentence = context.rt.i18n.error(context.locale, err)
        if err.key == "user.banned":
            context.user_data.pop(KEY, None)
            await strip_buttons(context, update.effective_chat.id, d.get("msg"))
            await context.say(update, sentence)
            return END
        retry = "preview"
        if err.key.startswith("deadline."):
            retry = "deadline"
        elif err.key == "job.budget_currency":  # CURRENCY changed since the budget was typed
            retry = "budget"
        return await ask(update, context, d, retry, error=sentence)
    finally:
        busy.discard(KEY)
    await answer(update)
    await strip_buttons(context, update.effective_chat.id, d.get("msg"))
    await context.say(update, context.t("post-published", job=str(job.id), title=job.title))
    return END


async def _cancel(update: Update, context: MarketContext) -> object:
    d = context.user_data.pop(KEY, None) if context.user_data is not None else None
    if isinstance(d, dict) and update.effective_chat is not None:
        await strip_buttons(context, update.effective_chat.id, d.get("msg"))
    await context.say(update, context.t("post-cancelled"))
    return END


@handler
async def cancel(update: Update, context: MarketContext) -> object:
    """/cancel: leave the flow; nothing is written."""
    return await _cancel(update, context)


def conversation(rt: Runtime, *entries: BaseHandler) -> Flow:
    """The posting flow; `entries` are other ways into it (bot.app adds /repost, which
    opens it at its preview: bot.flows.repost)."""
    buttons = CallbackQueryHandler(on_button, pattern=is_action(rt.buttons, ACTION))
    text = MessageHandler(TEXT, on_text)
    files = MessageHandler(INPUT & (filters.Document.ALL | filters.PHOTO), on_file)
    other = MessageHandler(INPUT, on_other)
    states: dict[object, list] = {state: [buttons, text, other] for state in STATES}
    states["post.files"] = [buttons, files, text, other]
    return Flow(
        name=NAME,
        data_key=KEY,
        entry_points=[
            CommandHandler("post", start, filters=PRIVATE),
            *entries,
        ],
        states=states,
        fallbacks=[CommandHandler("cancel", cancel, filters=PRIVATE)],
    )
