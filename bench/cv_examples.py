"""What filing labelled dev lines as examples does, measured by k-fold cross-validation on
dev data only (the held-out split and unmeasured fresh sets are never read).

    .venv/bin/python bench/cv_examples.py                 # 5 folds, with and without
    .venv/bin/python bench/cv_examples.py --folds 10 --weights '{"answer_p": 0.8}'

The knowledge is loaded without `card-examples-dev.yaml` (bench/file_dev_examples.py's
output); each fold's matcher learns the other folds' lines (first gold card, or `none`) and
is measured on its own. Figures are the mean over folds.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from knowledge.evaluate import Report, Row, dev_rows, evaluate
from knowledge.loader import DATA_DIR, load_knowledge_or_raise
from knowledge.matcher import Matcher, Weights
from knowledge.models import OFF_TOPIC, Knowledge

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


def without_dev_examples() -> Knowledge:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(DATA_DIR, data, ignore=shutil.ignore_patterns("card-examples-dev.yaml"))
        return load_knowledge_or_raise(data_dir=data)


def learnt(kb: Knowledge, rows: list[Row]) -> Knowledge:
    cards = {c: list(v) for c, v in kb.card_examples.items()}
    examples = {a: list(v) for a, v in kb.examples.items()}
    for r in rows:
        if r.expect and r.cards:
            cards.setdefault(r.cards[0], []).append(r.q)
        elif not r.expect:
            examples.setdefault(OFF_TOPIC, []).append(r.q)
    return dataclasses.replace(kb, card_examples=cards, examples=examples)


def cross_validate(kb: Knowledge, rows: list[Row], folds: int, add: bool, w: Weights) -> str:
    order = list(range(len(rows)))
    random.Random(7).shuffle(order)
    parts = [order[i::folds] for i in range(folds)]
    reports: list[Report] = []
    for k, part in enumerate(parts):
        train = [rows[i] for j, p in enumerate(parts) if j != k for i in p]
        matcher = Matcher(learnt(kb, train) if add else kb, w)
        reports.append(evaluate(matcher.search, [rows[i] for i in part]))

    def mean(get: Callable[[Report], float]) -> float:
        return statistics.mean(get(r) for r in reports)

    return (
        f"card top-1 {mean(lambda r: r.card_top1_pct):.1f} %, "
        f"card top-3 {mean(lambda r: r.card_top3_pct):.1f} %, "
        f"activity top-1 {mean(lambda r: r.top1_pct):.1f} %, "
        f"off-topic declined {mean(lambda r: r.off_none_pct):.1f} %, "
        f"on-topic -> none {mean(lambda r: r.on_none_pct):.1f} %, "
        f"confident wrong {mean(lambda r: r.confident_wrong_pct):.1f} %, "
        f"answered {mean(lambda r: 100 * r.answered / max(r.on_topic, 1)):.1f} %, "
        f"en {mean(lambda r: r.lang_card_top1_pct('en')):.1f} % / "
        f"zh {mean(lambda r: r.lang_card_top1_pct('zh-TW', 'zh-CN')):.1f} %"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--weights", default="{}", help="Weights overrides as JSON")
    args = parser.parse_args()
    w = Weights(**json.loads(args.weights))
    kb, rows = without_dev_examples(), dev_rows(DATA)
    print(f"{len(rows)} dev lines, {args.folds} folds, weights {args.weights}")
    print("shipped examples only:   ", cross_validate(kb, rows, args.folds, False, w))
    print("+ other folds' dev lines:", cross_validate(kb, rows, args.folds, True, w))
    print(f"reproduce: .venv/bin/python bench/cv_examples.py --folds {args.folds}")


if __name__ == "__main__":
    main()
