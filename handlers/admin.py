"""Admin and supervisor commands: /newteam, /invite, /teams, /reload."""

from __future__ import annotations

import asyncio

from telegram import Message, Update
from telegram.helpers import create_deep_linked_url

from bot import members, teams, unanswered
from bot.access import REFUSAL, Action, may
from bot.accounts import User
from bot.context import ShopContext
from bot.render import admin as views
from bot.render import members as member_views
from bot.texts import t
from handlers.common import member, send, send_privately
from knowledge.library import reload_library


async def _allowed(
    update: Update, context: ShopContext, action: Action
) -> tuple[User, Message] | None:
    """The member and their message when their role may do `action`; else say no."""
    user = await member(update, context)
    message = update.effective_message
    if user is None or message is None:
        return None
    if not may(user, action):
        await send(message, (t(REFUSAL[action], user.language), []))
        return None
    return user, message


async def _send_invite(
    update: Update,
    context: ShopContext,
    message: Message,
    user: User,
    made: teams.Made | members.Links | str,
    sup: bool,
) -> None:
    if isinstance(made, str):
        await send(message, (t(made, user.language), []))
        return
    s = context.settings
    invite = made.made if isinstance(made, members.Links) else made
    assert invite is not None
    link = create_deep_linked_url(context.bot.username, invite.invite.code)
    if isinstance(made, members.Links):
        view = member_views.invite_with_links(
            made, link, user.language, s.invite_days, s.invite_uses, s.tz
        )
    else:
        view = views.invite_made(made, link, user.language, s.invite_days, s.invite_uses, sup)
    # Invite links are only ever sent in a private chat.
    await send_privately(update, context, message, user, view)


async def newteam(update: Update, context: ShopContext) -> None:
    """/newteam <name>: create a team and return a supervisor invite (admins)."""
    allowed = await _allowed(update, context, "newteam")
    if allowed is None:
        return
    user, message = allowed
    name = " ".join(context.args or []).strip()
    if not name:
        await send(message, (t("newteam.usage", user.language), []))
        return
    made = teams.new_team(context.db, context.settings, user, name, context.now())
    await _send_invite(update, context, message, user, made, sup=True)


async def invite(update: Update, context: ShopContext) -> None:
    """/invite: a staff invite for the supervisor's team (admins name the team id), with the
    team's open links to revoke."""
    allowed = await _allowed(update, context, "invite")
    if allowed is None:
        return
    user, message = allowed
    arg = context.args[0] if context.args else None
    made = members.invite_and_links(context.db, context.settings, user, arg, context.now())
    await _send_invite(update, context, message, user, made, sup=False)


async def teams_command(update: Update, context: ShopContext) -> None:
    """/teams: every team with its size (admins)."""
    allowed = await _allowed(update, context, "teams")
    if allowed is None:
        return
    user, message = allowed
    await send(message, views.teams_list(teams.teams_with_sizes(context.db), user.language))


async def reload_knowledge(update: Update, context: ShopContext) -> None:
    """/reload: load the knowledge files again and swap in a new index (admins)."""
    allowed = await _allowed(update, context, "reload")
    if allowed is None:
        return
    user, message = allowed
    # Parsing and indexing take a fraction of a second; keep the event loop free meanwhile.
    # The aliases supervisors attached (/unanswered) are learned again by the new matcher.
    learned = unanswered.learned(context.db)
    library, problems = await asyncio.to_thread(
        reload_library, context.settings.extra_knowledge_dir, learned, apart=True
    )
    if library is None:
        await send(message, views.reload_failed(problems, user.language))
        return
    # One assignment: handlers already running keep the pair they started with.
    context.state.library = library
    await send(message, views.reload_done(library.kb.summary(), user.language))
