"""Typed, immutable models of the standard, procedure cards and quiz questions."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Lang = Literal["zh", "en"]
# The `examples:` key for messages that are not questions about the work at all.
OFF_TOPIC = "none"
LANGS: tuple[Lang, ...] = ("zh", "en")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Text(_Model):
    """One text in both languages, Traditional Chinese first."""

    zh: str = ""
    en: str = ""

    def get(self, lang: str) -> str:
        """The text in `lang` ('zh', 'zh-TW' or 'en')."""
        return self.en if lang.startswith("en") else self.zh


class Item(_Model):
    """A knowledge (K) or skill (S) item."""

    id: str
    text: Text


class Attitude(_Model):
    id: str
    name: Text
    text: Text


class Indicator(_Model):
    """A behaviour indicator P… of one activity."""

    id: str
    text: Text


class Output(_Model):
    """A work output O… of one activity."""

    id: str
    text: Text


class Activity(_Model):
    id: str
    title: Text
    outputs: list[Output] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list)

    @property
    def task_id(self) -> str:
        return self.id.split(".")[0]


class Task(_Model):
    id: str
    level: int
    title: Text
    knowledge: list[str] = Field(default_factory=list)
    skills: list[str] = Field(default_factory=list)
    activities: list[Activity] = Field(default_factory=list)


class StandardMeta(_Model):
    code: str
    name: Text
    version: str
    date: str
    level: int
    description: Text
    category: Text | None = None
    qualification: Text | None = None

    @field_validator("date", mode="before")
    @classmethod
    def _date_as_text(cls, value: object) -> object:
        return str(value) if value is not None else value


class Aliases(_Model):
    zh: list[str] = Field(default_factory=list)
    en: list[str] = Field(default_factory=list)

    def all(self) -> list[str]:
        return [*self.zh, *self.en]


class WalkOption(_Model):
    """One answer to a walk step's question, and where it leads (a step id, fixed, escalate)."""

    zh: str = ""
    en: str = ""
    go: str

    def get(self, lang: str) -> str:
        return self.en if lang.startswith("en") else self.zh


class WalkStep(_Model):
    """One step of a guided walk-through: something to do, or a question that branches."""

    id: str
    text: Text
    ask: list[WalkOption] = Field(default_factory=list)
    # Where "didn't help" leads: a step id or `escalate`; by default the next step listed.
    next: str | None = None


class Walk(_Model):
    """A card's troubleshooting as data, walked one step at a time (see knowledge/walks.py)."""

    device: Text | None = None  # what the fault report names as the device
    steps: list[WalkStep] = Field(default_factory=list)
    # Shown with "fixed": what to check before selling again (the sale in progress, …).
    after: Text | None = None
    # Contacts the fault report lists (keys of `contacts:`), besides those the texts name.
    contacts: list[str] = Field(default_factory=list)


class Card(_Model):
    """A procedure card: what a new hire follows to get one job done."""

    id: str
    activity: str
    indicators: list[str] = Field(default_factory=list)
    title: Text
    aliases: Aliases = Field(default_factory=Aliases)
    steps: list[Text] = Field(default_factory=list)
    escalate: Text | None = None
    related: list[str] = Field(default_factory=list)
    # Where a legal or factual rule in the card comes from (law and article, authority).
    source: str | None = None
    # Troubleshooting cards can be walked through step by step.
    walk: Walk | None = None


class Option(_Model):
    zh: str = ""
    en: str = ""
    correct: bool = False

    def get(self, lang: str) -> str:
        return self.en if lang.startswith("en") else self.zh


class Question(_Model):
    """A multiple-choice quiz question with exactly one correct option."""

    id: str
    activity: str
    indicators: list[str] = Field(default_factory=list)
    card: str | None = None
    difficulty: int = Field(default=2, ge=1, le=3)
    question: Text
    options: list[Option]
    explanation: Text
    source: str | None = None

    @property
    def correct_index(self) -> int:
        return next(i for i, o in enumerate(self.options) if o.correct)


class Contact(_Model):
    """A contact a text may name as `{key}`: its label, and what stands in without store.yaml."""

    label: Text
    generic: Text


class GlossaryTerm(_Model):
    """The one English rendering of a Taiwanese retail term, and the ones to reject."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    # Other zh spellings of the same thing (鑑賞期 for 猶豫期): they call for the same English.
    zh_also: list[str] = Field(default_factory=list)
    avoid: list[str] = Field(default_factory=list)
    note: str | None = None


@dataclass(frozen=True)
class Knowledge:
    """Everything loaded from the knowledge files, indexed by id."""

    standard: StandardMeta | None
    tasks: dict[str, Task]
    activities: dict[str, Activity]
    indicators: dict[str, Indicator]
    knowledge: dict[str, Item]
    skills: dict[str, Item]
    attitudes: dict[str, Attitude]
    cards: dict[str, Card]
    questions: dict[str, Question]
    synonyms: list[list[str]] = field(default_factory=list)
    stopwords: list[str] = field(default_factory=list)
    smalltalk: dict[str, list[str]] = field(default_factory=dict)
    # Questions staff really asked, by the activity they belong to (teach the classifier);
    # under OFF_TOPIC, messages that are not about the work.
    examples: dict[str, list[str]] = field(default_factory=dict)
    # One English voice: the term for each Taiwanese retail term, and spelling (wrong → right).
    glossary: list[GlossaryTerm] = field(default_factory=list)
    spelling: dict[str, str] = field(default_factory=dict)
    # Questions staff asked, by the card that answers them (teach the card ranker); learned
    # aliases from supervisors belong here too.
    card_examples: dict[str, list[str]] = field(default_factory=dict)
    # Wordings of a card's questions that teach the card ranker only, not the activity
    # classifier (English written per card: as activity examples they made English chatter
    # look like work).
    card_wordings: dict[str, list[str]] = field(default_factory=dict)
    # Contacts texts name as {key}: the shipped generic ones, and the store's own
    # (store.yaml in EXTRA_KNOWLEDGE_DIR) that replace them.
    contacts: dict[str, Contact] = field(default_factory=dict)
    store_contacts: dict[str, Text] = field(default_factory=dict)
    store_name: Text | None = None

    def cards_for(self, activity_id: str) -> list[Card]:
        return [c for c in self.cards.values() if c.activity == activity_id]

    def questions_for(self, activity_id: str) -> list[Question]:
        return list(self._questions_by_activity.get(activity_id, ()))

    @cached_property
    def _questions_by_activity(self) -> dict[str, tuple[Question, ...]]:
        # Asked for every answer shown (the "practise this" button) and every new drill: a
        # scan of the whole quiz bank each time was 1 % of the bot's CPU under load.
        by: dict[str, list[Question]] = {}
        for q in self.questions.values():
            by.setdefault(q.activity, []).append(q)
        return {act: tuple(qs) for act, qs in by.items()}

    def summary(self) -> str:
        """The one-line count summary printed by check-knowledge."""
        return (
            f"{len(self.tasks)} tasks, {len(self.activities)} activities, "
            f"{len(self.indicators)} indicators, {len(self.knowledge)} knowledge, "
            f"{len(self.skills)} skills, {len(self.attitudes)} attitudes, "
            f"{len(self.cards)} cards, {len(self.questions)} questions, "
            f"{sum(len(v) for v in self.examples.values())} examples, "
            f"{sum(len(v) for v in self.card_examples.values())} card examples, "
            f"{sum(len(v) for v in self.card_wordings.values())} card wordings"
        )
