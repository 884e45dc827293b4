"""What buttons leave behind: a person's awaited answer, and messages whose buttons follow a
state (migration 0010).

`PendingInputs`: a button asked for text ("Message", "Request changes"...); one row per
person says what their next message answers. `Keyboards`: every message whose buttons depend
on a deal's, bid's or job's state, by `ref`; `refresh(ref)` queues, for each, an outbox row
(method `markup`) that draws the buttons again and edits the message's keyboard alone.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bot.domain.models import PendingInput
from bot.storage.outbox import BULK

if TYPE_CHECKING:
    from bot.storage.db import Tx

MARKUP_KEY = "markup.refresh"
# The outbox keys whose buttons follow a state (bot.views.keyboards draws them; a test keeps
# the two lists equal): only a row of these, caught in a dispatcher's hands by a change, gets
# a redraw queued behind it.
FOLLOWED_KEYS = frozenset(
    {
        "notify.delivered",
        "notify.review_nudge",
        "notify.delivery_overdue",
        "notify.cancel_requested",
        "notify.released_freelancer",
        "notify.released_client",
        "notify.feedback_request",
        "notify.feedback_received",
        "notify.dispute_opened_other",
        "notify.dispute_opened_self",
        "notify.shortlisted_nda",
        "notify.trial_requested",
        "notify.invited",
        "notify.milestone_proposed",  # its Accept / Decline (bot.views.milestones)
        # Direct offers and QA reviewers (bot.views.offers).
        "offer.received",
        "review.delivered",
        "review.verdict",
    }
)


class PendingInputs:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def put(
        self,
        user_id: int,
        chat_id: int,
        kind: str,
        target: int,
        prompt_message_id: int | None,
        expires_at: int,
    ) -> PendingInput | None:
        """Await `kind` from the person; returns the prompt it replaces (still open), if any."""
        before = await self.get(user_id)
        await self.tx.execute(
            "INSERT INTO pending_inputs (user_id, chat_id, kind, target, prompt_message_id,"
            " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET chat_id = excluded.chat_id,"
            " kind = excluded.kind, target = excluded.target,"
            " prompt_message_id = excluded.prompt_message_id,"
            " created_at = excluded.created_at, expires_at = excluded.expires_at",
            (user_id, chat_id, kind, target, prompt_message_id, self.tx.now, expires_at),
        )
        return before

    async def get(self, user_id: int) -> PendingInput | None:
        """The person's open prompt; one past its time is none."""
        row = await self.tx.fetchone(
            "SELECT * FROM pending_inputs WHERE user_id = ? AND expires_at > ?",
            (user_id, self.tx.now),
        )
        return None if row is None else PendingInput.model_validate(dict(row))

    async def take(self, user_id: int, prompt_message_id: int | None = None) -> PendingInput | None:
        """Remove and return the person's open prompt (only that prompt, when its message is
        named); an expired one is removed and not returned."""
        cond = ""
        args: tuple[int, ...] = ()
        if prompt_message_id is not None:
            cond, args = " AND prompt_message_id = ?", (prompt_message_id,)
        rows = await self.tx.fetchall(
            f"DELETE FROM pending_inputs WHERE user_id = ?{cond} RETURNING *", (user_id, *args)
        )
        row = rows[0] if rows else None
        if row is None or row["expires_at"] <= self.tx.now:
            return None
        return PendingInput.model_validate(dict(row))


class Keyboards:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def track(
        self,
        chat_id: int,
        message_id: int,
        ref: str,
        view: str,
        params: dict[str, Any],
        digest: str,
        source_row: int | None = None,
    ) -> None:
        await self.tx.execute(
            "INSERT INTO keyboards (chat_id, message_id, ref, view, params, digest, source_row,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (chat_id, message_id) DO UPDATE SET ref = excluded.ref,"
            " view = excluded.view, params = excluded.params, digest = excluded.digest,"
            " source_row = excluded.source_row, updated_at = excluded.updated_at",
            (
                chat_id,
                message_id,
                ref,
                view,
                json.dumps(params, ensure_ascii=False, sort_keys=True),
                digest,
                source_row,
                self.tx.now,
            ),
        )

    async def forget(self, chat_id: int, message_id: int) -> None:
        """The message has no buttons to follow any more (or is gone)."""
        await self.tx.execute(
            "DELETE FROM keyboards WHERE chat_id = ? AND message_id = ?", (chat_id, message_id)
        )

    async def set_digest(self, chat_id: int, message_id: int, digest: str) -> None:
        await self.tx.execute(
            "UPDATE keyboards SET digest = ?, updated_at = ? WHERE chat_id = ? AND message_id = ?",
            (digest, self.tx.now, chat_id, message_id),
        )

    async def get(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        row = await self.tx.fetchone(
            "SELECT * FROM keyboards WHERE chat_id = ? AND message_id = ?", (chat_id, message_id)
        )
        return None if row is None else _row(row)

    async def by_source(self, row_id: int) -> dict[str, Any] | None:
        row = await self.tx.fetchone("SELECT * FROM keyboards WHERE source_row = ?", (row_id,))
        return None if row is None else _row(row)

    async def refresh(self, *refs: str) -> int:
        """Queue a keyboard edit for every message about `refs` whose buttons follow a state,
        and for every row about them in a dispatcher's hands now (sent after this change with
        the buttons it rendered before: its edit follows it in its own stream). Returns how
        many were queued. Each edit draws the buttons when it goes out, for the state then."""
        queued = 0
        for ref in dict.fromkeys(refs):
            for row in await self.tx.fetchall(
                "SELECT chat_id, message_id FROM keyboards WHERE ref = ?", (ref,)
            ):
                await self.tx.outbox.add(
                    int(row["chat_id"]),
                    MARKUP_KEY,
                    {"message": int(row["message_id"])},
                    method="markup",
                    lane=BULK,  # after the notifications of the change itself
                )
                queued += 1
            for row in await self.tx.fetchall(
                "SELECT id, chat_id, lane, key FROM outbox WHERE stage = 'claimed' AND ref = ?"
                " AND method = 'send'",
                (ref,),
            ):
                if row["key"] not in FOLLOWED_KEYS:
                    continue
                await self.tx.outbox.add(
                    int(row["chat_id"]),
                    MARKUP_KEY,
                    {"row": int(row["id"])},
                    method="markup",
                    lane=int(row["lane"]),
                )
                queued += 1
        return queued

    async def prune(self, before: int, limit: int = 1000) -> int:
        """Forget messages whose buttons have not changed since `before` (OUTBOX_RETENTION):
        a state change after that leaves their buttons as they are."""
        return await self.tx.update(
            "DELETE FROM keyboards WHERE id IN (SELECT id FROM keyboards WHERE updated_at < ?"
            " ORDER BY updated_at LIMIT ?)",
            (before, limit),
        )


def _row(r: Any) -> dict[str, Any]:
    d = dict(r)
    d["params"] = json.loads(d["params"])
    return d
