"""The built library kept on disk: the same files load it back, changed files build afresh."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from knowledge import library, s2twp
from knowledge.library import Library, load_library, reload_library
from knowledge.loader import KnowledgeError

CARD = """cards:
  - id: t33-test-cache
    activity: T3.3
    indicators: [P3.3.1]
    title: {zh: 測試用的叫號機重開, en: Restarting the test queue-number machine}
    aliases:
      zh: [叫號機沒反應, 叫號機當掉, 號碼牌印不出來, 叫號機螢幕不動, 叫號機要重開嗎]
      en: [queue ticket machine frozen, ticket machine stuck, queue number not printing,
           queue screen frozen, restart the ticket machine]
    steps:
      - zh: 關掉電源，等十秒再開。
        en: Switch it off, wait ten seconds, switch it on.
      - zh: 印一張號碼牌試試，看號碼有沒有接著上一號。
        en: Print a ticket to check it follows the last number.
      - zh: 在交接本寫下時間和狀況。
        en: Note the time and what happened in the handover book.
    escalate:
      zh: 還是不行就找店長。
      en: "If it still fails, tell the store manager."
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(s2twp.CACHE_ENV, str(folder))
    return folder


def _builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the matcher builds from now on."""
    built: list[int] = []
    real = library.Matcher

    def counted(kb: object) -> object:
        built.append(1)
        return real(kb)  # type: ignore[arg-type]

    monkeypatch.setattr(library, "Matcher", counted)
    return built


def test_a_second_start_loads_the_built_library(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_library()
    [pickled] = cache.glob("library-*.pickle")
    built = _builds(monkeypatch)
    again = load_library()
    assert built == []
    assert isinstance(again, Library) and again is not first
    question = "發票開錯了要作廢重開"
    assert again.matcher.search(question) == first.matcher.search(question)
    assert sorted(again.kb.cards) == sorted(first.kb.cards)
    assert list(cache.glob("library-*.pickle")) == [pickled]


def test_changed_files_build_afresh(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_library()
    [shipped] = cache.glob("library-*.pickle")
    extra = tmp_path / "store"
    extra.mkdir()
    (extra / "cards.yaml").write_text(CARD, encoding="utf-8")
    built = _builds(monkeypatch)
    with_card = load_library(extra)
    assert built == [1]
    assert "t33-test-cache" in with_card.kb.cards
    assert with_card.matcher.search("叫號機沒反應").hits[0].card == "t33-test-cache"
    assert len(list(cache.glob("library-*.pickle"))) == 2
    # One character more in the store's file: built again.
    (extra / "cards.yaml").write_text(CARD.replace("十秒", "二十秒"), encoding="utf-8")
    changed = load_library(extra)
    assert built == [1, 1]
    assert "二十秒" in changed.kb.cards["t33-test-cache"].steps[0].zh
    # The three most recent builds stay on disk.
    assert shipped in cache.glob("library-*.pickle")
    assert len(list(cache.glob("library-*.pickle"))) == 3


@pytest.mark.usefixtures("cache")
def test_a_missing_store_folder_is_an_error_not_the_shipped_library(tmp_path: Path) -> None:
    load_library()
    with pytest.raises(KnowledgeError, match="not a folder"):
        load_library(tmp_path / "no-such-store")
    lib, problems = reload_library(tmp_path / "no-such-store")
    assert lib is None and any("not a folder" in p for p in problems)


def test_a_pickle_others_may_write_is_not_loaded(
    cache: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    load_library()
    [pickled] = cache.glob("library-*.pickle")
    pickled.chmod(0o666)
    built = _builds(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="knowledge.library"):
        load_library()
    assert built == [1]
    assert "not this user's alone" in caplog.text


def test_an_unreadable_pickle_is_built_again(
    cache: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    load_library()
    [pickled] = cache.glob("library-*.pickle")
    pickled.write_bytes(b"not a pickle")
    built = _builds(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="knowledge.library"):
        rebuilt = load_library()
    assert built == [1]
    assert "unreadable" in caplog.text
    assert rebuilt.matcher.search("收銀機當機").hits
    assert pickled.read_bytes()[:1] == b"\x80"  # written anew, a pickle again


def test_files_with_problems_are_neither_built_nor_cached(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = tmp_path / "store"
    extra.mkdir()
    (extra / "cards.yaml").write_text(CARD.replace("activity: T3.3", "activity: T9.9"), "utf-8")
    built = _builds(monkeypatch)
    lib, problems = reload_library(extra)
    assert lib is None and problems
    assert built == []
    assert not list(cache.glob("library-*.pickle"))


def test_a_cache_folder_that_cannot_be_made_still_starts(cache: Path) -> None:
    cache.parent.mkdir(exist_ok=True)
    cache.write_text("a file where the folder should be")
    assert load_library().matcher.search("收銀機當機").hits


def test_a_start_builds_apart_and_loads_what_the_child_kept(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot's start and /reload build in a child process: this one never holds a build's
    peak, only the pair loaded from the cache."""
    extra = tmp_path / "store"
    extra.mkdir()
    (extra / "cards.yaml").write_text(CARD, encoding="utf-8")
    built = _builds(monkeypatch)
    lib = load_library(extra, apart=True)
    assert built == []  # not in this process
    [pickled] = cache.glob("library-*.pickle")
    assert lib.matcher.search("叫號機沒反應").hits[0].card == "t33-test-cache"
    assert load_library(extra).kb.cards.keys() == lib.kb.cards.keys()
    assert built == []  # and a later start loads the same pickle
    assert list(cache.glob("library-*.pickle")) == [pickled]


def test_files_with_problems_built_apart_are_still_reported(cache: Path, tmp_path: Path) -> None:
    extra = tmp_path / "store"
    extra.mkdir()
    (extra / "cards.yaml").write_text(CARD.replace("activity: T3.3", "activity: T9.9"), "utf-8")
    lib, problems = reload_library(extra, apart=True)
    assert lib is None and any("T9.9" in p for p in problems)
    with pytest.raises(KnowledgeError, match=r"T9\.9"):
        load_library(extra, apart=True)
    assert not list(cache.glob("library-*.pickle"))
