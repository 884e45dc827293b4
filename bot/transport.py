"""How the bot talks HTTP to the Bot API: python-telegram-bot's request interface over aiohttp.

PTB's default transport (httpx over httpcore and anyio) costs the bot about a millisecond of
its one event loop for every call, and the marketplace makes two or three calls per update (a
reply, notifications, its share of getUpdates): profiled under load, half of the bot's busy
time was in it, a tenth of it spent by the connection pool checking each of its connections'
expiry on every request. aiohttp (already a dependency, the loopback Bot API server is built
on it) does the same work in about a third of the time. Everything above the transport (the
bot methods, the rate limiter, error mapping to `TimedOut`/`NetworkError`, retries) is PTB's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# Told of every call: the Bot API method, the HTTP status (None: no answer) and why not.
Observer = Callable[[str, int | None, str], None]
DefaultValue = type(BaseRequest.DEFAULT_NONE)  # "not given": use this transport's own


class AiohttpRequest(BaseRequest):
    """A `telegram.request.BaseRequest` on one `aiohttp.ClientSession`.

    Timeouts mean what PTB's defaults mean: `connect_timeout` to open a connection,
    `pool_timeout` added to it for waiting for a free one, `read_timeout` between bytes of
    the answer (getUpdates passes its long-poll timeout on top), `write_timeout` for the
    whole upload when files are sent.
    """

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        observer: Observer | None = None,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._observer = observer
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[Any, ...], aiohttp.ClientTimeout] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0),
                headers={"User-Agent": self.USER_AGENT},
                # The Bot API answers JSON that PTB parses itself; no cookies, no redirects.
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=True,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _timeout(self, read: Any, write: Any, connect: Any, pool: Any, files: bool) -> Any:
        read = self._read if isinstance(read, DefaultValue) else read
        connect = self._connect if isinstance(connect, DefaultValue) else connect
        pool = self._pool if isinstance(pool, DefaultValue) else pool
        if isinstance(write, DefaultValue):
            write = self._media_write if files else self._write
        key = (read, write, connect, pool, files)
        timeout = self._timeouts.get(key)
        if timeout is None:
            waiting = None if connect is None or pool is None else connect + pool
            # aiohttp has no separate write timeout; an upload is bounded as a whole.
            total = None if not files or write is None or read is None else write + read
            timeout = aiohttp.ClientTimeout(
                total=total, connect=waiting, sock_connect=connect, sock_read=read
            )
            self._timeouts[key] = timeout
        return timeout

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = bool(request_data and request_data.contains_files)
        timeout = self._timeout(read_timeout, write_timeout, connect_timeout, pool_timeout, files)
        body: Any = None
        headers = None
        if request_data is not None:
            if files:
                form = aiohttp.FormData(quote_fields=False)
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, (filename, content, mimetype) in request_data.multipart_data.items():
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                body = form
            else:
                params = request_data.json_parameters
                if params:
                    body, headers = urlencode(params).encode(), _FORM
        observe = self._observer
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                answer = response.status, await response.read()
        except TimeoutError as err:  # aiohttp's timeouts are TimeoutError subclasses
            if observe is not None:
                observe(_method(url), None, "timed out")
            raise TimedOut from err
        except aiohttp.ClientError as err:
            if observe is not None:
                observe(_method(url), None, f"{err.__class__.__name__}: {err}")
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
        if observe is not None:
            observe(_method(url), answer[0], "")
        return answer


def _method(url: str) -> str:
    """The Bot API method of a call's URL (…/bot<token>/sendMessage), "download" for a file
    (…/file/bot<token>/<path>); never the token or a file's path."""
    if "/file/bot" in url:
        return "download"
    return url.rsplit("/", 1)[-1].split("?", 1)[0] or "?"
