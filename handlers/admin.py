"""Admin and supervisor commands: /newteam, /invite, /teams, /reload."""

from __future__ import annotations

import asyncio
from html import escape

from telegram import Message, Update
from telegram.helpers import create_deep_linked_url

from bot import storage
from bot.context import ShopContext
from bot.storage import Role, Team, User
from bot.texts import t
from handlers.common import member, send
from knowledge.library import Library
from knowledge.loader import load_knowledge
from knowledge.matcher import Matcher


def _link(context: ShopContext, code: str) -> str:
    return create_deep_linked_url(context.bot.username, code)


async def _allowed(
    update: Update, context: ShopContext, roles: tuple[str, ...], refusal: str
) -> tuple[User, Message] | None:
    """The member and their message when their role may use the command; else say no."""
    user = await member(update, context)
    message = update.effective_message
    if user is None or message is None:
        return None
    if user.role not in roles:
        await send(message, t(refusal, user.language))
        return None
    return user, message


async def _send_invite(
    context: ShopContext, message: Message, user: User, team: Team, role: Role, key: str
) -> None:
    """Create an invite for a team and send its deep link with its limits."""
    s = context.settings
    inv = storage.create_invite(
        context.db,
        team.id,
        role,
        user.id,
        context.now(),
        days=s.invite_days,
        max_uses=s.invite_uses,
    )
    await send(
        message,
        t(
            key,
            user.language,
            team=escape(team.name),
            id=team.id,
            days=s.invite_days,
            uses=s.invite_uses,
            link=_link(context, inv.code),
        ),
    )


async def newteam(update: Update, context: ShopContext) -> None:
    """/newteam <name>: create a team and return a supervisor invite (admins)."""
    allowed = await _allowed(update, context, ("admin",), "admin.only")
    if allowed is None:
        return
    user, message = allowed
    name = " ".join(context.args or []).strip()
    if not name:
        await send(message, t("newteam.usage", user.language))
        return
    team = storage.create_team(context.db, name, context.now())
    await _send_invite(context, message, user, team, "supervisor", "newteam.done")


async def invite(update: Update, context: ShopContext) -> None:
    """/invite: a staff invite for the supervisor's team (admins name the team id)."""
    allowed = await _allowed(update, context, ("supervisor", "admin"), "supervisor.only")
    if allowed is None:
        return
    user, message = allowed
    lang = user.language
    team_id = user.team_id
    if user.role == "admin" and context.args:
        arg = context.args[0]
        team_id = int(arg) if arg.isdigit() else None
        if team_id is None or storage.get_team(context.db, team_id) is None:
            await send(message, t("invite.no_team", lang))
            return
    team = storage.get_team(context.db, team_id)
    if team is None:
        await send(message, t("invite.usage_admin", lang))
        return
    await _send_invite(context, message, user, team, "staff", "invite.made")


async def teams(update: Update, context: ShopContext) -> None:
    """/teams: every team with its size (admins)."""
    allowed = await _allowed(update, context, ("admin",), "admin.only")
    if allowed is None:
        return
    user, message = allowed
    lang = user.language
    all_teams = storage.list_teams(context.db)
    if not all_teams:
        await send(message, t("teams.none", lang))
        return
    lines = [t("teams.list", lang)]
    lines += [
        t(
            "teams.row",
            lang,
            id=tm.id,
            name=escape(tm.name),
            n=len(storage.team_members(context.db, tm.id)),
        )
        for tm in all_teams
    ]
    await send(message, "\n".join(lines))


async def reload_knowledge(update: Update, context: ShopContext) -> None:
    """/reload: load the knowledge files again and swap in a new index (admins)."""
    allowed = await _allowed(update, context, ("admin",), "admin.only")
    if allowed is None:
        return
    user, message = allowed
    lang = user.language
    extra = context.settings.extra_knowledge_dir
    # Parsing and indexing take a fraction of a second; keep the event loop free meanwhile.
    kb, problems = await asyncio.to_thread(load_knowledge, extra)
    if problems:
        listing = "\n".join(escape(str(p)) for p in problems[:10])
        await send(message, f"{t('reload.failed', lang)}\n{listing}")
        return
    matcher = await asyncio.to_thread(Matcher, kb)
    # One assignment: handlers already running keep the pair they started with.
    context.state.library = Library(kb, matcher)
    await send(message, t("reload.done", lang, summary=kb.summary()))
