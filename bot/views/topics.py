"""A dispute's forum topic: its name, rendered when the topic is made and when it is renamed
with the outcome (plain text, at most 128 characters; the group's language)."""

from __future__ import annotations

from bot.notify import Outgoing
from bot.views.cards import tr
from bot.views.note import Note, renders


@renders("topic.dispute")
async def dispute_topic(n: Note) -> Outgoing:
    deal_id = n.params.get("deal")
    dispute = await n.tx.disputes.latest_for(int(deal_id)) if isinstance(deal_id, int) else None
    if dispute is None or dispute.id != n.params.get("dispute"):
        return Outgoing(skip=True)
    if dispute.resolved_at is None:
        return Outgoing(tr(n, "topic-dispute-open", deal=deal_id))
    percent = dispute.percent if dispute.percent is not None else 0
    outcome = dispute.outcome or ""
    return Outgoing(tr(n, "topic-dispute-decided", deal=deal_id, outcome=outcome, percent=percent))
