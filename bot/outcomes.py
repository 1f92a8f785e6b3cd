"""What guided troubleshooting taught: the week's faults of a team (/faults, the digest) and,
per card, which step fixes it most often (walk-stats, for trainers; nothing reorders steps)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from bot import access, storage
from bot.progress import week_start
from bot.storage import Team, User, WalkRow
from knowledge.models import Card, Knowledge

# --- what supervisors and trainers read back ----------------------------------------------


@dataclass(frozen=True)
class CardFaults:
    """One problem of a week: how often it was walked, fixed, escalated, and at which step."""

    card_id: str
    card: Card | None
    walks: int
    fixed: int
    escalated: int
    fixed_at: list[tuple[str, int]]  # (step id, times it fixed), in the walk's order


@dataclass(frozen=True)
class OpenFault:
    walk: WalkRow
    staff: User | None
    team: Team | None
    card: Card | None


@dataclass(frozen=True)
class Faults:
    start: datetime
    end: datetime
    teams: list[Team]
    cards: list[CardFaults]
    open: list[OpenFault]  # the oldest escalations nobody has taken
    open_count: int = 0  # all of them

    @property
    def total(self) -> int:
        return sum(c.walks for c in self.cards)


def faults_between(
    db: Database, kb: Knowledge, team_ids: list[int], start: datetime, end: datetime
) -> Faults:
    """The faults staff of some teams walked through in [start, end), and the escalations
    of those teams no supervisor has taken yet."""
    walks = [
        w
        for w in storage.walks_between(db, team_ids, start, end)
        if w.status in ("fixed", "escalated")
    ]
    by_card: dict[str, list[WalkRow]] = {}
    for w in walks:
        by_card.setdefault(w.card, []).append(w)
    cards: list[CardFaults] = []
    for card_id, group in by_card.items():
        card = kb.cards.get(card_id)
        fixes = Counter(w.fixed_step for w in group if w.status == "fixed" and w.fixed_step)
        order = [s.id for s in card.walk.steps] if card and card.walk else []
        fixed_at = sorted(
            fixes.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)
        )
        cards.append(
            CardFaults(
                card_id,
                card,
                len(group),
                sum(w.status == "fixed" for w in group),
                sum(w.status == "escalated" for w in group),
                fixed_at,
            )
        )
    cards.sort(key=lambda c: (-c.walks, c.card_id))
    n_open, oldest = storage.open_escalations(db, team_ids)
    open_ = [
        OpenFault(w, storage.get_user(db, w.user_id), storage.get_team(db, w.team_id),
                  kb.cards.get(w.card))
        for w in oldest
    ]  # fmt: skip
    teams = [t for t in (storage.get_team(db, i) for i in team_ids) if t is not None]
    return Faults(start, end, teams, cards, open_, n_open)


def week_faults(db: Database, kb: Knowledge, team_id: int, now: datetime, tz: ZoneInfo) -> Faults:
    """This week's faults of one team (the local week, Monday 00:00, `now` is in), for the
    weekly digest."""
    start = week_start(now, tz)
    return faults_between(db, kb, [team_id], start, start + timedelta(days=7))


def faults_for(
    db: Database, kb: Knowledge, user: User, team_id: int | None, now: datetime, tz: ZoneInfo
) -> Faults | None:
    """/faults: this week's faults of the teams a supervisor may see (or of one of them);
    None when the team asked for is not theirs."""
    scope = access.team_ids_in_scope(db, user)
    if team_id is not None:
        if team_id not in scope:
            return None
        scope = [team_id]
    start = week_start(now, tz)
    return faults_between(db, kb, scope, start, start + timedelta(days=7))


@dataclass(frozen=True)
class StepStat:
    step_id: str
    reached: int
    fixed: int


@dataclass(frozen=True)
class CardStat:
    card_id: str
    card: Card | None
    walks: int
    fixed: int
    escalated: int
    steps: list[StepStat]

    @property
    def best(self) -> StepStat | None:
        """The step that fixes it most often (ties: the earlier step)."""
        best = max(self.steps, key=lambda s: s.fixed, default=None)
        return best if best is not None and best.fixed > 0 else None


def walk_stats(db: Database, kb: Knowledge) -> list[CardStat]:
    """Per card, how often each step was reached and fixed it, over every walk-through that
    ended; for trainers to improve the card (nothing is reordered automatically)."""
    counts: dict[str, Counter[str]] = {}
    for card_id, status, n in storage.walk_counts(db):
        counts.setdefault(card_id, Counter())[status] += n
    reached: dict[tuple[str, str], int] = Counter()
    fixed: dict[tuple[str, str], int] = Counter()
    for card_id, step, outcome, n in storage.step_outcomes(db):
        reached[(card_id, step)] += n
        if outcome == "fixed":
            fixed[(card_id, step)] += n
    out: list[CardStat] = []
    for card_id in sorted(counts, key=lambda c: (-sum(counts[c].values()), c)):
        card = kb.cards.get(card_id)
        order = [s.id for s in card.walk.steps] if card and card.walk else []
        seen = {s for (c, s) in reached if c == card_id}
        ids = [s for s in order if s in seen] + sorted(seen - set(order))
        steps = [StepStat(s, reached[(card_id, s)], fixed[(card_id, s)]) for s in ids]
        c = counts[card_id]
        out.append(CardStat(card_id, card, sum(c.values()), c["fixed"], c["escalated"], steps))
    return out
