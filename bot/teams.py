"""Teams and invites: creating a team, making invite links, listing teams (role-checked)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from bot import storage
from bot.access import may, sees_team
from bot.callbacks import parse_int
from bot.settings import Settings
from bot.storage import Invite, Team, User


@dataclass(frozen=True)
class Made:
    """An invite just made, and the team it is for."""

    team: Team
    invite: Invite


def _invite(
    db: Database, settings: Settings, user: User, team: Team, role: storage.Role, now: datetime
) -> Made:
    inv = storage.create_invite(
        db,
        team.id,
        role,
        user.id,
        now,
        days=settings.invite_days,
        max_uses=settings.invite_uses,
    )
    return Made(team, inv)


def new_team(db: Database, settings: Settings, user: User, name: str, now: datetime) -> Made:
    """A new team and its supervisor invite (the caller checked `may(user, 'newteam')`)."""
    team = storage.create_team(db, name.strip()[:100], now)
    return _invite(db, settings, user, team, "supervisor", now)


def staff_invite(
    db: Database, settings: Settings, user: User, team_arg: str | None, now: datetime
) -> Made | str:
    """A staff invite for the user's team (admins may name another team by id).

    Returns the invite, or the catalogue key saying why not.
    """
    team_id = user.team_id
    if team_arg is not None and may(user, "invite_any_team"):
        team_id = parse_int(team_arg)
        if team_id is None or storage.get_team(db, team_id) is None:
            return "invite.no_team"
    elif not sees_team(db, user, team_id) and storage.led_team_ids(db, user.id):
        # A supervisor whose own team is not one they lead (removed from it) invites to the
        # first team they lead.
        team_id = storage.led_team_ids(db, user.id)[0]
    team = storage.get_team(db, team_id)
    if team is None:
        return "invite.usage_admin"
    if not sees_team(db, user, team.id):
        return "members.not_lead"
    return _invite(db, settings, user, team, "staff", now)


def teams_with_sizes(db: Database) -> list[tuple[Team, int]]:
    return storage.team_sizes(db)
