"""The shape the code keeps: handlers only translate, dependencies point one way."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_no_handler_touches_storage() -> None:
    offenders = [
        p.name
        for p in sorted((ROOT / "handlers").glob("*.py"))
        if "storage" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_dependencies_point_one_way() -> None:
    # knowledge imports neither bot nor handlers; only bot/app.py imports handlers.
    for path in (ROOT / "knowledge").glob("*.py"):
        assert not {m for m in _imports(path) if m.split(".")[0] in ("bot", "handlers")}, path
    for path in (ROOT / "bot").rglob("*.py"):
        uses_handlers = {m for m in _imports(path) if m.split(".")[0] == "handlers"}
        assert not uses_handlers or path.name == "app.py", path
