"""Read the knowledge YAML files, validate every entry, merge, and cross-check references.

`load_knowledge` never raises on bad data: it returns what it could load plus a list of
problems, each `file: entry id: what is wrong`, so trainers see every mistake at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from knowledge.models import (
    LANGS,
    OFF_TOPIC,
    Activity,
    Attitude,
    Card,
    Contact,
    GlossaryTerm,
    Indicator,
    Item,
    Knowledge,
    Question,
    StandardMeta,
    Task,
    Text,
)
from knowledge.normalize import fold_key
from knowledge.walks import placeholder_problems, walk_problems

DATA_DIR = Path(__file__).resolve().parent / "data"

# Telegram limits and the quiz's own limits (characters, per language).
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

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SHORT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,23}$")
TOP_KEYS = (
    "standard",
    "knowledge",
    "skills",
    "attitudes",
    "tasks",
    "cards",
    "questions",
    "synonyms",
    "stopwords",
    "smalltalk",
    "examples",
    "card_examples",
    "glossary",
    "spelling",
    "contacts",
    "store",
)
EXAMPLE_LIMIT = 300


@dataclass(frozen=True)
class Problem:
    file: str
    entry: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.entry}: {self.message}"


class KnowledgeError(Exception):
    """The knowledge files have problems; `problems` lists them all."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class _Entry:
    model: BaseModel
    file: str
    source: int  # index of the directory it came from: 0 shipped, 1 extra


def _describe(err: Mapping[str, Any]) -> str:
    loc = ".".join(str(p) for p in err["loc"])
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return f"unknown field '{loc}'"
    if err["type"] == "missing":
        return f"missing field '{loc}'"
    return f"{loc}: {msg}" if loc else msg


def _files(dirs: Iterable[Path]) -> list[tuple[int, Path]]:
    out: list[tuple[int, Path]] = []
    for i, d in enumerate(dirs):
        out.extend((i, p) for p in sorted(d.glob("*.yaml")) + sorted(d.glob("*.yml")))
    return out


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Loaded:
    """What `load` read: the knowledge, its problems, and the file each entry came from."""

    kb: Knowledge
    problems: list[Problem]
    # kind ('cards', 'questions', 'tasks', …) → id → the file, as problems name it
    files: dict[str, dict[str, str]]
    std_file: str


def load_knowledge(
    extra_dir: Path | None = None, data_dir: Path = DATA_DIR
) -> tuple[Knowledge, list[Problem]]:
    """Load shipped (and a store's extra) knowledge files; return the data and all problems."""
    loaded = load(extra_dir, data_dir)
    return loaded.kb, loaded.problems


def load(extra_dir: Path | None = None, data_dir: Path = DATA_DIR) -> Loaded:
    """Like `load_knowledge`, keeping where each entry came from for later checks."""
    problems: list[Problem] = []
    dirs = [data_dir]
    if extra_dir is not None:
        if not extra_dir.is_dir():
            problems.append(Problem(str(extra_dir), "-", "EXTRA_KNOWLEDGE_DIR is not a folder"))
        else:
            dirs.append(extra_dir)

    standard: StandardMeta | None = None
    # The sections of entries with an id; the others are read on their own below.
    entries: dict[str, dict[str, _Entry]] = {
        k: {} for k in ("knowledge", "skills", "attitudes", "tasks", "cards", "questions")
    }
    word_lists: dict[str, list[list[str]]] = {"synonyms": [], "stopwords": []}
    smalltalk: dict[str, list[str]] = {}
    examples: list[tuple[str, str, int, str]] = []  # file, activity, position, phrase
    glossary: dict[str, GlossaryTerm] = {}  # by every zh spelling of the term
    spelling: dict[str, str] = {}
    card_examples: list[tuple[str, str, int, str]] = []  # file, card, position, phrase
    contacts: dict[str, Contact] = {}
    store: list[tuple[str, object]] = []  # file, the raw `store:` section

    def add(kind: str, model: BaseModel, file: str, source: int) -> None:
        ident = str(getattr(model, "id", "-"))
        seen = entries[kind].get(ident)
        # A store's file may replace a shipped card or question; anything else is a clash.
        replaceable = kind in ("cards", "questions") and seen is not None and seen.source < source
        if seen is not None and not replaceable:
            problems.append(Problem(file, ident, f"duplicate id (also in {seen.file})"))
            return
        entries[kind][ident] = _Entry(model, file, source)

    models: dict[str, type[BaseModel]] = {
        "knowledge": Item,
        "skills": Item,
        "attitudes": Attitude,
        "tasks": Task,
        "cards": Card,
        "questions": Question,
    }
    for source, path in _files(dirs):
        name = _display(path)
        try:
            # libyaml when present: the pure-Python parser takes seconds on these files.
            doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark is not None else "-"
            problems.append(
                Problem(name, where, f"not valid YAML: {getattr(exc, 'problem', exc)}")
            )
            continue
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(name, "-", f"cannot read: {exc}"))
            continue
        if doc is None:
            continue
        if not isinstance(doc, dict):
            problems.append(Problem(name, "-", "the file must be a mapping of sections"))
            continue
        for key, value in doc.items():
            if key not in TOP_KEYS:
                problems.append(
                    Problem(name, str(key), f"unknown section (use {', '.join(TOP_KEYS)})")
                )
                continue
            if key == "standard":
                try:
                    if standard is not None:
                        problems.append(Problem(name, "standard", "defined twice"))
                    standard = StandardMeta.model_validate(value)
                except ValidationError as exc:
                    problems.extend(Problem(name, "standard", _describe(e)) for e in exc.errors())
                continue
            if key in ("smalltalk", "examples", "card_examples"):
                if not isinstance(value, dict) or not all(
                    isinstance(k, str)
                    and isinstance(v, list)
                    and all(isinstance(w, str) for w in v)
                    for k, v in value.items()
                ):
                    what = {"smalltalk": "a kind", "examples": "an activity id"}.get(
                        key, "a card id"
                    )
                    problems.append(Problem(name, key, f"must map {what} to a list of phrases"))
                else:
                    for kind, phrases in value.items():
                        if key == "smalltalk":
                            smalltalk.setdefault(kind, []).extend(phrases)
                        elif key == "card_examples":
                            card_examples.extend(
                                (name, kind, k, p.strip()) for k, p in enumerate(phrases, 1)
                            )
                        else:
                            examples.extend(
                                (name, kind, k, p.strip()) for k, p in enumerate(phrases, 1)
                            )
                continue
            if key == "glossary":
                _glossary(value, name, glossary, problems)
                continue
            if key == "spelling":
                _spelling(value, name, spelling, problems)
                continue
            if key == "contacts":
                _contacts(value, name, contacts, problems)
                continue
            if key == "store":
                store.append((name, value))
                continue
            if key in word_lists:
                if not isinstance(value, list) or not all(
                    isinstance(g, list) and len(g) >= 2 and all(isinstance(w, str) for w in g)
                    for g in value
                ):
                    problems.append(
                        Problem(name, key, "must be a list of word lists (2+ words each)")
                    )
                else:
                    word_lists[key].extend([str(w) for w in g] for g in value)
                continue
            if not isinstance(value, list):
                problems.append(Problem(name, key, "must be a list of entries"))
                continue
            for i, raw in enumerate(value):
                ident = str(raw.get("id", f"#{i + 1}")) if isinstance(raw, dict) else f"#{i + 1}"
                try:
                    add(key, models[key].model_validate(raw), name, source)
                except ValidationError as exc:
                    problems.extend(Problem(name, ident, _describe(e)) for e in exc.errors())

    files = {kind: {k: e.file for k, e in d.items()} for kind, d in entries.items()}
    tasks = {k: e.model for k, e in entries["tasks"].items()}
    activities: dict[str, Activity] = {}
    indicators: dict[str, Indicator] = {}
    for task in tasks.values():
        assert isinstance(task, Task)
        for act in task.activities:
            if act.id in activities:
                problems.append(Problem(files["tasks"][task.id], act.id, "duplicate activity id"))
            activities[act.id] = act
            for ind in act.indicators:
                if ind.id in indicators:
                    problems.append(
                        Problem(files["tasks"][task.id], ind.id, "duplicate indicator id")
                    )
                indicators[ind.id] = ind
    kb = Knowledge(
        standard=standard,
        tasks=tasks,  # type: ignore[arg-type]
        activities=activities,
        indicators=indicators,
        knowledge={k: e.model for k, e in entries["knowledge"].items()},  # type: ignore[misc]
        skills={k: e.model for k, e in entries["skills"].items()},  # type: ignore[misc]
        attitudes={k: e.model for k, e in entries["attitudes"].items()},  # type: ignore[misc]
        cards={k: e.model for k, e in entries["cards"].items()},  # type: ignore[misc]
        questions={k: e.model for k, e in entries["questions"].items()},  # type: ignore[misc]
        synonyms=word_lists["synonyms"],
        stopwords=[w for group in word_lists["stopwords"] for w in group],
        smalltalk=smalltalk,
        examples=_examples(examples, set(activities) | {OFF_TOPIC}, "examples", problems),
        card_examples=_examples(
            card_examples, {k for k in entries["cards"]}, "card_examples", problems
        ),
        glossary=list({id(t): t for t in glossary.values()}.values()),
        spelling=spelling,
    )
    store_name, store_contacts = _store(store, contacts, problems)
    kb = replace(kb, contacts=contacts, store_contacts=store_contacts, store_name=store_name)
    std_file = files["tasks"].get(next(iter(tasks), ""), _display(data_dir / "standard.yaml"))
    problems.extend(check(kb, files, std_file))
    return Loaded(kb, problems, files, std_file)


def _glossary(
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
            problems.extend(Problem(file, f"glossary.{ident}", _describe(e)) for e in exc.errors())
            continue
        for avoid in term.avoid:
            # Rejecting part of the right term would reject every right use of it.
            if _words(avoid) in _words(term.en):
                problems.append(
                    Problem(file, f"glossary.{ident}", f"avoid '{avoid}' is part of '{term.en}'")
                )
        for zh in (term.zh, *term.zh_also):
            if zh in terms:
                problems.append(Problem(file, f"glossary.{zh}", "term defined twice"))
            else:
                terms[zh] = term


def _spelling(value: object, file: str, pairs: dict[str, str], problems: list[Problem]) -> None:
    """Add a file's spelling pairs (wrong → right), compared in lower case."""
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and k.strip() and v.strip()
        for k, v in value.items()
    ):
        problems.append(Problem(file, "spelling", "must map a wrong spelling to the right one"))
        return
    for wrong, right in value.items():
        key = _words(wrong)
        if key == _words(right):
            problems.append(Problem(file, f"spelling.{wrong}", "wrong and right are the same"))
        elif key in pairs:
            problems.append(Problem(file, f"spelling.{wrong}", "listed twice"))
        else:
            pairs[key] = right.strip()


CONTACT_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CONTACT_LIMIT = 120


def _contacts(
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
            problems.extend(Problem(file, where, _describe(e)) for e in exc.errors())
            continue
        for msg in _missing_langs(contact):
            problems.append(Problem(file, where, msg))
        contacts[key] = contact


def _store(
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


def _words(text: str) -> str:
    """Lower case, single spaces: how glossary and spelling entries are compared."""
    return " ".join(text.lower().split())


def _examples(
    entries: list[tuple[str, str, int, str]],
    known: set[str],
    section: str,
    problems: list[Problem],
) -> dict[str, list[str]]:
    """Example questions by activity (or by card); bad ones are reported
    (file, section.key[position])."""
    out: dict[str, list[str]] = {}
    seen: set[tuple[str, str]] = set()
    unknown: set[tuple[str, str]] = set()
    what = "card" if section == "card_examples" else "activity"
    for file, act_id, k, phrase in entries:
        if act_id not in known:
            if (file, act_id) not in unknown:
                problems.append(Problem(file, f"{section}.{act_id}", f"unknown {what}"))
                unknown.add((file, act_id))
            continue
        where = f"{section}.{act_id}[{k}]"
        key = (act_id, fold_key(phrase))
        if not phrase:
            problems.append(Problem(file, where, "empty example"))
        elif len(phrase) > EXAMPLE_LIMIT:
            problems.append(Problem(file, where, f"over {EXAMPLE_LIMIT} characters"))
        elif key in seen:
            problems.append(Problem(file, where, "the same example twice"))
        else:
            seen.add(key)
            out.setdefault(act_id, []).append(phrase)
    return out


def load_knowledge_or_raise(extra_dir: Path | None = None, data_dir: Path = DATA_DIR) -> Knowledge:
    """Load the knowledge; raise KnowledgeError listing every problem if there is any."""
    kb, problems = load_knowledge(extra_dir, data_dir)
    if problems:
        raise KnowledgeError(problems)
    return kb


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


def _missing_langs(model: BaseModel) -> Iterable[str]:
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
            for msg in _missing_langs(model):
                p(f, ident, msg)

    if kb.standard is not None:
        for msg in _missing_langs(kb.standard):
            p(std_file, "standard", msg)
    elif kb.tasks:
        p(std_file, "standard", "missing the 'standard' section (code, name, version, date)")

    for task in kb.tasks.values():
        f = files["tasks"][task.id]
        if not re.match(r"^T\d$", task.id):
            p(f, task.id, "task id should look like T1")
        for msg in _missing_langs(Task.model_validate({**task.model_dump(), "activities": []})):
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
            for msg in _missing_langs(act):
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
        for msg in _missing_langs(card.model_copy(update={"walk": None})):
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
        for msg in _missing_langs(q):
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
