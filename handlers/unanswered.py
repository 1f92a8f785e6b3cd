"""/unanswered: a supervisor's unanswered questions, grouped; attach a group to a card or
dismiss it (buttons `un:…`, every one checked against the database and the team scope)."""

from __future__ import annotations

from telegram import Update

from bot import callbacks, unanswered
from bot.access import REFUSAL, may
from bot.context import ShopContext
from bot.render import unanswered as views
from bot.texts import t
from handlers.common import edit, lang_of, member, send, stale


async def unanswered_command(update: Update, context: ShopContext) -> None:
    """/unanswered: the list for a supervisor's one team, else a team picker."""
    user = await member(update, context)
    message = update.effective_message
    if user is None or message is None:
        return
    if not may(user, "unanswered"):
        await send(message, (t(REFUSAL["unanswered"], user.language), []))
        return
    teams = unanswered.teams_of(context.db, user)
    page = None
    if len(teams) == 1:
        page = unanswered.page_of(context.db, context.library, user, teams[0].id, 0, context.now())
    if page is not None:
        await send(message, views.list_page(page, user.language, context.settings.tz))
    elif teams:
        await send(message, views.team_picker(teams, 0, user.language))
    else:
        await send(message, views.no_teams(user.language))


async def unanswered_button(update: Update, context: ShopContext) -> None:
    """un:p | un:l | un:g | un:t | un:a | un:c | un:at | un:d — see bot/callbacks.py."""
    query = update.callback_query
    assert query is not None
    user = await member(update, context, quiet=True)
    decoded = callbacks.UNANSWERED.decode(query.data)
    if user is None or decoded is None or not may(user, "unanswered"):
        await stale(query, user.language if user else lang_of(update, context))
        return
    tag, fields = decoded
    lang, db, library, now = user.language, context.db, context.library, context.now()
    tz = context.settings.tz
    view = None
    if tag == "p":
        teams = unanswered.teams_of(db, user)
        view = views.team_picker(teams, int(fields[0]), lang) if teams else None
    elif tag == "l":
        page = unanswered.page_of(db, library, user, int(fields[0]), int(fields[1]), now)
        view = views.list_page(page, lang, tz) if page else None
    elif tag in ("g", "t", "a", "c"):
        group = unanswered.find_group(db, library, user, int(fields[0]), now)
        if group is not None and tag == "g":
            view = views.group_view(library.kb, group, int(fields[1]), lang, tz)
        elif group is not None:
            key = str(fields[1]) if len(fields) > 1 else None
            view = views.attach_view(library.kb, group.id, tag, key, lang)
    elif tag == "at":
        done = unanswered.attach(db, library, user, int(fields[0]), str(fields[1]), now)
        if done is not None:
            group, context.state.library = done  # the matcher knows the wording from now on
            view = views.attached(library.kb, group, str(fields[1]), lang)
    elif tag == "d":
        gone = unanswered.dismiss(db, library, user, int(fields[0]), now)
        view = views.dismissed(gone, lang) if gone else None
    if view is None:
        await stale(query, lang)
        return
    await query.answer()
    await edit(query, view)
