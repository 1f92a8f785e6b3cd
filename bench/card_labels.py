"""Card-level ground truth: agreement of the two annotators, and their labels merged into the
eval files.

    .venv/bin/python bench/card_labels.py           agreement figures only
    .venv/bin/python bench/card_labels.py --write   also (re)write "cards"/"gap" in tests/data

Labels live in tests/data/cards/{A,B}/labels-*.jsonl, one line per on-topic eval line, id
"<file>:<0-based line index>", {"cards": [best first, 1-3], "gap": null | "missing card"}.

Merging is mechanical, nobody re-labels: the gold set is every card either annotator chose,
cards both chose first, then cards both chose (by summed rank), then cards one chose (by
rank, A before B). Where both say gap the line gets "cards": [] and A's "gap"; where only
one does, the other's cards stand and "gap_note" records the dissent.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
LABELS = DATA / "cards"
GAP = "<gap>"  # the first choice of an annotator who found no card, for kappa


def read_labels(who: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for path in sorted((LABELS / who).glob("labels-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                out[d["id"]] = d
    return out


def merge(a: dict, b: dict) -> dict[str, object]:
    """The gold fields of one line from A's and B's labels."""
    if a["gap"] and b["gap"]:
        return {"cards": [], "gap": a["gap"]}
    if a["gap"] or b["gap"]:
        dissent, other = ("A", a) if a["gap"] else ("B", b)
        return {
            "cards": list(b["cards"] if a["gap"] else a["cards"]),
            "gap_note": f"{dissent} saw a gap: {other['gap']}",
        }
    ra = {c: i for i, c in enumerate(a["cards"])}
    rb = {c: i for i, c in enumerate(b["cards"])}

    def key(c: str) -> tuple[int, int, int]:
        if c in ra and c in rb:
            return (0, ra[c] + rb[c], 0)
        return (1, 2 * ra[c], 0) if c in ra else (1, 2 * rb[c], 1)

    return {"cards": sorted(dict.fromkeys([*a["cards"], *b["cards"]]), key=key)}


def kappa(pairs: list[tuple[str, str]]) -> float:
    """Cohen's kappa of two raters' categorical choices."""
    n = len(pairs)
    observed = sum(x == y for x, y in pairs) / n
    ca, cb = Counter(x for x, _ in pairs), Counter(y for _, y in pairs)
    expected = sum(ca[k] * cb[k] for k in ca) / (n * n)
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0


def agreement(a: dict[str, dict], b: dict[str, dict]) -> list[str]:
    ids = sorted(a)
    both_cards = [i for i in ids if a[i]["cards"] and b[i]["cards"]]
    top1 = sum(a[i]["cards"][0] == b[i]["cards"][0] for i in both_cards)
    overlap = sum(bool(set(a[i]["cards"]) & set(b[i]["cards"])) for i in both_cards)
    same_set = sum(set(a[i]["cards"]) == set(b[i]["cards"]) for i in both_cards)
    gap_a = {i for i in ids if a[i]["gap"]}
    gap_b = {i for i in ids if b[i]["gap"]}
    firsts = [
        (a[i]["cards"][0] if a[i]["cards"] else GAP, b[i]["cards"][0] if b[i]["cards"] else GAP)
        for i in ids
    ]
    gap_pairs = [(str(i in gap_a), str(i in gap_b)) for i in ids]
    pct = 100 / len(both_cards)
    return [
        f"lines: {len(ids)}; both gave cards: {len(both_cards)}",
        f"first choice agrees: {top1 * pct:.1f}% ({top1}/{len(both_cards)})",
        f"any overlap: {overlap * pct:.1f}% ({overlap}/{len(both_cards)})",
        f"same card set: {same_set * pct:.1f}% ({same_set}/{len(both_cards)})",
        f"gaps: A {len(gap_a)}, B {len(gap_b)}, both {len(gap_a & gap_b)}, "
        f"either {len(gap_a | gap_b)}; kappa on gap/no gap {kappa(gap_pairs):.3f}",
        f"Cohen's kappa on first choices (gap a category, {len(set(firsts))} categories "
        f"used): {kappa(firsts):.3f}",
    ]


def write(a: dict[str, dict], b: dict[str, dict]) -> int:
    """Rewrite every eval file's on-topic lines with the merged gold fields."""
    changed = 0
    for path in sorted(DATA.glob("*.jsonl")):
        out = []
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            d = json.loads(line)
            for k in ("cards", "gap", "gap_note"):
                d.pop(k, None)
            key = f"{path.name}:{i}"
            if d.get("expect"):
                if key not in a or key not in b:
                    raise SystemExit(f"{key}: on-topic line without labels")
                gold = merge(a[key], b[key])
                # Gold fields right after `expect`, so a line reads question, activity, cards.
                d = {"q": d["q"], "expect": d["expect"], **gold, **d}
                changed += 1
            out.append(json.dumps(d, ensure_ascii=False))
        path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="merge into tests/data/*.jsonl")
    args = parser.parse_args()
    a, b = read_labels("A"), read_labels("B")
    if set(a) != set(b):
        sys.exit("A and B labelled different lines")
    print("\n".join(agreement(a, b)))
    if args.write:
        print(f"wrote gold cards on {write(a, b)} lines")


if __name__ == "__main__":
    main()
