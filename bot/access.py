"""Who may use the bot: admission by invite code, open mode, or admin list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlite_utils import Database

from bot import storage
from bot.settings import Settings
from bot.storage import Role, User

Admission = Literal[
    "member",
    "joined",
    "already_member",
    "admin",
    "open",
    "stranger",
    "unknown",
    "expired",
    "used_up",
]


RANK: dict[Role, int] = {"staff": 0, "supervisor": 1, "admin": 2}


@dataclass(frozen=True)
class Visitor:
    """The Telegram user as far as admission needs to know them."""

    id: int
    first_name: str
    username: str | None
    language: str


def admit(
    db: Database, settings: Settings, who: Visitor, payload: str | None, now: datetime
) -> tuple[User | None, Admission]:
    """Find or create the user for a /start (with an optional invite code) or any message."""
    user = storage.get_user(db, who.id)
    is_admin = who.id in settings.admin_user_ids
    if payload:
        outcome, inv = (
            storage.redeem_invite(db, payload, now)
            if not _same_team(db, user, payload)
            else ("already", None)
        )
        if outcome == "already":
            return user, "already_member"
        if outcome != "ok" or inv is None:
            return user, outcome  # type: ignore[return-value]
        role: Role = "admin" if is_admin else inv.role
        if user is None:
            user = _create(db, who, role, inv.team_id, now)
        else:
            # Joining by a link never lowers a role: a supervisor who opens a staff link of
            # a team stays a supervisor. A staff link moves them to that team; a supervisor
            # link adds a team they lead and keeps their own.
            role = max(role, user.role, key=RANK.__getitem__)
            team_id = inv.team_id if inv.role == "staff" or user.team_id is None else user.team_id
            storage.set_role(db, who.id, role, team_id)
            user = storage.get_user(db, who.id)
        if inv.role == "supervisor" and user is not None and user.role != "admin":
            storage.add_lead(db, user.id, inv.team_id)
        return user, "joined"
    if user is not None:
        if is_admin and user.role != "admin":
            storage.set_role(db, who.id, "admin", user.team_id)
            user = storage.get_user(db, who.id)
        return user, "member"
    if is_admin:
        return _create(db, who, "admin", None, now), "admin"
    if settings.access_mode == "open":
        team = storage.default_team(db, "ShopCoach", now)
        return _create(db, who, "staff", team.id, now), "open"
    return None, "stranger"


def sync_admins(db: Database, admin_user_ids: frozenset[int]) -> int:
    """Make ADMIN_USER_IDS the truth at start-up: an admin no longer listed is demoted.

    They become a supervisor if they lead a team (team_leads), else staff of their own team
    (or of none); listed ids become admins on their next message (see `admit`). Returns how
    many were demoted.
    """
    demoted = 0
    for user_id in storage.admin_ids(db):
        if user_id in admin_user_ids:
            continue
        user = storage.get_user(db, user_id)
        assert user is not None
        role: Role = "supervisor" if storage.led_team_ids(db, user_id) else "staff"
        storage.set_role(db, user_id, role, user.team_id)
        demoted += 1
    return demoted


def _create(db: Database, who: Visitor, role: Role, team_id: int | None, now: datetime) -> User:
    return storage.create_user(
        db,
        who.id,
        first_name=who.first_name,
        username=who.username,
        language=who.language,
        role=role,
        team_id=team_id,
        now=now,
    )


def _same_team(db: Database, user: User | None, code: str) -> bool:
    """True when the user already belongs to the invite's team with at least its role."""
    if user is None:
        return False
    inv = storage.get_invite(db, code)
    if inv is None:
        return False
    if RANK[user.role] < RANK[inv.role]:
        return False
    if inv.role == "supervisor" and user.role == "supervisor":
        return inv.team_id in storage.led_team_ids(db, user.id)
    return user.team_id == inv.team_id


# Who may do what: every role check in the bot reads this one table.
Action = Literal[
    "newteam",
    "teams",
    "reload",
    "invite",
    "invite_any_team",
    "remove",
    "revoke",
    "promote",
    "stats",
    "team_report",
    "export",
    "backup",
    "unanswered",
    "faults",
]
PERMISSIONS: dict[Action, frozenset[Role]] = {
    "newteam": frozenset({"admin"}),
    "teams": frozenset({"admin"}),
    "reload": frozenset({"admin"}),
    "invite": frozenset({"supervisor", "admin"}),
    "invite_any_team": frozenset({"admin"}),
    "remove": frozenset({"supervisor", "admin"}),
    "revoke": frozenset({"supervisor", "admin"}),
    "promote": frozenset({"admin"}),
    "stats": frozenset({"admin"}),
    # /team, /member and their buttons; which teams is `team_ids_in_scope` below.
    "team_report": frozenset({"supervisor", "admin"}),
    # /export: a supervisor the teams they lead, an admin any team (team_ids_in_scope).
    "export": frozenset({"supervisor", "admin"}),
    "backup": frozenset({"admin"}),
    "unanswered": frozenset({"supervisor", "admin"}),
    "faults": frozenset({"supervisor", "admin"}),
}
# The message for someone whose role may not: admin-only or supervisor-and-up.
REFUSAL: dict[Action, str] = {
    action: "admin.only" if roles == {"admin"} else "supervisor.only"
    for action, roles in PERMISSIONS.items()
}


def may(user: User, action: Action) -> bool:
    return user.role in PERMISSIONS[action]


def team_ids_in_scope(db: Database, user: User) -> list[int]:
    """The teams whose people and figures the user may see: admins all, supervisors those
    they lead, staff none (they see only their own data)."""
    if user.role == "admin":
        return [t.id for t in storage.list_teams(db)]
    if user.role == "supervisor":
        return storage.led_team_ids(db, user.id)
    return []


def sees_team(db: Database, user: User, team_id: int | None) -> bool:
    return team_id is not None and team_id in team_ids_in_scope(db, user)


def outranks(user: User, target: User) -> bool:
    """Whether `user` may take `target` out of a team: a supervisor removes staff, an admin
    removes staff and supervisors; nobody removes an admin or themselves."""
    return user.id != target.id and RANK[user.role] > RANK[target.role]


def role_changeable(target: User) -> bool:
    """/promote and /demote never touch an admin (admins come from ADMIN_USER_IDS)."""
    return target.role != "admin"
