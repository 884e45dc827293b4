"""HTTP tests of the sandbox chat page's API (sandbox/web.py).

Two layers:

* the web app in front of the loopback Bot API server with a tiny PTB bot of our own, so
  every endpoint (send, reply, upload, press, pay, clock, events, guards) is checked
  against exactly known answers;
* the whole sandbox (sandbox/run.py) with the real marketplace bot, over real HTTP.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LabeledPrice, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from bot.services.base import Clock
from sandbox.botapi import BotApiServer
from sandbox.web import Persona, SandboxWeb

TOKEN = "424242:WEB-TEST"
GROUP = -1009000000001
ALICE = Persona(101, "Alice", "alice", "en", "client")
BORIS = Persona(102, "Борис", "boris", "ru", "freelancer")
HEADERS = {"X-Sandbox": "1"}


# --------------------------------------------------------------------------------------
# A tiny bot with exactly known answers
# --------------------------------------------------------------------------------------


async def on_start(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Yes", callback_data="yes")],
            [InlineKeyboardButton("Docs", url="https://example.org/docs")],
        ]
    )
    name = update.effective_user.first_name
    await update.effective_message.reply_text(
        f"Hello <b>{name}</b> &lt;3", parse_mode=ParseMode.HTML, reply_markup=keyboard
    )


async def on_yes(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer("Noted")
    await update.callback_query.edit_message_text("You said <i>yes</i>", parse_mode="HTML")


async def on_invoice(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_invoice(
        "Deal #7", "Escrow for Job #3", "deal:7", "XTR", [LabeledPrice("Deal #7", 25)]
    )


async def on_pre_checkout(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.pre_checkout_query.answer(ok=True)


async def on_paid(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    paid = update.effective_message.successful_payment
    await update.effective_message.reply_text(
        f"Paid {paid.total_amount} for {paid.invoice_payload}"
    )


async def on_document(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    doc = update.effective_message.document
    data = await (await doc.get_file()).download_as_bytearray()
    caption = update.effective_message.caption or "-"
    await update.effective_message.reply_text(
        f"Got {doc.file_name} ({len(data)} bytes, {doc.mime_type}) caption={caption}"
    )


async def on_text(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    msg = update.effective_message
    if msg.reply_to_message is not None:
        await msg.reply_text(f"You replied to #{msg.reply_to_message.message_id}: {msg.text}")
    else:
        await msg.reply_text(f"Echo: {msg.text}")


def tiny_bot(server: BotApiServer) -> Application:
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(CommandHandler("invoice", on_invoice))
    app.add_handler(CallbackQueryHandler(on_yes, pattern="^yes$"))
    app.add_handler(PreCheckoutQueryHandler(on_pre_checkout))
    app.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT, on_paid))
    app.add_handler(MessageHandler(filters.Document.ALL, on_document))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    return app


class Env:
    def __init__(self, server: BotApiServer, web: SandboxWeb, client: TestClient) -> None:
        self.server = server
        self.web = web
        self.client = client
        self.clock: Clock = web.clock  # type: ignore[assignment]

    async def get(self, path: str, status: int = 200) -> Any:
        resp = await self.client.get(path)
        assert resp.status == status, await resp.text()
        return await resp.json()

    async def post(self, path: str, body: dict, status: int = 200) -> Any:
        resp = await self.client.post(path, json=body, headers=HEADERS)
        assert resp.status == status, await resp.text()
        return await resp.json()

    async def messages(self, chat: int) -> list[dict]:
        return (await self.get(f"/api/chats/{chat}/messages"))["messages"]

    async def wait_message(
        self,
        chat: int,
        predicate: Callable[[dict], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> dict:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            for msg in await self.messages(chat):
                if predicate(msg):
                    return msg
            if loop.time() > end:
                raise AssertionError(f"no such message in chat {chat}: {await self.messages(chat)}")
            await asyncio.sleep(0.05)


class EventStream:
    """Reads the page's Server-Sent Events."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self.seen: list[dict] = []

    async def next(self, predicate: Callable[[dict], bool], timeout: float = 5.0) -> dict:  # noqa: ASYNC109
        async def read() -> dict:
            while True:
                line = await self.response.content.readline()
                if not line:
                    raise AssertionError(f"event stream closed; seen {self.seen}")
                text = line.decode().rstrip("\n")
                if not text.startswith("data: "):
                    continue
                event = json.loads(text[len("data: ") :])
                self.seen.append(event)
                if predicate(event):
                    return event

        try:
            return await asyncio.wait_for(read(), timeout)
        except TimeoutError:
            raise AssertionError(f"no matching event within {timeout}s; seen {self.seen}") from None


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    server = BotApiServer(token=TOKEN, bot_username="tiny_bot")
    await server.start()
    for p in (ALICE, BORIS):
        server.add_user(p.user_id, p.name, p.username, p.language, started=True)
    server.add_chat(GROUP, "supergroup", "Moderators", {BORIS.user_id: "member"})
    app = tiny_bot(server)
    await app.initialize()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()
    web = SandboxWeb(server, [ALICE, BORIS], group_ids=[GROUP], clock=Clock())
    client = TestClient(TestServer(web.app(), host="127.0.0.1"))
    await client.start_server()
    try:
        yield Env(server, web, client)
    finally:
        await client.close()
        await web.stop()
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        await server.stop()


async def open_stream(env: Env) -> EventStream:
    resp = await env.client.get("/api/events")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/event-stream")
    stream = EventStream(resp)
    await stream.next(lambda e: e["kind"] == "hello")
    return stream


# --------------------------------------------------------------------------------------
# The web layer
# --------------------------------------------------------------------------------------


async def test_personas_and_chats_are_listed(env: Env) -> None:
    personas = (await env.get("/api/personas"))["personas"]
    assert [(p["user_id"], p["name"], p["language"], p["role"]) for p in personas] == [
        (101, "Alice", "en", "client"),
        (102, "Борис", "ru", "freelancer"),
    ]
    state = await env.get("/api/state")
    assert state["bot"]["username"] == "tiny_bot"
    chats = {c["id"]: c for c in state["chats"]}
    assert chats[101]["type"] == "private" and chats[101]["persona"] == 101
    assert chats[GROUP]["title"] == "Moderators"
    assert chats[GROUP]["members"] == [102]
    assert state["clock"]["offset"] == 0


async def test_send_reaches_the_bot_and_the_reply_shows_in_json_and_stream(env: Env) -> None:
    stream = await open_stream(env)
    sent = await env.post("/api/send", {"persona": 101, "chat": 101, "text": "/start"})
    assert sent["message"]["text"] == "/start" and not sent["message"]["from_bot"]

    event = await stream.next(lambda e: e["kind"] == "message" and e["chat_id"] == 101)
    reply = event["message"]
    assert reply["from_bot"] and reply["text"] == "Hello Alice <3"
    assert reply["html"] == "Hello <b>Alice</b> &lt;3"
    assert reply["buttons"] == [
        [{"text": "Yes", "type": "callback", "row": 0, "col": 0}],
        [{"text": "Docs", "type": "url", "row": 1, "col": 0, "url": "https://example.org/docs"}],
    ]
    assert any(
        e["kind"] == "user_message" and e["message"]["text"] == "/start" for e in stream.seen
    )

    msgs = await env.messages(101)
    assert [m["text"] for m in msgs] == ["/start", "Hello Alice <3"]
    assert msgs[1]["id"] == reply["id"]


async def test_reply_to_a_message(env: Env) -> None:
    await env.post("/api/send", {"persona": 101, "chat": 101, "text": "/start"})
    hello = await env.wait_message(101, lambda m: m["from_bot"])
    sent = await env.post(
        "/api/send", {"persona": 101, "chat": 101, "text": "sure", "reply_to": hello["id"]}
    )
    assert sent["message"]["reply_to"]["id"] == hello["id"]
    assert sent["message"]["reply_to"]["text"] == "Hello Alice <3"
    answer = await env.wait_message(101, lambda m: m["text"].startswith("You replied"))
    assert answer["text"] == f"You replied to #{hello['id']}: sure"
    await env.post(
        "/api/send", {"persona": 101, "chat": 101, "text": "x", "reply_to": 999}, status=404
    )


async def test_press_a_button_answers_and_edits_live(env: Env) -> None:
    stream = await open_stream(env)
    await env.post("/api/send", {"persona": 101, "chat": 101, "text": "/start"})
    hello = await env.wait_message(101, lambda m: m["from_bot"])
    result = await env.post(
        "/api/press", {"persona": 101, "chat": 101, "message": hello["id"], "row": 0, "col": 0}
    )
    assert result["ok"] and result["query_id"]
    answer = await stream.next(lambda e: e["kind"] == "callback_answer")
    assert answer["data"]["text"] == "Noted" and answer["data"]["user_id"] == 101
    edit = await stream.next(lambda e: e["kind"] == "edit")
    assert edit["message"]["id"] == hello["id"]
    assert edit["message"]["html"] == "You said <i>yes</i>"
    assert edit["message"]["edited"] == 1 and edit["message"]["buttons"] == []

    # A button that is gone now, a URL button, a button that never existed.
    gone = {"persona": 101, "chat": 101, "message": hello["id"], "row": 1, "col": 0}
    await env.post("/api/press", gone, status=400)
    await env.post("/api/press", {**gone, "row": 7}, status=400)


async def test_pay_an_invoice(env: Env) -> None:
    stream = await open_stream(env)
    await env.post("/api/send", {"persona": 101, "chat": 101, "text": "/invoice"})
    invoice = await env.wait_message(101, lambda m: m["kind"] == "invoice")
    assert invoice["invoice"] == {
        "title": "Deal #7",
        "description": "Escrow for Job #3",
        "currency": "XTR",
        "total_amount": 25,
    }
    assert invoice["buttons"][0][0]["type"] == "pay"
    paid = await env.post("/api/pay", {"persona": 101, "chat": 101, "message": invoice["id"]})
    assert paid["ok"] and paid["message"]["payment"]["total_amount"] == 25
    event = await stream.next(lambda e: e["kind"] == "message" and "Paid" in e["message"]["text"])
    assert event["message"]["text"] == "Paid 25 for deal:7"
    # The invoice's own Pay button goes the same way.
    again = await env.post(
        "/api/press", {"persona": 101, "chat": 101, "message": invoice["id"], "row": 0, "col": 0}
    )
    assert again["ok"]
    # Only invoices can be paid.
    hello = await env.post("/api/send", {"persona": 101, "chat": 101, "text": "hi"})
    await env.post(
        "/api/pay", {"persona": 101, "chat": 101, "message": hello["message"]["id"]}, status=400
    )


async def test_upload_a_file_and_download_it(env: Env) -> None:
    form = aiohttp.FormData()
    form.add_field("persona", "101")
    form.add_field("chat", "101")
    form.add_field("caption", "the draft")
    form.add_field("file", b"hello file", filename="draft.txt", content_type="text/plain")
    resp = await env.client.post("/api/upload", data=form, headers=HEADERS)
    assert resp.status == 200, await resp.text()
    sent = (await resp.json())["message"]
    assert sent["kind"] == "document" and sent["file"]["name"] == "draft.txt"
    assert sent["text"] == "the draft"
    reply = await env.wait_message(101, lambda m: m["text"].startswith("Got"))
    assert reply["text"] == "Got draft.txt (10 bytes, text/plain) caption=the draft"

    download = await env.client.get(sent["file"]["url"])
    assert download.status == 200
    assert await download.read() == b"hello file"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in download.headers["Content-Security-Policy"]

    no_file = aiohttp.FormData()
    no_file.add_field("persona", "101")
    resp = await env.client.post("/api/upload", data=no_file, headers=HEADERS)
    assert resp.status == 400


async def test_group_chat_as_a_member_only(env: Env) -> None:
    await env.post("/api/send", {"persona": 102, "chat": GROUP, "text": "hello mods"})
    echo = await env.wait_message(GROUP, lambda m: m["from_bot"])
    assert echo["text"] == "Echo: hello mods"
    msgs = await env.messages(GROUP)
    assert msgs[0]["sender"]["name"] == "Борис"
    # Alice is not in the group, and nobody writes into another persona's private chat.
    await env.post("/api/send", {"persona": 101, "chat": GROUP, "text": "hi"}, status=400)
    await env.post("/api/send", {"persona": 101, "chat": 102, "text": "hi"}, status=400)
    await env.post("/api/send", {"persona": 101, "chat": -5, "text": "hi"}, status=404)
    await env.post("/api/send", {"persona": 999, "chat": 101, "text": "hi"}, status=404)
    await env.post("/api/send", {"persona": 101, "chat": 101, "text": "  "}, status=400)


async def test_clock_fast_forward(env: Env) -> None:
    stream = await open_stream(env)
    clock = await env.post("/api/clock", {"seconds": 3600})
    assert clock["offset"] == 3600 and clock["offset_text"] == "+1h"
    assert env.clock.offset == 3600
    event = await stream.next(lambda e: e["kind"] == "clock")
    assert event["data"]["offset"] == 3600
    clock = await env.post("/api/clock", {"seconds": 86400})
    assert clock["offset"] == 90000 and clock["offset_text"] == "+1d 1h"
    assert (await env.get("/api/clock"))["offset"] == 90000
    for bad in (0, -5, "3600", 1.5, True, 10**9):
        await env.post("/api/clock", {"seconds": bad}, status=400)
    # Messages sent from now on carry the sandbox time.
    sent = await env.post("/api/send", {"persona": 101, "chat": 101, "text": "later"})
    assert sent["message"]["date"] >= clock["now"] - 5


async def test_guards(env: Env) -> None:
    # A cross-site form cannot add the header; a rebound DNS name is not loopback.
    resp = await env.client.post("/api/send", json={"persona": 101, "text": "x"})
    assert resp.status == 403
    resp = await env.client.get("/api/state", headers={"Host": "evil.example:8080"})
    assert resp.status == 403
    resp = await env.client.get("/api/state", headers={"Host": "localhost:8080"})
    assert resp.status == 200
    resp = await env.client.post("/api/send", data="not json", headers=HEADERS)
    assert resp.status == 400
    for path in ("/static/..%2Frun.py", "/static/nope.js", "/static/run.py", "/api/files/nope"):
        resp = await env.client.get(path)
        assert resp.status == 404, path


async def test_the_page_and_its_assets_are_served(env: Env) -> None:
    resp = await env.client.get("/")
    assert resp.status == 200
    html = await resp.text()
    assert "/static/app.js" in html and "/static/style.css" in html
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert "http" not in html.replace("http-equiv", "")  # nothing from the internet
    for name, ctype in (("app.js", "text/javascript"), ("style.css", "text/css")):
        resp = await env.client.get(f"/static/{name}")
        assert resp.status == 200 and resp.headers["Content-Type"].startswith(ctype)
        assert "//cdn" not in await resp.text()


# --------------------------------------------------------------------------------------
# The whole sandbox, with the real bot
# --------------------------------------------------------------------------------------


async def test_the_sandbox_with_the_real_bot(tmp_path: Path) -> None:
    from sandbox.run import MODERATOR_CHAT_ID, Sandbox

    async with (
        Sandbox(port=0, database=tmp_path / "sandbox.db", persist_clock=False) as sb,
        aiohttp.ClientSession(sb.url, headers=HEADERS) as http,
    ):
        async with http.get("/api/personas") as resp:
            personas = (await resp.json())["personas"]
        roles = sorted(p["role"] for p in personas)
        assert roles == ["client", "client", "freelancer", "freelancer", "moderator"]
        assert {p["language"] for p in personas} == {"en", "ru"}
        assert all(p["name"] and p["username"] for p in personas)
        moderator = next(p for p in personas if p["role"] == "moderator")

        async with http.get("/api/chats") as resp:
            chats = {c["id"]: c for c in (await resp.json())["chats"]}
        assert chats[MODERATOR_CHAT_ID]["members"] == [moderator["user_id"]]
        assert sb.settings().moderator_chat_id == MODERATOR_CHAT_ID
        assert sb.settings().admin_user_ids == [moderator["user_id"]]

        # Every persona has started the bot: /start went out and the bot answered.
        alice = personas[0]["user_id"]
        for p in personas:
            deadline = asyncio.get_running_loop().time() + 10
            while not any(m.from_bot for m in sb.server.chat_messages(p["user_id"])):
                assert asyncio.get_running_loop().time() < deadline, p
                await asyncio.sleep(0.05)

        async with http.get("/api/events") as events:
            stream = EventStream(events)
            await stream.next(lambda e: e["kind"] == "hello")
            async with http.post(
                "/api/send", json={"persona": alice, "chat": alice, "text": "/help"}
            ) as resp:
                assert resp.status == 200, await resp.text()
                sent = (await resp.json())["message"]
            event = await stream.next(
                lambda e: (
                    e["kind"] == "message"
                    and e["chat_id"] == alice
                    and e["message"]["id"] > sent["id"]
                ),
                timeout=10,
            )
            assert event["message"]["from_bot"] and event["message"]["text"].strip()

        async with http.get(f"/api/chats/{alice}/messages") as resp:
            msgs = (await resp.json())["messages"]
        assert any(m["id"] == event["message"]["id"] for m in msgs)

        async with http.post("/api/clock", json={"seconds": 86400}) as resp:
            assert (await resp.json())["offset"] == 86400
        assert sb.clock.offset == 86400
        assert sb.app.bot_data["rt"].svc.clock is sb.clock


async def test_command_menu_follows_telegram_scopes(env: Env) -> None:
    from telegram import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat

    app = tiny_bot(env.server)  # a second instance, only to register menus through the API
    async with app:
        await app.bot.set_my_commands([BotCommand("start", "Start")])
        await app.bot.set_my_commands(
            [BotCommand("post", "Post a job")], scope=BotCommandScopeAllPrivateChats()
        )
        await app.bot.set_my_commands(
            [BotCommand("post", "Разместить заказ")],
            scope=BotCommandScopeAllPrivateChats(),
            language_code="ru",
        )
        await app.bot.set_my_commands(
            [BotCommand("stats", "Numbers")], scope=BotCommandScopeChat(GROUP)
        )
    menu = await env.get("/api/commands?persona=101")
    assert menu["commands"] == [{"command": "post", "description": "Post a job"}]
    menu = await env.get("/api/commands?persona=102&chat=102")
    assert menu["commands"] == [{"command": "post", "description": "Разместить заказ"}]
    menu = await env.get(f"/api/commands?persona=102&chat={GROUP}")
    assert menu["commands"] == [{"command": "stats", "description": "Numbers"}]


async def test_fast_forward_from_the_page_fires_the_bots_deadlines(tmp_path: Path) -> None:
    """The sandbox's short windows and the clock control: a job with a bid, no hire, and
    +1 hour from the page (bidding window 30m) expires it; the bidder is told."""
    from sandbox.run import Sandbox

    def button(msg: Any, part: str) -> str:
        label = next((b.text for b in msg.buttons if part.lower() in b.text.lower()), None)
        assert label is not None, f"no {part!r} button on {msg.describe()}"
        return label

    async with (
        Sandbox(port=0, database=tmp_path / "sandbox.db", persist_clock=False) as sb,
        aiohttp.ClientSession(sb.url, headers=HEADERS) as http,
    ):
        alice, carol = sb.user("Alice"), sb.user("Carol")
        await carol.wait_for(lambda m: True, timeout=10)  # the answer to /start
        alice.mark_read()
        await alice.send("/post")
        msg = await alice.wait_for(lambda m: bool(m.buttons))
        await alice.press(msg, button(msg, "Other"))
        for text in (
            "Proofread a short story",
            "Proofread a 2,000 word short story for grammar and flow, track changes please.",
            "50",
            "2d",
        ):
            await alice.wait_for(lambda m: m.message_id > 0 and not m.edited)
            await alice.send(text)
        for part in ("Skip", "Done", "Publish"):
            msg = await alice.wait_for(
                lambda m, part=part: any(part.lower() in b.text.lower() for b in m.buttons)
            )
            await alice.press(msg, button(msg, part))
        await alice.wait_for("Job #1")
        await carol.send("/bid 1 45 1 Careful proofreading with tracked changes.")
        await carol.wait_for("Bid #1")
        carol.mark_read()

        svc = sb.app.bot_data["rt"].svc
        async with svc.read() as tx:
            assert (await tx.jobs.get(1)).state == "open"
        async with http.post("/api/clock", json={"seconds": 3600}) as resp:
            assert resp.status == 200
        told = await carol.wait_for("Job #1", timeout=10)
        assert told.from_bot
        async with svc.read() as tx:
            assert (await tx.jobs.get(1)).state == "expired"
