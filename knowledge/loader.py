"""Read the knowledge YAML files, validate every entry, merge, and cross-check references.

`load_knowledge` never raises on bad data: it returns what it could load plus a list of
problems, each `file: entry id: what is wrong`, so trainers see every mistake at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from knowledge import sections
from knowledge.checks import Problem, check
from knowledge.models import (
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
)
from knowledge.normalize import fold_key

DATA_DIR = Path(__file__).resolve().parent / "data"

# Telegram limits and the quiz's own limits (characters, per language).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
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
    "card_wordings",
    "glossary",
    "spelling",
    "contacts",
    "store",
)
EXAMPLE_LIMIT = 300


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


def knowledge_files(dirs: Iterable[Path]) -> list[tuple[int, Path]]:
    """Every knowledge file of `dirs` (shipped first, then a store's extra folder), in the
    order they are read: (index of the folder, path)."""
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
    card_wordings: list[tuple[str, str, int, str]] = []  # the same, for the card ranker only
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
    for source, path in knowledge_files(dirs):
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
                    problems.extend(
                        Problem(name, "standard", sections.describe(e)) for e in exc.errors()
                    )
                continue
            if key in ("smalltalk", "examples", "card_examples", "card_wordings"):
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
                        elif key in ("card_examples", "card_wordings"):
                            (card_examples if key == "card_examples" else card_wordings).extend(
                                (name, kind, k, p.strip()) for k, p in enumerate(phrases, 1)
                            )
                        else:
                            examples.extend(
                                (name, kind, k, p.strip()) for k, p in enumerate(phrases, 1)
                            )
                continue
            if key == "glossary":
                sections.glossary(value, name, glossary, problems)
                continue
            if key == "spelling":
                sections.spelling(value, name, spelling, problems)
                continue
            if key == "contacts":
                sections.contacts(value, name, contacts, problems)
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
                    problems.extend(
                        Problem(name, ident, sections.describe(e)) for e in exc.errors()
                    )

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
    by_card: set[tuple[str, str]] = set()
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
            card_examples, {k for k in entries["cards"]}, "card_examples", problems, by_card
        ),
        # A wording that is also a card example of the same card would count twice.
        card_wordings=_examples(
            card_wordings, {k for k in entries["cards"]}, "card_wordings", problems, by_card
        ),
        glossary=list({id(t): t for t in glossary.values()}.values()),
        spelling=spelling,
    )
    store_name, store_contacts = sections.store(store, contacts, problems)
    kb = replace(kb, contacts=contacts, store_contacts=store_contacts, store_name=store_name)
    std_file = files["tasks"].get(next(iter(tasks), ""), _display(data_dir / "standard.yaml"))
    problems.extend(check(kb, files, std_file))
    return Loaded(kb, problems, files, std_file)


def _examples(
    entries: list[tuple[str, str, int, str]],
    known: set[str],
    section: str,
    problems: list[Problem],
    seen: set[tuple[str, str]] | None = None,
) -> dict[str, list[str]]:
    """Example questions by activity (or by card); bad ones are reported
    (file, section.key[position]). `seen`: the (key, folded phrase) pairs already filed,
    shared by sections that must not repeat one another."""
    out: dict[str, list[str]] = {}
    seen = set() if seen is None else seen
    unknown: set[tuple[str, str]] = set()
    what = "card" if section.startswith("card_") else "activity"
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
