"""Accuracy of a matcher on a labelled JSONL set: top-1/top-3 and how off-topic lines fare."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Row:
    q: str
    expect: tuple[str, ...]
    lang: str = ""
    split: str = "dev"


def read_jsonl(path: Path, split: str = "all") -> list[Row]:
    """Rows of a labelled file; `split` 'dev', 'test' or 'all'."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        row = Row(d["q"], tuple(d.get("expect", [])), d.get("lang", ""), d.get("split", "dev"))
        if split in ("all", row.split):
            rows.append(row)
    return rows


@dataclass
class Report:
    on_topic: int = 0
    off_topic: int = 0
    top1: int = 0
    top3: int = 0
    on_none: int = 0
    off_none: int = 0
    answered_right: int = 0
    answered: int = 0
    misses: list[tuple[str, tuple[str, ...], list[str], str]] = field(default_factory=list)

    @staticmethod
    def _pct(n: int, d: int) -> float:
        return 100.0 * n / d if d else 0.0

    @property
    def top1_pct(self) -> float:
        return self._pct(self.top1, self.on_topic)

    @property
    def top3_pct(self) -> float:
        return self._pct(self.top3, self.on_topic)

    @property
    def off_none_pct(self) -> float:
        return self._pct(self.off_none, self.off_topic)

    @property
    def on_none_pct(self) -> float:
        return self._pct(self.on_none, self.on_topic)

    def format(self) -> str:
        return "\n".join(
            [
                f"on-topic lines: {self.on_topic}, off-topic lines: {self.off_topic}",
                f"top-1 accuracy: {self.top1_pct:.1f}%  ({self.top1}/{self.on_topic})",
                f"top-3 accuracy: {self.top3_pct:.1f}%  ({self.top3}/{self.on_topic})",
                f"off-topic -> none: {self.off_none_pct:.1f}%  ({self.off_none}/{self.off_topic})",
                f"on-topic -> none (wrong): {self.on_none_pct:.1f}%  "
                f"({self.on_none}/{self.on_topic})",
                f"tier answer precision: {self._pct(self.answered_right, self.answered):.1f}%  "
                f"({self.answered_right}/{self.answered})",
            ]
        )


def evaluate(search: Callable[[str, int], Any], rows: Iterable[Row]) -> Report:
    """Run `search(q, 5)` over the rows; a hit counts when its activity is in `expect`."""
    rep = Report()
    for row in rows:
        result = search(row.q, 5)
        acts = [h.activity for h in result.hits]
        if not row.expect:
            rep.off_topic += 1
            rep.off_none += result.tier == "none"
            if result.tier != "none":
                rep.misses.append((row.q, row.expect, acts[:3], result.tier))
            continue
        rep.on_topic += 1
        ok1 = bool(acts) and acts[0] in row.expect
        ok3 = any(a in row.expect for a in acts[:3])
        rep.top1 += ok1
        rep.top3 += ok3
        rep.on_none += result.tier == "none"
        if result.tier == "answer":
            rep.answered += 1
            rep.answered_right += ok1
        if not ok1 or result.tier == "none":
            rep.misses.append((row.q, row.expect, acts[:3], result.tier))
    return rep
