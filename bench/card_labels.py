"""Card-level ground truth: agreement of the two annotators, and their labels merged into the
eval files.

    .venv/bin/python bench/card_labels.py           agreement figures only
    .venv/bin/python bench/card_labels.py --write   also (re)write "cards"/"gap" in tests/data

Labels live in tests/data/cards/{A,B}/labels-*.jsonl, one line per on-topic eval line, id
"<file>:<0-based line index>", {"cards": [best first, 1-3], "gap": null | "missing card"}.

Cards written after a line was labelled are labelled in re-label rounds,
tests/data/cards/{A,B}/relabel-*.jsonl: for every line, {"new": [new cards that answer it,
best first], "first": whether the best of them answers it better than the line's first card
(always, for a gap)}. A's round applies to A's labels and B's to B's, before the merge:
"first" puts the new cards in front, otherwise they follow; a gap with a new card is a gap
no more. `--rounds 0` reads the first labels alone.

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


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def relabel(label: dict, new: list[str], first: bool) -> dict:
    """One line's label after a re-label round that found `new` cards answering it."""
    if not new:
        return label
    old = [c for c in label["cards"] if c not in new]
    if label["gap"] or first:
        return {**label, "cards": [*new, *old], "gap": None}
    return {**label, "cards": [*old, *new]}


def _rounds(who: str) -> list[Path]:
    """One annotator's re-label rounds, oldest first (relabel-9 before relabel-11)."""
    return sorted((LABELS / who).glob("relabel-*.jsonl"), key=lambda p: int(p.stem.split("-")[1]))


def read_labels(who: str, rounds: bool = True) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for path in sorted((LABELS / who).glob("labels-*.jsonl")):
        for d in _lines(path):
            out[d["id"]] = d
    if rounds:
        for path in _rounds(who):
            for d in _lines(path):
                out[d["id"]] = relabel(out[d["id"]], d["new"], d["first"])
    return out


def relabel_agreement() -> list[str]:
    """How often A's and B's re-label rounds agree on a line (new card or not, which)."""
    rows = []
    for path in _rounds("A"):
        a = {d["id"]: d for d in _lines(path)}
        b = {d["id"]: d for d in _lines(LABELS / "B" / path.name)}
        ids = sorted(a)
        either = [i for i in ids if a[i]["new"] or b[i]["new"]]
        both = [i for i in either if a[i]["new"] and b[i]["new"]]
        same = sum(a[i]["new"][0] == b[i]["new"][0] for i in both)
        pairs = [
            (a[i]["new"][0] if a[i]["new"] else "-", b[i]["new"][0] if b[i]["new"] else "-")
            for i in ids
        ]
        from_a = sum(bool(a[i]["new"]) for i in ids)
        from_b = sum(bool(b[i]["new"]) for i in ids)
        rows.append(
            f"{path.stem}: {len(ids)} lines; a new card from A {from_a}, "
            f"B {from_b}, both {len(both)} (same first {same}), "
            f"either {len(either)}; kappa on the first new card (none a category) "
            f"{kappa(pairs):.3f}"
        )
    return rows


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
    parser.add_argument("--rounds", type=int, choices=(0, 1), default=1, help="0: first labels")
    parser.add_argument("--only", help="agreement on the lines of this eval file only")
    args = parser.parse_args()
    a, b = read_labels("A", bool(args.rounds)), read_labels("B", bool(args.rounds))
    if set(a) != set(b):
        sys.exit("A and B labelled different lines")
    if args.only:
        a = {k: v for k, v in a.items() if k.split(":")[0] == args.only}
        b = {k: v for k, v in b.items() if k.split(":")[0] == args.only}
    print("\n".join(agreement(a, b)))
    if args.rounds:
        print("\n".join(relabel_agreement()))
    if args.write:
        print(f"wrote gold cards on {write(a, b)} lines")


if __name__ == "__main__":
    main()
