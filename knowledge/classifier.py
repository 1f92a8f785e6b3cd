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
import math
from array import array
from collections.abc import Iterable
from itertools import pairwise

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
        # int32: a count is how many phrases of one activity hold a term (half of int64's
        # memory, the same values).
        counts = (
            np.bincount(np.array(flat, dtype=np.int64), minlength=len(self.activities) * n_vocab)
            .reshape(len(self.activities), n_vocab)
            .astype(np.int32)
        )
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
        log_rel = self.log_relative(terms)
        return {a: math.exp(r / temperature) for a, r in log_rel.items()}

    def log_relative(self, terms: Iterable[str]) -> dict[str, float]:
        """Each activity's log-likelihood minus the likeliest's (0.0); {} when no term is
        known."""
        cols = [self._vocab[t] for t in dict.fromkeys(terms) if t in self._vocab]
        if not cols:
            return {}
        log_l = self._log_p[:, cols].sum(axis=1)
        return dict(zip(self.activities, (log_l - log_l.max()).tolist(), strict=True))


def _with_phrases(terms: list[str]) -> list[str]:
    """Terms plus each pair of neighbouring terms of which at least one is an English word
    ("old price", "客人 consent"): what a Chinese bigram says about a two-character word, a
    pair says about two words, and it tells sibling cards apart in English. The card ranker
    reads them; in the activity classifier they made English work questions without a card
    read like chatter."""
    pairs = [
        f"{a} {b}"
        for a, b in pairwise(terms)
        if (a.isascii() and a.isalpha()) or (b.isascii() and b.isalpha())
    ]
    return terms + pairs if pairs else terms


class CardRanker:
    """Naive Bayes over cards, scored for a question's candidates or for every card.

    Learnt from each card's titles, aliases and the questions filed under it
    (`card_examples:`, learned aliases): what tells a card from its siblings is the wording
    staff use for it ("放回去" for restoring, "有沒有跑" for checking a backup ran). The counts
    are kept as flat arrays, term by term (each term's cards sorted, with how many of the
    card's phrases hold it), so 10,000 cards cost no dense matrix and no dict per term; a
    phrase learnt later (`with_sample`) goes in a small overlay of its own.
    """

    def __init__(self, samples: Iterable[tuple[str, list[str]]], alpha: float = 0.3) -> None:
        self.alpha = alpha
        cards: dict[str, int] = {}
        terms: dict[str, int] = {}
        term_codes = array("i")
        card_codes = array("i")
        totals = array("q")  # per card: term occurrences over its phrases
        for card, words in samples:
            ci = cards.setdefault(card, len(cards))
            if ci == len(totals):
                totals.append(0)
            unique = set(_with_phrases(words))
            for t in unique:
                term_codes.append(terms.setdefault(t, len(terms)))
                card_codes.append(ci)
            totals[ci] += len(unique)
        n_cards = max(len(cards), 1)
        keys = np.frombuffer(term_codes, dtype=np.int32).astype(np.int64) * n_cards
        keys += np.frombuffer(card_codes, dtype=np.int32)
        del term_codes, card_codes
        pairs, counts = np.unique(keys, return_counts=True)  # by term, then card
        del keys
        self._terms = terms
        self._cards = cards
        self._card_ids = list(cards)
        self._totals = totals
        # Row bounds as a plain array (read one int at a time); the rows as numpy arrays (a
        # question gathers all its terms' rows at once).
        self._starts = array("q", np.searchsorted(pairs // n_cards, np.arange(len(terms) + 1)))
        self._row_cards = (pairs % n_cards).astype(np.int32)
        self._row_counts = counts.astype(np.int32)
        self._totals_np = np.frombuffer(totals, dtype=np.int64).copy()
        # log1p(n / alpha) for every count a pair has: the same floats math.log1p gives.
        top = int(counts.max()) if len(counts) else 0
        self._log1p = np.array([math.log1p(n / alpha) for n in range(top + 1)])
        # Phrases learnt after the build: term -> card -> samples with it, card -> occurrences.
        self._extra: dict[str, dict[str, int]] = {}
        self._extra_totals: dict[str, int] = {}
        self._vocab_size = len(terms)

    def with_sample(self, card: str, terms: list[str]) -> CardRanker:
        """A copy that has also learnt one phrase for `card`; this one is unchanged (the
        arrays are shared, the overlay copied)."""
        new = copy.copy(self)
        new._extra = dict(self._extra)
        unique = set(_with_phrases(terms))
        for t in unique:
            if t not in self._terms and t not in self._extra:
                new._vocab_size += 1
            row = dict(new._extra.get(t, {}))
            row[card] = row.get(card, 0) + 1
            new._extra[t] = row
        new._extra_totals = dict(self._extra_totals)
        new._extra_totals[card] = new._extra_totals.get(card, 0) + len(unique)
        return new

    def _total(self, card: str) -> int:
        ci = self._cards.get(card)
        base = self._totals[ci] if ci is not None else 0
        return base + self._extra_totals.get(card, 0)

    def _row(self, term: str) -> dict[str, int]:
        """A term's cards and counts as a dict (the build's and the overlay's together)."""
        row: dict[str, int] = {}
        k = self._terms.get(term)
        if k is not None:
            lo, hi = self._starts[k], self._starts[k + 1]
            ids = self._card_ids
            for ci, n in zip(
                self._row_cards[lo:hi].tolist(), self._row_counts[lo:hi].tolist(), strict=True
            ):
                row[ids[ci]] = n
        for card, n in self._extra.get(term, {}).items():
            row[card] = row.get(card, 0) + n
        return row

    def log_likelihood(
        self, terms: Iterable[str], cards: list[str] | None, alphas: tuple[float, ...]
    ) -> np.ndarray | None:
        """log P(terms | card) of each of `cards` (every card the ranker knows, in
        `card_ids` order, when None), one row per smoothing in `alphas`; None when no term
        is known or there is no card. `cards` are distinct (a question's candidates).

        The rows of all known terms are gathered once and serve every alpha: a small alpha
        trusts the exact wording a card was asked in, a large one its overall vocabulary.
        """
        known = [
            t
            for t in dict.fromkeys(_with_phrases(list(terms)))
            if t in self._terms or t in self._extra
        ]
        n_all = len(self._card_ids)
        n = n_all if cards is None else len(cards)
        if not known or not n:
            return None
        if cards is None:
            cand = np.arange(n_all, dtype=np.int64)
            totals = self._totals_np.copy()
            if self._extra_totals:
                for c, k in self._extra_totals.items():
                    ci = self._cards.get(c)
                    if ci is not None:
                        totals[ci] += k
            pos = cand
        else:
            cand = np.array([self._cards.get(c, -1) for c in cards], dtype=np.int64)
            known_card = cand >= 0
            totals = (
                np.where(known_card, self._totals_np[np.where(known_card, cand, 0)], 0)
                if n_all
                else np.zeros(n, dtype=np.int64)
            )
            if self._extra_totals:
                totals = totals + np.array([self._extra_totals.get(c, 0) for c in cards])
            pos = np.full(n_all, -1, dtype=np.int64)
            pos[cand[known_card]] = np.flatnonzero(known_card)
        # log P(t | c) = log(a / denom) + log(1 + count / a): the first part is shared by
        # every term, the second is non-zero only where the card has seen the term. All the
        # known terms' rows are gathered at once and summed per card by one bincount.
        starts = self._starts
        bounds = [
            (starts[code], starts[code + 1])
            for t in known
            if t not in self._extra and (code := self._terms.get(t)) is not None
        ]
        if bounds:
            row_cards = np.concatenate([self._row_cards[lo:hi] for lo, hi in bounds])
            row_counts = np.concatenate([self._row_counts[lo:hi] for lo, hi in bounds])
            at = pos[row_cards]
            hit = at >= 0
            at, counts = at[hit], row_counts[hit]
        else:
            at, counts = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
        # Phrases learnt after the build (the overlay), term by term.
        extra_at: list[int] = []
        extra_n: list[float] = []
        if self._extra:
            index = self._cards if cards is None else {c: i for i, c in enumerate(cards)}
            for t in known:
                if t in self._extra:
                    for c, count in self._row(t).items():
                        i = index.get(c)
                        if i is not None:
                            extra_at.append(i)
                            extra_n.append(float(count))
        out = np.empty((len(alphas), n))
        for r, a in enumerate(alphas):
            # The build's own smoothing reads its table; another computes log1p.
            logs = self._log1p[counts] if a == self.alpha else np.log1p(counts / a)
            seen = np.bincount(at, weights=logs, minlength=n).astype(np.float64)
            for i, count_f in zip(extra_at, extra_n, strict=True):
                seen[i] += math.log1p(count_f / a)
            denom = totals + a * self._vocab_size
            out[r] = len(known) * (np.log(a) - np.log(denom)) + seen
        return out

    @property
    def card_ids(self) -> list[str]:
        """The cards the ranker knows, in the order `log_likelihood(…, None, …)` gives."""
        return self._card_ids
