"""End-to-end tests of the loopback Bot API server with a real, unmodified PTB Application."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import html
import socket
import warnings
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
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

from bot.transport import AiohttpRequest
from sandbox.botapi import (
    BotApiServer,
    SandboxEvent,
    SimMessage,
    entities_to_html,
    parse_html,
    parse_markdown_v2,
)

TOKEN = "123456:TEST-sandbox-token"
GROUP_ID = -1001234567890


# --------------------------------------------------------------------------------------
# A small bot under test
# --------------------------------------------------------------------------------------


async def cmd_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(f"Welcome, {update.effective_user.first_name}!")


async def cmd_echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_html(f"<b>echo</b>: {' '.join(context.args)}")


async def cmd_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Yes", callback_data="answer:yes"),
                InlineKeyboardButton("No", callback_data="answer:no"),
            ],
            [InlineKeyboardButton("Docs", url="https://example.org/docs")],
        ]
    )
    await update.effective_message.reply_text("Do you agree?", reply_markup=keyboard)


async def on_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    choice = query.data.split(":", 1)[1]
    context.bot_data.setdefault("answers", []).append((query.from_user.id, choice))
    await query.answer(f"Noted: {choice}")
    await query.edit_message_text(f"You chose <i>{choice}</i>", parse_mode=ParseMode.HTML)


async def cmd_buy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    payload = context.args[0] if context.args else "order-1"
    await context.bot.send_invoice(
        chat_id=update.effective_chat.id,
        title="Premium listing",
        description="Pin your job post for 7 days",
        payload=payload,
        provider_token="",
        currency="XTR",
        prices=[LabeledPrice("Premium", 50)],
    )


async def on_pre_checkout(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.pre_checkout_query
    if query.invoice_payload.startswith("reject"):
        await query.answer(ok=False, error_message="This offer has expired")
    else:
        await query.answer(ok=True)


async def on_paid(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    payment = update.effective_message.successful_payment
    context.bot_data.setdefault("payments", []).append(payment)
    await update.effective_message.reply_text(
        f"Paid {payment.total_amount} {payment.currency} for {payment.invoice_payload}"
    )


async def cmd_refund(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    charge_id = context.args[0]
    await context.bot.refund_star_payment(update.effective_user.id, charge_id)
    await update.effective_message.reply_text("Refunded")


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    doc = update.effective_message.document
    tg_file = await context.bot.get_file(doc.file_id)
    data = await tg_file.download_as_bytearray()
    await update.effective_message.reply_text(
        f"Got {doc.file_name}: {len(data)} bytes, starts with {bytes(data[:5]).decode()}"
    )


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(f"you said: {update.effective_message.text}")


def build_app(server: BotApiServer, transport: str = "httpx") -> Application:
    """PTB's own transport (httpx) or the marketplace's (bot/transport.py): every test of
    this file runs over both, so the two must behave alike."""
    builder = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
    )
    if transport == "aiohttp":
        builder = builder.request(AiohttpRequest()).get_updates_request(AiohttpRequest())
    app = builder.build()
    app.add_handler(CommandHandler("start", cmd_start))
    app.add_handler(CommandHandler("echo", cmd_echo))
    app.add_handler(CommandHandler("menu", cmd_menu))
    app.add_handler(CommandHandler("buy", cmd_buy))
    app.add_handler(CommandHandler("refund", cmd_refund))
    app.add_handler(CallbackQueryHandler(on_answer, pattern=r"^answer:"))
    app.add_handler(PreCheckoutQueryHandler(on_pre_checkout))
    app.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT, on_paid))
    app.add_handler(MessageHandler(filters.Document.ALL, on_document))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    return app


@contextlib.asynccontextmanager
async def running(app: Application) -> AsyncIterator[Application]:
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


@pytest_asyncio.fixture
async def server() -> AsyncIterator[BotApiServer]:
    async with BotApiServer(token=TOKEN, bot_username="market_bot") as srv:
        yield srv


@pytest_asyncio.fixture(params=["httpx", "aiohttp"])
async def app(server: BotApiServer, request: pytest.FixtureRequest) -> AsyncIterator[Application]:
    async with running(build_app(server, request.param)) as application:
        yield application


def retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB warns that retry_after will become a timedelta
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


# --------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_command_round_trip(server: BotApiServer, app: Application) -> None:
    alice = server.add_user(1001, "Alice", username="alice")
    await alice.send("/start")
    reply = await alice.wait_for("Welcome")
    assert reply.text == "Welcome, Alice!"
    assert reply.from_bot

    await alice.send("/echo hello")
    echoed = await alice.wait_for("echo")
    assert echoed.text == "echo: hello"
    assert [m.text for m in alice.messages] == ["Welcome, Alice!", "echo: hello"]
    assert server.call_count("getMe") >= 1
    assert server.call_count("getUpdates") >= 1


@pytest.mark.asyncio
async def test_echo_html_visible_text_and_raw_html(server: BotApiServer, app: Application) -> None:
    alice = server.add_user(1001, "Alice")
    await alice.send("/echo hello world")
    msg = await alice.wait_for("echo")
    assert msg.text == "echo: hello world"
    assert msg.html == "<b>echo</b>: hello world"
    assert msg.entities == [{"offset": 0, "length": 4, "type": "bold"}]
    assert alice.messages[-1].message_id == msg.message_id


@pytest.mark.asyncio
async def test_bad_html_from_handler_is_reported(server: BotApiServer, app: Application) -> None:
    alice = server.add_user(1001, "Alice")
    await alice.send("/echo a <tag>")
    await server.wait_for_call("sendMessage", lambda p: "<tag>" in p.get("text", ""))
    failed = server.failed_calls()
    assert failed and failed[-1].status == 400
    assert "can't parse entities" in failed[-1].description
    assert alice.messages == []


@pytest.mark.asyncio
async def test_limits_and_bad_html(server: BotApiServer, app: Application) -> None:
    alice = server.add_user(1001, "Alice", started=True)
    bot = app.bot
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(alice.id, "x" * 5000)
    # 4096 visible characters are fine even if the HTML source is longer
    await bot.send_message(alice.id, "<b>" + "y" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(alice.id, "<b> </b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Can't parse entities: unsupported start tag"):
        await bot.send_message(alice.id, "Hello <br> there", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(alice.id, "<b>bold <i>both</b></i>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(alice.id, "Tom & Jerry", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(alice.id, "price 1.5", parse_mode=ParseMode.MARKDOWN_V2)
    ok = await bot.send_message(
        alice.id, "Tom &amp; Jerry &lt;3 &#128512;", parse_mode=ParseMode.HTML
    )
    assert ok.text == "Tom & Jerry <3 😀"
    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.send_document(alice.id, b"data", filename="a.txt", caption="c" * 1025)


@pytest.mark.asyncio
async def test_callback_data_over_64_bytes(server: BotApiServer, app: Application) -> None:
    alice = server.add_user(1001, "Alice", started=True)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="é" * 32 + "x")]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await app.bot.send_message(alice.id, "choose", reply_markup=markup)
    fine = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="é" * 32)]])
    await app.bot.send_message(alice.id, "choose", reply_markup=fine)
    assert alice.messages[-1].buttons[0].callback_data == "é" * 32


@pytest.mark.asyncio
async def test_press_button_reaches_handler(server: BotApiServer, app: Application) -> None:
    alice = server.add_user(1001, "Alice")
    await alice.send("/menu")
    menu = await alice.wait_for("Do you agree?")
    assert [[b.text for b in row] for row in menu.reply_markup] == [["Yes", "No"], ["Docs"]]
    assert menu.reply_markup[1][0].url == "https://example.org/docs"

    press = await alice.press(menu, "Yes")
    answer = await press.wait_answer()
    assert answer["text"] == "Noted: yes"
    edited = await alice.wait_for("You chose")
    assert edited.text == "You chose yes"
    assert edited.html == "You chose <i>yes</i>"
    assert edited.message_id == menu.message_id
    assert edited.reply_markup == []  # edit without reply_markup drops the keyboard
    assert alice.messages[-1].edited == 1
    assert server.call_count("answerCallbackQuery") == 1
    assert app.bot_data["answers"] == [(1001, "yes")]

    with pytest.raises(AssertionError, match="no inline keyboard"):
        await alice.press(menu, "No")


@pytest.mark.asyncio
async def test_press_unknown_button_is_a_clear_error(
    server: BotApiServer, app: Application
) -> None:
    alice = server.add_user(1001, "Alice")
    await alice.send("/menu")
    menu = await alice.wait_for("Do you agree?")
    with pytest.raises(AssertionError, match="no inline button 'Maybe'"):
        await alice.press(menu, "Maybe")
    with pytest.raises(AssertionError, match="not a callback button"):
        await alice.press(menu, "Docs")
    press = await alice.press(menu, "answer:no")  # by callback_data
    assert (await press.wait_answer())["text"] == "Noted: no"


@pytest.mark.asyncio
async def test_edit_errors(server: BotApiServer, app: Application) -> None:
    alice = server.add_user(1001, "Alice", started=True)
    sent = await app.bot.send_message(alice.id, "<b>Status</b>: open", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message is not modified"):
        await app.bot.edit_message_text(
            "<b>Status</b>: open", alice.id, sent.message_id, parse_mode="HTML"
        )
    # different markup but same visible text is still "not modified"
    with pytest.raises(BadRequest, match="Message is not modified"):
        await app.bot.edit_message_text(
            "<strong>Status</strong>: open", alice.id, sent.message_id, parse_mode="HTML"
        )
    await app.bot.edit_message_text("Status: closed", alice.id, sent.message_id)
    assert alice.messages[-1].text == "Status: closed"
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await app.bot.edit_message_text("x", alice.id, 9999)
    await app.bot.delete_message(alice.id, sent.message_id)
    assert alice.messages == []
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await app.bot.delete_message(alice.id, sent.message_id)


@pytest.mark.asyncio
async def test_forbidden_and_unknown_chats(server: BotApiServer, app: Application) -> None:
    stranger = server.add_user(2002, "Stranger")
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await app.bot.send_message(stranger.id, "hi")

    bob = server.add_user(2003, "Bob")
    await bob.send("/start")
    await bob.wait_for("Welcome")
    bob.block()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await app.bot.send_message(bob.id, "are you there?")
    bob.unblock()
    await app.bot.send_message(bob.id, "welcome back")
    assert bob.messages[-1].text == "welcome back"

    with pytest.raises(BadRequest, match="Chat not found"):
        await app.bot.send_message(424242, "hello?")


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_injected_faults(server: BotApiServer, app: Application) -> None:
    alice = server.add_user(1001, "Alice", started=True)
    server.flood("sendMessage", retry_after=7)
    with pytest.raises(RetryAfter) as info:
        await app.bot.send_message(alice.id, "first")
    assert retry_seconds(info.value) == 7
    await app.bot.send_message(alice.id, "second")  # only the next call was affected

    server.fail_next("sendMessage", status=500)
    with pytest.raises(NetworkError):
        await app.bot.send_message(alice.id, "third")
    server.drop_next("sendMessage")
    with pytest.raises(NetworkError):
        await app.bot.send_message(alice.id, "fourth")
    assert [m.text for m in alice.messages] == ["second"]
    assert server.call_count("sendMessage") == 4
    assert server.call_count("sendMessage", ok_only=True) == 1

    with pytest.raises(Exception, match="not found"):
        await app.bot.do_api_request("noSuchMethod")


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_automatic_flood_control_for_groups(server: BotApiServer, app: Application) -> None:
    server.add_chat(GROUP_ID, "supergroup", title="Devs", members={1001: "member"})
    server.flood_control = True
    server.group_rate_per_minute = 3
    for i in range(3):
        await app.bot.send_message(GROUP_ID, f"post {i}")
    with pytest.raises(RetryAfter) as info:
        await app.bot.send_message(GROUP_ID, "one too many")
    assert 1 <= retry_seconds(info.value) <= 60
    assert len(server.chat_messages(GROUP_ID)) == 3


@pytest.mark.asyncio
async def test_stars_invoice_pay_and_refund(server: BotApiServer, app: Application) -> None:
    alice = server.add_user(1001, "Alice")
    await alice.send("/buy listing-42")
    invoice = await alice.wait_for(lambda m: m.invoice is not None)
    assert invoice.invoice["currency"] == "XTR"
    assert invoice.invoice["total_amount"] == 50
    assert invoice.buttons[0].pay

    paid = await alice.pay(invoice)
    assert isinstance(paid, SimMessage)
    charge_id = paid.successful_payment["telegram_payment_charge_id"]
    await alice.wait_for("Paid 50 XTR for listing-42")
    assert app.bot_data["payments"][0].telegram_payment_charge_id == charge_id

    await alice.send(f"/refund {charge_id}")
    await alice.wait_for("Refunded")
    assert server.call_count("refundStarPayment") == 1
    assert server.charges[charge_id].refunded
    with pytest.raises(BadRequest, match="Charge_already_refunded"):
        await app.bot.refund_star_payment(alice.id, charge_id)
    with pytest.raises(BadRequest, match="Charge_not_found"):
        await app.bot.refund_star_payment(alice.id, "stx-unknown")

    # the bot declines a pre-checkout query
    await alice.send("/buy reject-7")
    second = await alice.wait_for(lambda m: m.invoice is not None)
    assert await alice.pay(second) == "This offer has expired"

    # a replayed (duplicate) successful payment reaches the bot again
    await alice.send_successful_payment("listing-42", 50, "XTR", charge_id)
    await alice.wait_for("Paid 50 XTR for listing-42")
    assert len(app.bot_data["payments"]) == 2


@pytest.mark.asyncio
async def test_invoice_validation(server: BotApiServer, app: Application) -> None:
    alice = server.add_user(1001, "Alice", started=True)
    kwargs = {"chat_id": alice.id, "title": "T", "description": "D", "payload": "p"}
    with pytest.raises(BadRequest):
        await app.bot.send_invoice(
            **kwargs, provider_token="tok", currency="XTR", prices=[LabeledPrice("a", 5)]
        )
    with pytest.raises(BadRequest):
        await app.bot.send_invoice(
            **kwargs,
            provider_token="",
            currency="XTR",
            prices=[LabeledPrice("a", 5), LabeledPrice("b", 5)],
        )
    with pytest.raises(BadRequest):
        await app.bot.send_invoice(
            **kwargs, provider_token="", currency="USD", prices=[LabeledPrice("a", 500)]
        )
    link = await app.bot.create_invoice_link(
        title="T",
        description="D",
        payload="link-1",
        provider_token="",
        currency="XTR",
        prices=[LabeledPrice("a", 5)],
    )
    assert link.startswith("https://t.me/$")
    paid = await alice.pay(link)
    assert isinstance(paid, SimMessage)
    assert paid.successful_payment["invoice_payload"] == "link-1"
    # let the bot finish handling before teardown (stopping PTB mid-fetch loses the update)
    await alice.wait_for("Paid 5 XTR for link-1")


@pytest.mark.asyncio
async def test_document_upload_and_download(server: BotApiServer, app: Application) -> None:
    alice = server.add_user(1001, "Alice")
    await alice.send_document("brief.txt", b"hello world, this is the brief", caption="spec")
    reply = await alice.wait_for("Got brief.txt")
    assert reply.text == "Got brief.txt: 30 bytes, starts with hello"
    assert server.call_count("getFile") == 1

    sent = await app.bot.send_document(
        alice.id,
        b"%PDF-1.4 fake",
        filename="invoice.pdf",
        caption="<b>Invoice</b>",
        parse_mode="HTML",
    )
    msg = alice.messages[-1]
    assert msg.document["file_name"] == "invoice.pdf"
    assert msg.text == "Invoice"
    assert server.files[msg.document["file_id"]].content == b"%PDF-1.4 fake"
    data = await (await app.bot.get_file(sent.document.file_id)).download_as_bytearray()
    assert bytes(data) == b"%PDF-1.4 fake"
    # re-sending by file_id works; copy keeps the content
    await app.bot.send_document(alice.id, sent.document.file_id)
    copied = await app.bot.copy_message(alice.id, alice.id, sent.message_id)
    assert server.message(alice.id, copied.message_id).document["file_id"] == (
        sent.document.file_id
    )


@pytest.mark.asyncio
async def test_two_users_chat_concurrently(server: BotApiServer, app: Application) -> None:
    alice = server.add_user(1001, "Alice")
    bob = server.add_user(1002, "Bob")

    async def chat(user, tag: str) -> list[str]:
        got = []
        for i in range(5):
            await user.send(f"{tag}-{i}")
            msg = await user.wait_for(f"you said: {tag}-{i}")
            got.append(msg.text)
        return got

    alice_got, bob_got = await asyncio.gather(chat(alice, "apple"), chat(bob, "banana"))
    assert alice_got == [f"you said: apple-{i}" for i in range(5)]
    assert bob_got == [f"you said: banana-{i}" for i in range(5)]
    assert all("banana" not in m.text for m in alice.messages)
    assert all("apple" not in m.text for m in bob.messages)


@pytest.mark.asyncio
async def test_group_chat_and_members(server: BotApiServer, app: Application) -> None:
    alice = server.add_user(1001, "Alice")
    server.add_user(1002, "Bob")
    server.add_chat(
        GROUP_ID, "supergroup", title="Freelancers", members={1001: "creator", 1002: "member"}
    )
    await alice.send("/echo@market_bot group hi", chat=GROUP_ID)
    msg = await alice.wait_for("echo: group hi", chat=GROUP_ID)
    assert msg.chat_id == GROUP_ID
    assert alice.messages == []  # nothing in the private chat

    member = await app.bot.get_chat_member(GROUP_ID, 1002)
    assert member.status == "member"
    owner = await app.bot.get_chat_member(GROUP_ID, 1001)
    assert owner.status == "creator"
    me = await app.bot.get_chat_member(GROUP_ID, app.bot.id)
    assert me.status == "administrator"
    server.set_member(GROUP_ID, 1002, "left")
    assert (await app.bot.get_chat_member(GROUP_ID, 1002)).status == "left"
    chat = await app.bot.get_chat(GROUP_ID)
    assert chat.title == "Freelancers"


@pytest.mark.asyncio
async def test_commands_and_events(server: BotApiServer, app: Application) -> None:
    queue = server.subscribe()
    await app.bot.set_my_commands([("start", "Start"), ("menu", "Menu")])
    await app.bot.set_my_commands([("start", "Старт")], language_code="ru")
    assert [c.command for c in await app.bot.get_my_commands()] == ["start", "menu"]
    assert [c.description for c in await app.bot.get_my_commands(language_code="ru")] == ["Старт"]
    with pytest.raises(BadRequest):
        await app.bot.set_my_commands([("Bad Command", "x")])

    alice = server.add_user(1001, "Alice")
    await alice.send("/start")
    await alice.wait_for("Welcome")
    kinds = []
    while not queue.empty():
        event: SandboxEvent = queue.get_nowait()
        kinds.append(event.kind)
    assert "user_message" in kinds and "message" in kinds

    with pytest.raises(AssertionError, match="Whole chat"):
        await alice.wait_for("never sent", timeout=0.2)


@pytest.mark.asyncio
async def test_wrong_token_and_markdown_and_replies(server: BotApiServer, app: Application) -> None:
    bad_bot = Bot("999:WRONG", base_url=server.base_url, base_file_url=server.base_file_url)
    with pytest.raises(InvalidToken):
        await bad_bot.get_me()

    alice = server.add_user(1001, "Alice")
    question = await alice.send("hello there")
    await alice.wait_for("you said: hello there")
    await app.bot.send_message(alice.id, "quoted", reply_to_message_id=question.message_id)
    assert alice.messages[-1].reply_to_message_id == question.message_id

    sent = await app.bot.send_message(
        alice.id, r"*Budget:* 1\.5k \- _fixed_", parse_mode=ParseMode.MARKDOWN_V2
    )
    assert sent.text == "Budget: 1.5k - fixed"
    assert alice.messages[-1].html == "<b>Budget:</b> 1.5k - <i>fixed</i>"

    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await app.bot.send_message(alice.id, "x", reply_to_message_id=777)


@pytest.mark.asyncio
async def test_privacy_mode_in_groups(server: BotApiServer, app: Application) -> None:
    server.privacy_mode = True
    alice = server.add_user(1001, "Alice")
    server.add_chat(GROUP_ID, "group", members={1001: "member"}, bot_status="member")
    await alice.send("just chatting", chat=GROUP_ID)
    await alice.send("/echo seen", chat=GROUP_ID)
    msg = await alice.wait_for("echo", chat=GROUP_ID)
    assert msg.text == "echo: seen"
    assert [m.text for m in server.chat_messages(GROUP_ID)] == ["echo: seen"]
    assert len(server.chat_messages(GROUP_ID, include_user=True)) == 3


def test_parse_html_examples() -> None:
    text, entities = parse_html(
        '<b>bold</b> <a href="https://t.me/x?a=1&amp;b=2">link</a> '
        "<tg-spoiler>s</tg-spoiler> <blockquote expandable>q</blockquote>"
    )
    assert text == "bold link s q"
    assert [e["type"] for e in entities] == [
        "bold",
        "text_link",
        "spoiler",
        "expandable_blockquote",
    ]
    assert entities[1]["url"] == "https://t.me/x?a=1&b=2"
    # offsets are UTF-16 code units
    _, emoji_entities = parse_html("😀 <i>x</i>")
    assert emoji_entities == [{"offset": 3, "length": 1, "type": "italic"}]
    assert parse_markdown_v2(r"\_a\_")[0] == "_a_"


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_escaped_text_round_trips(text: str) -> None:
    visible, entities = parse_html(html.escape(text, quote=False))
    assert (visible, entities) == (text, [])
    assert entities_to_html(visible, entities) == html.escape(text, quote=False)


# --------------------------------------------------------------------------------------
# The marketplace's transport (bot/transport.py) where the two transports differ in code
# --------------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_slow_answer_is_timed_out_and_refused_connection_is_network_error(
    server: BotApiServer, transport: str
) -> None:
    alice = server.add_user(1001, "Alice", started=True)
    async with build_app(server, transport) as application:
        bot = application.bot
        server.inject_fault("sendMessage", status=None, delay=1.0)
        with pytest.raises(TimedOut):
            await bot.send_message(alice.id, "slow", read_timeout=0.2)
        await asyncio.sleep(1.0)  # the server's late answer lands after the bot gave up
        await bot.send_message(alice.id, "next")  # the pool recovered
        assert alice.messages[-1].text == "next"

    refused = BotApiServer(token=TOKEN)  # never started: nothing listens on its port
    refused.port = _free_port()
    with pytest.raises(NetworkError):  # initialize() asks getMe first
        async with build_app(refused, transport):
            pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.asyncio
async def test_marketplace_uses_aiohttp_transport(tmp_path) -> None:
    from bot.app import build_application
    from bot.config import Settings

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        bot_token=TOKEN,
        bot_api_base_url="http://127.0.0.1:1/bot",
        database_url=f"sqlite:///{tmp_path / 'm.db'}",
    )
    application = build_application(settings)
    assert isinstance(application.bot.request, AiohttpRequest)
