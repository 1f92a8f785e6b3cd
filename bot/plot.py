"""Bar and line charts drawn with Pillow straight onto a bitmap, in the bundled CJK font.

A chart is data first (`Panel`: titles, ticks, axes, series) and pixels second (`png`), so
tests read what a chart shows from the data and only check the picture's size and glyphs.
Drawing a /me chart this way takes ~20 ms and needs Pillow and the pages of the font it reads
(~18 MB), where a matplotlib figure took ~120 ms and ~80 MB. Pillow is imported on the first
drawing, not with the bot.
"""

from __future__ import annotations

import functools
import io
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

# The font comes with the Python install (the noto-cjk-sans-otc wheel, a declared dependency), so
# every machine draws the same Traditional Chinese glyphs with no apt step and no download. The
# file is a collection of Noto Sans CJK's regional faces; the TC face has Taiwan's glyph forms.
FONT_PACKAGE = "noto_cjk_sans_otc"
FONT_FILE = "NotoSansCJK-Regular.ttc"
CJK_FAMILY = "Noto Sans CJK TC"

INK = (33, 33, 33)
MUTED = (110, 110, 110)
_GRID = (225, 225, 225)
_AXIS = (120, 120, 120)
_TITLE_SIZE = 17
TEXT_SIZE = 13
_LINE_SPACING = 3
_PAD = 6


def font_file() -> str:
    """The bundled Noto Sans CJK collection (.ttc) of the noto-cjk-sans-otc wheel."""
    return str(resources.files(FONT_PACKAGE).joinpath(FONT_FILE))


@functools.lru_cache(maxsize=1)
def tc_face() -> int:
    """The index of the TC face in the bundled collection (the first face is Japanese)."""
    from PIL import ImageFont

    for index in range(32):
        try:
            face = ImageFont.truetype(font_file(), 12, index=index)
        except OSError:
            break
        if face.getname()[0] == CJK_FAMILY:
            return index
    raise RuntimeError(f"{font_file()} holds no {CJK_FAMILY} face; reinstall {FONT_PACKAGE}")


@functools.lru_cache(maxsize=8)
def font(size: int) -> ImageFont.FreeTypeFont:
    """The TC face at `size` pixels."""
    from PIL import ImageFont

    return ImageFont.truetype(font_file(), size, index=tc_face())


@dataclass(frozen=True)
class Axis:
    """A value axis: the value at the top of the plot, its ticks, its label."""

    top: float
    ticks: tuple[tuple[float, str], ...]
    label: str = ""
    colour: tuple[int, int, int] = INK


@dataclass(frozen=True)
class Series:
    """Bars or a line, one value per x slot; None draws nothing (a line breaks there)."""

    kind: Literal["bar", "line"]
    values: tuple[float | None, ...]
    labels: tuple[str, ...]  # written above each value ("" for none)
    colour: tuple[int, int, int]
    right: bool = False  # on the panel's right axis


@dataclass(frozen=True)
class Panel:
    """One plot: a title, x slots with their tick labels (may span lines), and its series."""

    title: str
    x_label: str
    ticks: tuple[str, ...]
    left: Axis
    series: tuple[Series, ...]
    right: Axis | None = None
    tick_size: int = TEXT_SIZE

    def texts(self) -> list[str]:
        """Every word the panel draws."""
        axes = [self.left, *([self.right] if self.right else [])]
        words = [self.title, self.x_label, *self.ticks]
        words += [a.label for a in axes] + [t for a in axes for _, t in a.ticks]
        return words + [label for s in self.series for label in s.labels]


def _rotated(text: str, size: int, colour: tuple[int, int, int]) -> Image.Image:
    """A label reading bottom to top (a y axis's), as an RGBA image."""
    from PIL import Image, ImageDraw

    face = font(size)
    left, top, right, bottom = face.getbbox(text)
    label = Image.new("RGBA", (math.ceil(right - left) + 2, math.ceil(bottom - top) + 2))
    ImageDraw.Draw(label).text((1 - left, 1 - top), text, font=face, fill=colour)
    return label.rotate(90, expand=True)


def _text_height(draw: ImageDraw.ImageDraw, text: str, size: int) -> int:
    if not text:
        return 0
    bottom = draw.multiline_textbbox((0, 0), text, font=font(size), spacing=_LINE_SPACING)[3]
    return math.ceil(bottom)


def _tick_width(axis: Axis) -> int:
    return max((math.ceil(font(TEXT_SIZE).getlength(t)) for _, t in axis.ticks), default=0)


def _draw_panel(
    image: Image.Image, draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], p: Panel
) -> None:
    x0, y0, x1, y1 = box
    text_font, title_font = font(TEXT_SIZE), font(_TITLE_SIZE)
    draw.text(((x0 + x1) / 2, y0 + _PAD), p.title, font=title_font, fill=INK, anchor="ma")
    top = y0 + _PAD + _TITLE_SIZE + 3 * _PAD
    ticks_h = max((_text_height(draw, t, p.tick_size) for t in p.ticks), default=0)
    bottom = y1 - _PAD - (TEXT_SIZE + _PAD if p.x_label else 0) - ticks_h - _PAD
    left = x0 + _PAD + _tick_width(p.left) + _PAD + (TEXT_SIZE + _PAD if p.left.label else 0)
    right = x1 - _PAD
    if p.right is not None:
        right -= _tick_width(p.right) + 2 * _PAD + (TEXT_SIZE + _PAD if p.right.label else 0)

    def y_of(value: float, axis: Axis) -> float:
        share = max(0.0, min(value, axis.top)) / axis.top if axis.top > 0 else 0.0
        return bottom - share * (bottom - top)

    for value, label in p.left.ticks:
        y = y_of(value, p.left)
        draw.line((left, y, right, y), fill=_GRID)
        draw.text((left - _PAD, y), label, font=text_font, fill=p.left.colour, anchor="rm")
    if p.right is not None:
        for value, label in p.right.ticks:
            y = y_of(value, p.right)
            draw.text((right + _PAD, y), label, font=text_font, fill=p.right.colour, anchor="lm")
        draw.line((right, top, right, bottom), fill=_AXIS)
    draw.line((left, top, left, bottom), fill=_AXIS)
    draw.line((left, bottom, right, bottom), fill=_AXIS)
    for axis, edge, turn in ((p.left, x0 + _PAD, 0), (p.right, x1 - _PAD, 1)):
        if axis is not None and axis.label:
            turned = _rotated(axis.label, TEXT_SIZE, axis.colour)
            at = (edge - turn * turned.width, round((top + bottom - turned.height) / 2))
            image.paste(turned, at, turned)

    slots = max(len(p.ticks), 1)
    slot = (right - left) / slots
    centres = [left + (i + 0.5) * slot for i in range(slots)]
    for centre, tick in zip(centres, p.ticks, strict=False):
        draw.multiline_text(
            (centre, bottom + _PAD),
            tick,
            font=font(p.tick_size),
            fill=INK,
            anchor="ma",
            align="center",
            spacing=_LINE_SPACING,
        )
    if p.x_label:
        x_mid = (left + right) / 2
        draw.text((x_mid, y1 - _PAD), p.x_label, font=text_font, fill=INK, anchor="md")

    for s in p.series:
        axis = p.right if s.right and p.right is not None else p.left
        points = [
            None if v is None else (x, y_of(v, axis))
            for x, v in zip(centres, s.values, strict=False)
        ]
        if s.kind == "bar":
            half = slot * 0.3
            for point in points:
                if point is not None and point[1] < bottom:
                    bx, by = point
                    draw.rectangle((bx - half, by, bx + half, bottom), fill=s.colour)
        else:
            for a, b in itertools.pairwise(points):
                if a is not None and b is not None:
                    draw.line((*a, *b), fill=s.colour, width=3)
            for point in points:
                if point is not None:
                    px, py = point
                    draw.ellipse((px - 5, py - 5, px + 5, py + 5), fill=s.colour)
        ink = s.colour if s.right else INK
        for point, label in zip(points, s.labels, strict=False):
            if point is not None and label:
                lx, ly = point
                draw.text((lx, ly - 8), label, font=text_font, fill=ink, anchor="md")


def png(size: tuple[int, int], panels: Sequence[Panel], widths: Sequence[int] = ()) -> bytes:
    """The panels side by side (`widths`: their shares of the width, equal by default)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    shares = list(widths) or [1] * len(panels)
    x, total = 0.0, sum(shares)
    for panel, share in zip(panels, shares, strict=True):
        width = size[0] * share / total
        _draw_panel(image, draw, (round(x), 0, round(x + width), size[1]), panel)
        x += width
    buf = io.BytesIO()
    # Few colours: a 256-colour palette image is a third of the size and encodes faster.
    image.quantize(256, method=Image.Quantize.FASTOCTREE).save(buf, format="PNG")
    return buf.getvalue()
