"""Questions staff asked, the tier of answer they got, and their 👍/👎 feedback."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.storage.base import _one, iso, relaxed


def log_question(
    db: Database,
    user_id: int,
    team_id: int | None,
    text: str,
    *,
    activity: str | None,
    card: str | None,
    score: float | None,
    tier: str,
    now: datetime,
) -> int:
    with relaxed(db):
        cur = db.execute(
            """INSERT INTO questions (user_id, team_id, text, activity, card, score, tier,
                                      created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            [user_id, team_id, text[:1000], activity, card, score, tier, iso(now)],
        )
    return int(cur.lastrowid or 0)


def set_feedback(db: Database, question_id: int, user_id: int, value: int) -> bool:
    """Store 👍 (1) or 👎 (-1) once per answer; a second tap changes it. Only the asker may."""
    with db.atomic():
        cur = db.execute(
            "UPDATE questions SET feedback = ? WHERE id = ? AND user_id = ?",
            [1 if value > 0 else -1, question_id, user_id],
        )
    return cur.rowcount > 0


def get_question(db: Database, question_id: int) -> dict[str, Any] | None:
    return _one(db, "SELECT * FROM questions WHERE id = ?", [question_id])


def unanswered(
    db: Database, team_id: int, since: datetime, limit: int = 20
) -> list[dict[str, Any]]:
    """What a team's staff asked that the bot could not answer, newest first."""
    return list(
        db.query(
            """SELECT q.text, q.created_at, u.first_name FROM questions q JOIN users u
           ON u.id = q.user_id WHERE q.team_id = ? AND q.tier = 'none' AND q.created_at >= ?
           ORDER BY q.created_at DESC LIMIT ?""",
            [team_id, iso(since), limit],
        )
    )


def count_rows(db: Database, table: str, user_id: int) -> int:
    """How many rows of `table` belong to a user (tests and /forgetme checks)."""
    if table not in ("questions", "users"):
        raise ValueError(table)
    column = "id" if table == "users" else "user_id"
    row = _one(db, f"SELECT COUNT(*) AS n FROM {table} WHERE {column} = ?", [user_id])
    return int(row["n"]) if row else 0
