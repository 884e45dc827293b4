"""The audit trail as moderators read it (`/audit`), and the configuration it records.

Moderator decisions are recorded by the services that make them (disputes.resolve,
moderation.ban/unban, jobs.remove_job, payouts.mark_paid), in the same transaction. The
configuration is the operator's decision: at each start the settings that change what the
marketplace does with money and people are compared with the last ones recorded, and a
change is recorded as `config_changed` (the actor is the operator: no Telegram user).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from bot.domain.errors import NotFound
from bot.domain.models import User
from bot.domain.numbers import entity_id, parse_id
from bot.services.base import Moderator, Services
from bot.services.profiles import find_user
from bot.storage.trail import AuditEntry

SUBJECTS = ("deal", "user", "job", "payout")

# Settings whose change an operator answers for (never a secret: a token only as a digest).
AUDITED_SETTINGS = (
    "platform_fee_percent",
    "currency",
    "bidding_window",
    "funding_window",
    "review_window",
    "delivery_grace",
    "nudge_lead",
    "dispute_response_window",
    "dispute_sla",
    "feedback_window",
    "min_deadline",
    "max_revisions",
    "moderator_chat_id",
    "admin_user_ids",
    "jobs_channel_id",
    "outbox_retention",
)


def configuration(svc: Services) -> dict[str, Any]:
    s = svc.settings
    out: dict[str, Any] = {name: getattr(s, name) for name in AUDITED_SETTINGS}
    out["admin_user_ids"] = sorted(s.admin_user_ids)
    token = s.payment_provider_token
    out["payment_provider"] = hashlib.sha256(token.encode()).hexdigest()[:12] if token else ""
    return out


async def record_configuration(svc: Services) -> dict[str, list[Any]] | None:
    """Record the configuration if it differs from the last one recorded; returns what
    changed ({name: [before, after]}, everything on the first start) or None."""
    now = configuration(svc)
    async with svc.tx() as tx:
        last = await tx.trail.latest("config")
        before: dict[str, Any] = last.details.get("settings", {}) if last else {}
        changed = {
            k: [before.get(k), v] for k, v in now.items() if k not in before or before[k] != v
        }
        changed.update({k: [v, None] for k, v in before.items() if k not in now})
        if not changed:
            return None
        await tx.trail.add(
            None,
            "config_changed",
            "config",
            details={"settings": now, "changed": changed, "first": last is None},
        )
        return changed


@dataclass(frozen=True)
class AuditPage:
    subject_id: int | None
    entries: list[AuditEntry]  # newest first; one more than asked when more follow
    people: dict[int, User]  # the actors and the people concerned, by id (those still known)


async def entries(
    svc: Services,
    mod: Moderator,
    subject: str | None,
    ref: str | None,
    limit: int,
    offset: int = 0,
) -> AuditPage:
    """The trail, newest first: everything, or one deal's, job's, payout's, or a person's
    (`ref` a number, or `@username` for a person: by number, also someone whose account was
    deleted since)."""
    async with svc.read(in_thread=True) as tx:
        subject_id: int | None = None
        if subject is None or ref is None:
            rows = await tx.trail.page(limit, offset)
        elif subject == "user":
            subject_id = entity_id(ref)
            if subject_id is None:
                subject_id = (await find_user(tx, ref)).id
            rows = await tx.trail.of_person(subject_id, limit, offset)
        else:
            subject_id = parse_id(ref, "args.number")
            if subject == "deal" and await tx.deals.get(subject_id) is None:
                raise NotFound("deal.not_found", deal=subject_id)
            rows = await tx.trail.about(subject, subject_id, limit, offset)
        ids = {e.actor_id for e in rows} | {e.user_id for e in rows}
        people = await tx.records.users(i for i in ids if i is not None)
        return AuditPage(subject_id, rows, people)
