"""Members and links views: open invite links with revoke buttons, removing a member, role
changes, and the admin's /stats."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot import callbacks
from bot.members import MAX_BUTTONS, Candidate, Changed, Links
from bot.render.admin import invite_made
from bot.render.base import Rows, View, pct
from bot.storage import OpenInvite, Stats, Team, User, parse_iso
from bot.texts import Html, plain, t

_ROLE = {
    "staff": "members.role_staff",
    "supervisor": "members.role_supervisor",
    "admin": "members.role_admin",
}


def _tail(inv: OpenInvite) -> str:
    """The last characters of a link: enough to tell links apart, useless to join with."""
    return inv.code[-4:]


def _link_row(inv: OpenInvite, new: bool, lang: str, tz: ZoneInfo) -> Html:
    expires = storage_time(inv.expires_at, tz)
    return t(
        "members.link_row",
        lang,
        tail=_tail(inv),
        role=plain(_ROLE[inv.role], lang),
        new=plain("members.link_new", lang) if new else "",
        expires=expires,
        uses=inv.uses,
        max=inv.max_uses,
    )


def storage_time(text: str, tz: ZoneInfo) -> str:
    """A stored UTC time as local month/day hour:minute."""
    return parse_iso(text).astimezone(tz).strftime("%m/%d %H:%M")


def _revoke(inv: OpenInvite) -> str:
    return callbacks.INVITE.encode("r", inv.id)


def _links_section(links: Links, lang: str, tz: ZoneInfo) -> tuple[list[str], Rows]:
    new_code = links.made.invite.code if links.made else None
    lines: list[str] = [t("members.links_title", lang, team=links.team.name)]
    if not links.links:
        lines.append(t("members.links_none", lang))
    shown = links.links[:MAX_BUTTONS]
    lines += [_link_row(inv, inv.code == new_code, lang, tz) for inv in shown]
    if len(links.links) > len(shown):
        lines.append(t("members.links_more", lang, n=len(links.links) - len(shown)))
    rows: Rows = [
        [
            (
                plain("members.btn_revoke", lang, tail=_tail(inv)),
                callbacks.INVITE.encode("r", inv.id),
            )
        ]
        for inv in shown
    ]
    return lines, rows


def invite_with_links(
    links: Links, link: str, lang: str, days: int, uses: int, tz: ZoneInfo
) -> View:
    """/invite: the new link as before, then the team's open links, each with a revoke button."""
    assert links.made is not None
    made_text, _ = invite_made(links.made, link, lang, days, uses, supervisor=False)
    lines, rows = _links_section(links, lang, tz)
    return Html("\n\n".join([made_text, "\n".join(lines)])), rows


def after_revoke(links: Links, lang: str, tz: ZoneInfo) -> View:
    assert links.revoked is not None
    lines, rows = _links_section(links, lang, tz)
    done = t("members.revoked", lang, tail=_tail(links.revoked))
    return Html("\n\n".join([done, "\n".join(lines)])), rows


def refused(key: str, lang: str) -> View:
    """A short answer from the catalogue: why a role change did not happen."""
    return t(key, lang), []


def sent_privately(lang: str) -> View:
    return t("members.sent_privately", lang), []


def open_private(lang: str, link: str) -> View:
    return t("members.open_private", lang, link=link), []


# --- removing a member ---------------------------------------------------------------------


def _who(user: User) -> str:
    """A member as a button label or in a sentence: first name and @username."""
    name = user.first_name or str(user.id)
    return f"{name} @{user.username}" if user.username else name


def _member_rows(found: list[Candidate]) -> Rows:
    return [
        [(_who(c.member), callbacks.REMOVE.encode("u", c.team.id, c.member.id))]
        for c in found[:MAX_BUTTONS]
    ]


def pick_team(teams: list[Team], lang: str) -> View:
    if not teams:
        return t("members.no_teams", lang), []
    rows: Rows = [
        [(tm.name[:60], callbacks.REMOVE.encode("t", tm.id))] for tm in teams[:MAX_BUTTONS]
    ]
    return t("members.pick_team", lang), rows


def pick_member(team: Team, found: list[Candidate], lang: str) -> View:
    if not found:
        return t("members.nobody", lang, team=team.name), []
    return t("members.pick_member", lang, team=team.name), _member_rows(found)


def matches(who: str, found: list[Candidate], lang: str) -> View:
    """/remove <who>: nobody, one (confirm at once) or several to pick from."""
    if not found:
        return t("members.not_found", lang, who=who), []
    if len(found) == 1:
        return confirm(found[0], lang)
    return t("members.several", lang, who=who), _member_rows(found)


def confirm(c: Candidate, lang: str) -> View:
    rows: Rows = [
        [
            (
                plain("members.btn_remove", lang),
                callbacks.REMOVE.encode("y", c.team.id, c.member.id),
            ),
            (plain("members.btn_cancel", lang), callbacks.REMOVE.encode("n")),
        ]
    ]
    return t("members.confirm", lang, name=_who(c.member), team=c.team.name), rows


def removed(c: Candidate, lang: str) -> View:
    return t("members.removed", lang, name=_who(c.member), team=c.team.name), []


def cancelled(lang: str) -> View:
    return t("members.cancelled", lang), []


def removed_notice(c: Candidate) -> View:
    """To the member who was removed, in their language."""
    return t("members.removed_notice", c.member.language, team=c.team.name), []


# --- roles and figures ---------------------------------------------------------------------


def _team_names(teams: list[Team]) -> str:
    return ", ".join(tm.name for tm in teams)


def role_changed(changed: Changed, lang: str) -> View:
    name = _who(changed.member)
    if changed.how == "promoted":
        return t("members.promoted", lang, name=name, team=changed.teams[0].name), []
    role = plain(_ROLE[changed.member.role], lang)
    return t("members.demoted", lang, name=name, teams=_team_names(changed.teams), role=role), []


def role_notice(changed: Changed) -> View:
    """To the member whose role changed, in their language."""
    lang = changed.member.language
    if changed.how == "promoted":
        return t("members.promoted_notice", lang, team=changed.teams[0].name), []
    return t("members.demoted_notice", lang, teams=_team_names(changed.teams)), []


def stats_view(s: Stats, lang: str) -> View:
    rate = pct(s.unanswered / s.questions) if s.questions else pct(None)
    text = t(
        "members.stats",
        lang,
        users=s.users,
        consented=s.consented,
        active=s.active,
        drills=s.drills,
        answers=s.answers,
        questions=s.questions,
        unanswered=s.unanswered,
        rate=rate,
        size=f"{s.db_bytes / 1_000_000:.1f}",
    )
    return text, []
