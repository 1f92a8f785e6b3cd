"""Team exports: the CSV files' columns, BOM, local times with offset, formula neutralising,
date ranges, who may export which team, the query plans, and the command line."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlite_utils import Database

from bot import exporting, storage
from bot.exporting import DateRange, Go
from bot.storage import User
from knowledge import drill as srs
from knowledge.models import Knowledge
from tests.cli import run_cli

TZ = ZoneInfo("Asia/Taipei")
NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # 12:00 in Taipei
EVIL = "=cmd|' /C calc'!A0"
NOV = DateRange(date(2026, 11, 1), date(2026, 11, 30))


def _rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _picks(kb: Knowledge) -> list[str]:
    """One question from each of the first four activities (so their rows differ)."""
    return [kb.questions_for(act)[0].id for act in sorted(kb.activities)[:4]]


def _answer(db: Database, kb: Knowledge, user_id: int, qid: str, at: datetime, ok: bool) -> None:
    q = kb.questions[qid]
    drill = storage.start_drill(db, user_id, [(qid, q.activity, (0, 1, 2, 3))], at)
    [item] = storage.drill_items(db, drill.id)
    rating = srs.Rating.Good if ok else srs.Rating.Again
    state = srs.review(None, qid, rating, at)
    storage.record_answer(db, item, 0, ok, int(rating), at, state.card_json, state.due)
    storage.finish_drill(db, drill.id, "done", at)


@pytest.fixture
def db(kb: Knowledge) -> Iterator[Database]:
    """Two teams: 'A&B 門市' with the evil-named Eve and Amy, 'Other' with Olga."""
    db = storage.open_db(None)
    t0 = NOW - timedelta(days=90)
    a = storage.create_team(db, "A&B 門市", t0)
    b = storage.create_team(db, "Other", t0)
    for uid, name, team in ((1, EVIL, a.id), (2, "Amy", a.id), (3, "Olga", b.id)):
        storage.create_user(
            db, uid, first_name=name, username=None, language="zh-TW", role="staff",
            team_id=team, now=t0,
        )  # fmt: skip
        storage.set_consent(db, uid, t0)
    storage.create_user(
        db, 9, first_name="Sue", username="sue", language="zh-TW", role="supervisor",
        team_id=a.id, now=t0,
    )  # fmt: skip
    storage.add_lead(db, 9, a.id)
    qids = _picks(kb)
    # 2026-11-01 00:30 Taipei is 2026-10-31 16:30 UTC: inside November locally.
    _answer(db, kb, 1, qids[0], datetime(2026, 10, 31, 16, 30, tzinfo=UTC), True)
    _answer(db, kb, 2, qids[1], datetime(2026, 11, 10, 2, 0, tzinfo=UTC), False)
    # 2026-10-31 23:30 Taipei: October, outside the range.
    _answer(db, kb, 2, qids[2], datetime(2026, 10, 31, 15, 30, tzinfo=UTC), True)
    _answer(db, kb, 3, qids[3], datetime(2026, 11, 10, 2, 0, tzinfo=UTC), True)
    when = datetime(2026, 11, 12, 1, 0, tzinfo=UTC)
    storage.log_question(
        db, 1, a.id, "=HYPERLINK(\"http://x\")", activity="T1.1", card=None, score=None,
        tier="none", now=when,
    )  # fmt: skip
    qid = storage.log_question(
        db, 2, a.id, "退貨怎麼處理", activity="T3.1", card="c1", score=80.0, tier="answer",
        now=when + timedelta(hours=1),
    )  # fmt: skip
    storage.set_feedback(db, qid, 2, -1)
    storage.log_question(
        db, 3, b.id, "other team", activity=None, card=None, score=None, tier="none", now=when
    )
    yield db
    db.close()


def _user(db: Database, uid: int) -> User:
    user = storage.get_user(db, uid)
    assert user is not None
    return user


def _team(db: Database, team_id: int) -> storage.Team:
    team = storage.get_team(db, team_id)
    assert team is not None
    return team


def test_answers_file_columns_times_and_neutralised_names(db: Database, kb: Knowledge) -> None:
    export = exporting.build_export(db, kb, _team(db, 1), NOV, TZ, NOW, "zh-TW")
    assert [f.name for f in export.files] == [
        "shopcoach-team1-20261101-20261130-answers.csv",
        "shopcoach-team1-20261101-20261130-questions.csv",
        "shopcoach-team1-20261101-20261130-evidence.csv",
    ]
    head, *rows = _rows(export.files[0].data)
    assert head == [
        "成員", "使用者編號", "團隊", "工作活動", "行為指標", "題目編號", "答對（1 是 0 否）",
        "作答時間",
    ]  # fmt: skip
    qids = _picks(kb)
    first = kb.questions[qids[0]]
    # Eve's name would run as a formula in Excel: it is text, led by an apostrophe.
    assert rows[0] == [
        "'" + EVIL, "1", "A&B 門市", first.activity, " ".join(first.indicators), qids[0], "1",
        "2026-11-01T00:30:00+08:00",
    ]  # fmt: skip
    assert rows[1][0] == "Amy" and rows[1][6] == "0"
    assert rows[1][7] == "2026-11-10T10:00:00+08:00"
    # October 31st 23:30 local is outside; Olga is another team's.
    assert len(rows) == 2 and export.rows("answers") == 2


def test_questions_file_keeps_to_the_team_and_neutralises_text(
    db: Database, kb: Knowledge
) -> None:
    export = exporting.build_export(db, kb, _team(db, 1), NOV, TZ, NOW, "en")
    head, *rows = _rows(export.files[1].data)
    assert head == [
        "member", "user id", "team", "question", "tier", "card", "activity", "feedback",
        "asked at",
    ]  # fmt: skip
    assert rows == [
        ["'" + EVIL, "1", "A&B 門市", "'=HYPERLINK(\"http://x\")", "none", "", "T1.1", "",
         "2026-11-12T09:00:00+08:00"],
        ["Amy", "2", "A&B 門市", "退貨怎麼處理", "answer", "c1", "T3.1", "👎",
         "2026-11-12T10:00:00+08:00"],
    ]  # fmt: skip


def test_evidence_file_maps_members_to_every_activity(db: Database, kb: Knowledge) -> None:
    export = exporting.build_export(db, kb, _team(db, 1), NOV, TZ, NOW, "zh-TW")
    head, *rows = _rows(export.files[2].data)
    assert head[:6] == ["成員", "使用者編號", "團隊", "工作任務", "工作活動", "工作活動名稱"]
    assert head[6:] == [
        "已涵蓋的行為指標", "涵蓋比例", "作答數", "答對數", "目前熟練度（%）", "最近練習",
    ]  # fmt: skip
    # The consented members (Eve, Amy; Sue has not consented: left out) × 17 activities.
    assert export.members == 2
    assert len(rows) == 2 * len(kb.activities) == 34
    qids = _picks(kb)
    q0, q2 = kb.questions[qids[0]], kb.questions[qids[2]]
    eve = {r[4]: r for r in rows if r[1] == "1"}
    row = eve[q0.activity]
    act = kb.activities[q0.activity]
    assert row[3] == act.task_id and row[5] == act.title.zh
    assert row[6].split() == [i.id for i in act.indicators if i.id in q0.indicators]
    assert row[7] == f"{len(row[6].split())}/{len(act.indicators)}"
    assert row[8:10] == ["1", "1"]
    assert 0 < int(row[10]) <= 100
    assert row[11] == "2026-11-01T00:30:00+08:00"
    untouched = next(r for a, r in eve.items() if a != q0.activity)
    assert untouched[6:] == ["", f"0/{len(kb.activities[untouched[4]].indicators)}", "0", "0",
                             "0", ""]  # fmt: skip
    # Amy practised q2's activity in October: no answers in range, but it shows when.
    amy = {r[4]: r for r in rows if r[1] == "2"}
    assert amy[q2.activity][8] == "0"
    assert amy[q2.activity][11] == "2026-10-31T23:30:00+08:00"
    assert amy[kb.questions[qids[1]].activity][8:10] == ["1", "0"]


def test_bilingual_header_for_the_shell(db: Database, kb: Knowledge) -> None:
    export = exporting.build_export(db, kb, _team(db, 1), NOV, TZ, NOW, "both")
    assert _rows(export.files[0].data)[0][0] == "成員 / member"


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", EVIL])
def test_neutralise_formula_starts(value: str) -> None:
    assert exporting.neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Amy", "怡君", "", " =x", "1-1", 5, -1])
def test_neutralise_leaves_other_cells(value: object) -> None:
    assert exporting.neutralise(value) == value


TODAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], DateRange(date(2026, 11, 1), TODAY)),
        (["2026-11-01", "2026-11-30"], NOV),
        (["2026/11/1", "2026/11/30"], NOV),
        (["2026-11-20"], DateRange(date(2026, 11, 20), TODAY)),
        (["2025-11-30", "2026-11-30"], DateRange(date(2025, 11, 30), TODAY)),  # 366 days
        (["2025-11-29", "2026-11-30"], "export.too_long"),
        (["2026-11-30", "2026-11-01"], "export.bad_order"),
        (["2026-02-30"], "export.usage"),
        (["yesterday"], "export.usage"),
        (["2026-11-01", "2026-11-02", "2026-11-03"], "export.usage"),
        (["２０２６-11-01"], "export.usage"),  # full-width digits
    ],
)
def test_ranges(db: Database, args: list[str], expected: object) -> None:
    got = exporting.plan(db, _user(db, 9), args, TODAY)
    assert (got.range if isinstance(got, Go) else got) == expected


def test_supervisor_exports_only_a_team_they_lead(db: Database) -> None:
    sue, last_30 = _user(db, 9), exporting.default_range(TODAY)
    assert exporting.plan(db, sue, [], TODAY) == Go(_team(db, 1), last_30)
    assert exporting.plan(db, sue, ["1"], TODAY) == Go(_team(db, 1), last_30)
    # Another team's id and an unknown one get the same answer.
    assert exporting.plan(db, sue, ["2"], TODAY) == "export.no_team"
    assert exporting.plan(db, sue, ["99"], TODAY) == "export.no_team"
    assert exporting.pressed(db, sue, 2, 20261101, 20261130) is None
    assert exporting.pressed(db, sue, 1, 20261101, 20261130) == Go(_team(db, 1), NOV)
    assert exporting.pressed(db, sue, 1, 20261301, 20261130) is None  # forged date


def test_admin_chooses_among_all_teams(db: Database) -> None:
    storage.create_user(
        db, 7, first_name="Ada", username=None, language="en", role="admin", team_id=None,
        now=NOW,
    )  # fmt: skip
    got = exporting.plan(db, _user(db, 7), ["2026-11-01", "2026-11-30"], TODAY)
    assert isinstance(got, exporting.Choose)
    assert [t.name for t in got.teams] == ["A&B 門市", "Other"] and got.range == NOV
    assert exporting.plan(db, _user(db, 7), ["2"], TODAY) == Go(
        _team(db, 2), exporting.default_range(TODAY)
    )


def test_a_supervisor_of_no_team_is_told(db: Database) -> None:
    storage.remove_lead(db, 9, 1)
    assert exporting.plan(db, _user(db, 9), [], TODAY) == "export.no_teams"


def test_export_queries_use_indexes(db: Database) -> None:
    from bot.storage.export import EXPORT_SQL

    params = {"team": 1, "start": "2026-11-01", "end": "2026-12-01"}
    for name, sql in EXPORT_SQL.items():
        plan = [r["detail"] for r in db.query(f"EXPLAIN QUERY PLAN {sql}", params)]
        scans = [d for d in plan if d.startswith("SCAN")]
        assert not scans, (name, plan)


def test_export_in_a_thread_on_its_own_connection(tmp_path: Path, kb: Knowledge) -> None:
    path = tmp_path / "shop.db"
    db = storage.open_db(path)
    team = storage.create_team(db, "店", NOW)
    storage.create_user(
        db, 1, first_name="Amy", username=None, language="zh-TW", role="staff",
        team_id=team.id, now=NOW,
    )  # fmt: skip
    storage.set_consent(db, 1, NOW)
    _answer(db, kb, 1, sorted(kb.questions)[0], NOW - timedelta(days=1), True)
    db.close()
    export = exporting.build_export_at(path, kb, team, exporting.default_range(TODAY), TZ, NOW,
                                       "zh-TW")  # fmt: skip
    assert export.rows("answers") == 1 and export.members == 1


def test_export_from_the_command_line(tmp_path: Path, kb: Knowledge) -> None:
    path = tmp_path / "data" / "shopcoach.db"
    db = storage.open_db(path)
    team = storage.create_team(db, "信義店", NOW)
    storage.create_user(
        db, 1, first_name=EVIL, username=None, language="zh-TW", role="staff",
        team_id=team.id, now=NOW,
    )  # fmt: skip
    storage.set_consent(db, 1, NOW)
    _answer(db, kb, 1, sorted(kb.questions)[0], datetime(2026, 11, 5, tzinfo=UTC), True)
    db.close()
    out = tmp_path / "out"
    done = run_cli(
        "export", "--team", "信義店", "--from", "2026-11-01", "--to", "2026-11-30",
        "--out", str(out), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in out.iterdir())
    assert files == [
        "shopcoach-team1-20261101-20261130-answers.csv",
        "shopcoach-team1-20261101-20261130-evidence.csv",
        "shopcoach-team1-20261101-20261130-questions.csv",
    ]
    rows = _rows((out / files[0]).read_bytes())
    assert rows[0][0] == "成員 / member" and rows[1][0] == "'" + EVIL
    assert rows[1][7] == "2026-11-05T08:00:00+08:00"
    assert "(1 rows)" in done.stdout
    bad = run_cli("export", "--team", "nowhere", "--out", str(out), cwd=tmp_path)
    assert bad.returncode == 1 and "找不到團隊「nowhere」" in bad.stderr
    bad = run_cli("export", "--team", "1", "--from", "2026-13-01", cwd=tmp_path)
    assert bad.returncode == 2 and "2026-13-01" in bad.stderr
