"""/browse: tasks → activities → cards, editing one message, with a back button each level."""

from __future__ import annotations

from telegram import Update

from bot import callbacks, render
from bot.context import ShopContext
from handlers.common import edit, lang_of, member, send, stale


async def browse(update: Update, context: ShopContext) -> None:
    """/browse: the list of work tasks."""
    user = await member(update, context)
    message = update.effective_message
    if user is None or message is None:
        return
    await send(message, render.browse_tasks(context.kb, user.language))


async def browse_button(update: Update, context: ShopContext) -> None:
    """br:root | br:t:<task> | br:a:<activity> | br:i:<activity> — validated against the data."""
    query = update.callback_query
    assert query is not None
    user = await member(update, context, quiet=True)
    decoded = callbacks.BROWSE.decode(query.data)
    view = None
    if user is not None and decoded is not None:
        tag, fields = decoded
        key = str(fields[0]) if fields else None
        view = render.browse_view(context.kb, tag, key, user.language)
    if user is None or view is None:
        await stale(query, user.language if user else lang_of(update, context))
        return
    await query.answer()
    if query.message is not None and getattr(query.message, "text", None) is not None:
        await edit(query, view)
