"""Members and links: finding a member by name, leaving a team, open invite links and
revoking them, and the admin's figures (/stats)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.storage.base import Role, _one, iso
from bot.storage.users import User, _user

# --- finding members -----------------------------------------------------------------------


def find_members(db: Database, team_ids: list[int], who: str) -> list[User]:
    """Members (own team or led) of `team_ids` whose @username or first name is `who`,
    case-insensitive; a number also matches the Telegram user id."""
    if not team_ids:
        return []
    name = who.strip().removeprefix("@")
    if not name:
        return []
    marks = ",".join("?" * len(team_ids))
    # Each branch reads an index (users_team, team_leads_team); the name test is on those rows
    # (NOCASE folds ASCII letters; Chinese names have no case).
    rows = db.query(
        f"""SELECT * FROM users WHERE id IN (
                SELECT id FROM users WHERE team_id IN ({marks})
                UNION SELECT user_id FROM team_leads WHERE team_id IN ({marks}))
            AND (username = ? COLLATE NOCASE OR first_name = ? COLLATE NOCASE
                 OR CAST(id AS TEXT) = ?)
            ORDER BY first_name, id""",
        [*team_ids, *team_ids, name, name, name],
    )
    return [u for u in map(_user, rows) if u is not None]


def find_user(db: Database, who: str) -> User | None:
    """Any user by Telegram id or @username (the admin's /promote and /demote)."""
    text = who.strip()
    if text.isascii() and text.isdigit():
        return _user(_one(db, "SELECT * FROM users WHERE id = ?", [int(text)]))
    name = text.removeprefix("@")
    if not name:
        return None
    # Usernames are few per name; no index on them, and an admin command over 10k rows
    # answers in milliseconds.
    return _user(
        _one(
            db,
            "SELECT * FROM users WHERE username = ? COLLATE NOCASE ORDER BY id LIMIT 1",
            [name],
        )
    )


def leave_team(db: Database, user_id: int, team_id: int) -> bool:
    """Take a user out of a team: not their team any more, no longer leading it; a supervisor
    who then leads no team is staff again. False if they were not in it."""
    with db.atomic():
        left = db.execute(
            "UPDATE users SET team_id = NULL WHERE id = ? AND team_id = ?", [user_id, team_id]
        ).rowcount
        unled = db.execute(
            "DELETE FROM team_leads WHERE user_id = ? AND team_id = ?", [user_id, team_id]
        ).rowcount
        _staff_when_leading_none(db, user_id)
    return bool(left or unled)


def _staff_when_leading_none(db: Database, user_id: int) -> None:
    db.execute(
        """UPDATE users SET role = 'staff' WHERE id = ? AND role = 'supervisor'
           AND NOT EXISTS (SELECT 1 FROM team_leads WHERE user_id = ?)""",
        [user_id, user_id],
    )


def make_lead(db: Database, user_id: int, team_id: int) -> None:
    """Make a (non-admin) user supervisor of a team; their own team stays, or becomes it."""
    with db.atomic():
        db.execute(
            "INSERT OR IGNORE INTO team_leads (user_id, team_id) VALUES (?, ?)",
            [user_id, team_id],
        )
        db.execute(
            """UPDATE users SET role = 'supervisor', team_id = COALESCE(team_id, ?)
               WHERE id = ? AND role != 'admin'""",
            [team_id, user_id],
        )


def drop_leads(db: Database, user_id: int, team_id: int | None) -> list[int]:
    """Stop a user leading one team (or every team); staff again when they lead none.
    Returns the teams they no longer lead."""
    with db.atomic():
        rows = db.query(
            "SELECT team_id FROM team_leads WHERE user_id = ?"
            + (" AND team_id = ?" if team_id is not None else ""),
            [user_id] if team_id is None else [user_id, team_id],
        )
        dropped = [r["team_id"] for r in rows]
        db.execute(
            "DELETE FROM team_leads WHERE user_id = ?"
            + (" AND team_id = ?" if team_id is not None else ""),
            [user_id] if team_id is None else [user_id, team_id],
        )
        _staff_when_leading_none(db, user_id)
    return dropped


# --- open invite links ---------------------------------------------------------------------


@dataclass(frozen=True)
class OpenInvite:
    """An invite link still usable, with the row id its revoke button carries."""

    id: int
    code: str
    team_id: int
    role: Role
    created_at: str
    expires_at: str
    max_uses: int
    uses: int


def _open_invite(row: dict[str, Any]) -> OpenInvite:
    return OpenInvite(
        row["rowid"],
        row["code"],
        row["team_id"],
        row["role"],
        row["created_at"],
        row["expires_at"],
        row["max_uses"],
        row["uses"],
    )


def open_invites(db: Database, team_id: int, now: datetime) -> list[OpenInvite]:
    """A team's invite links that are not expired and have uses left, newest first.

    invites has no index on team_id: a chain makes a few links per store, and reading them
    all takes well under a millisecond even at 10,000 links, not worth a migration."""
    rows = db.query(
        """SELECT rowid, * FROM invites
           WHERE team_id = ? AND expires_at > ? AND uses < max_uses
           ORDER BY created_at DESC, rowid DESC""",
        [team_id, iso(now)],
    )
    return [_open_invite(r) for r in rows]


def get_open_invite(db: Database, invite_id: int, now: datetime) -> OpenInvite | None:
    row = _one(
        db,
        """SELECT rowid, * FROM invites WHERE rowid = ? AND expires_at > ? AND uses < max_uses""",
        [invite_id, iso(now)],
    )
    return _open_invite(row) if row else None


def expire_invite(db: Database, invite_id: int, now: datetime) -> bool:
    """Revoke a link: it expires now, so opening it answers "expired"."""
    with db.atomic():
        cur = db.execute(
            "UPDATE invites SET expires_at = ? WHERE rowid = ? AND expires_at > ?",
            [iso(now), invite_id, iso(now)],
        )
    return cur.rowcount == 1


# --- the admin's figures -------------------------------------------------------------------


# The figures of /stats, one query each; :s is the start of the week. The per-user ones walk
# the users and read each user's (user_id, time) index for the range; the unanswered count
# reads the (team_id, tier, created_at) index of each team and of questions with no team.
# No large table is scanned (bench/bench_stats.py prints the plans).
STATS_QUERIES = {
    "users": "SELECT COUNT(*) AS n, COUNT(consent_at) AS consented FROM users",
    "active": """SELECT COUNT(*) AS n FROM users u
        WHERE EXISTS (SELECT 1 FROM questions q WHERE q.user_id = u.id AND q.created_at >= :s)
        OR EXISTS (SELECT 1 FROM drill_items i WHERE i.user_id = u.id AND i.answered_at >= :s)""",
    "drills": """SELECT COUNT(*) AS n FROM users u JOIN drills d
        ON d.user_id = u.id AND d.finished_at >= :s WHERE d.status = 'done'""",
    "answers": """SELECT COUNT(*) AS n FROM users u JOIN drill_items i
        ON i.user_id = u.id AND i.answered_at >= :s""",
    "questions": """SELECT COUNT(*) AS n FROM users u JOIN questions q
        ON q.user_id = u.id AND q.created_at >= :s""",
    "unanswered": """SELECT
        (SELECT COUNT(*) FROM teams t JOIN questions q
            ON q.team_id = t.id AND q.tier = 'none' AND q.created_at >= :s)
      + (SELECT COUNT(*) FROM questions q
            WHERE q.team_id IS NULL AND q.tier = 'none' AND q.created_at >= :s) AS n""",
}


@dataclass(frozen=True)
class Stats:
    users: int
    consented: int
    active: int  # asked or drilled since `since`
    drills: int  # finished since `since`
    answers: int
    questions: int
    unanswered: int  # of those questions, tier none
    db_bytes: int


def stats(db: Database, since: datetime) -> Stats:
    """The figures of /stats for the week from `since`, and the database size."""
    params = {"s": iso(since)}
    row = {name: _one(db, sql, params) or {} for name, sql in STATS_QUERIES.items()}
    page_count = _one(db, "PRAGMA page_count")
    page_size = _one(db, "PRAGMA page_size")
    assert page_count is not None
    assert page_size is not None
    return Stats(
        users=int(row["users"]["n"]),
        consented=int(row["users"]["consented"]),
        active=int(row["active"]["n"]),
        drills=int(row["drills"]["n"]),
        answers=int(row["answers"]["n"]),
        questions=int(row["questions"]["n"]),
        unanswered=int(row["unanswered"]["n"]),
        db_bytes=int(page_count["page_count"]) * int(page_size["page_size"]),
    )
