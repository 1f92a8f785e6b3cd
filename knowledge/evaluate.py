"""Accuracy of a matcher on a labelled JSONL set: activity and card top-1/top-3, how often
a confident answer is the wrong card, and how off-topic lines fare.

A line is `{"q", "expect": [activities], "cards": [gold card ids, best first], "gap",
"lang", "split"}`. `expect: []` marks an off-topic line; `cards: []` with a `gap` marks a
work question no card answers (a content gap); a line without `cards` has no card labels.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Tiers that decline a message: no work question (`offtopic`) or no card for it (`none`).
DECLINES = ("none", "offtopic")
LANG_ORDER = ("zh-TW", "zh-CN", "en", "mixed")


@dataclass(frozen=True)
class Row:
    q: str
    expect: tuple[str, ...]
    lang: str = ""
    split: str = "dev"
    cards: tuple[str, ...] | None = None  # None: no card labels on this line
    gap: str | None = None


def read_jsonl(path: Path, split: str = "all") -> list[Row]:
    """Rows of a labelled file; `split` 'dev', 'test' or 'all'."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        cards = d.get("cards")
        row = Row(
            d["q"],
            tuple(d.get("expect", [])),
            d.get("lang", ""),
            d.get("split", "dev"),
            tuple(cards) if cards is not None else None,
            d.get("gap"),
        )
        if split in ("all", row.split):
            rows.append(row)
    return rows


# The fresh sets (tests/data/devN*.jsonl) measured once at first sight and dev data since:
# staff examples are filed from them and cross-validation reads them. A set joins only after
# its first-sight figures are on record.
DEV_SETS = (
    "dev8",
    "dev9",
    "dev10",
    "dev11",
    "dev12",
    "dev13",
    "dev14",
    "dev15",
    "dev16",
    "dev17",
    "dev18",
    "dev19",
    "dev20",
    "dev21",
    "dev22",
)


def dev_rows(data: Path) -> list[Row]:
    """Every dev line: the dev split of questions.jsonl and the sets of DEV_SETS, in order."""
    files = [data / "questions.jsonl"] + [
        f for f in sorted(data.glob("dev*.jsonl")) if f.stem.split("-")[0] in DEV_SETS
    ]
    return [
        r for f in files for r in read_jsonl(f, "dev" if f.name == "questions.jsonl" else "all")
    ]


def _pct(n: int, d: int) -> float:
    return 100.0 * n / d if d else 0.0


@dataclass
class Report:
    on_topic: int = 0
    off_topic: int = 0
    top1: int = 0
    top3: int = 0
    on_none: int = 0
    off_none: int = 0  # off-topic lines declined (`offtopic` or `none`)
    off_offtopic: int = 0  # … of which told "not a work question"
    on_offtopic: int = 0  # on-topic lines told "not a work question"
    answered_right: int = 0
    answered: int = 0
    # Card level, over on-topic lines with card labels.
    card_lines: int = 0  # lines with gold cards
    gaps: int = 0  # lines no card answers
    gap_declined: int = 0  # … of which the matcher declined
    card_top1: int = 0
    card_top3: int = 0
    labelled: int = 0  # on-topic lines with card labels (cards or a gap)
    confident_wrong: int = 0  # tier answer, top card not in the gold set (or a gap line)
    by_lang: dict[str, list[int]] = field(default_factory=dict)  # lang -> [lines, card top-1]
    misses: list[tuple[str, tuple[str, ...], list[str], str]] = field(default_factory=list)

    @property
    def top1_pct(self) -> float:
        return _pct(self.top1, self.on_topic)

    @property
    def top3_pct(self) -> float:
        return _pct(self.top3, self.on_topic)

    @property
    def off_none_pct(self) -> float:
        return _pct(self.off_none, self.off_topic)

    @property
    def on_none_pct(self) -> float:
        return _pct(self.on_none, self.on_topic)

    @property
    def card_top1_pct(self) -> float:
        return _pct(self.card_top1, self.card_lines)

    @property
    def card_top3_pct(self) -> float:
        return _pct(self.card_top3, self.card_lines)

    @property
    def gap_pct(self) -> float:
        return _pct(self.gaps, self.labelled)

    @property
    def confident_wrong_pct(self) -> float:
        return _pct(self.confident_wrong, self.labelled)

    def lang_card_top1_pct(self, *langs: str) -> float:
        n = sum(self.by_lang.get(lang, [0, 0])[0] for lang in langs)
        return _pct(sum(self.by_lang.get(lang, [0, 0])[1] for lang in langs), n)

    def format(self) -> str:
        lines = [
            f"on-topic lines: {self.on_topic}, off-topic lines: {self.off_topic}",
            f"top-1 accuracy: {self.top1_pct:.1f}%  ({self.top1}/{self.on_topic})",
            f"top-3 accuracy: {self.top3_pct:.1f}%  ({self.top3}/{self.on_topic})",
            f"off-topic -> none: {self.off_none_pct:.1f}%  ({self.off_none}/{self.off_topic})"
            f"  [offtopic {self.off_offtopic}, none {self.off_none - self.off_offtopic}]",
            f"on-topic -> none (wrong): {self.on_none_pct:.1f}%  "
            f"({self.on_none}/{self.on_topic})"
            f"  [on-topic -> offtopic {self.on_offtopic}]",
            f"tier answer precision: {_pct(self.answered_right, self.answered):.1f}%  "
            f"({self.answered_right}/{self.answered})",
        ]
        if self.labelled:
            lines += [
                f"card top-1: {self.card_top1_pct:.1f}%  ({self.card_top1}/{self.card_lines})",
                f"card top-3: {self.card_top3_pct:.1f}%  ({self.card_top3}/{self.card_lines})",
                f"content gaps: {self.gap_pct:.1f}%  ({self.gaps}/{self.labelled})"
                f"  [declined {self.gap_declined}]",
                f"answered with confidence but wrong card: {self.confident_wrong_pct:.1f}%  "
                f"({self.confident_wrong}/{self.labelled})",
                "card top-1 by language: "
                + "  ".join(
                    f"{lang} {self.lang_card_top1_pct(lang):.1f}% "
                    f"({self.by_lang[lang][1]}/{self.by_lang[lang][0]})"
                    for lang in sorted(self.by_lang, key=_lang_key)
                ),
            ]
        return "\n".join(lines)


def _lang_key(lang: str) -> tuple[int, str]:
    return (LANG_ORDER.index(lang) if lang in LANG_ORDER else len(LANG_ORDER), lang)


def evaluate(search: Callable[[str, int], Any], rows: Iterable[Row]) -> Report:
    """Run `search(q, 5)` over the rows; an activity hit counts when its activity is in
    `expect`, a card hit when its card is in the line's gold `cards`."""
    rep = Report()
    for row in rows:
        result = search(row.q, 5)
        acts = [h.activity for h in result.hits]
        cards = [h.card for h in result.hits]
        shown = [h.card or h.activity for h in result.hits[:3]]
        if not row.expect:
            rep.off_topic += 1
            rep.off_none += result.tier in DECLINES
            rep.off_offtopic += result.tier == "offtopic"
            if result.tier not in DECLINES:
                rep.misses.append((row.q, row.expect, acts[:3], result.tier))
            continue
        rep.on_topic += 1
        ok1 = bool(acts) and acts[0] in row.expect
        ok3 = any(a in row.expect for a in acts[:3])
        rep.top1 += ok1
        rep.top3 += ok3
        rep.on_none += result.tier in DECLINES
        rep.on_offtopic += result.tier == "offtopic"
        if result.tier == "answer":
            rep.answered += 1
            rep.answered_right += ok1
        card_ok = True
        if row.cards is not None:
            rep.labelled += 1
            if row.cards:
                rep.card_lines += 1
                card_ok = bool(cards) and cards[0] in row.cards
                rep.card_top1 += card_ok
                rep.card_top3 += any(c in row.cards for c in cards[:3])
                seen = rep.by_lang.setdefault(row.lang or "?", [0, 0])
                seen[0] += 1
                seen[1] += card_ok
            else:
                rep.gaps += 1
                rep.gap_declined += result.tier in DECLINES
                card_ok = result.tier in DECLINES
            rep.confident_wrong += result.tier == "answer" and not card_ok
        if not ok1 or not card_ok or result.tier in DECLINES:
            rep.misses.append((row.q, row.cards or row.expect, shown, result.tier))
    return rep
