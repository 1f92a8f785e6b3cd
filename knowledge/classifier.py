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
        # Additive smoothing: a term never seen with an activity lowers it, never rules it out.
        smoothed = counts + alpha
        self._log_p = np.log(smoothed / smoothed.sum(axis=1, keepdims=True))

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
