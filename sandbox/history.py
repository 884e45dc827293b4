"""The sandbox's chats on disk, next to the bot's database.

The loopback Bot API server keeps everything in memory; a restart of the sandbox would show
empty chats in front of a database full of jobs and deals, and the bot would meet files and
payments it remembers (delivery files, Star charges to refund) that the server forgot. So
what the server holds is saved to ``<database>.chats.json`` (chats and their messages, the
people's started/blocked state, files' descriptions, charges and refunds, command menus,
updates not yet fetched) and the files' bytes to ``<database>.files/``, and loaded again at
the next start.

The two stay consistent with the bot's database: a history is loaded only in front of the
database it was saved with (the same file: its inode), and discarded when that database is
gone (deleted to start over, or reset from the page). Saves follow the server's events after
a short delay, and a last one is written when the sandbox stops, after the bot has stopped.
It reaches into the server's private state on purpose: it is the server's own other half.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import shutil
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from sandbox.botapi import BotApiServer, Charge, SandboxEvent, SimMessage, StoredFile

__all__ = ["ChatHistory"]

log = logging.getLogger(__name__)

FORMAT = 1
_MESSAGE_FIELDS = {f.name for f in fields(SimMessage)}
_FILE_FIELDS = {f.name for f in fields(StoredFile)} - {"content"}


def _peek(counter: itertools.count) -> tuple[int, itertools.count]:
    """The next value of a counter, and a counter that will still give it."""
    value = next(counter)
    return value, itertools.count(value)


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except OSError:
        return None


class ChatHistory:
    """Save and load one server's state for one database file."""

    def __init__(self, server: BotApiServer, database: Path, *, delay: float = 0.5) -> None:
        self.server = server
        self.database = Path(database)
        self.path = self.database.with_name(self.database.name + ".chats.json")
        self.files_dir = self.database.with_name(self.database.name + ".files")
        self.delay = delay
        self._pending: asyncio.TimerHandle | None = None
        self._watching = False

    # -- loading ------------------------------------------------------------------------
    def load(self) -> bool:
        """Restore the saved chats into the server (whose people and chats exist already);
        False, and the history discarded, when there is none for this database."""
        if not self.database.exists():
            self.discard()
            return False
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return False
        except (OSError, ValueError) as exc:
            log.warning(
                "sandbox history %s is unreadable (%s); starting with empty chats", self.path, exc
            )
            return False
        if data.get("format") != FORMAT or data.get("database_inode") != _inode(self.database):
            log.info("sandbox history %s belongs to another database; discarded", self.path)
            self.discard()
            return False
        self._restore(data)
        return True

    def _restore(self, data: dict[str, Any]) -> None:
        s = self.server
        for uid, flags in data.get("users", {}).items():
            user = s.users.get(int(uid))
            if user is not None:
                user.started, user.blocked = bool(flags["started"]), bool(flags["blocked"])
        for cid, saved in data.get("chats", {}).items():
            chat = s.chats.get(int(cid))
            if chat is None:
                continue  # a chat the sandbox no longer has
            chat.messages = {}
            for raw in saved["messages"]:
                msg = SimMessage(**{k: v for k, v in raw.items() if k in _MESSAGE_FIELDS})
                chat.messages[msg.message_id] = msg
            chat.next_message_id = int(saved["next_message_id"])
            chat.menu_button = saved.get("menu_button")
        for raw in data.get("files", []):
            blob = self.files_dir / raw["file_unique_id"]
            try:
                content = blob.read_bytes()
            except OSError:
                content = b""
            stored = StoredFile(content=content, **{k: raw[k] for k in _FILE_FIELDS if k in raw})
            s.files[stored.file_id] = stored
            s._files_by_path[stored.file_path] = stored
        s.charges = {c["charge_id"]: Charge(**c) for c in data.get("charges", [])}
        s.refunds = [s.charges[cid] for cid in data.get("refunds", []) if cid in s.charges]
        s.my_commands = {(k, lang): cmds for k, lang, cmds in data.get("commands", [])}
        s.bot_texts = {(k, lang): text for k, lang, text in data.get("bot_texts", [])}
        s.default_menu_button = data.get("default_menu_button") or {"type": "commands"}
        s._updates = list(data.get("updates", []))
        s._update_ids = itertools.count(int(data.get("next_update_id", 1)))
        s._ids = itertools.count(int(data.get("next_id", 1)))

    # -- saving -------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        s = self.server
        next_update_id, s._update_ids = _peek(s._update_ids)
        next_id, s._ids = _peek(s._ids)
        return {
            "format": FORMAT,
            "database_inode": _inode(self.database),
            "users": {
                str(u.id): {"started": u.started, "blocked": u.blocked} for u in s.users.values()
            },
            "chats": {
                str(c.id): {
                    "next_message_id": c.next_message_id,
                    "menu_button": c.menu_button,
                    "messages": [asdict(m) for m in c.messages.values()],
                }
                for c in s.chats.values()
            },
            "files": [{k: getattr(f, k) for k in sorted(_FILE_FIELDS)} for f in s.files.values()],
            "charges": [asdict(c) for c in s.charges.values()],
            "refunds": [c.charge_id for c in s.refunds],
            "commands": [[k, lang, cmds] for (k, lang), cmds in s.my_commands.items()],
            "bot_texts": [[k, lang, text] for (k, lang), text in s.bot_texts.items()],
            "default_menu_button": s.default_menu_button,
            "updates": list(s._updates),
            "next_update_id": next_update_id,
            "next_id": next_id,
        }

    def save(self) -> None:
        """Write the history now (the files' bytes once each, the JSON whole)."""
        self._cancel()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.files_dir.mkdir(exist_ok=True)
            for stored in list(self.server.files.values()):
                blob = self.files_dir / stored.file_unique_id
                if not blob.exists():
                    blob.write_bytes(stored.content)
            data = json.dumps(self.snapshot(), ensure_ascii=False, separators=(",", ":"))
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text(data, encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:  # the sandbox goes on; the next save tries again
            log.warning("could not save the sandbox history to %s: %s", self.path, exc)

    def discard(self) -> None:
        self._cancel()
        for path in (self.path, self.path.with_name(self.path.name + ".tmp")):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        shutil.rmtree(self.files_dir, ignore_errors=True)

    # -- following the server -----------------------------------------------------------
    def watch(self) -> None:
        """Save a moment after anything happens in a chat."""
        if not self._watching:
            self.server.add_listener(self._changed)
            self._watching = True

    def close(self) -> None:
        """Stop following the server and save what it holds now."""
        if self._watching:
            self.server.remove_listener(self._changed)
            self._watching = False
        self.save()

    def _changed(self, _event: SandboxEvent) -> None:
        if self._pending is None:
            loop = asyncio.get_running_loop()
            self._pending = loop.call_later(self.delay, self.save)

    def _cancel(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
