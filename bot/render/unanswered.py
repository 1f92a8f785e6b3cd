"""/unanswered views: the team picker, a team's groups page by page, one group with the cards
to attach it to (suggested, or browsed task → activity → card), and the outcomes."""

from __future__ import annotations

from datetime import tzinfo

from bot import callbacks
from bot.render.base import Rows, View, kl
from bot.storage import Team, parse_iso
from bot.texts import Html, plain, t
from bot.unanswered import PAGE, WINDOW_DAYS, Group, Page
from knowledge.models import Knowledge

UN = callbacks.UNANSWERED
WORDING_CHARS = 80  # a wording in the list is cut here (the group view shows it whole)


def _short(text: str, limit: int = WORDING_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _date(iso_text: str, tz: tzinfo) -> str:
    return parse_iso(iso_text).astimezone(tz).strftime("%m/%d")


REASONS = {
    "none": "unanswered.reason.none",
    "suggest": "unanswered.reason.suggest",
    "down": "unanswered.reason.down",
}


def _reasons(group: Group, lang: str) -> str:
    return " / ".join(plain(REASONS[r], lang) for r in group.reasons)


def team_picker(teams: list[Team], page: int, lang: str) -> View:
    """Buttons for the teams a user may look at, PAGE a message."""
    pages = max(1, -(-len(teams) // PAGE))
    page = min(max(page, 0), pages - 1)
    rows: Rows = [
        [(tm.name, UN.encode("l", tm.id, 0))] for tm in teams[page * PAGE : (page + 1) * PAGE]
    ]
    nav = []
    if page > 0:
        nav.append((plain("btn.unanswered.prev", lang), UN.encode("p", page - 1)))
    if page < pages - 1:
        nav.append((plain("btn.unanswered.next", lang), UN.encode("p", page + 1)))
    if nav:
        rows.append(nav)
    return t("unanswered.pick_team", lang, page=page + 1, pages=pages), rows


def list_page(p: Page, lang: str, tz: tzinfo) -> View:
    """A team's groups, newest first, with a numbered button per group and page buttons."""
    teams = [[(plain("btn.unanswered.teams", lang), UN.encode("p", 0))]]
    back: Rows = teams if p.several_teams else []
    if not p.groups:
        return t("unanswered.empty", lang, team=p.team.name, days=WINDOW_DAYS), back
    head = t(
        "unanswered.title",
        lang,
        team=p.team.name,
        days=WINDOW_DAYS,
        total=p.total,
        page=p.page + 1,
        pages=p.pages,
    )
    lines = [head, ""]
    numbers = []
    for n, group in enumerate(p.groups, p.page * PAGE + 1):
        row = t(
            "unanswered.row",
            lang,
            n=n,
            text=_short(group.wordings[0]),
            count=group.count,
            people=group.people,
            date=_date(group.last_at, tz),
            reasons=_reasons(group, lang),
        )
        if len(group.wordings) > 1:
            row = Html(f"{row} {t('unanswered.more_wordings', lang, n=len(group.wordings) - 1)}")
        lines.append(row)
        numbers.append((str(n), UN.encode("g", group.id, p.page)))
    lines += ["", t("unanswered.hint", lang)]
    rows: Rows = [numbers[i : i + 5] for i in range(0, len(numbers), 5)]
    nav = []
    if p.page > 0:
        nav.append((plain("btn.unanswered.prev", lang), UN.encode("l", p.team.id, p.page - 1)))
    if p.page < p.pages - 1:
        nav.append((plain("btn.unanswered.next", lang), UN.encode("l", p.team.id, p.page + 1)))
    if nav:
        rows.append(nav)
    return Html("\n".join(lines)), rows + back


def group_view(kb: Knowledge, group: Group, page: int, lang: str, tz: tzinfo) -> View:
    """One group: its wordings and what can be done with it."""
    k = kl(lang)
    wordings = "\n".join(t("unanswered.wording", lang, text=w) for w in group.wordings)
    text = t(
        "unanswered.group",
        lang,
        count=group.count,
        people=group.people,
        date=_date(group.last_at, tz),
        reasons=_reasons(group, lang),
        wordings=Html(wordings),
    )
    cards = [kb.cards[c] for c in group.suggested if c in kb.cards]
    hint = "unanswered.group_suggested" if cards else "unanswered.group_no_suggestion"
    rows: Rows = [
        [
            (
                plain("btn.unanswered.attach", lang, card=c.title.get(k)),
                UN.encode("at", group.id, c.id),
            )
        ]
        for c in cards
    ]
    rows.append([(plain("btn.unanswered.browse", lang), UN.encode("t", group.id))])
    rows.append([(plain("btn.unanswered.dismiss", lang), UN.encode("d", group.id))])
    rows.append([(plain("btn.unanswered.back", lang), UN.encode("l", group.team_id, page))])
    return Html(f"{text}\n\n{t(hint, lang)}"), rows


def attach_view(kb: Knowledge, group_id: int, tag: str, key: str | None, lang: str) -> View | None:
    """The attach browse level a button asks for (tasks, a task's activities, an activity's
    cards), or None when its id is not in the knowledge."""
    k = kl(lang)
    if tag == "t":
        rows: Rows = [
            [(f"{task.id} {task.title.get(k)}", UN.encode("a", group_id, task.id))]
            for task in kb.tasks.values()
        ]
        rows.append([(plain("btn.unanswered.up", lang), UN.encode("g", group_id, 0))])
        return t("unanswered.choose_task", lang), rows
    if tag == "a" and key in kb.tasks:
        task = kb.tasks[key]
        rows = [
            [(f"{a.id} {a.title.get(k)}", UN.encode("c", group_id, a.id))] for a in task.activities
        ]
        rows.append([(plain("btn.unanswered.up", lang), UN.encode("t", group_id))])
        return t("unanswered.choose_activity", lang, task=f"{task.id} {task.title.get(k)}"), rows
    if tag == "c" and key in kb.activities:
        act = kb.activities[key]
        rows = [
            [(f"📎 {c.title.get(k)}", UN.encode("at", group_id, c.id))] for c in kb.cards_for(key)
        ]
        rows.append([(plain("btn.unanswered.up", lang), UN.encode("a", group_id, act.task_id))])
        return t("unanswered.choose_card", lang, activity=f"{act.id} {act.title.get(k)}"), rows
    return None


def attached(kb: Knowledge, group: Group, card_id: str, lang: str) -> View:
    card = kb.cards[card_id]
    text = t("unanswered.attached", lang, card=card.title.get(kl(lang)), text=group.wordings[0])
    return text, [[(plain("btn.unanswered.back", lang), UN.encode("l", group.team_id, 0))]]


def dismissed(group: Group, lang: str) -> View:
    text = t("unanswered.dismissed", lang, text=_short(group.wordings[0]))
    return text, [[(plain("btn.unanswered.back", lang), UN.encode("l", group.team_id, 0))]]


def no_teams(lang: str) -> View:
    return t("unanswered.no_teams", lang), []
