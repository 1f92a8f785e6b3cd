"""/browse: tasks → activities → cards, editing one message, with a back button each level."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode

from bot import render
from bot.context import ShopContext
from bot.texts import t
from handlers.common import markup, member, send


async def browse(update: Update, context: ShopContext) -> None:
    """/browse: the list of work tasks."""
    user = await member(update, context)
    message = update.effective_message
    if user is None or message is None:
        return
    text, rows = render.browse_tasks(context.kb, user.language)
    await send(message, text, rows)


async def browse_button(update: Update, context: ShopContext) -> None:
    """br:root | br:t:<task> | br:a:<activity> | br:i:<activity> — validated against the data."""
    query = update.callback_query
    assert query is not None
    user = await member(update, context, quiet=True)
    kb = context.kb
    parts = (query.data or "").split(":")
    lang = user.language if user else context.settings.default_language
    view = None
    if user is not None:
        if parts == ["br", "root"]:
            view = render.browse_tasks(kb, lang)
        elif len(parts) == 3 and parts[1] == "t" and parts[2] in kb.tasks:
            view = render.browse_task(kb, parts[2], lang)
        elif len(parts) == 3 and parts[1] == "a" and parts[2] in kb.activities:
            view = render.browse_activity(kb, parts[2], lang)
        elif len(parts) == 3 and parts[1] == "i" and parts[2] in kb.activities:
            view = render.browse_details(kb, parts[2], lang)
    if view is None:
        await query.answer(t("input.stale", lang))
        return
    await query.answer()
    text, rows = view
    if query.message is not None and getattr(query.message, "text", None) is not None:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup(rows))
