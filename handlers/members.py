"""Members and links: /remove with its buttons, revoking invite links, /promote, /demote,
/stats, and sending invite links only in a private chat."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden

from bot import callbacks, members
from bot.access import may
from bot.context import ShopContext
from bot.render import View
from bot.render import members as views
from handlers.admin import _allowed
from handlers.common import edit, lang_of, member, send, send_to, stale

log = logging.getLogger(__name__)


async def _tell(context: ShopContext, user_id: int, view: View) -> None:
    """A kind note to someone whose team or role changed, when Telegram lets us."""
    try:
        await send_to(context, user_id, view)
    except (Forbidden, BadRequest) as exc:
        log.info("could not tell a member about a change: %s", exc.message)


async def remove_command(update: Update, context: ShopContext) -> None:
    """/remove [name or @username]: pick a member of one's team(s) and confirm."""
    allowed = await _allowed(update, context, "remove")
    if allowed is None:
        return
    user, message = allowed
    who = " ".join(context.args or []).strip()
    db, lang = context.db, user.language
    if who:
        await send(message, views.matches(who, members.find_removable(db, user, who), lang))
        return
    teams = members.scope_teams(db, user)
    listed = members.removable(db, user, teams[0].id) if len(teams) == 1 else None
    view = views.pick_member(*listed, lang) if listed else views.pick_team(teams, lang)
    await send(message, view)


async def remove_button(update: Update, context: ShopContext) -> None:
    """rm:t (a team), rm:u (a member), rm:y (confirmed), rm:n (cancelled)."""
    query = update.callback_query
    assert query is not None
    user = await member(update, context, quiet=True)
    decoded = callbacks.REMOVE.decode(query.data)
    if user is None or decoded is None or not may(user, "remove"):
        await stale(query, lang_of(update, context))
        return
    tag, fields = decoded
    db, lang = context.db, user.language
    if tag == "n":
        await query.answer()
        await edit(query, views.cancelled(lang))
        return
    team_id, target_id = int(fields[0]), int(fields[-1])
    if tag == "t":
        listed = members.removable(db, user, team_id)
        if listed is None:
            await stale(query, lang)
            return
        await query.answer()
        await edit(query, views.pick_member(*listed, lang))
        return
    if tag == "u":
        found = members.candidate(db, user, team_id, target_id)
    else:
        found = members.remove(db, user, team_id, target_id, context.reminders)
    if found is None:
        await stale(query, lang)
        return
    await query.answer()
    if tag == "u":
        await edit(query, views.confirm(found, lang))
        return
    await edit(query, views.removed(found, lang))
    await _tell(context, found.member.id, views.removed_notice(found))


async def revoke_button(update: Update, context: ShopContext) -> None:
    """inv:r:<id>: expire one open invite link of the user's team now."""
    query = update.callback_query
    assert query is not None
    user = await member(update, context, quiet=True)
    decoded = callbacks.INVITE.decode(query.data)
    links = None
    if user is not None and decoded is not None:
        links = members.revoke(context.db, user, int(decoded[1][0]), context.now())
    if user is None or links is None:
        await stale(query, lang_of(update, context))
        return
    await query.answer()
    await edit(query, views.after_revoke(links, user.language, context.settings.tz))


async def _role_change(update: Update, context: ShopContext, promote: bool) -> None:
    allowed = await _allowed(update, context, "promote")
    if allowed is None:
        return
    user, message = allowed
    change = members.promote if promote else members.demote
    changed = change(context.db, user, list(context.args or []))
    if isinstance(changed, str):
        await send(message, views.refused(changed, user.language))
        return
    await send(message, views.role_changed(changed, user.language))
    await _tell(context, changed.member.id, views.role_notice(changed))


async def promote(update: Update, context: ShopContext) -> None:
    """/promote <user id or @username> [team id]: make them supervisor of a team (admins)."""
    await _role_change(update, context, promote=True)


async def demote(update: Update, context: ShopContext) -> None:
    """/demote <user id or @username> [team id]: stop them leading it (admins)."""
    await _role_change(update, context, promote=False)


async def stats(update: Update, context: ShopContext) -> None:
    """/stats: users, this week's activity, the database size (admins)."""
    allowed = await _allowed(update, context, "stats")
    if allowed is None:
        return
    user, message = allowed
    figures = members.week_stats(context.db, context.now())
    await send(message, views.stats_view(figures, user.language))
