"""Progress charts as PNG bytes: mastery per task and recent drill accuracy, in zh-TW when a
CJK font is installed and in English otherwise.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Iterable, Mapping, Sequence

# The object API with the Agg canvas, never pyplot: handlers may render from several threads,
# and pyplot keeps global figure state that is neither thread-safe nor ever freed here.
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font

TASKS = ("T1", "T2", "T3", "T4", "T5")
WEEKS_SHOWN = 4

# Chart labels only; the bot's sentences live in the texts catalogue.
CHART_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "mastery": "Mastery per task",
        "accuracy": "Accuracy, last 4 weeks",
        "task": "Task",
        "week": "Week",
    },
    "zh-TW": {
        "mastery": "各任務精熟度",
        "accuracy": "近四週答對率",
        "task": "任務",
        "week": "週",
    },
}

# Best first. The Noto CJK .ttc holds every regional face, so JP and SC cover Traditional
# characters too (older matplotlib only sees a collection's first face, "Noto Sans CJK JP").
CJK_FAMILIES = (
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "Noto Sans TC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "AR PL UMing TW",
    "AR PL UMing",
    "AR PL UMing HK",
    "AR PL UMing CN",
    "Droid Sans Fallback",
)

# A family name is only a claim: the font must hold a glyph for every character we draw.
_ZH_CHARS = frozenset("".join(CHART_TEXTS["zh-TW"].values()))

_SIZE_INCHES = (8.0, 5.0)
_DPI = 100  # 8x5 in at 100 dpi: 800x500 px, readable in a Telegram photo without zooming
_BAR_COLOUR = "#2a7ab0"
_LINE_COLOUR = "#d9822b"
_PERCENT_TICKS = (0, 25, 50, 75, 100)


def _has_glyphs(path: str, index: int) -> bool:
    try:
        # A bare FT2Font has no fallback chain, so a missing glyph really reads as index 0.
        font = FT2Font(path, face_index=index) if index else FT2Font(path)
    except (OSError, RuntimeError, ValueError):
        return False
    return all(font.get_char_index(ord(ch)) != 0 for ch in _ZH_CHARS)


def _font_file(path: str, index: int) -> str:
    # matplotlib >= 3.11 can address one face of a collection; a FontPath is a str that also
    # carries the index, so the Traditional (TC) face of a .ttc is drawn, not face 0 (JP).
    font_path = getattr(font_manager, "FontPath", None)
    if index and font_path is not None:
        return font_path(path, index)
    return path


def _weight(value: object) -> int:
    if isinstance(value, int):
        return value
    return int(font_manager.weight_dict.get(str(value), 400))


def _ranked(found: Iterable[tuple[str, str, int, int]]) -> list[tuple[str, int]]:
    """(family, path, face index, penalty for not being the regular face) → best first."""
    rank = {family: n for n, family in enumerate(CJK_FAMILIES)}
    hits = sorted(
        (rank[family], penalty, path, index)
        for family, path, index, penalty in found
        if family in rank
    )
    return [(path, index) for _, _, path, index in hits]


def _from_font_cache() -> list[tuple[str, int]]:
    return _ranked(
        (entry.name, entry.fname, getattr(entry, "index", 0), abs(_weight(entry.weight) - 400))
        for entry in font_manager.fontManager.ttflist
        if entry.style == "normal"
    )


def _from_system_scan() -> list[tuple[str, int]]:
    # matplotlib's font cache is built once and does not notice fonts installed afterwards
    # (e.g. apt-get install on a machine where matplotlib already ran), so look at the files.
    found = []
    for path in font_manager.findSystemFonts():
        try:
            font = FT2Font(path)
        except (OSError, RuntimeError, ValueError):
            continue
        found.append((font.family_name, path, 0, 0 if font.style_name == "Regular" else 1))
    return _ranked(found)


@functools.lru_cache(maxsize=1)
def find_cjk_font() -> str | None:
    """Path of an installed font with Traditional Chinese glyphs, or None. Never downloads."""
    for candidates in (_from_font_cache, _from_system_scan):
        for path, index in candidates():
            if _has_glyphs(path, index):
                return _font_file(path, index)
    return None


def _wants_zh(lang: str) -> bool:
    return lang.lower().startswith("zh")


def chart_language(lang: str) -> str:
    """The language charts for `lang` are drawn in: "zh-TW" needs an installed CJK font."""
    return "zh-TW" if _wants_zh(lang) and find_cjk_font() is not None else "en"


def _percent(value: float | None) -> float | None:
    """A 0–1 fraction as a percentage clamped to 0–100; None (or NaN) stays missing."""
    if value is None or math.isnan(value):
        return None
    return max(0.0, min(1.0, value)) * 100.0


def _progress_figure(
    mastery: Mapping[str, float], weekly: Sequence[tuple[str, float | None]], lang: str
) -> Figure:
    font_file = find_cjk_font()
    texts = CHART_TEXTS["zh-TW" if _wants_zh(lang) and font_file is not None else "en"]
    # One FontProperties handed to every text: rcParams stay untouched for the rest of the
    # process, and week labels supplied by callers may be Chinese whatever the language.
    font = FontProperties(fname=font_file) if font_file is not None else FontProperties()
    title_font = font.copy()
    title_font.set_size(13)

    fig = Figure(figsize=_SIZE_INCHES, dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": (5, 4)})

    for ax in (left, right):
        # Headroom above 100 % so a full bar's value label stays inside the panel.
        ax.set_ylim(0, 112)
        ax.set_yticks(_PERCENT_TICKS, [f"{p}%" for p in _PERCENT_TICKS], fontproperties=font)
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
        ax.spines[["top", "right"]].set_visible(False)

    levels = [_percent(mastery.get(task, 0.0)) or 0.0 for task in TASKS]
    bars = left.bar(range(len(TASKS)), levels, color=_BAR_COLOUR, width=0.6)
    left.bar_label(bars, labels=[f"{v:.0f}%" for v in levels], padding=2, fontproperties=font)
    left.set_xticks(range(len(TASKS)), TASKS, fontproperties=font)
    left.set_title(texts["mastery"], fontproperties=title_font)
    left.set_xlabel(texts["task"], fontproperties=font)

    # The title promises four weeks; older entries the caller passes are not drawn.
    shown = list(weekly)[-WEEKS_SHOWN:]
    points = [_percent(value) for _, value in shown]
    # NaN breaks the line: a week without drills is a gap, not a 0 % week.
    right.plot(
        range(len(shown)),
        [math.nan if p is None else p for p in points],
        color=_LINE_COLOUR,
        marker="o",
        linewidth=2,
    )
    for x, p in enumerate(points):
        if p is not None:
            right.annotate(
                f"{p:.0f}%",
                (x, p),
                xytext=(0, 7),
                textcoords="offset points",
                ha="center",
                fontproperties=font,
            )
    right.set_xlim(-0.5, max(len(shown), 1) - 0.5)
    right.set_xticks(range(len(shown)), [label for label, _ in shown], fontproperties=font)
    right.set_title(texts["accuracy"], fontproperties=title_font)
    right.set_xlabel(texts["week"], fontproperties=font)
    return fig


def progress_chart(
    mastery: dict[str, float], weekly: list[tuple[str, float | None]], lang: str
) -> bytes:
    """PNG (800x500) of mastery per task T1–T5 and accuracy in the last four weeks.

    `mastery` maps task id to a 0–1 fraction (a missing task draws as 0); `weekly` is
    (week label, 0–1 accuracy or None when no drills were done), oldest first. Out-of-range
    values are clamped. Labels are zh-TW for zh* languages when `chart_language` allows.
    """
    fig = _progress_figure(mastery, weekly, lang)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
