"""Sending one reminder: the scheduler (bot/reminders.py) calls this for each user due."""

from __future__ import annotations

import logging

from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden

from bot import reminders
from bot.context import ShopContext
from bot.ratelimit import BULK
from bot.render.drill import reminder_view
from handlers.common import markup

__all__ = ["send_reminder"]

log = logging.getLogger(__name__)


async def send_reminder(context: ShopContext, user_id: int) -> bool:
    """Offer today's drill with one button, if still due; True when it was sent.

    Sent in the rate limiter's bulk lane (behind every reply); marked sent right after, so a
    restart does not send it again (see bot/reminders.py for the crash window). A user who
    blocked the bot is marked inactive; a chat Telegram no longer knows is skipped for today.
    """
    db, tz = context.db, context.settings.tz
    user = reminders.due_reminder(db, user_id, context.now(), tz)
    if user is None:
        return False
    text, rows = reminder_view(user.language, context.settings.drill_size)
    try:
        await context.bot.send_message(
            user_id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup(rows),
            rate_limit_args=BULK,  # type: ignore[arg-type]
        )
    except Forbidden:
        log.info("a user blocked the bot; reminders off until they write again")
        reminders.stop_for(db, user_id)
        if context.reminders is not None:
            context.reminders.cancel(user_id)
        return False
    except BadRequest as exc:
        log.warning("a reminder was refused (%s); none for this user today", exc.message)
        reminders.mark_sent(db, user_id, context.now(), tz)
        return False
    reminders.mark_sent(db, user_id, context.now(), tz)
    return True
