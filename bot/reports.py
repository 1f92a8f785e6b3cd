"""Supervisors' views of their teams: /team (a table and a mastery heatmap) and /member.

Plain functions over the database and the knowledge, with the clock as an argument. Which teams
a viewer may see comes from `bot.access` only; the 🟢/🟡/🔴 rule is `status_of`, here and
nowhere else (the README states it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from bot import storage
from bot.access import sees_team, team_ids_in_scope
from bot.progress import local_day, streak, week_start
from bot.storage import Team, User
from knowledge import drill as srs
from knowledge.models import Knowledge

# --- the status rule ---------------------------------------------------------------------

Status = Literal["red", "amber", "green"]
WINDOW_DAYS = 7  # "recent" means the last 7 days
RED_MASTERY = 0.30  # mean mastery under this: red
AMBER_MASTERY = 0.60  # under this: amber
AMBER_DRILLS = 3  # fewer finished drills than this in the window: amber
STATUS_ORDER: dict[Status, int] = {"red": 0, "amber": 1, "green": 2}


def status_of(drills_recent: int, mastery: float) -> Status:
    """🔴 no drill finished in the last 7 days, or mean mastery under 30 %;
    🟡 fewer than 3 drills in the last 7 days, or mean mastery under 60 %;
    🟢 otherwise."""
    if drills_recent == 0 or mastery < RED_MASTERY:
        return "red"
    if drills_recent < AMBER_DRILLS or mastery < AMBER_MASTERY:
        return "amber"
    return "green"


# --- figures per member -------------------------------------------------------------------


@dataclass(frozen=True)
class MemberRow:
    """One member's line of the team table and row of the heatmap."""

    user: User
    last_seen: datetime | None
    drills_recent: int
    answers_recent: int
    right_recent: int
    streak: int
    mastery: dict[str, float]  # activity id → 0–1
    practised: frozenset[str]  # activities with at least one answered question
    status: Status

    @property
    def accuracy_recent(self) -> float | None:
        return self.right_recent / self.answers_recent if self.answers_recent else None

    @property
    def mean_mastery(self) -> float:
        return sum(self.mastery.values()) / len(self.mastery) if self.mastery else 0.0

    @property
    def weakest(self) -> str | None:
        """The activity with the lowest mastery (ties: the first id); None before any practice."""
        if not self.mastery or not self.practised:
            return None
        return min(self.mastery, key=lambda a: (self.mastery[a], a))

    def days_since_seen(self, now: datetime, tz: ZoneInfo) -> int | None:
        if self.last_seen is None:
            return None
        return max(0, (local_day(now, tz) - local_day(self.last_seen, tz)).days)


def attention_order(row: MemberRow) -> tuple[int, float, int, str, int]:
    """Who needs attention first: red before amber before green, then the least mastery."""
    return (
        STATUS_ORDER[row.status],
        round(row.mean_mastery, 4),
        row.drills_recent,
        row.user.first_name.casefold(),
        row.user.id,
    )


def member_rows(
    db: Database, kb: Knowledge, users: Sequence[User], now: datetime, tz: ZoneInfo
) -> list[MemberRow]:
    """The figures of several users at once (a fixed number of queries, whatever their count)."""
    ids = [u.id for u in users]
    since = now - timedelta(days=WINDOW_DAYS)
    answers = storage.answers_since(db, ids, since)
    seen = storage.last_seen(db, ids)
    finished = storage.finished_drills_of(db, ids)
    states = storage.srs_states_of(db, ids)
    rows = []
    for user in users:
        user_states = {
            qid: srs.SrsState(qid, card, storage.parse_iso(due))
            for qid, card, due in states.get(user.id, [])
        }
        mastery = srs.activity_mastery(kb, user_states, now)
        practised = frozenset(
            kb.questions[qid].activity for qid in user_states if qid in kb.questions
        )
        done = finished.get(user.id, [])
        drills_recent = sum(1 for t in done if t >= since)
        n, right = answers.get(user.id, (0, 0))
        mean = sum(mastery.values()) / len(mastery) if mastery else 0.0
        rows.append(
            MemberRow(
                user=user,
                last_seen=seen.get(user.id),
                drills_recent=drills_recent,
                answers_recent=n,
                right_recent=right,
                streak=streak(done, now, tz),
                mastery=mastery,
                practised=practised,
                status=status_of(drills_recent, mean),
            )
        )
    return rows


# --- /team ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamReport:
    team: Team
    rows: list[MemberRow]  # who needs attention first


def team_report(
    db: Database, kb: Knowledge, team: Team, now: datetime, tz: ZoneInfo
) -> TeamReport:
    """A team's table and heatmap data (the caller checked the viewer may see the team)."""
    rows = member_rows(db, kb, storage.team_staff(db, team.id), now, tz)
    return TeamReport(team, sorted(rows, key=attention_order))


def teams_in_scope(db: Database, viewer: User) -> list[Team]:
    teams = (storage.get_team(db, tid) for tid in team_ids_in_scope(db, viewer))
    return [t for t in teams if t is not None]


def open_team(db: Database, viewer: User, team_id: int) -> Team | None:
    """The team, if the viewer may see it; else None (unknown and foreign alike)."""
    return storage.get_team(db, team_id) if sees_team(db, viewer, team_id) else None


def pick_teams(db: Database, viewer: User, text: str) -> list[Team]:
    """Teams in the viewer's scope named (or numbered) by `text`."""
    scope = set(team_ids_in_scope(db, viewer))
    return [Team(tid, name) for tid, name in storage.find_teams(db, text) if tid in scope]


# --- /member --------------------------------------------------------------------------------

Missed = Literal["none", "not_followed", "down"]
# A "did you mean" counts as followed when the member opened a card within this time.
FOLLOW_WINDOW = timedelta(minutes=10)
RECENT_QUESTIONS = 10
TREND_WEEKS = 4


@dataclass(frozen=True)
class AskedRow:
    text: str
    asked_at: datetime
    tier: str
    missed: Missed | None  # why it counts as not answered; None when it was


@dataclass(frozen=True)
class WeekRow:
    start: datetime  # Monday 00:00 local
    drills: int
    answers: int
    right: int

    @property
    def accuracy(self) -> float | None:
        return self.right / self.answers if self.answers else None


@dataclass(frozen=True)
class MemberReport:
    row: MemberRow
    team: Team | None
    weeks: list[WeekRow]  # oldest first, the current week last
    questions: list[AskedRow]  # newest first
    drills_30d: int


def missed_reason(tier: str, feedback: int | None, followed: bool) -> Missed | None:
    """Why a logged question counts as one the bot could not answer (None: it did)."""
    if tier == "none":
        return "none"
    if feedback is not None and feedback < 0:
        return "down"
    if tier == "suggest" and not followed:
        return "not_followed"
    return None


def _asked(db: Database, user_id: int, now: datetime) -> list[AskedRow]:
    rows = storage.recent_questions(db, user_id, RECENT_QUESTIONS)
    if not rows:
        return []
    times = [storage.parse_iso(r["created_at"]) for r in rows]
    views = storage.card_views_between(
        db, user_id, min(times), max(now, max(times)) + FOLLOW_WINDOW
    )
    out = []
    for r, at in zip(rows, times, strict=True):
        followed = any(at <= v < at + FOLLOW_WINDOW for v in views)
        out.append(
            AskedRow(r["text"], at, r["tier"], missed_reason(r["tier"], r["feedback"], followed))
        )
    return out


def member_report(
    db: Database, kb: Knowledge, user: User, now: datetime, tz: ZoneInfo
) -> MemberReport:
    """One member's page (the caller checked the viewer may see them: `open_member`)."""
    [row] = member_rows(db, kb, [user], now, tz)
    first = week_start(now, tz) - timedelta(weeks=TREND_WEEKS - 1)
    finished = storage.finished_drills_of(db, [user.id])[user.id]
    answers = storage.answers_between(db, user.id, first, now + timedelta(seconds=1))
    weeks = []
    for k in range(TREND_WEEKS):
        start, end = first + timedelta(weeks=k), first + timedelta(weeks=k + 1)
        week_answers = [c for at, c, _ in answers if start <= at < end]
        weeks.append(
            WeekRow(
                start,
                sum(1 for t in finished if start <= t < end),
                len(week_answers),
                sum(week_answers),
            )
        )
    month = now - timedelta(days=30)
    return MemberReport(
        row=row,
        team=storage.get_team(db, user.team_id),
        weeks=weeks,
        questions=_asked(db, user.id, now),
        drills_30d=sum(1 for t in finished if t >= month),
    )


def open_member(db: Database, viewer: User, user_id: int) -> User | None:
    """The member, if they are in a team the viewer may see; else None."""
    user = storage.get_user(db, user_id)
    if user is None or not sees_team(db, viewer, user.team_id):
        return None
    return user


def search_members(db: Database, viewer: User, text: str) -> list[User]:
    """Members of the viewer's teams matching a name or @username (at most 10)."""
    return storage.find_users(db, team_ids_in_scope(db, viewer), text.strip()[:64])
