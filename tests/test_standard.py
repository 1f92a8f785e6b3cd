"""The shipped standard IIS3513-005v2 is complete, bilingual and loads without problems."""

from __future__ import annotations

import re

from knowledge.models import LANGS, Knowledge

INDICATORS_PER_ACTIVITY = {
    "T1.1": 6,
    "T1.2": 10,
    "T1.3": 7,
    "T1.4": 4,
    "T2.1": 3,
    "T2.2": 3,
    "T2.3": 4,
    "T2.4": 4,
    "T3.1": 6,
    "T3.2": 4,
    "T3.3": 5,
    "T4.1": 10,
    "T4.2": 7,
    "T5.1": 4,
    "T5.2": 5,
    "T5.3": 5,
    "T5.4": 2,
}


def test_metadata(kb: Knowledge) -> None:
    std = kb.standard
    assert std is not None
    assert (std.code, std.version, std.date, std.level) == ("IIS3513-005v2", "v2", "2019/12/31", 3)
    assert std.name.zh == "零售電子商務人員"
    assert "電子商務系統評估" in std.description.zh


def test_counts_and_ids(kb: Knowledge) -> None:
    assert list(kb.tasks) == ["T1", "T2", "T3", "T4", "T5"]
    assert [t.level for t in kb.tasks.values()] == [3, 4, 3, 3, 4]
    assert list(kb.activities) == list(INDICATORS_PER_ACTIVITY)
    for act_id, n in INDICATORS_PER_ACTIVITY.items():
        ids = [i.id for i in kb.activities[act_id].indicators]
        assert ids == [f"P{act_id[1:]}.{k}" for k in range(1, n + 1)]
    assert len(kb.indicators) == 89
    assert list(kb.knowledge) == [f"K{n:02d}" for n in range(1, 35)]
    assert list(kb.skills) == [f"S{n:02d}" for n in range(1, 10)]
    assert list(kb.attitudes) == [f"A{n:02d}" for n in range(1, 8)]


def test_outputs_including_the_q5_4_1_typo(kb: Knowledge) -> None:
    outputs = {o.id: a.id for a in kb.activities.values() for o in a.outputs}
    assert outputs == {
        "O1.3.1": "T1.3",
        "O1.4.1": "T1.4",
        "O1.4.2": "T1.4",
        "O5.2.1": "T5.2",
        "O5.4.1": "T5.4",
    }


def test_page_break_splits_are_mended(kb: Knowledge) -> None:
    assert kb.indicators["P1.1.4"].text.zh == "訂定一般故障排除和報告的程序。"
    assert kb.indicators["P2.4.3"].text.zh == "與相關人員討論如何改善客戶溝通的使用經驗。"
    assert kb.indicators["P5.1.2"].text.zh == "評估銷售和服務流程的電子商務應用程序的影響。"
    for ind in kb.indicators.values():
        assert not re.search(r"<|>|^\.|\bP\d", ind.text.zh), ind.id


def test_task_knowledge_and_skills(kb: Knowledge) -> None:
    assert kb.tasks["T1"].knowledge == ["K01", "K02", "K03"]
    assert kb.tasks["T3"].skills == [f"S0{n}" for n in range(1, 8)]
    assert kb.tasks["T4"].knowledge == [f"K{n}" for n in range(14, 25)]
    assert kb.tasks["T5"].skills == ["S03", "S04", "S06", "S08", "S09"]
    owned = [k for t in kb.tasks.values() for k in t.knowledge]
    assert sorted(owned) == list(kb.knowledge)


def test_every_text_in_both_languages(kb: Knowledge) -> None:
    texts = [a.title for a in kb.activities.values()] + [t.title for t in kb.tasks.values()]
    texts += [i.text for i in kb.indicators.values()]
    texts += [k.text for k in kb.knowledge.values()] + [s.text for s in kb.skills.values()]
    texts += [a.text for a in kb.attitudes.values()] + [a.name for a in kb.attitudes.values()]
    for text in texts:
        for lang in LANGS:
            assert getattr(text, lang).strip(), text
        # The English is a translation, not a copy of the Chinese.
        assert not re.search(r"[\u4e00-\u9fff]", text.en), text.en
