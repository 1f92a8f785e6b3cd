"""Drills and progress on top of storage: start, answer, summaries, streaks, /me figures."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from bot import storage
from bot.storage import Drill, DrillItem, Reminder
from knowledge import drill as srs
from knowledge.models import Knowledge, Question

# ASCII digits only: str.isdigit() also accepts '²' and '٢', which int() then rejects.
_HHMM = re.compile(r"([0-9]{1,2})[:：]([0-9]{2})|([0-9]{1,2})([0-9]{2})")


def load_states(db: Database, user_id: int) -> dict[str, srs.SrsState]:
    return {
        qid: srs.SrsState(qid, card, storage.parse_iso(due))
        for qid, card, due in storage.srs_states(db, user_id)
    }


def new_drill(
    db: Database,
    kb: Knowledge,
    user_id: int,
    now: datetime,
    size: int,
    *,
    activity: str | None = None,
    rng: random.Random | None = None,
) -> Drill | None:
    """Pick questions (spaced repetition) and store a new drill; None if nothing to ask."""
    rng = rng or random.Random()
    states = load_states(db, user_id)
    looked = storage.cards_looked_up_since(db, user_id, storage.last_drill_started(db, user_id))
    picked = srs.pick_drill_questions(kb, states, looked, now, size, rng=rng, activity=activity)
    if not picked:
        return None
    items = []
    for qid in picked:
        q = kb.questions[qid]
        order = list(range(len(q.options)))
        rng.shuffle(order)
        items.append((qid, q.activity, tuple(order)))
    return storage.start_drill(db, user_id, items, now, activity)


@dataclass(frozen=True)
class Answer:
    question: Question
    chosen: int  # original option index
    correct: bool
    recorded: bool  # False: it had been answered before (double tap, old message)


def answer_item(
    db: Database, kb: Knowledge, item: DrillItem, position: int, now: datetime, lang: str
) -> Answer | None:
    """Record the option at `position` (as shown) for an item; None if it is not valid."""
    q = kb.questions.get(item.question_id)
    if q is None or not 0 <= position < len(item.option_order):
        return None
    chosen = item.option_order[position]
    if chosen >= len(q.options):
        return None
    correct = chosen == q.correct_index
    if item.answered_at is not None:
        return Answer(
            q,
            item.chosen if item.chosen is not None else chosen,
            bool(item.correct),
            recorded=False,
        )
    elapsed = (now - storage.parse_iso(item.sent_at)).total_seconds() if item.sent_at else None
    rating = srs.rating_for(correct, elapsed, q, "en" if lang == "en" else "zh")
    states = load_states(db, item.user_id)
    state = srs.review(states.get(q.id), q.id, rating, now)
    recorded = storage.record_answer(
        db, item, chosen, correct, int(rating), now, state.card_json, state.due
    )
    return Answer(q, chosen, correct, recorded)


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def streak(finished: list[datetime], now: datetime, tz: ZoneInfo) -> int:
    """Days in a row, ending today or yesterday, with at least one finished drill."""
    days = {local_day(t, tz) for t in finished}
    day = local_day(now, tz)
    if day not in days:
        day -= timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count


@dataclass(frozen=True)
class Summary:
    right: int
    total: int
    seconds: int
    streak: int
    review: list[str]  # activities with a wrong answer


def drill_summary(db: Database, drill: Drill, now: datetime, tz: ZoneInfo) -> Summary:
    items = storage.drill_items(db, drill.id)
    answered = [i for i in items if i.answered_at is not None]
    right = sum(1 for i in answered if i.correct)
    end = storage.parse_iso(drill.finished_at) if drill.finished_at else now
    seconds = int((end - storage.parse_iso(drill.started_at)).total_seconds())
    review = list(dict.fromkeys(i.activity for i in answered if not i.correct))
    days = streak(storage.finished_drill_times(db, drill.user_id), now, tz)
    return Summary(right, len(answered), max(0, seconds), days, review)


def week_start(now: datetime, tz: ZoneInfo) -> datetime:
    """Monday 00:00 local time of the week containing `now`."""
    day = local_day(now, tz)
    monday = day - timedelta(days=day.weekday())
    return datetime.combine(monday, time(0, 0), tzinfo=tz)


@dataclass(frozen=True)
class Progress:
    streak: int
    drills_this_week: int
    answers_this_week: int
    accuracy_this_week: float | None
    task_mastery: dict[str, float]
    activity_mastery: dict[str, float]
    weakest: list[str]
    weekly: list[tuple[str, float | None]]  # the last 4 weeks, oldest first
    started: bool = True  # False until the first drill is done or answered


def progress(db: Database, kb: Knowledge, user_id: int, now: datetime, tz: ZoneInfo) -> Progress:
    """Everything /me shows; supervisors' views use the same mastery functions."""
    finished = storage.finished_drill_times(db, user_id)
    start = week_start(now, tz)
    this_week = [t for t in finished if t >= start]
    by_act = srs.activity_mastery(kb, load_states(db, user_id), now)
    weekly: list[tuple[str, float | None]] = []
    for k in range(3, -1, -1):
        ws = start - timedelta(weeks=k)
        rows = storage.answers_between(db, user_id, ws, ws + timedelta(weeks=1))
        acc = sum(c for _, c, _ in rows) / len(rows) if rows else None
        weekly.append((ws.strftime("%m/%d"), acc))
    week_rows = storage.answers_between(db, user_id, start, now + timedelta(seconds=1))
    acc_now = sum(c for _, c, _ in week_rows) / len(week_rows) if week_rows else None
    return Progress(
        streak=streak(finished, now, tz),
        drills_this_week=len(this_week),
        answers_this_week=len(week_rows),
        accuracy_this_week=acc_now,
        task_mastery=srs.task_mastery(kb, by_act),
        activity_mastery=by_act,
        weakest=srs.weakest_activities(by_act),
        weekly=weekly,
        started=bool(finished) or bool(week_rows),
    )


def parse_hhmm(text: str) -> str | None:
    """'9:30', '09:30', '9：30', '0930' → 'HH:MM'; anything else (incl. '²:³⁰') → None."""
    match = _HHMM.fullmatch(text.strip())
    if match is None:
        return None
    h, m = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
    hh, mm = int(h), int(m)
    if 0 <= hh <= 23 and 0 <= mm <= 59:
        return f"{hh:02d}:{mm:02d}"
    return None


def reminder_time(rem: Reminder, tz: ZoneInfo) -> time:
    h, m = (int(x) for x in rem.time.split(":"))
    return time(h, m, tzinfo=tz)


def ptb_days(iso_days: tuple[int, ...]) -> tuple[int, ...]:
    """ISO weekdays (1 = Monday … 7 = Sunday) → PTB's run_daily days (0 = Sunday)."""
    return tuple(sorted(d % 7 for d in iso_days))


def missed_today(rem: Reminder, now: datetime, tz: ZoneInfo) -> bool:
    """True when today's reminder time has passed and today's reminder was not sent."""
    if not rem.enabled:
        return False
    local = now.astimezone(tz)
    if local.isoweekday() not in rem.days:
        return False
    due = datetime.combine(local.date(), reminder_time(rem, tz).replace(tzinfo=None), tzinfo=tz)
    return local >= due and rem.last_sent_on != local.date().isoformat()


# The reminder days a settings button can choose (ISO weekdays, 1 = Monday).
PRESET_DAYS = {"wk": (1, 2, 3, 4, 5), "all": (1, 2, 3, 4, 5, 6, 7), "we": (6, 7)}


def reminder_of(db: Database, user_id: int) -> Reminder:
    return storage.get_reminder(db, user_id)


def set_reminder_time(db: Database, user_id: int, text: str) -> Reminder | None:
    """/settings HH:MM: the new reminder, switched on; None if the time can't be read."""
    hhmm = parse_hhmm(text)
    if hhmm is None:
        return None
    return storage.set_reminder(db, user_id, time=hhmm, enabled=True)


def change_reminder(db: Database, user_id: int, tag: str, value: str | None) -> Reminder:
    """Apply a settings button (already decoded): on, off, a preset time or preset days."""
    if tag in ("on", "off"):
        return storage.set_reminder(db, user_id, enabled=tag == "on")
    if tag == "t" and value is not None and (hhmm := parse_hhmm(value)) is not None:
        return storage.set_reminder(db, user_id, time=hhmm)
    if tag == "d" and value in PRESET_DAYS:
        return storage.set_reminder(db, user_id, days=PRESET_DAYS[value])
    return storage.get_reminder(db, user_id)


def digest_setting(db: Database, user_id: int) -> bool | None:
    """Whether a supervisor wants the Monday digest; None for someone who leads no team."""
    if not storage.led_team_ids(db, user_id):
        return None
    return storage.digest_enabled(db, user_id)


def set_digest(db: Database, user_id: int, on: bool) -> bool | None:
    if storage.led_team_ids(db, user_id):
        storage.set_digest(db, user_id, on)
    return digest_setting(db, user_id)
