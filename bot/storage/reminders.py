"""Daily drill reminders: each user's time, weekdays and on/off, and when one was last sent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from bot.storage.base import _one


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
