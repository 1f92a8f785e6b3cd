"""Views for /export (choosing a team, the files' captions, the summary) and /backup."""

from __future__ import annotations

from pathlib import Path

from bot import callbacks
from bot.backups import Backup, BackupError
from bot.exporting import DateRange, Export
from bot.render.base import Rows, View
from bot.storage import Team
from bot.texts import Html, plain, t

TEAMS_PER_PAGE = 10


def size_text(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{max(1, round(size / 1000))} kB"


def export_choose(teams: list[Team], rng: DateRange, page: int, lang: str) -> View:
    """A page of team buttons; the range rides along in each button."""
    first, last = rng.token()
    pages = max(1, -(-len(teams) // TEAMS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = teams[page * TEAMS_PER_PAGE : (page + 1) * TEAMS_PER_PAGE]
    rows: Rows = [
        [
            (
                plain("export.team_button", lang, id=tm.id, name=tm.name),
                callbacks.EXPORT.encode("t", tm.id, first, last),
            )
        ]
        for tm in shown
    ]
    nav = []
    if page > 0:
        nav.append(
            (plain("export.back", lang), callbacks.EXPORT.encode("p", page - 1, first, last))
        )
    if page < pages - 1:
        nav.append(
            (plain("export.more", lang), callbacks.EXPORT.encode("p", page + 1, first, last))
        )
    if nav:
        rows.append(nav)
    return t("export.choose", lang, first=rng.first, last=rng.last), rows


def export_working(team: Team, rng: DateRange, lang: str) -> View:
    return t("export.working", lang, team=team.name, first=rng.first, last=rng.last), []


def export_done(export: Export, tz_name: str, lang: str) -> View:
    text = t(
        "export.done",
        lang,
        team=export.team.name,
        first=export.range.first,
        last=export.range.last,
        tz=tz_name,
        answers=export.rows("answers"),
        questions=export.rows("questions"),
        members=export.members,
    )
    return text, []


def export_caption(kind: str, lang: str) -> str:
    captions = {
        "answers": plain("export.caption.answers", lang),
        "questions": plain("export.caption.questions", lang),
        "evidence": plain("export.caption.evidence", lang),
    }
    return captions[kind]


def export_failed(lang: str) -> View:
    return t("export.failed", lang), []


def backup_working(lang: str) -> View:
    return t("backup.working", lang), []


def backup_done(backup: Backup, backup_dir: Path, keep: int, lang: str) -> View:
    if not backup.ok:
        return t("backup.bad", lang, name=backup.path.name, check=backup.check), []
    removed = t("backup.removed", lang, n=len(backup.removed)) if backup.removed else Html("")
    text = t(
        "backup.done",
        lang,
        name=backup.path.name,
        size=size_text(backup.size),
        check=backup.check,
        dir=str(backup_dir),
        keep=keep,
        removed=removed,
    )
    return text, []


def backup_refused(error: BackupError, lang: str) -> View:
    return t(error.key, lang, **error.values), []


def daily_backup_problem(view: View, lang: str) -> View:
    text, rows = view
    return Html(f"{t('backup.daily_failed', lang)}\n{text}"), rows
