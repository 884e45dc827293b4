"""Who sent an update: recorded on every update, with nothing kept per person in memory.

The runtime once kept a map of every person ever seen (`Runtime.seen_users`) that grew
forever and saved nothing: `touch_user` is already a read for someone known as they are.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from telegram import Update

from bot.handlers.base import MarketContext, identify
from tests.harness import Market

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning")

PEOPLE = 10_000
FIRST = 500_000


def _footprint(root: object, depth: int = 2) -> int:
    """Items held in the containers reachable from `root`'s attributes (two levels deep)."""
    seen: set[int] = set()
    total = 0

    def walk(obj: object, level: int) -> None:
        nonlocal total
        if id(obj) in seen or level > depth:
            return
        seen.add(id(obj))
        if isinstance(obj, dict | list | set | tuple):
            total += len(obj)
            return
        for value in getattr(obj, "__dict__", {}).values():
            walk(value, level + 1)

    walk(root, 0)
    return total


def _update(app: Any, update_id: int, user_id: int, name: str) -> Update:
    person = {"id": user_id, "is_bot": False, "first_name": name, "language_code": "en"}
    data = {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": name},
            "from": person,
            "text": "/help",
        },
    }
    return Update.de_json(data, app.bot)


async def test_the_runtime_keeps_nothing_per_person(tmp_path) -> None:
    async with Market(tmp_path) as m:
        app = m.app
        assert app is not None
        rt = app.bot_data["rt"]
        async with m.svc.tx() as tx:  # 10,000 people the bot knows, as they are
            for uid in range(FIRST, FIRST + PEOPLE):
                await tx.users.upsert(uid, None, f"P{uid}", "en")
        before = _footprint(rt)
        for n, uid in enumerate(range(FIRST, FIRST + PEOPLE)):
            context = MarketContext(app, chat_id=uid, user_id=uid)
            await identify(_update(app, n + 1, uid, f"P{uid}"), context)
            assert context.me is not None and context.me.id == uid
        assert _footprint(rt) - before < 10  # not one entry per person
        async with m.svc.read() as tx:
            [row] = await tx.fetchall("SELECT COUNT(*) AS n FROM users WHERE id >= ?", (FIRST,))
        assert row["n"] == PEOPLE


async def test_a_new_name_and_language_are_still_recorded(tmp_path) -> None:
    async with Market(tmp_path) as m:
        zed = m.person(4242, "Zed", username="zed")
        await zed.send("/help")
        await zed.wait_for("/post")
        zed.first_name, zed.username, zed.language_code = "Зед", "zed_new", "ru"
        await zed.send("/help")
        await zed.wait_for("/post: разместить")
        async with m.svc.read() as tx:
            user = await tx.users.get(4242)
        assert user is not None
        assert (user.first_name, user.username, user.language) == ("Зед", "zed_new", "ru")
        zed.language_code = "en"  # and back: the next answer is in English again
        await zed.send("/help")
        await zed.wait_for("/post: post a job")
        async with m.svc.read() as tx:
            user = await tx.users.get(4242)
        assert user is not None and user.language == "en"
