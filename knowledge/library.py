"""The knowledge and its matcher as one immutable pair, swapped whole on /reload."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from knowledge.loader import load_knowledge, load_knowledge_or_raise
from knowledge.matcher import Matcher
from knowledge.models import Knowledge
from knowledge.normalize import release_bulk


@dataclass(frozen=True)
class Library:
    """What the bot answers from: a handler keeps the pair it started with, whole."""

    kb: Knowledge
    matcher: Matcher

    def with_aliases(self, aliases: Iterable[tuple[str, str]]) -> Library:
        """A library whose matcher also knows these (card id, text) aliases; this one is
        unchanged. An alias of a card the knowledge no longer has is skipped (it was attached
        before the card was removed or renamed)."""
        matcher = self.matcher
        for card_id, text in aliases:
            if card_id in self.kb.cards:
                matcher = matcher.with_alias(card_id, text)
        return self if matcher is self.matcher else Library(self.kb, matcher)


def load_library(extra_dir: Path | None = None) -> Library:
    """Load and check the knowledge files, then build the matcher over them."""
    kb = load_knowledge_or_raise(extra_dir)
    try:
        return Library(kb, Matcher(kb))
    finally:
        release_bulk()


def reload_library(
    extra_dir: Path | None = None, aliases: Iterable[tuple[str, str]] = ()
) -> tuple[Library | None, list[str]]:
    """A new library from the files as they are now (with the learned `aliases`, card id and
    text), or None and the problems found."""
    try:
        kb, problems = load_knowledge(extra_dir)
        if problems:
            return None, [str(p) for p in problems]
        return Library(kb, Matcher(kb)).with_aliases(aliases), []
    finally:
        release_bulk()
