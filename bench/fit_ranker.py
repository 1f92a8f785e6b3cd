"""Fit the matcher's learnt ranking (`Weights.rank`) on dev data, out of fold.

    .venv/bin/python bench/fit_ranker.py            # 5 folds: fit, measure, print weights

Each fold's matcher is built without `card-examples-dev.yaml` and with the other folds' dev
lines filed as examples (as bench/cv_examples.py does), so a line's features are what the
shipped matcher would see for a question it has never been taught. A listwise softmax over
each line's candidates (the gold cards are the targets) is fitted on the other folds'
features and measured on the fold's own: card top-1 out of fold. The weights printed last
are fitted on every fold's features at once; they go into `Weights.rank`. The held-out split
and unmeasured fresh sets are never read.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cv_examples import DATA, learnt, without_dev_examples

from knowledge.evaluate import dev_rows
from knowledge.matcher import RANK_FEATURES, Matcher, Weights


def features(
    folds: int, credit: float, w: Weights
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Padded features (lines × candidates × features), gold mask, valid mask, each line's
    fold, and how many card lines had no candidate at all."""
    kb, rows = without_dev_examples(), dev_rows(DATA)
    order = list(range(len(rows)))
    random.Random(7).shuffle(order)
    parts = [order[i::folds] for i in range(folds)]
    lines: list[tuple[int, np.ndarray, np.ndarray]] = []
    lost = 0
    for k, part in enumerate(parts):
        train = [rows[i] for j, p in enumerate(parts) if j != k for i in p]
        matcher = Matcher(learnt(kb, train), w)
        for i in part:
            row = rows[i]
            if not row.expect or not row.cards:
                continue
            found = matcher.rank_features(row.q)
            if found is None:
                lost += 1
                continue
            cands, feats = found
            gold = np.array(
                [1.0 if c in row.cards else credit * (a in row.expect) for a, c in cands]
            )
            lines.append((k, feats, gold))
    width = max(len(g) for _k, _f, g in lines)
    x = np.zeros((len(lines), width, len(RANK_FEATURES)))
    y = np.zeros((len(lines), width))
    valid = np.zeros((len(lines), width), dtype=bool)
    for n, (_k, f, g) in enumerate(lines):
        x[n, : len(g)], y[n, : len(g)], valid[n, : len(g)] = f, g, True
    return x, y, valid, np.array([k for k, _f, _g in lines]), lost


def fit(x: np.ndarray, y: np.ndarray, valid: np.ndarray, steps: int, l2: float) -> np.ndarray:
    """Weights maximising the log-probability of the gold cards (Adam on standardised
    features; lines whose gold card is no candidate teach nothing and are left out)."""
    has = y.any(axis=1)
    x, y, valid = x[has], y[has], valid[has]
    flat = x[valid]
    mu, sd = flat.mean(axis=0), flat.std(axis=0) + 1e-9
    z = (x - mu) / sd
    w = np.zeros(x.shape[2])
    m1, m2 = np.zeros_like(w), np.zeros_like(w)
    for t in range(1, steps + 1):
        s = np.where(valid, z @ w, -1e9)
        p = np.exp(s - s.max(axis=1, keepdims=True)) * valid
        p /= p.sum(axis=1, keepdims=True)
        target = p * y
        target /= target.sum(axis=1, keepdims=True)
        grad = np.einsum("nm,nmd->d", p - target, z) / len(z) + l2 * w
        m1 = 0.9 * m1 + 0.1 * grad
        m2 = 0.999 * m2 + 0.001 * grad * grad
        w -= 0.05 * (m1 / (1 - 0.9**t)) / (np.sqrt(m2 / (1 - 0.999**t)) + 1e-8)
    # Back to raw feature units: a softmax ignores the shift by mu.
    return w / sd


def top1(w: np.ndarray, x: np.ndarray, y: np.ndarray, valid: np.ndarray) -> np.ndarray:
    s = np.where(valid, x @ w, -np.inf)
    return y[np.arange(len(y)), s.argmax(axis=1)] >= 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--l2", type=float, default=1e-4)
    parser.add_argument("--weights", default="{}", help="Weights overrides as JSON")
    parser.add_argument(
        "--credit",
        type=float,
        default=0.0,
        help="target weight of other entries of the gold activity",
    )
    args = parser.parse_args()
    x, y, valid, fold, lost = features(
        args.folds, args.credit, Weights(**json.loads(args.weights))
    )
    n = len(y) + lost
    ok = np.zeros(len(y), dtype=bool)
    for k in range(args.folds):
        train, test = fold != k, fold == k
        w = fit(x[train], y[train], valid[train], args.steps, args.l2)
        ok[test] = top1(w, x[test], y[test], valid[test])
    print(f"{n} dev card lines, {args.folds} folds")
    print(f"card top-1 out of fold, learnt ranking: {100 * ok.sum() / n:.1f} %")
    w = fit(x, y, valid, args.steps, args.l2)
    print("rank = (" + ", ".join(f"{v:.4g}" for v in w) + ")")
    for name, v in zip(RANK_FEATURES, w, strict=True):
        print(f"  {name:14s} {v:+.4f}")
    print(f"reproduce: .venv/bin/python bench/fit_ranker.py --folds {args.folds}")


if __name__ == "__main__":
    main()
