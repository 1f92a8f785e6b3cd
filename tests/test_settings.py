"""Settings: defaults, parsing, and one clear line per bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "ADMIN_USER_IDS",
        "TIMEZONE",
        "DEFAULT_LANGUAGE",
        "LOG_LEVEL",
        "DATABASE_PATH",
        "EXTRA_KNOWLEDGE_DIR",
        "DRILL_SIZE",
        "RATE_LIMIT",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults() -> None:
    s = load_settings()
    assert s.telegram_api_base_url == "https://api.telegram.org/bot"
    assert s.database_path == Path("data/shopcoach.db")
    assert s.default_language == "zh-TW"
    assert s.timezone == "Asia/Taipei"
    assert s.admin_user_ids == frozenset()
    assert s.extra_knowledge_dir is None
    assert s.rate_limit is True


def test_rate_limit_can_be_turned_off_for_benchmarks(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.app import build_application
    from bot.ratelimit import PacedRateLimiter

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    assert isinstance(build_application(load_settings()).bot.rate_limiter, PacedRateLimiter)
    monkeypatch.setenv("RATE_LIMIT", "false")
    assert build_application(load_settings()).bot.rate_limiter is None


def test_values_from_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ADMIN_USER_IDS=12, 34\nLOG_LEVEL=debug\nDEFAULT_LANGUAGE=en\n")
    s = load_settings()
    assert s.admin_user_ids == frozenset({12, 34})
    assert s.log_level == "DEBUG"
    assert s.default_language == "en"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("ADMIN_USER_IDS", "abc", "setting ADMIN_USER_IDS: 'abc' is not a Telegram user id"),
        ("TIMEZONE", "Taipei", "setting TIMEZONE: 'Taipei' is not a known time zone"),
        ("DEFAULT_LANGUAGE", "fr", "setting DEFAULT_LANGUAGE: "),
        ("DRILL_SIZE", "many", "setting DRILL_SIZE: "),
    ],
)
def test_bad_value_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert str(err.value).startswith(expected)
    assert "\n" not in str(err.value)
