"""Daily drill reminders on PTB's JobQueue, rebuilt from SQLite at start-up."""

from __future__ import annotations

import logging
from typing import cast

from telegram.error import Forbidden
from telegram.ext import Application, JobQueue

from bot import progress, storage
from bot.context import BotState, ShopContext
from bot.storage import Reminder
from bot.texts import t
from handlers.common import markup

log = logging.getLogger(__name__)


def job_name(user_id: int) -> str:
    return f"remind:{user_id}"


def schedule(job_queue: JobQueue, state: BotState, rem: Reminder) -> None:  # type: ignore[type-arg]
    """(Re)place one user's daily job; a disabled reminder just removes it."""
    for job in job_queue.get_jobs_by_name(job_name(rem.user_id)):
        job.schedule_removal()
    if not rem.enabled or not rem.days:
        return
    assert state.settings is not None
    tz = state.settings.tz
    job_queue.run_daily(
        send_reminder,
        time=progress.reminder_time(rem, tz),
        days=progress.ptb_days(rem.days),
        name=job_name(rem.user_id),
        data=rem.user_id,
        chat_id=rem.user_id,
        user_id=rem.user_id,
    )


def rebuild(app: Application) -> int:  # type: ignore[type-arg]
    """Schedule every reminder from the database and catch up today's missed ones."""
    state: BotState = app.bot_data
    assert state.db is not None
    assert state.settings is not None
    assert app.job_queue is not None
    now, tz = state.clock(), state.settings.tz
    missed = 0
    for rem in storage.reminder_users(state.db):
        schedule(app.job_queue, state, rem)
        if progress.missed_today(rem, now, tz):
            # Down at reminder time: send it once now, still the same day.
            app.job_queue.run_once(
                send_reminder,
                0,
                data=rem.user_id,
                chat_id=rem.user_id,
                name=f"catchup:{rem.user_id}",
            )
            missed += 1
    return missed


async def send_reminder(context: ShopContext) -> None:
    """Offer today's drill with one button; a user who blocked the bot is marked inactive."""
    assert context.job is not None
    user_id = cast(int, context.job.data)
    db, tz = context.db, context.settings.tz
    user = storage.get_user(db, user_id)
    rem = storage.get_reminder(db, user_id)
    today = progress.local_day(context.now(), tz).isoformat()
    if (
        user is None
        or not user.active
        or not user.consented
        or not rem.enabled
        or rem.last_sent_on == today
    ):
        return
    # Someone mid-drill, or done for today, needs no nudge.
    done_today = any(
        progress.local_day(t, tz).isoformat() == today
        for t in storage.finished_drill_times(db, user_id)
    )
    if storage.active_drill(db, user_id) is not None or done_today:
        return
    text = t("reminder.text", user.language, n=context.settings.drill_size)
    try:
        await context.bot.send_message(
            user_id, text, reply_markup=markup([[(t("btn.start_drill", user.language), "dr:s")]])
        )
    except Forbidden:
        log.info("user %s blocked the bot; reminders off until they write again", user_id)
        storage.set_active(db, user_id, False)
        if context.job_queue is not None:
            for job in context.job_queue.get_jobs_by_name(job_name(user_id)):
                job.schedule_removal()
        return
    storage.mark_reminder_sent(db, user_id, today)
