"""Logs (issue 16): quiet by default, LOG_FORMAT=json one object a line with the update, person
and deal, and neither what people wrote nor payment ids at INFO."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot import logs
from bot.services import deals
from tests import factories as f
from tests.factories import CLIENT, FREELANCER
from tests.harness import Market

pytestmark = [
    pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning"),
    pytest.mark.usefixtures("market_engine"),  # on both engines
]


@pytest.fixture
def captured():
    """The bot's logging as `main.py` sets it up (JSON), into a buffer; restored after."""
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    levels = {name: logging.getLogger(name).level for name in logs.QUIET}
    buffer = io.StringIO()
    logs.setup("json", logging.INFO, stream=buffer, force=True)
    yield buffer
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in before[0]:
        root.addHandler(handler)
    root.setLevel(before[1])
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


async def test_json_lines_carry_the_update_person_and_deal_and_no_texts_or_ids(
    tmp_path, captured
) -> None:
    async with Market(tmp_path) as m:
        svc = m.svc
        clara = m.person(CLIENT, "Clara")
        fred = m.person(FREELANCER, "Fred")
        for person in (clara, fred):
            await person.send("/start")
            await person.wait_for("/help")
        job = await f.job(svc, CLIENT)
        bid = await f.bid(svc, job.id, FREELANCER)
        secret = "My phone number is 555-0199"
        await clara.send(f"/msg {bid.id} {secret}")
        await fred.wait_for(secret)
        deal = await deals.hire(svc, CLIENT, bid.id)
        invoice = await clara.wait_for(lambda x: x.invoice is not None)
        await clara.pay(invoice)
        await clara.wait_for(f"Deal #{deal.id} is funded")
        async with svc.read() as tx:
            charge = (await tx.fetchone("SELECT charge_id FROM payments"))["charge_id"]
        # Several scheduler runs went by (the harness ticks every 0.2 s).
        for _ in range(3):
            await m.app.bot_data["deadlines"].tick()
        await m.settle()

    got = lines(captured)
    paid = [x for x in got if x["msg"] == f"payment for deal {deal.id}: funded"]
    assert len(paid) == 1, got
    assert paid[0]["level"] == "INFO" and paid[0]["logger"] == "bot.handlers.payments"
    assert paid[0]["user_id"] == CLIENT and paid[0]["deal_id"] == deal.id
    assert isinstance(paid[0]["update_id"], int) and paid[0]["ts"].endswith("+00:00")
    text = captured.getvalue()
    assert charge not in text and secret not in text
    # Quiet: no line a tick from APScheduler's executor, no access lines.
    assert not [x for x in got if x["logger"].startswith(("apscheduler", "aiohttp", "httpx"))]


def test_text_lines_name_what_they_are_about() -> None:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(logs.ContextFilter())
    handler.setFormatter(logging.Formatter(logs.TEXT_FORMAT))
    log = logging.getLogger("tests.logs.text")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("nothing bound")
        logs.bind(update=7, user=42)
        with logs.bound(deal=5):
            log.warning("inside")
        log.warning("after")
    finally:
        log.removeHandler(handler)
        logs.update_id.set(None)
        logs.user_id.set(None)
    out = buffer.getvalue().splitlines()
    assert out[0].endswith("tests.logs.text: nothing bound")
    assert out[1].endswith("inside [update=7 user=42 deal=5]")
    # The block's deal (and person) are forgotten after it, the update's person kept.
    assert out[2].endswith("after [update=7 user=42]")


def test_a_bad_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logs.setup("xml")
