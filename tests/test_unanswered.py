"""The /unanswered service without Telegram: what is listed, how wordings group, pages, team
scope, attaching (learned aliases) and dismissing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot import storage, unanswered
from bot.render import unanswered as views
from bot.storage import Unanswered, User
from knowledge.library import Library
from tests.botharness import shipped_library
from tests.cli import run_cli

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
TZ = UTC


@pytest.fixture
def db() -> Iterator[Database]:
    db = storage.open_db(None)
    yield db
    db.close()


@pytest.fixture
def library() -> Library:
    return shipped_library()


def _people(db: Database) -> tuple[User, User, User, int, int]:
    """A supervisor of team A, one of team B, an admin; the team ids. Staff 11, 12 in A."""
    a = storage.create_team(db, "A", NOW)
    b = storage.create_team(db, "B", NOW)
    for uid, role, team in ((1, "supervisor", a.id), (2, "supervisor", b.id), (3, "admin", None)):
        storage.create_user(
            db, uid, first_name="X", username=None, language="zh-TW", role=role, team_id=team,
            now=NOW,
        )  # fmt: skip
        if role == "supervisor" and team is not None:
            storage.add_lead(db, uid, team)
    for uid in (11, 12):
        storage.create_user(
            db, uid, first_name="S", username=None, language="zh-TW", role="staff", team_id=a.id,
            now=NOW,
        )  # fmt: skip
    users = [storage.get_user(db, uid) for uid in (1, 2, 3)]
    assert all(users)
    return users[0], users[1], users[2], a.id, b.id  # type: ignore[return-value]


def _ask(
    db: Database,
    user_id: int,
    team_id: int,
    text: str,
    tier: str = "none",
    *,
    ago: timedelta = timedelta(hours=1),
    card: str | None = None,
    feedback: int | None = None,
) -> int:
    qid = storage.log_question(
        db, user_id, team_id, text, activity=None, card=card, score=None, tier=tier, now=NOW - ago
    )
    if feedback is not None:
        storage.set_feedback(db, qid, user_id, feedback)
    return qid


def _q(qid: int, text: str, tier: str = "none", user: int = 1) -> Unanswered:
    return Unanswered(qid, user, 1, text, tier, None, None, "2026-11-30T00:00:00+00:00")


def test_similar_wordings_group_and_others_do_not(library: Library) -> None:
    questions = [
        _q(9, "招牌燈不亮了怎麼辦？", user=2),
        _q(8, "招牌灯不亮了怎么办"),  # Simplified: the matcher's folding makes it the same
        _q(7, "招牌的燈不亮了，怎麼辦"),
        _q(6, "寵物可以進來嗎"),
        _q(5, "下班要不要一起去吃拉麵"),  # chatter under an older knowledge: dropped
        _q(4, "How do I set up the UMBRELLA bag stand at the entrance?"),
        _q(3, "the umbrella bag stand at the entrance, how to set it up"),  # another order
        _q(2, "ＰＯＳ旁邊的螢幕不亮了"),  # shares words, not the question
        _q(1, "招牌燈不亮了怎麼辦"),
    ]
    grouped = unanswered.group_questions(library, questions)
    assert [g.id for g in grouped] == [9, 6, 5, 4, 2]
    groups = unanswered.work_groups(library, grouped)
    assert [[q.id for q in g.questions] for g in groups] == [[9, 8, 7, 1], [6], [4, 3], [2]]
    sign = groups[0]
    assert (sign.id, sign.count, sign.people) == (9, 4, 2)
    # One wording per folded form, newest first, as it was typed.
    assert sign.wordings == ("招牌燈不亮了怎麼辦？", "招牌的燈不亮了，怎麼辦")
    assert sign.reasons == ("none",)


def test_what_is_listed(db: Database, library: Library) -> None:
    sue, _sam, _admin, a, b = _people(db)
    none = _ask(db, 11, a, "招牌燈不亮了怎麼辦", ago=timedelta(hours=5))
    followed = _ask(db, 11, a, "冷氣壞了要找誰", "suggest", card="t11-fault-report")
    storage.record_card_view(db, 11, "t11-fault-report", NOW - timedelta(minutes=55))
    unfollowed = _ask(db, 12, a, "電子發票", "suggest", ago=timedelta(hours=2), card="t12-x")
    storage.record_card_view(db, 12, "t12-x", NOW - timedelta(minutes=60))  # 60 min after
    liked = _ask(db, 11, a, "收銀機當機", "answer", card="t33-pos-freeze", feedback=1)
    down = _ask(db, 12, a, "發票機卡紙", "answer", card="t33-printer", feedback=-1)
    _ask(db, 11, a, "很久以前的問題", ago=timedelta(days=31))
    _ask(db, 11, b, "別隊的問題")
    ids = [g.id for g in unanswered.team_groups(db, library, a, NOW)]
    assert ids == [down, unfollowed, none]
    assert followed not in ids and liked not in ids
    page = unanswered.page_of(db, library, sue, a, 0, NOW)
    assert page is not None and page.total == 3 and not page.several_teams
    groups = {g.id: g for g in page.groups}
    assert groups[unfollowed].suggested == ("t12-x",)
    assert groups[down].reasons == ("down",)


def test_pages_of_ten_and_their_buttons(db: Database, library: Library) -> None:
    sue, _sam, _admin, a, _b = _people(db)
    # 25 wordings that share nothing: 25 groups.
    for n in range(25):
        text = f"{n:02d} " + chr(0x4E00 + 37 * n) * 4
        _ask(db, 11, a, text, "suggest", ago=timedelta(minutes=n))
    first = unanswered.page_of(db, library, sue, a, 0, NOW)
    assert first is not None and (first.total, first.pages, len(first.groups)) == (25, 3, 10)
    last = unanswered.page_of(db, library, sue, a, 9, NOW)  # past the end: the last page
    assert last is not None and (last.page, len(last.groups)) == (2, 5)
    text, rows = views.list_page(first, "zh-TW", TZ)
    data = [d for row in rows for _, d in row]
    assert [d for d in data if d.startswith("un:g:")] == [f"un:g:{g.id}:0" for g in first.groups]
    assert f"un:l:{a}:1" in data and not any(d.startswith("un:p:") for d in data)
    assert "1. " in text and "10. " in text and "11. " not in text
    _text, rows = views.list_page(last, "en", TZ)
    data = [d for row in rows for _, d in row]
    assert f"un:l:{a}:1" in data and f"un:l:{a}:3" not in data


def test_team_scope(db: Database, library: Library) -> None:
    sue, sam, admin, a, b = _people(db)
    qid = _ask(db, 11, a, "招牌燈不亮了怎麼辦")
    staff = storage.get_user(db, 11)
    assert staff is not None
    assert [t.id for t in unanswered.teams_of(db, sue)] == [a]
    assert [t.id for t in unanswered.teams_of(db, admin)] == [a, b]
    assert unanswered.teams_of(db, staff) == []
    for who, sees in ((sue, True), (admin, True), (sam, False), (staff, False)):
        assert (unanswered.page_of(db, library, who, a, 0, NOW) is not None) is sees
        assert (unanswered.find_group(db, library, who, qid, NOW) is not None) is sees
    for who in (sam, staff):
        assert unanswered.dismiss(db, library, who, qid, NOW) is None
    assert unanswered.dismiss(db, library, sue, qid, NOW) is not None
    assert unanswered.find_group(db, library, sue, qid, NOW) is None  # dismissed: gone
    assert unanswered.team_groups(db, library, a, NOW) == []
    admin_page = unanswered.page_of(db, library, admin, a, 0, NOW)
    assert admin_page is not None and admin_page.several_teams


def test_attach_learns_every_wording_and_hides_the_group(db: Database, library: Library) -> None:
    sue, sam, _admin, a, _b = _people(db)
    qid = _ask(db, 11, a, "招牌燈不亮了怎麼辦？")
    _ask(db, 12, a, "招牌燈不亮了怎麼辦", ago=timedelta(hours=2))
    card = "t33-peripheral-dead"
    assert unanswered.attach(db, library, sam, qid, card, NOW) is None  # not his team
    assert unanswered.attach(db, library, sue, qid, "no-such-card", NOW) is None
    done = unanswered.attach(db, library, sue, qid, card, NOW)
    assert done is not None
    group, learned = done
    assert group.count == 2 and learned is not library
    assert library.matcher.search("招牌燈不亮了怎麼辦").tier == "none"  # the old one unchanged
    result = learned.matcher.search("招牌燈不亮了怎麼辦")
    assert result.tier == "answer" and result.hits[0].card == card
    assert [(x.text, x.card, x.team_id) for x in storage.learned_aliases(db)] == [
        ("招牌燈不亮了怎麼辦？", card, a)
    ]
    assert unanswered.team_groups(db, library, a, NOW) == []
    assert unanswered.attach(db, library, sue, qid, card, NOW) is None  # a second tap
    rebuilt = unanswered.with_learned(db, library)
    assert rebuilt.matcher.search("門口招牌燈不亮").hits[0].card == card
    # An alias of a card the knowledge no longer has is skipped, not an error.
    assert library.with_aliases([("gone-card", "whatever")]) is library


def test_cli_lists_the_learned_aliases_and_check_knowledge_counts_them(
    tmp_path: Path, library: Library
) -> None:
    (tmp_path / ".env").write_text(f"DATABASE_PATH={tmp_path / 'shop.db'}\n")
    res = run_cli("aliases", cwd=tmp_path)  # no database yet
    assert res.returncode == 0 and "No learned aliases" in res.stdout
    db = storage.open_db(tmp_path / "shop.db")
    try:
        sue, _sam, _admin, a, _b = _people(db)
        qid = _ask(db, 11, a, "招牌燈不亮了怎麼辦")
        assert unanswered.attach(db, library, sue, qid, "t33-peripheral-dead", NOW)
    finally:
        db.close()
    res = run_cli("aliases", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert f"team={a}\tcard=t33-peripheral-dead\t招牌燈不亮了怎麼辦" in res.stdout
    assert "learned aliases in the database: 1" in res.stdout
    res = run_cli("check-knowledge", cwd=tmp_path)
    assert res.returncode == 0 and "learned aliases in the database: 1" in res.stdout
