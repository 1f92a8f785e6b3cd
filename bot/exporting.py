"""Team exports as CSV: drill answers, questions asked, and the evidence per member mapped to
the standard (IIS3513-005v2), for a range of local dates.

The files are UTF-8 with a byte-order mark (Excel in Taiwan then opens the Chinese as
Chinese) and every text cell that a spreadsheet would read as a formula gets a leading
apostrophe. Building them reads the database only; in the bot it runs in a worker thread on
its own connection (`build_export_at`), never on the bot's `Database`.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from bot import storage
from bot.access import sees_team, team_ids_in_scope
from bot.storage import Team, User
from bot.texts import plain
from knowledge import drill as srs
from knowledge.models import Knowledge

DEFAULT_DAYS = 30
MAX_DAYS = 366
# Cells starting with these are formulas (or become one) in Excel, LibreOffice and Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_DATE = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})")
_TEAM_ID = re.compile(r"[0-9]{1,19}")

ANSWER_COLUMNS = (
    "export.col.member",
    "export.col.user_id",
    "export.col.team",
    "export.col.activity",
    "export.col.indicators",
    "export.col.question_id",
    "export.col.correct",
    "export.col.answered_at",
)
QUESTION_COLUMNS = (
    "export.col.member",
    "export.col.user_id",
    "export.col.team",
    "export.col.text",
    "export.col.tier",
    "export.col.card",
    "export.col.activity",
    "export.col.feedback",
    "export.col.asked_at",
)
EVIDENCE_COLUMNS = (
    "export.col.member",
    "export.col.user_id",
    "export.col.team",
    "export.col.task",
    "export.col.activity",
    "export.col.activity_title",
    "export.col.covered",
    "export.col.coverage",
    "export.col.answers",
    "export.col.correct_count",
    "export.col.mastery",
    "export.col.last_practised",
)


# --- date ranges -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DateRange:
    """Local dates, both included."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes: the first day's midnight to the day after last."""
        start = datetime.combine(self.first, time(0, 0), tzinfo=tz)
        end = datetime.combine(self.last + timedelta(days=1), time(0, 0), tzinfo=tz)
        return start, end

    def token(self) -> tuple[int, int]:
        """The range as two yyyymmdd numbers (button data)."""
        return int(self.first.strftime("%Y%m%d")), int(self.last.strftime("%Y%m%d"))


def default_range(today: date) -> DateRange:
    return DateRange(today - timedelta(days=DEFAULT_DAYS - 1), today)


def parse_date(text: str) -> date | None:
    """'2026-11-01' or '2026/11/1' (ASCII digits) → a date; anything else → None."""
    match = _DATE.fullmatch(text.strip())
    if match is None:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def make_range(first: date, last: date) -> DateRange | str:
    """The range, or the catalogue key saying why not."""
    if first > last:
        return "export.bad_order"
    rng = DateRange(first, last)
    if rng.days > MAX_DAYS:
        return "export.too_long"
    return rng


def range_from_token(first: int, last: int) -> DateRange | None:
    """Button data back to a range; None when forged."""
    a, b = parse_date(_token_date(first)), parse_date(_token_date(last))
    if a is None or b is None:
        return None
    rng = make_range(a, b)
    return rng if isinstance(rng, DateRange) else None


def _token_date(n: int) -> str:
    s = f"{n:08d}"
    return f"{s[:4]}-{s[4:6]}-{s[6:]}" if len(s) == 8 else ""


# --- who exports which team ------------------------------------------------------------------


@dataclass(frozen=True)
class Choose:
    """Several teams in scope: ask which one."""

    teams: list[Team]
    range: DateRange


@dataclass(frozen=True)
class Go:
    team: Team
    range: DateRange


def plan(db: Database, user: User, args: Sequence[str], today: date) -> Choose | Go | str:
    """What `/export [team id] [from [to]]` asks for (the caller checked `may(user, 'export')`).

    Returns the team and range, the teams to choose from, or the catalogue key of a short
    answer. A team id the user may not see gets the same answer as one that does not exist.
    """
    team_arg: int | None = None
    dates: list[date] = []
    for arg in args:
        if _TEAM_ID.fullmatch(arg) and team_arg is None and not dates:
            team_arg = int(arg)
            continue
        day = parse_date(arg)
        if day is None or len(dates) == 2:
            return "export.usage"
        dates.append(day)
    if not dates:
        rng: DateRange | str = default_range(today)
    elif len(dates) == 1:
        rng = make_range(dates[0], today)
    else:
        rng = make_range(dates[0], dates[1])
    if isinstance(rng, str):
        return rng
    if team_arg is not None:
        team = storage.get_team(db, team_arg) if sees_team(db, user, team_arg) else None
        return Go(team, rng) if team is not None else "export.no_team"
    return choose_or_go(db, user, rng)


def choose_or_go(db: Database, user: User, rng: DateRange) -> Choose | Go | str:
    teams = [t for t in map(lambda i: storage.get_team(db, i), team_ids_in_scope(db, user)) if t]
    if not teams:
        return "export.no_teams"
    if len(teams) == 1:
        return Go(teams[0], rng)
    return Choose(teams, rng)


def pressed(db: Database, user: User, team_id: int, first: int, last: int) -> Go | None:
    """A team button: the export it asks for, or None when forged or out of scope."""
    rng = range_from_token(first, last)
    if rng is None or not sees_team(db, user, team_id):
        return None
    team = storage.get_team(db, team_id)
    return Go(team, rng) if team is not None else None


def find_team(db: Database, name_or_id: str) -> list[Team]:
    """Teams by id, else by exact name (case-insensitive), for the command line."""
    text = name_or_id.strip()
    if _TEAM_ID.fullmatch(text):
        team = storage.get_team(db, int(text))
        if team is not None:
            return [team]
    return [t for t in storage.list_teams(db) if t.name.casefold() == text.casefold()]


# --- the files -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    name: str
    kind: str  # answers, questions, evidence
    data: bytes
    rows: int


@dataclass(frozen=True)
class Export:
    team: Team
    range: DateRange
    files: list[ExportFile]
    members: int

    def rows(self, kind: str) -> int:
        return next(f.rows for f in self.files if f.kind == kind)


def neutralise(value: object) -> object:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def header(keys: Iterable[str], lang: str) -> list[str]:
    """Column names in the user's language; 'both' gives zh-TW and English (the shell)."""
    if lang == "both":
        return [f"{plain(k, 'zh-TW')} / {plain(k, 'en')}" for k in keys]
    return [plain(k, lang) for k in keys]


def csv_bytes(head: list[str], rows: Iterable[Sequence[object]]) -> tuple[bytes, int]:
    """UTF-8 with BOM, CRLF lines (what Excel expects), formulas neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralise(c) for c in head])
    n = 0
    for row in rows:
        writer.writerow([neutralise(c) for c in row])
        n += 1
    return ("\ufeff" + out.getvalue()).encode("utf-8"), n


def local_iso(stored: str | None, tz: ZoneInfo) -> str:
    """A stored UTC time as local ISO 8601 with its offset, e.g. 2026-11-30T09:30:00+08:00."""
    if not stored:
        return ""
    return storage.parse_iso(stored).astimezone(tz).isoformat(timespec="seconds")


def _who(row: dict[str, Any]) -> str:
    name = row["first_name"] or ""
    return f"{name} @{row['username']}" if row.get("username") else name


def build_export(
    db: Database,
    kb: Knowledge,
    team: Team,
    rng: DateRange,
    tz: ZoneInfo,
    now: datetime,
    lang: str,
) -> Export:
    """The three CSV files of a team for a range. Mastery is as of `now`."""
    start, end = rng.bounds(tz)
    answers = storage.export_answers(db, team.id, start, end)
    questions = storage.export_questions(db, team.id, start, end)
    stem = f"shopcoach-team{team.id}-{rng.first:%Y%m%d}-{rng.last:%Y%m%d}"

    def indicators(qid: str) -> list[str]:
        q = kb.questions.get(qid)
        return list(q.indicators) if q is not None else []

    answer_rows = (
        (
            _who(r),
            r["user_id"],
            team.name,
            r["activity"],
            " ".join(indicators(r["question_id"])),
            r["question_id"],
            int(bool(r["correct"])),
            local_iso(r["answered_at"], tz),
        )
        for r in answers
    )
    feedback = {1: "👍", -1: "👎"}
    question_rows = (
        (
            _who(r),
            r["user_id"],
            team.name,
            r["text"],
            r["tier"],
            r["card"] or "",
            r["activity"] or "",
            feedback.get(r["feedback"], ""),
            local_iso(r["created_at"], tz),
        )
        for r in questions
    )
    evidence_rows, members = _evidence(db, kb, team, answers, end, tz, now, lang)
    files = []
    for kind, keys, rows in (
        ("answers", ANSWER_COLUMNS, answer_rows),
        ("questions", QUESTION_COLUMNS, question_rows),
        ("evidence", EVIDENCE_COLUMNS, evidence_rows),
    ):
        data, n = csv_bytes(header(keys, lang), rows)
        files.append(ExportFile(f"{stem}-{kind}.csv", kind, data, n))
    return Export(team, rng, files, members)


def _evidence(
    db: Database,
    kb: Knowledge,
    team: Team,
    answers: list[dict[str, Any]],
    end: datetime,
    tz: ZoneInfo,
    now: datetime,
    lang: str,
) -> tuple[list[tuple[object, ...]], int]:
    """One row per member and activity of the standard: the indicators covered by the
    questions they answered in the range, answers and right ones, mastery now (FSRS), and
    when they last practised it (up to the range's end)."""
    covered: dict[tuple[int, str], set[str]] = defaultdict(set)
    counts: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in answers:
        key = (r["user_id"], r["activity"])
        q = kb.questions.get(r["question_id"])
        if q is not None:
            covered[key].update(q.indicators)
        counts[key][0] += 1
        counts[key][1] += int(bool(r["correct"]))
    states: dict[int, dict[str, srs.SrsState]] = defaultdict(dict)
    for s in storage.export_srs(db, team.id):
        states[s["user_id"]][s["question_id"]] = srs.SrsState(
            s["question_id"], s["card_json"], storage.parse_iso(s["due"])
        )
    last = storage.export_last_practised(db, team.id, end)
    title_lang = "en" if lang == "en" else "zh"
    rows: list[tuple[object, ...]] = []
    members = storage.export_members(db, team.id)
    for m in members:
        uid = m["user_id"]
        mastery = srs.activity_mastery(kb, states.get(uid, {}), now)
        for act in kb.activities.values():
            key = (uid, act.id)
            order = [i.id for i in act.indicators]
            mine = covered.get(key, set())
            # The standard's order; an id the activity does not list (a typo in a quiz) last.
            got = [i for i in order if i in mine] + sorted(mine - set(order))
            answered, right = counts.get(key, [0, 0])
            rows.append(
                (
                    _who(m),
                    uid,
                    team.name,
                    act.task_id,
                    act.id,
                    act.title.get(title_lang),
                    " ".join(got),
                    f"{len([i for i in got if i in order])}/{len(order)}",
                    answered,
                    right,
                    round(100 * mastery.get(act.id, 0.0)),
                    local_iso(last.get(key), tz),
                )
            )
    return rows, len(members)


def build_export_at(
    db_path: Path,
    kb: Knowledge,
    team: Team,
    rng: DateRange,
    tz: ZoneInfo,
    now: datetime,
    lang: str,
) -> Export:
    """`build_export` on a connection of its own, for a worker thread: the bot's `Database`
    belongs to the event loop's thread. query_only: this connection can never write."""
    with storage.reading(db_path) as db:
        return build_export(db, kb, team, rng, tz, now, lang)


def write_files(export: Export, out_dir: Path) -> list[Path]:
    """Write an export's files into a folder (the command line)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in export.files:
        path = out_dir / f.name
        path.write_bytes(f.data)
        paths.append(path)
    return paths
