"""Every variable of SPEC section 8 (and those of section 10 the bot has), read from the
environment and `.env`, validated."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.domain.durations import parse_duration
from bot.domain.money import STARS


def _duration(value: Any) -> int:
    """Durations are written `90s`, `15m`, `2h`, `3d`, `1w`; a bare int is seconds."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value <= 0:
            raise ValueError("must be positive")
        return value
    return parse_duration(str(value))


Duration = Annotated[int, BeforeValidator(_duration)]


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
    default_locale: str = "en"
    outbox_retention: Duration = 30 * 86400  # sent notifications kept this long (SPEC 10)

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

    @field_validator("default_locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        if value not in ("en", "ru"):
            raise ValueError("must be one of: en, ru")
        return value

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
    def uses_postgres(self) -> bool:
        return not self.database_url.startswith("sqlite:///")

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
        name = str(err["loc"][0]).upper() if err["loc"] else "configuration"
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"Configuration error: {name}: {msg}") from None
