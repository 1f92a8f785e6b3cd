"""The text catalogue: every sentence the bot or the CLI shows, in zh-TW and en.

The texts live in `bot/catalogue/*.yaml`, one file per area. `t()` fills placeholders with
HTML-escaped values, so a team called `A&B 門市` can never break a message; a value that is
already markup is wrapped in `Html`. `plain()` is for text that is not HTML (button labels,
the command line).
"""

from __future__ import annotations

from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Literal

import yaml

UiLang = Literal["zh-TW", "en"]
UI_LANGS: tuple[UiLang, ...] = ("zh-TW", "en")
CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogue"


class Html(str):
    """A string that is already safe HTML: `t()` inserts it as it is."""

    __slots__ = ()


class CatalogueError(ValueError):
    """A catalogue file defines a key another file already has."""


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """All texts keyed by message id, then language."""
    out: dict[str, dict[str, str]] = {}
    for path in sorted(CATALOGUE_DIR.glob("*.yaml")):
        # libyaml's loader where PyYAML has it: ~5× faster, and start-up reads every file.
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER) or {}
        for key, vals in data.items():
            if key in out:
                raise CatalogueError(f"{path.name}: {key} is defined twice")
            out[str(key)] = {str(lang): str(v) for lang, v in vals.items()}
    return out


def ui_lang(code: str | None, default: UiLang = "zh-TW") -> UiLang:
    """Telegram's language_code → our language: zh* → zh-TW, anything else → en."""
    if not code:
        return default
    return "zh-TW" if code.lower().startswith("zh") else "en"


def _entry(key: str, lang: str) -> str:
    entry = catalogue()[key]
    return entry.get(lang) or entry["zh-TW"]


def t(key: str, lang: str, **kwargs: object) -> Html:
    """The HTML text `key` in `lang`, placeholders filled with escaped values."""
    text = _entry(key, lang)
    if not kwargs:
        return Html(text)
    safe = {
        k: v if isinstance(v, Html) else escape(str(v), quote=False) for k, v in kwargs.items()
    }
    return Html(text.format(**safe))


def plain(key: str, lang: str, **kwargs: object) -> str:
    """The text `key` in `lang` for places that show no HTML (labels, terminal)."""
    text = _entry(key, lang)
    return text.format(**kwargs) if kwargs else text


def both(key: str, **kwargs: object) -> str:
    """The plain text in both languages, zh-TW first (for the terminal)."""
    return f"{plain(key, 'zh-TW', **kwargs)}\n{plain(key, 'en', **kwargs)}"
