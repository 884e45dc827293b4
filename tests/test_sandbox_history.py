"""The sandbox keeps its chats across a restart, in step with the bot's database, and starts
over from the page's Reset (issue 12, item 8): the real bot, the loopback server, the page's
HTTP API, files on disk."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest

from sandbox.run import Sandbox
from tests import factories as f
from tests.factories import png

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning")

HEADERS = {"X-Sandbox": "1"}


def drop_database(db: Path) -> None:
    """Start over the documented way: delete the database file (the chats' file stays)."""
    for suffix in ("", "-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    assert db.with_name(db.name + ".chats.json").exists()


def transcript(sb: Sandbox, chat: int) -> list[tuple[int, bool, str, str]]:
    return [
        (m.message_id, m.from_bot, m.kind, m.text)
        for m in sb.server.chat_messages(chat, include_user=True)
    ]


async def greeted(sb: Sandbox) -> None:
    """Every persona has the bot's answer to their /start."""
    loop = asyncio.get_running_loop()
    end = loop.time() + 10
    for p in sb.personas:
        while not any(m.from_bot for m in sb.server.chat_messages(p.user_id)):
            assert loop.time() < end, f"{p.name} was not greeted"
            await asyncio.sleep(0.05)


async def upload(http: aiohttp.ClientSession, persona: int, name: str, data: bytes, mime: str):
    form = aiohttp.FormData()
    form.add_field("persona", str(persona))
    form.add_field("chat", str(persona))
    form.add_field("file", data, filename=name, content_type=mime)
    async with http.post("/api/upload", data=form) as resp:
        assert resp.status == 200, await resp.text()
        return (await resp.json())["message"]


def menu_of(sb: Sandbox, user_id: int) -> dict[str, str]:
    scope = json.dumps({"chat_id": user_id, "type": "chat"})
    return {c["command"]: c["description"] for c in sb.server.my_commands.get((scope, ""), [])}


async def test_the_chats_survive_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    image = png()
    async with Sandbox(port=0, database=db) as sb, aiohttp.ClientSession(sb.url) as http:
        http.headers.update(HEADERS)
        await greeted(sb)
        alice = sb.user("Alice")
        photo = await upload(http, alice.id, "shot.png", image, "image/png")
        assert photo["kind"] == "photo" and photo["file"]["inline"]
        # Alice chooses Russian: the bot registers her own menu once (Telegram keeps it).
        await alice.send("/language")
        choice = await alice.wait_for(lambda m: len(m.buttons) == 2)
        await alice.press(choice, "Русский")
        await alice.wait_for("Теперь бот говорит по-русски.")
        assert menu_of(sb, alice.id)["post"] == "Разместить заказ"
        # A Stars payment the bot's database will remember.
        await alice.send_successful_payment("deal:404", 10, "XTR", "stxsim-kept")
        await alice.wait_for("Этот платёж не относится ни к одной сделке.")
        before = {p.user_id: transcript(sb, p.user_id) for p in sb.personas}
        await sb.advance(3600)
    assert (tmp_path / "sandbox.db.chats.json").is_file()

    async with Sandbox(port=0, database=db) as sb, aiohttp.ClientSession(sb.url) as http:
        http.headers.update(HEADERS)
        # The same chats, message for message, and no second round of /start.
        assert {p.user_id: transcript(sb, p.user_id) for p in sb.personas} == before
        async with http.get(f"/api/chats/{alice.id}/messages") as resp:
            shown = (await resp.json())["messages"]
        assert [m["id"] for m in shown] == [m[0] for m in before[alice.id]]
        # The photo is still there, bytes and all.
        async with http.get(photo["file"]["url"]) as resp:
            assert resp.status == 200 and await resp.read() == image
        # What the bot's database relies on is still true: her menu, the charge.
        assert menu_of(sb, alice.id)["post"] == "Разместить заказ"
        assert "stxsim-kept" in sb.server.charges
        # The chat goes on where it stopped, in the same language, on the saved clock.
        assert sb.clock.offset == 3600
        alice = sb.user("Alice")
        sent = await alice.send("/help")
        assert sent.message_id == before[alice.id][-1][0] + 1
        assert sent.date >= sb.clock.now() - 5
        await alice.wait_for("Обеим сторонам")


async def test_a_deleted_database_takes_its_chats_along(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    async with Sandbox(port=0, database=db) as sb:
        await greeted(sb)
        await sb.user("Alice").send("/help")
        await sb.user("Alice").wait_for("Both sides")
    drop_database(db)
    async with Sandbox(port=0, database=db) as sb:
        await greeted(sb)
        texts = [m.text for m in sb.server.chat_messages(sb.user("Alice").id, include_user=True)]
        assert texts[0] == "/start" and "/help" not in texts


async def test_reset_starts_over(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.db"
    async with Sandbox(port=0, database=db) as sb, aiohttp.ClientSession(sb.url) as http:
        http.headers.update(HEADERS)
        await greeted(sb)
        alice = sb.user("Alice")
        job = await f.job(sb.app.bot_data["rt"].svc, alice.id)
        await alice.send("/myjobs")  # a job posted by a service is not announced: ask for it
        await alice.wait_for(f"Job #{job.id}")
        await upload(http, alice.id, "notes.txt", b"some notes", "text/plain")
        await sb.advance(86400)
        old_app = sb.app

        async with http.get("/api/events") as events:
            async with http.post("/api/reset", json={}) as resp:
                assert resp.status == 200, await resp.text()
                assert (await resp.json())["clock"]["offset"] == 0
            async for line in events.content:
                if line.startswith(b"data: ") and json.loads(line[6:])["kind"] == "reset":
                    break

        # A new bot on a new database: no jobs, the clock at real time, the files gone.
        assert sb.app is not old_app and sb.clock.offset == 0
        svc = sb.app.bot_data["rt"].svc
        async with svc.read() as tx:
            assert await tx.jobs.get(job.id) is None
        assert sb.server.files == {}
        # Each chat starts again with /start and the bot's welcome.
        await greeted(sb)
        first = [m.text for m in sb.server.chat_messages(alice.id, include_user=True)][:1]
        assert first == ["/start"]
        assert not any(f"Job #{job.id}" in m.text for m in sb.server.chat_messages(alice.id))
        # The bot works on the new database.
        await sb.user("Alice").send("/myjobs")
        await sb.user("Alice").wait_for(lambda m: "/post" in m.text or "no jobs" in m.text)
    # The new database's chats are saved for the next start, the old ones are not.
    saved = json.loads((tmp_path / "sandbox.db.chats.json").read_text())
    bodies = [m["body"] for m in saved["chats"][str(alice.id)]["messages"]]
    assert bodies[0] == "/start" and not any("notes" in (b or "") for b in bodies)


async def test_an_image_goes_as_a_photo_unless_asked_as_a_file(tmp_path: Path) -> None:
    async with (
        Sandbox(port=0, database=tmp_path / "s.db") as sb,
        aiohttp.ClientSession(sb.url) as http,
    ):
        http.headers.update(HEADERS)
        carol = sb.user("Carol")
        as_photo = await upload(http, carol.id, "a.png", png(), "image/png")
        assert as_photo["kind"] == "photo" and as_photo["file"]["mime_type"] == "image/png"
        form = aiohttp.FormData()
        for key, value in (("persona", carol.id), ("chat", carol.id), ("as", "document")):
            form.add_field(key, str(value))
        form.add_field("file", png(), filename="b.png", content_type="image/png")
        async with http.post("/api/upload", data=form) as resp:
            as_file = (await resp.json())["message"]
        assert as_file["kind"] == "document" and as_file["file"]["name"] == "b.png"
        assert as_file["file"]["inline"]  # an image file shows a preview too
        form = aiohttp.FormData()
        for key, value in (("persona", carol.id), ("chat", carol.id), ("as", "photo")):
            form.add_field(key, str(value))
        form.add_field("file", b"%PDF-1.4", filename="c.pdf", content_type="application/pdf")
        async with http.post("/api/upload", data=form) as resp:
            assert resp.status == 400
