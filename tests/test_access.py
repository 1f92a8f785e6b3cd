"""Who may do what: the one access table, checked role by role and team by team."""

from __future__ import annotations

import pytest

from bot.access import PERMISSIONS, REFUSAL, may, sees_team
from bot.storage import User


def _user(role: str, team_id: int | None = 1) -> User:
    return User(
        id=1,
        first_name="A",
        username=None,
        language="zh-TW",
        role=role,  # type: ignore[arg-type]
        team_id=team_id,
        consent_at="2026-12-01T00:00:00+00:00",
        active=True,
    )


@pytest.mark.parametrize(
    ("action", "staff", "supervisor", "admin", "refusal"),
    [
        ("newteam", False, False, True, "admin.only"),
        ("teams", False, False, True, "admin.only"),
        ("reload", False, False, True, "admin.only"),
        ("invite", False, True, True, "supervisor.only"),
        ("invite_any_team", False, False, True, "admin.only"),
    ],
)
def test_each_action_by_role(
    action: str, staff: bool, supervisor: bool, admin: bool, refusal: str
) -> None:
    assert may(_user("staff"), action) is staff  # type: ignore[arg-type]
    assert may(_user("supervisor"), action) is supervisor  # type: ignore[arg-type]
    assert may(_user("admin"), action) is admin  # type: ignore[arg-type]
    assert REFUSAL[action] == refusal  # type: ignore[index]


def test_the_table_covers_every_action() -> None:
    assert set(PERMISSIONS) == {"newteam", "teams", "reload", "invite", "invite_any_team"}


@pytest.mark.parametrize(
    ("role", "own_team", "other_team", "no_team"),
    [
        ("staff", False, False, False),
        ("supervisor", True, False, False),
        ("admin", True, True, False),
    ],
)
def test_team_scope(role: str, own_team: bool, other_team: bool, no_team: bool) -> None:
    user = _user(role, team_id=1)
    assert sees_team(user, 1) is own_team
    assert sees_team(user, 2) is other_team
    assert sees_team(user, None) is no_team
