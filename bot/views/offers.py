"""Direct offers and QA reviewers: their notifications (rendered at send time in the reader's
language) and the buttons that follow an offer's state (bot.views.registry collects both)."""

from __future__ import annotations

from typing import Any

from bot.domain.states import ContractKind, DealState
from bot.notify import Outgoing
from bot.storage.offers import Offer, OffersRepo, ReviewersRepo
from bot.views.deal_card import review_row
from bot.views.note import Note, keyboard, renders

Rows = list[list[tuple[str, tuple[Any, ...]]]]


def files_extra(files: list[dict[str, Any]] | None) -> dict[str, list[str]]:
    """extra["documents"] / extra["photos"] from stored file dicts (they follow the text)."""
    docs = [str(f["file_id"]) for f in files or [] if f.get("kind") != "photo" and f.get("file_id")]
    photos = [str(f["file_id"]) for f in files or [] if f.get("kind") == "photo"]
    out: dict[str, list[str]] = {}
    if docs:
        out["documents"] = docs
    if photos:
        out["photos"] = photos
    return out


async def _offer_text(n: Note, mid: str) -> str:
    """The offer's parameters, with the names of who sent it (`from_name`) and to whom."""
    return await n.text(mid, to_name=await n.name(n.params.get("to")))


@renders("offer.received")
async def received(n: Note) -> Outgoing:
    """The offer (or a freelancer's proposal) with its terms; Accept / Decline follow."""
    offer = await OffersRepo(n.tx).get(int(n.params["offer"]))
    if offer is None:
        return Outgoing(skip=True)
    mid = "offer-received-client" if offer.by_client else "offer-received-proposal"
    text = await _offer_text(n, mid + ("-hourly" if offer.kind == ContractKind.HOURLY else ""))
    text += terms_lines(n, offer)
    text += "\n\n" + n.t("notify-quote", text=offer.description)
    text += n.line("offer-answer-by", expires_at=offer.expires_at)
    return Outgoing(text)


def terms_lines(n: Note, offer: Offer) -> str:
    """An hourly offer's weekly limit, a milestone offer's plan (lines to append)."""
    if offer.kind == ContractKind.HOURLY:
        hours = int(offer.terms.get("weekly_minutes", 0)) // 60
        return n.line("offer-terms-hourly", hours=hours)
    if offer.kind != ContractKind.MILESTONES:
        return ""
    plan = offer.terms.get("plan", [])
    text = n.line("offer-terms-milestones", count=len(plan))
    for number, (title, amount) in enumerate(plan, 1):
        money = n.money(int(amount), offer.currency)
        text += n.line("offer-terms-milestone", number=number, title=title, amount=money)
    return text


@renders("offer.accepted")
async def accepted(n: Note) -> Outgoing:
    """To the sender: the deal it became (a client's invoice follows on its own)."""
    return Outgoing(await _offer_text(n, f"{n.mid}-{await n.role()}"))


@renders("offer.declined")
async def declined(n: Note) -> Outgoing:
    return Outgoing(await _offer_text(n, n.mid))


@renders("offer.lapsed")
async def lapsed(n: Note) -> Outgoing:
    role = "sender" if n.params.get("from") == n.chat_id else "recipient"
    return Outgoing(await _offer_text(n, f"{n.mid}-{role}"))


@keyboard("offer.received")
async def answer_buttons(n: Note) -> Rows:
    """Accept / Decline while the offer waits for this reader's answer."""
    offer = await OffersRepo(n.tx).get(int(n.params["offer"]))
    if offer is None or offer.state != "pending" or offer.recipient_id != n.chat_id:
        return []
    if offer.expires_at <= n.now:
        return []
    return [
        [
            (n.t("offer-btn-accept"), ("cb", "offer_yes", offer.id)),
            (n.t("offer-btn-decline"), ("cb", "offer_no", offer.id)),
        ]
    ]


# --- the reviewer -----------------------------------------------------------------------------


@renders("review.added")
async def reviewer_added(n: Note) -> Outgoing:
    """To the reviewer: the brief (the job's description and private brief) and how to act."""
    job = await n.job()
    text = await n.text()
    if job is not None:
        text += "\n\n" + n.t("notify-quote", text=job.description)
        if job.brief:
            text += "\n\n" + n.t("review-brief", brief=job.brief)
    text += n.line("review-how", deal=n.params["deal"])
    return Outgoing(text)


@renders("review.delivered")
async def reviewer_delivered(n: Note) -> Outgoing:
    """A copy of a delivery for the reviewer, its files following."""
    text = await n.text()
    note = n.params.get("note")
    if note:
        text += "\n\n" + n.t("notify-quote", text=note)
    events = await n.tx.deals.events(int(n.params["deal"]))
    wanted = n.params.get("event")
    files = next((e.files for e in events if e.id == wanted), [])
    return Outgoing(text, extra=files_extra(files))


@keyboard("review.delivered")
async def verdict_buttons(n: Note) -> Rows:
    """Pass / Changes needed, while the delivery waits for the client."""
    deal = await n.deal()
    if deal is None or deal.state != DealState.DELIVERED:
        return []
    if await ReviewersRepo(n.tx).of_deal(deal.id) != n.chat_id:
        return []
    return [
        [
            (n.t("review-btn-pass"), ("cb", "verdict_pass", deal.id)),
            (n.t("review-btn-changes"), ("cb", "verdict_changes", deal.id)),
        ]
    ]


@renders("review.verdict")
async def verdict(n: Note) -> Outgoing:
    """To the client: the reviewer's verdict, with Release beside it while it can be pressed."""
    row = await ReviewersRepo(n.tx).verdict(int(n.params["verdict"]))
    if row is None:
        return Outgoing(skip=True)
    text = await n.text(f"review-verdict-{row['verdict']}")
    if row["notes"]:
        text += "\n\n" + n.t("notify-quote", text=row["notes"])
    return Outgoing(text, extra=files_extra(row["files"]))


@keyboard("review.verdict")
async def verdict_release(n: Note) -> Rows:
    deal = await n.deal()
    if deal is None or deal.state != DealState.DELIVERED or deal.client_id != n.chat_id:
        return []
    return [review_row(n, deal, n.rt.svc.settings.max_revisions)]


@renders("review.ended", "review.added_freelancer")
async def reviewer_ended(n: Note) -> Outgoing:
    return Outgoing(await n.text())
