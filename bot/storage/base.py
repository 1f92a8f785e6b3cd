"""What every storage module shares: roles, the time format, transactions, one-row queries.

Times are stored as ISO-8601 UTC text; functions take the clock as an argument (`now`) so
tests can move time without sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
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


def _one(db: Database, sql: str, params: Any = ()) -> dict[str, Any] | None:
    """The first row of a query, or None; shared by the area modules of this package."""
    return next(iter(db.query(sql, params)), None)
