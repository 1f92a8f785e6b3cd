"""Storage: schema and migrations, invites, users, questions, feedback, deletion."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot import storage
from bot.access import Visitor, admit
from bot.settings import Settings

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def _staff(db: Database, uid: int, team_id: int, language: str = "en", name: str = "u") -> None:
    storage.create_user(
        db,
        uid,
        first_name=name,
        username=None,
        language=language,
        role="staff",
        team_id=team_id,
        now=NOW,
    )


@pytest.fixture
def db() -> Iterator[Database]:
    database = storage.open_db(None)
    yield database
    database.close()


def test_migrations_are_idempotent_and_wal_on_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "shop.db"
    first = storage.open_db(path)
    version = storage.schema_version(first)
    first.close()
    again = storage.open_db(path)
    assert storage.schema_version(again) == version
    assert again.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert again.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    again.close()


def test_only_loss_tolerant_writes_skip_the_fsync(tmp_path: Path) -> None:
    db = storage.open_db(tmp_path / "shop.db")
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    team = storage.create_team(db, "店", NOW)
    _staff(db, 5, team.id)
    qid = storage.log_question(
        db, 5, team.id, "收銀機當機", activity=None, card=None, score=None, tier="none", now=NOW
    )
    # The log line is committed, with synchronous lowered for it alone and then restored.
    assert storage.get_question(db, qid) is not None
    lowered = seen.index("PRAGMA synchronous = NORMAL")
    assert seen[lowered + 1 :].index("PRAGMA synchronous = 2") > seen[lowered + 1 :].index(
        "COMMIT"
    )
    assert db.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL for the rest
    # Inside a caller's transaction it is part of that transaction (a savepoint).
    with db.atomic():
        with storage.relaxed(db):
            db.execute("UPDATE users SET first_name = 'v' WHERE id = 5")
        assert db.conn.in_transaction
    db.close()
    reopened = Database(tmp_path / "shop.db")
    assert storage.get_user(reopened, 5).first_name == "v"  # type: ignore[union-attr]
    reopened.close()


def test_newer_schema_refuses_to_start(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    storage.open_db(path).close()
    raw = Database(path)
    raw.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('shopcoach', '9999_from_the_future', 'x')"
    )
    raw.conn.commit()
    raw.close()
    before = path.read_bytes()
    with pytest.raises(storage.SchemaTooNewError, match="9999_from_the_future"):
        storage.open_db(path)
    assert path.read_bytes() == before  # not migrated, not even touched


def test_invite_expires_and_runs_out(db: Database) -> None:
    team = storage.create_team(db, "台北店", NOW)
    inv = storage.create_invite(db, team.id, "staff", 1, NOW, days=7, max_uses=2)
    assert len(inv.code) >= 16
    assert storage.redeem_invite(db, inv.code, NOW)[0] == "ok"
    assert storage.redeem_invite(db, inv.code, NOW)[0] == "ok"
    assert storage.redeem_invite(db, inv.code, NOW)[0] == "used_up"
    other = storage.create_invite(db, team.id, "staff", 1, NOW, days=7, max_uses=5)
    assert (
        storage.redeem_invite(db, other.code, NOW + timedelta(days=7, seconds=1))[0] == "expired"
    )
    assert storage.redeem_invite(db, "nope", NOW)[0] == "unknown"


def test_feedback_once_per_user_and_answer(db: Database) -> None:
    team = storage.create_team(db, "A", NOW)
    for uid in (1, 2):
        _staff(db, uid, team.id, language="zh-TW")
    qid = storage.log_question(
        db, 1, team.id, "收銀機當機", activity="T3.3", card="x", score=90.0, tier="answer", now=NOW
    )
    assert storage.set_feedback(db, qid, 1, 1)
    assert storage.set_feedback(db, qid, 1, -1)  # a second tap changes it
    assert not storage.set_feedback(db, qid, 2, 1)  # someone else's answer
    row = storage.get_question(db, qid)
    assert row is not None and row["feedback"] == -1
    assert db.execute("SELECT COUNT(*) FROM questions").fetchone()[0] == 1


def test_delete_user_removes_their_questions_only(db: Database) -> None:
    team = storage.create_team(db, "A", NOW)
    for uid in (1, 2):
        _staff(db, uid, team.id)
        storage.log_question(
            db, uid, team.id, "q", activity=None, card=None, score=None, tier="none", now=NOW
        )
    assert storage.delete_user(db, 1)
    assert storage.get_user(db, 1) is None
    assert storage.count_rows(db, "questions", 1) == 0
    assert storage.count_rows(db, "questions", 2) == 1


def test_unanswered_is_per_team(db: Database) -> None:
    a = storage.create_team(db, "A", NOW)
    b = storage.create_team(db, "B", NOW)
    _staff(db, 1, a.id, name="Amy")
    _staff(db, 2, b.id, name="Bob")
    storage.log_question(
        db, 1, a.id, "where is the mop", activity=None, card=None, score=None, tier="none", now=NOW
    )
    storage.log_question(
        db, 2, b.id, "secret of team B", activity=None, card=None, score=None, tier="none", now=NOW
    )
    rows = storage.unanswered(db, a.id, NOW - timedelta(days=1))
    assert [(r["text"], r["first_name"]) for r in rows] == [("where is the mop", "Amy")]


def _settings(**kw: object) -> Settings:
    return Settings(_env_file=None, telegram_bot_token="1:x", **kw)  # type: ignore[arg-type]


def test_admission_rules(db: Database) -> None:
    s = _settings(admin_user_ids="7")
    stranger = Visitor(5, "Stan", None, "en")
    assert admit(db, s, stranger, None, NOW) == (None, "stranger")
    assert storage.get_user(db, 5) is None  # nothing recorded about a stranger
    admin_user, how = admit(db, s, Visitor(7, "Ada", None, "zh-TW"), None, NOW)
    assert how == "admin" and admin_user is not None and admin_user.role == "admin"
    team = storage.create_team(db, "T", NOW)
    inv = storage.create_invite(db, team.id, "supervisor", 7, NOW, days=7, max_uses=1)
    sup, how = admit(db, s, Visitor(8, "Sue", None, "zh-TW"), inv.code, NOW)
    assert (
        how == "joined" and sup is not None and (sup.role, sup.team_id) == ("supervisor", team.id)
    )
    assert admit(db, s, Visitor(8, "Sue", None, "zh-TW"), inv.code, NOW)[1] == "already_member"
    assert admit(db, s, Visitor(9, "Sam", None, "en"), inv.code, NOW)[1] == "used_up"
    opened, how = admit(
        db, _settings(access_mode="open"), Visitor(10, "Oz", None, "en"), None, NOW
    )
    assert how == "open" and opened is not None and opened.role == "staff"
