"""The drill flow: start or resume, the next question, answers, stopping — decided here,
sent by the handlers. Every answer is committed before the user sees its outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from bot import progress, storage
from bot.progress import Answer, Summary
from bot.storage import Drill, DrillItem, User
from knowledge.models import Knowledge, Question

PRACTISE_SIZE = 3


@dataclass(frozen=True)
class Next:
    """What a drill shows next: a question, or (drill over) its summary."""

    drill: Drill
    item: DrillItem | None = None
    question: Question | None = None
    summary: Summary | None = None
    # Questions a /reload took out of the knowledge while this drill held them: skipped.
    skipped: int = 0


def next_step(db: Database, kb: Knowledge, drill: Drill, now: datetime, tz: ZoneInfo) -> Next:
    """The next unanswered question, or finish the drill and return its summary."""
    skipped = 0
    while (item := storage.next_item(db, drill.id)) is not None:
        question = kb.questions.get(item.question_id)
        if question is not None:
            return Next(drill, item, question, skipped=skipped)
        storage.drop_item(db, item.id)
        skipped += 1
    storage.finish_drill(db, drill.id, "done", now)
    done = storage.get_drill(db, drill.id)
    assert done is not None
    return Next(done, summary=progress.drill_summary(db, done, now, tz), skipped=skipped)


@dataclass(frozen=True)
class Begun:
    resumed: bool  # True: the drill in progress goes on
    next: Next


def begin(
    db: Database,
    kb: Knowledge,
    user: User,
    now: datetime,
    tz: ZoneInfo,
    size: int,
    activity: str | None = None,
) -> Begun | None:
    """Go on with the drill in progress, or start a new one; None if there is nothing to ask."""
    current = storage.active_drill(db, user.id)
    if current is not None:
        return Begun(True, next_step(db, kb, current, now, tz))
    if activity is not None and activity not in kb.activities:
        return None
    drill = progress.new_drill(
        db, kb, user.id, now, PRACTISE_SIZE if activity else size, activity=activity
    )
    if drill is None:
        return None
    return Begun(False, next_step(db, kb, drill, now, tz))


def mark_sent(db: Database, item: DrillItem, chat_id: int, message_id: int, now: datetime) -> None:
    """Remember which message shows the question (answer timing starts here)."""
    storage.mark_sent(db, item.id, chat_id, message_id, now)


def stop(db: Database, user: User, now: datetime, tz: ZoneInfo) -> Summary | None:
    """End the drill in progress early; its summary, or None if there was none."""
    current = storage.active_drill(db, user.id)
    if current is None:
        return None
    storage.finish_drill(db, current.id, "stopped", now)
    stopped = storage.get_drill(db, current.id)
    assert stopped is not None
    return progress.drill_summary(db, stopped, now, tz)


AnswerStatus = Literal["stale", "already", "ended", "recorded"]


@dataclass(frozen=True)
class Answered:
    status: AnswerStatus
    item: DrillItem | None = None
    answer: Answer | None = None
    next: Next | None = None  # what comes next in the drill, once recorded


def answer(
    db: Database,
    kb: Knowledge,
    user: User,
    item_id: int,
    position: int,
    now: datetime,
    tz: ZoneInfo,
) -> Answered:
    """Record an answer pressed on a question's button (never trusting the button)."""
    item = storage.get_item(db, item_id)
    # The item must exist and belong to whoever pressed.
    if item is None or item.user_id != user.id:
        return Answered("stale")
    if item.answered_at is not None:
        return Answered("already", item)
    if item.drill_status != "active":
        return Answered("ended", item)
    result = progress.answer_item(db, kb, item, position, now, user.language)
    if result is None:
        return Answered("stale", item)
    if not result.recorded:
        return Answered("already", item)
    drill = storage.get_drill(db, item.drill_id)
    nxt = next_step(db, kb, drill, now, tz) if drill and drill.status == "active" else None
    return Answered("recorded", item, result, nxt)


@dataclass(frozen=True)
class Stalled:
    """A drill in progress whose next question was never sent (the bot stopped in between)."""

    user: User
    chat_id: int
    next: Next


def stalled(db: Database, kb: Knowledge, now: datetime, tz: ZoneInfo) -> list[Stalled]:
    """Drills to go on with at start-up: active, today's, next question not sent.

    Called after `reminders.expire_drills`, so only today's drills are still active. The
    question goes to the chat the drill's earlier questions went to (else the private chat).
    """
    out = []
    for drill in storage.active_drills(db):
        item = storage.next_item(db, drill.id)
        if item is None or item.sent_at is not None:
            continue
        user = storage.get_user(db, drill.user_id)
        if user is None or not user.consented or not user.active:
            continue
        chats = [i.chat_id for i in storage.drill_items(db, drill.id) if i.chat_id is not None]
        out.append(
            Stalled(user, chats[-1] if chats else user.id, next_step(db, kb, drill, now, tz))
        )
    return out
