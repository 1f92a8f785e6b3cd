"""Admin and supervisor commands: /newteam, /invite, /teams, /reload."""

from __future__ import annotations

import asyncio
from html import escape

from telegram import Update
from telegram.helpers import create_deep_linked_url

from bot import storage
from bot.context import ShopContext
from bot.texts import t
from handlers.common import member, send
from knowledge.loader import load_knowledge
from knowledge.matcher import Matcher


def _link(context: ShopContext, code: str) -> str:
    return create_deep_linked_url(context.bot.username, code)


async def newteam(update: Update, context: ShopContext) -> None:
    """/newteam <name>: create a team and return a supervisor invite (admins)."""
    user = await member(update, context)
    message = update.effective_message
    if user is None or message is None:
        return
    lang = user.language
    if user.role != "admin":
        await send(message, t("admin.only", lang))
        return
    name = " ".join(context.args or []).strip()
    if not name:
        await send(message, t("newteam.usage", lang))
        return
    s = context.settings
    team = storage.create_team(context.db, name, context.now())
    inv = storage.create_invite(
        context.db,
        team.id,
        "supervisor",
        user.id,
        context.now(),
        days=s.invite_days,
        max_uses=s.invite_uses,
    )
    await send(
        message,
        t(
            "newteam.done",
            lang,
            team=escape(team.name),
            id=team.id,
            days=s.invite_days,
            uses=s.invite_uses,
            link=_link(context, inv.code),
        ),
    )


async def invite(update: Update, context: ShopContext) -> None:
    """/invite: a staff invite for the supervisor's team (admins name the team id)."""
    user = await member(update, context)
    message = update.effective_message
    if user is None or message is None:
        return
    lang = user.language
    if user.role == "staff":
        await send(message, t("supervisor.only", lang))
        return
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
    s = context.settings
    inv = storage.create_invite(
        context.db,
        team.id,
        "staff",
        user.id,
        context.now(),
        days=s.invite_days,
        max_uses=s.invite_uses,
    )
    await send(
        message,
        t(
            "invite.made",
            lang,
            team=escape(team.name),
            days=s.invite_days,
            uses=s.invite_uses,
            link=_link(context, inv.code),
        ),
    )


async def teams(update: Update, context: ShopContext) -> None:
    """/teams: every team with its size (admins)."""
    user = await member(update, context)
    message = update.effective_message
    if user is None or message is None:
        return
    lang = user.language
    if user.role != "admin":
        await send(message, t("admin.only", lang))
        return
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
    user = await member(update, context)
    message = update.effective_message
    if user is None or message is None:
        return
    lang = user.language
    if user.role != "admin":
        await send(message, t("admin.only", lang))
        return
    extra = context.settings.extra_knowledge_dir
    # Parsing and indexing take a fraction of a second; keep the event loop free meanwhile.
    kb, problems = await asyncio.to_thread(load_knowledge, extra)
    if problems:
        listing = "\n".join(escape(str(p)) for p in problems[:10])
        await send(message, f"{t('reload.failed', lang)}\n{listing}")
        return
    matcher = await asyncio.to_thread(Matcher, kb)
    # One assignment each: handlers already running keep the objects they started with.
    context.state.kb, context.state.matcher = kb, matcher
    await send(message, t("reload.done", lang, summary=kb.summary()))
