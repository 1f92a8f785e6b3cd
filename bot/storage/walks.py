"""Guided troubleshooting: walk-throughs in progress and done, the answers given in each,
and what supervisors and trainers read back (faults of a week, which step fixes a card)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.storage.base import _one, iso, parse_iso

OPEN = ("active", "evidence", "since")


@dataclass(frozen=True)
class WalkRow:
    id: int
    user_id: int
    team_id: int | None
    card: str
    status: str
    step: str | None
    turn: int
    started_at: datetime
    ended_at: datetime | None
    fixed_step: str | None
    evidence_text: str | None
    evidence_photo: str | None
    since: str | None
    reported_at: datetime | None
    taken_by: int | None

    @property
    def open(self) -> bool:
        return self.status in OPEN


@dataclass(frozen=True)
class WalkAnswer:
    turn: int
    step: str
    outcome: str  # next, fixed, help, or a:<answer index>
    at: datetime


def _when(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None


def _walk(row: dict[str, Any] | None) -> WalkRow | None:
    if row is None:
        return None
    return WalkRow(
        row["id"],
        row["user_id"],
        row["team_id"],
        row["card"],
        row["status"],
        row["step"],
        row["turn"],
        parse_iso(row["started_at"]),
        _when(row["ended_at"]),
        row["fixed_step"],
        row["evidence_text"],
        row["evidence_photo"],
        row["since"],
        _when(row["reported_at"]),
        row["taken_by"],
    )


def start_walk(
    db: Database, user_id: int, team_id: int | None, card: str, step: str, now: datetime
) -> WalkRow | None:
    """A new walk-through at its first step; None if the user already has one open."""
    with db.atomic():
        if _one(
            db,
            "SELECT id FROM walks WHERE user_id = ? AND status IN ('active','evidence','since')",
            [user_id],
        ):
            return None
        cur = db.execute(
            "INSERT INTO walks (user_id, team_id, card, step, started_at) VALUES (?, ?, ?, ?, ?)",
            [user_id, team_id, card, step, iso(now)],
        )
    return get_walk(db, int(cur.lastrowid or 0))


def get_walk(db: Database, walk_id: int) -> WalkRow | None:
    return _walk(_one(db, "SELECT * FROM walks WHERE id = ?", [walk_id]))


def open_walk(db: Database, user_id: int) -> WalkRow | None:
    return _walk(
        _one(
            db,
            "SELECT * FROM walks WHERE user_id = ? AND status IN ('active','evidence','since')",
            [user_id],
        )
    )


def walk_answers(db: Database, walk_id: int) -> list[WalkAnswer]:
    return [
        WalkAnswer(r["turn"], r["step"], r["outcome"], parse_iso(r["at"]))
        for r in db.query("SELECT * FROM walk_steps WHERE walk_id = ? ORDER BY turn", [walk_id])
    ]


def advance_walk(
    db: Database,
    walk: WalkRow,
    outcome: str,
    now: datetime,
    *,
    step: str | None = None,
    status: str = "active",
) -> bool:
    """Record the answer to the step shown at `walk.turn` and move on, atomically; False if
    that turn was answered already (a double tap, or a button from another device)."""
    with db.atomic():
        cur = db.execute(
            """UPDATE walks SET turn = turn + 1, step = ?, status = ?,
                   ended_at = CASE WHEN ? = 'active' THEN ended_at ELSE ? END,
                   fixed_step = CASE WHEN ? = 'fixed' THEN ? ELSE fixed_step END
               WHERE id = ? AND turn = ? AND status = 'active'""",
            [
                step if status == "active" else walk.step,
                status,
                status,
                iso(now),
                status,
                walk.step,
                walk.id,
                walk.turn,
            ],
        )
        if cur.rowcount != 1:
            return False
        db.execute(
            "INSERT INTO walk_steps (walk_id, turn, step, outcome, at) VALUES (?, ?, ?, ?, ?)",
            [walk.id, walk.turn, walk.step or "", outcome, iso(now)],
        )
    return True


def set_walk_status(
    db: Database, walk_id: int, old: tuple[str, ...], new: str, now: datetime
) -> bool:
    """Move a walk from one of the `old` statuses to `new`; False if it was in none of them."""
    marks = ",".join("?" for _ in old)
    with db.atomic():
        cur = db.execute(
            f"""UPDATE walks SET status = ?,
                   reported_at = CASE WHEN ? = 'escalated' THEN ? ELSE reported_at END,
                   ended_at = COALESCE(ended_at, ?)
               WHERE id = ? AND status IN ({marks})""",
            [new, new, iso(now), iso(now), walk_id, *old],
        )
    return cur.rowcount == 1


def set_evidence(db: Database, walk_id: int, text: str | None, photo: str | None) -> None:
    """Keep what the screen said: the latest photo, the error text (the latest wins)."""
    with db.atomic():
        db.execute(
            """UPDATE walks SET evidence_text = COALESCE(?, evidence_text),
                   evidence_photo = COALESCE(?, evidence_photo) WHERE id = ?""",
            [text, photo, walk_id],
        )


def set_since(db: Database, walk_id: int, since: str) -> bool:
    with db.atomic():
        cur = db.execute(
            "UPDATE walks SET since = ? WHERE id = ? AND status = 'since'", [since, walk_id]
        )
    return cur.rowcount == 1


def take_walk(db: Database, walk_id: int, user_id: int, now: datetime) -> bool:
    """The first supervisor to take an escalated walk-through gets it; False if taken."""
    with db.atomic():
        cur = db.execute(
            """UPDATE walks SET taken_by = ?, taken_at = ?
               WHERE id = ? AND status = 'escalated' AND taken_by IS NULL""",
            [user_id, iso(now), walk_id],
        )
    return cur.rowcount == 1


def walks_between(
    db: Database, team_ids: list[int] | None, start: datetime, end: datetime
) -> list[WalkRow]:
    """Finished and escalated walk-throughs started in [start, end), of some teams (or all)."""
    sql = "SELECT * FROM walks WHERE started_at >= ? AND started_at < ?"
    params: list[Any] = [iso(start), iso(end)]
    if team_ids is not None:
        sql += f" AND team_id IN ({','.join('?' for _ in team_ids)})"
        params += team_ids
    rows = db.query(sql + " ORDER BY started_at", params)
    return [w for w in map(_walk, rows) if w is not None]


def open_escalations(
    db: Database, team_ids: list[int] | None, limit: int = 20
) -> tuple[int, list[WalkRow]]:
    """How many escalated walk-throughs no supervisor has taken yet, and the oldest `limit`."""
    where = "WHERE status = 'escalated' AND taken_by IS NULL"
    params: list[Any] = []
    if team_ids is not None:
        # `+team_id`: read the small partial index walks_untaken, in reported_at order,
        # rather than every walk of the teams.
        where += f" AND +team_id IN ({','.join('?' for _ in team_ids)})"
        params += team_ids
    row = _one(db, f"SELECT COUNT(*) AS n FROM walks {where}", params)
    rows = db.query(f"SELECT * FROM walks {where} ORDER BY reported_at LIMIT ?", [*params, limit])
    return (row["n"] if row else 0), [w for w in map(_walk, rows) if w is not None]


def step_outcomes(db: Database) -> list[tuple[str, str, str, int]]:
    """(card, step, outcome, count) over every finished walk-through: how often each step
    was reached and what happened there."""
    return [
        (r["card"], r["step"], r["outcome"], r["n"])
        for r in db.query(
            """SELECT w.card, s.step, s.outcome, COUNT(*) AS n
               FROM walk_steps s JOIN walks w ON w.id = s.walk_id
               WHERE w.status IN ('fixed','escalated')
               GROUP BY w.card, s.step, s.outcome"""
        )
    ]


def walk_counts(db: Database) -> list[tuple[str, str, int]]:
    """(card, status, count) of every walk-through that ended."""
    return [
        (r["card"], r["status"], r["n"])
        for r in db.query(
            """SELECT card, status, COUNT(*) AS n FROM walks
               WHERE status IN ('fixed','escalated') GROUP BY card, status"""
        )
    ]
