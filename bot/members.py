"""Members and links: removing a member from a team, listing and revoking a team's open
invite links, promoting and demoting supervisors, and the admin's figures.

Plain functions over the database; every role check goes through `bot.access`. Functions that
act on ids from buttons re-check them all and return None for anything stale or foreign.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlite_utils import Database

from bot import storage, teams
from bot.access import may, outranks, role_changeable, sees_team, team_ids_in_scope
from bot.callbacks import parse_int
from bot.reminders import ReminderScheduler
from bot.settings import Settings
from bot.storage import OpenInvite, Stats, Team, User

# How many buttons one list shows (Telegram allows 100 per message).
MAX_BUTTONS = 40


# --- removing a member ---------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """Someone the user may remove, and the team they would be removed from."""

    team: Team
    member: User


def _in_team(db: Database, target: User, team_id: int) -> bool:
    return target.team_id == team_id or team_id in storage.led_team_ids(db, target.id)


def candidate(db: Database, user: User, team_id: int, target_id: int) -> Candidate | None:
    """The (team, member) pair behind a button, if the user may remove them; else None."""
    if not may(user, "remove") or not sees_team(db, user, team_id):
        return None
    target = storage.get_user(db, target_id)
    team = storage.get_team(db, team_id)
    if target is None or team is None or not outranks(user, target):
        return None
    if not _in_team(db, target, team_id):
        return None
    return Candidate(team, target)


def removable(db: Database, user: User, team_id: int) -> tuple[Team, list[Candidate]] | None:
    """A team and who in it the user may remove (None: not a team of theirs)."""
    if not may(user, "remove") or not sees_team(db, user, team_id):
        return None
    team = storage.get_team(db, team_id)
    if team is None:
        return None
    people = {u.id: u for u in storage.team_members(db, team_id)}
    people.update({u.id: u for u in storage.team_leads(db, team_id)})
    return team, [Candidate(team, u) for u in people.values() if outranks(user, u)]


def find_removable(db: Database, user: User, who: str) -> list[Candidate]:
    """Members of the user's teams called `who` (name, @username or id) they may remove."""
    scope = team_ids_in_scope(db, user)
    found = []
    for target in storage.find_members(db, scope, who[:64]):
        if not outranks(user, target):
            continue
        for team_id in [target.team_id, *storage.led_team_ids(db, target.id)]:
            if team_id in scope and team_id is not None:
                team = storage.get_team(db, team_id)
                if team is not None and Candidate(team, target) not in found:
                    found.append(Candidate(team, target))
    return found


def scope_teams(db: Database, user: User) -> list[Team]:
    return [t for i in team_ids_in_scope(db, user) if (t := storage.get_team(db, i))]


def remove(
    db: Database,
    user: User,
    team_id: int,
    target_id: int,
    reminders: ReminderScheduler | None,
) -> Candidate | None:
    """Take the member out of the team (their own data stays until they /forgetme); their
    reminders stop. None when the button is stale or not the user's to press."""
    found = candidate(db, user, team_id, target_id)
    if found is None or not storage.leave_team(db, target_id, team_id):
        return None
    # Reminders are team content: off, and stored off so a restart does not bring them back.
    storage.set_reminder(db, target_id, enabled=False)
    if reminders is not None:
        reminders.cancel(target_id)
    return found


# --- invite links --------------------------------------------------------------------------


@dataclass(frozen=True)
class Links:
    """A team's open invite links, with the one just made (if any)."""

    team: Team
    links: list[OpenInvite]
    made: teams.Made | None = None
    revoked: OpenInvite | None = None


def invite_and_links(
    db: Database, settings: Settings, user: User, team_arg: str | None, now: datetime
) -> Links | str:
    """/invite: a new staff link as before, with the team's open links to revoke."""
    made = teams.staff_invite(db, settings, user, team_arg, now)
    if isinstance(made, str):
        return made
    return Links(made.team, storage.open_invites(db, made.team.id, now), made)


def revoke(db: Database, user: User, invite_id: int, now: datetime) -> Links | None:
    """Expire an open link of one of the user's teams now; None if stale or not theirs."""
    if not may(user, "revoke"):
        return None
    inv = storage.get_open_invite(db, invite_id, now)
    if inv is None or not sees_team(db, user, inv.team_id):
        return None
    team = storage.get_team(db, inv.team_id)
    if team is None or not storage.expire_invite(db, invite_id, now):
        return None
    return Links(team, storage.open_invites(db, team.id, now), revoked=inv)


# --- promote and demote --------------------------------------------------------------------

RoleChange = Literal["promoted", "demoted"]


@dataclass(frozen=True)
class Changed:
    how: RoleChange
    member: User  # as they are now
    teams: list[Team]  # the team promoted to, or those no longer led


def _target(db: Database, args: list[str]) -> tuple[User, int | None] | str:
    if not args or len(args) > 2:
        return "members.role_usage"
    target = storage.find_user(db, args[0][:64])
    if target is None:
        return "members.no_user"
    if not role_changeable(target):
        return "members.is_admin"
    if len(args) == 1:
        return target, None
    team_id = parse_int(args[1])
    if team_id is None or storage.get_team(db, team_id) is None:
        return "invite.no_team"
    return target, team_id


def promote(db: Database, user: User, args: list[str]) -> Changed | str:
    """/promote <user> [team id]: make them supervisor of the team (default: their own)."""
    if not may(user, "promote"):
        return "admin.only"
    found = _target(db, args)
    if isinstance(found, str):
        return found
    target, team_id = found
    team = storage.get_team(db, team_id if team_id is not None else target.team_id)
    if team is None:
        return "members.role_usage"
    storage.make_lead(db, target.id, team.id)
    now_user = storage.get_user(db, target.id)
    assert now_user is not None
    return Changed("promoted", now_user, [team])


def demote(db: Database, user: User, args: list[str]) -> Changed | str:
    """/demote <user> [team id]: stop them leading that team (default: every team)."""
    if not may(user, "promote"):
        return "admin.only"
    found = _target(db, args)
    if isinstance(found, str):
        return found
    target, team_id = found
    dropped = storage.drop_leads(db, target.id, team_id)
    if not dropped:
        return "members.not_leading"
    now_user = storage.get_user(db, target.id)
    assert now_user is not None
    return Changed("demoted", now_user, [t for i in dropped if (t := storage.get_team(db, i))])


# --- /stats --------------------------------------------------------------------------------


def week_stats(db: Database, now: datetime) -> Stats:
    """Users, activity of the last 7 days and the database size."""
    return storage.stats(db, now - timedelta(days=7))
