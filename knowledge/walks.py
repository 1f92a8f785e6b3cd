"""Guided walk-throughs as data: the rules a card's `walk:` must meet, its step graph, and
filling the store's contacts into texts.

A walk is a list of steps. A step either tells staff to do one thing (buttons: fixed /
didn't help / get help) or asks a question whose answers branch (`ask:` options with
`go:`). "Didn't help" leads to the step named in `next:`, else to the step listed after it;
the last step must say `next: escalate`. An answer goes to a step, to `fixed` or to
`escalate`. Every path therefore ends in fixed or escalate: the checker rejects dead ends,
unknown targets, cycles and steps no path reaches.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from knowledge.models import Card, Knowledge, Text, Walk, WalkStep

FIXED, ESCALATE = "fixed", "escalate"
TERMINALS = (FIXED, ESCALATE)
STEP_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,19}$")
STEP_LIMIT = 300  # characters per language: one step fits a phone screen
OPTION_LIMIT = 30  # an answer is a button label
OPTIONS_RANGE = (2, 4)
MAX_STEPS = 16
# `{pos_vendor_phone}`: a contact. Other braces (`{訂單編號}`, `{order no}`) are plain text.
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def step_index(walk: Walk) -> dict[str, WalkStep]:
    return {s.id: s for s in walk.steps}


def next_of(walk: Walk, step: WalkStep) -> str | None:
    """Where "didn't help" leads from a step that does not ask: a step id, escalate, or None
    (a dead end: the last step without `next:`)."""
    if step.next is not None:
        return step.next
    ids = [s.id for s in walk.steps]
    at = ids.index(step.id)
    return ids[at + 1] if at + 1 < len(ids) else None


def edges(walk: Walk, step: WalkStep) -> list[str | None]:
    """Every target a step can lead to (None: nowhere)."""
    if step.ask:
        return [o.go for o in step.ask]
    return [next_of(walk, step)]


def walk_texts(card: Card) -> Iterator[tuple[str, Text]]:
    """(where, text) of every bilingual text of a card that staff read, walk included."""
    yield "title", card.title
    for i, s in enumerate(card.steps, 1):
        yield f"steps[{i}]", s
    if card.escalate is not None:
        yield "escalate", card.escalate
    if card.walk is not None:
        if card.walk.device is not None:
            yield "walk.device", card.walk.device
        if card.walk.after is not None:
            yield "walk.after", card.walk.after
        for st in card.walk.steps:
            yield f"walk.{st.id}", st.text
            for k, o in enumerate(st.ask, 1):
                yield f"walk.{st.id}.ask[{k}]", Text(zh=o.zh, en=o.en)


def placeholders(text: str) -> list[str]:
    return PLACEHOLDER.findall(text)


def walk_problems(card: Card) -> list[str]:
    """Every rule a card's walk breaks, as messages (empty: the walk is sound)."""
    walk = card.walk
    if walk is None:
        return []
    out: list[str] = []
    if not walk.steps:
        return ["walk: no steps"]
    if len(walk.steps) > MAX_STEPS:
        out.append(f"walk: {len(walk.steps)} steps (at most {MAX_STEPS})")
    seen: set[str] = set()
    for st in walk.steps:
        if not STEP_ID.match(st.id) or st.id in TERMINALS:
            out.append(
                f"walk: step id '{st.id}' must be a-z, 0-9 and '-', at most 20 characters, "
                "and not 'fixed' or 'escalate'"
            )
        if st.id in seen:
            out.append(f"walk: step id '{st.id}' twice")
        seen.add(st.id)
    ids = step_index(walk)
    for st in walk.steps:
        where = f"walk.{st.id}"
        for lang in ("zh", "en"):
            text = st.text.get(lang)
            if not text:
                out.append(f"{where}: missing {lang} text")
            elif len(text) > STEP_LIMIT:
                out.append(f"{where}: {lang} text over {STEP_LIMIT} characters ({len(text)})")
        if st.ask:
            if st.next is not None:
                out.append(f"{where}: a step that asks branches by its answers; drop 'next'")
            if not OPTIONS_RANGE[0] <= len(st.ask) <= OPTIONS_RANGE[1]:
                out.append(
                    f"{where}: {len(st.ask)} answers (need {OPTIONS_RANGE[0]}–{OPTIONS_RANGE[1]})"
                )
            for k, o in enumerate(st.ask, 1):
                for lang in ("zh", "en"):
                    label = o.get(lang)
                    if not label:
                        out.append(f"{where}: answer {k}: missing {lang} text")
                    elif len(label) > OPTION_LIMIT:
                        out.append(
                            f"{where}: answer {k}: {lang} text over {OPTION_LIMIT} characters"
                        )
                if o.go not in ids and o.go not in TERMINALS:
                    out.append(f"{where}: answer {k} goes to unknown step '{o.go}'")
                elif o.go == st.id:
                    out.append(f"{where}: answer {k} goes back to its own step")
        else:
            target = next_of(walk, st)
            if target is None:
                out.append(
                    f"{where}: dead end - the last step must say where 'didn't help' leads "
                    "(next: escalate)"
                )
            elif target == FIXED:
                out.append(f"{where}: 'didn't help' cannot lead to fixed")
            elif target not in ids and target != ESCALATE:
                out.append(f"{where}: next goes to unknown step '{target}'")
    extras: list[tuple[str, Text | None]] = [("device", walk.device), ("after", walk.after)]
    for name, extra in extras:
        for lang in ("zh", "en"):
            if extra is not None and not extra.get(lang):
                out.append(f"walk.{name}: missing {lang} text")
    if walk.after is not None and max(len(walk.after.zh), len(walk.after.en)) > STEP_LIMIT:
        out.append(f"walk.after: over {STEP_LIMIT} characters")
    if out:
        return out  # the graph checks below assume sound targets
    out.extend(_graph_problems(walk))
    return out


def placeholder_problems(card: Card, contacts: set[str]) -> list[str]:
    """A `{key}` in a card's or walk's text, or a walk's `contacts:`, naming no contact."""
    listed = card.walk.contacts if card.walk else []
    return [
        f"{where}: unknown contact {{{key}}} in the {lang} text"
        for where, text in walk_texts(card)
        for lang in ("zh", "en")
        for key in placeholders(text.get(lang))
        if key not in contacts
    ] + [f"walk.contacts: unknown contact '{key}'" for key in listed if key not in contacts]


def _graph_problems(walk: Walk) -> list[str]:
    """Cycles and steps no path reaches, from the first step."""
    ids = step_index(walk)
    out: list[str] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    reached: set[str] = set()

    def visit(sid: str, path: list[str]) -> None:
        state[sid] = 1
        reached.add(sid)
        for target in edges(walk, ids[sid]):
            if target is None or target in TERMINALS:
                continue
            if state.get(target) == 1:
                loop = " → ".join([*path[path.index(target) :], target])
                out.append(f"walk: steps go round in a circle ({loop})")
            elif state.get(target) is None:
                visit(target, [*path, target])
        state[sid] = 2

    first = walk.steps[0].id
    visit(first, [first])
    for st in walk.steps:
        if st.id not in reached:
            out.append(f"walk.{st.id}: no path reaches this step")
    return out


def fill(text: str, kb: Knowledge, lang: str) -> str:
    """A text with its `{contact}` placeholders replaced: the store's own contact, else the
    shipped generic wording. An unknown key stays as written: the checker rejects it, so
    neither the bot nor /reload ever starts with one."""

    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        own = kb.store_contacts.get(key)
        if own is not None:
            return own.get(lang) or own.zh
        generic = kb.contacts.get(key)
        if generic is not None:
            return generic.generic.get(lang)
        return m.group(0)

    return PLACEHOLDER.sub(sub, text)


def contacts_named(card: Card) -> list[str]:
    """The contacts a card's walk lists and its texts name, in order of first mention."""
    keys: list[str] = list(card.walk.contacts) if card.walk else []
    for _where, text in walk_texts(card):
        for lang in ("zh", "en"):
            for key in placeholders(text.get(lang)):
                if key not in keys:
                    keys.append(key)
    return keys
