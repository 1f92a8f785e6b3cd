"""Progress charts: a PNG of the right size, Chinese drawn as glyphs with the bundled font."""

from __future__ import annotations

import math
import struct
import subprocess
import sys
import warnings
from importlib import metadata
from pathlib import Path

import pytest
from fontTools.ttLib import TTCollection
from matplotlib import colormaps, font_manager

from bot import charts, team_charts
from knowledge.models import Knowledge

MASTERY = {"T1": 0.8, "T2": 0.35, "T3": 1.0, "T4": 0.0, "T5": 0.55}
WEEKS: list[tuple[str, float | None]] = [
    ("11/02", 0.6),
    ("11/09", None),
    ("11/16", 0.75),
    ("11/23", 0.9),
]
ROOT = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHART_ZH = list(charts.chart_texts("zh-TW").values())


def png_size(png: bytes) -> tuple[int, int]:
    # IHDR is always the first chunk: width and height right after its type.
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def render_quietly(
    mastery: dict[str, float], weekly: list[tuple[str, float | None]], lang: str
) -> bytes:
    """Render, failing on any warning (matplotlib's "Glyph … missing from font" among them)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = charts.progress_chart(mastery, weekly, lang)
    assert [str(w.message) for w in caught] == []
    return png


def titles(
    mastery: dict[str, float], weekly: list[tuple[str, float | None]], lang: str
) -> list[str]:
    fig = charts._progress_figure(mastery, weekly, lang)
    return [ax.get_title() for ax in fig.axes] + [ax.get_xlabel() for ax in fig.axes]


def test_chart_is_a_png_of_about_800_by_500() -> None:
    png = render_quietly(MASTERY, WEEKS, "en")
    assert png.startswith(PNG_SIGNATURE)
    width, height = png_size(png)
    assert 760 <= width <= 840
    assert 475 <= height <= 525
    assert 5_000 < len(png) < 500_000


def test_zh_chart_draws_chinese_with_the_cjk_font() -> None:
    assert charts.chart_language("zh-TW") == "zh-TW"
    assert charts.chart_language("zh-hans") == "zh-TW"
    zh = render_quietly(MASTERY, WEEKS, "zh-TW")
    en = render_quietly(MASTERY, WEEKS, "en")
    assert zh.startswith(PNG_SIGNATURE)
    assert zh != en, "the zh labels should change the picture"
    assert titles(MASTERY, WEEKS, "zh-TW") == ["各任務精熟度", "近四週答對率", "任務", "週"]
    fig = charts._progress_figure(MASTERY, WEEKS, "zh-TW")
    assert {ax.title.get_fontproperties().get_file() for ax in fig.axes} == {
        charts.find_cjk_font()
    }


def test_cjk_font_comes_with_the_python_install() -> None:
    """No system font needed: the TC face of the wheel's file, inside this Python's prefix."""
    font = charts.find_cjk_font()
    path = Path(font).resolve()
    shipped = metadata.distribution("noto-cjk-sans-otc").locate_file(
        f"{charts.FONT_PACKAGE}/{charts.FONT_FILE}"
    )
    assert path == Path(str(shipped)).resolve()
    assert path.is_relative_to(Path(sys.prefix).resolve())
    assert not path.is_relative_to("/usr/share/fonts")
    assert font_manager.get_font(font).family_name == "Noto Sans CJK TC"
    registered = {e.name for e in font_manager.fontManager.ttflist if e.fname == str(font)}
    assert "Noto Sans CJK TC" in registered


def test_cjk_font_covers_every_chart_text_and_title(kb: Knowledge) -> None:
    """Every character of the chart labels and of each task and activity title has a glyph."""
    font = charts.find_cjk_font()
    with TTCollection(str(font), lazy=True) as collection:
        cmap = collection.fonts[font.face_index].getBestCmap()
    texts = [*CHART_ZH, *(t.title.zh for t in kb.tasks.values())]
    texts += [a.title.zh for a in kb.activities.values()]
    assert len(texts) > 20
    missing = {ch for text in texts for ch in text if not ch.isspace() and ord(ch) not in cmap}
    assert missing == set()
    # matplotlib's own lookup agrees: a missing glyph would be index 0.
    ft = font_manager.get_font(font)
    assert all(ft.get_char_index(ord(ch)) for ch in "精熟度各任務近四週答對率")


def test_task_names_go_under_the_ids_wrapped_to_a_bar(kb: Knowledge) -> None:
    names = {task: kb.tasks[task].title.zh for task in charts.TASKS}
    png = charts.progress_chart(MASTERY, WEEKS, "zh-TW", names)
    assert png != charts.progress_chart(MASTERY, WEEKS, "zh-TW")
    fig = charts._progress_figure(MASTERY, WEEKS, "zh-TW", names)
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks[1] == "T2\n運用資訊科技\n與客戶溝通"
    # Punctuation does not start a line; every character of the name is still there.
    assert ticks[4] == "T5\n應用電子商務，\n提高商品銷售\n和服務"
    assert [t.split("\n", 1)[1].replace("\n", "") for t in ticks] == list(names.values())
    english = {task: kb.tasks[task].title.en for task in charts.TASKS}
    fig = charts._progress_figure(MASTERY, WEEKS, "en", english)
    t2 = fig.axes[0].get_xticklabels()[1].get_text().split("\n")
    assert t2[0] == "T2" and " ".join(t2[1:]) == english["T2"]
    assert all(len(line) <= 12 for line in t2)


def test_chinese_week_labels_render_with_the_cjk_font() -> None:
    render_quietly(MASTERY, [("上週", 0.5), ("本週", 0.7)], "en")


def test_english_stays_english() -> None:
    assert charts.chart_language("en") == "en"
    assert titles(MASTERY, WEEKS, "en")[:2] == ["Mastery per task", "Accuracy, last 4 weeks"]


def test_weeks_without_drills_are_gaps_not_zeros() -> None:
    no_drills: list[tuple[str, float | None]] = [(f"W{n}", None) for n in range(4)]
    assert render_quietly(MASTERY, no_drills, "en").startswith(PNG_SIGNATURE)
    assert render_quietly({}, [], "en").startswith(PNG_SIGNATURE)

    fig = charts._progress_figure(MASTERY, WEEKS, "en")
    line = fig.axes[1].get_lines()[0]
    ys = list(line.get_ydata())
    assert ys[0] == pytest.approx(60)
    assert ys[2:] == pytest.approx([75, 90])
    assert math.isnan(ys[1])  # the line breaks there instead of dropping to 0 %
    labels = [t.get_text() for t in fig.axes[1].texts]
    assert labels == ["60%", "75%", "90%"]


def test_only_the_last_four_weeks_are_drawn() -> None:
    weeks: list[tuple[str, float | None]] = [(f"W{n}", n / 10) for n in range(6)]
    fig = charts._progress_figure(MASTERY, weeks, "en")
    ticks = [t.get_text() for t in fig.axes[1].get_xticklabels()]
    assert ticks == ["W2", "W3", "W4", "W5"]


def test_out_of_range_values_are_clamped_to_0_100_percent() -> None:
    wild = {"T1": 1.7, "T2": -0.3, "T3": 0.5, "T4": float("nan")}
    wild_weeks: list[tuple[str, float | None]] = [("a", 1.4), ("b", -0.2)]
    tame = {"T1": 1.0, "T2": 0.0, "T3": 0.5, "T4": 0.0}
    tame_weeks: list[tuple[str, float | None]] = [("a", 1.0), ("b", 0.0)]
    assert render_quietly(wild, wild_weeks, "en") == render_quietly(tame, tame_weeks, "en")

    fig = charts._progress_figure(wild, wild_weeks, "en")
    heights = [bar.get_height() for bar in fig.axes[0].patches]
    assert heights == [100, 0, 50, 0, 0]
    assert [t.get_text() for t in fig.axes[0].texts] == ["100%", "0%", "50%", "0%", "0%"]


def test_the_bot_imports_no_chart_library_until_it_draws() -> None:
    """matplotlib and Pillow (~35 MB) load with the first chart, not with the bot."""
    code = (
        "import sys, bot.app, bot.cli\n"
        "print(sorted(m for m in ('matplotlib', 'PIL') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


def test_heatmap_colours_are_matplotlibs_rdylgn() -> None:
    """The heatmap's own colour table gives what matplotlib's colormap gives, 0–100 %."""
    cmap = colormaps["RdYlGn"]
    for percent in range(101):
        r, g, b, _ = cmap(percent / 100)
        want = (round(r * 255), round(g * 255), round(b * 255))
        assert team_charts._level_colour(percent) == want, percent


def test_the_heatmap_font_is_the_tc_face_matplotlib_finds() -> None:
    assert team_charts._tc_face() == charts.find_cjk_font().face_index


def test_charts_are_keyed_by_what_they_show() -> None:
    """Mastery fades a little with every second: a chart is keyed (and /me drawn) by what
    it shows, so the same picture is sent again by file id until that changes."""
    assert charts.shown_mastery({"T1": 0.123456, "T2": 1.0}) == {"T1": 0.123, "T2": 1.0}
    fading = [team_charts.HeatRow("怡君", [0.5012, None]), team_charts.HeatRow("Ben", [0.2])]
    faded = [team_charts.HeatRow("怡君", [0.5049, None]), team_charts.HeatRow("Ben", [0.2])]
    lower = [team_charts.HeatRow("怡君", [0.4949, None]), team_charts.HeatRow("Ben", [0.2])]
    assert team_charts.cells_shown(fading) == team_charts.cells_shown(faded)
    assert team_charts.cells_shown(fading) == [("怡君", [50, None]), ("Ben", [20])]
    assert team_charts.cells_shown(lower) != team_charts.cells_shown(fading)
    key = charts.chart_key("heat", 1, team_charts.cells_shown(fading))
    assert key == charts.chart_key("heat", 1, team_charts.cells_shown(faded))
    assert key != charts.chart_key("heat", 2, team_charts.cells_shown(faded))
