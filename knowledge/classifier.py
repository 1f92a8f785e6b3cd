"""Which activity a question belongs to, learnt from how staff and the standard word things.

A multinomial naive Bayes model over the matcher's own terms (character bigrams, English
words, canonical synonyms). It learns from every labelled phrase the knowledge holds: card
titles and aliases (labelled with the card's activity), each activity's titles and indicator
texts, and the `examples:` section (questions staff asked, filed under an activity, and
messages that are no work question at all, filed under `none` — a class of its own).

The lexical scores say which entries contain the question's words; the classifier says
which activity phrasings like this one usually belong to. The matcher uses its output as a
relative weight per activity: 1.0 for the likeliest activity, less for the others.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Iterable

import numpy as np


class ActivityClassifier:
    """Naive Bayes over term sets, built once; `relative` is read-only and thread-safe."""

    def __init__(self, samples: Iterable[tuple[str, list[str]]], alpha: float = 0.3) -> None:
        rows: list[tuple[str, set[str]]] = [(a, set(terms)) for a, terms in samples if terms]
        self.activities: list[str] = sorted({a for a, _ in rows})
        index = {a: i for i, a in enumerate(self.activities)}
        vocab: dict[str, int] = {}
        for _a, terms in rows:
            for t in terms:
                vocab.setdefault(t, len(vocab))
        self._vocab = vocab
        # Counts of (activity, term) pairs in one bincount over flat indexes.
        n_vocab = max(len(vocab), 1)
        flat = [index[a] * n_vocab + vocab[t] for a, terms in rows for t in terms]
        counts = np.bincount(
            np.array(flat, dtype=np.int64), minlength=len(self.activities) * n_vocab
        ).reshape(len(self.activities), n_vocab)
        self._alpha = alpha
        self._counts = counts
        # Additive smoothing: a term never seen with an activity lowers it, never rules it out.
        smoothed = counts + alpha
        self._log_p = np.log(smoothed / smoothed.sum(axis=1, keepdims=True))

    def with_sample(self, activity: str, terms: list[str]) -> ActivityClassifier:
        """A copy that has also learnt one phrase for `activity` (known terms only: a new
        word would need a column for every activity); this one is unchanged."""
        new = copy.copy(self)
        cols = [self._vocab[t] for t in set(terms) if t in self._vocab]
        if activity not in self.activities or not cols:
            return new
        row = self.activities.index(activity)
        new._counts = self._counts.copy()
        new._counts[row, cols] += 1
        new._log_p = self._log_p.copy()
        smoothed = new._counts[row] + self._alpha
        new._log_p[row] = np.log(smoothed / smoothed.sum())
        return new

    def relative(self, terms: Iterable[str], temperature: float = 1.0) -> dict[str, float]:
        """Each activity's likelihood relative to the likeliest (1.0); {} when no term is known.

        A temperature above 1 flattens the distribution: naive Bayes multiplies evidence as if
        terms were independent, which makes it overconfident.
        """
        cols = [self._vocab[t] for t in dict.fromkeys(terms) if t in self._vocab]
        if not cols:
            return {}
        log_l = self._log_p[:, cols].sum(axis=1) / temperature
        rel = np.exp(log_l - log_l.max())
        return dict(zip(self.activities, rel.tolist(), strict=True))


_TABLE = 256


@functools.cache
def _log1p_table(alpha: float) -> tuple[float, ...]:
    return tuple(math.log1p(n / alpha) for n in range(_TABLE))


class CardRanker:
    """Naive Bayes over cards, scored only for the candidate cards of one question.

    Learnt from each card's titles, aliases and the questions filed under it
    (`card_examples:`, learned aliases): what tells a card from its siblings is the wording
    staff use for it ("放回去" for restoring, "有沒有跑" for checking a backup ran). Counts are
    kept sparse, term by term, so 10,000 cards cost no dense matrix, and one more example is
    a copy of the few terms it touches (`with_sample`).
    """

    def __init__(self, samples: Iterable[tuple[str, list[str]]], alpha: float = 0.3) -> None:
        self.alpha = alpha
        self._counts: dict[str, dict[str, int]] = {}  # term -> card -> samples with it
        self._totals: dict[str, int] = {}  # card -> term occurrences over its samples
        for card, terms in samples:
            self._add(card, terms)
        self._vocab_size = len(self._counts)

    def _add(self, card: str, terms: Iterable[str]) -> None:
        unique = set(terms)
        for t in unique:
            row = self._counts.setdefault(t, {})
            row[card] = row.get(card, 0) + 1
        self._totals[card] = self._totals.get(card, 0) + len(unique)

    def with_sample(self, card: str, terms: list[str]) -> CardRanker:
        """A copy that has also learnt one phrase for `card`; this one is unchanged."""
        new = object.__new__(CardRanker)
        new.alpha = self.alpha
        new._counts = dict(self._counts)
        for t in set(terms):
            new._counts[t] = dict(new._counts.get(t, {}))
        new._totals = dict(self._totals)
        new._add(card, terms)
        new._vocab_size = len(new._counts)
        return new

    def relative(
        self, terms: Iterable[str], cards: list[str], temperature: float = 1.0
    ) -> np.ndarray:
        """Each of `cards`' likelihood relative to the likeliest of them (1.0); all ones when
        no term is known."""
        known = [t for t in dict.fromkeys(terms) if t in self._counts]
        if not known or not cards:
            return np.ones(len(cards))
        a = self.alpha
        denom = np.array(
            [self._totals.get(c, 0) + a * self._vocab_size for c in cards], dtype=np.float64
        )
        # log P(t | c) = log(a / denom) + log(1 + count / a): the first part is shared by
        # every term, the second is non-zero only where the card has seen the term.
        # Looked up candidate by candidate: a common term may have thousands of cards.
        # Term by term, through whichever is smaller, the term's cards or the candidates: a
        # term seen by few cards skips the rest. Each card's terms add up in term order, as
        # the sum over terms this replaced did on Python 3.11 (to the last bit there; 3.12's
        # sum() compensates rounding, so an ulp may differ against that).
        index = {c: i for i, c in enumerate(cards)}
        seen = [0.0] * len(cards)
        # log1p(n / a) for the small counts almost every pair has: the same floats, looked up.
        table = _log1p_table(a)
        for t in known:
            row = self._counts[t]
            if len(row) < len(cards):
                for c, n in row.items():
                    i = index.get(c)
                    if i is not None:
                        seen[i] += table[n] if n < _TABLE else math.log1p(n / a)
            else:
                for i, c in enumerate(cards):
                    n = row.get(c, 0)
                    if n:
                        seen[i] += table[n] if n < _TABLE else math.log1p(n / a)
        log_l = len(known) * (np.log(a) - np.log(denom)) + np.array(seen, dtype=np.float64)
        log_l /= temperature
        return np.exp(log_l - log_l.max())
