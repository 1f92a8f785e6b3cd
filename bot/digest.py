"""The weekly digest for supervisors: drills done against expected, who did none, what the
team is likely to have forgotten, what the bot could not answer, and the week's faults.

Sent every Monday at DIGEST_TIME (bot time zone); a digest missed while the bot was down goes
out once on its return in the same week. Each supervisor can turn it off in /settings.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from bot import outcomes, storage, unanswered
from bot.access import team_ids_in_scope
from bot.progress import local_day, week_start
from bot.reports import member_rows
from bot.storage import Team, User
from knowledge import drill as srs
from knowledge.library import Library
from knowledge.models import Knowledge

DIGEST_DAY = 0  # Monday (date.weekday())
DIGEST_TIME = time(9, 0)
RECALL_FLOOR = 0.80  # predicted recall under this: likely forgotten
MIN_FORGETTING = 2  # an alert needs at least this many members …
MIN_SHARE = 0.25  # … and this share of those who practised the activity
MAX_ALERTS = 3
TOP_UNANSWERED = 3


def iso_week(now: datetime, tz: ZoneInfo) -> str:
    year, week, _ = local_day(now, tz).isocalendar()
    return f"{year}-W{week:02d}"


def is_due_time(now: datetime, tz: ZoneInfo) -> bool:
    """True from Monday DIGEST_TIME on, for the rest of that week."""
    start = week_start(now, tz)
    return now.astimezone(tz) >= start + timedelta(days=DIGEST_DAY) + _since_midnight()


def _since_midnight() -> timedelta:
    return timedelta(hours=DIGEST_TIME.hour, minutes=DIGEST_TIME.minute)


def due(db: Database, now: datetime, tz: ZoneInfo) -> list[User]:
    """Supervisors whose digest of this week is due and not yet sent."""
    if not is_due_time(now, tz):
        return []
    return storage.digest_recipients(db, iso_week(now, tz))


@dataclass(frozen=True)
class MemberWeek:
    user: User
    drills: int
    expected: int


@dataclass(frozen=True)
class Alert:
    """An activity several members are likely to have forgotten."""

    activity: str
    members: list[User]
    practised: int  # how many members have practised it at all


@dataclass(frozen=True)
class TeamDigest:
    team: Team
    members: list[MemberWeek]  # fewest drills (against expected) first
    alerts: list[Alert]
    unanswered: list[unanswered.Group]
    faults: outcomes.Faults


def recall_by_activity(
    kb: Knowledge, states: list[tuple[str, str, str]], now: datetime
) -> dict[str, float]:
    """Mean predicted recall (FSRS retrievability now) of the questions practised, by activity."""
    sums: dict[str, list[float]] = defaultdict(list)
    for qid, card, due_at in states:
        q = kb.questions.get(qid)
        if q is not None:
            state = srs.SrsState(qid, card, storage.parse_iso(due_at))
            sums[q.activity].append(srs.retrievability(state, now))
    return {act: sum(v) / len(v) for act, v in sums.items()}


def alerts_for(
    kb: Knowledge,
    members: list[User],
    states: dict[int, list[tuple[str, str, str]]],
    now: datetime,
) -> list[Alert]:
    """Activities where several members' predicted recall fell under RECALL_FLOOR."""
    forgetting: dict[str, list[User]] = defaultdict(list)
    practised: dict[str, int] = defaultdict(int)
    for user in members:
        for act, recall in recall_by_activity(kb, states.get(user.id, []), now).items():
            practised[act] += 1
            if recall < RECALL_FLOOR:
                forgetting[act].append(user)
    alerts = [
        Alert(act, users, practised[act])
        for act, users in forgetting.items()
        if len(users) >= MIN_FORGETTING and len(users) >= MIN_SHARE * practised[act]
    ]
    alerts.sort(key=lambda a: (-len(a.members), a.activity))
    return alerts[:MAX_ALERTS]


def team_digest(
    db: Database, library: Library, team: Team, now: datetime, tz: ZoneInfo
) -> TeamDigest:
    kb = library.kb
    staff = storage.team_staff(db, team.id)
    rows = member_rows(db, kb, staff, now, tz)
    members = [
        MemberWeek(r.user, r.drills_recent, len(storage.get_reminder(db, r.user.id).days))
        for r in rows
    ]
    members.sort(key=lambda m: (m.drills - m.expected, m.user.first_name.casefold()))
    states = storage.srs_states_of(db, [u.id for u in staff])
    groups = unanswered.work_groups(
        library, unanswered.team_groups(db, library, team.id, now), upto=TOP_UNANSWERED
    )[:TOP_UNANSWERED]
    faults = outcomes.week_faults(db, kb, team.id, now - timedelta(days=7), tz)
    return TeamDigest(team, members, alerts_for(kb, staff, states, now), groups, faults)


def build(
    db: Database, library: Library, user: User, now: datetime, tz: ZoneInfo
) -> list[TeamDigest]:
    """The digest of every team the supervisor leads (an admin's: the teams they lead too)."""
    teams = [t for t in (storage.get_team(db, i) for i in storage.led_team_ids(db, user.id)) if t]
    return [team_digest(db, library, team, now, tz) for team in teams]


def build_at(
    db_path: Path, library: Library, user: User, now: datetime, tz: ZoneInfo
) -> list[TeamDigest]:
    """`build` on a read-only connection of its own, for a worker thread (a supervisor's
    digest takes up to ~0.2 s of CPU on a large chain; the event loop stays free)."""
    with storage.reading(db_path) as db:
        return build(db, library, user, now, tz)


def mark_sent(db: Database, user: User, now: datetime, tz: ZoneInfo) -> None:
    storage.mark_digest_sent(db, user.id, iso_week(now, tz))


def forgetting_members(
    db: Database, kb: Knowledge, viewer: User, team_id: int, activity: str, now: datetime
) -> list[User] | None:
    """For the "start a team drill" button: who in the team is likely to have forgotten the
    activity now; None when the viewer may not see the team or the activity is unknown."""
    if team_id not in team_ids_in_scope(db, viewer) or activity not in kb.activities:
        return None
    staff = storage.team_staff(db, team_id)
    states = storage.srs_states_of(db, [u.id for u in staff])
    return [
        u
        for u in staff
        if u.consented
        and u.active
        and recall_by_activity(kb, states.get(u.id, []), now).get(activity, 1.0) < RECALL_FLOOR
    ]
