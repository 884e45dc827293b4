"""Refusals carry a message key and parameters; the Telegram layer translates them."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refused action. `key` names a message in bot/locales/*/errors.ftl."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def __repr__(self) -> str:
        return f"DomainError({self.key!r}, {self.params!r})"

    def __str__(self) -> str:
        if not self.params:
            return self.key
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.key}({args})"


class NotFound(DomainError):
    """The entity a person named does not exist (or they may not see it)."""


class Forbidden(DomainError):
    """The person may not do this."""


class InvalidInput(DomainError):
    """The person typed something that does not parse or is out of range."""


class Conflict(DomainError):
    """The entity is not in a state that allows the action (often: someone else won a race)."""
