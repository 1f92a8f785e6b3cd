"""knowledge/s2twp.py: s2twp with its phrase group merged converts exactly as OpenCC's s2twp."""

from __future__ import annotations

import random
import string
from pathlib import Path

import opencc
import pytest

from knowledge import normalize, s2twp
from knowledge.library import load_library
from knowledge.normalize import to_traditional, to_traditional_bulk

DATA = Path(__file__).resolve().parents[1] / "knowledge" / "data"
TESTS = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(s2twp.CACHE_ENV, str(folder))
        config = s2twp.merged_config()
    assert config is not None and config.is_relative_to(folder)
    return config


@pytest.fixture(scope="module")
def texts(merged: Path) -> list[str]:
    """Every line of the knowledge and the eval sets, every Simplified phrase of s2twp, and
    20,000 runs of four phrases (segmentation must cut them where s2twp does)."""
    phrases = [
        line.split("\t")[0]
        for line in (merged.parent / "phrases-merged.txt").read_text("utf-8").splitlines()
    ]
    assert len(phrases) > 40_000
    lines = [line for f in DATA.glob("*.yaml") for line in f.read_text("utf-8").splitlines()]
    lines += [line for f in TESTS.glob("*.jsonl") for line in f.read_text("utf-8").splitlines()]
    rng = random.Random(15)
    lines += ["".join(rng.sample(phrases, 4)) for _ in range(20_000)]
    return lines + phrases


def test_merged_converts_every_phrase_and_text_as_s2twp(merged: Path, texts: list[str]) -> None:
    stock, ours = opencc.OpenCC("s2twp"), opencc.OpenCC(str(merged))
    assert [ours.convert(t) for t in texts] == [stock.convert(t) for t in texts]
    assert ours.convert("软件打印机后台") == "軟體印表機後臺"


def test_the_python_twin_converts_every_phrase_and_text_as_s2twp(
    merged: Path, texts: list[str]
) -> None:
    stock, twin = opencc.OpenCC("s2twp"), s2twp.Converter(merged)
    # Taiwan phrasing of Traditional text too, full-width and compatibility characters, emoji.
    texts = [*texts, "電腦軟件的網絡信息", "ＰＯＳ機當機了 😭", "\uf900\uf901 豈", "", "a" * 300]
    assert [twin.convert(t) for t in texts] == [stock.convert(t) for t in texts]
    assert twin.convert("软件打印机后台") == "軟體印表機後臺"


def test_a_second_start_reuses_the_merged_dictionary(merged: Path) -> None:
    before = merged.stat().st_mtime_ns
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(s2twp.CACHE_ENV, str(merged.parents[1]))
        assert s2twp.merged_config() == merged
    assert merged.stat().st_mtime_ns == before


def test_without_the_tool_it_is_opencc_s2twp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(s2twp.CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(s2twp, "_tool", lambda: tmp_path / "no-such-tool")
    converter = s2twp.converter()
    assert converter.convert("软件打印机后台") == "軟體印表機後臺"
    assert not list(tmp_path.rglob("*.json"))


def test_the_bot_converts_with_it() -> None:
    assert to_traditional("鼠标没反应") == opencc.OpenCC("s2twp").convert("鼠标没反应")
    assert to_traditional_bulk("鼠标没反应\n網絡") == "滑鼠沒反應\n網路"


def test_a_build_lets_opencc_go_and_messages_use_the_twin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(s2twp.CACHE_ENV, str(tmp_path))  # no built library to load: a build
    to_traditional_bulk("打印机")
    assert normalize._s2twp.cache_info().currsize == 1
    load_library()
    assert normalize._s2twp.cache_info().currsize == 0
    assert to_traditional("激光打印机") == "雷射印表機"
    assert isinstance(normalize._s2twp_messages(), s2twp.Converter)
    assert normalize._s2twp.cache_info().currsize == 0


def test_ascii_is_left_as_it_is_as_s2twp_does() -> None:
    """`to_traditional` returns ASCII text untouched without converting it: s2twp agrees on
    every printable ASCII character and on every English line of the eval sets."""
    stock = opencc.OpenCC("s2twp")
    rng = random.Random(7)
    samples = ["".join(rng.choice(string.printable) for _ in range(60)) for _ in range(2_000)]
    assert not any("\x00" in s for s in samples)
    samples += [
        line
        for f in TESTS.glob("*.jsonl")
        for line in f.read_text("utf-8").splitlines()
        if line.isascii()
    ]
    # NUL aside: OpenCC's C strings end there (Telegram never sends one; the twin keeps it).
    samples += [chr(c) for c in range(1, 128)]
    assert [to_traditional(s) for s in samples] == [stock.convert(s) for s in samples]
