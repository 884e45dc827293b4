"""Conversation state in the database, read for every update (bot/storage/conversations.py,
bot/updates.py): it survives a restart and is shared by every process on the database."""

from __future__ import annotations

import json

import pytest

from bot.storage import open_database
from bot.storage.conversations import encode, key_text
from bot.storage.db import Database
from tests.factories import CLIENT
from tests.harness import Market, step

pytestmark = pytest.mark.usefixtures("market_engine")  # on both engines


@pytest.fixture
async def db(db_url):
    database = await open_database(db_url).connect()
    yield database
    await database.close()


async def test_states_and_user_data_round_trip(db: Database) -> None:
    key = key_text((1001, 1001))
    async with db.transaction(0) as tx:
        await tx.conversations.set_state("post_job", key, '"post.budget"')
        await tx.conversations.set_state("bid", key, '"bid.days"')
        await tx.conversations.set_state("post_job", key_text((1002, 1002)), '"post.cat"')
        await tx.conversations.set_user_data(1001, encode({"post": {"step": "budget"}}, "ud"))
    async with db.transaction(0) as tx:
        await tx.conversations.set_state("bid", key, '"bid.cover"')  # an upsert
    async with db.read(0) as tx:
        assert await tx.conversations.states(["post_job", "bid", "profile"], key) == {
            "post_job": '"post.budget"',
            "bid": '"bid.cover"',
        }
        assert json.loads(await tx.conversations.user_data(1001)) == {"post": {"step": "budget"}}
    async with db.transaction(0) as tx:
        await tx.conversations.set_state("post_job", key, None)  # the flow ended
        await tx.conversations.set_user_data(1001, "{}")  # emptied: no row is kept
    async with db.read(0) as tx:
        assert await tx.conversations.states(["post_job", "bid"], key) == {"bid": '"bid.cover"'}
        assert await tx.conversations.user_data(1001) is None
        rows = await tx.fetchall("SELECT user_id FROM ptb_user_data")
        assert rows == []


def test_only_json_is_stored() -> None:
    assert encode({"b": 1, "a": [1, "x"]}, "d") == '{"a":[1,"x"],"b":1}'  # canonical
    with pytest.raises(TypeError, match="JSON"):
        encode({"busy": {"post"}}, "user_data")


async def test_a_state_written_elsewhere_is_what_the_next_update_sees(tmp_path) -> None:
    """Another process moved Clara's flow on (its write is in the database): her next update
    is handled from there. PTB's persistence read the states once at start, so a running bot
    kept acting on what it had in memory (PTB issues #4452, #5123, #5225)."""
    async with Market(tmp_path) as m:
        clara = m.person(CLIENT, "Clara")
        await step(clara, "/post", "choose the category", buttons=True)
        await m.quiet()
        key = key_text((CLIENT, CLIENT))
        draft = {"step": "desc", "msg": None, "category": "writing", "title": "A blog post",
                 "answers": {}, "files": []}  # fmt: skip
        async with m.svc.tx() as tx:  # as another instance's handling of her title would
            await tx.conversations.set_state("post_job", key, '"post.desc"')
            await tx.conversations.set_user_data(CLIENT, encode({"post": draft}, "ud"))
        msg = await step(
            clara, "An article about sourdough, 1500 words, friendly tone.", "question 1"
        )
        assert "question 1" in msg.text
        await m.quiet()
        async with m.svc.read() as tx:
            saved = json.loads(await tx.conversations.user_data(CLIENT))
            state = await tx.conversations.states(["post_job"], key)
        assert saved["post"]["title"] == "A blog post"
        assert saved["post"]["description"].startswith("An article about sourdough")
        assert json.loads(state["post_job"]) == "post.question"
        assert saved["post"]["step"] == "q0"
        # Memory keeps nobody's state between updates: the database is the only copy.
        assert m.app is not None and CLIENT not in m.app.user_data
