"""All SQL lives here: the schema and its migrations, and plain functions over a Database.

Times are stored as ISO-8601 UTC text. Every function takes the clock as an argument
(`now`) so tests can move time without sleeping.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlite_utils import Database, Migrations

Role = Literal["staff", "supervisor", "admin"]
ROLES: tuple[Role, ...] = ("staff", "supervisor", "admin")

migrations = Migrations("shopcoach")


class SchemaTooNewError(Exception):
    """The database was written by a newer ShopCoach; refuse to touch it."""


@migrations(name="0000_wal", transactional=False)
def _m0000_wal(db: Database) -> None:
    # WAL lets readers go on while the bot writes; it must be set outside a transaction.
    if db.memory is False:
        db.enable_wal()


@migrations(name="0001_users_teams_invites_questions")
def _m0001(db: Database) -> None:
    db.execute("""
        CREATE TABLE teams (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,            -- Telegram user id
            first_name TEXT NOT NULL DEFAULT '',
            username TEXT,
            language TEXT NOT NULL DEFAULT 'zh-TW',
            role TEXT NOT NULL DEFAULT 'staff' CHECK (role IN ('staff','supervisor','admin')),
            team_id INTEGER REFERENCES teams(id) ON DELETE SET NULL,
            consent_at TEXT,                   -- NULL: nothing is recorded about them
            active INTEGER NOT NULL DEFAULT 1, -- 0 once they blocked the bot
            created_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX users_team ON users(team_id)")
    db.execute("""
        CREATE TABLE invites (
            code TEXT PRIMARY KEY,
            team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('staff','supervisor')),
            created_by INTEGER,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            max_uses INTEGER NOT NULL,
            uses INTEGER NOT NULL DEFAULT 0
        )""")
    db.execute("""
        CREATE TABLE questions (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            team_id INTEGER REFERENCES teams(id) ON DELETE SET NULL,
            text TEXT NOT NULL,
            activity TEXT,
            card TEXT,
            score REAL,
            tier TEXT NOT NULL,
            feedback INTEGER,                 -- 1 helpful, -1 not helpful, NULL none
            created_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX questions_team_tier ON questions(team_id, tier, created_at)")
    db.execute("CREATE INDEX questions_user ON questions(user_id, created_at)")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


def utcnow() -> datetime:
    return datetime.now(UTC)


def open_db(path: Path | str | None) -> Database:
    """Open (creating the folder) and migrate the database; `None` opens one in memory."""
    if path is None:
        db = Database(memory=True)
    else:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        db = Database(p)
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA busy_timeout = 5000")
    try:
        migrate(db)
    except Exception:
        db.close()
        raise
    return db


def migrate(db: Database) -> None:
    """Apply pending migrations; refuse a schema written by a newer version."""
    known = {m.name for m in migrations._migrations}
    unknown = [m.name for m in migrations.applied(db) if m.name not in known]
    if unknown:
        raise SchemaTooNewError(
            f"the database has schema version(s) {', '.join(unknown)} that this version of "
            "ShopCoach does not know; run the newer version or restore a backup"
        )
    migrations.apply(db)


def schema_version(db: Database) -> str:
    applied = migrations.applied(db)
    return applied[-1].name if applied else ""


@contextmanager
def atomic(db: Database) -> Iterator[Database]:
    with db.atomic():
        yield db


def _one(db: Database, sql: str, params: Any = ()) -> dict[str, Any] | None:
    return next(iter(db.query(sql, params)), None)


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
    """Delete a user and, through ON DELETE CASCADE, everything recorded about them."""
    with db.atomic():
        cur = db.execute("DELETE FROM users WHERE id = ?", [user_id])
    return cur.rowcount > 0


def team_members(db: Database, team_id: int) -> list[User]:
    rows = db.query("SELECT * FROM users WHERE team_id = ? ORDER BY first_name, id", [team_id])
    return [u for u in map(_user, rows) if u is not None]


# --- teams and invites ---------------------------------------------------------------------


@dataclass(frozen=True)
class Team:
    id: int
    name: str


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
    """Use one invite code once: ('ok', invite) or why not."""
    with db.atomic():
        inv = get_invite(db, code)
        if inv is None:
            return "unknown", None
        if parse_iso(inv.expires_at) <= now:
            return "expired", inv
        if inv.uses >= inv.max_uses:
            return "used_up", inv
        db.execute("UPDATE invites SET uses = uses + 1 WHERE code = ?", [code])
    return "ok", inv


# --- questions asked -----------------------------------------------------------------------


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
    with db.atomic():
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


# --- drills, spaced repetition, reminders --------------------------------------------------


@migrations(name="0002_drills_srs_reminders")
def _m0002(db: Database) -> None:
    db.execute("""
        CREATE TABLE drills (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            activity TEXT,                       -- set for "practise this" drills
            status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','done','stopped')),
            started_at TEXT NOT NULL,
            finished_at TEXT
        )""")
    # At most one active drill per user, enforced by the database itself.
    db.execute("CREATE UNIQUE INDEX drills_one_active ON drills(user_id) WHERE status = 'active'")
    db.execute("CREATE INDEX drills_user_finished ON drills(user_id, finished_at)")
    db.execute("""
        CREATE TABLE drill_items (
            id INTEGER PRIMARY KEY,              -- the attempt id carried in button data
            drill_id INTEGER NOT NULL REFERENCES drills(id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            question_id TEXT NOT NULL,
            activity TEXT NOT NULL,
            option_order TEXT NOT NULL,          -- shuffled original indexes, e.g. '2,0,1,3'
            chat_id INTEGER,
            message_id INTEGER,
            sent_at TEXT,
            answered_at TEXT,
            chosen INTEGER,                      -- original option index chosen
            correct INTEGER,
            rating INTEGER
        )""")
    db.execute("CREATE INDEX drill_items_drill ON drill_items(drill_id, position)")
    db.execute("CREATE INDEX drill_items_user_answered ON drill_items(user_id, answered_at)")
    db.execute("""
        CREATE TABLE srs (
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            question_id TEXT NOT NULL,
            card_json TEXT NOT NULL,
            due TEXT NOT NULL,
            PRIMARY KEY (user_id, question_id)
        )""")
    db.execute("""
        CREATE TABLE card_views (
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            card TEXT NOT NULL,
            viewed_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX card_views_user ON card_views(user_id, viewed_at)")
    db.execute("""
        CREATE TABLE reminders (
            user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
            time TEXT NOT NULL DEFAULT '09:30',  -- local time HH:MM
            days TEXT NOT NULL DEFAULT '1,2,3,4,5', -- ISO weekdays, 1 = Monday
            enabled INTEGER NOT NULL DEFAULT 1,
            last_sent_on TEXT                    -- local date of the last reminder sent
        )""")


@dataclass(frozen=True)
class DrillItem:
    id: int
    drill_id: int
    user_id: int
    position: int
    question_id: str
    activity: str
    option_order: tuple[int, ...]
    chat_id: int | None
    message_id: int | None
    sent_at: str | None
    answered_at: str | None
    chosen: int | None
    correct: bool | None
    drill_status: str
    drill_size: int


_ITEM_SQL = """
    SELECT i.*, d.status AS drill_status,
           (SELECT COUNT(*) FROM drill_items j WHERE j.drill_id = i.drill_id) AS drill_size
    FROM drill_items i JOIN drills d ON d.id = i.drill_id"""


def _item(row: dict[str, Any] | None) -> DrillItem | None:
    if row is None:
        return None
    return DrillItem(
        row["id"],
        row["drill_id"],
        row["user_id"],
        row["position"],
        row["question_id"],
        row["activity"],
        tuple(int(x) for x in row["option_order"].split(",")),
        row["chat_id"],
        row["message_id"],
        row["sent_at"],
        row["answered_at"],
        row["chosen"],
        None if row["correct"] is None else bool(row["correct"]),
        row["drill_status"],
        row["drill_size"],
    )


@dataclass(frozen=True)
class Drill:
    id: int
    user_id: int
    activity: str | None
    status: str
    started_at: str
    finished_at: str | None


def _drill(row: dict[str, Any] | None) -> Drill | None:
    if row is None:
        return None
    return Drill(
        row["id"],
        row["user_id"],
        row["activity"],
        row["status"],
        row["started_at"],
        row["finished_at"],
    )


def start_drill(
    db: Database,
    user_id: int,
    items: list[tuple[str, str, tuple[int, ...]]],
    now: datetime,
    activity: str | None = None,
) -> Drill:
    """Create a drill with its items (question id, activity, option order), atomically."""
    with db.atomic():
        cur = db.execute(
            "INSERT INTO drills (user_id, activity, started_at) VALUES (?, ?, ?)",
            [user_id, activity, iso(now)],
        )
        drill_id = int(cur.lastrowid or 0)
        for pos, (qid, act, order) in enumerate(items):
            db.execute(
                """INSERT INTO drill_items (drill_id, user_id, position, question_id, activity,
                                            option_order) VALUES (?, ?, ?, ?, ?, ?)""",
                [drill_id, user_id, pos, qid, act, ",".join(map(str, order))],
            )
    drill = get_drill(db, drill_id)
    assert drill is not None
    return drill


def get_drill(db: Database, drill_id: int) -> Drill | None:
    return _drill(_one(db, "SELECT * FROM drills WHERE id = ?", [drill_id]))


def active_drill(db: Database, user_id: int) -> Drill | None:
    return _drill(
        _one(db, "SELECT * FROM drills WHERE user_id = ? AND status = 'active'", [user_id])
    )


def get_item(db: Database, item_id: int) -> DrillItem | None:
    return _item(_one(db, f"{_ITEM_SQL} WHERE i.id = ?", [item_id]))


def next_item(db: Database, drill_id: int) -> DrillItem | None:
    """The first unanswered item of a drill (sent or not)."""
    return _item(
        _one(
            db,
            f"{_ITEM_SQL} WHERE i.drill_id = ? AND i.answered_at IS NULL "
            "ORDER BY i.position LIMIT 1",
            [drill_id],
        )
    )


def drill_items(db: Database, drill_id: int) -> list[DrillItem]:
    rows = db.query(f"{_ITEM_SQL} WHERE i.drill_id = ? ORDER BY i.position", [drill_id])
    return [i for i in map(_item, rows) if i is not None]


def mark_sent(db: Database, item_id: int, chat_id: int, message_id: int, now: datetime) -> None:
    with db.atomic():
        db.execute(
            "UPDATE drill_items SET chat_id = ?, message_id = ?, sent_at = ? WHERE id = ?",
            [chat_id, message_id, iso(now), item_id],
        )


def record_answer(
    db: Database,
    item: DrillItem,
    chosen: int,
    correct: bool,
    rating: int,
    now: datetime,
    srs_card_json: str,
    srs_due: datetime,
) -> bool:
    """Commit one answer and its FSRS card together; False if it was already answered."""
    with db.atomic():
        cur = db.execute(
            """UPDATE drill_items SET answered_at = ?, chosen = ?, correct = ?, rating = ?
               WHERE id = ? AND answered_at IS NULL""",
            [iso(now), chosen, int(correct), rating, item.id],
        )
        if cur.rowcount != 1:
            return False
        db.execute(
            """INSERT INTO srs (user_id, question_id, card_json, due) VALUES (?, ?, ?, ?)
               ON CONFLICT(user_id, question_id) DO UPDATE SET card_json = excluded.card_json,
                   due = excluded.due""",
            [item.user_id, item.question_id, srs_card_json, iso(srs_due)],
        )
    return True


def finish_drill(db: Database, drill_id: int, status: str, now: datetime) -> bool:
    with db.atomic():
        cur = db.execute(
            "UPDATE drills SET status = ?, finished_at = ? WHERE id = ? AND status = 'active'",
            [status, iso(now), drill_id],
        )
    return cur.rowcount == 1


def srs_states(db: Database, user_id: int) -> list[tuple[str, str, str]]:
    """(question id, FSRS card JSON, due) of every question the user has answered."""
    return [
        (r["question_id"], r["card_json"], r["due"])
        for r in db.query(
            "SELECT question_id, card_json, due FROM srs WHERE user_id = ?", [user_id]
        )
    ]


def record_card_view(db: Database, user_id: int, card: str, now: datetime) -> None:
    with db.atomic():
        db.execute(
            "INSERT INTO card_views (user_id, card, viewed_at) VALUES (?, ?, ?)",
            [user_id, card, iso(now)],
        )


def cards_looked_up_since(db: Database, user_id: int, since: datetime | None) -> set[str]:
    """Cards the user was shown (answers and opened cards) since a time (or ever)."""
    start = iso(since) if since is not None else ""
    rows = db.query(
        """SELECT card FROM questions WHERE user_id = ? AND tier = 'answer' AND card IS NOT NULL
               AND created_at >= ?
           UNION SELECT card FROM card_views WHERE user_id = ? AND viewed_at >= ?""",
        [user_id, start, user_id, start],
    )
    return {r["card"] for r in rows}


def last_drill_started(db: Database, user_id: int) -> datetime | None:
    row = _one(db, "SELECT MAX(started_at) AS t FROM drills WHERE user_id = ?", [user_id])
    return parse_iso(row["t"]) if row and row["t"] else None


def finished_drill_times(db: Database, user_id: int) -> list[datetime]:
    return [
        parse_iso(r["finished_at"])
        for r in db.query(
            "SELECT finished_at FROM drills WHERE user_id = ? AND status = 'done' "
            "ORDER BY finished_at",
            [user_id],
        )
    ]


def answers_between(
    db: Database, user_id: int, start: datetime, end: datetime
) -> list[tuple[datetime, bool, str]]:
    """(answered at, correct, activity) of a user's answers in [start, end)."""
    return [
        (parse_iso(r["answered_at"]), bool(r["correct"]), r["activity"])
        for r in db.query(
            """SELECT answered_at, correct, activity FROM drill_items WHERE user_id = ?
           AND answered_at >= ? AND answered_at < ? ORDER BY answered_at""",
            [user_id, iso(start), iso(end)],
        )
    ]


@dataclass(frozen=True)
class Reminder:
    user_id: int
    time: str
    days: tuple[int, ...]
    enabled: bool
    last_sent_on: str | None


def get_reminder(db: Database, user_id: int) -> Reminder:
    """The user's reminder settings (defaults: 09:30, Monday–Friday, on)."""
    row = _one(db, "SELECT * FROM reminders WHERE user_id = ?", [user_id])
    if row is None:
        return Reminder(user_id, "09:30", (1, 2, 3, 4, 5), True, None)
    days = tuple(int(d) for d in row["days"].split(",") if d)
    return Reminder(user_id, row["time"], days, bool(row["enabled"]), row["last_sent_on"])


def set_reminder(
    db: Database,
    user_id: int,
    *,
    time: str | None = None,
    days: tuple[int, ...] | None = None,
    enabled: bool | None = None,
) -> Reminder:
    current = get_reminder(db, user_id)
    new_time = time if time is not None else current.time
    new_days = days if days is not None else current.days
    new_enabled = enabled if enabled is not None else current.enabled
    with db.atomic():
        db.execute(
            """INSERT INTO reminders (user_id, time, days, enabled) VALUES (?, ?, ?, ?)
               ON CONFLICT(user_id) DO UPDATE SET time = excluded.time, days = excluded.days,
                   enabled = excluded.enabled""",
            [user_id, new_time, ",".join(map(str, sorted(set(new_days)))), int(new_enabled)],
        )
    return get_reminder(db, user_id)


def mark_reminder_sent(db: Database, user_id: int, local_date: str) -> None:
    with db.atomic():
        db.execute(
            """INSERT INTO reminders (user_id, last_sent_on) VALUES (?, ?)
               ON CONFLICT(user_id) DO UPDATE SET last_sent_on = excluded.last_sent_on""",
            [user_id, local_date],
        )


def reminder_users(db: Database) -> list[Reminder]:
    """Reminders of every active, consented user (defaults for those who never chose)."""
    rows = db.query(
        """SELECT u.id AS uid, r.* FROM users u LEFT JOIN reminders r ON r.user_id = u.id
           WHERE u.active = 1 AND u.consent_at IS NOT NULL"""
    )
    out = []
    for row in rows:
        if row["user_id"] is None:
            out.append(Reminder(row["uid"], "09:30", (1, 2, 3, 4, 5), True, None))
        else:
            days = tuple(int(d) for d in row["days"].split(",") if d)
            out.append(
                Reminder(row["uid"], row["time"], days, bool(row["enabled"]), row["last_sent_on"])
            )
    return out


def drop_item(db: Database, item_id: int) -> bool:
    """Take an unanswered item out of its drill (its question left the knowledge)."""
    with db.atomic():
        cur = db.execute("DELETE FROM drill_items WHERE id = ? AND answered_at IS NULL", [item_id])
    return cur.rowcount == 1
