"""What every view is made of: buttons as plain pairs, splitting long texts, small formats."""

from __future__ import annotations

Button = tuple[str, str]  # (label, callback data)
Rows = list[list[Button]]
View = tuple[str, Rows]  # HTML text and its inline keyboard
MESSAGE_LIMIT = 4096


def kl(lang: str) -> str:
    """The knowledge files' language key ('zh' or 'en') for a UI language."""
    return "en" if lang == "en" else "zh"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{round(100 * value)}%"


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split at line breaks so each part fits Telegram's limit (a long line is cut hard)."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return parts
