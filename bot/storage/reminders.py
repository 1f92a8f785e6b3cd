"""Daily drill reminders: each user's time, weekdays and on/off, and when one was last sent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from bot.storage.base import _one, relaxed


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
    with relaxed(db):
        db.execute(
            """INSERT INTO reminders (user_id, last_sent_on) VALUES (?, ?)
               ON CONFLICT(user_id) DO UPDATE SET last_sent_on = excluded.last_sent_on""",
            [user_id, local_date],
        )


def due_reminders(
    db: Database,
    *,
    today: str,
    hhmm: str,
    weekday: int,
    day_start: str,
    user_id: int | None = None,
) -> list[tuple[int, bool]]:
    """(user id, finished a drill today) of everyone whose reminder is due and not yet handled.

    Due: enabled, today's ISO `weekday` among their days, their time (local HH:MM) at or
    before `hhmm`, `last_sent_on` before `today` (local dates), active and consented, and not
    in a drill started today (`day_start`: today's local midnight as stored UTC text). One
    indexed query (reminders_due); `user_id` asks about one user only.
    """
    sql = """
        SELECT r.user_id,
            EXISTS (SELECT 1 FROM drills d WHERE d.user_id = r.user_id AND d.status = 'done'
                    AND d.finished_at >= :day_start) AS done_today
        FROM reminders r JOIN users u ON u.id = r.user_id
        WHERE r.enabled = 1 AND (r.last_sent_on IS NULL OR r.last_sent_on < :today)
          AND r.time <= :hhmm AND instr(',' || r.days || ',', :day) > 0
          AND u.active = 1 AND u.consent_at IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM drills d WHERE d.user_id = r.user_id
                          AND d.status = 'active' AND d.started_at >= :day_start)"""
    params: dict[str, object] = {
        "today": today,
        "hhmm": hhmm,
        "day": f",{weekday},",
        "day_start": day_start,
    }
    if user_id is not None:
        sql += " AND r.user_id = :uid"
        params["uid"] = user_id
    rows = db.execute(sql + " ORDER BY r.time, r.user_id", params).fetchall()
    return [(int(uid), bool(done)) for uid, done in rows]


def mark_reminders_handled(db: Database, user_ids: list[int], local_date: str) -> None:
    """No reminder needed today for these users (they already did a drill): one commit."""
    with db.atomic():
        db.conn.executemany(
            """INSERT INTO reminders (user_id, last_sent_on) VALUES (?, ?)
               ON CONFLICT(user_id) DO UPDATE SET last_sent_on = excluded.last_sent_on""",
            [(uid, local_date) for uid in user_ids],
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
