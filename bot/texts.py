"""The text catalogue: every sentence the bot or the CLI shows, in zh-TW and en (texts.yaml)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml

UiLang = Literal["zh-TW", "en"]
UI_LANGS: tuple[UiLang, ...] = ("zh-TW", "en")
_FILE = Path(__file__).resolve().parent / "texts.yaml"


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """All texts keyed by message id, then language."""
    data = yaml.safe_load(_FILE.read_text(encoding="utf-8"))
    return {str(k): {str(lang): str(v) for lang, v in vals.items()} for k, vals in data.items()}


def ui_lang(code: str | None, default: UiLang = "zh-TW") -> UiLang:
    """Telegram's language_code → our language: zh* → zh-TW, anything else → en."""
    if not code:
        return default
    return "zh-TW" if code.lower().startswith("zh") else "en"


def t(key: str, lang: str, **kwargs: object) -> str:
    """The text `key` in `lang` with `{placeholders}` filled in."""
    entry = catalogue()[key]
    text = entry.get(lang) or entry["zh-TW"]
    return text.format(**kwargs) if kwargs else text
