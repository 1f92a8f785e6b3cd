"""The eval report: activity and card figures, gaps, confident wrong answers, languages."""

from __future__ import annotations

import json
from pathlib import Path

from knowledge.evaluate import evaluate, read_jsonl
from knowledge.matcher import Hit, Result
from tests.cli import run_cli

JAM = {"q": "發票機卡紙", "expect": ["T3.3"], "cards": ["t33-invoice-printer"], "lang": "zh-TW"}
FIXTURE = [
    JAM,
    {
        "q": "統編打錯",
        "expect": ["T1.2"],
        "cards": ["t12-einvoice-void", "t12-einvoice-issue"],
        "lang": "zh-TW",
    },
    {"q": "restore pos", "expect": ["T3.1"], "cards": ["t31-restore"], "lang": "en"},
    {"q": "gift wrap?", "expect": ["T2.1"], "cards": [], "gap": "gift wrapping", "lang": "en"},
    {"q": "午餐吃什麼", "expect": [], "lang": "zh-TW"},
    {"q": "勞保怎麼查", "expect": [], "lang": "zh-TW"},
]


def _write(path: Path, lines: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in lines), "utf-8")
    return path


# What a stand-in matcher answers for each line.
ANSWERS = {
    "發票機卡紙": Result("answer", [Hit("T3.3", "t33-invoice-printer", 80)]),
    # Right activity, wrong card first, the gold card second: top-3 only, confidently wrong.
    "統編打錯": Result(
        "answer",
        [Hit("T1.2", "t12-sales-export", 70), Hit("T1.2", "t12-einvoice-issue", 60)],
    ),
    "restore pos": Result("suggest", [Hit("T3.1", "t31-backup-daily", 45)]),
    "gift wrap?": Result("none"),
    "午餐吃什麼": Result("offtopic"),
    "勞保怎麼查": Result("suggest", [Hit("T2.1", "t21-privacy", 41)]),
}


def _search(q: str, _k: int) -> Result:
    return ANSWERS[q]


def test_card_figures_on_a_tiny_set(tmp_path: Path) -> None:
    rows = read_jsonl(_write(tmp_path / "tiny.jsonl", FIXTURE))
    assert rows[1].cards == ("t12-einvoice-void", "t12-einvoice-issue")
    assert rows[3].cards == () and rows[3].gap == "gift wrapping"
    assert rows[4].cards is None
    rep = evaluate(_search, rows)
    assert (rep.on_topic, rep.off_topic, rep.card_lines, rep.gaps) == (4, 2, 3, 1)
    assert (rep.top1, rep.card_top1, rep.card_top3) == (3, 1, 2)
    assert rep.confident_wrong == 1  # 統編打錯: answered with a card outside the gold set
    assert rep.gap_declined == 1
    assert (rep.off_none, rep.off_offtopic) == (1, 1)
    assert rep.by_lang == {"zh-TW": [2, 1], "en": [1, 0]}
    text = rep.format()
    assert "card top-1: 33.3%  (1/3)" in text
    assert "card top-3: 66.7%  (2/3)" in text
    assert "content gaps: 25.0%  (1/4)" in text
    assert "answered with confidence but wrong card: 25.0%  (1/4)" in text
    assert "card top-1 by language: zh-TW 50.0% (1/2)  en 0.0% (0/1)" in text
    assert "off-topic -> none: 50.0%  (1/2)  [offtopic 1, none 0]" in text


def test_lines_without_card_labels_only_count_for_activities(tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl"
    path.write_text('{"q": "發票機卡紙", "expect": ["T3.3"]}\n', encoding="utf-8")
    rep = evaluate(_search, read_jsonl(path))
    assert (rep.top1, rep.labelled, rep.card_lines) == (1, 0, 0)
    assert "card top-1" not in rep.format()


def test_cli_eval_reports_card_figures_for_several_files(tmp_path: Path) -> None:
    one = _write(tmp_path / "a.jsonl", [JAM])
    two = _write(tmp_path / "b.jsonl", [{"q": "下班要不要去吃拉麵", "expect": []}])
    res = run_cli("eval", str(one), str(two), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "on-topic lines: 1, off-topic lines: 1" in res.stdout
    assert "card top-1: 100.0%  (1/1)" in res.stdout
    assert "card top-1 by language: zh-TW 100.0% (1/1)" in res.stdout
    assert "off-topic -> none: 100.0%" in res.stdout
