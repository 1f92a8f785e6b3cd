"""knowledge/s2twp.py: s2twp with its phrase group merged converts exactly as OpenCC's s2twp."""

from __future__ import annotations

import random
from pathlib import Path

import opencc
import pytest

from knowledge import s2twp
from knowledge.normalize import to_traditional

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


def test_merged_converts_every_phrase_and_text_as_s2twp(merged: Path) -> None:
    stock, ours = opencc.OpenCC("s2twp"), opencc.OpenCC(str(merged))
    phrases = [
        line.split("\t")[0]
        for line in (merged.parent / "phrases-merged.txt").read_text("utf-8").splitlines()
    ]
    assert len(phrases) > 40_000
    texts = [line for f in DATA.glob("*.yaml") for line in f.read_text("utf-8").splitlines()]
    texts += [line for f in TESTS.glob("*.jsonl") for line in f.read_text("utf-8").splitlines()]
    rng = random.Random(15)
    # Phrases run together: segmentation must cut them where s2twp does.
    texts += ["".join(rng.sample(phrases, 4)) for _ in range(20_000)]
    texts += phrases
    assert [ours.convert(t) for t in texts] == [stock.convert(t) for t in texts]
    assert ours.convert("软件打印机后台") == "軟體印表機後臺"


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
