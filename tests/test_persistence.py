"""SqlitePersistence: user_data and conversation states survive a new instance (a restart)."""

from __future__ import annotations

import pytest
from telegram.ext import ConversationHandler

from bot.storage.db import Database
from bot.storage.persistence import SqlitePersistence


@pytest.fixture
def path(tmp_path):
    return tmp_path / "market.db"


async def test_user_data_round_trip(path):
    first = SqlitePersistence(path)
    assert await first.get_user_data() == {}
    draft = {"post": {"step": "budget", "title": "Logo <b>", "answers": {"pages": 3, "ok": True}}}
    await first.update_user_data(1001, draft)
    await first.update_user_data(2001, {"bid": {"job": 7, "amount": 150}})
    await first.update_user_data(2001, {"bid": {"job": 7, "amount": 200}})
    await first.flush()

    second = SqlitePersistence(path)
    assert await second.get_user_data() == {
        1001: draft,
        2001: {"bid": {"job": 7, "amount": 200}},
    }
    await second.drop_user_data(1001)
    await second.update_user_data(2001, {})  # emptied: no row is kept
    await second.flush()

    third = SqlitePersistence(path)
    assert await third.get_user_data() == {}
    await third.flush()


async def test_conversations_round_trip(path):
    first = SqlitePersistence(path)
    assert await first.get_conversations("post_job") == {}
    await first.update_conversation("post_job", (1001, 1001), "post.budget")
    await first.update_conversation("post_job", (1002, 1002), "post.title")
    await first.update_conversation("post_job", (1002, 1002), "post.description")
    await first.update_conversation("bid", (2001, 2001), "bid.days")
    await first.update_conversation("post_job", (1003, 1003), "post.cat")
    await first.update_conversation("post_job", (1003, 1003), None)  # ended
    await first.flush()

    second = SqlitePersistence(path)
    assert await second.get_conversations("post_job") == {
        (1001, 1001): "post.budget",
        (1002, 1002): "post.description",
    }
    assert await second.get_conversations("bid") == {(2001, 2001): "bid.days"}
    assert await second.get_conversations("profile") == {}
    await second.flush()


async def test_not_stored_and_not_json(path):
    p = SqlitePersistence(path)
    assert p.store_data.user_data and not p.store_data.bot_data
    assert not p.store_data.chat_data and not p.store_data.callback_data
    assert await p.get_bot_data() == {}
    assert await p.get_chat_data() == {}
    assert await p.get_callback_data() is None
    await p.update_bot_data({"rt": object()})  # never written anywhere
    await p.update_chat_data(1, {"busy": {"post"}})
    with pytest.raises(TypeError, match="JSON"):
        await p.update_user_data(1, {"x": object()})
    await p.flush()


async def test_shares_the_app_database(path):
    """The tables come from migration 0002, next to the marketplace's own tables, whichever
    connection opens the file first."""
    p = SqlitePersistence(path)
    await p.update_conversation("post_job", (5, 5), "post.files")
    db = await Database(path).connect()
    async with db.read(0) as tx:
        rows = await tx.fetchall("SELECT name, key, state FROM ptb_conversations")
        assert [tuple(r) for r in rows] == [("post_job", "[5,5]", '"post.files"')]
        assert await tx.fetchone("SELECT count(*) FROM users") is not None
    await db.close()
    await p.flush()


async def test_application_restart_keeps_conversation(path):
    """Through PTB itself: the state a ConversationHandler had is loaded back."""
    from telegram.ext import ApplicationBuilder, CommandHandler

    async def noop(update, context):  # pragma: no cover - never called
        return "s"

    def build():
        app = (
            ApplicationBuilder()
            .token("123:TEST")
            .persistence(SqlitePersistence(path, update_interval=0.1))
            .build()
        )
        conv = ConversationHandler(
            entry_points=[CommandHandler("go", noop)],
            states={"s": [CommandHandler("go", noop)]},
            fallbacks=[],
            name="demo",
            persistent=True,
        )
        app.add_handler(conv)
        return app, conv

    app, _conv = build()
    await app.persistence.update_conversation("demo", (7, 7), "s")
    await app.persistence.update_user_data(7, {"demo": {"n": 1}})
    await app.persistence.flush()
    app2, conv2 = build()
    # initialize() loads conversations and user_data; the bot itself is never contacted here.
    await app2._initialize_persistence()
    await app2._add_ch_to_persistence(conv2)
    assert app2.user_data[7] == {"demo": {"n": 1}}
    assert conv2._conversations.get((7, 7)) == "s"
    await app2.persistence.flush()
