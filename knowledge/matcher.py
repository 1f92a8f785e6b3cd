"""Match a staff question to procedure cards and activities, in any way staff write it.

Lexical and fast: questions and knowledge are folded the same way (NFKC, case, width,
punctuation, Simplified → Traditional, synonyms), split into terms (Chinese character
bigrams, English words), and scored in two stages:

1. BM25 over an inverted index picks candidates (cheap at 10,000 cards);
2. candidates are re-ranked on how much of the question each one explains
   (idf-weighted term coverage of its title and aliases, and of all its text) and on the
   closest alias as a whole string (rapidfuzz `fuzz.ratio`), which catches near-verbatim
   phrasings and typos.

The re-ranked score (0–100) gives the tier: `answer`, `suggest` or `none`. Weights and
thresholds were tuned on the dev split of tests/data/questions.jsonl; bench/bench_match.py
measures them against plain baselines.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from rapidfuzz import fuzz, process

from knowledge.models import Knowledge
from knowledge.normalize import fold, to_traditional

Tier = Literal["answer", "suggest", "none"]

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff"
_RUN_RE = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
_LATIN_RE = re.compile(r"^[a-z0-9 ]+$")


@dataclass(frozen=True)
class Weights:
    """Tuned knobs of the matcher (see bench/bench_match.py for how they were chosen)."""

    names: float = 3.0         # term weight of titles and aliases vs. body text
    body: float = 1.0
    k1: float = 1.2
    b: float = 0.5
    candidates: int = 40       # BM25 candidates re-ranked
    w_cov_names: float = 0.45  # share of the question explained by title/aliases
    w_cov_all: float = 0.25    # … by any text of the entry
    w_alias: float = 0.20      # closest alias as a whole string
    w_bm25: float = 0.10       # BM25 relative to the best candidate
    answer_at: float = 55.0    # score from which the top hit is answered directly
    suggest_at: float = 35.0   # score from which hits are offered as "did you mean"
    answer_margin: float = 4.0 # top hit must lead the next activity by this much to answer


@dataclass(frozen=True)
class Hit:
    activity: str
    card: str | None
    score: float


@dataclass(frozen=True)
class Result:
    tier: Tier
    hits: list[Hit] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "tier": self.tier,
            "hits": [
                {"activity": h.activity, "card": h.card, "score": round(h.score, 1)}
                for h in self.hits
            ],
        }


class Normalizer:
    """Folds text and maps synonyms and typos onto one canonical word."""

    def __init__(self, synonyms: Iterable[list[str]], stopwords: Iterable[str]) -> None:
        mapping: dict[str, str] = {}
        for group in synonyms:
            canon = self._base(group[0])
            for word in group:
                mapping.setdefault(self._base(word), canon)
        self._map = mapping
        self._syn_re = self._alternation(mapping)
        stops = [self._base(w) for w in stopwords]
        self._stop_latin = {w for w in stops if _LATIN_RE.match(w)}
        cjk_stops = {w: " " for w in stops if w and not _LATIN_RE.match(w)}
        self._stop_re = self._alternation(cjk_stops)

    @staticmethod
    def _base(text: str) -> str:
        return fold(to_traditional(text))

    @staticmethod
    def _alternation(words: dict[str, str]) -> re.Pattern[str] | None:
        if not words:
            return None
        parts = []
        for w in sorted(words, key=len, reverse=True):
            esc = re.escape(w)
            # English words match whole words only ("pos" must not fire inside "post").
            parts.append(rf"(?<![a-z0-9]){esc}(?![a-z0-9])" if _LATIN_RE.match(w) else esc)
        return re.compile("|".join(parts))

    def normalize(self, text: str) -> str:
        """Folded, Traditional, synonyms replaced by their canonical word."""
        base = self._base(text)
        if self._syn_re is not None:
            base = self._syn_re.sub(lambda m: f" {self._map[m.group(0)]} ", base)
        return " ".join(base.split())

    def terms(self, normalized: str) -> list[str]:
        """Chinese character bigrams (a lone character stays a unigram) and English words."""
        text = self._stop_re.sub(" ", normalized) if self._stop_re is not None else normalized
        out: list[str] = []
        for run in _RUN_RE.findall(text):
            if run[0].isascii():
                if run not in self._stop_latin:
                    out.append(_stem(run))
            elif len(run) == 1:
                out.append(run)
            else:
                out.extend(run[i : i + 2] for i in range(len(run) - 1))
        return out


def _stem(word: str) -> str:
    # A light English stemmer: enough to make "printers"/"printer", "backups"/"backup" meet.
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ed"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@dataclass(frozen=True)
class _Doc:
    activity: str
    card: str | None
    names: tuple[str, ...]   # normalized titles and aliases
    name_terms: frozenset[str]
    all_terms: frozenset[str]


class Matcher:
    """An index over one Knowledge, built once; `search` is read-only and thread-safe."""

    def __init__(self, kb: Knowledge, weights: Weights | None = None) -> None:
        self.weights = w = weights or Weights()
        self.norm = Normalizer(kb.synonyms, kb.stopwords)
        docs: list[_Doc] = []
        tfs: list[Counter[str]] = []
        for card in kb.cards.values():
            names = [card.title.zh, card.title.en, *card.aliases.all()]
            body = [s.zh for s in card.steps] + [s.en for s in card.steps]
            if card.escalate:
                body += [card.escalate.zh, card.escalate.en]
            docs_tf = self._add(docs, card.activity, card.id, names, body)
            tfs.append(docs_tf)
        for act in kb.activities.values():
            names = [act.title.zh, act.title.en]
            body = [i.text.zh for i in act.indicators] + [i.text.en for i in act.indicators]
            tfs.append(self._add(docs, act.id, None, names, body))
        self.docs = docs
        n = len(docs)
        df: Counter[str] = Counter()
        for d in docs:
            df.update(d.all_terms)
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        # Unknown terms carry as much information as the rarest known one: a question full
        # of words the knowledge never uses is most likely off-topic.
        self.unknown_idf = math.log(1 + (n + 0.5) / 0.5) if n else 1.0
        lengths = np.array([sum(tf.values()) for tf in tfs], dtype=np.float64)
        avg = float(lengths.mean()) if n else 1.0
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for i, tf in enumerate(tfs):
            norm = w.k1 * (1 - w.b + w.b * lengths[i] / avg)
            for term, f in tf.items():
                ids, ws = postings.setdefault(term, ([], []))
                ids.append(i)
                ws.append(self.idf[term] * f * (w.k1 + 1) / (f + norm))
        self._postings = {
            t: (np.array(ids, dtype=np.int32), np.array(ws, dtype=np.float64))
            for t, (ids, ws) in postings.items()
        }
        self._vocab_latin = sorted(t for t in self.idf if t.isascii() and len(t) >= 3)

    def _add(
        self, docs: list[_Doc], activity: str, card: str | None, names: list[str], body: list[str]
    ) -> Counter[str]:
        w = self.weights
        names_n = tuple(self.norm.normalize(s) for s in names if s)
        name_terms = [t for s in names_n for t in self.norm.terms(s)]
        body_terms = [t for s in body if s for t in self.norm.terms(self.norm.normalize(s))]
        docs.append(_Doc(activity, card, names_n, frozenset(name_terms),
                         frozenset(name_terms) | frozenset(body_terms)))
        tf: Counter[str] = Counter()
        for t in name_terms:
            tf[t] += w.names
        for t in body_terms:
            tf[t] += w.body
        return tf

    def _correct(self, term: str) -> str:
        """Map an unknown English word to the closest known one (typos like 'recipt')."""
        if term in self.idf or not term.isascii() or len(term) < 4 or term.isdigit():
            return term
        best = process.extractOne(term, self._vocab_latin, scorer=fuzz.ratio,
                                  processor=None, score_cutoff=80)
        return best[0] if best else term

    def search(self, text: str, k: int = 5) -> Result:
        """Ranked hits for a question, with the confidence tier of the best one."""
        w = self.weights
        normalized = self.norm.normalize(text[:1000])
        q_terms = list(dict.fromkeys(self._correct(t) for t in self.norm.terms(normalized)))
        if not q_terms:
            return Result("none")
        scores = np.zeros(len(self.docs), dtype=np.float64)
        for term in q_terms:
            post = self._postings.get(term)
            if post is not None:
                scores[post[0]] += post[1]
        top_bm25 = float(scores.max()) if len(scores) else 0.0
        if top_bm25 <= 0:
            return Result("none")
        n_cand = min(w.candidates, int(np.count_nonzero(scores)))
        cand = np.argpartition(-scores, n_cand - 1)[:n_cand]
        q_idf = {t: self.idf.get(t, self.unknown_idf) for t in q_terms}
        total = sum(q_idf.values())
        q_flat = normalized.replace(" ", "")
        ranked: list[tuple[float, _Doc]] = []
        for i in cand:
            doc = self.docs[int(i)]
            cov_names = sum(v for t, v in q_idf.items() if t in doc.name_terms) / total
            cov_all = sum(v for t, v in q_idf.items() if t in doc.all_terms) / total
            alias = process.extractOne(q_flat, [s.replace(" ", "") for s in doc.names],
                                       scorer=fuzz.ratio, processor=None)
            alias_score = alias[1] / 100 if alias else 0.0
            score = 100 * (w.w_cov_names * cov_names + w.w_cov_all * cov_all
                           + w.w_alias * alias_score + w.w_bm25 * scores[i] / top_bm25)
            ranked.append((score, doc))
        ranked.sort(key=lambda x: (-x[0], x[1].card is None, x[1].card or x[1].activity))
        hits: list[Hit] = []
        seen_acts_with_card: set[str] = set()
        for score, doc in ranked:
            # An activity stands in for its cards only when none of them ranked above it.
            if doc.card is None and doc.activity in seen_acts_with_card:
                continue
            if doc.card is not None:
                seen_acts_with_card.add(doc.activity)
            hits.append(Hit(doc.activity, doc.card, round(float(score), 2)))
            if len(hits) == k:
                break
        return Result(self._tier(hits), hits)

    def _tier(self, hits: list[Hit]) -> Tier:
        w = self.weights
        if not hits or hits[0].score < w.suggest_at:
            return "none"
        top = hits[0]
        runner = next((h.score for h in hits[1:] if h.activity != top.activity), 0.0)
        if top.score >= w.answer_at and top.score - runner >= w.answer_margin:
            return "answer"
        return "suggest"
