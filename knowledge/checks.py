"""The checker's rules across entries: references, counts, length limits, languages and
clashes. The loader runs them after reading every file; each finding is a `Problem`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel

from knowledge.models import LANGS, Card, Knowledge, Task, Text
from knowledge.normalize import fold_key
from knowledge.walks import placeholder_problems, walk_problems

MESSAGE_LIMIT = 4096
QUESTION_LIMIT = 300
OPTION_LIMIT = 100
EXPLANATION_LIMIT = 200
TITLE_LIMIT = 100
ALIASES_RANGE = (5, 12)
STEPS_RANGE = (3, 10)
OPTIONS_RANGE = (3, 4)
MIN_CARDS_PER_ACTIVITY = 2
MIN_QUESTIONS_PER_ACTIVITY = 6

SHORT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,23}$")


@dataclass(frozen=True)
class Problem:
    file: str
    entry: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.entry}: {self.message}"


# --- cross checks -------------------------------------------------------------------------


def _texts(model: BaseModel, prefix: str = "") -> Iterable[tuple[str, Text]]:
    """Every bilingual Text inside a model, with a readable path."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            path = f"{prefix}{name}" + (f"[{i + 1}]" if isinstance(value, list) else "")
            if isinstance(item, Text):
                yield path, item
            elif isinstance(item, BaseModel):
                yield from _texts(item, path + ".")


def missing_langs(model: BaseModel) -> Iterable[str]:
    for path, text in _texts(model):
        for lang in LANGS:
            if not getattr(text, lang):
                yield f"{path}: missing {lang} text"


def card_length(card: Card, lang: str) -> int:
    """Characters of a card rendered as one message (title, steps, escalation, codes)."""
    parts = [card.title.get(lang), *(s.get(lang) for s in card.steps)]
    if card.escalate:
        parts.append(card.escalate.get(lang))
    return sum(len(p) + 8 for p in parts) + 40 + 10 * len(card.indicators)


def check(kb: Knowledge, files: dict[str, dict[str, str]], std_file: str) -> list[Problem]:
    """Every rule the checker knows across entries: references, counts, limits, clashes."""
    out: list[Problem] = []

    def p(file: str, entry: str, msg: str) -> None:
        out.append(Problem(file, entry, msg))

    id_rules = {
        "knowledge": re.compile(r"^K\d{2}$"),
        "skills": re.compile(r"^S\d{2}$"),
        "attitudes": re.compile(r"^A\d{2}$"),
    }
    for kind, rule in id_rules.items():
        for ident, model in getattr(kb, kind).items():
            f = files[kind][ident]
            if not rule.match(ident):
                p(
                    f,
                    ident,
                    f"id should look like {rule.pattern.strip('^$').replace(chr(92) + 'd', '9')}",
                )
            for msg in missing_langs(model):
                p(f, ident, msg)

    if kb.standard is not None:
        for msg in missing_langs(kb.standard):
            p(std_file, "standard", msg)
    elif kb.tasks:
        p(std_file, "standard", "missing the 'standard' section (code, name, version, date)")

    for task in kb.tasks.values():
        f = files["tasks"][task.id]
        if not re.match(r"^T\d$", task.id):
            p(f, task.id, "task id should look like T1")
        for msg in missing_langs(Task.model_validate({**task.model_dump(), "activities": []})):
            p(f, task.id, msg)
        for ref in task.knowledge:
            if ref not in kb.knowledge:
                p(f, task.id, f"unknown knowledge item {ref}")
        for ref in task.skills:
            if ref not in kb.skills:
                p(f, task.id, f"unknown skill {ref}")
        for act in task.activities:
            if not re.match(rf"^{re.escape(task.id)}\.\d+$", act.id):
                p(f, act.id, f"activity id should start with {task.id}.")
            for msg in missing_langs(act):
                p(f, act.id, msg)
            for ind in act.indicators:
                if not re.match(rf"^P{re.escape(act.id[1:])}\.\d+$", ind.id):
                    p(f, ind.id, f"indicator id should start with P{act.id[1:]}.")
            for o in act.outputs:
                if not re.match(rf"^O{re.escape(act.id[1:])}\.\d+$", o.id):
                    p(f, o.id, f"output id should start with O{act.id[1:]}.")
            if not act.indicators:
                p(f, act.id, "activity has no behaviour indicators")

    alias_owner: dict[str, str] = {}
    for card in kb.cards.values():
        f = files["cards"][card.id]
        c = card.id
        if not SHORT_ID.match(c):
            p(f, c, "card id must be a-z, 0-9 and '-', at most 24 characters")
        # The walk's texts are checked with the rest of the walk (walk_problems).
        for msg in missing_langs(card.model_copy(update={"walk": None})):
            p(f, c, msg)
        card_act = kb.activities.get(card.activity)
        if card_act is None:
            p(f, c, f"unknown activity {card.activity}")
        if not card.indicators:
            p(f, c, "no indicators: name the behaviour indicators this card serves")
        for ind_id in card.indicators:
            if ind_id not in kb.indicators:
                p(f, c, f"unknown indicator {ind_id}")
            elif card_act is not None and ind_id not in {i.id for i in card_act.indicators}:
                p(f, c, f"indicator {ind_id} belongs to another activity than {card.activity}")
        for lang in LANGS:
            n = len(getattr(card.aliases, lang))
            if not ALIASES_RANGE[0] <= n <= ALIASES_RANGE[1]:
                p(f, c, f"{n} {lang} aliases (need {ALIASES_RANGE[0]}–{ALIASES_RANGE[1]})")
            if len(card.title.get(lang)) > TITLE_LIMIT:
                p(f, c, f"{lang} title over {TITLE_LIMIT} characters")
            if card_length(card, lang) > MESSAGE_LIMIT:
                p(f, c, f"{lang} card over Telegram's {MESSAGE_LIMIT}-character message limit")
        if not STEPS_RANGE[0] <= len(card.steps) <= STEPS_RANGE[1]:
            p(f, c, f"{len(card.steps)} steps (need {STEPS_RANGE[0]}–{STEPS_RANGE[1]})")
        if card.escalate is None:
            p(f, c, "missing 'escalate': say when to escalate and to whom")
        for ref in card.related:
            if ref == c:
                p(f, c, "related to itself")
            elif ref not in kb.cards:
                p(f, c, f"unknown related card {ref}")
        for msg in [*walk_problems(card), *placeholder_problems(card, set(kb.contacts))]:
            p(f, c, msg)
        for alias in {fold_key(a) for a in card.aliases.all()}:
            if not alias:
                p(f, c, "an alias is empty after removing punctuation")
                continue
            owner = alias_owner.setdefault(alias, c)
            if owner != c:
                p(f, c, f"alias '{alias}' is also an alias of card {owner}")

    for q in kb.questions.values():
        f = files["questions"][q.id]
        i = q.id
        if not SHORT_ID.match(i):
            p(f, i, "question id must be a-z, 0-9 and '-', at most 24 characters")
        for msg in missing_langs(q):
            p(f, i, msg)
        q_act = kb.activities.get(q.activity)
        if q_act is None:
            p(f, i, f"unknown activity {q.activity}")
        for ind_id in q.indicators:
            if ind_id not in kb.indicators:
                p(f, i, f"unknown indicator {ind_id}")
            elif q_act is not None and ind_id not in {x.id for x in q_act.indicators}:
                p(f, i, f"indicator {ind_id} belongs to another activity than {q.activity}")
        if q.card is None:
            p(f, i, "missing 'card': the card that teaches it")
        elif q.card not in kb.cards:
            p(f, i, f"unknown card {q.card}")
        elif kb.cards[q.card].activity != q.activity:
            p(f, i, f"card {q.card} teaches {kb.cards[q.card].activity}, not {q.activity}")
        n = len(q.options)
        if not OPTIONS_RANGE[0] <= n <= OPTIONS_RANGE[1]:
            p(f, i, f"{n} options (need {OPTIONS_RANGE[0]}–{OPTIONS_RANGE[1]})")
        right = sum(o.correct for o in q.options)
        if right != 1:
            p(f, i, f"{right} correct options (need exactly one)")
        for lang in LANGS:
            if len(q.question.get(lang)) > QUESTION_LIMIT:
                p(f, i, f"{lang} question over {QUESTION_LIMIT} characters")
            if len(q.explanation.get(lang)) > EXPLANATION_LIMIT:
                p(f, i, f"{lang} explanation over {EXPLANATION_LIMIT} characters")
            texts = [o.get(lang) for o in q.options]
            for k, t in enumerate(texts, 1):
                if not t:
                    p(f, i, f"option {k}: missing {lang} text")
                elif len(t) > OPTION_LIMIT:
                    p(f, i, f"option {k}: {lang} text over {OPTION_LIMIT} characters")
            keys = [fold_key(t) for t in texts if t]
            if len(set(keys)) != len(keys):
                p(f, i, f"two {lang} options say the same thing")

    if kb.cards or kb.questions:
        for act_id in kb.activities:
            where = files["tasks"].get(act_id.split(".")[0], std_file)
            n_cards = len(kb.cards_for(act_id))
            n_q = len(kb.questions_for(act_id))
            if n_cards < MIN_CARDS_PER_ACTIVITY:
                p(where, act_id, f"{n_cards} cards (need at least {MIN_CARDS_PER_ACTIVITY})")
            if n_q < MIN_QUESTIONS_PER_ACTIVITY:
                p(where, act_id, f"{n_q} questions (need at least {MIN_QUESTIONS_PER_ACTIVITY})")

    return out
