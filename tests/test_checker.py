"""check-knowledge catches every kind of problem it claims to, one broken fixture per kind."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge.editorial import (
    Checked,
    QuizCounts,
    QuizReport,
    check_knowledge,
    standard_ids,
    threshold_problems,
    traits,
)
from knowledge.loader import DATA_DIR, load_knowledge
from knowledge.models import Knowledge, Question
from tests.cli import run_cli

BROKEN = Path(__file__).parent / "data" / "broken"
QUIZ = Path(__file__).parent / "data" / "quiz"


def problems_of(name: str, tmp_path: Path) -> list[str]:
    extra = tmp_path / name.removesuffix(".yaml")
    extra.mkdir()
    shutil.copy(BROKEN / name, extra / name)
    _kb, problems = load_knowledge(extra)
    # Only the fixture's own problems: the shipped files must stay clean around it.
    return [f"{p.entry}: {p.message}" for p in problems if p.file.endswith(name)]


def checked_of(name: str, tmp_path: Path) -> tuple[list[str], list[str]]:
    """The problems and warnings of every rule check-knowledge applies, the fixture's own."""
    extra = tmp_path / name.removesuffix(".yaml")
    extra.mkdir()
    shutil.copy(BROKEN / name, extra / name)
    checked = check_knowledge(extra)
    return (
        [f"{p.entry}: {p.message}" for p in checked.problems if p.file.endswith(name)],
        [f"{p.entry}: {p.message}" for p in checked.warnings if p.file.endswith(name)],
    )


def quiz_of(tmp_path: Path, *names: str) -> tuple[Checked, list[str]]:
    """Check a quiz of its own: the standard, quiz_good.yaml and `names`, nothing shipped.

    Returns the result and the quiz problems (the loader's per-activity counts aside:
    the fixtures fill only one or two activities).
    """
    shutil.copy(DATA_DIR / "standard.yaml", tmp_path)
    for name in ("quiz_good.yaml", *names):
        shutil.copy(QUIZ / name, tmp_path)
    checked = check_knowledge(data_dir=tmp_path)
    own = ("quiz_good.yaml", *names)
    return checked, [
        f"{p.entry}: {p.message}"
        for p in checked.problems
        if p.file == "quiz" or p.file.endswith(own)
    ]


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
        "questions, synonyms, stopwords, smalltalk, examples, card_examples, card_wordings, "
        "glossary, spelling, contacts, store)"
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


def test_card_wordings_teach_one_card_and_do_not_repeat_its_examples(tmp_path: Path) -> None:
    (tmp_path / "ours.yaml").write_text(
        "card_examples:\n  t33-drawer-stuck:\n    - 三號機的抽屜又彈不出來\n"
        "card_wordings:\n  t33-drawer-stuck:\n    - 三號機的抽屜又彈不出來\n"
        "    - drawer no open again at till 3\n  no-such-card:\n    - hello\n",
        encoding="utf-8",
    )
    kb, problems = load_knowledge(tmp_path)
    said = [str(p) for p in problems]
    assert any("card_wordings.t33-drawer-stuck[1]: the same example twice" in p for p in said)
    assert any("card_wordings.no-such-card: unknown card" in p for p in said)
    assert kb.card_wordings["t33-drawer-stuck"][-1] == "drawer no open again at till 3"


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


# --- every card quizzed ---------------------------------------------------------------------


def test_every_card_has_a_question_and_every_question_a_card(tmp_path: Path) -> None:
    problems, _warnings = checked_of("uncovered_card.yaml", tmp_path)
    assert problems == [
        "bad-no-card: missing 'card': the card that teaches it",
        "bad-unquizzed: T3.3: no quiz question names this card",
    ]


# --- the quiz -------------------------------------------------------------------------------


def test_a_quiz_at_every_limit_passes(tmp_path: Path) -> None:
    checked, problems = quiz_of(tmp_path)
    assert problems == []
    a = checked.quiz.overall
    # 10 questions: all scenarios, 1 escalation giveaway (10 %), 2 longest keys (20 %).
    assert (a.questions, a.scenario, a.escalation, a.longest_zh, a.longest_en) == (10, 10, 1, 2, 2)
    assert (a.short, a.recall) == (0, 0)


def test_escalation_as_answer_overall(tmp_path: Path) -> None:
    _checked, problems = quiz_of(tmp_path, "quiz_escalation.yaml")
    # 2/11 is under T3.3's 20 % but over 10 % overall.
    assert problems == [
        "all activities: the right option is the only one with an escalation cue in 2/11 "
        "questions (18.2 %, at most 10 %; most in T3.3 2)"
    ]


def test_escalation_as_answer_per_activity(tmp_path: Path) -> None:
    _checked, problems = quiz_of(tmp_path, "quiz_escalation_activity.yaml")
    assert problems == [
        "T3.1: the right option is the only one with an escalation cue in 1/3 questions "
        "(33.3 %, at most 20 % per activity)",
        "all activities: the right option is the only one with an escalation cue in 2/13 "
        "questions (15.4 %, at most 10 %; most in T3.1 1, T3.3 1)",
    ]


def test_right_option_longest(tmp_path: Path) -> None:
    _checked, problems = quiz_of(tmp_path, "quiz_longest.yaml")
    assert problems == [
        f"all activities: the right option is strictly the longest ({lang}) in 4/12 questions "
        "(33.3 %, at most 25 %; most in T3.3 4)"
        for lang in ("zh", "en")
    ]


def test_scenario_share(tmp_path: Path) -> None:
    _checked, problems = quiz_of(tmp_path, "quiz_not_scenario.yaml")
    assert problems == [
        "all activities: 10/12 scenario questions (83.3 %, need at least 90 %; fewest in T3.3 2)"
    ]


def test_code_recall(tmp_path: Path) -> None:
    checked, problems = quiz_of(tmp_path, "quiz_recall.yaml")
    assert problems == [
        "bad-recall-code: T3.3: asks for a code or classification of the standard; "
        "write a shop scenario instead",
        "bad-recall-words: T3.3: asks for a code or classification of the standard; "
        "write a shop scenario instead",
        "all activities: 2 code-recall questions (at most 0; most in T3.3 2)",
        "all activities: 10/12 scenario questions (83.3 %, need at least 90 %; fewest in T3.3 2)",
    ]
    assert checked.quiz.traits["bad-recall-code"].recall
    assert not checked.quiz.traits["bad-recall-code"].scenario


def test_four_options(tmp_path: Path) -> None:
    checked, problems = quiz_of(tmp_path, "quiz_three_options.yaml")
    assert problems == ["bad-three: T3.3: 3 options (the quiz needs 4: 3 plausible wrong ones)"]
    assert checked.quiz.overall.short == 1


def test_escalation_cue_in_either_language(tmp_path: Path) -> None:
    checked, _ = quiz_of(tmp_path, "quiz_escalation.yaml", "quiz_escalation_activity.yaml")
    t = checked.quiz.traits
    assert (t["good-escalate"].escalation_zh, t["good-escalate"].escalation_en) == (True, True)
    assert (t["bad-escalate"].escalation_zh, t["bad-escalate"].escalation_en) == (False, True)
    assert (t["act-escalate"].escalation_zh, t["act-escalate"].escalation_en) == (True, False)
    assert not t["good-plain-1"].escalation


def _question(stem_zh: str, stem_en: str, options: list[tuple[str, str]]) -> Question:
    return Question.model_validate(
        {
            "id": "q",
            "activity": "T3.3",
            "card": "c",
            "question": {"zh": stem_zh, "en": stem_en},
            "options": [
                {"zh": zh, "en": en, "correct": i == 0} for i, (zh, en) in enumerate(options)
            ],
            "explanation": {"zh": "因為。", "en": "Because."},
        }
    )


@pytest.mark.parametrize(
    ("stem_zh", "stem_en", "option", "recall", "scenario"),
    [
        # A phone model and a paper size are not codes of the standard; K01 and T3.1 are.
        (
            "客人的 Galaxy S23 付款失敗，你先做什麼？",
            "A customer's S23 won't pay.",
            "A4 紙",
            False,
            True,
        ),
        ("你要印 K01 的內容給新人？", "You print K01 for a new hire?", "印出", True, False),
        ("這屬於 T3.1 嗎？", "Is this T3.1?", "是", True, False),
        ("下列哪一組指標最合適？", "Which set of indicators fits best?", "轉換率", False, False),
        (
            "上週有 4,000 個工作階段，轉換率是多少？",
            "4,000 sessions last week.",
            "2%",
            False,
            True,
        ),
        ("我們的商標快到期了。", "Our trademark expires soon.", "延展", False, True),
    ],
)
def test_recall_and_scenario_definitions(
    kb: Knowledge, stem_zh: str, stem_en: str, option: str, recall: bool, scenario: bool
) -> None:
    q = _question(stem_zh, stem_en, [(option, option), ("乙", "B"), ("丙", "C"), ("丁", "D")])
    t = traits(q, standard_ids(kb))
    assert (t.recall, t.scenario) == (recall, scenario)


def _report(**by_activity: tuple[int, int]) -> QuizReport:
    """A report from (questions, escalation giveaways) per activity; everything else clean."""
    acts = {}
    for act, (n, esc) in by_activity.items():
        acts[act.replace("_", ".")] = QuizCounts(questions=n, scenario=n, escalation=esc)
    overall = QuizCounts(
        questions=sum(c.questions for c in acts.values()),
        scenario=sum(c.scenario for c in acts.values()),
        escalation=sum(c.escalation for c in acts.values()),
    )
    return QuizReport(acts, overall, {})


def test_thresholds_are_inclusive() -> None:
    # 20 % in one activity and 10 % overall: both exactly at their limits, so no problem.
    assert threshold_problems(_report(T1_1=(10, 2), T1_2=(10, 0))) == []
    # One question more in T1.1 breaks its own limit, but not the overall one (3/30).
    got = [
        f"{p.entry}: {p.message}" for p in threshold_problems(_report(T1_1=(10, 3), T1_2=(20, 0)))
    ]
    assert got == [
        "T1.1: the right option is the only one with an escalation cue in 3/10 questions "
        "(30.0 %, at most 20 % per activity)"
    ]
    # 90 % scenarios and 25 % longest keys pass; one less / one more fails.
    ok = QuizCounts(questions=20, scenario=18, longest_zh=5, longest_en=5)
    assert threshold_problems(QuizReport({"T1.1": ok}, ok, {})) == []
    bad = QuizCounts(questions=20, scenario=17, longest_zh=6, longest_en=5)
    got = [p.message for p in threshold_problems(QuizReport({"T1.1": bad}, bad, {}))]
    assert [m.split(" (")[0] for m in got] == [
        "17/20 scenario questions",
        "the right option is strictly the longest",
    ]


# --- one English voice ----------------------------------------------------------------------


def test_glossary_and_spelling(tmp_path: Path) -> None:
    problems, warnings = checked_of("voice.yaml", tmp_path)
    # Aliases (how staff ask), URLs and glossary names ("National Credit Card Center") pass.
    assert problems == [
        "voice-card: title: en 'Card readers' for 刷卡機; say 'card terminal' (glossary)",
        "voice-card: steps[3]: American spelling 'Authorization'; write 'authorisation'",
        "voice-q: question: en 'proof copy' for 證明聯; say 'printed e-invoice' (glossary)",
        "voice-q: options[4]: American spelling 'canceled'; write 'cancelled'",
    ]
    # A paraphrase may be right: a missing glossary term is only a warning.
    assert warnings == [
        "voice-card: zh says 店長, en never says 'store manager' (glossary)",
        "voice-q: zh says 證明聯, en never says 'printed e-invoice' (glossary)",
    ]


def test_glossary_file_is_checked(tmp_path: Path) -> None:
    assert problems_of("bad_glossary.yaml", tmp_path) == [
        "glossary.刷卡機: term defined twice",
        "glossary.測試詞: avoid 'test' is part of 'test term'",
        "glossary.沒英文: missing field 'en'",
        "spelling.colour: wrong and right are the same",
    ]


def test_shipped_glossary_loads() -> None:
    kb, _ = load_knowledge()
    terms = {t.zh: t for t in kb.glossary}
    assert terms["折讓證明單"].en == "allowance certificate"
    assert "allowance note" in terms["折讓證明單"].avoid
    assert terms["猶豫期"].zh_also == ["鑑賞期"]
    assert kb.spelling["authorization"] == "authorisation"


def test_cli_prints_quiz_figures_and_glossary_counts(tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    shutil.copy(BROKEN / "voice.yaml", extra)
    res = run_cli("check-knowledge", "--extra", str(extra), "--quiz", cwd=tmp_path)
    assert res.returncode == 1
    out = res.stdout
    assert "voice.yaml: voice-card: steps[3]: American spelling 'Authorization'" in out
    # Warnings are advice, on stderr: stdout stays the problems, then the figures.
    assert "warning: " in res.stderr and "en never says 'printed e-invoice'" in res.stderr
    table = out[out.index("\nquiz:\n") :].splitlines()
    assert table[2].split()[:2] == ["activity", "questions"]
    assert any(line.split()[0] == "all" for line in table[3:])
    assert any(line.split()[0] == "limit" for line in table[3:])
    assert "glossary: " in out and "American spellings" in out


def test_a_walk_with_a_dead_end_branch_is_rejected(tmp_path: Path) -> None:
    assert problems_of("walk_dead_end.yaml", tmp_path) == [
        "walk-dead-end: walk.cable: dead end - the last step must say where 'didn't help' "
        "leads (next: escalate)"
    ]
    extra = tmp_path / "cli"
    extra.mkdir()
    shutil.copy(BROKEN / "walk_dead_end.yaml", extra)
    out = run_cli("check-knowledge", "--extra", str(extra), cwd=tmp_path)
    assert out.returncode == 1
    assert "walk-dead-end: walk.cable: dead end" in out.stdout


def test_every_other_broken_walk_is_rejected(tmp_path: Path) -> None:
    assert problems_of("walk_broken.yaml", tmp_path) == [
        "walk-unknown-target: walk.scope: answer 1 goes to unknown step 'modme'",
        "walk-unknown-target: walk.modem: unknown contact {isp_fone} in the en text",
        "walk-circle: walk: steps go round in a circle (one → two → one)",
        "walk-circle: walk.lost: no path reaches this step",
        "walk-texts: walk.only-zh: missing en text",
        "walk-texts: walk.asks-and-nexts: a step that asks branches by its answers; drop 'next'",
        "walk-texts: walk.asks-and-nexts: answer 1: en text over 30 characters",
        "walk-texts: walk.long: en text over 300 characters (349)",
    ]


def test_a_stores_contacts_are_checked(tmp_path: Path) -> None:
    extra = tmp_path / "store"
    extra.mkdir()
    (extra / "store.yaml").write_text(
        "store:\n"
        "  name: 信義店\n"
        "  contacts:\n"
        "    pos_vendor_phone: 0800-000-111\n"
        "    pos_vendor_fone: 0800-000-222\n"
        "    isp_phone: {zh: 中華電信 0800-080-123}\n"
        "    it_phone: ''\n",
        encoding="utf-8",
    )
    kb, problems = load_knowledge(extra)
    got = [f"{p.entry}: {p.message}" for p in problems]
    assert len(got) == 3
    assert got[0].startswith("store.contacts.pos_vendor_fone: unknown contact (known: ")
    assert got[1] == "store.contacts.isp_phone: needs both zh and en (or one text for both)"
    assert got[2] == "store.contacts.it_phone: must be one text, or zh and en"
    assert kb.store_contacts["pos_vendor_phone"].en == "0800-000-111"
    assert kb.store_name is not None and kb.store_name.en == "信義店"
