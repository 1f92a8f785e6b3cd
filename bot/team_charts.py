"""Supervisor charts as PNG bytes: the team heatmap (members × activities) and a member's trend.

Both are drawn with Pillow, in the same Noto Sans CJK TC face as every chart (`bot/plot.py`).
The heatmap is a grid drawn cell by cell in matplotlib's RdYlGn colours: a 25 × 17 grid of
numbered cells costs ~45 ms this way against ~350 ms as a matplotlib figure, and /team must
draw a team of 50 (two images) within its 300 ms; the trend is a `plot.Panel`. All words on
the charts come from the caller (the text catalogue).
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot import plot
from bot.plot import INK as _INK
from bot.plot import MUTED as _MUTED
from bot.plot import font as _font

if TYPE_CHECKING:
    from PIL import Image, ImageFont

HEAT_ROWS = 25  # members per heatmap image at most
# matplotlib's RdYlGn (its 11 colours, as 0–255), sampled the way its 256-entry lookup table
# is: the same cell colours without importing matplotlib (tests compare the two).
_RDYLGN = (
    (165, 0, 38),
    (215, 48, 39),
    (244, 109, 67),
    (253, 174, 97),
    (254, 224, 139),
    (255, 255, 191),
    (217, 239, 139),
    (166, 217, 106),
    (102, 189, 99),
    (26, 152, 80),
    (0, 104, 55),
)
_LUT_SIZE = 256
_NOT_PRACTISED = (226, 226, 226)
_CELL_W, _CELL_H = 44, 30
_TASK_GAP = 6  # extra space between the columns of two tasks
_NAME_W = 170
_HEAD_H = 190  # room for the rotated activity labels
_TITLE_H = 44
_LEGEND_H = 56
_MARGIN = 12
# An image's height is FRAME_H plus ROW_H per member drawn.
ROW_H, FRAME_H = _CELL_H, _TITLE_H + _HEAD_H + _LEGEND_H


@dataclass(frozen=True)
class HeatRow:
    """One member: a label and a mastery (0–1) per column, None where never practised."""

    label: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class HeatTexts:
    """The heatmap's words, in the viewer's language."""

    title: str  # e.g. "門市 007 — 精熟度"; the page number is added when there are several
    not_practised: str
    scale: str  # what the colours mean, e.g. "精熟度 %"


def heat_pages(n_rows: int, per_page: int = HEAT_ROWS) -> list[range]:
    """Row ranges of each image: as few images as fit, as evenly filled as possible."""
    if n_rows <= 0:
        return []
    pages = math.ceil(n_rows / per_page)
    size = math.ceil(n_rows / pages)
    return [range(s, min(s + size, n_rows)) for s in range(0, n_rows, size)]


def _fit(text: str, font: ImageFont.FreeTypeFont, width: float) -> str:
    """`text` cut (with …) to fit `width` pixels."""
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text + "…"


@functools.lru_cache(maxsize=256)
def _rotated_label(text: str, size: int) -> Image.Image:
    """A column label turned to read bottom to top, as an alpha mask (cached: labels repeat)."""
    from PIL import Image, ImageDraw

    font = _font(size)
    label = _fit(text, font, _HEAD_H - 8)
    mask = Image.new("L", (_HEAD_H - 4, _CELL_W), 0)
    ImageDraw.Draw(mask).text((2, _CELL_W / 2), label, font=font, fill=255, anchor="lm")
    return mask.rotate(90, expand=True)


def _column_x(columns: Sequence[str]) -> list[int]:
    """Left edge of each column; a gap where the task (the part before the dot) changes."""
    xs, x, prev = [], _MARGIN + _NAME_W, None
    for col in columns:
        task = col.split(".")[0]
        if prev is not None and task != prev:
            x += _TASK_GAP
        xs.append(x)
        x += _CELL_W
        prev = task
    return xs


@functools.lru_cache(maxsize=128)
def _level_colour(percent: int) -> tuple[int, int, int]:
    """matplotlib's `colormaps["RdYlGn"](percent / 100)` in 0–255, computed as it does: the
    entry of a 256-colour table, each interpolated between the two colours around it."""
    i = min(int(percent / 100 * _LUT_SIZE), _LUT_SIZE - 1)
    x = i * (1 / (_LUT_SIZE - 1))
    step = 1 / (len(_RDYLGN) - 1)
    j = next(j for j in range(len(_RDYLGN)) if j * step >= x)
    if j == 0:
        return _RDYLGN[0]
    lo, hi = _RDYLGN[j - 1], _RDYLGN[j]
    d = (x - (j - 1) * step) / (j * step - (j - 1) * step)
    r, g, b = (
        round((d * (h / 255 - low / 255) + low / 255) * 255) for low, h in zip(lo, hi, strict=True)
    )
    return r, g, b


def _colour(value: float) -> tuple[int, int, int]:
    return _level_colour(round(max(0.0, min(1.0, value)) * 100))


@functools.lru_cache(maxsize=256)
def _text_mask(text: str, size: int) -> Image.Image:
    """A short text (a cell's number) as an alpha mask, drawn once and pasted many times."""
    from PIL import Image, ImageDraw

    font = _font(size)
    left, top, right, bottom = font.getbbox(text, anchor="mm")
    mask = Image.new("L", (math.ceil(right - left), math.ceil(bottom - top)), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, font=font, fill=255, anchor="mm")
    return mask


def _paste_text(
    image: Image.Image, centre: tuple[float, float], text: str, size: int, ink: tuple[int, ...]
) -> None:
    mask = _text_mask(text, size)
    x, y = round(centre[0] - mask.width / 2), round(centre[1] - mask.height / 2)
    image.paste(ink, (x, y, x + mask.width, y + mask.height), mask)


def _ink_on(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    r, g, b = rgb
    return (255, 255, 255) if 0.299 * r + 0.587 * g + 0.114 * b < 120 else _INK


def heatmap_png(
    columns: Sequence[str], rows: Sequence[HeatRow], texts: HeatTexts, page: str = ""
) -> bytes:
    """One image: a row per member, a column per activity, each cell its mastery in %."""
    from PIL import Image, ImageDraw

    xs = _column_x(columns)
    width = (xs[-1] + _CELL_W if xs else _MARGIN + _NAME_W) + _MARGIN
    top = _TITLE_H + _HEAD_H
    height = top + len(rows) * _CELL_H + _LEGEND_H
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    name_font, cell_font, title_font = _font(16), _font(12), _font(18)

    title = f"{texts.title}  {page}".strip()
    draw.text(
        (_MARGIN, _TITLE_H / 2),
        _fit(title, title_font, width - 2 * _MARGIN),
        font=title_font,
        fill=_INK,
        anchor="lm",
    )
    for x, col in zip(xs, columns, strict=True):
        mask = _rotated_label(col, 15)
        image.paste(_INK, (x, top - mask.height - 4), mask)

    for r, row in enumerate(rows):
        y = top + r * _CELL_H
        label = _fit(row.label, name_font, _NAME_W - 10)
        draw.text(
            (_MARGIN + _NAME_W - 8, y + _CELL_H / 2), label, font=name_font, fill=_INK, anchor="rm"
        )
        for x, value in zip(xs, row.values, strict=True):
            fill = _NOT_PRACTISED if value is None else _colour(value)
            draw.rectangle((x, y, x + _CELL_W - 2, y + _CELL_H - 2), fill=fill)
            text = "·" if value is None else str(round(max(0.0, min(1.0, value)) * 100))
            _paste_text(image, (x + _CELL_W / 2 - 1, y + _CELL_H / 2 - 1), text, 12, _ink_on(fill))

    # Legend: the colour scale from 0 to 100 %, then the grey of "not practised".
    y = top + len(rows) * _CELL_H + 14
    x = _MARGIN + _NAME_W
    draw.text((x - 8, y + 10), texts.scale, font=cell_font, fill=_MUTED, anchor="rm")
    steps = 10
    for i in range(steps + 1):
        fill = _colour(i / steps)
        draw.rectangle((x + i * 26, y, x + i * 26 + 24, y + 20), fill=fill)
        draw.text(
            (x + i * 26 + 12, y + 10), str(i * 10), font=cell_font, fill=_ink_on(fill), anchor="mm"
        )
    gx = x + (steps + 1) * 26 + 16
    draw.rectangle((gx, y, gx + 24, y + 20), fill=_NOT_PRACTISED)
    draw.text((gx + 12, y + 10), "·", font=cell_font, fill=_INK, anchor="mm")
    draw.text((gx + 32, y + 10), texts.not_practised, font=cell_font, fill=_MUTED, anchor="lm")

    buf = io.BytesIO()
    # Few colours: a 256-colour palette image is a third of the size and encodes twice as fast.
    image.quantize(256, method=Image.Quantize.FASTOCTREE).save(buf, format="PNG")
    return buf.getvalue()


def cells_shown(rows: Sequence[HeatRow]) -> list[tuple[str, list[int | None]]]:
    """What the heatmap shows of `rows`: each label and its cells as whole percents (the
    colour and the number of a cell depend on nothing else), for keying a drawn heatmap."""
    return [
        (
            row.label,
            [None if v is None else round(max(0.0, min(1.0, v)) * 100) for v in row.values],
        )
        for row in rows
    ]


def heatmaps(columns: Sequence[str], rows: Sequence[HeatRow], texts: HeatTexts) -> list[bytes]:
    """The team heatmap as one image per ≤ 25 members (every member on exactly one image)."""
    pages = heat_pages(len(rows))
    return [
        heatmap_png(
            columns,
            [rows[i] for i in rng],
            texts,
            f"({n}/{len(pages)})" if len(pages) > 1 else "",
        )
        for n, rng in enumerate(pages, 1)
    ]


@dataclass(frozen=True)
class TrendTexts:
    title: str
    drills: str
    accuracy: str
    week: str


_DRILLS_COLOUR = (42, 122, 176)
_ACCURACY_COLOUR = (217, 130, 43)


def _drill_ticks(most: int) -> tuple[tuple[float, str], ...]:
    """Whole-number ticks from 0 to at least `most`, at most 6 of them (a step of 1, 2, 5, 10…)."""
    scale = 1
    while True:
        for s in (1, 2, 5):
            step = s * scale
            if most / step <= 5:
                return tuple((float(v), str(v)) for v in range(0, most + step, step))
        scale *= 10


def trend_panel(weeks: Sequence[tuple[str, int, float | None]], texts: TrendTexts) -> plot.Panel:
    """What a member's trend shows: drills per week as bars (left axis), accuracy as a line
    (right axis, 0–100 %). `weeks` holds (label, drills, 0–1 accuracy or None), oldest first."""
    drills = [max(0, d) for _, d, _ in weeks]
    ticks = _drill_ticks(max([*drills, 4]))
    points = tuple(None if a is None else max(0.0, min(1.0, a)) * 100 for _, _, a in weeks)
    return plot.Panel(
        title=texts.title,
        x_label=texts.week,
        ticks=tuple(label for label, _, _ in weeks),
        left=plot.Axis(ticks[-1][0] * 1.12, ticks, texts.drills, _DRILLS_COLOUR),
        right=plot.Axis(
            112.0,
            tuple((float(p), f"{p}%") for p in (0, 25, 50, 75, 100)),
            texts.accuracy,
            _ACCURACY_COLOUR,
        ),
        series=(
            plot.Series("bar", tuple(map(float, drills)), tuple(map(str, drills)), _DRILLS_COLOUR),
            plot.Series(
                "line",
                points,
                tuple("" if p is None else f"{p:.0f}%" for p in points),
                _ACCURACY_COLOUR,
                right=True,
            ),
        ),
    )


def trend_png(weeks: Sequence[tuple[str, int, float | None]], texts: TrendTexts) -> bytes:
    """PNG (800x450): drills per week as bars (left axis) and accuracy as a line (right axis).

    `weeks` holds (label, drills, 0–1 accuracy or None without answers), oldest first.
    """
    return plot.png((800, 450), [trend_panel(weeks, texts)])
