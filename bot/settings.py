"""Typed settings read from the environment and `.env`: the one place configuration lives."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class SettingsError(Exception):
    """A setting has a bad value; the message is one line naming the setting."""


class Settings(BaseSettings):
    """Everything that differs between installations."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: str = ""
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    database_path: Path = Path("data/shopcoach.db")
    admin_user_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    default_language: Literal["zh-TW", "en"] = "zh-TW"
    timezone: str = "Asia/Taipei"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    extra_knowledge_dir: Path | None = None
    access_mode: Literal["invite", "open"] = "invite"
    invite_days: int = Field(default=7, ge=1, le=365)
    invite_uses: int = Field(default=20, ge=1, le=10_000)
    drill_size: int = Field(default=5, ge=1, le=20)
    webhook_secret: str = Field(default="", pattern=r"^[A-Za-z0-9_-]{0,256}$")
    # Backups: the folder, how many to keep, and the daily time (HH:MM local; "0" = none).
    backup_dir: Path = Path("data/backups")
    backup_keep: int = Field(default=14, ge=1, le=10_000)
    backup_time: str = "03:30"
    # Off only for measuring the bot's own throughput against a local fake Bot API
    # (bench/bench_throughput.py): without it nothing holds Telegram's limits or retries.
    rate_limit: bool = True

    @field_validator("admin_user_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
            ids = []
            for part in parts:
                if not part.lstrip("-").isdigit():
                    raise ValueError(f"'{part}' is not a Telegram user id (digits only)")
                ids.append(int(part))
            return frozenset(ids)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a known time zone, e.g. Asia/Taipei") from None
        return value

    @field_validator("extra_knowledge_dir", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value

    @field_validator("backup_time", mode="before")
    @classmethod
    def _hhmm_or_off(cls, value: object) -> object:
        text = str(value).strip() if value is not None else ""
        if text in ("", "0", "off"):
            return "0"
        match = re.fullmatch(r"([0-9]{1,2}):([0-9]{2})", text)
        if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            raise ValueError(f"'{text}' is not a time like 03:30 (or 0 for no daily backup)")
        return f"{int(match.group(1)):02d}:{match.group(2)}"

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def daily_backup_at(self) -> time | None:
        """The local time of the daily backup, or None when it is turned off."""
        if self.backup_time == "0":
            return None
        h, m = self.backup_time.split(":")
        return time(int(h), int(m), tzinfo=self.tz)


def load_settings(**overrides: object) -> Settings:
    """Read settings; raise SettingsError with one line per bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "settings"
            msg = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"setting {name}: {msg}")
        raise SettingsError("\n".join(lines)) from None
