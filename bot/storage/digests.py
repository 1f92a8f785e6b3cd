"""The weekly digest: who wants it and which week each supervisor last received."""

from __future__ import annotations

from sqlite_utils import Database

from bot.storage.base import _one
from bot.storage.users import User, _user

__all__ = ["digest_enabled", "digest_recipients", "mark_digest_sent", "set_digest"]


def digest_enabled(db: Database, user_id: int) -> bool:
    row = _one(db, "SELECT enabled FROM digests WHERE user_id = ?", [user_id])
    return row is None or bool(row["enabled"])


def set_digest(db: Database, user_id: int, enabled: bool) -> None:
    with db.atomic():
        db.execute(
            """INSERT INTO digests (user_id, enabled) VALUES (?, ?)
               ON CONFLICT(user_id) DO UPDATE SET enabled = excluded.enabled""",
            [user_id, int(enabled)],
        )


def digest_recipients(db: Database, week: str) -> list[User]:
    """Consented, active people who lead a team, want the digest and have not had `week`'s."""
    rows = db.query(
        """SELECT u.* FROM users u
           LEFT JOIN digests d ON d.user_id = u.id
           WHERE u.consent_at IS NOT NULL AND u.active = 1
             AND EXISTS (SELECT 1 FROM team_leads l WHERE l.user_id = u.id)
             AND COALESCE(d.enabled, 1) = 1
             AND (d.last_week IS NULL OR d.last_week != ?)
           ORDER BY u.id""",
        [week],
    )
    return [u for u in map(_user, rows) if u is not None]


def mark_digest_sent(db: Database, user_id: int, week: str) -> None:
    with db.atomic():
        db.execute(
            """INSERT INTO digests (user_id, last_week) VALUES (?, ?)
               ON CONFLICT(user_id) DO UPDATE SET last_week = excluded.last_week""",
            [user_id, week],
        )
