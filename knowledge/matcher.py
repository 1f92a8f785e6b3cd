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

from knowledge.models import Knowledge, Question
from knowledge.normalize import fold, to_traditional

Tier = Literal["answer", "suggest", "none"]

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff"
_RUN_RE = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
_LATIN_RE = re.compile(r"^[a-z0-9 ]+$")
_PARTICLES = "啦喔呀唷囉哦耶啊欸呢吧~～"


@dataclass(frozen=True)
class Weights:
    """Tuned knobs of the matcher (see bench/bench_match.py for how they were chosen)."""

    names: float = 3.0  # term weight of titles and aliases vs. body text
    body: float = 1.0
    k1: float = 1.2
    b: float = 0.5
    candidates: int = 40  # BM25 candidates re-ranked
    unknown: float = 0.6  # idf of a word the knowledge never uses, relative to the rarest
    w_cov_names: float = 0.13  # share of the question explained by title/aliases
    w_cov_body: float = 0.04  # … explained only by steps/indicator text
    w_alias: float = 0.45  # closest alias as a whole string
    w_bm25: float = 0.38  # BM25, saturating at bm25_scale
    bm25_scale: float = 20.0
    evidence_full: float = 3.0  # idf mass from which evidence counts fully
    damp_floor: float = 0.6
    w_second: float = 0.2  # share of an activity's second-best entry added to ranking
    answer_at: float = 50.0  # score from which the top hit is answered directly
    answer_margin: float = 6.0  # … when it leads the best other activity by this much
    suggest_at: float = 40.0  # score from which hits are offered as "did you mean"


@dataclass(frozen=True)
class Features:
    cov_names: float  # share of the question's information found in titles/aliases
    cov_body: float  # … found only in steps or indicator texts
    alias: float  # closest title/alias as a whole string (rapidfuzz ratio), 0-1
    bm25: float  # raw BM25 of the entry
    evidence: float  # idf mass of the question's terms the entry contains


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


class _Replacer:
    """Greedy longest-match replacement of whole phrases (English phrases on word bounds).

    One character-class regex finds the positions where some phrase could start; only
    there are the phrases compared. Far faster than one alternation of hundreds of phrases
    (which Python tries branch by branch at every position) or a loop over every character.
    """

    def __init__(self, mapping: dict[str, str]) -> None:
        self._by_head: dict[str, list[tuple[str, str]]] = {}
        for src, dst in mapping.items():
            if src:
                self._by_head.setdefault(src[:2], []).append((src, dst))
        for options in self._by_head.values():
            options.sort(key=lambda x: -len(x[0]))
        # Positions worth a look: a CJK character some phrase starts with, or the start of
        # an English word. One character-class scan in C finds them.
        cjk = sorted({src[0] for src in mapping if src and not src[0].isascii()})
        parts = [f"[{''.join(map(re.escape, cjk))}]"] if cjk else []
        if any(src and src[0].isascii() for src in mapping):
            parts.append(r"(?<![a-z0-9])[a-z0-9]")
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
            latin = text[i].isascii() and text[i].isalnum()
            if latin and i > 0 and text[i - 1].isascii() and text[i - 1].isalnum():
                continue
            options = [*self._by_head.get(text[i : i + 2], ()), *self._by_head.get(text[i], ())]
            for src, dst in options:
                end = i + len(src)
                if text.startswith(src, i) and not (
                    latin and end < n and text[end].isascii() and text[end].isalnum()
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
            canon = self._base(group[0])
            for word in group:
                mapping.setdefault(self._base(word), canon)
        self._synonyms = _Replacer(mapping)
        # Canonical words are kept whole: a stop word inside one (還 in 還原) must not cut it.
        self._canonical = {c for c in mapping.values() if not _LATIN_RE.match(c)}
        stops = [self._base(w) for w in stopwords]
        self._stop_latin = {w for w in stops if _LATIN_RE.match(w)}
        cjk_stops = [w for w in stops if w and not _LATIN_RE.match(w)]
        # Single-character stop words go in one C-speed translate; phrases need the scan.
        self._stop_chars = {ord(w): " " for w in cjk_stops if len(w) == 1}
        self._stops = _Replacer({w: "" for w in cjk_stops if len(w) > 1})

    @staticmethod
    def _base(text: str) -> str:
        return fold(to_traditional(text))

    def normalize(self, text: str) -> str:
        """Folded, Traditional, synonyms replaced by their canonical word."""
        return " ".join(self._synonyms.sub(self._base(text)).split())

    def normalize_many(self, texts: list[str]) -> list[str]:
        """`normalize` for many texts with one OpenCC call (its per-call cost dominates)."""
        flat = [t.replace("\n", " ") for t in texts]
        converted = to_traditional("\n".join(flat)).split("\n")
        if len(converted) != len(flat):  # never seen; fall back rather than misalign
            return [self.normalize(t) for t in texts]
        # One replacement pass over all texts: phrases never span the line breaks.
        replaced = self._synonyms.sub("\n".join(fold(c) for c in converted)).split("\n")
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

    def _split_terms(self, text: str) -> list[str]:
        out: list[str] = []
        for run in _RUN_RE.findall(text):
            if run[0].isascii():
                if run not in self._stop_latin:
                    out.append(_stem(run))
            elif len(run) == 1:
                # A lone character left between stop words ("要不要" → "不") is noise,
                # unless it is the whole question.
                if len(text.strip()) == 1:
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
    names: tuple[str, ...]  # normalized titles and aliases
    flat_names: tuple[str, ...]  # the same without spaces, for whole-string comparison
    name_terms: frozenset[str]
    all_terms: frozenset[str]


class Matcher:
    """An index over one Knowledge, built once; `search` is read-only and thread-safe."""

    def __init__(self, kb: Knowledge, weights: Weights | None = None) -> None:
        self.weights = w = weights or Weights()
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
        tfs: list[Counter[str]] = []
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
        # Normalise every text in one batch: OpenCC and the phrase scan cost per call.
        texts = [[s for s in (*names, *body) if s] for _a, _c, names, body in pending]
        flat = self.norm.normalize_many([t for group in texts for t in group])
        pos = 0
        for (activity, card_id, names, _body), group in zip(pending, texts, strict=True):
            n_names = sum(1 for s in names if s)
            tfs.append(
                self._add(
                    docs,
                    activity,
                    card_id,
                    flat[pos : pos + n_names],
                    flat[pos + n_names : pos + len(group)],
                )
            )
            pos += len(group)
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
        name_ids: dict[str, list[int]] = {}
        for i, d in enumerate(docs):
            for term in d.name_terms:
                name_ids.setdefault(term, []).append(i)
        self._name_ids = {t: np.array(v, dtype=np.int32) for t, v in name_ids.items()}
        # All titles/aliases in one list, doc by doc, for one rapidfuzz call per question.
        self._flat_names: list[str] = [nm for d in docs for nm in d.flat_names]
        self._name_start = np.cumsum([0] + [len(d.flat_names) for d in docs]).astype(np.int64)
        self._smalltalk = {
            fold(to_traditional(p)).replace(" ", ""): kind
            for kind, phrases in kb.smalltalk.items()
            for p in phrases
        }
        self._smalltalk_len = max((len(p) for p in self._smalltalk), default=0)
        # Known English words by first letter: a typo rarely changes the first letter, and
        # comparing against 1/26 of the vocabulary keeps English questions fast.
        self._vocab_latin: dict[str, list[str]] = {}
        for t in sorted(self.idf):
            if t.isascii() and len(t) >= 3:
                self._vocab_latin.setdefault(t[0], []).append(t)

    def _add(
        self, docs: list[_Doc], activity: str, card: str | None, names: list[str], body: list[str]
    ) -> Counter[str]:
        """Index one entry from its already normalised titles/aliases and body texts."""
        w = self.weights
        names_n = tuple(names)
        all_terms = self.norm.terms_many([*names_n, *body])
        name_terms = [t for ts in all_terms[: len(names_n)] for t in ts]
        body_terms = [t for ts in all_terms[len(names_n) :] for t in ts]
        docs.append(
            _Doc(
                activity,
                card,
                names_n,
                tuple(n.replace(" ", "") for n in names_n),
                frozenset(name_terms),
                frozenset(name_terms) | frozenset(body_terms),
            )
        )
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
        best = process.extractOne(
            term,
            self._vocab_latin.get(term[0], []),
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=80,
        )
        return best[0] if best else term

    def _signals(self, text: str) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
        """Candidate entry indexes and their raw signals, as arrays (one pass, no loops)."""
        w = self.weights
        normalized = self.norm.normalize(text[:1000])
        q_terms = list(dict.fromkeys(self._correct(t) for t in self.norm.terms(normalized)))
        if not q_terms:
            return None
        n = len(self.docs)
        bm25 = np.zeros(n, dtype=np.float64)
        in_names = np.zeros(n, dtype=np.float64)
        in_all = np.zeros(n, dtype=np.float64)
        total = 0.0
        for term in q_terms:
            idf = self.idf.get(term, self.unknown_idf * w.unknown)
            total += idf
            post = self._postings.get(term)
            if post is not None:
                bm25[post[0]] += post[1]
                in_all[post[0]] += idf
                names = self._name_ids.get(term)
                if names is not None:
                    in_names[names] += idf
        n_cand = min(w.candidates, int(np.count_nonzero(bm25)))
        if n_cand == 0:
            return None
        cand = np.argpartition(-bm25, n_cand - 1)[:n_cand]
        # Closest title/alias per candidate: one rapidfuzz call over all their names.
        starts, ends = self._name_start[cand], self._name_start[cand + 1]
        flat = self._flat_names
        names_list = [
            nm for a, b in zip(starts.tolist(), ends.tolist(), strict=True) for nm in flat[a:b]
        ]
        q_flat = normalized.replace(" ", "")
        ratios = (
            process.cdist(
                [q_flat], names_list, scorer=fuzz.ratio, processor=None, dtype=np.float64
            )[0]
            if names_list
            else np.zeros(0)
        )
        lengths = (ends - starts).astype(np.int64)
        offsets = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
        alias = np.zeros(len(cand), dtype=np.float64)
        has = lengths > 0
        if has.any():
            alias[has] = np.maximum.reduceat(ratios, offsets[has]) / 100
        return cand, {
            "cov_names": in_names[cand] / total,
            "cov_body": (in_all[cand] - in_names[cand]) / total,
            "alias": alias,
            "bm25": bm25[cand],
            "evidence": in_all[cand],
        }

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

    def features(self, text: str) -> list[tuple[int, Features]]:
        """Candidate entries for a question with the raw signals the score is made of."""
        found = self._signals(text)
        if found is None:
            return []
        cand, sig = found
        return [
            (
                int(i),
                Features(
                    *(
                        float(sig[k][j])
                        for k in ("cov_names", "cov_body", "alias", "bm25", "evidence")
                    )
                ),
            )
            for j, i in enumerate(cand)
        ]

    def score(self, f: Features) -> float:
        """One candidate's score, 0-100."""
        sig = {
            k: np.array([getattr(f, k)])
            for k in ("cov_names", "cov_body", "alias", "bm25", "evidence")
        }
        return float(self._scores(sig)[0])

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
            return Result("none", smalltalk=kind)
        found = self._signals(text)
        if found is None:
            return Result("none")
        cand, sig = found
        scored = [
            (float(sc), self.docs[int(i)]) for i, sc in zip(cand, self._scores(sig), strict=True)
        ]
        # An activity several of whose entries fit the question is a safer bet than one with
        # a single lucky entry: each entry ranks by its own score plus a share of the
        # runner-up's score within the same activity.
        per_act: dict[str, list[float]] = {}
        for score, doc in scored:
            per_act.setdefault(doc.activity, []).append(score)
        second = {a: sorted(v, reverse=True)[1] if len(v) > 1 else 0.0 for a, v in per_act.items()}
        w_second = self.weights.w_second
        ranked = sorted(
            ((min(100.0, s + w_second * second[d.activity]), d) for s, d in scored),
            key=lambda x: (-x[0], x[1].card is None, x[1].card or x[1].activity),
        )
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
