"""The Monday digest job and its "team drill" button."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.error import Forbidden

from bot import callbacks, digest
from bot.context import ShopContext
from bot.render.digest import digest_view, drill_invite, drill_sent
from handlers.common import lang_of, member, send_to, stale

log = logging.getLogger(__name__)


async def send_digests(context: ShopContext) -> None:
    """Every supervisor whose digest of this week is due gets one message per team they lead."""
    db, tz, now = context.db, context.settings.tz, context.now()
    week = digest.iso_week(now, tz)
    path = context.settings.database_path
    for user in digest.due(db, now, tz):
        teams = await asyncio.to_thread(digest.build_at, path, context.library, user, now, tz)
        try:
            for team_digest in teams:
                view = digest_view(context.kb, team_digest, week, user.language)
                await send_to(context, user.id, view)
        except Forbidden:
            log.info("a supervisor blocked the bot; no digest")
        digest.mark_sent(db, user, now, tz)


async def digest_button(update: Update, context: ShopContext) -> None:
    """dg:d:<team>:<activity>: invite the members likely to have forgotten it to a drill."""
    query = update.callback_query
    assert query is not None
    user = await member(update, context, quiet=True)
    decoded = callbacks.DIGEST.decode(query.data)
    members = None
    if user is not None and decoded is not None:
        team_id, activity = int(decoded[1][0]), str(decoded[1][1])
        members = digest.forgetting_members(
            context.db, context.kb, user, team_id, activity, context.now()
        )
    if user is None or decoded is None or members is None:
        await stale(query, user.language if user else lang_of(update, context))
        return
    sent = 0
    for person in members:
        try:
            await send_to(context, person.id, drill_invite(context.kb, activity, person.language))
            sent += 1
        except Forbidden:
            log.debug("a member blocked the bot; no drill invitation")
    await query.answer(drill_sent(activity, sent, user.language), show_alert=True)
