"""Drill rules: FSRS ratings, question selection, mastery, streaks, reminder times."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fsrs import Rating

from bot import progress
from bot.storage import Reminder
from knowledge import drill
from knowledge.models import Knowledge

NOW = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)
TAIPEI = ZoneInfo("Asia/Taipei")


def test_ratings(kb: Knowledge) -> None:
    q = next(iter(kb.questions.values()))
    limit = drill.fast_limit_seconds(q)
    assert 5 < limit < 40
    assert drill.rating_for(False, 1.0, q) == Rating.Again
    assert drill.rating_for(True, limit + 1, q) == Rating.Good
    assert drill.rating_for(True, limit - 1, q) == Rating.Easy
    assert drill.rating_for(True, None, q) == Rating.Good
    # English takes longer to read than the same question in Chinese.
    assert drill.fast_limit_seconds(q, "en") > drill.fast_limit_seconds(q, "zh")


def test_wrong_answers_come_back_sooner_than_right_ones(kb: Knowledge) -> None:
    qid = next(iter(kb.questions))
    again = drill.review(None, qid, Rating.Again, NOW)
    good = drill.review(None, qid, Rating.Good, NOW)
    easy = drill.review(None, qid, Rating.Easy, NOW)
    assert again.due < good.due < easy.due
    assert good.due - NOW >= timedelta(days=1)  # day-scale: no minute learning steps


def state(qid: str, due: datetime) -> drill.SrsState:
    s = drill.review(None, qid, Rating.Good, due - timedelta(days=3))
    return drill.SrsState(qid, s.card_json, due)


def test_due_first_most_overdue_first_then_looked_up_then_new(kb: Knowledge) -> None:
    qids = list(kb.questions)
    states = {
        qids[0]: state(qids[0], NOW - timedelta(days=1)),
        qids[1]: state(qids[1], NOW - timedelta(days=5)),
        qids[2]: state(qids[2], NOW + timedelta(days=5)),
    }
    looked_card = kb.questions[qids[40]].card
    assert looked_card is not None
    picked = drill.pick_drill_questions(kb, states, {looked_card}, NOW, 5, rng=random.Random(1))
    assert picked[:2] == [qids[1], qids[0]]
    assert kb.questions[picked[2]].card == looked_card
    assert len(picked) == len(set(picked)) == 5
    assert qids[2] not in picked  # not due, and new questions remain


def test_new_questions_come_from_the_weakest_activities(kb: Knowledge) -> None:
    # Practised everything in T3.3 well: the new questions avoid it.
    states = {
        q.id: drill.review(None, q.id, Rating.Easy, NOW - timedelta(hours=1))
        for q in kb.questions_for("T3.3")
    }
    picked = drill.pick_drill_questions(kb, states, set(), NOW, 5, rng=random.Random(2))
    acts = [kb.questions[q].activity for q in picked]
    assert "T3.3" not in acts
    assert len(set(acts)) == 5  # one per activity before a second from any


def test_practise_this_uses_only_that_activity(kb: Knowledge) -> None:
    picked = drill.pick_drill_questions(kb, {}, set(), NOW, 3, activity="T4.2")
    assert len(picked) == 3 and {kb.questions[q].activity for q in picked} == {"T4.2"}


@pytest.mark.parametrize("seed", range(8))
def test_a_few_weeks_of_daily_drills_cover_all_17_activities(kb: Knowledge, seed: int) -> None:
    # Any learner, not one lucky random sequence: reviews of what they got wrong must not
    # crowd out the activities they have never seen.
    rng = random.Random(seed)
    states: dict[str, drill.SrsState] = {}
    seen: set[str] = set()
    now = NOW
    for _day in range(15):  # three working weeks
        for qid in drill.pick_drill_questions(kb, states, set(), now, 5, rng=rng):
            q = kb.questions[qid]
            rating = Rating.Good if rng.random() < 0.7 else Rating.Again
            states[qid] = drill.review(states.get(qid), qid, rating, now)
            seen.add(q.activity)
        now += timedelta(days=1)
    assert seen == set(kb.activities)


def test_reviews_leave_one_place_for_an_activity_never_practised(kb: Knowledge) -> None:
    # Five questions due, and T5.4 never practised: four reviews and one new T5.4-or-other
    # question from an untouched activity.
    due = [q for q in kb.questions.values() if q.activity == "T1.1"][:5]
    states = {q.id: drill.review(None, q.id, Rating.Again, NOW - timedelta(days=3)) for q in due}
    picked = drill.pick_drill_questions(kb, states, set(), NOW, 5, rng=random.Random(1))
    assert picked[:4] == [q.id for q in sorted(due, key=lambda q: states[q.id].due)][:4]
    assert kb.questions[picked[4]].activity != "T1.1" and picked[4] not in states


def test_mastery_grows_with_coverage_and_decays_with_time(kb: Knowledge) -> None:
    assert set(drill.activity_mastery(kb, {}, NOW).values()) == {0.0}
    qs = kb.questions_for("T1.2")[:6]
    states = {q.id: drill.review(None, q.id, Rating.Easy, NOW) for q in qs[:3]}
    half = drill.activity_mastery(kb, states, NOW)["T1.2"]
    states.update({q.id: drill.review(None, q.id, Rating.Easy, NOW) for q in qs[3:]})
    full = drill.activity_mastery(kb, states, NOW)["T1.2"]
    later = drill.activity_mastery(kb, states, NOW + timedelta(days=90))["T1.2"]
    assert 0.45 <= half <= 0.55 and full >= 0.95 and later < full
    tasks = drill.task_mastery(kb, drill.activity_mastery(kb, states, NOW))
    assert tasks["T1"] == pytest.approx(full / 4, abs=0.01) and tasks["T2"] == 0.0


def test_streak_counts_local_days() -> None:
    days = [datetime(2026, 11, d, 15, 30, tzinfo=UTC) for d in (26, 27, 28)]  # 23:30 Taipei
    assert progress.streak(days, datetime(2026, 11, 29, 3, 0, tzinfo=UTC), TAIPEI) == 3
    assert progress.streak(days, datetime(2026, 11, 28, 16, 0, tzinfo=UTC), TAIPEI) == 3
    assert progress.streak(days, datetime(2026, 11, 30, 3, 0, tzinfo=UTC), TAIPEI) == 0
    assert progress.streak([], NOW, TAIPEI) == 0
    # 00:30 in Taipei on the 29th is the 28th in UTC: the local day decides.
    late = [datetime(2026, 11, 27, 15, 30, tzinfo=UTC), datetime(2026, 11, 28, 16, 30, tzinfo=UTC)]
    now = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    assert progress.streak(late, now, TAIPEI) == 1
    assert progress.streak(late, now, ZoneInfo("UTC")) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8:45", "08:45"),
        ("08:45", "08:45"),
        ("0845", "08:45"),
        ("23：59", "23:59"),
        ("24:00", None),
        ("7", None),
        ("ab:cd", None),
        ("", None),
    ],
)
def test_parse_time(text: str, expected: str | None) -> None:
    assert progress.parse_hhmm(text) == expected


def test_ptb_days_count_sunday_as_zero() -> None:
    assert progress.ptb_days((1, 2, 3, 4, 5)) == (1, 2, 3, 4, 5)
    assert progress.ptb_days((6, 7)) == (0, 6)


@pytest.mark.parametrize(
    ("tz", "utc_now", "missed"),
    [
        ("Asia/Taipei", datetime(2026, 11, 30, 1, 29, tzinfo=UTC), False),  # Mon 09:29
        ("Asia/Taipei", datetime(2026, 11, 30, 3, 0, tzinfo=UTC), True),  # Mon 11:00
        ("Asia/Taipei", datetime(2026, 11, 29, 3, 0, tzinfo=UTC), False),  # Sunday
        ("Asia/Taipei", datetime(2026, 11, 30, 16, 30, tzinfo=UTC), False),  # Tue 00:30, early
        ("America/New_York", datetime(2026, 11, 30, 3, 0, tzinfo=UTC), False),  # Sun 22:00
        ("America/New_York", datetime(2026, 11, 30, 15, 0, tzinfo=UTC), True),  # Mon 10:00
    ],
)
def test_missed_reminder_is_per_local_day(tz: str, utc_now: datetime, missed: bool) -> None:
    zone = ZoneInfo(tz)
    rem = Reminder(1, "09:30", (1, 2, 3, 4, 5), True, None)
    local = utc_now.astimezone(zone)
    assert progress.missed_today(rem, utc_now, zone) is missed
    sent = Reminder(1, "09:30", (1, 2, 3, 4, 5), True, local.date().isoformat())
    assert progress.missed_today(sent, utc_now, zone) is False
    off = Reminder(1, "09:30", (1, 2, 3, 4, 5), False, None)
    assert progress.missed_today(off, utc_now, zone) is False
