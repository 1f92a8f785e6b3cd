"""Walk-throughs without Telegram: the shipped walks, filling contacts, the service's
record of outcomes (week's faults for the digest, per-step stats)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import callbacks, outcomes, storage, walking
from bot.render import walk as views
from knowledge.models import Knowledge, Text
from knowledge.walks import ESCALATE, FIXED, edges, fill, placeholders, step_index

TZ = ZoneInfo("Asia/Taipei")
NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Taipei
TROUBLESHOOTING = {
    "t33-pos-freeze",
    "t33-invoice-printer",
    "t33-label-printer",
    "t33-scanner-fail",
    "t33-edc-offline",
    "t33-network-down",
    "t33-gateway-error",
    "t33-drawer-stuck",
    "t33-pos-slow",
    "t33-update-broke-pos",
    "t33-touchscreen",
    "t33-peripheral-dead",
    "t33-clock-wrong",
    "t33-power-cut",
    "t33-pos-down-sales",
    "t14-edc-declined",
    "t14-wallet-scan-fail",
    "t12-einvoice-upload-fail",
    "t33-virus-suspect",
    "t33-license-expired",
}


def test_every_troubleshooting_card_can_be_walked(kb: Knowledge) -> None:
    walkable = {c.id for c in kb.cards.values() if c.walk is not None}
    assert walkable >= TROUBLESHOOTING
    for card_id in walkable:
        walk = kb.cards[card_id].walk
        assert walk is not None
        # Every walk asks at least one question that branches, and can end in escalation.
        assert any(s.ask for s in walk.steps), card_id
        targets = {t for s in walk.steps for t in edges(walk, s)}
        assert ESCALATE in targets, card_id
        assert walk.contacts, card_id  # the report says whom to call


def test_safety_first_in_the_power_cut_walk(kb: Knowledge) -> None:
    walk = kb.cards["t33-power-cut"].walk
    assert walk is not None
    assert [s.id for s in walk.steps[:4]] == ["people", "sale", "shutdown", "devices"]
    assert not any(s.ask for s in walk.steps[:4])  # no branch skips them


def test_contacts_fill_in_or_the_generic_text_stands(kb: Knowledge) -> None:
    text = "打給網路業者客服（{isp_phone}），或 {訂單編號} 照寫"
    assert placeholders(text) == ["isp_phone"]
    assert (
        fill(text, kb, "zh") == "打給網路業者客服（電話在數據機貼紙或帳單上），或 {訂單編號} 照寫"
    )
    own = replace(kb, store_contacts={"isp_phone": Text(zh="中華電信 0800", en="Chunghwa 0800")})
    assert fill(text, own, "zh") == "打給網路業者客服（中華電信 0800），或 {訂單編號} 照寫"
    assert fill("Call {isp_phone}.", own, "en") == "Call Chunghwa 0800."


def test_the_since_codes_match_the_buttons() -> None:
    assert walking.SINCE == callbacks.WALK_SINCE == tuple(views.SINCE_KEYS)


@pytest.fixture
def db():  # type: ignore[no-untyped-def]
    database = storage.open_db(None)
    storage.create_team(database, "信義店", NOW)
    storage.create_team(database, "大安店", NOW)
    for uid, role, team in ((1, "staff", 1), (2, "supervisor", 1), (3, "staff", 2)):
        storage.create_user(
            database, uid, first_name=f"U{uid}", username=None, language="zh-TW",
            role=role, team_id=team, now=NOW,  # type: ignore[arg-type]
        )  # fmt: skip
    storage.add_lead(database, 2, 1)
    yield database
    database.close()


def _walk(db, kb: Knowledge, uid: int, card: str, presses: list[str], now: datetime):  # type: ignore[no-untyped-def]
    user = storage.get_user(db, uid)
    assert user is not None
    begun = walking.begin(db, kb, user, card, now)
    assert begun.shown is not None
    walk = begun.shown.walk
    for n, action in enumerate(presses):
        moved = walking.press(db, kb, user, walk.id, n, action, now)  # type: ignore[arg-type]
        assert moved.status in ("step", "fixed", "help"), moved.status
    return storage.get_walk(db, walk.id)


def test_the_weeks_faults_for_a_team(db, kb: Knowledge) -> None:  # type: ignore[no-untyped-def]
    _walk(db, kb, 1, "t33-pos-freeze", ["next", "fixed"], NOW)
    _walk(db, kb, 1, "t33-pos-freeze", ["fixed"], NOW + timedelta(hours=1))
    help_walk = _walk(db, kb, 1, "t33-pos-freeze", ["help"], NOW + timedelta(hours=2))
    user = storage.get_user(db, 1)
    assert user is not None and help_walk is not None
    assert walking.skip_evidence(db, user, help_walk.id, NOW) is not None
    report = walking.report(db, kb, user, help_walk.id, "day", NOW)
    assert report is not None and [u.id for u in report.leads] == [2]
    _walk(db, kb, 3, "t33-network-down", ["help"], NOW)  # another team, still open
    _walk(db, kb, 1, "t33-scanner-fail", [], NOW - timedelta(days=7))  # last week
    faults = outcomes.week_faults(db, kb, 1, NOW, TZ)
    assert faults.start == datetime(2026, 11, 30, tzinfo=TZ)
    assert [(c.card_id, c.walks, c.fixed, c.escalated) for c in faults.cards] == [
        ("t33-pos-freeze", 3, 2, 1)
    ]
    assert faults.cards[0].fixed_at == [("wake", 1), ("note", 1)]
    assert [o.walk.id for o in faults.open] == [help_walk.id]
    text, _rows = views.faults_view(kb, faults, "en", TZ)
    assert "step 1 fixed it 1×" in text and "step 2 fixed it 1×" in text


def test_walk_stats_say_which_step_fixes_most(db, kb: Knowledge) -> None:  # type: ignore[no-untyped-def]
    for n in range(3):
        _walk(db, kb, 1, "t33-pos-freeze", ["next", "fixed"], NOW + timedelta(hours=n))
    _walk(db, kb, 1, "t33-pos-freeze", ["fixed"], NOW + timedelta(hours=5))
    [stat] = outcomes.walk_stats(db, kb)
    assert (stat.card_id, stat.walks, stat.fixed, stat.escalated) == ("t33-pos-freeze", 4, 4, 0)
    assert [(s.step_id, s.reached, s.fixed) for s in stat.steps] == [
        ("wake", 4, 1),
        ("note", 3, 3),
    ]
    assert stat.best is not None and stat.best.step_id == "note"
    lines = views.stats_lines(kb, [stat], "en")
    assert "2. Note the stuck sale: items, amount" in "\n".join(lines)


def test_a_card_changed_by_reload_ends_the_walk(db, kb: Knowledge) -> None:  # type: ignore[no-untyped-def]
    user = storage.get_user(db, 1)
    assert user is not None
    begun = walking.begin(db, kb, user, "t33-pos-freeze", NOW)
    assert begun.shown is not None
    card = kb.cards["t33-pos-freeze"]
    assert card.walk is not None
    changed = replace(
        kb, cards={**kb.cards, card.id: card.model_copy(update={"walk": card.walk.model_copy(
            update={"steps": card.walk.steps[1:]})})},
    )  # fmt: skip
    moved = walking.press(db, changed, user, begun.shown.walk.id, 0, "next", NOW)
    assert moved.status == "changed"
    assert storage.open_walk(db, 1) is None


def test_fixed_and_escalate_are_the_only_ends(kb: Knowledge) -> None:
    for card in kb.cards.values():
        if card.walk is None:
            continue
        ids = step_index(card.walk)
        for step in card.walk.steps:
            for target in edges(card.walk, step):
                assert target in ids or target in (FIXED, ESCALATE), (card.id, step.id)
