"""/team and /member: the team table (monospace, phone-width), the team list, a member's page,
and the words of their charts."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot import callbacks
from bot.render.base import MESSAGE_LIMIT, Rows, View, kl, pct
from bot.reports import (
    AMBER_DRILLS,
    AMBER_MASTERY,
    RECENT_QUESTIONS,
    RED_MASTERY,
    WINDOW_DAYS,
    MemberReport,
    MemberRow,
    Status,
    TeamReport,
)
from bot.storage import Team, User
from bot.team_charts import HeatRow, HeatTexts, TrendTexts
from bot.texts import Html, plain, t
from knowledge.models import Knowledge

MARK: dict[Status, str] = {"red": "🔴", "amber": "🟡", "green": "🟢"}
TEAMS_PER_PAGE = 10
# The table's columns after the mark: name, days since active, drills, accuracy, streak,
# weakest activity; widths in monospace cells (a Chinese character takes two).
COLUMN_WIDTHS = (8, 3, 2, 4, 2, 4)
TABLE_WIDTH = 2 + sum(w + 1 for w in COLUMN_WIDTHS)  # the mark is two cells wide


def cells(text: str) -> int:
    """Monospace width: wide (Chinese, emoji) characters take two cells, combining ones none."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def fit(text: str, width: int, right: bool = False) -> str:
    """`text` cut (with …) and padded to exactly `width` cells."""
    if cells(text) > width:
        while text and cells(text) + 1 > width:
            text = text[:-1]
        text += "…"
    pad = " " * (width - cells(text))
    return pad + text if right else text + pad


def display_name(user: User) -> str:
    return user.first_name.strip() or (f"@{user.username}" if user.username else str(user.id))


def _days(row: MemberRow, now: datetime, tz: ZoneInfo) -> str:
    days = row.days_since_seen(now, tz)
    if days is None:
        return "—"
    return "99+" if days > 99 else str(days)


def table_head(lang: str) -> str:
    words = plain("team.columns", lang).split(",")
    right = (False, True, True, True, True, False)
    parts = [fit(w, n, r) for w, n, r in zip(words, COLUMN_WIDTHS, right, strict=True)]
    return "  " + " " + " ".join(parts)


def table_line(row: MemberRow, now: datetime, tz: ZoneInfo) -> str:
    """One member's line: mark, name, days since active, drills, accuracy, streak, weakest."""
    values = (
        (display_name(row.user), False),
        (_days(row, now, tz), True),
        (str(min(row.drills_recent, 99)), True),
        (pct(row.accuracy_recent), True),
        (str(min(row.streak, 99)), True),
        (row.weakest or "—", False),
    )
    parts = [fit(v, n, r) for (v, r), n in zip(values, COLUMN_WIDTHS, strict=True)]
    return f"{MARK[row.status]} " + " ".join(parts)


def table_lines(report: TeamReport, now: datetime, tz: ZoneInfo, lang: str) -> list[str]:
    """The table as plain lines (header first), each at most TABLE_WIDTH cells."""
    return [table_head(lang)] + [table_line(r, now, tz) for r in report.rows]


def member_buttons(rows: Sequence[MemberRow]) -> Rows:
    buttons = [
        (f"{MARK[r.status]} {display_name(r.user)}", callbacks.TEAM.encode("m", r.user.id))
        for r in rows
    ]
    return [buttons[i : i + 3] for i in range(0, len(buttons), 3)]


def team_views(report: TeamReport, now: datetime, tz: ZoneInfo, lang: str) -> list[View]:
    """The team's message (several if a big team's table passes Telegram's limit); the member
    buttons go under the last one."""
    date = now.astimezone(tz).strftime("%Y-%m-%d")
    title = t("team.title", lang, team=report.team.name, n=len(report.rows), date=date)
    if not report.rows:
        return [(Html(f"{title}\n{t('team.empty', lang)}"), [])]
    rule = t(
        "team.rule",
        lang,
        days=WINDOW_DAYS,
        red=round(RED_MASTERY * 100),
        amber=round(AMBER_MASTERY * 100),
        drills=AMBER_DRILLS,
    )
    legend = t("team.legend", lang, days=WINDOW_DAYS)
    lines = [escape(line) for line in table_lines(report, now, tz, lang)]
    head, body = lines[0], lines[1:]
    footer = f"{legend}\n{rule}\n\n{t('team.open_member', lang)}"
    views: list[View] = []
    chunk: list[str] = []
    prefix = f"{title}\n"

    def flush(last: bool) -> None:
        text = prefix + "<pre>" + "\n".join([head, *chunk]) + "</pre>"
        views.append((Html(text + ("\n" + footer if last else "")), []))

    budget = MESSAGE_LIMIT - len(footer) - len(title) - 40
    for line in body:
        if chunk and len(prefix) + sum(len(c) + 1 for c in [head, *chunk, line]) > budget:
            flush(last=False)
            chunk, prefix = [], ""
        chunk.append(line)
    flush(last=True)
    views[-1] = (views[-1][0], member_buttons(report.rows))
    return views


def team_picker(teams: Sequence[Team], page: int, lang: str) -> View:
    """Buttons for the teams in scope, TEAMS_PER_PAGE at a time."""
    if not teams:
        return t("team.none", lang), []
    last = max(0, (len(teams) - 1) // TEAMS_PER_PAGE)
    page = min(max(page, 0), last)
    shown = teams[page * TEAMS_PER_PAGE : (page + 1) * TEAMS_PER_PAGE]
    rows: Rows = [[(f"{tm.id}. {tm.name}", callbacks.TEAM.encode("t", tm.id))] for tm in shown]
    nav = []
    if page > 0:
        nav.append((plain("btn.team_back", lang), callbacks.TEAM.encode("p", page - 1)))
    if page < last:
        nav.append((plain("btn.team_more", lang), callbacks.TEAM.encode("p", page + 1)))
    if nav:
        rows.append(nav)
    return t("team.pick", lang), rows


# --- heatmap words --------------------------------------------------------------------------


def short_titles(kb: Knowledge, lang: str) -> list[str]:
    """Column labels: each activity's id and short title (the full title if none is listed)."""
    listed = {}
    for line in plain("heat.short", lang).splitlines():
        act, _, title = line.strip().partition(" ")
        listed[act] = title
    return [
        f"{act} {listed.get(act) or kb.activities[act].title.get(kl(lang))}"
        for act in kb.activities
    ]


def heat_input(
    kb: Knowledge, report: TeamReport, now: datetime, tz: ZoneInfo, lang: str
) -> tuple[list[str], list[HeatRow], HeatTexts]:
    """What the heatmap draws, in the table's order (who needs attention first)."""
    rows = [
        HeatRow(
            f"{display_name(r.user)}",
            [r.mastery.get(a, 0.0) if a in r.practised else None for a in kb.activities],
        )
        for r in report.rows
    ]
    date = now.astimezone(tz).strftime("%Y-%m-%d")
    texts = HeatTexts(
        plain("heat.title", lang, team=report.team.name, date=date),
        plain("heat.not_practised", lang),
        plain("heat.scale", lang),
    )
    return short_titles(kb, lang), rows, texts


def heat_caption(team: Team, n: int, total: int, lang: str) -> str:
    return plain(
        "team.chart_caption", lang, team=team.name, page=f"{n}/{total}" if total > 1 else ""
    )


# --- /member --------------------------------------------------------------------------------


def member_matches(users: Sequence[User], lang: str) -> View:
    rows: Rows = [
        [(f"{display_name(u)}" + (f" @{u.username}" if u.username else ""),
          callbacks.TEAM.encode("m", u.id))]
        for u in users
    ]  # fmt: skip
    return t("member.pick", lang), rows


def _seen(report: MemberReport, now: datetime, tz: ZoneInfo, lang: str) -> str:
    days = report.row.days_since_seen(now, tz)
    if days is None:
        return plain("member.seen_never", lang)
    if days == 0:
        return plain("member.seen_today", lang)
    return plain("member.seen_days", lang, n=days)


_MISSED = {
    "none": "member.missed_none",
    "not_followed": "member.missed_not_followed",
    "down": "member.missed_down",
}


def member_view(
    kb: Knowledge, report: MemberReport, now: datetime, tz: ZoneInfo, lang: str
) -> View:
    """A member's page: figures, mastery per activity, last questions and which went unanswered."""
    row, k = report.row, kl(lang)
    user = row.user
    lines = [
        t(
            "member.title",
            lang,
            name=display_name(user),
            username=f" @{user.username}" if user.username else "",
            team=report.team.name if report.team else "—",
        ),
        t("member.seen", lang, when=_seen(report, now, tz, lang)),
        t(
            "member.drills",
            lang,
            d7=row.drills_recent,
            d30=report.drills_30d,
            accuracy=pct(row.accuracy_recent),
            streak=row.streak,
        ),
        t("member.status", lang, mark=MARK[row.status], mastery=pct(row.mean_mastery)),
        "",
        t("member.mastery", lang),
    ]
    for act, value in row.mastery.items():
        shown = pct(value) if act in row.practised else "—"
        bar = "▓" * round(value * 5) + "░" * (5 - round(value * 5))
        title = escape(kb.activities[act].title.get(k))
        lines.append(f"<code>{act} {bar} {shown:>4}</code> {title}")
    lines += ["", t("member.questions", lang, n=min(len(report.questions), RECENT_QUESTIONS))]
    if not report.questions:
        lines.append(t("member.no_questions", lang))
    for q in report.questions:
        when = q.asked_at.astimezone(tz).strftime("%m/%d %H:%M")
        mark = t(_MISSED[q.missed] if q.missed else "member.answered", lang)
        text = q.text if len(q.text) <= 80 else q.text[:79] + "…"
        lines.append(f"{when} {mark} {escape(text)}")
    return Html("\n".join(lines)), []


def trend_input(
    report: MemberReport, lang: str
) -> tuple[list[tuple[str, int, float | None]], TrendTexts]:
    weeks = [(w.start.strftime("%m/%d"), w.drills, w.accuracy) for w in report.weeks]
    texts = TrendTexts(
        plain("trend.title", lang, name=display_name(report.row.user)),
        plain("trend.drills", lang),
        plain("trend.accuracy", lang),
        plain("trend.week", lang),
    )
    return weeks, texts


def trend_caption(lang: str) -> str:
    return plain("member.chart_caption", lang)
