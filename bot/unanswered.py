"""/unanswered: what a team asked that the bot could not answer, grouped by wording; attaching
a group to a card (a learned alias the matcher uses at once) or dismissing it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from weakref import WeakKeyDictionary

from rapidfuzz import fuzz, process
from sqlite_utils import Database

from bot import storage
from bot.access import may, sees_team, team_ids_in_scope
from bot.storage import Team, Unanswered, User
from knowledge.library import Library
from knowledge.matcher import Matcher

WINDOW_DAYS = 30
FOLLOW_MINUTES = 10  # a "did you mean" counts as followed when a card was opened this soon
SIMILAR = 85  # token_set_ratio of the folded wordings at or above which they group
PAGE = 10  # groups per message
MAX_SUGGESTED = 3
MAX_ALIASES = 5  # distinct wordings of a group learned when it is attached
# A space between two non-ASCII (CJK) characters is punctuation folded away: "燈不亮了，怎麼辦"
# is one run of words, as "燈不亮了怎麼辦" is. Latin words keep their spaces (their tokens).
_CJK_GAP = re.compile(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])")


@dataclass(frozen=True)
class Group:
    """Similar wordings of one unanswered question in a team, newest first."""

    id: int  # the newest question's id: what the buttons carry
    team_id: int
    questions: tuple[Unanswered, ...]
    wordings: tuple[str, ...]  # distinct wordings as asked, newest first
    people: int
    suggested: tuple[str, ...]  # cards the bot offered ("did you mean"), at most three

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def last_at(self) -> str:
        return self.questions[0].created_at

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why it is here: "none", "suggest" (not followed), "down" (👎), in that order."""
        found = {"down" if q.feedback == -1 else q.tier for q in self.questions}
        return tuple(r for r in ("none", "suggest", "down") if r in found)


@dataclass(frozen=True)
class Page:
    team: Team
    groups: list[Group]  # this page's groups
    page: int
    pages: int
    total: int  # groups in all pages
    several_teams: bool  # the user may look at other teams too (show a way back to them)


# The classifier's verdicts per matcher and wording (a matcher never changes; a new one, after
# /reload or an attach, judges afresh).
_VERDICTS: WeakKeyDictionary[Matcher, dict[str, bool]] = WeakKeyDictionary()
_MAX_VERDICTS = 100_000


def _is_chatter(library: Library, group: Group) -> bool:
    """Whether the current classifier judges the group no work question (chatter logged under
    an older knowledge). A group with any suggestion or 👎 in it was a work question."""
    if any(q.tier != "none" for q in group.questions):
        return False
    memo = _VERDICTS.setdefault(library.matcher, {})
    text = group.wordings[0]
    if text not in memo:
        if len(memo) >= _MAX_VERDICTS:
            memo.clear()
        memo[text] = library.matcher.search(text, k=1).tier == "offtopic"
    return memo[text]


def work_groups(library: Library, groups: list[Group], upto: int | None = None) -> list[Group]:
    """The groups without those the classifier now judges no work question, so chatter never
    reaches a supervisor. Only the first `upto` kept groups are judged (a search each): the
    rest are judged when their page is shown."""
    kept: list[Group] = []
    for n, group in enumerate(groups):
        if upto is not None and len(kept) >= upto:
            return kept + groups[n:]
        if not _is_chatter(library, group):
            kept.append(group)
    return kept


def group_questions(library: Library, questions: Sequence[Unanswered]) -> list[Group]:
    """Group similar wordings (newest first): folded with the matcher's own normaliser, then
    joined to the first group whose first wording scores >= SIMILAR (token_set_ratio)."""
    norm = library.matcher.norm
    folded = [_CJK_GAP.sub("", f) for f in norm.normalize_many([q.text for q in questions])]
    members: list[list[int]] = []  # indexes into questions, per group
    leaders: dict[int, str] = {}  # group index -> its first folded wording
    exact: dict[str, int] = {}
    for i, key in enumerate(folded):
        if not key:
            continue
        g = exact.get(key)
        if g is None:
            found = process.extractOne(
                key, leaders, scorer=fuzz.token_set_ratio, processor=None, score_cutoff=SIMILAR
            )
            if found is None:
                g = len(members)
                members.append([])
                leaders[g] = key
            else:
                g = int(found[2])
            exact[key] = g
        members[g].append(i)
    groups = []
    for idx in members:
        qs = tuple(questions[i] for i in idx)
        # One wording per folded form (the newest way it was typed).
        by_form: dict[str, str] = {}
        for i in idx:
            by_form.setdefault(folded[i], questions[i].text.strip())
        wordings = tuple(by_form.values())
        suggested = tuple(dict.fromkeys(q.card for q in qs if q.tier == "suggest" and q.card))
        groups.append(
            Group(
                id=qs[0].id,
                team_id=qs[0].team_id,
                questions=qs,
                wordings=wordings,
                people=len({q.user_id for q in qs}),
                suggested=suggested[:MAX_SUGGESTED],
            )
        )
    return groups


def team_groups(db: Database, library: Library, team_id: int, now: datetime) -> list[Group]:
    """A team's unanswered groups of the last WINDOW_DAYS, newest first."""
    since = now - timedelta(days=WINDOW_DAYS)
    questions = storage.unanswered_questions(db, team_id, since, now, FOLLOW_MINUTES)
    return group_questions(library, questions)


def teams_of(db: Database, user: User) -> list[Team]:
    """The teams whose unanswered questions the user may see (none unless they may at all)."""
    if not may(user, "unanswered"):
        return []
    scope = set(team_ids_in_scope(db, user))
    return [t for t in storage.list_teams(db) if t.id in scope]


def page_of(
    db: Database, library: Library, user: User, team_id: int, page: int, now: datetime
) -> Page | None:
    """One page of a team's groups, or None when the user may not see that team."""
    if not may(user, "unanswered"):
        return None
    scope = team_ids_in_scope(db, user)
    if team_id not in scope:
        return None
    team = storage.get_team(db, team_id)
    if team is None:
        return None
    groups = team_groups(db, library, team_id, now)
    pages = max(1, -(-len(groups) // PAGE))
    page = min(max(page, 0), pages - 1)
    groups = work_groups(library, groups, upto=(page + 1) * PAGE)
    pages = max(1, -(-len(groups) // PAGE))
    page = min(page, pages - 1)
    shown = groups[page * PAGE : (page + 1) * PAGE]
    return Page(team, shown, page, pages, len(groups), several_teams=len(scope) > 1)


def find_group(
    db: Database, library: Library, user: User, question_id: int, now: datetime
) -> Group | None:
    """The current group holding `question_id`, if the user may see its team and it is still
    unanswered (not attached, dismissed, deleted or too old)."""
    if not may(user, "unanswered"):
        return None
    team_id = storage.question_team(db, question_id)
    if team_id is None or not sees_team(db, user, team_id):
        return None
    for group in team_groups(db, library, team_id, now):
        if any(q.id == question_id for q in group.questions):
            return None if _is_chatter(library, group) else group
    return None


def attach(
    db: Database,
    library: Library,
    user: User,
    question_id: int,
    card_id: str,
    now: datetime,
) -> tuple[Group, Library] | None:
    """Attach a group to a card: its wordings become learned aliases of the card (stored,
    and in the returned library at once) and the group leaves the list. None when the group
    or the card is not there or not the user's to change."""
    if card_id not in library.kb.cards:
        return None
    group = find_group(db, library, user, question_id, now)
    if group is None:
        return None
    texts = list(group.wordings[:MAX_ALIASES])
    storage.review_questions(
        db,
        [q.id for q in group.questions],
        "attached",
        user.id,
        now,
        aliases=[(text, card_id, group.team_id) for text in texts],
    )
    return group, library.with_aliases((card_id, text) for text in texts)


def dismiss(
    db: Database, library: Library, user: User, question_id: int, now: datetime
) -> Group | None:
    """Dismiss a group: stored, and not shown again (a later question is a new one)."""
    group = find_group(db, library, user, question_id, now)
    if group is None:
        return None
    storage.review_questions(db, [q.id for q in group.questions], "dismissed", user.id, now)
    return group


def learned(db: Database) -> list[tuple[str, str]]:
    """Every stored alias as (card id, text), in the order they were attached."""
    return [(a.card, a.text) for a in storage.learned_aliases(db)]


def with_learned(db: Database, library: Library) -> Library:
    """The library with every alias stored in the database (at start-up)."""
    return library.with_aliases(learned(db))
