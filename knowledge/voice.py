"""One English voice: every card and quiz question says a Taiwanese retail term the way the
glossary (knowledge/data/glossary.yaml) does, and spells English the British way."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from knowledge.loader import Problem
from knowledge.models import Card, GlossaryTerm, Knowledge, Question

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def bilingual(model: Card | Question) -> Iterator[tuple[str, str, str]]:
    """(where, zh, en) of every text staff read: not aliases (how staff ask) or `source`."""
    if isinstance(model, Card):
        yield "title", model.title.zh, model.title.en
        for i, s in enumerate(model.steps, 1):
            yield f"steps[{i}]", s.zh, s.en
        if model.escalate is not None:
            yield "escalate", model.escalate.zh, model.escalate.en
        if model.walk is not None:
            for st in model.walk.steps:
                yield f"walk.{st.id}", st.text.zh, st.text.en
                for k, answer in enumerate(st.ask, 1):
                    yield f"walk.{st.id}.ask[{k}]", answer.zh, answer.en
    else:
        yield "question", model.question.zh, model.question.en
        for i, o in enumerate(model.options, 1):
            yield f"options[{i}]", o.zh, o.en
        yield "explanation", model.explanation.zh, model.explanation.en


def _rendering(text: str) -> re.Pattern[str]:
    """A glossary rendering as whole words, any case, plural -s allowed."""
    words = r"\s+".join(re.escape(w) for w in text.split())
    return re.compile(rf"(?<![\w-]){words}s?(?![\w-])", re.IGNORECASE)


@dataclass
class VoiceFindings:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    avoided: int = 0  # an `avoid` rendering used (error)
    spelling: int = 0  # an American spelling (error)
    missing_term: int = 0  # zh uses a term, en never uses its English (warning)


def voice_findings(kb: Knowledge, files: dict[str, dict[str, str]]) -> VoiceFindings:
    """Glossary and spelling across every card and question."""
    out = VoiceFindings()
    terms: list[tuple[GlossaryTerm, re.Pattern[str], list[re.Pattern[str]]]] = [
        (t, _rendering(t.en), [_rendering(a) for a in t.avoid]) for t in kb.glossary
    ]
    # Glossary English is right by definition ("National Credit Card Center" is a name).
    keep = [p for _t, p, _a in terms]
    all_zh = [z for t, _p, _a in terms for z in (t.zh, *t.zh_also)]
    longer_terms = {t.zh: [z for z in all_zh if t.zh in z and z != t.zh] for t, _p, _a in terms}
    spelling = [(_whole(w), r) for w, r in kb.spelling.items()]
    units: list[tuple[str, str, Card | Question]] = [
        *(("cards", c.id, c) for c in kb.cards.values()),
        *(("questions", q.id, q) for q in kb.questions.values()),
    ]
    for kind, ident, model in units:
        f = files.get(kind, {}).get(ident, kind)
        texts = list(bilingual(model))
        zh_all = "\n".join(zh for _w, zh, _e in texts)
        en_all = "\n".join(_URL.sub(" ", en) for _w, _z, en in texts)
        for term, right, avoids in terms:
            # 主管 inside 主管機關 is another term (the authorities), not this one.
            zh_own = zh_all
            for longer in longer_terms[term.zh]:
                zh_own = zh_own.replace(longer, " ")
            said = next((z for z in (term.zh, *term.zh_also) if z in zh_own), None)
            if said is None:
                continue
            for where, _zh, en in texts:
                for pattern in avoids:
                    for m in pattern.finditer(_URL.sub(" ", en)):
                        out.avoided += 1
                        out.errors.append(
                            Problem(f, ident, f"{where}: en '{m.group(0)}' for {said}; "
                                    f"say '{term.en}' (glossary)")
                        )  # fmt: skip
            if not right.search(en_all):
                out.missing_term += 1
                out.warnings.append(
                    Problem(f, ident, f"zh says {said}, en never says '{term.en}' (glossary)")
                )
        for where, _zh, en in texts:
            clean = _URL.sub(" ", en)
            for p in keep:
                clean = p.sub(" ", clean)
            for pattern, right_word in spelling:
                for m in pattern.finditer(clean):
                    out.spelling += 1
                    out.errors.append(
                        Problem(f, ident, f"{where}: American spelling '{m.group(0)}'; "
                                f"write '{right_word}'")
                    )  # fmt: skip
    return out


def _whole(words: str) -> re.Pattern[str]:
    """A spelling entry as whole words, any case (no plural: inflections are listed)."""
    body = r"\s+".join(re.escape(w) for w in words.split())
    return re.compile(rf"(?<![\w-]){body}(?![\w-])", re.IGNORECASE)


# --- everything check-knowledge runs -------------------------------------------------------
