"""What a team export reads: answers, questions, FSRS states and last practice of its members.

"A team's" rows are those of the people in the team now (users.team_id); a question also has
to have been asked while in this team, so a member who moved keeps their old questions away
from their new supervisor. Times are [start, end) in UTC, as stored. Each query starts from
the team's members (index users_team) and reads their rows by the per-user indexes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.storage.base import iso

# What is never shown to supervisors: chatter and small talk (not logged today; kept out here
# too should a later version log them).
_PRIVATE_TIERS = ("offtopic", "smalltalk")

EXPORT_SQL = {
    "answers": """
        SELECT u.id AS user_id, u.first_name, u.username, i.activity, i.question_id,
               i.correct, i.answered_at
        FROM users u JOIN drill_items i ON i.user_id = u.id
        WHERE u.team_id = :team AND i.answered_at >= :start AND i.answered_at < :end
        ORDER BY i.answered_at, i.id""",
    "questions": f"""
        SELECT u.id AS user_id, u.first_name, u.username, q.text, q.tier, q.card, q.activity,
               q.feedback, q.created_at
        FROM users u JOIN questions q ON q.user_id = u.id
        WHERE u.team_id = :team AND q.team_id = :team
          AND q.created_at >= :start AND q.created_at < :end
          AND q.tier NOT IN ({", ".join(f"'{t}'" for t in _PRIVATE_TIERS)})
        ORDER BY q.created_at, q.id""",
    "srs": """
        SELECT s.user_id, s.question_id, s.card_json, s.due
        FROM users u JOIN srs s ON s.user_id = u.id
        WHERE u.team_id = :team""",
    "last_practised": """
        SELECT i.user_id, i.activity, MAX(i.answered_at) AS last
        FROM users u JOIN drill_items i ON i.user_id = u.id
        WHERE u.team_id = :team AND i.answered_at < :end
        GROUP BY i.user_id, i.activity""",
    "members": """
        SELECT id AS user_id, first_name, username FROM users
        WHERE team_id = :team AND consent_at IS NOT NULL
        ORDER BY first_name, id""",
}


def _params(team_id: int, start: datetime | None = None, end: datetime | None = None) -> Any:
    params: dict[str, Any] = {"team": team_id}
    if start is not None:
        params["start"] = iso(start)
    if end is not None:
        params["end"] = iso(end)
    return params


def export_answers(
    db: Database, team_id: int, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """The team's drill answers in [start, end), oldest first."""
    return list(db.query(EXPORT_SQL["answers"], _params(team_id, start, end)))


def export_questions(
    db: Database, team_id: int, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """The work questions the team's members asked in the team in [start, end), oldest first."""
    return list(db.query(EXPORT_SQL["questions"], _params(team_id, start, end)))


def export_members(db: Database, team_id: int) -> list[dict[str, Any]]:
    """The team's members who agreed to the privacy notice (the others have no data)."""
    return list(db.query(EXPORT_SQL["members"], _params(team_id)))


def export_srs(db: Database, team_id: int) -> list[dict[str, Any]]:
    """Every FSRS card state of the team's members."""
    return list(db.query(EXPORT_SQL["srs"], _params(team_id)))


def export_last_practised(db: Database, team_id: int, end: datetime) -> dict[tuple[int, str], str]:
    """(user id, activity) → the last answer before `end` (stored UTC text)."""
    rows = db.query(EXPORT_SQL["last_practised"], _params(team_id, end=end))
    return {(r["user_id"], r["activity"]): r["last"] for r in rows}
