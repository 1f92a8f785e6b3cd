"""Text folding shared by the checker and the matcher: width, case, punctuation, script."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

# Zero-width and BOM characters arrive from copy-paste and some phone keyboards.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACE_RE = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _s2twp() -> opencc.OpenCC:
    return opencc.OpenCC("s2twp")


class _Blank(dict[int, str]):
    """str.translate table, filled lazily: letters and digits stay, the rest → space."""

    def __missing__(self, code: int) -> str:
        # Letters (incl. CJK) and digits carry meaning; punctuation, symbols, emoji do not.
        ch = chr(code)
        value = ch if unicodedata.category(ch)[0] in "LN" else " "
        self[code] = value
        return value


_BLANK = _Blank()


def fold(text: str) -> str:
    """NFKC (full width → half width), case-fold, punctuation/emoji → single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold()
    return _SPACE_RE.sub(" ", text.translate(_BLANK)).strip()


def to_traditional(text: str) -> str:
    """Simplified → Traditional Chinese (Taiwan phrasing) with OpenCC s2twp."""
    return _s2twp().convert(text)


def fold_key(text: str) -> str:
    """A comparison key: folded, Traditional, without spaces (for duplicate checks)."""
    return fold(to_traditional(text)).replace(" ", "")
