"""What every storage module shares: roles, the time format, transactions, one-row queries.

Times are stored as ISO-8601 UTC text; functions take the clock as an argument (`now`) so
tests can move time without sleeping.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlite_utils import Database

Role = Literal["staff", "supervisor", "admin"]
ROLES: tuple[Role, ...] = ("staff", "supervisor", "admin")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


def utcnow() -> datetime:
    return datetime.now(UTC)


@contextmanager
def atomic(db: Database) -> Iterator[Database]:
    with db.atomic():
        yield db


_NORMAL = 1  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA


@contextmanager
def relaxed(db: Database) -> Iterator[Database]:
    """A transaction committed without waiting for the disk (WAL, `synchronous = NORMAL`).

    Only for writes whose loss in a power cut or an OS crash is harmless: a question's log
    line, which message shows a drill question (lost: the question is sent again at start),
    a reminder's mark (lost: sent again, at least once as before), a card view. A crash of
    the bot itself loses nothing committed either way (the WAL is already in the OS's
    hands); what changes is that the commit does not block the event loop on an fsync —
    under load that cost more than the matcher. Every other write, an acknowledged drill
    answer first, keeps `synchronous = FULL` (open_db), and its fsync also makes the
    relaxed commits before it durable.
    """
    level = db.conn.execute("PRAGMA synchronous").fetchone()[0]
    if db.conn.in_transaction or level <= _NORMAL:
        with db.atomic():
            yield db
        return
    db.conn.execute("PRAGMA synchronous = NORMAL")
    try:
        with db.atomic():
            yield db
    finally:
        db.conn.execute(f"PRAGMA synchronous = {int(level)}")


@contextmanager
def immediate(db: Database) -> Iterator[Database]:
    """A write transaction that takes the write lock at BEGIN (`BEGIN IMMEDIATE`).

    A deferred BEGIN that reads, then writes, fails with "database is locked" when another
    connection wrote in between (SQLITE_BUSY_SNAPSHOT, which busy_timeout cannot wait out);
    taking the lock first makes read-check-write sequences such as redeeming an invite
    wait their turn instead. Inside an open transaction it is a savepoint, like atomic().
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.rollback()
        raise
    db.conn.execute("COMMIT")


@contextmanager
def reading(path: Path) -> Iterator[Database]:
    """A read-only connection of its own, for a worker thread: the bot's `Database` belongs
    to the event loop's thread (one connection per thread). query_only: it can never write."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA query_only = ON")
        yield Database(conn)


def _one(db: Database, sql: str, params: Any = ()) -> dict[str, Any] | None:
    """The first row of a SELECT, or None; shared by the area modules of this package.

    Read straight from the connection: sqlite-utils 4's `query()` wraps every statement in a
    SAVEPOINT and a RELEASE (so that a statement returning no rows can be undone), three
    statements for one read, on the path of every message (the sender, their walk-through)."""
    # Closed at once: an open SELECT would hold its WAL snapshot (and block checkpoints).
    with closing(db.conn.execute(sql, params)) as cursor:
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cursor.description], row, strict=True))
