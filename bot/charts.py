"""Progress charts as PNG bytes: mastery per task and recent drill accuracy, in zh-TW or English,
drawn with the Noto Sans CJK font that comes with the Python install.

matplotlib is imported on the first chart, not with the bot (it holds ~30 MB), and every chart
is drawn in a worker process that exits when charts stop being asked for (`render`): see there.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import logging
import math
import multiprocessing
import multiprocessing.connection
import os
import textwrap
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from importlib import resources
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from bot.texts import plain
from knowledge import heap

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontPath

_P = ParamSpec("_P")
_R = TypeVar("_R")

TASKS = ("T1", "T2", "T3", "T4", "T5")
WEEKS_SHOWN = 4

# Chart labels only; the bot's sentences live in the texts catalogue.
# The chart's own words, looked up in the text catalogue (bot/catalogue/progress.yaml).
CHART_KEYS = ("chart.mastery", "chart.accuracy", "chart.task", "chart.week")


def chart_texts(lang: str) -> dict[str, str]:
    """The chart's labels in the chart's language, keyed by their last name part."""
    return {key.split(".")[1]: plain(key, chart_language(lang)) for key in CHART_KEYS}


# The font comes with the Python install (the noto-cjk-sans-otc wheel, a declared dependency), so
# every machine draws the same Traditional Chinese glyphs with no apt step and no download. The
# file is a collection of Noto Sans CJK's regional faces; the TC face has Taiwan's glyph forms.
FONT_PACKAGE = "noto_cjk_sans_otc"
FONT_FILE = "NotoSansCJK-Regular.ttc"
CJK_FAMILY = "Noto Sans CJK TC"

_SIZE_INCHES = (8.0, 5.0)
_DPI = 100  # 8x5 in at 100 dpi: 800x500 px, readable in a Telegram photo without zooming
_BAR_COLOUR = "#2a7ab0"
_LINE_COLOUR = "#d9822b"
_PERCENT_TICKS = (0, 25, 50, 75, 100)
# A task name under its bar: at 8 pt six Han characters (or 12 Latin ones) fit one bar's width.
_NAME_SIZE = 8
_NAME_HAN_PER_LINE = 6
_NAME_LATIN_PER_LINE = 12
_NO_LINE_START = frozenset("，、。：；！？）」』")


def font_file() -> str:
    """The bundled Noto Sans CJK collection (.ttc) of the noto-cjk-sans-otc wheel."""
    return str(resources.files(FONT_PACKAGE).joinpath(FONT_FILE))


@functools.lru_cache(maxsize=1)
def find_cjk_font() -> FontPath:
    """The bundled Noto Sans CJK TC face, registered with matplotlib. Never downloads.

    A `FontPath` is a str (the .ttc's path) that also carries the TC face's index, so that face
    is drawn and not the collection's first one (Japanese forms).
    """
    from matplotlib import font_manager
    from matplotlib.font_manager import FontPath

    path = font_file()
    # Registering makes every face known by family name too, for charts that ask by name.
    font_manager.fontManager.addfont(path)
    for entry in font_manager.fontManager.ttflist:
        if entry.fname == path and entry.name == CJK_FAMILY:
            return FontPath(path, entry.index)
    raise RuntimeError(f"{path} holds no {CJK_FAMILY} face; reinstall {FONT_PACKAGE}")


def chart_language(lang: str) -> str:
    """The language charts for `lang` are drawn in: zh-TW for any zh* language, else English."""
    return "zh-TW" if lang.lower().startswith("zh") else "en"


def _percent(value: float | None) -> float | None:
    """A 0–1 fraction as a percentage clamped to 0–100; None (or NaN) stays missing."""
    if value is None or math.isnan(value):
        return None
    return max(0.0, min(1.0, value)) * 100.0


def _tick_label(task: str, name: str | None) -> str:
    """The task id over its name, wrapped to a bar's width (Chinese breaks between any two
    characters, other text between words)."""
    if not name:
        return task
    if name.isascii():
        lines = textwrap.wrap(name, _NAME_LATIN_PER_LINE)
    else:
        lines, rest = [], name
        while rest:
            cut = _NAME_HAN_PER_LINE
            # Chinese punctuation never starts a line: it ends the line before.
            while cut < len(rest) and rest[cut] in _NO_LINE_START:
                cut += 1
            lines.append(rest[:cut])
            rest = rest[cut:]
    return "\n".join([task, *lines])


def _progress_figure(
    mastery: Mapping[str, float],
    weekly: Sequence[tuple[str, float | None]],
    lang: str,
    task_names: Mapping[str, str] | None = None,
) -> Figure:
    # The object API with the Agg canvas, never pyplot: pyplot keeps global figure state that
    # is neither thread-safe nor ever freed here.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    texts = chart_texts(lang)
    # One FontProperties handed to every text: rcParams stay untouched for the rest of the
    # process, and week labels supplied by callers may be Chinese whatever the language.
    font = FontProperties(fname=find_cjk_font())
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
    names = task_names or {}
    tick_font = font.copy()
    if names:
        tick_font.set_size(_NAME_SIZE)
    left.set_xticks(
        range(len(TASKS)),
        [_tick_label(task, names.get(task)) for task in TASKS],
        fontproperties=tick_font,
        linespacing=1.3,
    )
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
    mastery: dict[str, float],
    weekly: list[tuple[str, float | None]],
    lang: str,
    task_names: Mapping[str, str] | None = None,
) -> bytes:
    """PNG (800x500) of mastery per task T1–T5 and accuracy in the last four weeks.

    `mastery` maps task id to a 0–1 fraction (a missing task draws as 0); `weekly` is
    (week label, 0–1 accuracy or None when no drills were done), oldest first. Out-of-range
    values are clamped. Labels are zh-TW for zh* languages (`chart_language`), else English;
    `task_names` (task id to title, in the user's language) go under the task ids.
    """
    fig = _progress_figure(mastery, weekly, lang, task_names)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


log = logging.getLogger(__name__)

# Seconds without a chart after which the chart process exits.
CHART_IDLE_SECONDS = 60.0


class _Renderer:
    """Draws every chart in one child process, started on the first chart and ended after
    `idle` seconds without one.

    Drawing needs matplotlib, Pillow and the CJK font: ~70 MB that a bot drawing a few charts
    an hour would otherwise keep for good (RSS after 1,000 mixed requests 218 MB in-process
    against ~150 MB). In a process of its own the drawing also never holds the bot's GIL
    (a `/me` chart used to delay the next question by ~130 ms). One process: drawing is CPU,
    and a second would not draw faster on a shop's small machine. Where a process cannot be
    started, or dies, charts are drawn in one thread instead (the bot's own memory then).
    """

    def __init__(self, idle: float, process: bool = True) -> None:
        self.idle = idle
        self.process = process  # False: always the thread (a test that inspects the drawing)
        self._pool: Executor | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._busy = 0
        self._closing: asyncio.TimerHandle | None = None

    async def run(self, draw: Callable[[], _R]) -> _R:
        loop = asyncio.get_running_loop()
        if self._closing is not None:
            self._closing.cancel()
            self._closing = None
        self._busy += 1
        try:
            if self.process:
                try:
                    if self._pool is None:
                        # "spawn": a fresh interpreter, not a fork of the bot with its
                        # knowledge, database connections and event loop.
                        self._pool = ProcessPoolExecutor(
                            max_workers=1,
                            mp_context=multiprocessing.get_context("spawn"),
                            initializer=_exit_with_parent,
                        )
                    return await loop.run_in_executor(self._pool, _drawn, draw)
                except (BrokenProcessPool, OSError) as exc:
                    log.warning("chart process unavailable (%s); drawing in a thread", exc)
                    self._pool = None
            if self._thread is None:
                self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chart")
            return await loop.run_in_executor(self._thread, _drawn, draw)
        finally:
            self._busy -= 1
            if self._busy == 0 and self._pool is not None:
                self._closing = loop.call_later(self.idle, self.close)

    def close(self) -> None:
        """End the chart process now (it finishes a drawing in progress first)."""
        self._closing = None
        if self._pool is not None and self._busy == 0:
            self._pool.shutdown(wait=False)
            self._pool = None


_RENDER = _Renderer(CHART_IDLE_SECONDS)


async def render(draw: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R:
    """`draw(*args, **kwargs)` in the chart process, keeping the event loop free meanwhile.
    `draw` and its arguments travel by pickle: module-level functions and plain data."""
    return await _RENDER.run(functools.partial(draw, *args, **kwargs))


def _exit_with_parent() -> None:
    """In the chart process: exit as soon as the bot is gone. A bot killed outright (kill -9,
    a power cut of the service) never says goodbye, and a chart process waiting for work
    would otherwise stay behind with its ~80 MB."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def one_image(draw: Callable[[], bytes]) -> Callable[[], list[bytes]]:
    """`draw` as a drawing of a list of one image (what `send_charts` takes), still picklable
    for the chart process (a lambda is not)."""
    return functools.partial(_listed, draw)


def _listed(draw: Callable[[], bytes]) -> list[bytes]:
    return [draw()]


def _drawn(draw: Callable[[], _R]) -> _R:
    """Draw, then hand the heap pages the drawing freed back to the system (a figure, its
    800×500 canvas and the PNG encoder's buffers; ~13 MB less after 300 charts, ~1 ms)."""
    try:
        return draw()
    finally:
        heap.trim()


def shown_mastery(mastery: Mapping[str, float]) -> dict[str, float]:
    """Mastery to a tenth of a percent, as the chart is drawn from it.

    Mastery fades with time (FSRS retrievability at this moment), so the exact figures change
    with every call; a tenth of a percent moves a bar by a third of a pixel, and takes hours
    of fading. Drawn from these, one user's chart stays the same picture (and is sent again
    by file id, `SentCharts`) until what it shows changes.
    """
    return {task: round(value, 3) for task, value in mastery.items()}


def chart_key(kind: str, *inputs: object) -> str:
    """A short key for a chart drawn from `inputs`: the same inputs draw the same picture."""
    return kind + ":" + hashlib.blake2b(repr(inputs).encode(), digest_size=16).hexdigest()


class SentCharts:
    """Telegram file ids of charts already sent, by `chart_key`, the most recent `size` kept.

    Telegram keeps every photo a bot sent; sending its file id again costs no drawing and no
    upload, and ~100 bytes here where keeping the PNG would cost ~40 KB. A user's /me chart
    changes only when their figures (or the day's weeks) do, so a second /me the same day
    is served from here.
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._ids: OrderedDict[str, tuple[str, ...]] = OrderedDict()

    def get(self, key: str) -> tuple[str, ...] | None:
        ids = self._ids.get(key)
        if ids is not None:
            self._ids.move_to_end(key)
        return ids

    def put(self, key: str, ids: tuple[str, ...]) -> None:
        self._ids[key] = ids
        self._ids.move_to_end(key)
        while len(self._ids) > self._size:
            self._ids.popitem(last=False)

    def drop(self, key: str) -> None:
        self._ids.pop(key, None)
