"""Supervisors' views: /team (table and heatmap per team), /member, and their buttons."""

from __future__ import annotations

from telegram import Message, Update

from bot import callbacks, charts, reports
from bot.access import REFUSAL, may
from bot.accounts import User
from bot.callbacks import parse_int
from bot.context import ShopContext
from bot.render import reports as views
from bot.reports import Team
from bot.texts import plain, t
from handlers.common import edit, lang_of, member, send, send_to, stale
from handlers.photos import send_charts


async def _viewer(update: Update, context: ShopContext) -> tuple[User, Message] | None:
    """The member and their message when they may see team reports; else say no."""
    user = await member(update, context)
    message = update.effective_message
    if user is None or message is None:
        return None
    if not may(user, "team_report"):
        await send(message, (t(REFUSAL["team_report"], user.language), []))
        return None
    return user, message


async def _send_team(context: ShopContext, chat_id: int, viewer: User, team: Team) -> None:
    """The team's table (with member buttons), then its heatmap images."""
    lang, tz, now = viewer.language, context.settings.tz, context.now()
    report = reports.team_report(context.db, context.kb, team, now, tz)
    for view in views.team_views(report, now, tz, lang):
        await send_to(context, chat_id, view)
    if not report.rows:
        return
    columns, rows, texts = views.heat_input(context.kb, report, now, tz, lang)
    key, draw = charts.heatmap_photos(team.id, columns, rows, texts)
    await send_charts(
        context, chat_id, key, draw, lambda n, of: views.heat_caption(team, n, of, lang)
    )


async def _send_member(context: ShopContext, chat_id: int, viewer: User, user: User) -> None:
    """A member's page, then their 4-week trend chart."""
    lang, tz, now = viewer.language, context.settings.tz, context.now()
    report = reports.member_report(context.db, context.kb, user, now, tz)
    await send_to(context, chat_id, views.member_view(context.kb, report, now, tz, lang))
    weeks, texts = views.trend_input(report, lang)
    key, draw = charts.trend_photos(weeks, texts)
    caption = views.trend_caption(lang)
    await send_charts(context, chat_id, key, draw, lambda _n, _of: caption)


async def team_command(update: Update, context: ShopContext) -> None:
    """/team [team name or id]: the team's table and heatmap, or buttons to choose a team."""
    allowed = await _viewer(update, context)
    if allowed is None:
        return
    user, message = allowed
    query = " ".join(context.args or []).strip()
    if query:
        teams = reports.pick_teams(context.db, user, query)
        if not teams:
            await send(message, (t("team.not_found", user.language, query=query[:64]), []))
            return
    else:
        teams = reports.teams_in_scope(context.db, user)
    if len(teams) == 1:
        await _send_team(context, message.chat_id, user, teams[0])
    else:
        await send(message, views.team_picker(teams, 0, user.language))


async def member_command(update: Update, context: ShopContext) -> None:
    """/member <name, @username or user id>: a member of the viewer's teams."""
    allowed = await _viewer(update, context)
    if allowed is None:
        return
    user, message = allowed
    lang = user.language
    query = " ".join(context.args or []).strip()
    if not query:
        await send(message, (t("member.usage", lang), []))
        return
    user_id = parse_int(query)
    found = reports.open_member(context.db, user, user_id) if user_id is not None else None
    matches = [found] if found else reports.search_members(context.db, user, query)
    if not matches:
        await send(message, (t("member.not_found", lang, query=query[:64]), []))
    elif len(matches) == 1:
        await _send_member(context, message.chat_id, user, matches[0])
    else:
        await send(message, views.member_matches(matches, lang))


async def team_button(update: Update, context: ShopContext) -> None:
    """tm:t:<team> opens a team, tm:p:<page> pages the team list, tm:m:<user> opens a member."""
    query = update.callback_query
    assert query is not None
    user = await member(update, context, quiet=True)
    decoded = callbacks.TEAM.decode(query.data)
    message = query.message
    if user is None or decoded is None or not isinstance(message, Message):
        await stale(query, user.language if user else lang_of(update, context))
        return
    if not may(user, "team_report"):
        await query.answer(plain(REFUSAL["team_report"], user.language))
        return
    tag, (number, *_) = decoded
    number = int(number)
    if tag == "p":
        await query.answer()
        teams = reports.teams_in_scope(context.db, user)
        await edit(query, views.team_picker(teams, number, user.language))
        return
    if tag == "t":
        team = reports.open_team(context.db, user, number)
        if team is None:
            await stale(query, user.language)
            return
        await query.answer()
        await _send_team(context, message.chat_id, user, team)
        return
    person = reports.open_member(context.db, user, number)
    if person is None:
        await stale(query, user.language)
        return
    await query.answer()
    await _send_member(context, message.chat_id, user, person)
