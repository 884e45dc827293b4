"""Telegram Web App initData: checked on every API call, the only source of who is asking.

Telegram signs the query string it hands the page: `hash` is HMAC-SHA256 over the other
fields as sorted `key=value` lines (the data-check string), keyed with
HMAC-SHA256(key="WebAppData", msg=<bot token>). A wrong hash, data signed more than MAX_AGE
ago (a replay of an old initData) or more than FUTURE ahead of our clock is refused; a banned
person is refused by the API after this check. The page sends it as `Authorization: tma
<initData>`: a header, never a cookie, so another site cannot make a browser send it (CSRF).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

MAX_AGE = 24 * 3600
FUTURE = 60
SCHEME = "tma"


class AuthError(Exception):
    """initData that proves nothing: `reason` says why (logged, never shown in detail)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WebAppUser:
    id: int
    first_name: str
    username: str | None
    language_code: str | None
    auth_date: int


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "hash")


def sign(fields: dict[str, str], bot_token: str) -> str:
    """The initData Telegram would hand the page for `fields` (the sandbox and the tests)."""
    clean = {k: v for k, v in fields.items() if k != "hash"}
    digest = hmac.new(secret_key(bot_token), check_string(clean).encode(), hashlib.sha256)
    return urlencode({**clean, "hash": digest.hexdigest()})


def signed_for(
    bot_token: str, user: dict[str, Any], auth_date: int, *, query_id: str = "sandbox"
) -> str:
    fields = {
        "query_id": query_id,
        "user": json.dumps(user, ensure_ascii=False, separators=(",", ":")),
        "auth_date": str(auth_date),
    }
    return sign(fields, bot_token)


def verify(init_data: str, bot_token: str, now: int) -> WebAppUser:
    """The person initData proves, or AuthError."""
    if not init_data:
        raise AuthError("no initData")
    pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=False)
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in fields:
            raise AuthError("a field given twice")
        fields[key] = value
    given = fields.get("hash", "")
    if not given:
        raise AuthError("no hash")
    expected = hmac.new(secret_key(bot_token), check_string(fields).encode(), hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), given.lower()):
        raise AuthError("wrong hash")
    try:
        auth_date = int(fields.get("auth_date", ""))
    except ValueError:
        raise AuthError("no auth_date") from None
    if auth_date < now - MAX_AGE:
        raise AuthError("expired")
    if auth_date > now + FUTURE:
        raise AuthError("from the future")
    try:
        user = json.loads(fields.get("user", ""))
        uid = int(user["id"])
    except (ValueError, KeyError, TypeError):
        raise AuthError("no user") from None
    if uid <= 0:
        raise AuthError("no user")
    return WebAppUser(
        id=uid,
        first_name=str(user.get("first_name") or ""),
        username=user.get("username") or None,
        language_code=user.get("language_code") or None,
        auth_date=auth_date,
    )


def from_header(value: str | None) -> str:
    """initData from `Authorization: tma <initData>` ('' when absent or another scheme)."""
    if not value:
        return ""
    scheme, _, rest = value.strip().partition(" ")
    return rest.strip() if scheme.lower() == SCHEME else ""
