"""The Mini App in the sandbox, opened as Telegram opens it: the page's "📱 App" panel (and
every web_app button) loads the bot's Mini App in an iframe, at the button's address, with
initData signed for the persona with the sandbox bot's token, in the URL's fragment as
Telegram puts it (tgWebAppData, tgWebAppThemeParams...). No token, no Telegram needed.

``GET /api/miniapp?persona=ID[&url=<a web_app address>][&theme=light|dark]`` -> ``{url}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

from aiohttp import web

from bot.miniapp.auth import signed_for

# Telegram's own colours, near enough, for the two schemes.
THEMES: dict[str, dict[str, str]] = {
    "light": {
        "bg_color": "#ffffff",
        "text_color": "#000000",
        "hint_color": "#707579",
        "link_color": "#3390ec",
        "button_color": "#3390ec",
        "button_text_color": "#ffffff",
        "secondary_bg_color": "#f4f4f5",
        "section_bg_color": "#ffffff",
        "destructive_text_color": "#e53935",
    },
    "dark": {
        "bg_color": "#212121",
        "text_color": "#ffffff",
        "hint_color": "#aaaaaa",
        "link_color": "#8774e1",
        "button_color": "#8774e1",
        "button_text_color": "#ffffff",
        "secondary_bg_color": "#181818",
        "section_bg_color": "#212121",
        "destructive_text_color": "#ff595a",
    },
}


class MiniAppLink:
    """Signs the Mini App's address for a persona (`base` is MINIAPP_URL)."""

    def __init__(
        self, base: str, token: str, now: Callable[[], int], personas: Sequence[Any]
    ) -> None:
        self.base = base
        self.token = token
        self.now = now
        self.personas = {p.user_id: p for p in personas}  # sandbox.web.Persona

    def user(self, raw: str | None) -> dict[str, Any]:
        """A persona as Telegram describes a user to a Mini App (initData's `user`)."""
        p = self.personas.get(int(raw)) if raw and raw.isdigit() else None
        if p is None:
            raise ValueError("no such persona")
        return {
            "id": p.user_id,
            "first_name": p.name,
            "username": p.username,
            "language_code": p.language,
        }

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base)
        return f"{parts.scheme}://{parts.netloc}"

    def url(self, user: dict[str, Any], address: str | None = None, theme: str = "light") -> str:
        target = address or self.base
        if not target.startswith(self.base):
            raise ValueError("not the Mini App's address")
        init = signed_for(self.token, user, self.now(), query_id=f"sandbox-{user['id']}")
        scheme = theme if theme in THEMES else "light"
        fragment = "&".join(
            [
                "tgWebAppData=" + quote(init, safe=""),
                "tgWebAppVersion=7.10",
                "tgWebAppPlatform=sandbox",
                "tgWebAppThemeParams=" + quote(json.dumps(THEMES[scheme]), safe=""),
                "tgWebAppColorScheme=" + scheme,
            ]
        )
        return f"{target}#{fragment}"

    async def handler(self, request: web.Request) -> web.Response:
        q = request.query
        try:
            url = self.url(self.user(q.get("persona")), q.get("url"), q.get("theme", ""))
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"url": url})
