"""Supervisor reports: a team's members and their recent figures, read in a few batched queries.

Every query here is keyed by user id (or team id) and reads through an index: /team for a team
of 50 makes six queries, not 300 (see bench/bench_supervisor.py for their query plans).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.storage.base import iso, parse_iso
from bot.storage.users import User, _user


def _marks(ids: Sequence[int]) -> str:
    return ",".join("?" * len(ids))


def team_staff(db: Database, team_id: int) -> list[User]:
    """The people a team's report is about: its members, less those who lead it."""
    rows = db.query(
        """SELECT * FROM users WHERE team_id = ?
           AND id NOT IN (SELECT user_id FROM team_leads WHERE team_id = ?)
           ORDER BY first_name, id""",
        [team_id, team_id],
    )
    return [u for u in map(_user, rows) if u is not None]


def answers_since(
    db: Database, user_ids: Sequence[int], since: datetime
) -> dict[int, tuple[int, int]]:
    """(answers, right answers) per user since a time; users with none are missing."""
    if not user_ids:
        return {}
    rows = db.query(
        f"""SELECT user_id, COUNT(*) AS n, SUM(correct) AS n_right FROM drill_items
            WHERE user_id IN ({_marks(user_ids)}) AND answered_at >= ? GROUP BY user_id""",
        [*user_ids, iso(since)],
    )
    return {r["user_id"]: (int(r["n"]), int(r["n_right"] or 0)) for r in rows}


def last_seen(db: Database, user_ids: Sequence[int]) -> dict[int, datetime]:
    """When each user last answered a drill question or asked a question."""
    if not user_ids:
        return {}
    marks = _marks(user_ids)
    rows = db.query(
        f"""SELECT user_id, MAX(t) AS t FROM (
                SELECT user_id, MAX(answered_at) AS t FROM drill_items
                WHERE user_id IN ({marks}) AND answered_at IS NOT NULL GROUP BY user_id
                UNION ALL
                SELECT user_id, MAX(created_at) AS t FROM questions
                WHERE user_id IN ({marks}) GROUP BY user_id
            ) GROUP BY user_id""",
        [*user_ids, *user_ids],
    )
    return {r["user_id"]: parse_iso(r["t"]) for r in rows if r["t"]}


def finished_drills_of(db: Database, user_ids: Sequence[int]) -> dict[int, list[datetime]]:
    """Finish times of every completed drill per user, oldest first."""
    out: dict[int, list[datetime]] = {uid: [] for uid in user_ids}
    if not user_ids:
        return out
    rows = db.query(
        f"""SELECT user_id, finished_at FROM drills
            WHERE user_id IN ({_marks(user_ids)}) AND finished_at IS NOT NULL
              AND status = 'done'
            ORDER BY user_id, finished_at""",
        list(user_ids),
    )
    for r in rows:
        out[r["user_id"]].append(parse_iso(r["finished_at"]))
    return out


def srs_states_of(db: Database, user_ids: Sequence[int]) -> dict[int, list[tuple[str, str, str]]]:
    """(question id, FSRS card JSON, due) of every question each user has answered."""
    out: dict[int, list[tuple[str, str, str]]] = {uid: [] for uid in user_ids}
    if not user_ids:
        return out
    # Thousands of rows for a big team: plain tuples, not sqlite-utils' dicts.
    cur = db.execute(
        f"""SELECT user_id, question_id, card_json, due FROM srs
            WHERE user_id IN ({_marks(user_ids)})""",
        list(user_ids),
    )
    for user_id, question_id, card_json, due in cur.fetchall():
        out[user_id].append((question_id, card_json, due))
    return out


def recent_questions(db: Database, user_id: int, limit: int = 10) -> list[dict[str, Any]]:
    """A user's last questions, newest first: id, text, tier, card, feedback, created_at."""
    return list(
        db.query(
            """SELECT id, text, tier, card, activity, feedback, created_at FROM questions
               WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?""",
            [user_id, limit],
        )
    )


def card_views_between(
    db: Database, user_id: int, start: datetime, end: datetime
) -> list[datetime]:
    """When a user opened a card in [start, end), oldest first."""
    return [
        parse_iso(r["viewed_at"])
        for r in db.query(
            """SELECT viewed_at FROM card_views WHERE user_id = ? AND viewed_at >= ?
               AND viewed_at < ? ORDER BY viewed_at""",
            [user_id, iso(start), iso(end)],
        )
    ]


def find_users(db: Database, team_ids: Sequence[int], text: str, limit: int = 10) -> list[User]:
    """Users of these teams whose @username is `text`, or whose name contains it."""
    if not team_ids or not text:
        return []
    needle = text.lower().lstrip("@")
    like = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = db.query(
        f"""SELECT * FROM users WHERE team_id IN ({_marks(team_ids)})
            AND (lower(username) = ? OR lower(first_name) LIKE ? ESCAPE '\\')
            ORDER BY lower(username) = ? DESC, first_name, id LIMIT ?""",
        [*team_ids, needle, like, needle, limit],
    )
    return [u for u in map(_user, rows) if u is not None]


def find_teams(db: Database, text: str) -> list[tuple[int, str]]:
    """Teams whose id is `text` or whose name is `text` (case-insensitive), else contains it."""
    needle = text.strip()
    if needle.isascii() and needle.isdigit() and len(needle) <= 18:
        rows = list(db.query("SELECT id, name FROM teams WHERE id = ?", [int(needle)]))
        if rows:
            return [(r["id"], r["name"]) for r in rows]
    rows = list(
        db.query("SELECT id, name FROM teams WHERE lower(name) = lower(?) ORDER BY id", [needle])
    )
    if not rows:
        like = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = list(
            db.query(
                "SELECT id, name FROM teams WHERE name LIKE ? ESCAPE '\\' ORDER BY id", [like]
            )
        )
    return [(r["id"], r["name"]) for r in rows]
