"""A topic per dispute in the moderator group, when that group is a forum.

A dispute's topic is an outbox row too (`topic.dispute`, method `create_topic`), queued in the
group's stream just before the dispute card, so it is created once Telegram takes it, through
429s, outages and restarts, and everything queued after it about the dispute goes into it:
the card, each piece of evidence, the SLA reminders (their rows carry `topic`, and the
dispatcher posts them into that topic; bot/forum.py). Whether the group is a forum is the
dispatcher's to find out (getChat): in a plain group the row does nothing and the rest goes
to the group as before. The topic's thread id is the `message_id` its row records, so the
topic is found again from a moderator's message in it (`dispute_of_thread`), also after the
outbox is pruned (outbox_sent keeps it).

When the dispute is decided, the topic is renamed with the outcome (`edit_topic`) and closed
(`close_topic`), after the card's edit.
"""

from __future__ import annotations

from typing import Any

from bot.domain import rules
from bot.domain.errors import Conflict, InvalidInput
from bot.domain.models import Deal, Dispute
from bot.services.base import Moderator, Services, deal_or_404
from bot.storage.db import Tx

KEY = "topic.dispute"


def ref(dispute_id: int) -> str:
    return f"topic:dispute:{dispute_id}"


def param(dispute_id: int) -> dict[str, Any]:
    """What a row about the dispute carries to be posted into its topic."""
    return {"topic": ref(dispute_id)}


async def open_topic(tx: Tx, svc: Services, deal: Deal, dispute: Dispute) -> None:
    """Queue the dispute's topic, before its card (same stream: it goes first)."""
    group = svc.settings.moderator_chat_id
    if group:
        params = {"deal": deal.id, "dispute": dispute.id}
        await tx.outbox.add(group, KEY, params, method="create_topic", ref=ref(dispute.id))


async def close_topic(tx: Tx, svc: Services, deal: Deal, dispute: Dispute) -> None:
    """The dispute was decided: rename its topic with the outcome, then close it."""
    group = svc.settings.moderator_chat_id
    if group:
        params = {"deal": deal.id, "dispute": dispute.id}
        for method in ("edit_topic", "close_topic"):
            await tx.outbox.add(group, KEY, params, method=method, ref=ref(dispute.id))


async def dispute_of_thread(svc: Services, chat_id: int, thread_id: int) -> tuple[int, int] | None:
    """(deal, dispute) of the topic `thread_id` of `chat_id`, or None for any other topic."""
    async with svc.read() as tx:
        row = await tx.outbox.find_by_message(chat_id, thread_id)
    if row is None or row["key"] != KEY:
        return None
    deal, dispute = row["params"].get("deal"), row["params"].get("dispute")
    if not isinstance(deal, int) or not isinstance(dispute, int):
        return None
    return deal, dispute


async def add_note(
    svc: Services, mod: Moderator, deal_id: int, text: str, files: list[dict] | None = None
) -> None:
    """A moderator's message in a dispute's topic: kept in the deal's history (the parties
    are not told; /deal in the group shows it)."""
    text = rules.clean_text(text)
    if not text and not files:
        raise InvalidInput("dispute.evidence_empty")
    if len(text) > rules.NOTE_MAX:
        raise InvalidInput("dispute.evidence_too_long", max=rules.NOTE_MAX)
    async with svc.tx() as tx:
        deal = await deal_or_404(tx, deal_id)
        if await tx.disputes.open_for(deal.id) is None:
            raise Conflict("dispute.none_open", deal=deal_id)
        await tx.deals.add_event(deal.id, mod.user_id, "mod_note", text, files or [])
