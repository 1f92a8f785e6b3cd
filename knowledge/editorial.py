"""The editorial rules `check-knowledge` adds to the loader's: a quiz that cannot be passed by
guessing, a quiz question for every card, and one English voice (glossary and spelling).

The bot itself loads content that breaks these rules (a weak quiz still teaches); the
checker fails on them so that content does not ship. Definitions: knowledge/README.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.checks import OPTIONS_RANGE
from knowledge.loader import DATA_DIR, Problem, load
from knowledge.models import Knowledge, Question
from knowledge.voice import VoiceFindings, voice_findings

# --- thresholds (percent of questions; checked overall unless said otherwise) -------------
MIN_SCENARIO_PCT = 90
MAX_ESCALATION_ANSWER_PCT = 10
MAX_ESCALATION_ANSWER_PCT_PER_ACTIVITY = 20
MAX_LONGEST_RIGHT_PCT = 25  # in each language; 25 % is what a random key would give
MAX_CODE_RECALL = 0
QUIZ_OPTIONS = 4

# --- cues ----------------------------------------------------------------------------------
# "Ask the manager / verify first": an option with one of these reads as the safe answer.
ESCALATION_CUES_ZH = (
    "主管", "店長", "核准", "同意", "確認", "核對", "交給", "通知", "請示", "回報",
)  # fmt: skip
# Whole words; "approv" and "confirm" also as prefixes (approval, confirmation).
ESCALATION_CUES_EN = (
    "manager", "supervisor", "approv", "confirm", "check with", "verify", "verifies",
    "verifying", "notify", "notifies", "notified", "ask", "asks", "asked", "asking",
)  # fmt: skip
_PREFIX_CUES = ("approv", "confirm")
# A stem sets a situation when it names someone in it (or the shop speaking of itself) ...
SCENARIO_CUES_ZH = (
    "你", "妳", "您", "我們", "客人", "顧客", "客戶", "消費者", "買家", "買方", "會員", "網友",
    "店長", "主管", "老闆", "同事", "店員", "新人", "工讀生", "小編", "廠商", "供應商", "賣家",
)  # fmt: skip
SCENARIO_CUES_EN = (
    "you", "your", "we", "our", "customer", "customers", "shopper", "buyer", "buyers",
    "member", "members", "manager", "supervisor", "boss", "owner", "colleague", "colleagues",
    "co-worker", "clerk", "staffer", "new hire", "vendor", "supplier", "seller",
)  # fmt: skip
# ... or a concrete figure: an amount, a count, a date, a time.
_FIGURE = re.compile(r"\d")
# Code recall: the question asks which activity, indicator or output a sentence belongs to.
RECALL_PHRASES_ZH = re.compile(
    r"(?:屬於|是)哪一?[個項]?(?:工作活動|行為指標|工作產出)|屬於哪一?[個項]?(?:指標|活動)"
)
RECALL_PHRASES_EN = re.compile(
    r"\bwhich (?:behaviou?r )?indicator\b|\bwhich work activity\b|\bwhich (?:work )?output\b"
    r"|\bindicator of which\b|\bbelongs? to which (?:work )?activity\b",
    re.IGNORECASE,
)
# Ids of the standard with dots are unambiguous (P1.2.3, O5.2.1, T3.1); K01, S02, A03 count
# only when the standard has them (S23 is a phone, A4 a paper size).
_DOTTED_ID = re.compile(r"(?<![A-Za-z0-9])(?:[PO]\d+\.\d+\.\d+|T\d+\.\d+)(?![A-Za-z0-9])")
_SHORT_ID = re.compile(r"(?<![A-Za-z0-9])[KSAT]\d{1,2}(?![A-Za-z0-9.])")


def _en_pattern(words: Iterable[str], prefixes: Iterable[str] = ()) -> re.Pattern[str]:
    """Whole words or phrases, any case; `prefixes` may go on (approv → approval)."""
    alts = [re.escape(w) + (r"[a-z]*" if w in prefixes else "") for w in words]
    return re.compile(r"(?<![\w-])(?:" + "|".join(alts) + r")(?![\w-])", re.IGNORECASE)


_ESCALATION_EN = _en_pattern(ESCALATION_CUES_EN, _PREFIX_CUES)
_SCENARIO_EN = _en_pattern(SCENARIO_CUES_EN)


def has_escalation_cue(text: str, lang: str) -> bool:
    """Whether an option's text in `lang` ('zh' or 'en') reads as "ask / verify first"."""
    if lang == "zh":
        return any(c in text for c in ESCALATION_CUES_ZH)
    return bool(_ESCALATION_EN.search(text))


def standard_ids(kb: Knowledge) -> set[str]:
    """Every id the standard defines: tasks, activities, indicators, outputs, K, S, A."""
    ids = {*kb.tasks, *kb.activities, *kb.indicators, *kb.knowledge, *kb.skills, *kb.attitudes}
    ids.update(o.id for a in kb.activities.values() for o in a.outputs)
    return ids


# --- the quiz ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Traits:
    """What the checker sees in one question."""

    recall: bool  # asks for a code or the standard's classification
    scenario: bool  # not recall, and the stem sets a situation
    escalation_zh: bool  # the right option is the only one with an escalation cue (zh)
    escalation_en: bool
    longest_zh: bool  # the right option is strictly the longest (characters)
    longest_en: bool
    options: int

    @property
    def escalation(self) -> bool:
        """A giveaway in either language: a player reads one of them."""
        return self.escalation_zh or self.escalation_en


def traits(q: Question, ids: set[str]) -> Traits:
    """Classify one question; `ids` are the standard's (see `standard_ids`)."""
    stem_and_options = [q.question.zh, q.question.en, *(o.zh for o in q.options)]
    stem_and_options += [o.en for o in q.options]
    recall = any(
        _DOTTED_ID.search(t) or any(m in ids for m in _SHORT_ID.findall(t))
        for t in stem_and_options
    ) or bool(RECALL_PHRASES_ZH.search(q.question.zh) or RECALL_PHRASES_EN.search(q.question.en))
    situation = (
        any(c in q.question.zh for c in SCENARIO_CUES_ZH)
        or bool(_SCENARIO_EN.search(q.question.en))
        or bool(_FIGURE.search(q.question.zh + q.question.en))
    )
    right = next((i for i, o in enumerate(q.options) if o.correct), -1)

    def only_right(flags: list[bool]) -> bool:
        return right >= 0 and flags[right] and sum(flags) == 1

    def longest(lengths: list[int]) -> bool:
        return right >= 0 and all(n < lengths[right] for i, n in enumerate(lengths) if i != right)

    return Traits(
        recall=recall,
        scenario=situation and not recall,
        escalation_zh=only_right([has_escalation_cue(o.zh, "zh") for o in q.options]),
        escalation_en=only_right([has_escalation_cue(o.en, "en") for o in q.options]),
        longest_zh=longest([len(o.zh) for o in q.options]),
        longest_en=longest([len(o.en) for o in q.options]),
        options=len(q.options),
    )


@dataclass
class QuizCounts:
    """How many questions of a group have each trait."""

    questions: int = 0
    scenario: int = 0
    escalation: int = 0
    longest_zh: int = 0
    longest_en: int = 0
    short: int = 0  # fewer than QUIZ_OPTIONS options
    recall: int = 0
    # question ids by trait, and all of them, for `check-knowledge --quiz`
    ids: dict[str, list[str]] = field(default_factory=dict)
    all_ids: list[str] = field(default_factory=list)

    def add(self, qid: str, t: Traits) -> None:
        self.questions += 1
        self.all_ids.append(qid)
        marks = {
            "scenario": t.scenario,
            "escalation": t.escalation,
            "longest_zh": t.longest_zh,
            "longest_en": t.longest_en,
            "short": t.options < QUIZ_OPTIONS,
            "recall": t.recall,
        }
        for name, on in marks.items():
            if on:
                setattr(self, name, getattr(self, name) + 1)
                self.ids.setdefault(name, []).append(qid)


@dataclass
class QuizReport:
    by_activity: dict[str, QuizCounts]
    overall: QuizCounts
    traits: dict[str, Traits]  # by question id


def quiz_report(kb: Knowledge) -> QuizReport:
    """The traits of every question, counted per activity (in the standard's order) and
    overall."""
    ids = standard_ids(kb)
    by_activity: dict[str, QuizCounts] = {}
    overall = QuizCounts()
    seen: dict[str, Traits] = {}
    for q in kb.questions.values():
        t = seen[q.id] = traits(q, ids)
        by_activity.setdefault(q.activity, QuizCounts()).add(q.id, t)
        overall.add(q.id, t)
    order = {a: i for i, a in enumerate(kb.activities)}
    by_activity = dict(sorted(by_activity.items(), key=lambda kv: order.get(kv[0], len(order))))
    return QuizReport(by_activity, overall, seen)


def _pct(n: int, total: int) -> str:
    return f"{100 * n / total:.1f} %" if total else "-"


def _worst(report: QuizReport, trait: str) -> str:
    """The activities that contribute most to an overall failure, so writers know where."""
    counts = [(getattr(c, trait), a) for a, c in report.by_activity.items() if getattr(c, trait)]
    top = sorted(counts, key=lambda x: (-x[0], x[1]))[:4]
    return ", ".join(f"{a} {n}" for n, a in top)


def _nonscenario(report: QuizReport) -> str:
    counts = [(c.questions - c.scenario, a) for a, c in report.by_activity.items()]
    top = sorted(((n, a) for n, a in counts if n), key=lambda x: (-x[0], x[1]))[:4]
    return ", ".join(f"{a} {n}" for n, a in top)


def quiz_problems(kb: Knowledge, report: QuizReport, files: dict[str, str]) -> list[Problem]:
    """The quiz rules: each question's, then the thresholds; `files` maps question ids to
    their file."""
    return [*question_problems(kb, report, files), *threshold_problems(report)]


def question_problems(kb: Knowledge, report: QuizReport, files: dict[str, str]) -> list[Problem]:
    """No code recall, and 4 options, question by question."""
    out: list[Problem] = []
    for q in kb.questions.values():
        t = report.traits[q.id]
        f = files.get(q.id, "quiz")
        if t.recall:
            out.append(
                Problem(f, q.id, f"{q.activity}: asks for a code or classification of the "
                        "standard; write a shop scenario instead")
            )  # fmt: skip
        # Fewer than the bot can show the loader already reports.
        if OPTIONS_RANGE[0] <= t.options < QUIZ_OPTIONS:
            out.append(
                Problem(f, q.id, f"{q.activity}: {t.options} options (the quiz needs "
                        f"{QUIZ_OPTIONS}: 3 plausible wrong ones)")
            )  # fmt: skip
    return out


def threshold_problems(report: QuizReport) -> list[Problem]:
    """The shares past their limits, each naming the activity (or the activities behind an
    overall figure)."""
    out: list[Problem] = []
    for act, c in report.by_activity.items():
        if c.escalation * 100 > MAX_ESCALATION_ANSWER_PCT_PER_ACTIVITY * c.questions:
            out.append(
                Problem("quiz", act, f"the right option is the only one with an escalation "
                        f"cue in {c.escalation}/{c.questions} questions "
                        f"({_pct(c.escalation, c.questions)}, at most "
                        f"{MAX_ESCALATION_ANSWER_PCT_PER_ACTIVITY} % per activity)")
            )  # fmt: skip
    a = report.overall
    if not a.questions:
        return out
    where = "all activities"
    if a.recall > MAX_CODE_RECALL:
        out.append(
            Problem("quiz", where, f"{a.recall} code-recall questions (at most "
                    f"{MAX_CODE_RECALL}; most in {_worst(report, 'recall')})")
        )  # fmt: skip
    if a.scenario * 100 < MIN_SCENARIO_PCT * a.questions:
        out.append(
            Problem("quiz", where, f"{a.scenario}/{a.questions} scenario questions "
                    f"({_pct(a.scenario, a.questions)}, need at least {MIN_SCENARIO_PCT} %; "
                    f"fewest in {_nonscenario(report)})")
        )  # fmt: skip
    if a.escalation * 100 > MAX_ESCALATION_ANSWER_PCT * a.questions:
        out.append(
            Problem("quiz", where, f"the right option is the only one with an escalation cue "
                    f"in {a.escalation}/{a.questions} questions "
                    f"({_pct(a.escalation, a.questions)}, at most {MAX_ESCALATION_ANSWER_PCT} %; "
                    f"most in {_worst(report, 'escalation')})")
        )  # fmt: skip
    for lang in ("zh", "en"):
        n = getattr(a, f"longest_{lang}")
        if n * 100 > MAX_LONGEST_RIGHT_PCT * a.questions:
            out.append(
                Problem("quiz", where, f"the right option is strictly the longest ({lang}) "
                        f"in {n}/{a.questions} questions ({_pct(n, a.questions)}, at most "
                        f"{MAX_LONGEST_RIGHT_PCT} %; most in {_worst(report, 'longest_' + lang)})")
            )  # fmt: skip
    return out


def format_quiz(report: QuizReport, *, ids: bool = False) -> str:
    """The per-activity table check-knowledge prints; with `ids`, the questions behind it."""
    head = ("activity", "questions", "scenario", "escalation", "longest zh", "longest en")
    rows = [(*head, f"<{QUIZ_OPTIONS} options", "recall")]
    groups = [*report.by_activity.items(), ("all", report.overall)]
    for act, c in groups:
        rows.append(
            (
                act,
                str(c.questions),
                _pct(c.scenario, c.questions),
                _pct(c.escalation, c.questions),
                _pct(c.longest_zh, c.questions),
                _pct(c.longest_en, c.questions),
                str(c.short),
                str(c.recall),
            )
        )
    rows.append(
        (
            "limit",
            "",
            f">= {MIN_SCENARIO_PCT} %",
            f"<= {MAX_ESCALATION_ANSWER_PCT} % ({MAX_ESCALATION_ANSWER_PCT_PER_ACTIVITY} %)",
            f"<= {MAX_LONGEST_RIGHT_PCT} %",
            f"<= {MAX_LONGEST_RIGHT_PCT} %",
            "0",
            str(MAX_CODE_RECALL),
        )
    )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head) + 2)]
    lines = ["quiz:"]
    for r in rows:
        cells = [
            r[0].ljust(widths[0]),
            *(x.rjust(w) for x, w in zip(r[1:], widths[1:], strict=True)),
        ]
        lines.append("  " + "  ".join(cells).rstrip())
    if ids:
        for act, c in groups[:-1]:
            scenario = set(c.ids.get("scenario", []))
            flagged = {
                "not scenario": [q for q in c.all_ids if q not in scenario],
                "escalation": c.ids.get("escalation", []),
                "longest zh": c.ids.get("longest_zh", []),
                "longest en": c.ids.get("longest_en", []),
                f"<{QUIZ_OPTIONS} options": c.ids.get("short", []),
            }
            for name, qids in flagged.items():
                if qids:
                    lines.append(f"  {act} {name}: {' '.join(qids)}")
    return "\n".join(lines)


# --- coverage ------------------------------------------------------------------------------


def coverage_problems(kb: Knowledge, files: dict[str, str]) -> list[Problem]:
    """Every card has a quiz question, so a wrong answer can send staff to a procedure.

    (That every question names a card that exists, the loader checks.)
    """
    quizzed = {q.card for q in kb.questions.values()}
    return [
        Problem(files.get(c, "cards"), c, f"{card.activity}: no quiz question names this card")
        for c, card in kb.cards.items()
        if c not in quizzed
    ]


@dataclass
class Checked:
    kb: Knowledge
    problems: list[Problem]  # the loader's and the editorial rules': each fails the check
    warnings: list[Problem]
    quiz: QuizReport
    voice: VoiceFindings

    def counts(self) -> str:
        """One line of glossary and spelling counts."""
        v = self.voice
        return (
            f"glossary: {v.avoided} rejected renderings, {v.spelling} American spellings, "
            f"{v.missing_term} texts without the glossary term (warnings)"
        )


def check_knowledge(extra_dir: Path | None = None, data_dir: Path = DATA_DIR) -> Checked:
    """Load the knowledge and apply every rule: the loader's, then the editorial ones."""
    loaded = load(extra_dir, data_dir)
    kb = loaded.kb
    report = quiz_report(kb)
    voice = voice_findings(kb, loaded.files)
    problems = [
        *loaded.problems,
        *coverage_problems(kb, loaded.files.get("cards", {})),
        *quiz_problems(kb, report, loaded.files.get("questions", {})),
        *voice.errors,
    ]
    return Checked(kb, problems, voice.warnings, report, voice)
