"""Inline button data: `action:arg:arg~sig`, signed so a forged button is refused.

Telegram lets a modified client send any callback data for a message, so every press is
checked twice: the signature here (forgery, or a button of another bot build: "This button
has expired."), then the service's own permission and state checks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

MAX_BYTES = 64


class ButtonCodec:
    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(("buttons:" + secret).encode()).digest()

    def _sig(self, body: str) -> str:
        mac = hmac.new(self._key, body.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:6]).decode().rstrip("=")

    def pack(self, action: str, *args: object) -> str:
        body = ":".join([action, *(str(a) for a in args)])
        data = f"{body}~{self._sig(body)}"
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data too long: {data!r}")
        return data

    def unpack(self, data: str | None) -> tuple[str, list[str]] | None:
        """(action, args), or None for anything forged, truncated or from another key."""
        if not data or "~" not in data:
            return None
        body, _, sig = data.rpartition("~")
        if not hmac.compare_digest(sig, self._sig(body)):
            return None
        action, *args = body.split(":")
        return action, args
