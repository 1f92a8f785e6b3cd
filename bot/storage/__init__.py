"""All SQL lives in this package: the schema, then one module of plain functions per area.

Callers use the package (`from bot import storage; storage.get_user(db, uid)`). Modules:
`base` (time format, roles, helpers) ← `schema` (migrations, open_db) and the areas
`users`, `questions`, `drills`, `reminders`, `walks`. A new area gets its own module here, such as
`reports.py` for supervisor queries, `export.py` or `backup.py`, importing `base` (and
other areas if it must, never in a cycle), and is star-imported below
(every public name of every area module is the package's).
"""

from __future__ import annotations

from bot.storage.backup import *
from bot.storage.base import *
from bot.storage.base import ROLES, Role, atomic, iso, parse_iso, utcnow
from bot.storage.drills import *
from bot.storage.drills import (
    Drill,
    DrillItem,
    active_drill,
    answers_between,
    cards_looked_up_since,
    drill_items,
    drop_item,
    finish_drill,
    finished_drill_times,
    get_drill,
    get_item,
    last_drill_started,
    mark_sent,
    next_item,
    record_answer,
    record_card_view,
    srs_states,
    start_drill,
)
from bot.storage.export import *
from bot.storage.learned import (
    LearnedAlias,
    Unanswered,
    count_learned_aliases,
    learned_aliases,
    question_team,
    read_learned_aliases,
    review_questions,
    unanswered_questions,
)
from bot.storage.membership import *
from bot.storage.questions import *
from bot.storage.questions import count_rows, get_question, log_question, set_feedback, unanswered
from bot.storage.reminders import *
from bot.storage.reminders import (
    Reminder,
    get_reminder,
    mark_reminder_sent,
    reminder_users,
    set_reminder,
)
from bot.storage.reports import *
from bot.storage.schema import *
from bot.storage.schema import SchemaTooNewError, migrate, migrations, open_db, schema_version
from bot.storage.users import *
from bot.storage.users import (
    Invite,
    InviteOutcome,
    Team,
    User,
    add_lead,
    create_invite,
    create_team,
    create_user,
    default_team,
    delete_user,
    get_invite,
    get_team,
    get_user,
    led_team_ids,
    list_teams,
    redeem_invite,
    remove_lead,
    set_active,
    set_consent,
    set_language,
    set_role,
    team_leads,
    team_members,
    update_profile,
)
from bot.storage.walks import (
    WalkAnswer,
    WalkRow,
    advance_walk,
    get_walk,
    open_escalations,
    open_walk,
    set_evidence,
    set_since,
    set_walk_status,
    start_walk,
    step_outcomes,
    take_walk,
    walk_answers,
    walk_counts,
    walks_between,
)

__all__ = [
    "ROLES",
    "Drill",
    "DrillItem",
    "Invite",
    "InviteOutcome",
    "LearnedAlias",
    "Reminder",
    "Role",
    "SchemaTooNewError",
    "Team",
    "Unanswered",
    "User",
    "WalkAnswer",
    "WalkRow",
    "active_drill",
    "add_lead",
    "advance_walk",
    "answers_between",
    "atomic",
    "cards_looked_up_since",
    "count_learned_aliases",
    "count_rows",
    "create_invite",
    "create_team",
    "create_user",
    "default_team",
    "delete_user",
    "drill_items",
    "drop_item",
    "finish_drill",
    "finished_drill_times",
    "get_drill",
    "get_invite",
    "get_item",
    "get_question",
    "get_reminder",
    "get_team",
    "get_user",
    "get_walk",
    "iso",
    "last_drill_started",
    "learned_aliases",
    "led_team_ids",
    "list_teams",
    "log_question",
    "mark_reminder_sent",
    "mark_sent",
    "migrate",
    "migrations",
    "next_item",
    "open_db",
    "open_escalations",
    "open_walk",
    "parse_iso",
    "question_team",
    "read_learned_aliases",
    "record_answer",
    "record_card_view",
    "redeem_invite",
    "reminder_users",
    "remove_lead",
    "review_questions",
    "schema_version",
    "set_active",
    "set_consent",
    "set_evidence",
    "set_feedback",
    "set_language",
    "set_reminder",
    "set_role",
    "set_since",
    "set_walk_status",
    "srs_states",
    "start_drill",
    "start_walk",
    "step_outcomes",
    "take_walk",
    "team_leads",
    "team_members",
    "unanswered",
    "unanswered_questions",
    "update_profile",
    "utcnow",
    "walk_answers",
    "walk_counts",
    "walks_between",
]
