"""/export and its team buttons: CSV files of a team sent as documents."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update

from bot import callbacks, exporting, progress
from bot.access import REFUSAL, may
from bot.context import ShopContext
from bot.render import export as views
from bot.texts import t
from handlers.common import edit, lang_of, member, send, send_to, stale

log = logging.getLogger(__name__)


async def export_command(update: Update, context: ShopContext) -> None:
    """/export [team id] [from [to]]: a team's answers, questions and evidence as CSV."""
    user = await member(update, context)
    message = update.effective_message
    if user is None or message is None:
        return
    lang = user.language
    if not may(user, "export"):
        await send(message, (t(REFUSAL["export"], lang), []))
        return
    today = progress.local_day(context.now(), context.settings.tz)
    planned = exporting.plan(context.db, user, context.args or [], today)
    if isinstance(planned, str):
        await send(message, (t(planned, lang), []))
    elif isinstance(planned, exporting.Choose):
        await send(message, views.export_choose(planned.teams, planned.range, 0, lang))
    else:
        await _deliver(context, message.chat_id, planned, lang)


async def export_button(update: Update, context: ShopContext) -> None:
    """ex:t:<team>:<from>:<to> exports a team; ex:p:<page>:<from>:<to> turns the page."""
    query = update.callback_query
    assert query is not None
    user = await member(update, context, quiet=True)
    decoded = callbacks.EXPORT.decode(query.data)
    if user is None or decoded is None or not may(user, "export") or query.message is None:
        await stale(query, user.language if user else lang_of(update, context))
        return
    tag, (number, first, last) = decoded
    lang = user.language
    if tag == "p":
        rng = exporting.range_from_token(int(first), int(last))
        choice = None if rng is None else exporting.choose_or_go(context.db, user, rng)
        if not isinstance(choice, exporting.Choose):
            await stale(query, lang)
            return
        await query.answer()
        await edit(query, views.export_choose(choice.teams, choice.range, int(number), lang))
        return
    go = exporting.pressed(context.db, user, int(number), int(first), int(last))
    if go is None:
        await stale(query, lang)
        return
    await query.answer()
    await edit(query, views.export_working(go.team, go.range, lang))
    await _deliver(context, query.message.chat.id, go, lang, announce=False)


async def _deliver(
    context: ShopContext, chat_id: int, go: exporting.Go, lang: str, *, announce: bool = True
) -> None:
    """Build the files in a worker thread (own read-only connection), then send them."""
    s = context.settings
    if announce:
        await send_to(context, chat_id, views.export_working(go.team, go.range, lang))
    try:
        export = await asyncio.to_thread(
            exporting.build_export_at,
            s.database_path,
            context.kb,
            go.team,
            go.range,
            s.tz,
            context.now(),
            lang,
        )
    except Exception:
        log.exception("export of team %s failed", go.team.id)
        await send_to(context, chat_id, views.export_failed(lang))
        return
    for f in export.files:
        await context.bot.send_document(
            chat_id, f.data, filename=f.name, caption=views.export_caption(f.kind, lang)
        )
    await send_to(context, chat_id, views.export_done(export, s.timezone, lang))
