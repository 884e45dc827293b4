"""Telegram's limits and error answers: the ApiError a method raises and the descriptions
Telegram gives, shared by every part of the server."""

from __future__ import annotations

from typing import Any

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024
MAX_UPLOAD_SIZE = 50 * 1024 * 1024

MSG_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
MSG_QUERY_TOO_OLD = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
MSG_CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
MSG_CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


class ApiError(Exception):
    """An error answer of the Bot API (``{"ok": false, ...}``)."""

    def __init__(self, code: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict:
        data: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            data["parameters"] = self.parameters
        return data


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def _forbidden(description: str) -> ApiError:
    return ApiError(403, f"Forbidden: {description}")


def _too_many(retry_after: int) -> ApiError:
    retry_after = max(1, int(retry_after))
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


class EntityParseError(ValueError):
    """Raised by the parse_* helpers; the message is Telegram's wording after the prefix."""
