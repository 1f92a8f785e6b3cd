"""Everything else: non-text messages, unknown commands, and the one error handler."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, NetworkError

from bot.context import ShopContext
from bot.texts import plain, t
from handlers.common import lang_of, member, send, stale

log = logging.getLogger(__name__)

# Telegram's answers about a button pressed too long ago: expected, not errors.
_STALE_QUERIES = ("query is too old", "query id is invalid", "message is not modified")


def expected(error: object) -> bool:
    """Telegram saying a button or message is too old: expected, answered quietly."""
    return isinstance(error, BadRequest) and any(
        s in error.message.lower() for s in _STALE_QUERIES
    )


async def not_text(update: Update, context: ShopContext) -> None:
    """Stickers, photos, voice, files …: say kindly that only text is read."""
    message = update.effective_message
    if message is not None:
        await send(message, (t("input.not_text", lang_of(update, context)), []))


async def unknown_command(update: Update, context: ShopContext) -> None:
    """A command the bot does not have (strangers get the invite answer, as for any command)."""
    message = update.effective_message
    user = await member(update, context)
    if message is not None and user is not None:
        await send(message, (t("input.unknown_command", user.language), []))


async def stale_button(update: Update, context: ShopContext) -> None:
    """Any callback no other handler claimed: forged or from an old version."""
    if update.callback_query is not None:
        await stale(update.callback_query, lang_of(update, context))


async def on_error(update: object, context: ShopContext) -> None:
    """Log the trace; tell the user something short and kind, never the traceback."""
    error = context.error
    if expected(error):
        log.debug("a button was pressed too long ago: %s", error)
        return
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        # Telegram unreachable, or a send whose fate is unknown (the rate limiter retried
        # what was safe): telling the user would be one more send into the same fault, and
        # wrong if the message did arrive. Answers were committed before any of this.
        log.warning("a request to Telegram failed while handling an update: %s", error.message)
        return
    log.error("error while handling an update", exc_info=error)
    if not isinstance(update, Update):
        return
    try:
        lang = lang_of(update, context)
    except Exception:  # the database itself may be what failed
        lang = "zh-TW"
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(plain("error.generic", lang))
        elif update.effective_message is not None:
            await send(update.effective_message, (t("error.generic", lang), []))
    except Exception:
        log.warning("could not tell the user about the error", exc_info=True)
