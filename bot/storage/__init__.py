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
from bot.storage.digests import *
from bot.storage.drills import *
from bot.storage.export import *
from bot.storage.learned import *
from bot.storage.membership import *
from bot.storage.questions import *
from bot.storage.reminders import *
from bot.storage.reports import *
from bot.storage.schema import *
from bot.storage.users import *
from bot.storage.walks import *
