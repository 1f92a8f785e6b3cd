"""Progress charts as PNG bytes: mastery per task and recent drill accuracy, in zh-TW or English,
drawn with Pillow (`bot/plot.py`) in the Noto Sans CJK font that comes with the Python install.

Every chart is drawn in a worker process that exits when charts stop being asked for
(`render`): see there.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import math
import os
import pickle
import subprocess
import sys
import textwrap
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

from bot import chartworker, plot, team_charts
from bot.texts import plain

_ROOT = Path(__file__).resolve().parents[1]  # where `bot` is imported from
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


_SIZE = (800, 500)  # readable in a Telegram photo without zooming
_BAR_COLOUR = (42, 122, 176)
_LINE_COLOUR = (217, 130, 43)
_PERCENT_TICKS = tuple((float(p), f"{p}%") for p in (0, 25, 50, 75, 100))
# Headroom above 100 % so a full bar's value label stays inside the panel.
_PERCENT_TOP = 112.0
# A task name under its bar: at 11 px six Han characters (or 12 Latin ones) fit one bar's width.
_NAME_SIZE = 11
_NAME_HAN_PER_LINE = 6
_NAME_LATIN_PER_LINE = 12
_NO_LINE_START = frozenset("，、。：；！？）」』")


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


def progress_panels(
    mastery: Mapping[str, float],
    weekly: Sequence[tuple[str, float | None]],
    lang: str,
    task_names: Mapping[str, str] | None = None,
) -> tuple[plot.Panel, plot.Panel]:
    """What the /me chart shows: mastery per task as bars, accuracy per week as a line."""
    texts = chart_texts(lang)
    percent_axis = plot.Axis(_PERCENT_TOP, _PERCENT_TICKS)
    levels = [_percent(mastery.get(task, 0.0)) or 0.0 for task in TASKS]
    names = task_names or {}
    mastery_panel = plot.Panel(
        title=texts["mastery"],
        x_label=texts["task"],
        ticks=tuple(_tick_label(task, names.get(task)) for task in TASKS),
        left=percent_axis,
        series=(
            plot.Series("bar", tuple(levels), tuple(f"{v:.0f}%" for v in levels), _BAR_COLOUR),
        ),
        tick_size=_NAME_SIZE if names else plot.TEXT_SIZE,
    )
    # The title promises four weeks; older entries the caller passes are not drawn.
    shown = list(weekly)[-WEEKS_SHOWN:]
    # None breaks the line: a week without drills is a gap, not a 0 % week.
    points = tuple(_percent(value) for _, value in shown)
    accuracy_panel = plot.Panel(
        title=texts["accuracy"],
        x_label=texts["week"],
        ticks=tuple(label for label, _ in shown),
        left=percent_axis,
        series=(
            plot.Series(
                "line",
                points,
                tuple("" if p is None else f"{p:.0f}%" for p in points),
                _LINE_COLOUR,
            ),
        ),
    )
    return mastery_panel, accuracy_panel


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
    return progress_drawing(mastery, weekly, lang, task_names)()


def progress_drawing(
    mastery: Mapping[str, float],
    weekly: Sequence[tuple[str, float | None]],
    lang: str,
    task_names: Mapping[str, str] | None = None,
) -> Callable[[], bytes]:
    """`progress_chart` as a drawing for `render`: the words are looked up here, so the chart
    process gets the panels and imports nothing but `bot.plot` (not the text catalogue)."""
    panels = progress_panels(mastery, weekly, lang, task_names)
    return functools.partial(plot.png, _SIZE, panels, (5, 4))


log = logging.getLogger(__name__)

# Seconds without a chart after which the chart process exits.
CHART_IDLE_SECONDS = 60.0


class _Worker:
    """The chart process (`bot/chartworker.py`) and its pipes; one drawing at a time, each
    in the thread that calls `draw` (the bot's event loop stays free)."""

    def __init__(self) -> None:
        # A fresh interpreter, not a fork of the bot with its knowledge, database connections
        # and event loop; nor multiprocessing's spawn, whose resource tracker is one more
        # process (~13 MB) for as long as the bot runs.
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_ROOT), env.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.chartworker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def draw(self, payload: bytes) -> Any:
        """The result of the pickled drawing `payload`, drawn in the chart process."""
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        chartworker.write_frame(self.proc.stdin, payload)
        answer = chartworker.read_frame(self.proc.stdout)
        if answer is None:
            raise EOFError(f"the chart process ended (exit code {self.proc.poll()})")
        ok, value = pickle.loads(answer)
        if not ok:
            raise value
        return value

    def close(self) -> None:
        """End of input: the process exits once a drawing in progress is done."""
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()

    def reap(self) -> None:
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class _Renderer:
    """Draws every chart in one child process, started on the first chart and ended after
    `idle` seconds without one.

    Drawing needs Pillow and the pages of the CJK font it reads: ~30 MB (a third of it the
    font file's pages) that a bot drawing a few charts an hour would otherwise keep for good.
    In a process of its own the drawing also never holds the bot's GIL (a `/me` chart drawn
    by matplotlib used to delay the next question by ~130 ms). One process: drawing is CPU,
    and a second would not draw faster on a shop's small machine. Where a process cannot be
    started, or dies, the chart is drawn in the thread instead (the bot's own memory then).
    """

    def __init__(self, idle: float, process: bool = True) -> None:
        self.idle = idle
        self.process = process  # False: always the thread (a test that inspects the drawing)
        self._worker: _Worker | None = None
        # One thread: it talks to the chart process, or draws when there is none.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chart")
        self._busy = 0
        self._closing: asyncio.TimerHandle | None = None

    def _draw(self, draw: Callable[[], _R]) -> _R:
        if self.process:
            try:
                payload = pickle.dumps(draw)
            except Exception as exc:  # a drawing that cannot travel (a lambda): drawn here
                log.warning("chart not picklable (%s); drawing in the bot", exc)
                return chartworker.drawn(draw)
            try:
                if self._worker is None:
                    self._worker = _Worker()
                return cast("_R", self._worker.draw(payload))
            except (OSError, EOFError, pickle.PickleError) as exc:
                log.warning("chart process unavailable (%s); drawing in the bot", exc)
                if self._worker is not None:
                    self._worker.close()
                    self._worker.reap()
                    self._worker = None
        return chartworker.drawn(draw)

    async def run(self, draw: Callable[[], _R]) -> _R:
        loop = asyncio.get_running_loop()
        if self._closing is not None:
            self._closing.cancel()
            self._closing = None
        self._busy += 1
        try:
            return await loop.run_in_executor(self._thread, self._draw, draw)
        finally:
            self._busy -= 1
            if self._busy == 0 and self._worker is not None:
                self._closing = loop.call_later(self.idle, self.close)

    def close(self) -> None:
        """End the chart process now (it finishes a drawing in progress first)."""
        self._closing = None
        worker = self._worker
        if worker is not None and self._busy == 0:
            self._worker = None
            worker.close()
            # Reaped in the thread, so no zombie is left and the event loop never waits.
            self._thread.submit(worker.reap)


_RENDER = _Renderer(CHART_IDLE_SECONDS)


async def render(draw: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R:
    """`draw(*args, **kwargs)` in the chart process, keeping the event loop free meanwhile.
    `draw` and its arguments travel by pickle: module-level functions and plain data; the
    chart process imports the modules they come from, so those import little."""
    return await _RENDER.run(functools.partial(draw, *args, **kwargs))


def one_image(draw: Callable[[], bytes]) -> Callable[[], list[bytes]]:
    """`draw` as a drawing of a list of one image (what `send_charts` takes), still picklable
    for the chart process (a lambda is not)."""
    return functools.partial(chartworker.listed, draw)


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


# A chart to send (`handlers/photos.py`): its key, and its drawing of one or more images.
Photos = tuple[str, Callable[[], list[bytes]]]


def progress_photos(
    mastery: Mapping[str, float],
    weekly: Sequence[tuple[str, float | None]],
    lang: str,
    task_names: Mapping[str, str],
) -> Photos:
    """The /me chart, keyed by what it shows (`shown_mastery`)."""
    shown = shown_mastery(mastery)
    key = chart_key("me", sorted(shown.items()), weekly, lang, task_names)
    return key, one_image(progress_drawing(shown, weekly, lang, task_names))


def heatmap_photos(
    team_id: int,
    columns: Sequence[str],
    rows: Sequence[team_charts.HeatRow],
    texts: team_charts.HeatTexts,
) -> Photos:
    """A team's heatmap images, keyed by the cells they show."""
    key = chart_key("heat", team_id, columns, team_charts.cells_shown(rows), texts)
    return key, functools.partial(team_charts.heatmaps, columns, rows, texts)


def trend_photos(
    weeks: Sequence[tuple[str, int, float | None]], texts: team_charts.TrendTexts
) -> Photos:
    """A member's trend chart, keyed by its weeks and words."""
    key = chart_key("trend", weeks, texts)
    return key, one_image(functools.partial(team_charts.trend_png, weeks, texts))


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
