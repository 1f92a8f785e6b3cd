"""The supervisor views' service: the status rule, the table layout, the heatmap's pages, the
member page's figures, and `python -m bot report`."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlite_utils import Database

from bot import reports, storage, team_charts
from bot.render import reports as views
from bot.reports import MemberRow, TeamReport, missed_reason, status_of
from bot.storage import Team, User
from knowledge.models import Knowledge
from tests.cli import run_cli

TZ = ZoneInfo("Asia/Taipei")
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # Monday 10:00 in Taipei


@pytest.mark.parametrize(
    ("drills", "mastery", "status"),
    [
        (0, 0.95, "red"),  # no drill in 7 days, however much they knew
        (5, 0.29, "red"),  # drilling, but knows little
        (5, 0.30, "amber"),
        (2, 0.90, "amber"),  # fewer than 3 drills
        (3, 0.59, "amber"),
        (3, 0.60, "green"),
        (10, 1.0, "green"),
    ],
)
def test_status_rule(drills: int, mastery: float, status: str) -> None:
    assert status_of(drills, mastery) == status


@pytest.mark.parametrize(
    ("tier", "feedback", "followed", "missed"),
    [
        ("answer", None, False, None),
        ("answer", 1, False, None),
        ("answer", -1, False, "down"),
        ("none", None, False, "none"),
        ("suggest", None, False, "not_followed"),
        ("suggest", None, True, None),
        ("suggest", -1, True, "down"),
    ],
)
def test_what_counts_as_unanswered(
    tier: str, feedback: int | None, followed: bool, missed: str | None
) -> None:
    assert missed_reason(tier, feedback, followed) == missed


def _user(uid: int, name: str) -> User:
    return User(uid, name, None, "zh-TW", "staff", 1, "2026-01-01T00:00:00+00:00", True)


def _row(
    kb: Knowledge, uid: int, name: str, drills: int, mastery: float, seen: int | None
) -> MemberRow:
    acts = dict.fromkeys(kb.activities, mastery)
    return MemberRow(
        user=_user(uid, name),
        last_seen=NOW - timedelta(days=seen) if seen is not None else None,
        drills_recent=drills,
        answers_recent=drills * 5,
        right_recent=drills * 4,
        streak=drills,
        mastery=acts,
        practised=frozenset(acts) if mastery else frozenset(),
        status=status_of(drills, mastery),
    )


def test_table_fits_a_phone_and_puts_attention_first(kb: Knowledge) -> None:
    rows = [
        _row(kb, 1, "Amy", 5, 0.8, 0),
        _row(kb, 2, "王小明很長很長的名字", 0, 0.0, None),
        _row(kb, 3, "Ben", 2, 0.7, 3),
        _row(kb, 4, "Chloe <&>", 4, 0.5, 150),
    ]
    report = TeamReport(Team(1, "店"), sorted(rows, key=reports.attention_order))
    for lang in ("zh-TW", "en"):
        lines = views.table_lines(report, NOW, TZ, lang)
        assert views.TABLE_WIDTH <= 32
        assert all(views.cells(line) == views.TABLE_WIDTH for line in lines[1:]), lines
        assert views.cells(lines[0]) <= views.TABLE_WIDTH
    lines = views.table_lines(report, NOW, TZ, "en")
    assert [line[:1] for line in lines[1:]] == ["🔴", "🟡", "🟡", "🟢"]
    assert lines[1] == "🔴 王小明…    —  0    —  0 —   "  # a wide name is cut to 8 cells
    assert lines[2].startswith("🟡 Chloe <… 99+  4  80%  4 T1.1")
    assert lines[4].startswith("🟢 Amy        0  5  80%  5 T1.1")
    # In the message the names are escaped inside <pre>; the legend states the rule.
    [(text, rows_)] = views.team_views(report, NOW, TZ, "en")
    assert "Chloe &lt;" in text and "<pre>" in text and "under 30%" in text
    assert [d for row in rows_ for _, d in row] == [f"tm:m:{u}" for u in (2, 4, 3, 1)]


def test_a_big_team_table_is_split_under_telegrams_limit(kb: Knowledge) -> None:
    rows = [_row(kb, n, f"<{n}>" * 6, n % 4, 0.5, n % 9) for n in range(1, 201)]
    report = TeamReport(Team(1, "店"), rows)
    parts = views.team_views(report, NOW, TZ, "zh-TW")
    assert len(parts) > 1
    assert all(len(text) <= 4096 and text.count("<pre>") == 1 for text, _ in parts)
    assert sum(text.count("tm:") for text, _ in parts) == 0
    assert [bool(rows_) for _, rows_ in parts] == [False] * (len(parts) - 1) + [True]


@pytest.mark.parametrize(
    ("n", "sizes"),
    [(0, []), (1, [1]), (25, [25]), (26, [13, 13]), (50, [25, 25]), (51, [17, 17, 17])],
)
def test_heatmap_pages(n: int, sizes: list[int]) -> None:
    pages = team_charts.heat_pages(n)
    assert [len(p) for p in pages] == sizes
    assert [i for p in pages for i in p] == list(range(n))


def test_heatmap_draws_every_row(kb: Knowledge) -> None:
    cols = views.short_titles(kb, "zh-TW")
    rows = [
        team_charts.HeatRow(f"成員{n}", [None, *[n / 30] * (len(cols) - 1)]) for n in range(30)
    ]
    texts = team_charts.HeatTexts("店 — 精熟度", "未練習", "精熟度 %")
    pngs = team_charts.heatmaps(cols, rows, texts)
    heights = [Image.open(io.BytesIO(p)).height for p in pngs]
    assert [(h - team_charts.FRAME_H) // team_charts.ROW_H for h in heights] == [15, 15]


def _seed(db: Database, kb: Knowledge) -> tuple[Team, list[int]]:
    from bot import progress

    team = storage.create_team(db, "測試店", NOW)
    ids = []
    for n in range(30):
        uid = 500 + n
        storage.create_user(
            db, uid, first_name=f"員工{n}", username=f"staff{n}", language="zh-TW",
            role="staff", team_id=team.id, now=NOW,
        )  # fmt: skip
        ids.append(uid)
    for n, uid in enumerate(ids[:10]):
        at = NOW - timedelta(days=n, hours=1)
        d = progress.new_drill(db, kb, uid, at, 5)
        assert d is not None
        for item in storage.drill_items(db, d.id):
            progress.answer_item(db, kb, item, 0, at, "zh-TW")
        storage.finish_drill(db, d.id, "done", at)
    return team, ids


def test_team_report_and_member_report(kb: Knowledge) -> None:
    db = storage.open_db(None)
    try:
        team, ids = _seed(db, kb)
        sup = storage.create_user(
            db, 99, first_name="主管", username=None, language="zh-TW", role="supervisor",
            team_id=team.id, now=NOW,
        )  # fmt: skip
        storage.add_lead(db, sup.id, team.id)
        report = reports.team_report(db, kb, team, NOW, TZ)
        assert sorted(r.user.id for r in report.rows) == ids  # the supervisor is not listed
        drilled = {r.user.id: r for r in report.rows if r.drills_recent}
        assert set(drilled) == set(ids[:7])  # drills 0–6 days ago are within the week
        assert all(r.answers_recent == 5 and r.practised for r in drilled.values())
        m = reports.member_report(db, kb, storage.get_user(db, ids[0]), NOW, TZ)  # type: ignore[arg-type]
        assert [w.drills for w in m.weeks] == [0, 0, 0, 1] and m.drills_30d == 1
        assert m.weeks[-1].start == datetime(2026, 12, 7, tzinfo=TZ)
        # Another team's supervisor: the team and its members are out of reach.
        other = storage.create_team(db, "別店", NOW)
        bob = storage.create_user(
            db, 98, first_name="Bob", username=None, language="zh-TW", role="supervisor",
            team_id=other.id, now=NOW,
        )  # fmt: skip
        storage.add_lead(db, bob.id, other.id)
        assert reports.open_team(db, bob, team.id) is None
        assert reports.open_member(db, bob, ids[0]) is None
        assert reports.search_members(db, bob, "員工") == []
        assert reports.pick_teams(db, bob, "測試店") == []
        assert len(reports.search_members(db, sup, "員工")) == 10  # at most ten
        assert [u.id for u in reports.search_members(db, sup, "@staff3")] == [ids[3]]
        assert reports.search_members(db, sup, "%") == []  # LIKE wildcards are literal
    finally:
        db.close()


def test_report_command_writes_the_charts(tmp_path: Path, kb: Knowledge) -> None:
    path = tmp_path / "shop.db"
    db = storage.open_db(path)
    try:
        _team, ids = _seed(db, kb)
    finally:
        db.close()
    done = run_cli(
        "report", "--db", str(path), "--team", "測試店", "--out", "team.png", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in tmp_path.glob("team*.png"))
    assert files == ["team-1.png", "team-2.png"]
    heights = [Image.open(io.BytesIO((tmp_path / f).read_bytes())).height for f in files]
    assert sum((h - team_charts.FRAME_H) // team_charts.ROW_H for h in heights) == 30
    one = run_cli(
        "report", "--db", str(path), "--member", str(ids[0]), "--out", "m.png", "--lang", "en",
        cwd=tmp_path,
    )  # fmt: skip
    assert one.returncode == 0 and "Wrote" in one.stdout
    assert (tmp_path / "m.png").read_bytes().startswith(b"\x89PNG")
    bad = run_cli(
        "report", "--db", str(path), "--team", "沒有這店", "--out", "x.png", cwd=tmp_path
    )
    assert bad.returncode == 1 and "找不到團隊" in bad.stderr
    none = run_cli("report", "--db", str(path), "--out", "x.png", cwd=tmp_path)
    assert none.returncode == 2 and "--team" in none.stderr
