"""Text folding shared by the checker and the matcher: width, case, punctuation, script."""

from __future__ import annotations

import importlib.util
import json
import logging
import re
import subprocess
import unicodedata
from array import array
from functools import lru_cache
from pathlib import Path

import opencc

from knowledge import s2twp

log = logging.getLogger(__name__)

# Zero-width and BOM characters arrive from copy-paste and some phone keyboards.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACE_RE = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _s2twp() -> opencc.OpenCC:
    # s2twp, with its Simplified phrases held once instead of twice (knowledge/s2twp.py).
    return s2twp.converter()


@lru_cache(maxsize=1)
def _s2twp_messages() -> s2twp.Converter | opencc.OpenCC:
    # The same conversion in Python: ~12 MB kept instead of OpenCC's ~32 MB (knowledge/s2twp.py).
    try:
        return s2twp.python_converter()
    except (OSError, ValueError, KeyError, TypeError, subprocess.SubprocessError) as exc:
        log.debug("OpenCC kept for messages: %s", exc)
        return _s2twp()


def release_bulk() -> None:
    """Let OpenCC go once a build is done (its ~32 MB); the next build loads it again."""
    _s2twp.cache_clear()


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


_BLANK_KEEP_LINES = _Blank()
_BLANK_KEEP_LINES[ord("\n")] = "\n"
_SPACES_IN_LINE_RE = re.compile(r"[^\S\n]+")


def fold_lines(text: str) -> list[str]:
    """`fold` of each line of `text`, in one pass over the whole text (far faster than a
    call per line when there are thousands of them)."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold()
    text = _SPACES_IN_LINE_RE.sub(" ", text.translate(_BLANK_KEEP_LINES))
    return [line.strip() for line in text.split("\n")]


@lru_cache(maxsize=256)
def to_traditional(text: str) -> str:
    """Simplified → Traditional Chinese (Taiwan phrasing), OpenCC's s2twp, for one message.
    Remembered for the last few texts: one search converts its question three times."""
    if text.isascii() and "\x00" not in text:
        # No Chinese to convert (s2twp's dictionaries hold no ASCII; OpenCC only drops NUL,
        # a C string's end): an English question skips the converter (tests/test_s2twp.py).
        return text
    return _s2twp_messages().convert(text)


def to_traditional_bulk(text: str) -> str:
    """`to_traditional` of a long text (thousands of lines at a build), with OpenCC itself:
    ~20 times faster a character than the Python twin; `release_bulk` lets it go."""
    return _s2twp().convert(text)


def fold_key(text: str) -> str:
    """A comparison key: folded, Traditional, without spaces (for duplicate checks, at a
    build: with OpenCC)."""
    return fold(to_traditional_bulk(text)).replace(" ", "")


def fold_keys(texts: list[str]) -> list[str]:
    """`fold_key` of many one-line texts with one OpenCC call (its per-call cost dominates)."""
    flat = [t.replace("\n", " ") for t in texts]
    lines = fold_lines(to_traditional_bulk("\n".join(flat)))
    if len(lines) != len(flat):  # a character that NFKC turns into a line break
        return [fold_key(t) for t in texts]
    return [line.replace(" ", "") for line in lines]


def _readings() -> dict[str, str]:
    """pypinyin's character readings, 'code point' → 'zhuó,zhāo,…' (most common first)."""
    # Reading the JSON it ships takes ~40 ms; importing pypinyin.pinyin_dict, which
    # re-keys every entry in Python, takes ten times that.
    # find_spec locates the package without running it (its __init__ loads that module).
    spec = importlib.util.find_spec("pypinyin")
    where = list(spec.submodule_search_locations or []) if spec is not None else []
    try:
        path = Path(where[0]) / "pinyin_dict.json"
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (IndexError, OSError, ValueError):  # another layout: the slow, public way
        from pypinyin.pinyin_dict import pinyin_dict

        return {str(k): v for k, v in pinyin_dict.items()}


# Initials and finals that Taiwanese speakers (and 注音 typists) often do not tell apart.
_SOUND_FOLDS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("ing", "in"), ("eng", "en"))


def _fold_reading(reading: str) -> str:
    """A reading ('zhuó') without its tone and retroflex/nasal distinctions ('zuo')."""
    plain = "".join(c for c in unicodedata.normalize("NFD", reading) if c.isascii())
    for src, dst in _SOUND_FOLDS:
        plain = plain.replace(src, dst)
    return plain


@lru_cache(maxsize=1)
def _sound_table() -> tuple[array[int], tuple[str | None, ...]]:
    """Each code point's sound key, as an index into the few hundred distinct keys (0: none).

    Two bytes a code point up to the last one with a reading (~0.4 MB): the readings
    themselves, a dict of 41,000 entries (~5.4 MB), are read once and dropped.
    """
    readings = _readings()
    keys: dict[str | None, int] = {None: 0}
    index_of: dict[str, int] = {}  # first reading → its key's index (~1,500 of them)
    table = array("H", bytes(2 * (max(map(int, readings), default=0) + 1)))
    for code, values in readings.items():
        if not values:
            continue
        first = values.partition(",")[0]
        index = index_of.get(first)
        if index is None:
            index = index_of[first] = keys.setdefault(_fold_reading(first), len(keys))
        table[int(code)] = index
    return table, tuple(keys)


def sound_key(char: str) -> str | None:
    """How a Chinese character sounds, ignoring tone and retroflex/nasal slips; None if unknown.

    注音 typing slips pick another character with the same sound (備分, 會原, 發票作費):
    characters with the same key are candidates for each other.
    """
    table, keys = _sound_table()
    code = ord(char)
    return keys[table[code]] if code < len(table) else None
