"""Supervisor charts as PNG bytes: the team heatmap (members × activities) and a member's trend.

The heatmap is drawn with Pillow (matplotlib's own image library) straight onto a bitmap, with
matplotlib's RdYlGn colours and the same Noto Sans CJK TC face as every chart (`find_cjk_font`):
a 25 × 17 grid of numbered cells costs ~45 ms this way against ~350 ms as a matplotlib figure,
and /team must draw a team of 50 (two images) within its 300 ms. The trend chart is an ordinary
matplotlib figure. All words on the charts come from the caller (the text catalogue).
Pillow and matplotlib are imported on the first drawing, not with the bot: the heatmaps need
only Pillow, and matplotlib alone holds ~30 MB that most runs of the bot never use.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.charts import CJK_FAMILY, find_cjk_font, font_file

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
_INK = (33, 33, 33)
_MUTED = (110, 110, 110)
_CELL_W, _CELL_H = 44, 30
_TASK_GAP = 6  # extra space between the columns of two tasks
_NAME_W = 170
_HEAD_H = 190  # room for the rotated activity labels
_TITLE_H = 44
_LEGEND_H = 56
_MARGIN = 12
# An image's height is FRAME_H plus ROW_H per member drawn.
ROW_H, FRAME_H = _CELL_H, _TITLE_H + _HEAD_H + _LEGEND_H


@functools.lru_cache(maxsize=1)
def _tc_face() -> int:
    """The index of the TC face in the bundled collection, found with Pillow alone (as
    `find_cjk_font` finds it with matplotlib, which the heatmaps do not need)."""
    from PIL import ImageFont

    for index in range(32):
        try:
            face = ImageFont.truetype(font_file(), 12, index=index)
        except OSError:
            break
        if face.getname()[0] == CJK_FAMILY:
            return index
    raise RuntimeError(f"{font_file()} holds no {CJK_FAMILY} face")


@functools.lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(font_file(), size, index=_tc_face())


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


def trend_png(weeks: Sequence[tuple[str, int, float | None]], texts: TrendTexts) -> bytes:
    """PNG (800x450): drills per week as bars (left axis) and accuracy as a line (right axis).

    `weeks` holds (label, drills, 0–1 accuracy or None without answers), oldest first.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import MaxNLocator

    font = FontProperties(fname=find_cjk_font())
    title_font = font.copy()
    title_font.set_size(13)
    fig = Figure(figsize=(8.0, 4.5), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    xs = range(len(weeks))
    drills = [d for _, d, _ in weeks]
    bars = ax.bar(xs, drills, color="#2a7ab0", width=0.55, label=texts.drills)
    ax.bar_label(bars, padding=2, fontproperties=font)
    ax.set_ylim(0, max([*drills, 4]) * 1.25)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(texts.drills, fontproperties=font, color="#2a7ab0")
    ax.set_xticks(list(xs), [label for label, _, _ in weeks], fontproperties=font)
    ax.set_xlabel(texts.week, fontproperties=font)
    ax.spines[["top"]].set_visible(False)

    right = ax.twinx()
    points = [math.nan if a is None else max(0.0, min(1.0, a)) * 100 for _, _, a in weeks]
    right.plot(list(xs), points, color="#d9822b", marker="o", linewidth=2)
    for x, p in zip(xs, points, strict=True):
        if not math.isnan(p):
            right.annotate(
                f"{p:.0f}%",
                (x, p),
                xytext=(0, 7),
                textcoords="offset points",
                ha="center",
                fontproperties=font,
                color="#d9822b",
            )
    right.set_ylim(0, 112)
    right.set_yticks(
        (0, 25, 50, 75, 100), ["0%", "25%", "50%", "75%", "100%"], fontproperties=font
    )
    right.set_ylabel(texts.accuracy, fontproperties=font, color="#d9822b")
    right.spines[["top"]].set_visible(False)
    ax.set_title(texts.title, fontproperties=title_font)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
