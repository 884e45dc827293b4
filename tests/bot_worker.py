"""The real bot in a process of its own, for tests/test_inbox_crash.py to SIGKILL.

    python -m tests.bot_worker DB_PATH BASE_URL MODE REPORT [KILL]

MODE is `webhook:<port>` (WEBHOOK_URL http://127.0.0.1:<port>/telegram) or `polling`. The
bot runs as `python main.py run` runs it (bot.app.serve: signals, start, stop). KILL arranges
a death at one moment of one update's handling:

- `hold:<text>`: when the update whose message text is <text> is about to be handled (its
  first handler not called yet), write `holding <update_id>` to REPORT and wait forever:
  the test kills the process then (Telegram has its 200, or the next getUpdates offset).
- `inside:<kind>`: SIGKILL inside the transaction that posts the first ledger transaction of
  <kind> (e.g. fund), after its rows and the deal's state change were written, before COMMIT.
- `after-commit`: SIGKILL at the first Bot API call an update's handling makes after it
  committed (the effects and the inbox mark are on disk; the answer, and whatever the
  handling would have done next, are not).

Options instead of (or before) KILL, comma-separated (tests/test_cluster.py):

- `trace`: write `handling <update_id> <person> <time_ns>` to REPORT as each update's
  handling starts (appended, not fsynced: it is there after a SIGKILL, the machine does not
  crash; the host's clock orders the lines of several processes);
- `lease:<seconds>`: the inbox's turn lease (how soon the others take a dead one's people).

Every other line of REPORT is fsynced.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time

from telegram.ext import Application

TOKEN = "123456:TEST-TOKEN"
SECRET = "test-webhook-secret"


def report(path: str, line: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def trace(report_path: str) -> None:
    original = Application.process_update
    fd = os.open(report_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    async def traced(self: Application, update: object) -> None:
        user = getattr(update, "effective_user", None)
        uid = update.update_id  # type: ignore[attr-defined]
        line = f"handling {uid} {user.id if user else 0} {time.time_ns()}\n"
        os.write(fd, line.encode())
        await original(self, update)

    Application.process_update = traced  # type: ignore[method-assign]


def arrange(kill: str, report_path: str) -> None:
    what, _, arg = kill.partition(":")
    if what == "hold":
        original = Application.process_update

        async def held(self: Application, update: object) -> None:
            message = getattr(update, "message", None)
            if message is not None and message.text == arg:
                report(report_path, f"holding {update.update_id}")  # type: ignore[attr-defined]
                await asyncio.Event().wait()
            await original(self, update)

        Application.process_update = held  # type: ignore[method-assign]
    elif what == "inside":
        from bot.storage.ledger import Ledger

        post = Ledger.post

        async def post_then_die(self: Ledger, k: str, *args: object, **kw: object) -> int:
            txn = await post(self, k, *args, **kw)  # type: ignore[arg-type]
            if k == arg:
                report(report_path, f"dying inside {k}")
                os.kill(os.getpid(), signal.SIGKILL)
            return txn

        Ledger.post = post_then_die  # type: ignore[method-assign]
    elif what == "after-commit":
        from bot.storage import db, engine
        from bot.transport import AiohttpRequest

        do_request = AiohttpRequest.do_request

        async def request_or_die(self: AiohttpRequest, url: str, *args: object, **kw: object):
            handling = engine._write_hook.get() is not None  # an update's handling
            if handling and db.committed_here() and not url.endswith("/getUpdates"):
                report(report_path, "dying after the commit")
                os.kill(os.getpid(), signal.SIGKILL)
            return await do_request(self, url, *args, **kw)  # type: ignore[arg-type]

        AiohttpRequest.do_request = request_or_die  # type: ignore[method-assign]
        # A handling that commits and sends nothing itself (a payment: its notices are all in
        # the outbox) dies as its handlers return, before the inbox's closing transaction.
        process = Application.process_update

        async def process_then_die(self: Application, update: object) -> None:
            await process(self, update)
            if engine._write_hook.get() is not None and db.committed_here():
                report(report_path, "dying after the commit")
                os.kill(os.getpid(), signal.SIGKILL)

        Application.process_update = process_then_die  # type: ignore[method-assign]
    else:
        raise SystemExit(f"unknown KILL {kill!r}")


def main() -> None:
    db_path, base_url, mode, report_path = sys.argv[1:5]
    options: dict[str, object] = {}
    for option in (sys.argv[5] if len(sys.argv) > 5 else "").split(","):
        if option == "trace":
            trace(report_path)
        elif option.startswith("lease:"):
            options["inbox_lease"] = int(option.partition(":")[2])
        elif option:
            arrange(option, report_path)
    from bot import app as bot_app
    from bot.config import Settings

    over: dict[str, object] = {}
    if mode.startswith("webhook:"):
        port = int(mode.partition(":")[2])
        over = {
            "webhook_url": f"http://127.0.0.1:{port}/telegram",
            "webhook_listen": f"127.0.0.1:{port}",
            "webhook_secret": SECRET,
        }
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        bot_token=TOKEN,
        bot_api_base_url=base_url,
        database_url=db_path if "://" in db_path else f"sqlite:///{db_path}",
        admin_user_ids=[9001],
        **over,
    )
    app = bot_app.build_application(
        settings,
        outbox_poll=0.05,
        deadline_tick=0.5,
        **options,  # type: ignore[arg-type]
    )
    report(report_path, f"started {os.getpid()}")
    if hasattr(bot_app, "serve"):
        asyncio.run(bot_app.serve(app))
    else:  # the code before the inbox: PTB's own polling
        from telegram import Update

        app.run_polling(poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
