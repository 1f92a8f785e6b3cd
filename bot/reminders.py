"""Daily drill reminders: who is due (policy), and the scheduler that sweeps and sends.

Design (issue 15): one JobQueue job a minute asks the database who is due — one indexed
query (`storage.due_reminders`) in the bot's time zone — and hands the users to a sender
worker. The worker sends through the rate limiter's bulk lane (`bot.ratelimit.BULK`), so
replies to people talking to the bot always go first and the fan-out takes only the slots
they leave (up to ~29.5 a second when no one is talking). Nothing is kept per user in
memory beyond the queue of users found due and not yet sent.

Once a day, per user: `reminders.last_sent_on` holds the local date the reminder was sent
(or found unneeded: a drill already done today). It is committed right after each send, so
a restart — clean or kill -9 — resumes the fan-out where it stopped: the first sweep after
start finds exactly the users not yet marked. Reminders missed while the bot was down are
simply due at that first sweep (the same day only).

Delivery is AT-LEAST-ONCE for the sends in flight at a crash: a reminder whose sendMessage
had left but whose mark was not yet committed is sent again after the restart. At most
`window` sends are in flight (with the fake server ~1, with Telegram's round trip ~3); every
other user gets exactly one. (At-most-once — marking before sending — would instead lose
those reminders for the day, which the issue counts as worse.)

A drill left unfinished ends with its local day (`expire_drills`, status 'stopped'); a drill
in progress today only postpones the reminder (until it is finished: then none is needed,
or stopped: then it is sent), so an abandoned drill never silences reminders.

The scheduler is a long-lived service kept in `BotState`. The composition root gives it the
send function, so `bot/` never imports `handlers/`. Services call `cancel`, `refresh` and
`schedule` when a user's situation changes; with the database as the one truth these are
cheap: `cancel` drops a queued user, the other two are no-ops (the next sweep reads the
stored settings).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database
from telegram.ext import JobQueue

from bot import storage
from bot.storage import Reminder, User

log = logging.getLogger(__name__)

SendOne = Callable[[int], Awaitable[None]]


@dataclass(frozen=True)
class Day:
    """'Today' in the bot's time zone, in the forms the due query takes."""

    date: str  # local date, ISO
    hhmm: str  # local time now, HH:MM
    weekday: int  # ISO weekday, 1 = Monday
    start: datetime  # local midnight (aware)

    @classmethod
    def of(cls, now: datetime, tz: ZoneInfo) -> Day:
        local = now.astimezone(tz)
        start = datetime.combine(local.date(), time(0, 0), tzinfo=tz)
        return cls(local.date().isoformat(), local.strftime("%H:%M"), local.isoweekday(), start)


def _due(db: Database, day: Day, user_id: int | None = None) -> list[tuple[int, bool]]:
    return storage.due_reminders(
        db,
        today=day.date,
        hhmm=day.hhmm,
        weekday=day.weekday,
        day_start=storage.iso(day.start),
        user_id=user_id,
    )


def due_now(db: Database, now: datetime, tz: ZoneInfo) -> list[int]:
    """Users to remind now, in reminder-time order; those who already did today's drill are
    marked done for the day instead (no reminder needed)."""
    day = Day.of(now, tz)
    rows = _due(db, day)
    done = [uid for uid, done_today in rows if done_today]
    if done:
        storage.mark_reminders_handled(db, done, day.date)
    return [uid for uid, done_today in rows if not done_today]


def due_reminder(db: Database, user_id: int, now: datetime, tz: ZoneInfo) -> User | None:
    """The user if their reminder is due right now (asked again just before sending)."""
    day = Day.of(now, tz)
    rows = _due(db, day, user_id)
    if not rows:
        return None
    if rows[0][1]:
        storage.mark_reminders_handled(db, [user_id], day.date)
        return None
    return storage.get_user(db, user_id)


def mark_sent(db: Database, user_id: int, now: datetime, tz: ZoneInfo) -> None:
    storage.mark_reminder_sent(db, user_id, Day.of(now, tz).date)


def stop_for(db: Database, user_id: int) -> None:
    """They blocked the bot: no reminders until they write again."""
    storage.set_active(db, user_id, False)


def expire_drills(db: Database, now: datetime, tz: ZoneInfo) -> int:
    """End drills left unfinished on an earlier local day (status 'stopped')."""
    return storage.expire_drills(db, Day.of(now, tz).start)


def seconds_to_next_minute(now: datetime) -> float:
    nxt = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
    return (nxt - now).total_seconds()


class ReminderScheduler:
    """The minute sweep and the sender worker (see the module docstring)."""

    def __init__(self, tz: ZoneInfo, send: SendOne | None = None, *, window: int = 8) -> None:
        self.tz = tz
        self.send = send
        self.window = window
        self._queue: deque[int] = deque()
        self._pending: set[int] = set()
        self._wake: asyncio.Event | None = None
        self._worker: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._idle: asyncio.Event | None = None
        self.sent = 0

    # --- what services call when a user's situation changes --------------------------

    def cancel(self, user_id: int) -> None:
        """Forget a user found due and not yet sent (they left, blocked the bot …)."""
        self._pending.discard(user_id)

    def schedule(self, rem: Reminder) -> None:
        """A user's reminder settings changed: nothing to do, the next sweep reads them."""
        if not rem.enabled:
            self.cancel(rem.user_id)

    def refresh(self, db: Database, user_id: int) -> None:
        """A user may be due again (consented, unblocked): the next sweep will see it."""

    # --- the minute job and the worker -------------------------------------------------

    def start(
        self, job_queue: JobQueue | None, now: datetime, *, every_minute: bool = True
    ) -> None:  # type: ignore[type-arg]
        """Start the worker; sweep once right away (missed reminders) and every minute."""
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._worker = asyncio.get_running_loop().create_task(self._run(), name="reminders")
        if job_queue is None:
            return
        job_queue.run_once(self._tick, 0, name="reminders:start")
        if every_minute:
            job_queue.run_repeating(
                self._tick,
                interval=60,
                first=seconds_to_next_minute(now),
                name="reminders:sweep",
                job_kwargs={"misfire_grace_time": None, "coalesce": True},
            )

    async def _tick(self, context: Any) -> None:
        state = context.bot_data
        if state.db is not None:
            self.sweep(state.db, state.clock())

    def sweep(self, db: Database, now: datetime) -> int:
        """Expire yesterday's drills, find who is due and queue them; how many were queued."""
        expired = expire_drills(db, now, self.tz)
        if expired:
            log.info("%d unfinished drill(s) from an earlier day stopped", expired)
        added = 0
        for uid in due_now(db, now, self.tz):
            if uid not in self._pending:
                self._pending.add(uid)
                self._queue.append(uid)
                added += 1
        if added:
            log.info("%d reminder(s) due; sending", added)
            if self._idle is not None:
                self._idle.clear()
            if self._wake is not None:
                self._wake.set()
        return added

    async def _run(self) -> None:
        assert self._wake is not None
        assert self._idle is not None
        room = asyncio.Semaphore(self.window)
        while True:
            if not self._queue:
                if not self._in_flight:
                    self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            uid = self._queue.popleft()
            if uid not in self._pending:
                continue  # cancelled meanwhile
            await room.acquire()
            task = asyncio.get_running_loop().create_task(self._one(uid, room))
            self._in_flight.add(task)

    async def _one(self, uid: int, room: asyncio.Semaphore) -> None:
        try:
            if self.send is not None:
                await self.send(uid)
                self.sent += 1
        except Exception:
            log.exception("a reminder could not be sent; the next sweep tries again")
        finally:
            self._pending.discard(uid)
            room.release()
            task = asyncio.current_task()
            if task is not None:
                self._in_flight.discard(task)  # type: ignore[arg-type]
            if not self._queue and not self._in_flight and self._idle is not None:
                self._idle.set()

    @property
    def queued(self) -> int:
        return len(self._pending)

    async def drain(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until every queued reminder was sent (tests)."""
        if self._idle is not None:
            await asyncio.wait_for(self._idle.wait(), timeout)

    async def stop(self) -> None:
        tasks = [t for t in (self._worker, *self._in_flight) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._worker = None
        self._in_flight.clear()
