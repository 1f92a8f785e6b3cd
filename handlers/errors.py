"""Everything else: non-text messages, unknown commands, and the one error handler."""

from __future__ import annotations

import logging

from telegram import Update

from bot.context import ShopContext
from bot.texts import t
from handlers.common import lang_of, send

log = logging.getLogger(__name__)


async def not_text(update: Update, context: ShopContext) -> None:
    """Stickers, photos, voice, files …: say kindly that only text is read."""
    message = update.effective_message
    if message is None:
        return
    await send(message, t("input.not_text", lang_of(update, context)))


async def unknown_command(update: Update, context: ShopContext) -> None:
    """A command the bot does not have."""
    message = update.effective_message
    if message is None:
        return
    await send(message, t("input.unknown_command", lang_of(update, context)))


async def stale_button(update: Update, context: ShopContext) -> None:
    """Any callback no other handler claimed: forged or from an old version."""
    query = update.callback_query
    if query is not None:
        await query.answer(t("input.stale", lang_of(update, context)))


async def on_error(update: object, context: ShopContext) -> None:
    """Log the trace; tell the user something short and kind, never the traceback."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        lang = lang_of(update, context)
    except Exception:  # the database itself may be what failed
        lang = "zh-TW"
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(t("error.generic", lang))
        elif update.effective_message is not None:
            await send(update.effective_message, t("error.generic", lang))
    except Exception:
        log.warning("could not tell the user about the error", exc_info=True)
