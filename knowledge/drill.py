"""Drills: which questions to ask, how an answer is rated, and what "mastery" means.

Spaced repetition uses FSRS (the `fsrs` package), one FSRS card per user and question.
Drills happen at most a few times a day, so the scheduler has no minute-scale learning
steps: a new or lapsed question goes straight to day-scale intervals.

Mastery of an activity is `min(1, sum of retrievability of its practised questions /
min(MASTERY_QUESTIONS, questions in the activity))`: it grows both with coverage (how many
of its questions the person has practised) and with how well they still remember them,
and it decays as time passes without practice. Task mastery is the mean over its
activities. Every view (/me, supervisor reports, the drill picker) uses these functions.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from fsrs import Card, Rating, Scheduler

from knowledge.models import Knowledge, Question

MASTERY_QUESTIONS = 6
SCHEDULER = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)


@dataclass(frozen=True)
class SrsState:
    """One user's FSRS card for one question, as stored."""

    question_id: str
    card_json: str
    due: datetime

    def card(self) -> Card:
        return Card.from_json(self.card_json)


def fast_limit_seconds(q: Question, lang: str = "zh") -> float:
    """How quickly a confident answer comes: 5 s to decide plus time to read the texts.

    Reading speed is taken as 20 characters a second for Chinese and 15 for English (a
    phone reader skimming); a right answer within this limit was recalled, not worked out,
    so FSRS rates it Easy.
    """
    chars = len(q.question.get(lang)) + sum(len(o.get(lang)) for o in q.options)
    per_second = 15.0 if lang.startswith("en") else 20.0
    return 5.0 + chars / per_second


def rating_for(correct: bool, elapsed_s: float | None, q: Question, lang: str = "zh") -> Rating:
    """Wrong → Again; right → Good, or Easy when right and fast."""
    if not correct:
        return Rating.Again
    if elapsed_s is not None and elapsed_s <= fast_limit_seconds(q, lang):
        return Rating.Easy
    return Rating.Good


def _card_id(now: datetime) -> int:
    return int(now.timestamp() * 1000)


def review(state: SrsState | None, question_id: str, rating: Rating, now: datetime) -> SrsState:
    """The FSRS card after one answer."""
    # An explicit id and due: fsrs's Card() reads the wall clock and sleeps 1 ms to keep
    # ids unique, which would block the bot's event loop on every first answer.
    card = state.card() if state is not None else Card(card_id=_card_id(now), due=now)
    card, _log = SCHEDULER.review_card(card, rating, now)
    return SrsState(question_id, card.to_json(), card.due)


def retrievability(state: SrsState, now: datetime) -> float:
    return float(SCHEDULER.get_card_retrievability(state.card(), now))


def activity_mastery(
    kb: Knowledge, states: Mapping[str, SrsState], now: datetime
) -> dict[str, float]:
    """Mastery 0–1 of every activity (see the module docstring for the formula)."""
    sums: dict[str, float] = dict.fromkeys(kb.activities, 0.0)
    for qid, state in states.items():
        q = kb.questions.get(qid)
        if q is not None:
            sums[q.activity] += retrievability(state, now)
    out = {}
    for act in kb.activities:
        n = len(kb.questions_for(act))
        out[act] = min(1.0, sums[act] / min(MASTERY_QUESTIONS, n)) if n else 0.0
    return out


def task_mastery(kb: Knowledge, by_activity: Mapping[str, float]) -> dict[str, float]:
    """Mean activity mastery per task."""
    out = {}
    for task in kb.tasks.values():
        acts = [by_activity.get(a.id, 0.0) for a in task.activities]
        out[task.id] = sum(acts) / len(acts) if acts else 0.0
    return out


def weakest_activities(by_activity: Mapping[str, float], n: int = 3) -> list[str]:
    return [a for a, _ in sorted(by_activity.items(), key=lambda x: (x[1], x[0]))[:n]]


def pick_drill_questions(
    kb: Knowledge,
    states: Mapping[str, SrsState],
    looked_up_cards: Iterable[str],
    now: datetime,
    size: int,
    *,
    rng: random.Random | None = None,
    activity: str | None = None,
) -> list[str]:
    """Question ids for one drill, in order, never the same twice.

    1. due questions, most overdue first;
    2. questions teaching cards the user looked up since the last drill;
    3. new questions from the weakest activities, one activity at a time, so that over a
       few weeks every activity is covered: while some activity has never been practised,
       the first two steps leave it one place (reviews alone could fill every drill);
    4. if still short, practised questions the user is most likely to have forgotten.
    With `activity` (from "practise this") only that activity's questions are used.
    """
    rng = rng or random.Random()
    pool = [q for q in kb.questions.values() if activity is None or q.activity == activity]
    pool_ids = {q.id for q in pool}
    chosen: list[str] = []

    def take(ids: Iterable[str], limit: int = size) -> None:
        for qid in ids:
            if len(chosen) >= limit:
                return
            if qid in pool_ids and qid not in chosen:
                chosen.append(qid)

    fresh: dict[str, list[Question]] = {}
    for q in pool:
        if q.id not in states:
            fresh.setdefault(q.activity, []).append(q)
    practised = {kb.questions[qid].activity for qid in states if qid in kb.questions}
    untouched = any(a not in practised for a in fresh)
    first = size - 1 if untouched and size > 1 else size

    due = sorted(
        (s for qid, s in states.items() if qid in pool_ids and s.due <= now), key=lambda s: s.due
    )
    take((s.question_id for s in due), first)

    cards = set(looked_up_cards)
    looked = [q for q in pool if q.card in cards]
    looked.sort(key=lambda q: (q.id in states, q.difficulty, rng.random()))
    take((q.id for q in looked), first)

    mastery = activity_mastery(kb, states, now)
    for qs in fresh.values():
        qs.sort(key=lambda q: (q.difficulty, rng.random()))
    # An activity never practised comes before one practised badly (which its due reviews
    # already bring back).
    order = sorted(fresh, key=lambda a: (a in practised, mastery.get(a, 0.0), rng.random()))
    while len(chosen) < size and any(fresh[a] for a in order):
        for act in order:
            if fresh[act] and len(chosen) < size:
                take([fresh[act].pop(0).id])

    rest = sorted(
        (s for qid, s in states.items() if qid in pool_ids), key=lambda s: retrievability(s, now)
    )
    take(s.question_id for s in rest)
    return chosen
