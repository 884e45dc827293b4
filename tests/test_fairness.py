"""Fair update handling: one person's flood waits for that person only.

The loopback server holds every answer to one person (as a stuck connection would) while
that person sends more updates than the bot handles at once; another person's /help is
answered meanwhile, and the first person's answers all arrive, in order, once released.
"""

from __future__ import annotations

import asyncio
import re

from tests.factories import CLIENT, FREELANCER
from tests.harness import Market

FLOOD = 80  # more than the 64 updates handled at once


async def until(condition, timeout: float = 5.0) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        if loop.time() > end:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.01)


async def test_one_persons_flood_does_not_hold_up_anyone_else(tmp_path) -> None:
    async with Market(tmp_path) as m:
        alice, bob = m.person(CLIENT, "Alice"), m.person(FREELANCER, "Bob")
        for user in (alice, bob):
            await user.send("/start")
            await user.wait_for("Welcome")
        held = m.server.hold(alice.id)
        try:
            for n in range(FLOOD):
                await alice.send(f"/job {n + 1}")
            await until(lambda: held.hits == 1)  # Alice's first answer hangs
            await m.server.drain_updates()  # the bot has taken every update of the flood

            await bob.send("/help")
            answer = await bob.wait_for("Clients", timeout=5)
            assert "/post" in answer.text
            assert held.hits == 1  # her other updates wait for her first one, not a slot
        finally:
            held.release()
        await alice.wait_for(f"#{FLOOD}.", timeout=10)
        # Her answers keep her order (the first may have met the bot's read timeout).
        answered = [int(m.group(1)) for m in re.finditer(r"Job #(\d+)\.", alice.transcript())]
        assert answered == list(range(FLOOD - len(answered) + 1, FLOOD + 1))
        assert len(answered) >= FLOOD - 1
