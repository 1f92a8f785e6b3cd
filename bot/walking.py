"""Guided troubleshooting: walk a card's steps one at a time, record what fixed it, and when
nothing did, build the fault report for the staff member and their supervisors.

State lives in SQLite (bot.storage.walks); every button carries the walk's id and turn and is
checked against it, so a stale, doubled or forged press changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlite_utils import Database

from bot import access, storage
from bot.storage import Team, User, WalkRow
from knowledge.models import Card, Knowledge, WalkOption, WalkStep
from knowledge.walks import ESCALATE, FIXED, next_of, step_index

# When the fault started, as staff pick it after asking for help.
SINCE = ("15m", "1h", "day", "unk")
EVIDENCE_LIMIT = 1000


@dataclass(frozen=True)
class Shown:
    """A step to show: the walk, its card, the step, its number, and whether "didn't help"
    ends the walk (so the button says it gets help)."""

    walk: WalkRow
    card: Card
    step: WalkStep
    number: int
    last: bool


def _shown(kb: Knowledge, walk: WalkRow) -> Shown | None:
    card = kb.cards.get(walk.card)
    if card is None or card.walk is None or walk.step is None:
        return None
    step = step_index(card.walk).get(walk.step)
    if step is None:
        return None
    last = not step.ask and next_of(card.walk, step) == ESCALATE
    return Shown(walk, card, step, walk.turn + 1, last)


BeginStatus = Literal["started", "open", "not_walkable"]


@dataclass(frozen=True)
class Begun:
    status: BeginStatus
    shown: Shown | None = None  # started
    other: WalkRow | None = None  # open: the walk-through in progress
    other_card: Card | None = None
    card: Card | None = None  # the card asked for


def begin(db: Database, kb: Knowledge, user: User, card_id: str, now: datetime) -> Begun:
    """Start walking a card; if another walk-through is open, say which (continue or drop)."""
    card = kb.cards.get(card_id)
    if card is None or card.walk is None or not card.walk.steps:
        return Begun("not_walkable")
    current = storage.open_walk(db, user.id)
    if current is not None:
        return Begun("open", other=current, other_card=kb.cards.get(current.card), card=card)
    walk = storage.start_walk(db, user.id, user.team_id, card.id, card.walk.steps[0].id, now)
    if walk is None:  # a second tap raced the first
        current = storage.open_walk(db, user.id)
        return Begun("open", other=current, card=card)
    shown = _shown(kb, walk)
    assert shown is not None
    return Begun("started", shown=shown, card=card)


def drop(db: Database, user: User, walk_id: int, now: datetime) -> bool:
    """Abandon the user's open walk-through `walk_id`; False if it is not theirs or not open."""
    walk = storage.get_walk(db, walk_id)
    if walk is None or walk.user_id != user.id:
        return False
    return storage.set_walk_status(db, walk_id, storage.walks.OPEN, "abandoned", now)


def undelivered(db: Database, walk: WalkRow, now: datetime) -> None:
    """A walk-through whose first step could not be sent (no private chat yet): drop it."""
    if walk.turn == 0:
        storage.set_walk_status(db, walk.id, ("active",), "abandoned", now)


Where = Literal["stale", "step", "evidence", "since", "changed"]


@dataclass(frozen=True)
class Resumed:
    where: Where
    shown: Shown | None = None
    walk: WalkRow | None = None


def resume(db: Database, kb: Knowledge, user: User, walk_id: int, now: datetime) -> Resumed:
    """Where the user's open walk-through stands (a card changed by /reload drops it)."""
    walk = storage.get_walk(db, walk_id)
    if walk is None or walk.user_id != user.id or not walk.open:
        return Resumed("stale")
    if walk.status in ("evidence", "since"):
        return Resumed(walk.status, walk=walk)  # type: ignore[arg-type]
    shown = _shown(kb, walk)
    if shown is None:
        storage.set_walk_status(db, walk.id, ("active",), "abandoned", now)
        return Resumed("changed", walk=walk)
    return Resumed("step", shown=shown, walk=walk)


Action = Literal["fixed", "next", "help", "answer"]
MoveStatus = Literal["stale", "past", "over", "changed", "step", "fixed", "help"]


@dataclass(frozen=True)
class Moved:
    status: MoveStatus
    walk: WalkRow | None = None
    card: Card | None = None
    answered: Shown | None = None  # the step that was answered
    chosen: WalkOption | None = None
    shown: Shown | None = None  # the next step (status step)
    minutes: int = 0


def press(
    db: Database,
    kb: Knowledge,
    user: User,
    walk_id: int,
    turn: int,
    action: Action,
    now: datetime,
    option: int | None = None,
) -> Moved:
    """A button under a step: fixed, next, get help, or one of the step's answers."""
    walk = storage.get_walk(db, walk_id)
    if walk is None or walk.user_id != user.id:
        return Moved("stale")
    if walk.status != "active":
        return Moved("over", walk)
    if turn != walk.turn:
        return Moved("past", walk)
    here = _shown(kb, walk)
    if here is None:
        storage.set_walk_status(db, walk.id, ("active",), "abandoned", now)
        return Moved("changed", walk)
    step, card = here.step, here.card
    assert card.walk is not None
    chosen: WalkOption | None = None
    if action == "answer":
        if option is None or not 0 <= option < len(step.ask):
            return Moved("stale", walk)
        chosen = step.ask[option]
        target, outcome = chosen.go, f"a:{option}"
    elif step.ask and action != "help":
        return Moved("stale", walk)  # a step that asks has only its answers and get-help
    elif action == "fixed":
        target, outcome = FIXED, "fixed"
    elif action == "next":
        target, outcome = next_of(card.walk, step) or ESCALATE, "next"
    else:
        target, outcome = ESCALATE, "help"
    if target == FIXED:
        status, nxt = "fixed", None
    elif target == ESCALATE:
        status, nxt = "evidence", None
    else:
        status, nxt = "active", target
    if not storage.advance_walk(db, walk, outcome, now, step=nxt, status=status):
        return Moved("past", walk)
    after = storage.get_walk(db, walk.id)
    assert after is not None
    minutes = _minutes(after.started_at, now)
    if status == "fixed":
        return Moved("fixed", after, card, here, chosen, minutes=minutes)
    if status == "evidence":
        return Moved("help", after, card, here, chosen, minutes=minutes)
    return Moved("step", after, card, here, chosen, shown=_shown(kb, after), minutes=minutes)


def _minutes(start: datetime, end: datetime) -> int:
    return max(0, round((end - start).total_seconds() / 60))


def awaiting_evidence(db: Database, user: User) -> WalkRow | None:
    """The user's walk-through waiting for a photo or the error text, if any."""
    walk = storage.open_walk(db, user.id)
    return walk if walk is not None and walk.status in ("evidence", "since") else None


def add_evidence(
    db: Database, user: User, text: str | None, photo: str | None, now: datetime
) -> WalkRow | None:
    """Keep a photo or the error text for the report; the walk then asks when it started.
    None if the user has no walk-through waiting for it (the message is something else)."""
    walk = awaiting_evidence(db, user)
    if walk is None:
        return None
    clean = " ".join((text or "").split())[:EVIDENCE_LIMIT] or None
    storage.set_evidence(db, walk.id, clean, photo)
    storage.set_walk_status(db, walk.id, ("evidence",), "since", now)
    return storage.get_walk(db, walk.id)


def skip_evidence(db: Database, user: User, walk_id: int, now: datetime) -> WalkRow | None:
    walk = storage.get_walk(db, walk_id)
    if walk is None or walk.user_id != user.id or walk.status != "evidence":
        return None
    storage.set_walk_status(db, walk.id, ("evidence",), "since", now)
    return storage.get_walk(db, walk.id)


@dataclass(frozen=True)
class Tried:
    """One answer in a fault report: the step, and what the staff member answered."""

    number: int
    step: WalkStep | None  # None: the card no longer has it
    step_id: str
    outcome: str
    chosen: WalkOption | None


@dataclass(frozen=True)
class FaultReport:
    walk: WalkRow
    card: Card
    staff: User
    team: Team | None
    tried: list[Tried]
    minutes: int
    leads: list[User] = field(default_factory=list)  # who receives it


def fault_report(db: Database, kb: Knowledge, walk: WalkRow) -> FaultReport | None:
    card = kb.cards.get(walk.card)
    staff = storage.get_user(db, walk.user_id)
    if card is None or staff is None:
        return None
    steps = step_index(card.walk) if card.walk else {}
    tried: list[Tried] = []
    for a in storage.walk_answers(db, walk.id):
        step = steps.get(a.step)
        chosen = None
        if a.outcome.startswith("a:") and step is not None:
            k = int(a.outcome[2:])
            chosen = step.ask[k] if k < len(step.ask) else None
        tried.append(Tried(a.turn + 1, step, a.step, a.outcome, chosen))
    team = storage.get_team(db, walk.team_id)
    leads = (
        [u for u in storage.team_leads(db, walk.team_id) if u.id != staff.id]
        if walk.team_id is not None
        else []
    )
    minutes = _minutes(walk.started_at, walk.ended_at or walk.started_at)
    return FaultReport(walk, card, staff, team, tried, minutes, leads)


def report(
    db: Database, kb: Knowledge, user: User, walk_id: int, since: str, now: datetime
) -> FaultReport | None:
    """When it started → the walk-through is escalated; its report and who gets it."""
    walk = storage.get_walk(db, walk_id)
    if walk is None or walk.user_id != user.id or walk.status != "since" or since not in SINCE:
        return None
    storage.set_since(db, walk.id, since)
    if not storage.set_walk_status(db, walk.id, ("since",), "escalated", now):
        return None
    done = storage.get_walk(db, walk.id)
    assert done is not None
    return fault_report(db, kb, done)


TakeStatus = Literal["stale", "taken", "already"]


@dataclass(frozen=True)
class Taken:
    status: TakeStatus
    walk: WalkRow | None = None
    staff: User | None = None
    taker: User | None = None  # already: who took it first
    card: Card | None = None
    report: FaultReport | None = None  # taken: the report, for the supervisor's copy


def take(db: Database, kb: Knowledge, user: User, walk_id: int, now: datetime) -> Taken:
    """A supervisor of the walk's team (or an admin) takes an escalated fault: first wins."""
    walk = storage.get_walk(db, walk_id)
    if walk is None or walk.status != "escalated" or not access.sees_team(db, user, walk.team_id):
        return Taken("stale")
    staff = storage.get_user(db, walk.user_id)
    card = kb.cards.get(walk.card)
    if not storage.take_walk(db, walk.id, user.id, now):
        first = storage.get_walk(db, walk.id)
        taker = storage.get_user(db, first.taken_by) if first and first.taken_by else None
        return Taken("already", walk, staff, taker, card)
    done = storage.get_walk(db, walk.id)
    assert done is not None
    return Taken("taken", done, staff, user, card, fault_report(db, kb, done))
