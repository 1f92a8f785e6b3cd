"""/backup and the daily automatic backup (admins)."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.error import TelegramError

from bot import backups
from bot.access import REFUSAL, may
from bot.context import ShopContext
from bot.render import export as views
from bot.render.base import View
from bot.texts import t
from handlers.common import member, send, send_to

log = logging.getLogger(__name__)


async def _backup_now(context: ShopContext, lang: str) -> tuple[backups.Backup | None, View]:
    """Take a backup in a worker thread; the outcome and the view reporting it."""
    s = context.settings
    try:
        made = await asyncio.to_thread(
            backups.take_backup,
            s.database_path,
            s.backup_dir,
            s.backup_keep,
            context.now(),
            s.tz,
        )
    except backups.BackupError as exc:
        return None, views.backup_refused(exc, lang)
    return made, views.backup_done(made, s.backup_dir, s.backup_keep, lang)


async def backup_command(update: Update, context: ShopContext) -> None:
    """/backup: an online copy of the database, checked, old ones rotated (admins)."""
    user = await member(update, context)
    message = update.effective_message
    if user is None or message is None:
        return
    if not may(user, "backup"):
        await send(message, (t(REFUSAL["backup"], user.language), []))
        return
    await send(message, views.backup_working(user.language))
    _made, view = await _backup_now(context, user.language)
    await send(message, view)


async def daily_backup(context: ShopContext) -> None:
    """The daily job: back up; on a problem, tell the admins (a good backup is only logged)."""
    lang = context.settings.default_language
    made, view = await _backup_now(context, lang)
    if made is not None and made.ok:
        log.info("daily backup %s (%d bytes), %d old removed", made.path, made.size,
                 len(made.removed))  # fmt: skip
        return
    log.error("daily backup problem: %s", made.check if made else view[0])
    for admin_id in context.settings.admin_user_ids:
        try:
            await send_to(context, admin_id, views.daily_backup_problem(view, lang))
        except TelegramError as exc:
            log.warning("could not tell admin %s about the backup: %s", admin_id, exc)
