"""check-knowledge catches every kind of problem it claims to, one broken fixture per kind."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge.loader import load_knowledge
from tests.cli import run_cli

BROKEN = Path(__file__).parent / "data" / "broken"


def problems_of(name: str, tmp_path: Path) -> list[str]:
    extra = tmp_path / name.removesuffix(".yaml")
    extra.mkdir()
    shutil.copy(BROKEN / name, extra / name)
    _kb, problems = load_knowledge(extra)
    # Only the fixture's own problems: the shipped files must stay clean around it.
    return [f"{p.entry}: {p.message}" for p in problems if p.file.endswith(name)]


def test_shipped_knowledge_is_clean() -> None:
    _kb, problems = load_knowledge()
    assert [str(p) for p in problems] == []


def test_missing_translation(tmp_path: Path) -> None:
    assert problems_of("missing_translation.yaml", tmp_path) == [
        "bad-no-en: title: missing en text",
        "bad-no-en: steps[2]: missing en text",
    ]


def test_unknown_references(tmp_path: Path) -> None:
    got = problems_of("unknown_reference.yaml", tmp_path)
    assert "bad-refs: unknown activity T9.9" in got
    assert "bad-refs: unknown indicator P9.9.9" in got
    assert "bad-refs: unknown related card no-such-card" in got
    assert "bad-wrong-act: indicator P1.2.1 belongs to another activity than T3.3" in got
    assert "bad-q-card: unknown card no-such-card" in got
    assert len(got) == 5


def test_duplicate_id(tmp_path: Path) -> None:
    got = problems_of("duplicate_id.yaml", tmp_path)
    assert len(got) == 1
    assert got[0].startswith("bad-twice: duplicate id")


def test_texts_over_limits(tmp_path: Path) -> None:
    got = problems_of("over_limit.yaml", tmp_path)
    assert got == [
        "bad-long: zh question over 300 characters",
        "bad-long: option 3: en text over 100 characters",
    ]


def test_options_and_counts(tmp_path: Path) -> None:
    got = problems_of("bad_options.yaml", tmp_path)
    assert got == [
        "bad-opt-card: 3 zh aliases (need 5–12)",
        "bad-opt-card: 1 steps (need 3–10)",
        "bad-two-right: 2 correct options (need exactly one)",
        "bad-same-opts: 2 options (need 3–4)",
        "bad-same-opts: two zh options say the same thing",
    ]


def test_alias_shared_by_two_cards(tmp_path: Path) -> None:
    got = problems_of("shared_alias.yaml", tmp_path)
    assert got == ["bad-alias-b: alias '測試共用別名' is also an alias of card bad-alias-a"]


def test_bad_yaml_and_unknown_section(tmp_path: Path) -> None:
    got = problems_of("bad_yaml.yaml", tmp_path)
    assert len(got) == 1
    assert "not valid YAML" in got[0]
    assert problems_of("unknown_section.yaml", tmp_path) == [
        "recipes: unknown section (use standard, knowledge, skills, attitudes, tasks, cards, "
        "questions, synonyms, stopwords, smalltalk, examples, card_examples)"
    ]


def test_bad_examples(tmp_path: Path) -> None:
    # The fixture also files a message under `none` (not about work): that is no problem.
    assert problems_of("bad_examples.yaml", tmp_path) == [
        "examples.T9.9: unknown activity",
        "examples.T3.3[2]: the same example twice",
        "examples.T3.3[3]: empty example",
    ]
    (tmp_path / "notalist.yaml").write_text(
        "examples:\n  T3.3: 收銀機又當機了\n", encoding="utf-8"
    )
    _kb, problems = load_knowledge(tmp_path)
    assert [f"{p.entry}: {p.message}" for p in problems] == [
        "examples: must map an activity id to a list of phrases"
    ]


def test_bad_card_examples(tmp_path: Path) -> None:
    assert problems_of("bad_card_examples.yaml", tmp_path) == [
        "card_examples.no-such-card: unknown card",
        "card_examples.t33-pos-freeze[2]: the same example twice",
        "card_examples.t33-pos-freeze[3]: empty example",
    ]


def test_store_card_examples_add_to_shipped_ones(tmp_path: Path) -> None:
    kb, _ = load_knowledge()
    (tmp_path / "ours.yaml").write_text(
        "card_examples:\n  t33-drawer-stuck:\n    - 三號機的抽屜又彈不出來\n", encoding="utf-8"
    )
    kb2, problems = load_knowledge(tmp_path)
    assert [str(p) for p in problems] == []
    shipped = kb.card_examples.get("t33-drawer-stuck", [])
    assert kb2.card_examples["t33-drawer-stuck"] == [*shipped, "三號機的抽屜又彈不出來"]


def test_store_examples_add_to_shipped_ones(tmp_path: Path) -> None:
    kb, _ = load_knowledge()
    (tmp_path / "ours.yaml").write_text(
        "examples:\n  T3.3:\n    - 三號機的抽屜又彈不出來\n", encoding="utf-8"
    )
    kb2, problems = load_knowledge(tmp_path)
    assert [str(p) for p in problems] == []
    assert kb2.examples["T3.3"] == [*kb.examples["T3.3"], "三號機的抽屜又彈不出來"]


def test_extra_card_replaces_shipped_one(tmp_path: Path) -> None:
    kb, _ = load_knowledge()
    card = next(iter(kb.cards.values()))
    data = card.model_dump(exclude_none=True)
    data["title"] = {"zh": "本店專用版本", "en": "Our store's version"}
    import yaml

    (tmp_path / "ours.yaml").write_text(
        yaml.safe_dump({"cards": [data]}, allow_unicode=True), encoding="utf-8"
    )
    kb2, problems = load_knowledge(tmp_path)
    assert [str(p) for p in problems] == []
    assert kb2.cards[card.id].title.en == "Our store's version"
    assert len(kb2.cards) == len(kb.cards)


def test_cli_check_knowledge_ok(tmp_path: Path) -> None:
    res = run_cli("check-knowledge", cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.startswith(
        "ok: 5 tasks, 17 activities, 89 indicators, 34 knowledge, 9 skills, 7 attitudes, "
    )


def test_cli_check_knowledge_reports_and_fails(tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    shutil.copy(BROKEN / "duplicate_id.yaml", extra)
    res = run_cli("check-knowledge", "--extra", str(extra), cwd=tmp_path)
    assert res.returncode == 1
    assert "duplicate_id.yaml: bad-twice: duplicate id" in res.stdout


@pytest.mark.parametrize("value", ["abc", "12,x"])
def test_cli_bad_setting_is_one_clear_line(tmp_path: Path, value: str) -> None:
    (tmp_path / ".env").write_text(f"ADMIN_USER_IDS={value}\n")
    res = run_cli("check-knowledge", cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.strip().startswith("setting ADMIN_USER_IDS: ")
    assert "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_run_without_token_exits_2_with_bilingual_hint(tmp_path: Path) -> None:
    res = run_cli("run", cwd=tmp_path)
    assert res.returncode == 2
    assert "@BotFather" in res.stderr
    assert "TELEGRAM_BOT_TOKEN" in res.stderr
    assert "權杖" in res.stderr and "token" in res.stderr
    assert "Traceback" not in res.stderr
