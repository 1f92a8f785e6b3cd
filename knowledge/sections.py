"""Readers of the smaller top-level sections of the knowledge files: the glossary, the
spelling pairs, the contacts (generic wording for the store's numbers) and a store's own
`store:` values. Each adds what it could read and records a `Problem` for the rest."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from knowledge.checks import Problem, missing_langs
from knowledge.models import Contact, GlossaryTerm, Text


def describe(err: Mapping[str, Any]) -> str:
    loc = ".".join(str(p) for p in err["loc"])
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return f"unknown field '{loc}'"
    if err["type"] == "missing":
        return f"missing field '{loc}'"
    return f"{loc}: {msg}" if loc else msg


def words(text: str) -> str:
    """Lower case, single spaces: how glossary and spelling entries are compared."""
    return " ".join(text.lower().split())


def glossary(
    value: object, file: str, terms: dict[str, GlossaryTerm], problems: list[Problem]
) -> None:
    """Add a file's glossary terms; a zh term defined twice is a problem (which one wins?)."""
    if not isinstance(value, list):
        problems.append(Problem(file, "glossary", "must be a list of terms (zh, en, avoid)"))
        return
    for i, raw in enumerate(value):
        ident = str(raw.get("zh", f"#{i + 1}")) if isinstance(raw, dict) else f"#{i + 1}"
        try:
            term = GlossaryTerm.model_validate(raw)
        except ValidationError as exc:
            problems.extend(Problem(file, f"glossary.{ident}", describe(e)) for e in exc.errors())
            continue
        for avoid in term.avoid:
            # Rejecting part of the right term would reject every right use of it.
            if words(avoid) in words(term.en):
                problems.append(
                    Problem(file, f"glossary.{ident}", f"avoid '{avoid}' is part of '{term.en}'")
                )
        for zh in (term.zh, *term.zh_also):
            if zh in terms:
                problems.append(Problem(file, f"glossary.{zh}", "term defined twice"))
            else:
                terms[zh] = term


def spelling(value: object, file: str, pairs: dict[str, str], problems: list[Problem]) -> None:
    """Add a file's spelling pairs (wrong → right), compared in lower case."""
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and k.strip() and v.strip()
        for k, v in value.items()
    ):
        problems.append(Problem(file, "spelling", "must map a wrong spelling to the right one"))
        return
    for wrong, right in value.items():
        key = words(wrong)
        if key == words(right):
            problems.append(Problem(file, f"spelling.{wrong}", "wrong and right are the same"))
        elif key in pairs:
            problems.append(Problem(file, f"spelling.{wrong}", "listed twice"))
        else:
            pairs[key] = right.strip()


CONTACT_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CONTACT_LIMIT = 120


def contacts(
    value: object, file: str, contacts: dict[str, Contact], problems: list[Problem]
) -> None:
    """The contacts texts may name as {key}, each with a label and its generic wording."""
    if not isinstance(value, dict):
        problems.append(Problem(file, "contacts", "must map a key to its label and generic text"))
        return
    for key, raw in value.items():
        where = f"contacts.{key}"
        if not isinstance(key, str) or not CONTACT_KEY.match(key):
            problems.append(Problem(file, where, "key must be a-z, 0-9 and '_'"))
            continue
        if key in contacts:
            problems.append(Problem(file, where, "defined twice"))
            continue
        try:
            contact = Contact.model_validate(raw)
        except ValidationError as exc:
            problems.extend(Problem(file, where, describe(e)) for e in exc.errors())
            continue
        for msg in missing_langs(contact):
            problems.append(Problem(file, where, msg))
        contacts[key] = contact


def store(
    sections: list[tuple[str, object]], contacts: dict[str, Contact], problems: list[Problem]
) -> tuple[Text | None, dict[str, Text]]:
    """The store's name and own contacts (store.yaml): known keys, one text or zh/en each."""
    if not sections:
        return None, {}
    for file, _raw in sections[1:]:
        problems.append(Problem(file, "store", f"defined twice (also in {sections[0][0]})"))
    file, raw = sections[0]
    if not isinstance(raw, dict) or not set(raw) <= {"name", "contacts"}:
        problems.append(Problem(file, "store", "must hold 'name' and 'contacts'"))
        return None, {}

    def text(where: str, value: object) -> Text | None:
        if isinstance(value, str | int | float) and str(value).strip():
            return Text(zh=str(value), en=str(value))
        try:
            t = Text.model_validate(value)
        except ValidationError:
            problems.append(Problem(file, where, "must be one text, or zh and en"))
            return None
        if not t.zh or not t.en:
            problems.append(Problem(file, where, "needs both zh and en (or one text for both)"))
            return None
        return t

    name = text("store.name", raw["name"]) if raw.get("name") is not None else None
    own: dict[str, Text] = {}
    given = raw.get("contacts") or {}
    if not isinstance(given, dict):
        problems.append(Problem(file, "store.contacts", "must map a contact key to its text"))
        return name, own
    for key, value in given.items():
        where = f"store.contacts.{key}"
        if key not in contacts:
            known = ", ".join(sorted(contacts))
            problems.append(Problem(file, where, f"unknown contact (known: {known})"))
            continue
        t = text(where, value)
        if t is None:
            continue
        if max(len(t.zh), len(t.en)) > CONTACT_LIMIT:
            problems.append(Problem(file, where, f"over {CONTACT_LIMIT} characters"))
            continue
        if "{" in t.zh + t.en or "}" in t.zh + t.en:
            problems.append(Problem(file, where, "no braces in a contact"))
            continue
        own[key] = t
    return name, own
