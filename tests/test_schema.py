"""Schema: a release's database upgrades with its data intact; migrations apply in order."""

from __future__ import annotations

import ast
import re
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot import storage
from bot.storage import Reminder, Team

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "bot" / "storage"
DATA = Path(__file__).parent / "data" / "db"
# Names databases have recorded; they may never change (append new ones after them).
SHIPPED = ["0000_wal", "0001_users_teams_invites_questions", "0002_drills_srs_reminders"]
# Written by the 0.1 release (see tests/data/db/make_release_0_1.py).
RELEASE_0_1_INVITE = "8eATZqc58ITZLQrJ"
T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


def _restore(sql_file: Path, path: Path) -> None:
    """Rebuild a database file from its dump, in WAL mode as the release left it."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode = wal")
    con.executescript(sql_file.read_text(encoding="utf-8"))
    con.close()


def test_release_0_1_database_upgrades_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    _restore(DATA / "release-0.1.sql", path)
    db = storage.open_db(path)
    try:
        fresh = storage.open_db(None)
        latest = storage.schema_version(fresh)
        fresh.close()
        assert storage.schema_version(db) == latest
        assert storage.migrations.pending(db) == []
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

        assert storage.get_team(db, 1) == Team(1, "台北信義店")
        sue = storage.get_user(db, 101)
        assert sue is not None and (sue.role, sue.team_id, sue.consented) == (
            "supervisor",
            1,
            True,
        )
        assert [u.first_name for u in storage.team_members(db, 1)] == ["Amy", "Sue"]
        inv = storage.get_invite(db, RELEASE_0_1_INVITE)
        assert inv is not None and (inv.team_id, inv.role, inv.uses) == (1, "staff", 0)

        asked = storage.get_question(db, 1)
        assert asked is not None and (asked["text"], asked["feedback"]) == ("顧客要退貨怎麼辦", 1)
        assert [r["text"] for r in storage.unanswered(db, 1, T0)] == ["where is the mop"]
        assert storage.cards_looked_up_since(db, 102, None) == {"T3.3-return", "T1.1-greeting"}

        drill = storage.get_drill(db, 1)
        assert drill is not None and drill.status == "done"
        assert [(i.question_id, i.correct) for i in storage.drill_items(db, 1)] == [
            ("T3.3-q1", True),
            ("T1.1-q4", False),
        ]
        assert storage.active_drill(db, 102) is None
        assert len(storage.finished_drill_times(db, 102)) == 1
        assert sorted(q for q, _, _ in storage.srs_states(db, 102)) == ["T1.1-q4", "T3.3-q1"]
        assert storage.get_reminder(db, 102) == Reminder(
            102, "08:45", (1, 3, 5), True, "2026-03-02"
        )

        # The upgraded file takes writes, and its foreign keys still cascade.
        assert storage.redeem_invite(db, RELEASE_0_1_INVITE, T0)[0] == "ok"
        assert storage.delete_user(db, 102)
        assert storage.count_rows(db, "questions", 102) == 0
        assert storage.drill_items(db, 1) == []
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        db.close()


def test_every_migration_applies_in_order_on_an_empty_database(tmp_path: Path) -> None:
    names = [m.name for m in storage.migrations._migrations]
    assert names[: len(SHIPPED)] == SHIPPED
    # Increasing and unique; numbers may skip (each issue is given its own number in advance).
    numbers = [int(n[:4]) for n in names]
    assert numbers == sorted(set(numbers)) and numbers[: len(SHIPPED)] == [0, 1, 2]
    assert all(re.fullmatch(r"\d{4}_[a-z0-9_]+", n) for n in names)
    db = Database(tmp_path / "empty.db")
    try:
        db.execute("PRAGMA foreign_keys = ON")
        assert storage.schema_version(db) == ""
        for done, name in enumerate(names):
            # Stop before each later migration in turn: each applies on top of the ones before.
            storage.migrations.apply(db, stop_before=names[done + 1 :])
            assert [m.name for m in storage.migrations.applied(db)] == names[: done + 1]
            assert storage.schema_version(db) == name
        assert set(db.table_names()) >= {
            "teams",
            "users",
            "invites",
            "questions",
            "drills",
            "drill_items",
            "srs",
            "card_views",
            "reminders",
        }
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        db.close()


def _internal_imports(path: Path) -> set[str]:
    """The modules of bot.storage a module imports, by file stem."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    # `from bot.storage import x` goes through __init__, which imports every module.
    return {
        "__init__" if m == "bot.storage" else m.removeprefix("bot.storage.")
        for m in found
        if m == "bot.storage" or m.startswith("bot.storage.")
    }


def test_storage_modules_depend_one_way() -> None:
    modules = {p.stem: _internal_imports(p) for p in PACKAGE.glob("*.py")}
    assert modules["base"] == set()
    assert modules["schema"] <= {"base"}
    # Depth-first search: no module reaches itself through the modules it imports.
    for start in modules:
        seen: set[str] = set()
        todo = list(modules[start])
        while todo:
            mod = todo.pop()
            assert mod != start, f"import cycle through bot.storage.{start}"
            if mod not in seen:
                seen.add(mod)
                todo.extend(modules[mod])


@pytest.mark.parametrize(
    "module", sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
)
def test_storage_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import bot.storage.{module}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
