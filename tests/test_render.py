"""Rendering cards and browse levels: what the user reads, within Telegram's limits."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot import render
from knowledge.models import Knowledge


def test_card_text_has_numbered_steps_and_codes(kb: Knowledge) -> None:
    card = next(iter(kb.cards.values()))
    text = render.card_text(kb, card, "zh-TW")
    assert card.title.zh in text
    for n in range(1, len(card.steps) + 1):
        assert f"\n{n}. " in text
    assert f"{card.activity} · {card.indicators[0]}" in text
    english = render.card_text(kb, card, "en")
    assert card.title.en in english and card.steps[0].en.split()[0] in english


def test_every_card_fits_one_message(kb: Knowledge) -> None:
    for card in kb.cards.values():
        for lang in ("zh-TW", "en"):
            assert len(render.card_text(kb, card, lang)) <= render.MESSAGE_LIMIT


@given(st.lists(st.text(max_size=300), max_size=60))
def test_split_message_keeps_everything_under_the_limit(lines: list[str]) -> None:
    text = "\n".join(lines)
    parts = render.split_message(text, limit=500)
    assert all(len(p) <= 500 for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


def test_browse_levels_link_back(kb: Knowledge) -> None:
    _, rows = render.browse_tasks(kb, "zh-TW")
    assert [r[0][1] for r in rows] == [f"br:t:{tid}" for tid in kb.tasks]
    _, rows = render.browse_task(kb, "T3", "en")
    assert rows[-1] == [("⬅️ Back", "br:root")]
    text, rows = render.browse_details(kb, "T1.4", "zh-TW")
    assert "P1.4.4" in text and "O1.4.2" in text and "K01" in text and "S04" in text
    assert rows == [[("⬅️ 返回", "br:a:T1.4")]]
    for row in render.browse_activity(kb, "T1.2", "en")[1]:
        for _label, data in row:
            assert len(data.encode()) <= 64
