"""Users, their teams, and the invites that bring them in."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlite_utils import Database

from bot.storage.base import Role, _one, immediate, iso, parse_iso

# --- users ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class User:
    id: int
    first_name: str
    username: str | None
    language: str
    role: Role
    team_id: int | None
    consent_at: str | None
    active: bool

    @property
    def consented(self) -> bool:
        return self.consent_at is not None


def _user(row: dict[str, Any] | None) -> User | None:
    if row is None:
        return None
    return User(
        row["id"],
        row["first_name"],
        row["username"],
        row["language"],
        row["role"],
        row["team_id"],
        row["consent_at"],
        bool(row["active"]),
    )


def get_user(db: Database, user_id: int) -> User | None:
    return _user(_one(db, "SELECT * FROM users WHERE id = ?", [user_id]))


def create_user(
    db: Database,
    user_id: int,
    *,
    first_name: str,
    username: str | None,
    language: str,
    role: Role,
    team_id: int | None,
    now: datetime,
) -> User:
    """Create (or re-create after /forgetme) a user; an existing one is joined to the team."""
    with db.atomic():
        db.execute(
            """INSERT INTO users (id, first_name, username, language, role, team_id, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(id) DO UPDATE SET role = excluded.role, team_id = excluded.team_id,
                   first_name = excluded.first_name, username = excluded.username, active = 1""",
            [user_id, first_name[:64], username, language, role, team_id, iso(now)],
        )
    user = get_user(db, user_id)
    assert user is not None
    return user


def update_profile(db: Database, user_id: int, first_name: str, username: str | None) -> None:
    """Keep the name supervisors see current; a user who writes to us is active."""
    with db.atomic():
        db.execute(
            "UPDATE users SET first_name = ?, username = ?, active = 1 WHERE id = ?",
            [first_name[:64], username, user_id],
        )


def set_consent(db: Database, user_id: int, now: datetime | None) -> None:
    with db.atomic():
        db.execute(
            "UPDATE users SET consent_at = ? WHERE id = ?", [iso(now) if now else None, user_id]
        )


def set_language(db: Database, user_id: int, language: str) -> None:
    with db.atomic():
        db.execute("UPDATE users SET language = ? WHERE id = ?", [language, user_id])


def set_role(db: Database, user_id: int, role: Role, team_id: int | None) -> None:
    with db.atomic():
        db.execute("UPDATE users SET role = ?, team_id = ? WHERE id = ?", [role, team_id, user_id])


def set_active(db: Database, user_id: int, active: bool) -> None:
    with db.atomic():
        db.execute("UPDATE users SET active = ? WHERE id = ?", [int(active), user_id])


def delete_user(db: Database, user_id: int) -> bool:
    """Delete a user and everything recorded about them, leaving no readable trace.

    Their rows go through ON DELETE CASCADE; the invites they made stay with the team but
    lose the maker's id. `secure_delete` (set by open_db) zeroes the freed space, and a
    checkpoint copies the WAL into the database and truncates it, so the old pages are not
    left readable in the `-wal` file either.
    """
    with db.atomic():
        db.execute("UPDATE invites SET created_by = NULL WHERE created_by = ?", [user_id])
        cur = db.execute("DELETE FROM users WHERE id = ?", [user_id])
    _checkpoint(db)
    return cur.rowcount > 0


def _checkpoint(db: Database) -> None:
    """Write the WAL into the database file and truncate it (nothing old stays in -wal)."""
    if not db.conn.in_transaction:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def admin_ids(db: Database) -> list[int]:
    return [r["id"] for r in db.query("SELECT id FROM users WHERE role = 'admin' ORDER BY id")]


def team_members(db: Database, team_id: int) -> list[User]:
    rows = db.query("SELECT * FROM users WHERE team_id = ? ORDER BY first_name, id", [team_id])
    return [u for u in map(_user, rows) if u is not None]


# --- teams and invites ---------------------------------------------------------------------


@dataclass(frozen=True)
class Team:
    id: int
    name: str


def led_team_ids(db: Database, user_id: int) -> list[int]:
    """The teams a supervisor leads (their own team is one of them once they lead it)."""
    rows = db.query("SELECT team_id FROM team_leads WHERE user_id = ? ORDER BY team_id", [user_id])
    return [r["team_id"] for r in rows]


def add_lead(db: Database, user_id: int, team_id: int) -> None:
    with db.atomic():
        db.execute(
            "INSERT OR IGNORE INTO team_leads (user_id, team_id) VALUES (?, ?)",
            [user_id, team_id],
        )


def remove_lead(db: Database, user_id: int, team_id: int) -> bool:
    with db.atomic():
        cur = db.execute(
            "DELETE FROM team_leads WHERE user_id = ? AND team_id = ?", [user_id, team_id]
        )
    return cur.rowcount == 1


def team_leads(db: Database, team_id: int) -> list[User]:
    """The supervisors who lead a team."""
    rows = db.query(
        """SELECT u.* FROM users u JOIN team_leads l ON l.user_id = u.id
           WHERE l.team_id = ? ORDER BY u.id""",
        [team_id],
    )
    return [u for u in map(_user, rows) if u is not None]


def create_team(db: Database, name: str, now: datetime) -> Team:
    with db.atomic():
        cur = db.execute(
            "INSERT INTO teams (name, created_at) VALUES (?, ?)", [name[:64], iso(now)]
        )
    return Team(int(cur.lastrowid or 0), name[:64])


def get_team(db: Database, team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    row = _one(db, "SELECT id, name FROM teams WHERE id = ?", [team_id])
    return Team(row["id"], row["name"]) if row else None


def list_teams(db: Database) -> list[Team]:
    return [Team(r["id"], r["name"]) for r in db.query("SELECT id, name FROM teams ORDER BY id")]


def default_team(db: Database, name: str, now: datetime) -> Team:
    """The team everyone joins in ACCESS_MODE=open (the first team, created when missing)."""
    row = _one(db, "SELECT id, name FROM teams ORDER BY id LIMIT 1")
    return Team(row["id"], row["name"]) if row else create_team(db, name, now)


@dataclass(frozen=True)
class Invite:
    code: str
    team_id: int
    role: Role
    expires_at: str
    max_uses: int
    uses: int


InviteOutcome = Literal["ok", "unknown", "expired", "used_up"]


def create_invite(
    db: Database,
    team_id: int,
    role: Role,
    created_by: int,
    now: datetime,
    *,
    days: int,
    max_uses: int,
) -> Invite:
    # 12 URL-safe random bytes → 16 characters, within deep-link payload rules ([A-Za-z0-9_-]).
    code = secrets.token_urlsafe(12)
    expires = iso(now + timedelta(days=days))
    with db.atomic():
        db.execute(
            """INSERT INTO invites (code, team_id, role, created_by, created_at, expires_at,
                                    max_uses) VALUES (?, ?, ?, ?, ?, ?, ?)""",
            [code, team_id, role, created_by, iso(now), expires, max_uses],
        )
    return Invite(code, team_id, role, expires, max_uses, 0)


def get_invite(db: Database, code: str) -> Invite | None:
    row = _one(db, "SELECT * FROM invites WHERE code = ?", [code])
    if row is None:
        return None
    return Invite(
        row["code"], row["team_id"], row["role"], row["expires_at"], row["max_uses"], row["uses"]
    )


def redeem_invite(db: Database, code: str, now: datetime) -> tuple[InviteOutcome, Invite | None]:
    """Use one invite code once: ('ok', invite) or why not.

    BEGIN IMMEDIATE: two redemptions at once (threads or processes) queue for the write
    lock, so the check of `uses` and its increment are never interleaved.
    """
    with immediate(db):
        inv = get_invite(db, code)
        if inv is None:
            return "unknown", None
        if parse_iso(inv.expires_at) <= now:
            return "expired", inv
        if inv.uses >= inv.max_uses:
            return "used_up", inv
        db.execute("UPDATE invites SET uses = uses + 1 WHERE code = ?", [code])
    return "ok", inv


def team_sizes(db: Database) -> list[tuple[Team, int]]:
    """Every team with its number of members, in one query."""
    rows = db.query(
        """SELECT t.id, t.name, COUNT(u.id) AS n FROM teams t
           LEFT JOIN users u ON u.team_id = t.id GROUP BY t.id ORDER BY t.id"""
    )
    return [(Team(r["id"], r["name"]), r["n"]) for r in rows]
