"""Match a staff question to procedure cards and activities, in any way staff write it.

Fast and without a language model: questions and knowledge are folded the same way (NFKC,
case, width, punctuation, Simplified → Traditional, synonyms), split into terms (Chinese
character bigrams, English words; unknown ones read as the typo they most likely are), and
ranked in three stages:

1. candidates: BM25 over an inverted index (cheap at 10,000 cards), joined by the cards the
   card ranker (knowledge/classifier.py's CardRanker, naive Bayes over cards, learnt from
   titles, aliases and the staff questions filed by card) finds likeliest for this wording;
2. signals per candidate: how much of the question it explains (idf-weighted coverage of its
   title and aliases, and of all its text), the closest alias and the closest filed staff
   question as whole strings (rapidfuzz `fuzz.ratio`, which catches near-verbatim phrasings
   and typos), the card ranker's log-likelihoods (what tells siblings apart: restoring a
   backup vs. checking it ran) and the activity classifier's (naive Bayes over activities);
3. a learnt ranking: a linear score over those signals (`RANK_FEATURES`, `Weights.rank`),
   fitted as a listwise softmax on dev data out of fold (bench/fit_ranker.py); its softmax
   is the probability that a candidate is the card that answers.

The lexical score (0–100) says whether anything fits (tier `none` below `suggest_at`, or when
the classifier-weighted score is below `offer_at`); the top card is answered directly when
the ranking gives it `answer_p` and its weighted score reaches `answer_at`, otherwise "did
you mean"; `offtopic` for small talk or when the message reads likelier as no work question
at all (the examples filed under `none`) than as any activity. Weights and thresholds were
chosen on dev data only (tests/data: questions.jsonl's dev split and the dev sets of
knowledge/evaluate.py's DEV_SETS); bench/bench_match.py measures them against plain
baselines. `with_alias` adds a learned alias to a copy in milliseconds.
"""

from __future__ import annotations

import copy
import gc
import math
import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import chain
from operator import add
from typing import Literal

import numpy as np
from rapidfuzz import fuzz, process

from knowledge import heap
from knowledge.classifier import ActivityClassifier, CardRanker
from knowledge.models import OFF_TOPIC, Knowledge, Question
from knowledge.normalize import (
    fold,
    fold_key,
    fold_keys,
    fold_lines,
    sound_key,
    to_traditional,
    to_traditional_bulk,
)

# answer: the top card, directly. suggest: "did you mean" the top 2-3. none: a work question
# no card answers (logged for supervisors). offtopic: no work question at all (small talk,
# chatter, HR paperwork, shopping, job hunting): a kind word, nothing logged.
Tier = Literal["answer", "suggest", "none", "offtopic"]

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff"
_RUN_RE = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
_LATIN_RE = re.compile(r"^[a-z0-9 ]+$")
_PARTICLES = "啦喔呀唷囉哦耶啊欸呢吧~～"
_WORD_RE = re.compile(r"[a-z0-9]+")
# A log-likelihood (relative to the best candidate) below which differences mean nothing.
_LL_FLOOR = -60.0
# What the learnt ranking reads of each candidate, in the order of `Weights.rank`.
RANK_FEATURES = (
    "score",  # log(1 + the lexical score 0-100)
    "with_second",  # … with a share of its activity's runner-up added
    "card_nb",  # card ranker log-likelihood (alpha card_alpha), relative to the best
    "card_nb_sharp",  # … with alpha card_alpha_sharp
    "activity_nb",  # the activity classifier's log-likelihood, relative to the best
    "cov_names",  # share of the question's idf explained by titles and aliases
    "cov_body",  # … only by the rest of the text
    "alias",  # closest title/alias as a whole string, 0-1
    "bm25",  # BM25, saturating at bm25_scale
    "evidence",  # idf mass found, saturating at evidence_full
    "is_card",  # 1 for a card, 0 for an activity entry
    "second",  # log(1 + its activity's runner-up's score)
    "nb_pick",  # 1 when the card ranker put it among its nb_candidates best
    "example",  # closest staff question filed under the card as a whole string, 0-1
)


def _cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    """`np.concatenate`, also of no parts (a question none of whose words is indexed)."""
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def _closest(query: str, groups: list[tuple[str, ...]]) -> np.ndarray:
    """The best `fuzz.ratio` (0-1) of `query` against each group of strings (0 for an
    empty group): one rapidfuzz call over all of them."""
    strings = list(chain.from_iterable(groups))
    if not strings:
        return np.zeros(len(groups))
    ratios = process.cdist([query], strings, scorer=fuzz.ratio, processor=None, dtype=np.float64)[
        0
    ]
    sizes = np.array([len(g) for g in groups], dtype=np.int64)
    best = np.zeros(len(sizes), dtype=np.float64)
    has = sizes > 0
    if has.any():
        offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        best[has] = np.maximum.reduceat(ratios, offsets[has]) / 100
    return best


@dataclass(frozen=True)
class Weights:
    """Tuned knobs of the matcher (see bench/bench_match.py for how they were chosen)."""

    names: float = 3.0  # term weight of titles and aliases vs. body text
    body: float = 1.0
    k1: float = 1.2
    b: float = 0.5
    candidates: int = 30  # BM25 candidates re-ranked
    unknown: float = 0.6  # idf of a word the knowledge never uses, relative to the rarest
    w_cov_names: float = 0.13  # share of the question explained by title/aliases
    w_cov_body: float = 0.04  # … explained only by steps/indicator text
    w_alias: float = 0.45  # closest alias as a whole string
    w_bm25: float = 0.38  # BM25, saturating at bm25_scale
    bm25_scale: float = 20.0
    evidence_full: float = 3.0  # idf mass from which evidence counts fully
    damp_floor: float = 0.6
    w_second: float = 0.2  # share of an activity's second-best entry added to ranking
    w_class: float = 0.6  # how far the activity classifier can lower an unlikely activity
    class_temperature: float = 1.5  # flattens the classifier's overconfident odds
    class_alpha: float = 0.3  # its additive smoothing
    repeat_discount: float = 0.5  # an activity's second and later entries rank this much lower
    card_alpha: float = 1.0  # the card ranker's smoothing (its overall vocabulary) …
    card_alpha_sharp: float = 0.03  # … and a sharp one (the exact wording a card is asked in)
    nb_candidates: int = 10  # the cards the card ranker likes best join BM25's candidates
    example_top: int = 12  # candidates compared with the staff questions filed under them
    asked_near: float = 0.8  # a filed question this close fits even where few words are known
    asked_answer: float = 0.95  # … and this close, answers directly when the ranking is sure
    # The learnt ranking: one weight per feature of RANK_FEATURES, fitted by a listwise
    # softmax on dev data out of fold (bench/fit_ranker.py prints them). Empty: rank by the
    # weighted lexical score alone (the baseline it is measured against).
    rank: tuple[float, ...] = (
        0.5796, 0.8489, 0.148, 0.0959, 0.1421, 1.081, 0.6584,
        2.932, 0.8138, -0.7042, 3.521, 0.03383, 0.07396, 4.632,
    )  # fmt: skip
    off_topic_odds: float = 1.2  # 'not about work' this many times likelier than any activity
    answer_at: float = 60.0  # weighted score from which the top hit may be answered directly …
    answer_p: float = 0.7  # … when the ranker gives it at least this probability
    suggest_at: float = 40.0  # lexical score from which hits are offered as "did you mean"
    offer_at: float = 25.0  # … when the best weighted score is at least this


@dataclass(frozen=True)
class Hit:
    activity: str
    card: str | None
    score: float


@dataclass(frozen=True)
class Result:
    tier: Tier
    hits: list[Hit] = field(default_factory=list)
    smalltalk: str | None = None  # 'greeting', 'thanks', … when the message is small talk

    def as_dict(self) -> dict[str, object]:
        return {
            "tier": self.tier,
            "hits": [
                {"activity": h.activity, "card": h.card, "score": round(h.score, 1)}
                for h in self.hits
            ],
        }


def _char_class(chars: Iterable[str]) -> str:
    return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"


def _trie(words: Iterable[str]) -> str:
    """A regex matching any of `words`, longest first, written as a trie."""
    root: dict[str, dict] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def walk(node: dict[str, dict]) -> str:
        alts = [re.escape(ch) + walk(child) for ch, child in sorted(node.items()) if ch]
        if "" in node:
            alts.append("")  # a word may end here, after trying the longer ones
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return walk(root)


class _Replacer:
    """Greedy longest-match replacement of whole phrases (English phrases on word bounds).

    One regex scan in C finds the few positions where some phrase could start: where the
    first two characters could begin a Chinese phrase, or at an English word that begins
    one. Only there are the phrases compared. Far faster than one alternation of hundreds
    of phrases (which Python tries branch by branch at every position).
    """

    def __init__(self, mapping: dict[str, str]) -> None:
        self._cjk: dict[str, list[tuple[str, str]]] = {}  # by first two characters
        self._latin: dict[str, list[tuple[str, str]]] = {}  # by first English word
        for src, dst in mapping.items():
            if not src:
                continue
            first = _WORD_RE.match(src)
            if first is not None:
                self._latin.setdefault(first.group(), []).append((src, dst))
            else:
                self._cjk.setdefault(src[:2], []).append((src, dst))
        for options in (*self._cjk.values(), *self._latin.values()):
            options.sort(key=lambda x: -len(x[0]))
        parts = []
        lone = {src for src in self._cjk if len(src) == 1}
        firsts = {src[0] for src in self._cjk if len(src) > 1}
        seconds = {src[1] for src in self._cjk if len(src) > 1}
        if firsts:
            parts.append(f"{_char_class(firsts)}(?={_char_class(seconds)})")
        if lone:
            parts.append(_char_class(lone))
        if self._latin:
            # Only English words that begin some phrase, as a trie: a regex engine walks it
            # letter by letter instead of trying each word in turn.
            parts.append(rf"(?<![a-z0-9])(?P<word>{_trie(self._latin)})(?![a-z0-9])")
        self._heads_re = re.compile("|".join(parts)) if parts else None

    def sub(self, text: str) -> str:
        if self._heads_re is None:
            return text
        out: list[str] = []
        done = 0  # text[:done] is already in `out`
        n = len(text)
        for m in self._heads_re.finditer(text):
            i = m.start()
            if i < done:
                continue
            word = m.group("word") if self._latin else None
            if word is not None:
                options = self._latin.get(word)
                if options is None:
                    continue
            else:
                options = [*self._cjk.get(text[i : i + 2], ()), *self._cjk.get(text[i], ())]
            for src, dst in options:
                end = i + len(src)
                # An English phrase must end where a word ends ("pos" is not in "post").
                if text.startswith(src, i) and not (
                    src[-1].isascii() and end < n and text[end].isascii() and text[end].isalnum()
                ):
                    out.append(text[done:i])
                    out.append(f" {dst} ")
                    done = end
                    break
        out.append(text[done:])
        return "".join(out)


class Normalizer:
    """Folds text and maps synonyms and typos onto one canonical word."""

    def __init__(self, synonyms: Iterable[list[str]], stopwords: Iterable[str]) -> None:
        mapping: dict[str, str] = {}
        for group in synonyms:
            canon = self._base(group[0], to_traditional_bulk)
            for word in group:
                mapping.setdefault(self._base(word, to_traditional_bulk), canon)
        self._synonyms = _Replacer(mapping)
        # Canonical words are kept whole: a stop word inside one (還 in 還原) must not cut it.
        self._canonical = {c for c in mapping.values() if not _LATIN_RE.match(c)}
        stops = [self._base(w, to_traditional_bulk) for w in stopwords]
        self._stop_latin = {w for w in stops if _LATIN_RE.match(w)}
        cjk_stops = [w for w in stops if w and not _LATIN_RE.match(w)]
        # Single-character stop words go in one C-speed translate; phrases need the scan.
        self._stop_chars = {ord(w): " " for w in cjk_stops if len(w) == 1}
        self._stops = _Replacer({w: "" for w in cjk_stops if len(w) > 1})

    @staticmethod
    def _base(text: str, convert: Callable[[str], str] = to_traditional) -> str:
        # At a build, OpenCC (`to_traditional_bulk`); a message, its Python twin.
        return fold(convert(text))

    def normalize(self, text: str) -> str:
        """Folded, Traditional, synonyms replaced by their canonical word."""
        return " ".join(self._synonyms.sub(self._base(text)).split())

    def normalize_many(self, texts: list[str]) -> list[str]:
        """`normalize` for many texts with one OpenCC call (its per-call cost dominates)."""
        flat = [t.replace("\n", " ") for t in texts]
        converted = to_traditional_bulk("\n".join(flat)).split("\n")
        if len(converted) != len(flat):  # never seen; fall back rather than misalign
            return [self.normalize(t) for t in texts]
        # One replacement pass over all texts: phrases never span the line breaks.
        folded = fold_lines("\n".join(converted))
        if len(folded) != len(flat):  # a character that NFKC turns into a line break
            folded = [fold(c) for c in converted]
        replaced = self._synonyms.sub("\n".join(folded)).split("\n")
        return [" ".join(r.split()) for r in replaced]

    def terms(self, normalized: str) -> list[str]:
        """Chinese character bigrams (a lone character stays a unigram) and English words."""
        return self.terms_many([normalized])[0]

    def terms_many(self, texts: list[str]) -> list[list[str]]:
        """`terms` for many texts, with one stop-word pass over all of them."""
        # Canonical words are kept whole; everything else goes through the stop-word scan,
        # all texts at once, separated by line breaks that no stop word spans.
        layouts: list[list[tuple[bool, str]]] = []
        runs: list[str] = []
        for text in texts:
            layout: list[tuple[bool, str]] = []
            run: list[str] = []
            for tok in text.split():
                if tok in self._canonical:
                    if run:
                        layout.append((False, str(len(runs))))
                        runs.append(" ".join(run))
                        run = []
                    layout.append((True, tok))
                else:
                    run.append(tok)
            if run:
                layout.append((False, str(len(runs))))
                runs.append(" ".join(run))
            layouts.append(layout)
        joined = self._stops.sub("\n".join(runs)).translate(self._stop_chars)
        cleaned = joined.split("\n") if runs else []
        return [
            self._split_terms(" ".join(tok if keep else cleaned[int(tok)] for keep, tok in layout))
            for layout in layouts
        ]

    def all_terms(self, normalized: str) -> list[str]:
        """Terms without dropping Chinese stop words: how something is asked ('在嗎', '怎麼')
        tells the classifier as much as what it is about."""
        return self._split_terms(normalized)

    def _split_terms(self, text: str) -> list[str]:
        out: list[str] = []
        for run in _RUN_RE.findall(text):
            if run[0].isascii():
                if run not in self._stop_latin:
                    out.append(_stem(run))
            elif len(run) > 1:
                out.extend(map(add, run, run[1:]))  # character bigrams
            elif len(text.strip()) == 1:
                # A lone character left between stop words ("要不要" → "不") is noise,
                # unless it is the whole question.
                out.append(run)
        return out


def _flat_postings(
    codes: np.ndarray, ids: dict[str, int], docs: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, dict[str, tuple[int, int]]]:
    """Rows (term code, doc, weight) grouped by term: docs, weights and each term's slice;
    `ids` gives each term its code, in order of first appearance."""
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(ids) + 1)).tolist()
    span = {t: (bounds[k], bounds[k + 1]) for t, k in ids.items()}
    return docs[order], weights[order], span


@lru_cache(maxsize=65536)
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
    # An entry's terms are not kept here: the postings hold them (`Matcher._has_term`), and
    # a set per entry cost more than the whole index at 10,000 cards.
    activity: str
    card: str | None
    names: tuple[str, ...]  # normalized titles and aliases
    flat_names: tuple[str, ...]  # the same without spaces, for whole-string comparison
    asked: tuple[str, ...] = ()  # staff questions filed under the card, without spaces


# Entries normalised per batch in `_build`: OpenCC and the phrase scan cost per call, and the
# terms of a batch are interned before the next batch is cut (see there).
_BATCH = 256


class Matcher:
    """An index over one Knowledge, built once; `search` is read-only and thread-safe."""

    def __init__(self, kb: Knowledge, weights: Weights | None = None) -> None:
        self.weights = weights or Weights()
        # The build makes hundreds of thousands of small objects and no reference cycles:
        # the cyclic garbage collector would only walk them again and again (a quarter of
        # the build time).
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._build(kb)
        finally:
            if was_enabled:
                gc.enable()

    def _build(self, kb: Knowledge) -> None:
        w = self.weights
        # Greetings and thanks inside a question ("哈囉 收銀機當機") carry no meaning either.
        chat_words = [
            w
            for ps in kb.smalltalk.values()
            for p in ps
            for w in p.split()
            if len(w) >= 2 or w.isascii()
        ]
        self.norm = Normalizer(kb.synonyms, [*kb.stopwords, *chat_words])
        docs: list[_Doc] = []
        teaching: dict[str, list[Question]] = {}
        for q in kb.questions.values():
            if q.card:
                teaching.setdefault(q.card, []).append(q)
        pending: list[tuple[str, str | None, list[str], list[str]]] = []
        for card in kb.cards.values():
            names = [card.title.zh, card.title.en, *card.aliases.all()]
            body = [s.zh for s in card.steps] + [s.en for s in card.steps]
            if card.escalate:
                body += [card.escalate.zh, card.escalate.en]
            # The quiz scenarios that teach this card describe situations in plain words.
            for q in teaching.get(card.id, []):
                body += [q.question.zh, q.question.en, q.explanation.zh, q.explanation.en]
            pending.append((card.activity, card.id, names, body))
        for act in kb.activities.values():
            names = [act.title.zh, act.title.en]
            body = [i.text.zh for i in act.indicators] + [i.text.en for i in act.indicators]
            pending.append((act.id, None, names, body))
        texts = [[s for s in (*names, *body) if s] for _a, _c, names, body in pending]
        # Postings as they are found, entry by entry: term codes (in order of first
        # appearance), entries and weighted counts, for titles/aliases and for all text; in
        # arrays of machine numbers (a list holds an 8-byte pointer to a 24–32-byte object).
        ids: dict[str, int] = {}
        codes = array("q")
        doc_ids = array("i")
        freqs = array("d")
        name_ids: dict[str, int] = {}
        name_codes = array("q")
        name_docs = array("i")
        lengths_ = array("d")
        df: Counter[str] = Counter()
        # What the classifier learns from: each card title/alias on its own, and everything
        # an activity says of itself (titles and indicators), labelled with the activity.
        samples: list[tuple[str, list[str]]] = []
        card_samples: list[tuple[str, list[str]]] = []  # the card ranker's: titles, aliases
        # Entries are normalised and indexed a batch at a time, keeping one string per
        # distinct term: a term is a new string each time it is cut out of a text, and all
        # texts' terms at once were most of the build's peak (~1.5 GB at 10,000 cards).
        canon: dict[str, str] = {}
        for start in range(0, len(pending), _BATCH):
            groups = texts[start : start + _BATCH]
            flat = self.norm.normalize_many([t for g in groups for t in g])
            flat_terms = [
                [canon.setdefault(t, t) for t in terms] for terms in self.norm.terms_many(flat)
            ]
            pos = 0
            for (activity, card_id, names, _body), group in zip(
                pending[start : start + _BATCH], groups, strict=True
            ):
                n_names = sum(1 for s in names if s)
                idx = len(docs)
                tf = self._add(
                    docs,
                    activity,
                    card_id,
                    flat[pos : pos + n_names],
                    flat_terms[pos : pos + n_names],
                    flat_terms[pos + n_names : pos + len(group)],
                )
                lengths_.append(sum(tf.values()))
                df.update(tf.keys())
                codes.extend(ids.setdefault(t, len(ids)) for t in tf)
                doc_ids.extend([idx] * len(tf))
                freqs.extend(tf.values())
                in_names = dict.fromkeys(t for ts in flat_terms[pos : pos + n_names] for t in ts)
                name_codes.extend(name_ids.setdefault(t, len(name_ids)) for t in in_names)
                name_docs.extend([idx] * len(in_names))
                own = [
                    [canon.setdefault(t, t) for t in self.norm.all_terms(text)]
                    for text in flat[pos : pos + (len(group) if card_id is None else n_names)]
                ]
                samples.extend((activity, terms) for terms in own)
                if card_id is not None:
                    card_samples.extend((card_id, terms) for terms in own)
                pos += len(group)
        del texts, pending
        self.docs = docs
        # Each entry's activity as a small int and whether it is a card: a question's
        # candidates are ranked as arrays (`search`), not entry by entry.
        act_codes = {a: k for k, a in enumerate(dict.fromkeys(d.activity for d in docs))}
        self._act_codes = act_codes
        self._doc_act = np.array([act_codes[d.activity] for d in docs], dtype=np.int64)
        self._doc_is_card = np.array([d.card is not None for d in docs], dtype=bool)
        n = len(docs)
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        # Unknown terms carry as much information as the rarest known one: a question full
        # of words the knowledge never uses is most likely off-topic.
        self.unknown_idf = math.log(1 + (n + 0.5) / 0.5) if n else 1.0
        lengths = np.array(lengths_, dtype=np.float64)
        avg = float(lengths.mean()) if n else 1.0
        # Postings in one flat array per kind, term by term (a term's entries are a slice):
        # thousands of small arrays would cost more to build than the whole rest.
        code_arr = np.array(codes, dtype=np.int64)
        doc_arr = np.array(doc_ids, dtype=np.int32)
        freq_arr = np.array(freqs, dtype=np.float64)
        del codes, doc_ids, freqs
        idf_of_code = np.array([self.idf[t] for t in ids], dtype=np.float64)
        idfs = idf_of_code[code_arr] if len(code_arr) else np.zeros(0, dtype=np.float64)
        # BM25's length normalisation per entry, kept for aliases learned later.
        self._doc_norm = w.k1 * (1 - w.b + w.b * lengths / avg) if n else lengths
        bm25_norm = self._doc_norm[doc_arr] if n else freq_arr
        weights_ = idfs * freq_arr * (w.k1 + 1) / (freq_arr + bm25_norm)
        self._post_docs, self._post_w, self._post_span = _flat_postings(
            code_arr, ids, doc_arr, weights_
        )
        del code_arr, doc_arr, freq_arr, idfs, bm25_norm, weights_
        self._name_docs, _unused, self._name_span = _flat_postings(
            np.array(name_codes, dtype=np.int64),
            name_ids,
            np.array(name_docs, dtype=np.int32),
            np.zeros(len(name_docs), dtype=np.float64),
        )
        self._card_doc = {d.card: i for i, d in enumerate(docs) if d.card is not None}
        # Aliases learned after the build (`with_alias`): term -> (entry, BM25 weight, idf
        # added to the entry's evidence, whether the term is new to its titles/aliases).
        self._learned: dict[str, tuple[tuple[int, float, float, bool], ...]] = {}
        self._smalltalk = {
            fold_key(p): kind for kind, phrases in kb.smalltalk.items() for p in phrases
        }
        self._smalltalk_len = max((len(p) for p in self._smalltalk), default=0)
        # Known English words by first letter: a typo rarely changes the first letter, and
        # comparing against 1/26 of the vocabulary keeps English questions fast.
        self._vocab_latin: dict[str, list[str]] = {}
        for t in sorted(self.idf):
            if t.isascii() and len(t) >= 3:
                self._vocab_latin.setdefault(t[0], []).append(t)
        # Chinese words of titles and aliases by how they sound, for 注音 typing slips; of
        # two words that sound alike, the more common one.
        self._by_sound: dict[tuple[str | None, str | None], str] = {}
        for t in sorted(self._name_span, key=lambda t: (-df[t], t)):
            if len(t) == 2 and not t.isascii():
                self._by_sound.setdefault((sound_key(t[0]), sound_key(t[1])), t)
        # Staff's example questions, read like a question (typos corrected the same way):
        # by activity, and by card (which also teach the card's activity, unless the same
        # question is already filed under it).
        by_card = [(c, p) for c, ps in kb.card_examples.items() if c in kb.cards for p in ps]
        # Wordings teach the card ranker only.
        n_examples = len(by_card)
        by_card += [(c, p) for c, ps in kb.card_wordings.items() if c in kb.cards for p in ps]
        labels = [a for a, phrases in kb.examples.items() for _ in phrases]
        phrases = [p for ps in kb.examples.values() for p in ps]
        phrases += [p for _c, p in by_card]
        normalized = self.norm.normalize_many(phrases)
        read = [
            self._class_terms(text, {t: self._correct(t) for t in lexical})
            for text, lexical in zip(normalized, self.norm.terms_many(normalized), strict=True)
        ]
        samples.extend(zip(labels, read[: len(labels)], strict=True))
        # Staff questions filed under each card, as whole strings (the ranker's `example`
        # feature): a question worded like one filed goes to its card.
        asked_by_doc: dict[int, list[str]] = {}
        for (card_id, _phrase), text in zip(
            by_card[:n_examples], normalized[len(labels) : len(labels) + n_examples], strict=True
        ):
            asked_by_doc.setdefault(self._card_doc[card_id], []).append(text.replace(" ", ""))
        for i, asked in asked_by_doc.items():
            docs[i] = replace(docs[i], asked=tuple(asked))
        del asked_by_doc
        keys = fold_keys(phrases)  # one OpenCC call for all: a call per phrase cost 0.1 s
        filed = set(zip(labels, keys[: len(labels)], strict=True))
        for n, ((card_id, _phrase), terms, key) in enumerate(
            zip(by_card, read[len(labels) :], keys[len(labels) :], strict=True)
        ):
            card_samples.append((card_id, terms))
            activity = kb.cards[card_id].activity
            if n < n_examples and (activity, key) not in filed:
                samples.append((activity, terms))
        del canon
        # The index's temporaries are gone; their pages go back before the classifiers add
        # their own peak (at 10,000 cards: ~100 MB less resident, the build's peak 0.53 →
        # 0.45 GB).
        heap.trim()
        self.classifier = ActivityClassifier(samples, alpha=w.class_alpha)
        self.card_ranker = CardRanker(card_samples, alpha=w.card_alpha)
        # Card ranker code <-> entry index, both ways (-1: none).
        ranker_ids = self.card_ranker.card_ids
        self._rank_doc = np.array([self._card_doc.get(c, -1) for c in ranker_ids], dtype=np.int64)
        self._doc_rank = np.full(len(docs), -1, dtype=np.int64)
        self._doc_rank[self._rank_doc[self._rank_doc >= 0]] = np.flatnonzero(self._rank_doc >= 0)

    def with_alias(self, card_id: str, text: str) -> Matcher:
        """A matcher that also knows `text` as a way of asking for `card_id` (an alias a
        supervisor attached to an unanswered question), built in milliseconds; this one is
        unchanged and keeps serving.

        The alias joins the card's titles and aliases (whole-string match), its terms get
        postings of their own (BM25 as if the card's length were unchanged), and both
        classifiers learn it as one more phrase for the card and its activity. A full
        rebuild (`Matcher(kb)` with the alias in the knowledge) ranks the same way up to
        that length approximation.
        """
        idx = self._card_doc.get(card_id)
        if idx is None:
            raise KeyError(f"unknown card {card_id!r}")
        w = self.weights
        normalized = self.norm.normalize(text[:1000])
        lexical = self.norm.terms(normalized)
        fixes = {t: self._correct(t) for t in lexical}
        terms = list(dict.fromkeys(fixes[t] for t in lexical))
        if not normalized:
            return self
        new = copy.copy(self)
        doc = self.docs[idx]
        new.docs = list(self.docs)
        new.docs[idx] = _Doc(
            doc.activity,
            doc.card,
            (*doc.names, normalized),
            (*doc.flat_names, normalized.replace(" ", "")),
            doc.asked,
        )
        fresh = [t for t in terms if t not in self.idf]
        if fresh:
            # A word the knowledge never used: as rare as a word in one entry.
            n = len(self.docs)
            new.idf = {**self.idf, **dict.fromkeys(fresh, math.log(1 + (n - 0.5) / 1.5))}
        learned = dict(self._learned)
        for t in terms:
            tf = w.names
            bm25_w = new.idf[t] * tf * (w.k1 + 1) / (tf + float(self._doc_norm[idx]))
            entry = (
                idx,
                bm25_w,
                0.0 if self._has_term(idx, t) else new.idf[t],
                not self._has_term(idx, t, names=True),
            )
            learned[t] = (*learned.get(t, ()), entry)
        new._learned = learned
        class_terms = self._class_terms(normalized, fixes)
        new.card_ranker = self.card_ranker.with_sample(card_id, class_terms)
        new.classifier = self.classifier.with_sample(doc.activity, class_terms)
        return new

    def _has_term(self, idx: int, term: str, *, names: bool = False) -> bool:
        """Whether entry `idx` has `term` (in its titles and aliases, with `names`), by its
        postings and the aliases learned since the build (whose terms count as both)."""
        if any(entry[0] == idx for entry in self._learned.get(term, ())):
            return True
        docs, span = (
            (self._name_docs, self._name_span) if names else (self._post_docs, self._post_span)
        )
        a, b = span.get(term, (0, 0))
        return bool((docs[a:b] == idx).any())

    def _add(
        self,
        docs: list[_Doc],
        activity: str,
        card: str | None,
        names: list[str],
        names_terms: list[list[str]],
        body_terms_each: list[list[str]],
    ) -> dict[str, float]:
        """Index one entry from its normalised titles/aliases and the terms of its texts."""
        w = self.weights
        names_n = tuple(names)
        name_terms = [t for ts in names_terms for t in ts]
        body_terms = [t for ts in body_terms_each for t in ts]
        docs.append(_Doc(activity, card, names_n, tuple(n.replace(" ", "") for n in names_n)))
        tf: defaultdict[str, float] = defaultdict(float)  # weighted term counts
        for t in name_terms:
            tf[t] += w.names
        for t in body_terms:
            tf[t] += w.body
        return tf

    def _correct(self, term: str) -> str:
        """Map an unknown word to the known one it is most likely a typo of.

        English: the closest known word by edit distance ('recipt' → 'receipt'). Chinese:
        a title/alias word that sounds the same and shares one of the two characters
        (會原 → 會員, 卡指 → 卡紙), which is what a 注音 slip looks like.
        """
        if term in self.idf:
            return term
        if len(term) == 2 and not term.isascii():
            key = (sound_key(term[0]), sound_key(term[1]))
            known = self._by_sound.get(key) if None not in key else None
            return known if known and (known[0] == term[0] or known[1] == term[1]) else term
        if not term.isascii() or len(term) < 4 or term.isdigit():
            return term
        best = process.extractOne(
            term,
            self._vocab_latin.get(term[0], []),
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=80,
        )
        return best[0] if best else term

    def _class_terms(self, normalized: str, fixes: dict[str, str]) -> list[str]:
        """What the classifier reads: every term, the content words' typos corrected."""
        return [fixes.get(t, t) for t in self.norm.all_terms(normalized)]

    def _signals(
        self, text: str
    ) -> tuple[list[str], np.ndarray, dict[str, np.ndarray], str] | None:
        """The classifier's terms, candidate entry indexes, their raw signals as arrays, and
        the question folded for whole-string comparison."""
        w = self.weights
        normalized = self.norm.normalize(text[:1000])
        lexical = self.norm.terms(normalized)
        # Each content word's typo fix, looked up once for the index and the classifier.
        fixes = {t: self._correct(t) for t in lexical}
        q_terms = list(dict.fromkeys(fixes[t] for t in lexical))
        if not q_terms:
            return None
        n = len(self.docs)
        unknown = self.unknown_idf * w.unknown
        total = sum(self.idf.get(t, unknown) for t in q_terms)
        # Every posting of every known term at once: three bincounts instead of a numpy
        # call per term and signal.
        known = [t for t in q_terms if t in self._post_span or t in self._learned]
        spans = [self._post_span.get(t, (0, 0)) for t in known]
        id_parts = [self._post_docs[a:b] for a, b in spans]
        w_parts = [self._post_w[a:b] for a, b in spans]
        known_idf = np.array([self.idf[t] for t in known])
        # Each posting weighted by its term's idf: one repeat, not an array per term.
        idf_parts = [np.repeat(known_idf, [b - a for a, b in spans])]
        name_spans = [self._name_span.get(t, (0, 0)) for t in known]
        named = [
            (
                _cat([self._name_docs[a:b] for a, b in name_spans], np.int32),
                np.repeat(known_idf, [b - a for a, b in name_spans]),
            )
        ]
        for t in known:
            # Learned aliases (`with_alias`) come as postings of their own.
            for doc, bm25_w, all_w, new_name in self._learned.get(t, ()):
                id_parts.append(np.array([doc], dtype=np.int32))
                w_parts.append(np.array([bm25_w]))
                idf_parts.append(np.array([all_w]))
                if new_name:
                    named.append((np.array([doc], dtype=np.int32), np.array([self.idf[t]])))
        ids = _cat(id_parts, np.int32)
        bm25 = np.bincount(ids, weights=_cat(w_parts, np.float64), minlength=n)
        in_all = np.bincount(ids, weights=np.concatenate(idf_parts), minlength=n)
        in_names = np.bincount(
            np.concatenate([d for d, _i in named]),
            weights=np.concatenate([i for _d, i in named]),
            minlength=n,
        )
        n_cand = min(w.candidates, int(np.count_nonzero(bm25)))
        # No word of the knowledge's texts: the card ranker's picks may still be candidates
        # (a question worded like one filed under a card, in words no card text uses).
        cand = np.argpartition(-bm25, n_cand - 1)[:n_cand] if n_cand else np.zeros(0, np.int64)
        class_terms = self._class_terms(normalized, fixes)
        docs = self.docs
        # The card ranker over every card: the cards staff word most like this question join
        # the candidates even when their own text shares no word with it.
        alphas = (w.card_alpha, w.card_alpha_sharp)
        ll_all = self.card_ranker.log_likelihood(class_terms, None, alphas)
        picked = np.zeros(0, dtype=np.int64)
        if ll_all is not None and w.nb_candidates:
            k = min(w.nb_candidates, ll_all.shape[1])
            picked = self._rank_doc[np.argpartition(-ll_all[0], k - 1)[:k]]
            picked = picked[picked >= 0]
            in_cand = np.zeros(len(docs), dtype=bool)
            in_cand[cand] = True
            cand = np.concatenate((cand, picked[~in_cand[picked]]))
        if not len(cand):
            return None
        # Closest title/alias per candidate: one rapidfuzz call over all their names.
        cand_docs = [docs[i] for i in cand.tolist()]
        q_flat = normalized.replace(" ", "")
        alias = _closest(q_flat, [d.flat_names for d in cand_docs])
        is_picked = np.zeros(len(docs), dtype=np.float64)
        is_picked[picked] = 1.0
        nb_pick = is_picked[cand]
        # Each candidate card's log-likelihood under both smoothings, relative to the best
        # candidate card; an activity entry gets the floor (the ranker has no row for it).
        card_nb = np.full((2, len(cand)), _LL_FLOOR)
        codes = self._doc_rank[cand]
        is_ranked = codes >= 0
        if ll_all is not None and is_ranked.any():
            rows = ll_all[:, codes[is_ranked]]
            card_nb[:, is_ranked] = np.maximum(rows - rows.max(axis=1, keepdims=True), _LL_FLOOR)
        return (
            class_terms,
            cand,
            {
                "cov_names": in_names[cand] / total,
                "cov_body": (in_all[cand] - in_names[cand]) / total,
                "alias": alias,
                "bm25": bm25[cand],
                "evidence": in_all[cand],
                "card_nb": card_nb[0],
                "card_nb_sharp": card_nb[1],
                "nb_pick": nb_pick,
            },
            q_flat,
        )

    def _scores(self, sig: dict[str, np.ndarray]) -> np.ndarray:
        """Scores 0-100 for arrays of signals (the formula of `score`)."""
        w = self.weights
        raw = (
            w.w_cov_names * sig["cov_names"]
            + w.w_cov_body * sig["cov_body"]
            + w.w_alias * sig["alias"]
            + w.w_bm25 * np.minimum(1.0, sig["bm25"] / w.bm25_scale)
        )
        # Little absolute evidence (one common word) cannot make a confident match, unless
        # everything the question says is in the entry's title and aliases.
        damp = np.where(
            sig["cov_names"] >= 0.999, 1.0, np.minimum(1.0, sig["evidence"] / w.evidence_full)
        )
        return np.minimum(100.0, 100 * raw * (w.damp_floor + (1 - w.damp_floor) * damp))

    def small_talk(self, text: str) -> str | None:
        """The kind of small talk when the whole message is made of small-talk phrases."""
        joined = fold(to_traditional(text[:100])).replace(" ", "")
        if not joined:
            return None
        # kinds[i]: the kind of the first phrase of a segmentation of joined[:i], if any.
        kinds: list[str | None] = [None] * (len(joined) + 1)
        reach = [False] * (len(joined) + 1)
        reach[0] = True
        for i in range(len(joined)):
            if not reach[i]:
                continue
            if joined[i] in _PARTICLES and i > 0:  # 好啦, 謝謝喔
                reach[i + 1] = True
                kinds[i + 1] = kinds[i + 1] or kinds[i]
            for j in range(i + 1, min(len(joined), i + self._smalltalk_len) + 1):
                kind = self._smalltalk.get(joined[i:j])
                if kind is not None:
                    reach[j] = True
                    kinds[j] = kinds[j] or kinds[i] or kind
        return kinds[-1] if reach[-1] else None

    def search(self, text: str, k: int = 5) -> Result:
        """Ranked hits for a question, with the confidence tier of the best one."""
        kind = self.small_talk(text)
        if kind is not None:
            return Result("offtopic", smalltalk=kind)
        ranked = self._ranked(text)
        if ranked is None:
            # No word the cards use ("勞保要怎麼查"): still no work question when it reads
            # likelier as one of the `none` examples than as any activity.
            return Result("offtopic" if self._reads_off_topic(text) else "none")
        docs = self.docs
        w = self.weights
        cand, s, weighted, asked, best_lexical, off, off_topic = ranked
        # The ranker's probability of each candidate (a softmax over its scores).
        p = np.exp(s - s.max())
        p /= p.sum()
        # Best first; equal scores keep the candidates' order (deterministic for a question).
        order = np.argsort(-s, kind="stable").tolist()
        # An activity's further entries rank a little lower than its best one: "did you mean"
        # choices from different activities cover more of what the question could mean.
        kept: list[tuple[float, _Doc]] = []
        seen_acts: set[str] = set()
        seen_acts_with_card: set[str] = set()
        cand_l, p_l = cand.tolist(), p.tolist()
        for i in order:
            doc, score = docs[cand_l[i]], p_l[i]
            # An activity stands in for its cards only when none of them ranked above it.
            if doc.card is None and doc.activity in seen_acts_with_card:
                continue
            if doc.card is not None:
                seen_acts_with_card.add(doc.activity)
            if doc.activity in seen_acts:
                score *= 1 - w.repeat_discount
            seen_acts.add(doc.activity)
            kept.append((score, doc))
        kept.sort(key=lambda x: -x[0])  # stable: ties keep the order above
        hits = [Hit(d.activity, d.card, round(100 * sc, 2)) for sc, d in kept[:k]]
        top = order[0]
        if off_topic:
            tier: Tier = "offtopic"
        elif (best_lexical < w.suggest_at or float(weighted.max()) < w.offer_at) and asked[
            top
        ] < w.asked_near:
            # Nothing fits; no work question at all when it reads more like chatter.
            tier = "offtopic" if off >= 1.0 else "none"
        elif p[top] >= w.answer_p and (
            weighted[top] >= w.answer_at or asked[top] >= w.asked_answer
        ):
            tier = "answer"
        else:
            tier = "suggest"
        return Result(tier, hits)

    def _ranked(
        self, text: str
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, float, bool] | None:
        """A question's candidate entries and what ranks them: the learnt score of each, the
        weighted lexical score (how well its words fit), the closest filed staff question,
        the best lexical score, how likely the message is no work question, and whether it
        reads as one; None when no word of it is known."""
        found = self._features(text)
        if found is None:
            return None
        cand, feats, weighted, best_lexical, off, off_topic = found
        w = self.weights
        s = feats @ np.asarray(w.rank) if w.rank else np.log(weighted + 1e-9)
        return cand, s, weighted, feats[:, -1], best_lexical, off, off_topic

    def _features(
        self, text: str
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float, bool] | None:
        """Each candidate's RANK_FEATURES (one row per candidate) and the weighted lexical
        scores, the best lexical score and the off-topic reading (see `_ranked`)."""
        found = self._signals(text)
        if found is None:
            return None
        class_terms, cand, sig, q_flat = found
        w = self.weights
        scores = self._scores(sig)
        # An activity several of whose entries fit the question is a safer bet than one with
        # a single lucky entry: each entry's score plus a share of the runner-up's score
        # within the same activity.
        acts = self._doc_act[cand]
        order = np.lexsort((-scores, acts))  # by activity, best first within each
        by_act, by_score = acts[order], scores[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = by_act[1:] != by_act[:-1]
        heads = np.flatnonzero(first)
        nxt = np.minimum(heads + 1, len(order) - 1)
        second_of = np.where(
            (heads + 1 < len(order)) & (by_act[nxt] == by_act[heads]), by_score[nxt], 0.0
        )
        second = np.empty(len(order))
        second[order] = second_of[np.cumsum(first) - 1]
        lexical = np.minimum(100.0, scores + w.w_second * second)
        # The classifier's log-likelihood of each activity relative to the likeliest.
        log_rel = self.classifier.log_relative(class_terms) if w.w_class else {}
        off_ll = log_rel.pop(OFF_TOPIC, None)
        off = math.exp(off_ll) if off_ll is not None else 0.0
        # Chatter that happens to use shop words ("今天好多客人喔"): when the classifier finds
        # it far likelier to be no work question at all than any activity, say so.
        best_act = max(log_rel.values(), default=-math.inf) / w.class_temperature
        off_topic = off >= 1.0 and math.exp(best_act) * w.off_topic_odds <= 1.0
        act_ll = (
            np.zeros(len(self._act_codes))
            if not log_rel
            else np.full(len(self._act_codes), _LL_FLOOR)
        )
        for a, r in log_rel.items():
            code = self._act_codes.get(a)
            if code is not None:
                act_ll[code] = max(r, _LL_FLOOR)
        cand_act_ll = act_ll[acts]
        # The classifier can only lower an entry whose activity is unlikely for this wording.
        keep = 1 - w.w_class + w.w_class * np.exp(cand_act_ll / w.class_temperature)
        weighted = lexical * keep if log_rel else lexical
        feats = np.column_stack(
            (
                np.log1p(scores),
                np.log1p(lexical),
                sig["card_nb"],
                sig["card_nb_sharp"],
                cand_act_ll,
                sig["cov_names"],
                sig["cov_body"],
                sig["alias"],
                np.minimum(1.0, sig["bm25"] / w.bm25_scale),
                np.minimum(1.0, sig["evidence"] / w.evidence_full),
                self._doc_is_card[cand].astype(np.float64),
                np.log1p(second),
                sig["nb_pick"],
                np.zeros(len(cand)),
            )
        )
        # The closest staff question filed under a card, for the candidates the other
        # features rank best (comparing a question with every filed one of 40 candidates
        # was a quarter of the matcher's time; a card ranked lower does not come back).
        top = (
            np.argsort(-(feats[:, :-1] @ np.asarray(w.rank[:-1])))[: w.example_top]
            if w.rank
            else np.arange(0)
        )
        docs = self.docs
        feats[top, -1] = _closest(q_flat, [docs[k].asked for k in cand[top].tolist()])
        return cand, feats, weighted, float(lexical.max()), off, off_topic

    def rank_features(self, text: str) -> tuple[list[tuple[str, str | None]], np.ndarray] | None:
        """Each candidate's (activity, card) and its RANK_FEATURES row: what
        bench/fit_ranker.py fits `Weights.rank` on."""
        found = self._features(text)
        if found is None:
            return None
        cand, feats = found[0], found[1]
        return [(self.docs[i].activity, self.docs[i].card) for i in cand.tolist()], feats

    def _reads_off_topic(self, text: str) -> bool:
        """Whether the classifier finds the message likeliest to be no work question."""
        if not self.weights.w_class:
            return False
        normalized = self.norm.normalize(text[:1000])
        fixes = {t: self._correct(t) for t in self.norm.terms(normalized)}
        rel = self.classifier.relative(
            self._class_terms(normalized, fixes), self.weights.class_temperature
        )
        return rel.get(OFF_TOPIC, 0.0) >= 1.0
