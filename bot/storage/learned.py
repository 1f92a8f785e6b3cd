"""What the bot could not answer (for /unanswered), what supervisors did with it, and the
aliases they taught the matcher."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlite_utils import Database

from bot.storage.base import _one, iso

Outcome = Literal["attached", "dismissed"]


@dataclass(frozen=True)
class Unanswered:
    """A logged work question that got no answer, an unfollowed "did you mean", or a 👎."""

    id: int
    user_id: int
    team_id: int
    text: str
    tier: str
    card: str | None  # the top card the bot found (suggested when tier is "suggest")
    feedback: int | None
    created_at: str


@dataclass(frozen=True)
class LearnedAlias:
    id: int
    text: str
    card: str
    team_id: int | None
    created_by: int | None
    created_at: str


# What /unanswered lists (the bench prints its EXPLAIN QUERY PLAN from this same text).
UNANSWERED_SQL = """
SELECT q.id, q.user_id, q.team_id, q.text, q.tier, q.card, q.feedback, q.created_at
FROM questions q
WHERE q.team_id = ? AND q.created_at >= ? AND q.created_at <= ?
  AND (tier IN ('none', 'suggest') OR feedback = -1)
  AND q.tier != 'offtopic'
  AND NOT EXISTS (SELECT 1 FROM question_reviews r WHERE r.question_id = q.id)
  AND NOT (q.tier = 'suggest' AND COALESCE(q.feedback, 0) != -1 AND EXISTS (
      SELECT 1 FROM card_views v
      WHERE v.user_id = q.user_id AND v.viewed_at >= q.created_at
        AND v.viewed_at <= strftime('%Y-%m-%dT%H:%M:%S+00:00', q.created_at, ?)))
ORDER BY q.created_at DESC, q.id DESC"""


def unanswered_questions(
    db: Database, team_id: int, since: datetime, now: datetime, follow_minutes: int = 10
) -> list[Unanswered]:
    """A team's questions since `since` that got tier none, a "did you mean" the asker did
    not follow (no card opened within `follow_minutes`), or a 👎; not yet reviewed; newest
    first. Offtopic messages are never logged, so they cannot be here."""
    rows = db.query(
        UNANSWERED_SQL,
        [team_id, iso(since), iso(now), f"+{int(follow_minutes)} minutes"],
    )
    return [Unanswered(**row) for row in rows]


def question_team(db: Database, question_id: int) -> int | None:
    """The team a logged question belongs to (None: no such question, or no team)."""
    row = _one(db, "SELECT team_id FROM questions WHERE id = ?", [question_id])
    return None if row is None else row["team_id"]


def review_questions(
    db: Database,
    question_ids: Iterable[int],
    outcome: Outcome,
    by: int,
    now: datetime,
    aliases: Iterable[tuple[str, str, int | None]] = (),
) -> list[int]:
    """Store what a supervisor did with questions, and the aliases attaching made (text,
    card, team), in one transaction; returns the new alias ids."""
    alias_ids: list[int] = []
    with db.atomic():
        for text, card, team_id in aliases:
            cur = db.execute(
                """INSERT INTO learned_aliases (text, card, team_id, created_by, created_at)
                   VALUES (?, ?, ?, ?, ?)""",
                [text, card, team_id, by, iso(now)],
            )
            alias_ids.append(int(cur.lastrowid or 0))
        first = alias_ids[0] if alias_ids else None
        db.conn.executemany(
            """INSERT OR REPLACE INTO question_reviews
               (question_id, outcome, alias_id, reviewed_by, reviewed_at)
               VALUES (?, ?, ?, ?, ?)""",
            [(qid, outcome, first, by, iso(now)) for qid in question_ids],
        )
    return alias_ids


def learned_aliases(db: Database) -> list[LearnedAlias]:
    """Every alias supervisors attached, oldest first (the order the matcher learns them)."""
    rows = db.query(
        "SELECT id, text, card, team_id, created_by, created_at FROM learned_aliases ORDER BY id"
    )
    return [LearnedAlias(**row) for row in rows]


def count_learned_aliases(db: Database) -> int:
    row = _one(db, "SELECT COUNT(*) AS n FROM learned_aliases")
    return int(row["n"]) if row else 0


def read_learned_aliases(path: Path) -> list[LearnedAlias] | None:
    """The aliases in a database file, opened read-only and not migrated (the command line
    reads the bot's database while it runs); None when there is no such database or table."""
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        db = Database(conn)
        if not db["learned_aliases"].exists():
            return None
        return learned_aliases(db)
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()
