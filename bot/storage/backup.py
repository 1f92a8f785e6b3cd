"""Database files as a whole: online copies, integrity checks, which migrations a file has.

These open their own sqlite3 connections by path (never the bot's `Database`), so they may
run in a worker thread while the bot goes on writing.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from bot.storage.schema import migrations

MIGRATION_SET = "shopcoach"


def copy_online(source: Path, dest: Path) -> None:
    """Copy the database at `source` into a new file `dest` with SQLite's online backup.

    One step (pages=-1): the copy is a consistent snapshot of one moment, taken under a read
    transaction; in WAL mode the bot's writes go on meanwhile and are not in the copy.
    """
    with (
        closing(sqlite3.connect(source)) as src,
        closing(sqlite3.connect(dest)) as dst,
    ):
        src.execute("PRAGMA busy_timeout = 5000")
        src.execute("PRAGMA query_only = ON")
        src.backup(dst, pages=-1)
        # A plain rollback-journal file: one file to keep, copy or mail, no -wal beside it.
        dst.execute("PRAGMA journal_mode = DELETE")


def integrity_check(path: Path) -> str:
    """'ok', or SQLite's first problems with the file (also for a file that is not SQLite)."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            rows = conn.execute("PRAGMA integrity_check(5)").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return "; ".join(str(r[0]) for r in rows) or "no answer"


def applied_migrations(path: Path) -> list[str] | None:
    """The ShopCoach migrations a database file has applied, oldest first; None if it has
    no migration table (not a ShopCoach database)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        has = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'"
        ).fetchone()
        if has is None:
            return None
        rows = conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid",
            [MIGRATION_SET],
        ).fetchall()
    return [str(r[0]) for r in rows]


def known_migrations() -> list[str]:
    """The migration names this code has, in order."""
    return [m.name for m in migrations._migrations]


def checkpoint(path: Path) -> None:
    """Fold the write-ahead log into the file, so the file alone holds everything."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def set_wal(path: Path) -> None:
    """Put a database file in WAL mode (the bot's mode; a restored copy may not be)."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
