"""Daily drill reminders: who is due (policy) and the scheduler that keeps one job per user.

The scheduler is a long-lived service kept in `BotState`. It is given the job callback by
the composition root, so `bot/` never imports `handlers/`. It remembers its jobs by user id,
so (re)scheduling one user never scans every job.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database
from telegram.ext import Job, JobQueue

from bot import progress, storage
from bot.storage import Reminder, User

JobCallback = Callable[[Any], Coroutine[Any, Any, None]]


def job_name(user_id: int) -> str:
    return f"remind:{user_id}"


def due_reminder(db: Database, user_id: int, now: datetime, tz: ZoneInfo) -> User | None:
    """The user to remind now, or None: not one who left, declined, is mid-drill or done."""
    user = storage.get_user(db, user_id)
    if user is None or not user.active or not user.consented:
        return None
    rem = storage.get_reminder(db, user_id)
    today = progress.local_day(now, tz).isoformat()
    if not rem.enabled or rem.last_sent_on == today:
        return None
    done_today = any(
        progress.local_day(moment, tz).isoformat() == today
        for moment in storage.finished_drill_times(db, user_id)
    )
    if storage.active_drill(db, user_id) is not None or done_today:
        return None
    return user


def mark_sent(db: Database, user_id: int, now: datetime, tz: ZoneInfo) -> None:
    storage.mark_reminder_sent(db, user_id, progress.local_day(now, tz).isoformat())


def stop_for(db: Database, user_id: int) -> None:
    """They blocked the bot: no reminders until they write again."""
    storage.set_active(db, user_id, False)


class ReminderScheduler:
    """One PTB daily job per user with a reminder; catch-up sends for missed ones."""

    def __init__(
        self,
        job_queue: JobQueue | None,
        tz: ZoneInfo,
        callback: JobCallback,  # type: ignore[type-arg]
    ) -> None:
        self.job_queue = job_queue
        self.tz = tz
        self.callback = callback
        self._jobs: dict[int, Job] = {}  # type: ignore[type-arg]

    def cancel(self, user_id: int) -> None:
        job = self._jobs.pop(user_id, None)
        if job is not None and not job.removed:
            job.schedule_removal()

    def schedule(self, rem: Reminder) -> None:
        """(Re)place one user's daily job; a disabled reminder just removes it."""
        self.cancel(rem.user_id)
        if self.job_queue is None or not rem.enabled or not rem.days:
            return
        self._jobs[rem.user_id] = self.job_queue.run_daily(
            self.callback,
            time=progress.reminder_time(rem, self.tz),
            days=progress.ptb_days(rem.days),
            name=job_name(rem.user_id),
            data=rem.user_id,
            chat_id=rem.user_id,
            user_id=rem.user_id,
        )

    def refresh(self, db: Database, user_id: int) -> None:
        """Schedule a user's reminder as stored now (after consent, a settings change …)."""
        self.schedule(storage.get_reminder(db, user_id))

    def rebuild(self, db: Database, now: datetime) -> int:
        """Schedule every reminder from the database and catch up today's missed ones."""
        missed = 0
        for rem in storage.reminder_users(db):
            self.schedule(rem)
            if self.job_queue is not None and progress.missed_today(rem, now, self.tz):
                # Down at reminder time: send it once now, still the same day.
                self.job_queue.run_once(
                    self.callback,
                    0,
                    data=rem.user_id,
                    chat_id=rem.user_id,
                    name=f"catchup:{rem.user_id}",
                )
                missed += 1
        return missed
