"""The database schema: every migration in order, and opening a database at the latest one.

To change the schema, append a new function at the end with the next number
(`@migrations(name="0003_what_it_adds")`) and write its DDL with `db.execute()`. Never edit,
rename, reorder or remove a migration that has shipped: databases record the names they have
applied, and a name this code does not know makes it refuse the file (SchemaTooNewError).
"""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database, Migrations

migrations = Migrations("shopcoach")


class SchemaTooNewError(Exception):
    """The database was written by a newer ShopCoach; refuse to touch it."""


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
    # Deleted rows (declined consent, /forgetme) are overwritten, not left in free pages.
    db.execute("PRAGMA secure_delete = ON")
    # Every commit waits for the disk (the default, said here because storage.relaxed
    # lowers it for single loss-tolerant writes and sets it back to this).
    db.execute("PRAGMA synchronous = FULL")
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


# --- migrations, oldest first; append only -------------------------------------------------


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


@migrations(name="0003_team_leads")
def _m0003(db: Database) -> None:
    # A supervisor (an area manager) may lead several teams; their own team stays users.team_id.
    db.execute("""
        CREATE TABLE team_leads (
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
            PRIMARY KEY (user_id, team_id)
        )""")
    db.execute("CREATE INDEX team_leads_team ON team_leads(team_id)")
    db.execute("""
        INSERT INTO team_leads (user_id, team_id)
        SELECT id, team_id FROM users WHERE role = 'supervisor' AND team_id IS NOT NULL""")


@migrations(name="0004_learned_aliases")
def _m0004(db: Database) -> None:
    # A wording staff used that a supervisor attached to a card: the matcher learns it at
    # start-up. It keeps no user link beyond who attached it (the asker is not recorded).
    db.execute("""
        CREATE TABLE learned_aliases (
            id INTEGER PRIMARY KEY,
            text TEXT NOT NULL,
            card TEXT NOT NULL,
            team_id INTEGER REFERENCES teams(id) ON DELETE SET NULL,
            created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL
        )""")
    # Unanswered questions a supervisor has dealt with (attached to a card or dismissed):
    # /unanswered no longer shows them. Deleted with the question (/forgetme).
    db.execute("""
        CREATE TABLE question_reviews (
            question_id INTEGER PRIMARY KEY REFERENCES questions(id) ON DELETE CASCADE,
            outcome TEXT NOT NULL CHECK (outcome IN ('attached','dismissed')),
            alias_id INTEGER REFERENCES learned_aliases(id) ON DELETE SET NULL,
            reviewed_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
            reviewed_at TEXT NOT NULL
        )""")
    # /unanswered reads a team's last 30 days of exactly these rows (the WHERE must match the
    # query's word for word for SQLite to use a partial index).
    db.execute("""
        CREATE INDEX questions_unanswered ON questions(team_id, created_at)
        WHERE tier IN ('none', 'suggest') OR feedback = -1""")


@migrations(name="0005_walkthroughs")
def _m0005(db: Database) -> None:
    # Guided troubleshooting: one row per walk-through, one per answer given in it.
    db.execute("""
        CREATE TABLE walks (
            id INTEGER PRIMARY KEY,               -- carried in button data
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            team_id INTEGER REFERENCES teams(id) ON DELETE SET NULL,
            card TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'active'
                CHECK (status IN ('active','evidence','since','fixed','escalated','abandoned')),
            step TEXT,                            -- the step shown now (while active)
            turn INTEGER NOT NULL DEFAULT 0,      -- answers so far; a button carries it
            started_at TEXT NOT NULL,
            ended_at TEXT,                        -- fixed, or help asked for
            fixed_step TEXT,
            evidence_text TEXT,
            evidence_photo TEXT,                  -- Telegram file_id
            since TEXT,                           -- when the fault started, as chosen
            reported_at TEXT,
            taken_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
            taken_at TEXT
        )""")
    # One walk-through in progress per user, enforced by the database itself.
    db.execute(
        "CREATE UNIQUE INDEX walks_one_open ON walks(user_id) "
        "WHERE status IN ('active','evidence','since')"
    )
    db.execute("CREATE INDEX walks_team_started ON walks(team_id, started_at)")
    db.execute("CREATE INDEX walks_card ON walks(card, status)")
    # Escalations nobody has taken: few, read by every /faults.
    db.execute(
        "CREATE INDEX walks_untaken ON walks(reported_at, team_id) "
        "WHERE status = 'escalated' AND taken_by IS NULL"
    )
    db.execute("""
        CREATE TABLE walk_steps (
            walk_id INTEGER NOT NULL REFERENCES walks(id) ON DELETE CASCADE,
            turn INTEGER NOT NULL,
            step TEXT NOT NULL,
            outcome TEXT NOT NULL,                -- next, fixed, help, or a:<answer index>
            at TEXT NOT NULL,
            PRIMARY KEY (walk_id, turn)
        )""")


@migrations(name="0006_digests")
def _m0006(db: Database) -> None:
    # The weekly digest per supervisor: whether they want it, and the ISO week last sent,
    # so a digest missed while the bot was down is sent once on return, never twice.
    db.execute("""
        CREATE TABLE digests (
            user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
            enabled INTEGER NOT NULL DEFAULT 1,
            last_week TEXT                      -- ISO week of the last digest, e.g. 2026-W49
        )""")


@migrations(name="0007_reminders_due")
def _m0007(db: Database) -> None:
    # Every user gets a reminders row (the defaults), so "who is due now" is one indexed query
    # over reminders instead of a join that fills in defaults for users without a row.
    db.execute("INSERT OR IGNORE INTO reminders (user_id) SELECT id FROM users")
    db.execute("""
        CREATE TRIGGER users_reminder_row AFTER INSERT ON users BEGIN
            INSERT OR IGNORE INTO reminders (user_id) VALUES (NEW.id);
        END""")
    db.execute("CREATE INDEX reminders_due ON reminders(enabled, last_sent_on, time)")
