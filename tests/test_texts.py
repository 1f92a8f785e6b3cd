"""The text catalogue: every key the code asks for exists in both languages, every key in the
catalogue is used, placeholders match, values are HTML-escaped, and no Chinese text hides in
Python code."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

from bot.app import MENU
from bot.texts import Html, catalogue, plain, t
from knowledge.models import Knowledge

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("handlers").rglob("*.py")])
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
# Literals with Chinese characters that are not texts: a time pattern accepting the
# full-width colon, and the punctuation that may not start a wrapped chart line.
NOT_TEXTS = {"([0-9]{1,2})[:：]([0-9]{2})|([0-9]{1,2})([0-9]{2})", "，、。：；！？）」』"}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            found.add(id(first.value))
    return found


def _literals() -> list[tuple[Path, int, str]]:
    out = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
            if is_text and id(node) not in docs:
                out.append((path, node.lineno, node.value))
    return out


def _asked_for() -> set[str]:
    """Keys passed as a literal first argument to t(), plain() or both()."""
    keys = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("t", "plain", "both")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                keys.add(node.args[0].value)
    return keys


def test_every_key_the_code_asks_for_exists() -> None:
    missing = _asked_for() - set(catalogue())
    assert not missing


def test_every_catalogue_key_is_used(kb: Knowledge) -> None:
    literals = {value for _path, _line, value in _literals()}
    # Keys built at run time: the command menu and the kinds of small talk.
    dynamic = {f"cmd.{c}" for c in MENU} | {f"smalltalk.{k}" for k in kb.smalltalk}
    unused = {key for key in catalogue() if key not in literals and key not in dynamic}
    assert not unused


def test_both_languages_with_the_same_placeholders() -> None:
    fields = string.Formatter()
    for key, entry in catalogue().items():
        assert set(entry) == {"zh-TW", "en"}, key
        zh, en = ({f for _, f, _, _ in fields.parse(entry[lang]) if f} for lang in ("zh-TW", "en"))
        assert zh == en, key


def test_no_chinese_text_in_python_code() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path, line, value in _literals()
        if _CJK.search(value) and value not in NOT_TEXTS
    ]
    assert not found


def test_values_are_escaped_unless_marked_as_markup() -> None:
    assert t("invite.joined", "en", team="A&B <1>") == 'Welcome to "A&amp;B &lt;1&gt;"!'
    assert t("invite.joined", "en", team=Html("<b>x</b>")) == 'Welcome to "<b>x</b>"!'
    assert plain("invite.joined", "en", team="A&B") == 'Welcome to "A&B"!'
