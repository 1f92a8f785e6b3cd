"""/me (streak, accuracy, mastery, chart) and /settings (daily reminder)."""

from __future__ import annotations

from telegram import Update

from bot import callbacks, charts, progress
from bot.context import ShopContext
from bot.render.progress import me_text, settings_view, task_titles
from bot.texts import plain, t
from handlers.common import edit, lang_of, member, send, stale
from handlers.photos import send_charts


async def me(update: Update, context: ShopContext) -> None:
    """/me: progress as text and as a chart."""
    user = await member(update, context)
    message = update.effective_message
    if user is None or message is None:
        return
    lang = user.language
    p = progress.progress(context.db, context.kb, user.id, context.now(), context.settings.tz)
    name = user.first_name or str(user.id)
    await send(message, (me_text(context.kb, name, p, lang, p.started), []))
    names = task_titles(context.kb, p.task_mastery, lang)
    key, draw = charts.progress_photos(p.task_mastery, p.weekly, lang, names)
    caption = plain("me.chart_caption", charts.chart_language(lang))
    await send_charts(context, message.chat_id, key, draw, lambda _n, _of: caption, message)


async def settings_command(update: Update, context: ShopContext) -> None:
    """/settings [HH:MM]: show or change the daily reminder."""
    user = await member(update, context)
    message = update.effective_message
    if user is None or message is None:
        return
    lang = user.language
    if context.args:
        rem = progress.set_reminder_time(context.db, user.id, context.args[0])
        if rem is None:
            await send(message, (t("settings.bad_time", lang), []))
            return
        if context.reminders is not None:
            context.reminders.schedule(rem)
    else:
        rem = progress.reminder_of(context.db, user.id)
    digest = progress.digest_setting(context.db, user.id)
    await send(message, settings_view(rem, lang, context.settings.timezone, digest))


async def settings_button(update: Update, context: ShopContext) -> None:
    """set:on | set:off | set:t:HHMM | set:d:wk|all|we."""
    query = update.callback_query
    assert query is not None
    user = await member(update, context, quiet=True)
    decoded = callbacks.SETTINGS.decode(query.data)
    if user is None or decoded is None or callbacks.owner(decoded) != user.id:
        await stale(query, user.language if user else lang_of(update, context))
        return
    tag, fields = decoded
    lang = user.language
    await query.answer(plain("settings.saved", lang))
    if tag == "g":
        digest = progress.set_digest(context.db, user.id, fields[0] == "on")
        rem = progress.reminder_of(context.db, user.id)
    else:
        rem = progress.change_reminder(
            context.db, user.id, tag, str(fields[0]) if tag in ("t", "d") else None
        )
        digest = progress.digest_setting(context.db, user.id)
        if context.reminders is not None:
            context.reminders.schedule(rem)
    await edit(query, settings_view(rem, lang, context.settings.timezone, digest))
