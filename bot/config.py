"""Every variable of SPEC section 8 (and those of section 10 the bot has), read from the
environment and `.env`, validated."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.domain.durations import parse_duration
from bot.domain.money import STARS
from bot.domain.weeks import DEFAULT_REVIEW_AFTER, EDIT_GRACE, WEEK, parse_review_window


def _duration(value: Any) -> int:
    """Durations are written `90s`, `15m`, `2h`, `3d`, `1w`; a bare int is seconds."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value <= 0:
            raise ValueError("must be positive")
        return value
    return parse_duration(str(value))


Duration = Annotated[int, BeforeValidator(_duration)]


def _review_after(value: Any) -> int:
    """HOURLY_REVIEW_WINDOW: `Friday 23:59` or a duration after Monday 12:00 (bot.domain.weeks);
    kept as seconds after the week's end."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not EDIT_GRACE < value <= WEEK:
            raise ValueError("the review must end after Monday 12:00 and within the week after")
        return value
    return parse_review_window(str(value))


ReviewAfter = Annotated[int, BeforeValidator(_review_after)]


def _id_list(value: Any) -> list[int]:
    if value is None or value == "":
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, list | tuple | set):
        return [int(v) for v in value]
    parts = [p.strip() for p in str(value).split(",") if p.strip()]
    try:
        return [int(p) for p in parts]
    except ValueError:
        raise ValueError("must be comma-separated user ids") from None


def _optional_int(value: Any) -> Any:
    return None if value == "" else value


OptionalId = Annotated[int | None, BeforeValidator(_optional_int)]

# What Telegram accepts as a webhook's secret_token.
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


def parse_listen(value: str) -> tuple[str, int]:
    """`host:port` (IPv6 as `[::1]:8443`) -> (host, port); ValueError when malformed."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit():
        raise ValueError("must be host:port, e.g. 0.0.0.0:8443")
    if not 0 < int(port) < 65536:
        raise ValueError("the port must be 1-65535")
    return host, int(port)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    bot_token: str = ""
    bot_api_base_url: str = "https://api.telegram.org/bot"
    database_url: str = "sqlite:///data/marketplace.db"
    database_pool_size: int = Field(10, ge=1, le=200)  # PostgreSQL connections per process
    moderator_chat_id: OptionalId = None
    admin_user_ids: Annotated[list[int], NoDecode, BeforeValidator(_id_list)] = Field(
        default_factory=list
    )
    jobs_channel_id: OptionalId = None
    payment_provider_token: str = ""
    currency: str = STARS
    platform_fee_percent: int = Field(10, ge=0, le=100)
    bidding_window: Duration = 7 * 86400
    funding_window: Duration = 48 * 3600
    review_window: Duration = 7 * 86400
    delivery_grace: Duration = 72 * 3600
    nudge_lead: Duration = 24 * 3600
    dispute_response_window: Duration = 4 * 86400
    dispute_sla: Duration = 48 * 3600
    feedback_window: Duration = 14 * 86400
    min_deadline: Duration = 3600
    max_revisions: int = Field(2, ge=0, le=100)
    # Seconds after an hourly week's end when silence approves its hours (Friday 23:59 UTC).
    hourly_review_window: ReviewAfter = DEFAULT_REVIEW_AFTER
    default_locale: str = "en"
    outbox_retention: Duration = 30 * 86400  # sent notifications kept this long (SPEC 10)
    offer_window: Duration = 14 * 86400  # a direct offer waits this long for an answer
    # In polling mode, where /metrics and /healthz are served (empty: not served).
    metrics_port: OptionalId = None
    log_format: str = "text"  # or json: one JSON object a line
    webhook_url: str = ""  # empty: long polling
    webhook_listen: str = "0.0.0.0:8443"
    webhook_secret: str = ""
    # The Mini App (bot/miniapp): its public HTTPS address (empty: no menu button, no app
    # buttons), and in polling mode the port it is served on (webhook mode: the bot's server).
    miniapp_url: str = ""
    miniapp_port: OptionalId = None

    @field_validator("miniapp_url")
    @classmethod
    def _miniapp_url(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return ""
        parts = urlsplit(value)
        loopback = parts.hostname in ("127.0.0.1", "localhost")  # the sandbox, a local try
        if not parts.hostname or (
            parts.scheme != "https" and not (loopback and parts.scheme == "http")
        ):
            # Telegram opens only https:// Mini Apps (a web_app button with http is refused).
            raise ValueError("must be the Mini App's public https:// address (e.g. …/app/)")
        if parts.query or parts.fragment:
            raise ValueError("must have no query or fragment (the bot adds its own)")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return ""
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(
                "must be the public https:// URL Telegram posts to (http:// only for a"
                " Bot API server of your own)"
            )
        return value

    @field_validator("webhook_listen")
    @classmethod
    def _webhook_listen(cls, value: str) -> str:
        parse_listen(value)
        return value.strip()

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: str) -> str:
        if value and not SECRET_TOKEN.fullmatch(value):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    alerts_per_day: int = Field(20, ge=0, le=1000)  # job alerts a person gets a day (0: none)
    # The overall send budget (bot/pacing.py): `shared` in the database for every instance,
    # `local` to this process, `auto`: shared on PostgreSQL, local on SQLite (one process).
    send_budget: str = "auto"

    @field_validator("send_budget")
    @classmethod
    def _send_budget(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("auto", "shared", "local"):
            raise ValueError("must be one of: auto, shared, local")
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        value = value.strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise ValueError("must be a 3-letter ISO 4217 code")
        return value

    @field_validator("database_url")
    @classmethod
    def _db(cls, value: str) -> str:
        if value.startswith("sqlite:///") and len(value) > len("sqlite:///"):
            return value
        if value.startswith(("postgresql://", "postgres://")) and "/" in value.split("://", 1)[1]:
            return value
        raise ValueError(
            "must be sqlite:///path/to/file.db or postgresql://user:password@host:port/database"
        )

    @field_validator("metrics_port", "miniapp_port")
    @classmethod
    def _port(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= 65535:
            raise ValueError("must be a TCP port, 1-65535")
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("text", "json"):
            raise ValueError("must be one of: text, json")
        return value

    @field_validator("default_locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        if value not in ("en", "ru"):
            raise ValueError("must be one of: en, ru")
        return value

    @model_validator(mode="after")
    def _webhook(self) -> Settings:
        if self.webhook_url and not self.webhook_secret:
            raise ValueError(
                "WEBHOOK_SECRET: is required with WEBHOOK_URL (Telegram sends it with every"
                " update; e.g. the output of `openssl rand -hex 32`)"
            )
        return self

    @model_validator(mode="after")
    def _payments(self) -> Settings:
        if not self.payment_provider_token:
            # Without a provider, Telegram Stars are the only currency there is.
            object.__setattr__(self, "currency", STARS)
        elif self.currency == STARS:
            raise ValueError("CURRENCY must be a fiat ISO 4217 code when a provider is set")
        return self

    @property
    def database_path(self) -> str:
        """The SQLite file (DATABASE_URL without sqlite:///); a PostgreSQL URL as it is."""
        return self.database_url.removeprefix("sqlite:///")

    @property
    def webhook_path(self) -> str:
        """The path of WEBHOOK_URL: the route the bot's server answers on."""
        return urlsplit(self.webhook_url).path or "/"

    @property
    def uses_postgres(self) -> bool:
        return not self.database_url.startswith("sqlite:///")

    @property
    def shares_send_budget(self) -> bool:
        """Whether the instances share the send budget in the database (SEND_BUDGET)."""
        return self.send_budget == "shared" or (self.send_budget == "auto" and self.uses_postgres)

    @property
    def uses_stars(self) -> bool:
        """New jobs are priced in Stars. Each job keeps the currency it was posted in."""
        return self.currency == STARS

    def can_pay(self, currency: str) -> bool:
        """Whether an invoice in `currency` can be sent now: Stars need no provider, fiat does
        (a deal keeps its job's currency after CURRENCY or the provider changed)."""
        return currency == STARS or bool(self.payment_provider_token)

    def provider_token(self, currency: str) -> str | None:
        """The provider token for an invoice in `currency`: none for Stars (Telegram refuses
        one), the configured provider for fiat."""
        return None if currency == STARS else (self.payment_provider_token or None)


class ConfigError(SystemExit):
    """A bad setting: one line naming the variable and what is wrong."""


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = str(err["msg"]).removeprefix("Value error, ")
        if not err["loc"]:  # a check across variables: its message names the variable
            raise ConfigError(f"Configuration error: {msg}") from None
        name = str(err["loc"][0]).upper()
        raise ConfigError(f"Configuration error: {name}: {msg}") from None
