"""Drills and their items, spaced-repetition (FSRS) states, cards looked up, answer history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.storage.base import _one, iso, parse_iso, relaxed


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
    rank: int = 0  # how many items of its drill come before it (positions may have gaps)


_ITEM_SQL = """
    SELECT i.*, d.status AS drill_status,
           (SELECT COUNT(*) FROM drill_items j WHERE j.drill_id = i.drill_id) AS drill_size,
           (SELECT COUNT(*) FROM drill_items j
            WHERE j.drill_id = i.drill_id AND j.position < i.position) AS rank
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
        row["rank"],
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
    with relaxed(db):
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
    with relaxed(db):
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


def drop_item(db: Database, item_id: int) -> bool:
    """Take an unanswered item out of its drill (its question left the knowledge)."""
    with db.atomic():
        cur = db.execute("DELETE FROM drill_items WHERE id = ? AND answered_at IS NULL", [item_id])
    return cur.rowcount == 1


def expire_drills(db: Database, day_start: datetime) -> int:
    """Stop every drill still active that was started before `day_start` (a local midnight):
    a drill left unfinished ends with its day. Returns how many were stopped."""
    with db.atomic():
        cur = db.execute(
            """UPDATE drills SET status = 'stopped', finished_at = :end
               WHERE status = 'active' AND started_at < :end""",
            {"end": iso(day_start)},
        )
    return int(cur.rowcount)


def active_drills(db: Database) -> list[Drill]:
    """Every drill in progress (the partial index drills_one_active holds only these)."""
    rows = db.query("SELECT * FROM drills WHERE status = 'active' ORDER BY id")
    return [d for d in map(_drill, rows) if d is not None]
