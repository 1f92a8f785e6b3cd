"""Benchmark of the question matcher: latency, build time, and accuracy against baselines.

    .venv/bin/python bench/bench_match.py          (or: make bench)

Prints per-query latency p50/p99 and index build time on the shipped knowledge and on a
synthetic knowledge base of 10,000 cards, and accuracy of the matcher on each labelled set
(tests/data: questions.jsonl's dev and held-out test splits, and the later dev8-dev22 sets)
with card figures where lines have card labels, next to the matcher without its learnt
ranking ("no-card": the weighted lexical score alone), without the activity classifier
either ("lexical"), and two baselines
measured in the same run:
  * wratio: rapidfuzz WRatio of the raw question against raw activity and card titles;
  * bm25:   BM25 over character bigrams of the raw card and activity texts.
"""

from __future__ import annotations

import math
import platform
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from a checkout

from rapidfuzz import fuzz, process  # noqa: E402

from knowledge.evaluate import Row, evaluate, read_jsonl  # noqa: E402
from knowledge.loader import load_knowledge_or_raise  # noqa: E402
from knowledge.matcher import Hit, Matcher, Result, Weights  # noqa: E402
from knowledge.models import Card, Knowledge, Text  # noqa: E402

DATASET = ROOT / "tests" / "data" / "questions.jsonl"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(pct / 100 * len(ordered)) - 1))
    return ordered[k]


def time_queries(
    search: Callable[[str, int], object], queries: list[str], rounds: int = 5
) -> tuple[float, float]:
    for q in queries[:50]:
        search(q, 5)  # warm caches
    times = []
    for _ in range(rounds):
        for q in queries:
            t0 = time.perf_counter()
            search(q, 5)
            times.append((time.perf_counter() - t0) * 1000)
    return percentile(times, 50), percentile(times, 99)


def time_build(kb: Knowledge, rounds: int = 3) -> tuple[Matcher, float, float]:
    """The matcher, the first build's time (includes loading OpenCC and the sound table),
    and the best of `rounds` builds, in ms."""
    times = []
    matcher = None
    for _ in range(rounds):
        t0 = time.perf_counter()
        matcher = Matcher(kb)
        times.append(time.perf_counter() - t0)
    assert matcher is not None
    return matcher, times[0] * 1000, min(times) * 1000


def time_with_alias(matcher: Matcher, rounds: int = 21) -> float:
    """Median ms to learn one alias (a supervisor filing an unanswered question)."""
    times = []
    for i in range(rounds):
        t0 = time.perf_counter()
        matcher.with_alias("t33-drawer-stuck", f"收銀台下面那個鐵盒子打不開 {i}")
        times.append((time.perf_counter() - t0) * 1000)
    return percentile(times, 50)


class WRatioBaseline:
    """rapidfuzz WRatio of the raw question against raw titles; no normalisation."""

    def __init__(self, kb: Knowledge) -> None:
        self.choices: dict[tuple[str, str | None, str], str] = {}
        for a in kb.activities.values():
            for lang in ("zh", "en"):
                self.choices[(a.id, None, lang)] = getattr(a.title, lang)
        for c in kb.cards.values():
            for lang in ("zh", "en"):
                self.choices[(c.activity, c.id, lang)] = getattr(c.title, lang)

    def search(self, text: str, k: int = 5) -> Result:
        found = process.extract(
            text, self.choices, scorer=fuzz.WRatio, processor=None, limit=k * 2, score_cutoff=0
        )
        hits = [Hit(key[0], key[1], score) for _choice, score, key in found][:k]
        tier = "none" if not hits or hits[0].score < 60 else "answer"
        return Result(tier, hits)  # type: ignore[arg-type]


class BigramBM25Baseline:
    """BM25 over character bigrams of raw card/activity text; no normalisation or synonyms."""

    def __init__(self, kb: Knowledge, k1: float = 1.2, b: float = 0.75) -> None:
        self.docs: list[tuple[str, str | None, Counter[str]]] = []
        for c in kb.cards.values():
            text = " ".join(
                [c.title.zh, c.title.en, *c.aliases.all(), *(s.zh + " " + s.en for s in c.steps)]
            )
            self.docs.append((c.activity, c.id, Counter(self.grams(text))))
        for a in kb.activities.values():
            text = " ".join(
                [a.title.zh, a.title.en, *(i.text.zh + " " + i.text.en for i in a.indicators)]
            )
            self.docs.append((a.id, None, Counter(self.grams(text))))
        n = len(self.docs)
        df: Counter[str] = Counter()
        for _, _, tf in self.docs:
            df.update(tf.keys())
        self.idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        self.avg = sum(sum(tf.values()) for _, _, tf in self.docs) / n
        self.k1, self.b = k1, b

    @staticmethod
    def grams(text: str) -> list[str]:
        return [text[i : i + 2] for i in range(len(text) - 1)]

    def search(self, text: str, k: int = 5) -> Result:
        q = set(self.grams(text))
        scored = []
        for act, card, tf in self.docs:
            dl = sum(tf.values())
            s = sum(
                self.idf[t]
                * tf[t]
                * (self.k1 + 1)
                / (tf[t] + self.k1 * (1 - self.b + self.b * dl / self.avg))
                for t in q
                if t in tf
            )
            scored.append((s, act, card))
        scored.sort(key=lambda x: -x[0])
        hits = [Hit(a, c, s) for s, a, c in scored[:k] if s > 0]
        tier = "none" if not hits or hits[0].score < 5 else "answer"
        return Result(tier, hits)  # type: ignore[arg-type]


def synthetic(kb: Knowledge, n: int, seed: int = 7) -> Knowledge:
    """n extra cards made by recombining real aliases, titles and steps (realistic terms)."""
    rng = random.Random(seed)
    cards = list(kb.cards.values())
    extra: dict[str, Card] = dict(kb.cards)
    for i in range(n):
        base = rng.choice(cards)
        mix = rng.sample(cards, 3)
        aliases = base.aliases.model_copy(
            update={
                "zh": [rng.choice(c.aliases.zh) + rng.choice("甲乙丙丁戊") for c in mix] * 2,
                "en": [rng.choice(c.aliases.en) + f" v{i}" for c in mix] * 2,
            }
        )
        steps = [rng.choice(rng.choice(cards).steps) for _ in range(rng.randint(3, 8))]
        title = Text(zh=base.title.zh + f"（{i}）", en=f"{base.title.en} ({i})")
        cid = f"syn-{i:05d}"
        extra[cid] = base.model_copy(
            update={"id": cid, "title": title, "aliases": aliases, "steps": steps, "related": []}
        )
    return replace(kb, cards=extra)


def accuracy_line(name: str, search: Callable[[str, int], Result], rows: list[Row]) -> str:
    rep = evaluate(search, rows)
    line = (
        f"  {name:<8} top-1 {rep.top1_pct:5.1f}%  top-3 {rep.top3_pct:5.1f}%  "
        f"off-topic->declined {rep.off_none_pct:5.1f}%  on-topic->none {rep.on_none_pct:4.1f}%"
    )
    if rep.labelled:
        line += (
            f"  | card top-1 {rep.card_top1_pct:5.1f}%  top-3 {rep.card_top3_pct:5.1f}%  "
            f"confident wrong {rep.confident_wrong_pct:4.1f}%  "
            f"en {rep.lang_card_top1_pct('en'):5.1f}% "
            f"zh {rep.lang_card_top1_pct('zh-TW', 'zh-CN'):5.1f}%"
        )
    return line


def main() -> None:
    kb = load_knowledge_or_raise()
    rows = read_jsonl(DATASET)
    queries = [r.q for r in rows]
    print(f"python {platform.python_version()} on {platform.machine()}, one process, one core")
    print(
        f"shipped knowledge: {len(kb.cards)} cards, {len(kb.activities)} activities; "
        f"{len(queries)} queries ({DATASET.relative_to(ROOT)})"
    )

    matcher, first_ms, build_ms = time_build(kb)
    p50, p99 = time_queries(matcher.search, queries)
    print(
        f"matcher  shipped: build {build_ms:7.1f} ms (first in process {first_ms:.1f} ms)   "
        f"query p50 {p50:.3f} ms  p99 {p99:.3f} ms"
    )

    alias_ms = time_with_alias(matcher)
    print(f"matcher  shipped: with_alias (one learned alias) median {alias_ms:.2f} ms")

    big = synthetic(kb, 10_000 - len(kb.cards))
    big_matcher, big_build, _best = time_build(big, rounds=1)
    bp50, bp99 = time_queries(big_matcher.search, queries, rounds=2)
    print(
        f"matcher  {len(big.cards)} cards: build {big_build:7.1f} ms   "
        f"query p50 {bp50:.3f} ms  p99 {bp99:.3f} ms"
    )
    print(
        f"matcher  {len(big.cards)} cards: with_alias median {time_with_alias(big_matcher):.2f} ms"
    )

    wr = WRatioBaseline(kb)
    bm = BigramBM25Baseline(kb)
    wp50, wp99 = time_queries(wr.search, queries, rounds=1)
    mp50, mp99 = time_queries(bm.search, queries, rounds=1)
    print(f"baseline wratio: query p50 {wp50:.3f} ms  p99 {wp99:.3f} ms")
    print(f"baseline bm25:   query p50 {mp50:.3f} ms  p99 {mp99:.3f} ms")

    lexical = Matcher(kb, Weights(w_class=0.0, rank=()))
    no_card = Matcher(kb, Weights(rank=()))
    sets = {
        "questions.jsonl dev split": [r for r in rows if r.split == "dev"],
        "questions.jsonl held-out test split": [r for r in rows if r.split == "test"],
    }
    for name in [f"dev{n}" for n in range(8, 23)]:
        files = sorted(DATASET.parent.glob(f"{name}-*.jsonl")) or [
            DATASET.parent / f"{name}.jsonl"
        ]
        sets[f"{name}-*.jsonl"] = [r for f in files for r in read_jsonl(f)]
    for name, part in sets.items():
        print(f"accuracy on {name} ({len(part)} lines):")
        print(accuracy_line("matcher", matcher.search, part))
        print(accuracy_line("no-card", no_card.search, part))
        print(accuracy_line("lexical", lexical.search, part))
        print(accuracy_line("wratio", wr.search, part))
        print(accuracy_line("bm25", bm.search, part))
    print("reproduce: .venv/bin/python bench/bench_match.py")


if __name__ == "__main__":
    main()
