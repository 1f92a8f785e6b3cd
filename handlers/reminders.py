"""The daily reminder job: JobQueue calls it for one user; it sends the drill offer."""

from __future__ import annotations

import logging
from typing import cast

from telegram.error import Forbidden

from bot import reminders
from bot.context import ShopContext
from bot.reminders import job_name
from bot.render.drill import reminder_view
from handlers.common import send_to

__all__ = ["job_name", "send_reminder"]

log = logging.getLogger(__name__)


async def send_reminder(context: ShopContext) -> None:
    """Offer today's drill with one button; a user who blocked the bot is marked inactive."""
    assert context.job is not None
    user_id = cast(int, context.job.data)
    db, tz, now = context.db, context.settings.tz, context.now()
    user = reminders.due_reminder(db, user_id, now, tz)
    if user is None:
        return
    try:
        await send_to(context, user_id, reminder_view(user.language, context.settings.drill_size))
    except Forbidden:
        log.info("a user blocked the bot; reminders off until they write again")
        reminders.stop_for(db, user_id)
        if context.reminders is not None:
            context.reminders.cancel(user_id)
        return
    reminders.mark_sent(db, user_id, now, tz)
