"""`python -m bot report`: the /team heatmap and a member's trend chart written to PNG files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from bot import reports, storage, team_charts
from bot.render import reports as views
from bot.storage import Team
from knowledge.models import Knowledge


@dataclass(frozen=True)
class Written:
    """Files written, or the catalogue key (and its values) saying why none were."""

    paths: list[Path]
    problem: str | None = None
    detail: dict[str, str] | None = None


def numbered(out: Path, count: int) -> list[Path]:
    """`team.png` for one image; `team-1.png`, `team-2.png` … for several."""
    if count == 1:
        return [out]
    return [out.with_name(f"{out.stem}-{n}{out.suffix or '.png'}") for n in range(1, count + 1)]


def team_charts_to(
    db: Database, kb: Knowledge, query: str, out: Path, lang: str, now: datetime, tz: ZoneInfo
) -> Written:
    """The heatmap of the team named or numbered `query` (all teams: this is the shell)."""
    found = [Team(tid, name) for tid, name in storage.find_teams(db, query)]
    if not found:
        return Written([], "report.no_team", {"query": query})
    if len(found) > 1:
        listing = ", ".join(f"{tm.id} {tm.name}" for tm in found[:10])
        return Written([], "report.several_teams", {"query": query, "teams": listing})
    report = reports.team_report(db, kb, found[0], now, tz)
    if not report.rows:
        return Written([], "report.no_members", {"team": found[0].name})
    columns, rows, texts = views.heat_input(kb, report, now, tz, lang)
    pngs = team_charts.heatmaps(columns, rows, texts)
    paths = numbered(out, len(pngs))
    for path, png in zip(paths, pngs, strict=True):
        path.write_bytes(png)
    return Written(paths)


def member_chart_to(
    db: Database, kb: Knowledge, user_id: int, out: Path, lang: str, now: datetime, tz: ZoneInfo
) -> Written:
    """A member's 4-week trend chart."""
    user = storage.get_user(db, user_id)
    if user is None:
        return Written([], "report.no_member", {"query": str(user_id)})
    report = reports.member_report(db, kb, user, now, tz)
    weeks, texts = views.trend_input(report, lang)
    out.write_bytes(team_charts.trend_png(weeks, texts))
    return Written([out])
