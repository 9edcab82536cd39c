"""Configuration from the environment (prefix PORTCRM_) and an optional .env file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Locale = Literal["zh_CN", "zh_TW", "en"]
LOCALES: tuple[Locale, ...] = ("zh_CN", "zh_TW", "en")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTCRM_", env_file=".env", extra="ignore")

    bot_token: SecretStr | None = None
    bot_username: str | None = None
    database_url: str = "sqlite+aiosqlite:///portcrm.db"
    telegram_api_url: str = "https://api.telegram.org"
    timezone: str = "Asia/Shanghai"
    default_locale: Locale = "zh_CN"
    redis_url: str | None = None
    locales_dir: Path = Field(default_factory=lambda: PROJECT_ROOT / "locales")
    default_currency: str = "CNY"
    invite_ttl_days: int = Field(default=7, ge=1, le=90)
    # per-user flood control: sustained updates a second and the burst allowed above it (0 turns it off)
    user_rate_limit: float = Field(default=1.0, ge=0)
    user_burst: int = Field(default=10, ge=1)
    # webhook mode (docs/deploy.md): the secret Telegram sends with every update; every instance must share it
    webhook_secret: SecretStr | None = None

    # delivery (docs/operations.md explains each)
    telegram_rate: float = Field(default=28.0, gt=0)  # requests a second overall: handlers and outbox
    broadcast_rate: float = Field(default=25.0, gt=0, le=30)
    delivery_window: int = Field(default=1, ge=1, le=30)  # sends in flight; a crash may repeat as many
    outbox_poll_seconds: float = Field(default=0.5, gt=0, le=60)  # how often an idle outbox looks
    department_chats: dict[str, int] = Field(default_factory=dict)
    # scheduled work
    run_scheduler: bool = True
    morning_hour: int = Field(default=9, ge=0, le=23)
    revisit_cadence_days: dict[str, int] = Field(default_factory=lambda: {"A": 30, "B": 60, "C": 90})
    dunning_ladder: list[int] = Field(default_factory=lambda: [-3, 1, 15, 30])
    legal_action_after_days: int = Field(default=90, ge=1)
    grading_weights: dict[str, float] = Field(
        default_factory=lambda: {"volume": 0.3, "revenue": 0.25, "credit": 0.2, "payment": 0.15, "years": 0.1}
    )
    grading_thresholds: dict[str, float] = Field(default_factory=lambda: {"A": 70.0, "B": 45.0})
    working_hours: tuple[str, str] = ("08:30", "17:30")
    calendar_file: Path | None = None
    # terminal and carrier feeds (docs/feeds.md)
    feed_listen: str | None = None  # HOST:PORT of the receiver when polling (a webhook shares its server)
    edi_drop_dir: Path | None = None  # watched for EDIFACT files; "quarantine" and "done" sit inside it
    edi_partners_file: Path | None = None  # per-partner status code mapping (TOML); else built-in defaults
    tariff_file: Path | None = None  # free time, demurrage and detention (TOML); else the built-in default
    eta_change_hours: float = Field(default=6.0, gt=0)  # an arrival moved by more than this is pushed
    # the complaint mailbox and mail to customers (docs/desk.md)
    complaint_address: str | None = None  # the only address the receiver takes mail for
    mail_listen: str | None = None  # HOST:PORT of the SMTP receiver; off when unset
    mail_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)  # larger mail is refused with 552
    smtp_host: str | None = None  # the port's relay; no mail goes out when unset
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_tls: Literal["none", "starttls", "tls"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    mail_from: str | None = None  # the From address; the complaint address when unset
    mail_from_name: str = "PortCRM"
    mail_rate_per_minute: float = Field(default=30.0, gt=0)
    hotline: str | None = None  # the service and complaint hotline's number, shown by /services

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TOKEN.match(value.get_secret_value()):
            # the message must not echo the value: it is a secret
            raise ValueError("must look like 123456:ABC-DEF (digits, colon, token)")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must use sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("complaint_address", "mail_from")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", value):
            raise ValueError("must be a plain e-mail address like complaints@port.example")
        return value

    @property
    def sender_address(self) -> str | None:
        """The From address of mail to customers: `mail_from`, else the complaint address."""
        return self.mail_from or self.complaint_address

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def require_token(self) -> str:
        if self.bot_token is None:
            raise ConfigError("PORTCRM_BOT_TOKEN is not set")
        return self.bot_token.get_secret_value()


@dataclass(frozen=True, slots=True)
class Listen:
    """A HOST:PORT to listen on: the webhook (behind a TLS-terminating proxy) and the feed receiver."""

    host: str
    port: int

    @classmethod
    def parse(cls, value: str) -> Listen:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError(f"expected HOST:PORT, got {value!r}")
        return cls(host.strip("[]"), int(port))


class ConfigError(Exception):
    """A setting that stops start-up; its message is one line fit to print."""


def load_settings(**overrides: object) -> Settings:
    """Build settings once at start-up, turning pydantic's report into one clear line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "PORTCRM_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{name}: {message}") from None
