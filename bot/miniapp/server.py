"""Where the Mini App is served: its page at /app/ and its API under /app/api/, on the bot's
webhook server (webhook mode), or on a server of its own on MINIAPP_PORT (polling mode)."""

from __future__ import annotations

import logging
from importlib import resources
from urllib.parse import urlsplit

from aiohttp import web
from telegram.ext import Application

from bot.miniapp import browse, deals, form
from bot.miniapp.common import APP_KEY

BODY_MAX = 256 * 1024  # a form; a file's upload allows more (bot/miniapp/form.py)

log = logging.getLogger(__name__)

STATIC = resources.files("bot.miniapp") / "static"
FILES = {
    "index.html": "text/html",
    "app.js": "text/javascript",
    "style.css": "text/css",
}
# The page runs only its own script and style; it is framed by Telegram (web, desktop) and
# the sandbox, so framing is allowed; nothing is sent anywhere but here.
CSP = (
    "default-src 'none'; script-src 'self' https://telegram.org; style-src 'self';"
    " img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none';"
    " frame-ancestors *"
)


def _headers(content_type: str) -> dict[str, str]:
    return {
        "Content-Type": f"{content_type}; charset=utf-8",
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


async def page(request: web.Request) -> web.Response:
    name = request.match_info.get("name") or "index.html"
    if name not in FILES:
        raise web.HTTPNotFound()
    body = (STATIC / name).read_bytes()
    return web.Response(body=body, headers=_headers(FILES[name]))


async def to_page(_request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/app/")


def add_miniapp_routes(app: web.Application, application: Application) -> None:
    """Mount the page and the API of `application` (the bot) on `app`."""
    app[APP_KEY] = application
    r = app.router
    r.add_get("/app", to_page)
    r.add_get("/app/", page)
    r.add_get("/app/{name}", page)
    r.add_get("/app/api/me", browse.me)
    r.add_get("/app/api/jobs", browse.list_jobs)
    r.add_get("/app/api/jobs/{job}", browse.show_job)
    r.add_post("/app/api/jobs/{job}/files", browse.send_job_files)
    r.add_get("/app/api/draft", form.get_draft)
    r.add_post("/app/api/draft", form.save_draft)
    r.add_post("/app/api/check", form.check)
    r.add_post("/app/api/publish", form.publish)
    r.add_post("/app/api/files", form.upload)
    r.add_post("/app/api/files/remove", form.remove_file)
    r.add_get("/app/api/deals", deals.list_deals)
    r.add_get("/app/api/deals/{deal}", deals.show_deal)
    r.add_post("/app/api/deals/{deal}/action", deals.deal_action)


def listen_host(miniapp_url: str) -> str:
    """All interfaces (behind the TLS proxy MINIAPP_URL points at); loopback only when
    MINIAPP_URL itself is a loopback address (the sandbox, a local try)."""
    host = urlsplit(miniapp_url).hostname or ""
    return "127.0.0.1" if host in ("127.0.0.1", "localhost") else "0.0.0.0"


class MiniAppServer:
    """Polling mode: the Mini App on a server of its own (MINIAPP_PORT)."""

    def __init__(self, application: Application, port: int, host: str = "0.0.0.0") -> None:
        self.application = application
        self.port = port
        self.host = host
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=BODY_MAX)
        add_miniapp_routes(app, self.application)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        log.info("Mini App served on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
