"""The knowledge and its matcher as one immutable pair, swapped whole on /reload."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from knowledge.loader import load_knowledge_or_raise
from knowledge.matcher import Matcher
from knowledge.models import Knowledge


@dataclass(frozen=True)
class Library:
    """What the bot answers from: a handler keeps the pair it started with, whole."""

    kb: Knowledge
    matcher: Matcher


def load_library(extra_dir: Path | None = None) -> Library:
    """Load and check the knowledge files, then build the matcher over them."""
    kb = load_knowledge_or_raise(extra_dir)
    return Library(kb, Matcher(kb))
