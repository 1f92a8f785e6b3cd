"""Admin and supervisor views: invites, the team list, knowledge reloads."""

from __future__ import annotations

from html import escape

from bot.render.base import View
from bot.storage import Team
from bot.teams import Made
from bot.texts import Html, t


def invite_made(made: Made, link: str, lang: str, days: int, uses: int, supervisor: bool) -> View:
    key = "newteam.done" if supervisor else "invite.made"
    text = t(key, lang, team=made.team.name, id=made.team.id, days=days, uses=uses, link=link)
    return text, []


def teams_list(teams: list[tuple[Team, int]], lang: str) -> View:
    if not teams:
        return t("teams.none", lang), []
    lines = [t("teams.list", lang)]
    lines += [t("teams.row", lang, id=tm.id, name=tm.name, n=n) for tm, n in teams]
    return Html("\n".join(lines)), []


def reload_done(summary: str, lang: str) -> View:
    return t("reload.done", lang, summary=summary), []


def reload_failed(problems: list[str], lang: str) -> View:
    listing = "\n".join(escape(p) for p in problems[:10])
    return Html(f"{t('reload.failed', lang)}\n{listing}"), []
