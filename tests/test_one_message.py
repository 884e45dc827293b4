"""One message per event, across the main loop, through the real stack.

The rule, as this test counts it. A *step* is one thing a person does (a command, a button
press, a payment, a file), or one thing the scheduler or Telegram does (a review window ends,
Telegram confirms a refund). For every step, in every person's private chat:

- the person who acted gets exactly one answer: one new message, or, for a button whose
  answer replaces the pressed message, that message edited in place and no new one;
- every other person the step concerns gets exactly one new message;
- nobody else gets anything;
- a step nobody acted on (the scheduler's) gives each person concerned exactly one message.

"A message" is a text message. The files of a delivery (sent right after the message they
belong to) and an invoice (the payment form the "Deal created" answer points to) are counted
apart: at most the files of that step, at most one invoice. Telegram returning the Stars of a
refund is a step of its own: it can come much later, or fail, and the refund message says a
message will follow (here the refund call is held until the step that lets it through).

Each step waits for the answers it expects, then until the outbox has sent everything it
queued (`Market.settle`), then counts the new messages of every chat.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pytest

from bot.services import deals
from bot.services.profiles import touch_user
from sandbox.botapi import SimMessage, SimUser
from tests import factories as f
from tests.factories import CLIENT, FREELANCER, FREELANCER2
from tests.harness import Market

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning"),
    pytest.mark.usefixtures("market_engine"),  # on both engines
]

GROUP = -100500  # MODERATOR_CHAT_ID (tests.conftest.make_settings)
MOD = 4001
REVIEW = 3600  # a short review window (below NUDGE_LEAD: no review reminder in between)


def kind(msg: SimMessage) -> str:
    if msg.invoice is not None:
        return "invoice"
    return "text" if msg.kind == "text" else "file"


@dataclass
class Walk:
    """Counts, per step, the new bot messages in each person's chat."""

    m: Market
    people: dict[str, SimUser]
    log: list[str] = field(default_factory=list)
    _seen: dict[int, set[int]] = field(default_factory=dict)

    def mark(self) -> None:
        for user in self.people.values():
            self._seen[user.id] = {msg.message_id for msg in user.messages}

    def new(self, user: SimUser) -> list[SimMessage]:
        return [m for m in user.messages if m.message_id not in self._seen[user.id]]

    async def check(
        self,
        step: str,
        texts: dict[str, int],
        files: dict[str, int] | None = None,
        invoices: dict[str, int] | None = None,
        *,
        settle: bool = True,
    ) -> dict[str, list[SimMessage]]:
        """After the step's action: every chat got exactly `texts[name]` text messages (0 for
        a name left out), and the files and invoices given (else none)."""
        if settle:
            await self.m.settle()
        got = {}
        for name, user in self.people.items():
            fresh = self.new(user)
            counts = Counter(kind(msg) for msg in fresh)
            want = {
                "text": texts.get(name, 0),
                "file": (files or {}).get(name, 0),
                "invoice": (invoices or {}).get(name, 0),
            }
            shown = [f"{kind(x)}: {x.text[:70]!r}" for x in fresh]
            assert {k: counts.get(k, 0) for k in want} == want, f"{step}: {name} got {shown}"
            got[name] = fresh
        self.log.append(step)
        self.mark()
        return got


async def meet(m: Market) -> dict[str, SimUser]:
    m.server.add_chat(GROUP, "supergroup", "Moderators", {MOD: "member"})
    people = {
        "clara": m.person(CLIENT, "Clara"),
        "fred": m.person(FREELANCER, "Fred"),
        "gina": m.person(FREELANCER2, "Gina"),
        "mia": m.person(MOD, "Mia"),
    }
    for user in people.values():
        user.started = True
        await touch_user(m.svc, user.id, user.username, user.first_name, "en")
    return people


async def test_no_one_gets_two_messages_for_one_event(tmp_path) -> None:
    async with Market(tmp_path, review_window=REVIEW) as m:
        p = await meet(m)
        clara, fred, gina, mia = p["clara"], p["fred"], p["gina"], p["mia"]
        w = Walk(m, {"clara": clara, "fred": fred, "gina": gina, "mia": mia})
        svc = m.svc

        # --- post through the flow; only Publish is the step --------------------------------
        await clara.send("/post")
        msg = await clara.wait_for("choose the category")
        await clara.press(msg, "💻 Programming")
        await clara.wait_for("title of the job")
        for text, expect in [
            ("Generic containers in C++", "Describe the job"),
            ("Generic containers for a game engine, with tests.", "question 1"),
            ("C++20", "question 2"),
        ]:
            await clara.send(text)
            msg = await clara.wait_for(expect)
        await clara.press(msg, "Skip ▶")
        await clara.wait_for("budget")
        await clara.send("100-200")
        await clara.wait_for("delivered")
        await clara.send("2w")
        await clara.wait_for("private brief")
        await clara.send("The repository is git@example.org:engine.git")
        msg = await clara.wait_for("NDA")
        await clara.press(msg, "No")
        msg = await clara.wait_for("files")
        await clara.press(msg, "✔ Done")
        preview = await clara.wait_for("Preview")
        await m.settle()
        w.mark()
        await clara.press(preview, "✅ Publish")
        await clara.wait_for("Job #1 is live")
        await w.check("publish", {"clara": 1})

        # --- bids, shortlist with the brief ----------------------------------------------
        await fred.send("/bid 1 150 5 Ten years of templates.")
        await fred.wait_for("Bid #1 on Job #1 is placed")
        await w.check("Fred bids", {"fred": 1, "clara": 1})
        await gina.send("/bid 1 120 7 Generic code and tests.")
        await gina.wait_for("Bid #2 on Job #1 is placed")
        await w.check("Gina bids", {"gina": 1, "clara": 1})
        await clara.send("/shortlist 1")
        await clara.wait_for("Bid #1 is shortlisted; the freelancer gets the private brief")
        got = await w.check("shortlist", {"clara": 1, "fred": 1})
        assert "git@example.org:engine.git" in got["fred"][0].text  # the brief, in that one

        # --- hire and pay -------------------------------------------------------------------
        await clara.send("/accept 1")
        await clara.wait_for("Deal #1 created")
        got = await w.check("accept", {"clara": 1, "fred": 1}, invoices={"clara": 1})
        [invoice] = [x for x in got["clara"] if x.invoice is not None]
        paid = await clara.pay(invoice)
        assert isinstance(paid, SimMessage), paid
        await clara.wait_for("Payment received: Deal #1 is funded")
        got = await w.check("pay", {"clara": 1, "fred": 1, "gina": 1})
        assert "Delivery is due" in got["clara"][0].text  # what the notice used to add
        # The payer's one message is an outbox row of the payment's own transaction, not a
        # handler's answer: a bot killed right after the commit still tells them.
        async with svc.read() as tx:
            told = await tx.fetchall(
                "SELECT key FROM outbox WHERE chat_id = ? AND key = 'notify.deal_funded'",
                (CLIENT,),
            )
        assert len(told) == 1

        # --- deliver (with a file), revise, deliver, release, rate ---------------------------
        await fred.send("/deliver 1 First version")
        await fred.wait_for("Deal #1 is delivered")
        await w.check("deliver", {"fred": 1, "clara": 1})
        await fred.send_document("containers.zip", b"PK first")
        await fred.wait_for("added to the delivery of Deal #1")
        await w.check("a file for the delivery", {"fred": 1, "clara": 1}, files={"clara": 1})
        await clara.send("/revise 1 Please add benchmarks")
        await clara.wait_for("Changes requested on Deal #1")
        await w.check("revise", {"clara": 1, "fred": 1})
        await fred.send("/deliver 1 With benchmarks")
        await fred.wait_for("Deal #1 is delivered")
        await w.check("deliver again", {"fred": 1, "clara": 1})
        await clara.send("/release 1")
        await clara.wait_for("Deal #1 is complete")
        got = await w.check("release", {"clara": 1, "fred": 1})
        assert [len(x.buttons) for x in got["clara"]] == [5]  # one 1⭐-5⭐ row, not two
        await clara.send("/rate 1 5 Clean code")
        await clara.wait_for("you gave Deal #1 5/5")
        await w.check("the client rates", {"clara": 1, "fred": 1})
        await fred.send("/rate 1 4 Clear brief")
        answer = await fred.wait_for("Both ratings are now visible")
        assert "You got 5/5 from them" in answer.text and "Clean code" in answer.text
        await w.check("the freelancer rates", {"fred": 1, "clara": 1})

        # --- an NDA accepted ---------------------------------------------------------------
        nda_job = await f.job(svc, CLIENT, brief="The secret part", nda_required=True)
        bid_id = (await f.bid(svc, nda_job.id, FREELANCER)).id
        await m.settle()
        w.mark()
        await clara.send(f"/shortlist {bid_id}")
        await clara.wait_for(f"Bid #{bid_id} is shortlisted; the freelancer is asked")
        got = await w.check("shortlist with an NDA", {"clara": 1, "fred": 1})
        asked = got["fred"][0]
        await fred.press(asked, "Accept the NDA")
        answer = await fred.wait_for(f"You accepted the NDA of Job #{nda_job.id}")
        assert "The secret part" in answer.text  # the brief is in the answer
        await w.check("accept the NDA", {"fred": 1, "clara": 1})

        # --- a dispute opened by the freelancer, decided by a moderator --------------------
        disputed = await f.delivered_deal(svc, freelancer=FREELANCER2)
        await m.settle()
        w.mark()
        await gina.send(f"/dispute {disputed.id} The client vanished")
        await gina.wait_for(f"Dispute opened on Deal #{disputed.id}")
        await mia.wait_for(f"Dispute on Deal #{disputed.id}", chat=GROUP)
        await w.check("open a dispute", {"gina": 1, "clara": 1})
        await mia.send(f"/resolve {disputed.id} split 50", chat=GROUP)
        await clara.wait_for(f"The moderators decided Deal #{disputed.id}")
        got = await w.check("resolve it", {"clara": 1, "gina": 1})
        assert "Payout #" in got["clara"][0].text

        # --- a cancel asked, refused, then the freelancer cancels -----------------------------
        # Paid through Telegram (a real Stars charge, which refundStarPayment can return).
        job3 = await f.job(svc, CLIENT)
        running = await deals.hire(svc, CLIENT, (await f.bid(svc, job3.id, FREELANCER)).id)
        invoice = await clara.wait_for(lambda x: x.invoice is not None)
        assert isinstance(await clara.pay(invoice), SimMessage)
        await clara.wait_for(f"Payment received: Deal #{running.id} is funded")
        await m.settle()
        w.mark()
        await clara.send(f"/canceldeal {running.id}")
        await clara.wait_for("is asked to confirm cancelling")
        got = await w.check("the client asks to cancel", {"clara": 1, "fred": 1})
        await fred.press(got["fred"][0], "Refuse")
        await fred.wait_for(f"You refused to cancel Deal #{running.id}")  # the pressed one, edited
        await w.check("the freelancer refuses", {"clara": 1})
        held = m.server.hold(0, "refundStarPayment")
        held.chat_id = None  # refundStarPayment names a user, not a chat: hold every one
        await fred.send(f"/canceldeal {running.id}")
        await fred.wait_for(f"Deal #{running.id} is cancelled and the client is refunded")
        await clara.wait_for(f"Deal #{running.id} is cancelled")
        await settle_but_the_refund(m)
        got = await w.check("the freelancer cancels", {"fred": 1, "clara": 1}, settle=False)
        assert "as soon as your Stars are back" in got["clara"][0].text
        held.release()
        await clara.wait_for("Telegram returned 150 ⭐")
        await w.check("Telegram returns the Stars", {"clara": 1})

        # --- a job taken down while its deal waits for payment ------------------------------
        job5 = await f.job(svc, CLIENT)
        bid5 = await f.bid(svc, job5.id, FREELANCER)
        await deals.hire(svc, CLIENT, bid5.id)
        await m.settle()
        w.mark()
        await mia.send(f"/removejob {job5.id} Spam", chat=GROUP)
        await clara.wait_for(f"The moderators took down your Job #{job5.id}")
        got = await w.check("a moderator takes the job down", {"clara": 1, "fred": 1})
        assert "is called off" in got["clara"][0].text  # the deal, in the same message

        # --- the scheduler releases a delivered deal ------------------------------------------
        await f.delivered_deal(svc, freelancer=FREELANCER2)
        await m.settle()
        w.mark()
        m.clock.advance(REVIEW + 1)
        await m.app.bot_data["deadlines"].tick()
        await w.check("the review window ends", {"clara": 1, "gina": 1})

        assert len(w.log) == 23, w.log


async def settle_but_the_refund(m: Market) -> None:
    """Everything queued is sent except the held refundStarPayment call."""
    import asyncio

    for _ in range(100):
        async with m.svc.read() as tx:
            due = [r["key"] for r in await tx.outbox.due(tx.now, 50)]
        if due == ["refund_star"]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"still due: {due}")


async def test_the_rest_of_the_loop_is_one_message_per_event_too(tmp_path) -> None:
    """The steps the main walk does not take: an NDA declined, a trial, a bid withdrawn or
    declined, a job closed, a deadline extended, a dispute opened by the client (its opener
    used to get two messages), evidence, a moderator's release."""
    async with Market(tmp_path) as m:
        p = await meet(m)
        clara, fred, gina, mia = p["clara"], p["fred"], p["gina"], p["mia"]
        w = Walk(m, p)
        svc = m.svc
        job = await f.job(svc, CLIENT, brief="The secret part", nda_required=True)
        fred_bid = await f.bid(svc, job.id, FREELANCER)
        gina_bid = await f.bid(svc, job.id, FREELANCER2)
        await m.settle()
        w.mark()

        await clara.send(f"/shortlist {gina_bid.id}")
        await clara.wait_for(f"Bid #{gina_bid.id} is shortlisted")
        got = await w.check("shortlist with an NDA", {"clara": 1, "gina": 1})
        await gina.press(got["gina"][0], "Decline")
        await gina.wait_for(f"You declined the NDA of Job #{job.id}")
        await w.check("the NDA declined", {"gina": 1, "clara": 1})
        await clara.send(f"/shortlist {fred_bid.id}")
        await clara.wait_for(f"Bid #{fred_bid.id} is shortlisted")
        await w.check("shortlist", {"clara": 1, "fred": 1})
        await clara.send(f"/trial {fred_bid.id} Write a small vector with tests")
        await clara.wait_for("Trial #1 is sent")
        await w.check("a trial asked", {"clara": 1, "fred": 1})
        await fred.send(f"/withdraw {fred_bid.id}")
        await fred.wait_for(f"Bid #{fred_bid.id} on Job #{job.id} is withdrawn")
        await w.check("a bid withdrawn", {"fred": 1, "clara": 1})

        job2 = await f.job(svc, CLIENT)
        declined = await f.bid(svc, job2.id, FREELANCER)
        await f.bid(svc, job2.id, FREELANCER2)
        await m.settle()
        w.mark()
        await clara.send(f"/decline {declined.id} Too expensive")
        await clara.wait_for(f"Bid #{declined.id} is declined")
        await w.check("a bid declined", {"clara": 1, "fred": 1})
        await clara.send(f"/closejob {job2.id}")
        await clara.wait_for(f"Job #{job2.id} is closed")
        await w.check("a job closed", {"clara": 1, "gina": 1})

        deal = await f.funded_deal(svc)
        await m.settle()
        w.mark()
        await clara.send(f"/extend {deal.id} 2d")
        await clara.wait_for(f"Deal #{deal.id}: delivery is now due")
        await w.check("more time", {"clara": 1, "fred": 1})
        await clara.send(f"/dispute {deal.id} Nothing delivered yet")
        await clara.wait_for(f"Dispute opened on Deal #{deal.id}")
        await mia.wait_for(f"Dispute on Deal #{deal.id}", chat=GROUP)
        await w.check("the client opens a dispute", {"clara": 1, "fred": 1})
        await clara.send(f"/evidence {deal.id} Here is my side")
        await clara.wait_for(f"Added to the dispute on Deal #{deal.id}")
        await w.check("evidence", {"clara": 1})
        await mia.send(f"/resolve {deal.id} release", chat=GROUP)
        await fred.wait_for(f"The moderators decided Deal #{deal.id}")
        await w.check("a moderator releases", {"clara": 1, "fred": 1})

        assert len(w.log) == 11, w.log
