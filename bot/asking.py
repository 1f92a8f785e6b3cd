"""Answering questions: match, decide what to show (card, choices or an honest "no"), log it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlite_utils import Database

from bot import storage
from bot.storage import User
from knowledge.library import Library
from knowledge.models import Card, Knowledge

MAX_QUESTION = 1000
MAX_CHOICES = 3
_CONTENT_RE = re.compile(r"\w", re.UNICODE)

Kind = Literal["empty", "smalltalk", "offtopic", "answer", "suggest", "none"]


@dataclass(frozen=True)
class Asked:
    """What to show for a question."""

    kind: Kind
    truncated: bool = False
    smalltalk: str | None = None  # which kind of small talk
    card: Card | None = None  # kind "answer"
    # kind "suggest": (activity, card or None) to offer, at most three, no repeats
    choices: list[tuple[str, str | None]] = field(default_factory=list)
    question_id: int | None = None  # the logged question, for 👍/👎


def ask(db: Database, library: Library, user: User, text: str, now: datetime) -> Asked:
    """Match a question and decide the reply; log it (the user has consented)."""
    clean = text.strip()
    if not _CONTENT_RE.search(clean):
        return Asked("empty")
    truncated = len(clean) > MAX_QUESTION
    clean = clean[:MAX_QUESTION]
    result = library.matcher.search(clean, k=5)
    if result.smalltalk is not None:
        # Not a question: a kind word back, nothing logged as unanswered.
        return Asked("smalltalk", truncated, smalltalk=result.smalltalk)
    if result.tier == "offtopic":
        # No work question at all (chatter, HR paperwork, shopping for oneself): a kind
        # word, and nothing kept - supervisors never see it (the privacy notice says so).
        return Asked("offtopic", truncated)
    top = result.hits[0] if result.hits else None
    qid = storage.log_question(
        db,
        user.id,
        user.team_id,
        clean,
        activity=top.activity if top else None,
        card=top.card if top else None,
        score=top.score if top else None,
        tier=result.tier,
        now=now,
    )
    kb = library.kb
    if result.tier == "answer" and top is not None:
        if top.card is not None and top.card in kb.cards:
            return Asked("answer", truncated, card=kb.cards[top.card], question_id=qid)
        return Asked("suggest", truncated, choices=[(top.activity, None)], question_id=qid)
    if result.tier == "suggest":
        choices: list[tuple[str, str | None]] = []
        seen: set[str] = set()
        for hit in result.hits:
            key = hit.card or hit.activity
            if key not in seen:
                seen.add(key)
                choices.append((hit.activity, hit.card))
            if len(choices) == MAX_CHOICES:
                break
        return Asked("suggest", truncated, choices=choices, question_id=qid)
    return Asked("none", truncated, question_id=qid)


def open_card(db: Database, kb: Knowledge, user: User, card_id: str, now: datetime) -> Card | None:
    """A card the user opened; it counts as looked up, so the next drill practises it."""
    card = kb.cards.get(card_id)
    if card is not None:
        storage.record_card_view(db, user.id, card.id, now)
    return card


def feedback(db: Database, question_id: int, user_id: int, value: int) -> bool:
    """👍 (1) or 👎 (-1) on the user's own answer; a second tap changes it."""
    return storage.set_feedback(db, question_id, user_id, value)
