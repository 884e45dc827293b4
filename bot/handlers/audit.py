"""/audit [deal|user|job|payout] [number|@username]: the audit trail, for moderators.

`/audit` alone lists everything, newest first. `/audit deal 5`, `/audit user 42` (or
`/audit @name`), `/audit job 7`, `/audit payout 3` narrow it to one subject. A bare number is a
deal (`/audit 5`, as `/deal 5`): deals are what moderators decide about; a person is named
with `user` or `@`. Pages of ten, with ◀ ▶ like other lists.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from telegram import Update

from bot.domain.errors import InvalidInput
from bot.domain.numbers import entity_id
from bot.handlers.base import MarketContext, args_of, handler
from bot.handlers.callbacks import button
from bot.handlers.moderation import moderator_of
from bot.i18n import Markup
from bot.services import audit
from bot.services.deal_cards import person
from bot.storage.trail import AuditEntry
from bot.views.pages import PAGE_SIZE, Page, page_arg, page_of_fetch, with_nav

ALL = "all"  # a page button's subject when the whole trail is listed


def parse_query(args: list[str]) -> tuple[str | None, str | None]:
    """(subject, reference) of `/audit`'s arguments; (None, None) for everything."""
    if not args:
        return None, None
    first = args[0].lower()
    if len(args) == 1:
        if entity_id(first) is not None:
            return "deal", first  # a bare number is a deal
        if first.startswith("@"):
            return "user", args[0]
        raise InvalidInput("mod.audit_usage")
    if first not in audit.SUBJECTS or len(args) != 2:
        raise InvalidInput("mod.audit_usage")
    return first, args[1]


@handler
async def audit_cmd(update: Update, context: MarketContext) -> None:
    subject, ref = parse_query(args_of(context))
    await _page(update, context, subject, ref, 0, edit=False)


@button("audit_page")
async def audit_page_button(update: Update, context: MarketContext, args: list[str]) -> None:
    subject = args[0] if args and args[0] in audit.SUBJECTS else None
    ref = args[1] if subject is not None and len(args) > 1 else None
    await _page(update, context, subject, ref, page_arg(args[-1] if args else None), edit=True)


async def _page(
    update: Update,
    context: MarketContext,
    subject: str | None,
    ref: str | None,
    number: int,
    *,
    edit: bool,
) -> None:
    mod = await moderator_of(update, context)
    found = await audit.entries(context.svc, mod, subject, ref, PAGE_SIZE + 1, number * PAGE_SIZE)
    page: Page[AuditEntry] = page_of_fetch(found.entries, number)
    if subject is None:
        title = context.t("audit-title-all")
    else:
        title = context.t(f"audit-title-{subject}", id=str(found.subject_id))
    if not page.items:
        await context.say(update, f"{title}\n{context.t('audit-empty')}", edit=edit)
        return
    lines = [title, *(_line(context, e, found.people) for e in page.items)]
    # The subject's id (not the @name typed) is carried by the buttons.
    args: tuple[Any, ...] = (subject, found.subject_id) if subject is not None else (ALL,)
    rows = with_nav([], page, "audit_page", *args)
    await context.say(update, "\n".join(lines), rows, edit=edit)


def _line(context: MarketContext, e: AuditEntry, people: dict[int, Any]) -> str:
    when = datetime.fromtimestamp(e.at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    if e.actor_id is None:
        who = context.t("audit-operator")
    else:
        who = f"{person(people.get(e.actor_id), e.actor_id)} ({e.actor_id})"
    what = Markup(context.t(f"audit-what-{e.action}", **_params(context, e)))
    why = Markup(context.t("audit-why", reason=e.reason) if e.reason else "")
    return context.t("audit-line", id=str(e.id), when=when, who=who, what=what, why=why)


def _params(context: MarketContext, e: AuditEntry) -> dict[str, Any]:
    d = e.details
    subject = str(e.subject_id) if e.subject_id is not None else ""
    user = str(e.user_id) if e.user_id is not None else ""
    params: dict[str, Any] = {e.subject: subject, "user": user}
    if e.action == "resolve":
        params.update(outcome=d.get("outcome", ""), percent=d.get("percent", 0))
    elif e.action == "payout_paid":
        params["amount"] = context.money(int(d.get("amount", 0)), str(d.get("currency", "")))
    elif e.action == "config_changed":
        changed = d.get("changed", {})
        params["first"] = "yes" if d.get("first") else "no"
        if d.get("first"):
            shown = (f"{k}={_shown(v[1])}" for k, v in sorted(changed.items()))
        else:
            shown = (f"{k}: {_shown(v[0])} → {_shown(v[1])}" for k, v in sorted(changed.items()))
        params["changes"] = ", ".join(shown)
    return params


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "—"
    return str(value)
