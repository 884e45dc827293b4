from __future__ import annotations

import os

import pytest
from hypothesis import settings as hypothesis_settings

from bot.config import Settings
from bot.services.base import Clock, Services
from bot.storage.audit import ledger_problems
from bot.storage.db import Database
from tests import factories

# CI runs every property test with a fixed seed so a submission's result is repeatable;
# developers' runs keep exploring new examples.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


def make_settings(**over: object) -> Settings:
    base: dict[str, object] = {
        "bot_token": "123:TEST",
        "moderator_chat_id": -100500,
        "admin_user_ids": [9001],
    }
    base.update(over)
    return Settings(_env_file=None, **base)  # type: ignore[call-arg]


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture
async def svc(tmp_path, settings):
    db = await Database(tmp_path / "market.db").connect()
    services = Services(db=db, settings=settings, clock=Clock())
    await factories.people(services)
    await factories.people(services, 9001)
    yield services
    try:
        async with services.read() as tx:
            assert await ledger_problems(tx) == []
    finally:
        await db.close()  # also when the books are wrong: an open connection hangs the exit
