"""Progress charts: a PNG of the right size, Chinese drawn as glyphs with the bundled font."""

from __future__ import annotations

import struct
import subprocess
import sys
from collections.abc import Iterable
from functools import cache
from importlib import metadata
from pathlib import Path

from fontTools.ttLib import TTCollection
from matplotlib import colormaps

from bot import charts, plot, team_charts
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


@cache
def cmap() -> frozenset[int]:
    """The code points the bundled TC face has glyphs for (read with fontTools, not Pillow)."""
    with TTCollection(plot.font_file(), lazy=True) as collection:
        return frozenset(collection.fonts[plot.tc_face()].getBestCmap())


def missing_glyphs(texts: Iterable[str]) -> set[str]:
    """Characters Pillow would draw as an empty box: the font has no glyph for them."""
    return {ch for text in texts for ch in text if not ch.isspace() and ord(ch) not in cmap()}


def render_quietly(
    mastery: dict[str, float], weekly: list[tuple[str, float | None]], lang: str
) -> bytes:
    """Render, failing if any word the chart draws has a character without a glyph."""
    panels = charts.progress_panels(mastery, weekly, lang)
    assert missing_glyphs(text for p in panels for text in p.texts()) == set()
    return charts.progress_chart(mastery, weekly, lang)


def titles(
    mastery: dict[str, float], weekly: list[tuple[str, float | None]], lang: str
) -> list[str]:
    panels = charts.progress_panels(mastery, weekly, lang)
    return [p.title for p in panels] + [p.x_label for p in panels]


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
    assert plot.font(13).getname() == ("Noto Sans CJK TC", "Regular")


def test_cjk_font_comes_with_the_python_install() -> None:
    """No system font needed: the TC face of the wheel's file, inside this Python's prefix."""
    path = Path(plot.font_file()).resolve()
    shipped = metadata.distribution("noto-cjk-sans-otc").locate_file(
        f"{plot.FONT_PACKAGE}/{plot.FONT_FILE}"
    )
    assert path == Path(str(shipped)).resolve()
    assert path.is_relative_to(Path(sys.prefix).resolve())
    assert not path.is_relative_to("/usr/share/fonts")
    # The collection's first face is the Japanese one: the TC face is found by name.
    with TTCollection(str(path), lazy=True) as collection:
        names = [f["name"].getDebugName(1) for f in collection.fonts]
    assert names[plot.tc_face()] == "Noto Sans CJK TC"
    assert names[0] != "Noto Sans CJK TC"


def test_cjk_font_covers_every_chart_text_and_title(kb: Knowledge) -> None:
    """Every character of the chart labels and of each task and activity title has a glyph."""
    texts = [*CHART_ZH, *(t.title.zh for t in kb.tasks.values())]
    texts += [a.title.zh for a in kb.activities.values()]
    assert len(texts) > 20
    assert missing_glyphs(texts) == set()
    # The check can fail: an emoji, which the font has no glyph for, is found.
    assert missing_glyphs(["精熟度😀"]) == {"😀"}


def test_task_names_go_under_the_ids_wrapped_to_a_bar(kb: Knowledge) -> None:
    names = {task: kb.tasks[task].title.zh for task in charts.TASKS}
    png = charts.progress_chart(MASTERY, WEEKS, "zh-TW", names)
    assert png != charts.progress_chart(MASTERY, WEEKS, "zh-TW")
    ticks = list(charts.progress_panels(MASTERY, WEEKS, "zh-TW", names)[0].ticks)
    assert ticks[1] == "T2\n運用資訊科技\n與客戶溝通"
    # Punctuation does not start a line; every character of the name is still there.
    assert ticks[4] == "T5\n應用電子商務，\n提高商品銷售\n和服務"
    assert [t.split("\n", 1)[1].replace("\n", "") for t in ticks] == list(names.values())
    english = {task: kb.tasks[task].title.en for task in charts.TASKS}
    t2 = charts.progress_panels(MASTERY, WEEKS, "en", english)[0].ticks[1].split("\n")
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

    [line] = charts.progress_panels(MASTERY, WEEKS, "en")[1].series
    assert line.kind == "line"
    # The line breaks at the week without drills instead of dropping to 0 %.
    assert line.values == (60, None, 75, 90)
    assert line.labels == ("60%", "", "75%", "90%")


def test_only_the_last_four_weeks_are_drawn() -> None:
    weeks: list[tuple[str, float | None]] = [(f"W{n}", n / 10) for n in range(6)]
    panel = charts.progress_panels(MASTERY, weeks, "en")[1]
    assert panel.ticks == ("W2", "W3", "W4", "W5")
    assert panel.series[0].values == (20, 30, 40, 50)


def test_out_of_range_values_are_clamped_to_0_100_percent() -> None:
    wild = {"T1": 1.7, "T2": -0.3, "T3": 0.5, "T4": float("nan")}
    wild_weeks: list[tuple[str, float | None]] = [("a", 1.4), ("b", -0.2)]
    tame = {"T1": 1.0, "T2": 0.0, "T3": 0.5, "T4": 0.0}
    tame_weeks: list[tuple[str, float | None]] = [("a", 1.0), ("b", 0.0)]
    assert render_quietly(wild, wild_weeks, "en") == render_quietly(tame, tame_weeks, "en")

    [bars] = charts.progress_panels(wild, wild_weeks, "en")[0].series
    assert bars.values == (100, 0, 50, 0, 0)
    assert bars.labels == ("100%", "0%", "50%", "0%", "0%")


def test_the_bot_imports_no_chart_library_until_it_draws() -> None:
    """Pillow loads with the first chart, not with the bot; matplotlib never."""
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


def test_drawing_a_chart_never_imports_matplotlib() -> None:
    code = (
        "import sys\n"
        "from bot import charts, team_charts\n"
        "charts.progress_chart({'T1': 0.5}, [('W1', 0.5)], 'zh-TW')\n"
        "team_charts.trend_png([('W1', 3, 0.5)], team_charts.TrendTexts('t', 'd', 'a', 'w'))\n"
        "print('matplotlib' in sys.modules, 'PIL' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.split() == ["False", "True"]


def test_the_trend_chart_shows_drills_and_accuracy() -> None:
    texts = team_charts.TrendTexts("怡君 — 每週練習", "練習次數", "答對率", "週")
    weeks = [("10/26", 3, 0.5), ("11/02", 0, None), ("11/09", 7, 1.4), ("11/16", 12, 0.95)]
    panel = team_charts.trend_panel(weeks, texts)
    bars, line = panel.series
    assert (bars.kind, bars.values, bars.labels) == ("bar", (3, 0, 7, 12), ("3", "0", "7", "12"))
    assert line.right and line.values == (50, None, 100, 95)
    assert line.labels == ("50%", "", "100%", "95%")
    # Whole-number ticks reach past the tallest bar; the bars' axis keeps room for its label.
    assert [t for _, t in panel.left.ticks] == ["0", "5", "10", "15"]
    assert panel.left.top > 12 and panel.right is not None
    assert missing_glyphs(panel.texts()) == set()
    png = team_charts.trend_png(weeks, texts)
    assert png.startswith(PNG_SIGNATURE) and png_size(png) == (800, 450)
    assert [t for _, t in team_charts.trend_panel([("a", 0, None)], texts).left.ticks] == [
        "0",
        "1",
        "2",
        "3",
        "4",
    ]


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
