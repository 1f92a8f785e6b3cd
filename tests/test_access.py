"""Who may do what: the one access table, checked role by role and team by team."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot import storage
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
        ("remove", False, True, True, "supervisor.only"),
        ("revoke", False, True, True, "supervisor.only"),
        ("promote", False, False, True, "admin.only"),
        ("stats", False, False, True, "admin.only"),
        ("team_report", False, True, True, "supervisor.only"),
        ("export", False, True, True, "supervisor.only"),
        ("backup", False, False, True, "admin.only"),
        ("unanswered", False, True, True, "supervisor.only"),
        ("faults", False, True, True, "supervisor.only"),
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
    assert set(PERMISSIONS) == {
        "newteam",
        "teams",
        "reload",
        "invite",
        "invite_any_team",
        *("remove", "revoke", "promote", "stats"),  # members and links (issue 12)
        "team_report",
        "export",
        "backup",
        "unanswered",
        "faults",
    }


@pytest.mark.parametrize(
    ("role", "leads", "sees"),
    [
        ("staff", [], {1: False, 2: False, 3: False}),
        ("supervisor", [1], {1: True, 2: False, 3: False}),
        ("supervisor", [1, 2], {1: True, 2: True, 3: False}),  # an area manager
        ("admin", [], {1: True, 2: True, 3: True}),
    ],
)
def test_team_scope(role: str, leads: list[int], sees: dict[int, bool]) -> None:
    db = storage.open_db(None)
    try:
        now = datetime(2026, 12, 1, tzinfo=UTC)
        for n in (1, 2, 3):
            storage.create_team(db, f"店{n}", now)
        storage.create_user(
            db, 9, first_name="A", username=None, language="zh-TW", role=role,  # type: ignore[arg-type]
            team_id=1, now=now,
        )  # fmt: skip
        for team_id in leads:
            storage.add_lead(db, 9, team_id)
        user = storage.get_user(db, 9)
        assert user is not None
        assert {t: sees_team(db, user, t) for t in (1, 2, 3)} == sees
        assert sees_team(db, user, None) is False
    finally:
        db.close()
