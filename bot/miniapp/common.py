"""What every Mini App endpoint shares: who is asking (from the signed initData only), their
language, the JSON answers, and refusals in the chat's own sentences."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from telegram.ext import Application

from bot.domain.errors import Conflict, DomainError, Forbidden, NotFound
from bot.domain.models import User
from bot.miniapp.auth import AuthError, from_header, verify
from bot.runtime import Runtime
from bot.services import profiles
from bot.services.base import Services

log = logging.getLogger(__name__)

APP_KEY: web.AppKey[Application] = web.AppKey("miniapp_application", Application)


class Visitor:
    """The person behind a request, proven by initData, and a formatter in their language
    (what the chat's views take: `t`, `money`, `when`, `duration`, `svc`)."""

    def __init__(self, application: Application, user: User, locale: str) -> None:
        self.application = application
        self.user = user
        self.locale = locale

    @property
    def rt(self) -> Runtime:
        return self.application.bot_data["rt"]

    @property
    def svc(self) -> Services:
        return self.rt.svc

    @property
    def id(self) -> int:
        return self.user.id

    def t(self, key: str, **params: Any) -> str:
        return self.rt.i18n.t(self.locale, key, **params)

    def money(self, minor: int, currency: str) -> str:
        return self.rt.i18n.money(self.locale, minor, currency)

    def duration(self, seconds: int) -> str:
        return self.rt.i18n.duration(self.locale, seconds)

    def when(self, epoch: int) -> str:
        return self.rt.i18n.when(self.locale, epoch, self.svc.clock.now())

    def error(self, err: DomainError) -> str:
        return self.rt.i18n.error(self.locale, err)


def json_error(status: int, sentence: str, **extra: Any) -> web.Response:
    return web.json_response({"error": sentence, **extra}, status=status)


def status_of(err: DomainError) -> int:
    if isinstance(err, NotFound):
        return 404
    if isinstance(err, Forbidden):
        return 403
    if isinstance(err, Conflict):
        return 409
    return 400


async def visitor_of(request: web.Request) -> Visitor:
    """The signed person, recorded as the chat records them; raises an HTTP answer."""
    application = request.app[APP_KEY]
    rt: Runtime = application.bot_data["rt"]
    svc = rt.svc
    init_data = from_header(request.headers.get("Authorization"))
    try:
        tg = verify(init_data, svc.settings.bot_token, svc.clock.now())
    except AuthError as exc:
        log.info("Mini App request refused: %s", exc.reason)
        raise web.HTTPUnauthorized(
            text='{"error": "initData refused"}', content_type="application/json"
        ) from None
    user = await profiles.touch_user(svc, tg.id, tg.username, tg.first_name, tg.language_code)
    locale = rt.i18n.negotiate(user.locale_override, tg.language_code)
    visitor = Visitor(application, user, locale)
    if user.banned:
        err = Forbidden("user.banned")
        raise web.HTTPForbidden(
            text=json.dumps({"error": visitor.error(err), "key": err.key}),
            content_type="application/json",
        )
    return visitor


Endpoint = Callable[[web.Request, Visitor], Awaitable[web.StreamResponse]]


def endpoint(*, body: str | None = "json") -> Callable[[Endpoint], Callable]:
    """An API route: a POST must be JSON (`body="json"`) or raw bytes (`body="bytes"`);
    then initData is checked, and a refusal is the chat's sentence for it."""

    def wrap(fn: Endpoint) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        @functools.wraps(fn)
        async def route(request: web.Request) -> web.StreamResponse:
            json_post = request.method == "POST" and body == "json"
            if json_post and request.content_type != "application/json":
                return json_error(415, "a JSON body is required")
            visitor = await visitor_of(request)
            try:
                return await fn(request, visitor)
            except DomainError as err:
                return json_error(status_of(err), visitor.error(err), key=err.key)

        return route

    return wrap


async def json_body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(
            text='{"error": "not JSON"}', content_type="application/json"
        ) from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text='{"error": "not an object"}', content_type="application/json")
    return data


def path_id(request: web.Request, name: str) -> int:
    """A number in the path (`/jobs/{job}`); anything else is not found."""
    raw = request.match_info.get(name, "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise web.HTTPNotFound(text='{"error": "not found"}', content_type="application/json")
    return int(raw)
