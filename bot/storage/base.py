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
    """The first row of a query, or None; shared by the area modules of this package."""
    return next(iter(db.query(sql, params)), None)
