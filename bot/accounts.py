"""Who is talking to the bot: letting members in, /start with invites, consent, language,
privacy and deleting one's data. Plain functions over the database; no Telegram here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlite_utils import Database

from bot import storage
from bot.access import Admission, Visitor, admit
from bot.reminders import ReminderScheduler
from bot.settings import Settings
from bot.storage import User

__all__ = ["Gate", "User", "Welcome", "consent", "forget", "let_in", "start"]

Refusal = Literal["stranger", "consent"]


@dataclass(frozen=True)
class Gate:
    """The outcome of letting an update's sender in: a member, or why not."""

    user: User | None
    refusal: Refusal | None
    lang: str


def let_in(
    db: Database,
    settings: Settings,
    who: Visitor,
    now: datetime,
    reminders: ReminderScheduler | None = None,
) -> Gate:
    """The consented member behind a message or button, or the reason they are not one."""
    user, how = admit(db, settings, who, None, now)
    if user is None:
        return Gate(None, "stranger", who.language)
    if how in ("admin", "open") or not user.consented:
        return Gate(None, "consent", user.language)
    if not user.active:
        # They blocked the bot once and are back: reminders resume.
        storage.set_active(db, user.id, True)
        if reminders is not None:
            reminders.refresh(db, user.id)
    return Gate(user, None, user.language)


def language_of(db: Database, who: Visitor) -> str:
    """The stored choice, else the one from Telegram's settings."""
    user = storage.get_user(db, who.id)
    return user.language if user is not None else who.language


@dataclass(frozen=True)
class Welcome:
    """What /start led to."""

    user: User | None
    how: Admission
    lang: str
    team: str | None  # the team's name, for "welcome to …"
    needs_consent: bool


def start(
    db: Database, settings: Settings, who: Visitor, payload: str | None, now: datetime
) -> Welcome:
    """/start with an optional invite code (at most 64 characters are looked at)."""
    user, how = admit(db, settings, who, payload[:64] if payload else None, now)
    lang = user.language if user else who.language
    team = storage.get_team(db, user.team_id) if user else None
    return Welcome(
        user,
        how,
        lang,
        team.name if team else None,
        user is not None and not user.consented,
    )


def consent(
    db: Database,
    user_id: int,
    agree: bool,
    now: datetime,
    reminders: ReminderScheduler | None = None,
) -> Literal["stranger", "agreed", "declined", "withdrawn"]:
    """Record a yes or no to the privacy notice; reminders start with a yes.

    A no from someone who never agreed deletes their row (name, username, team: all that
    joining stored), so nothing but the fact they left is kept; to come back they open an
    invite link again. A no from someone who had agreed withdraws consent: nothing more is
    recorded and no reminders are sent, what was recorded stays until they send /forgetme.
    """
    user = storage.get_user(db, user_id)
    if user is None:
        return "stranger"
    if not agree:
        if reminders is not None:
            reminders.cancel(user_id)
        if not user.consented:
            storage.delete_user(db, user_id)
            return "declined"
        storage.set_consent(db, user_id, None)
        return "withdrawn"
    if not user.consented:
        storage.set_consent(db, user_id, now)
        if reminders is not None:
            reminders.refresh(db, user_id)
    return "agreed"


def consented_at(db: Database, user_id: int) -> tuple[User | None, datetime | None]:
    """The user (if any) and when they agreed (None: not yet, or not a user)."""
    user = storage.get_user(db, user_id)
    if user is None or not user.consented or not user.consent_at:
        return user, None
    return user, storage.parse_iso(user.consent_at)


def forget(db: Database, user_id: int, reminders: ReminderScheduler | None = None) -> bool:
    """Delete everything about the user; False if there was nothing."""
    if reminders is not None:
        reminders.cancel(user_id)
    return storage.delete_user(db, user_id)


def is_user(db: Database, user_id: int) -> bool:
    return storage.get_user(db, user_id) is not None


def set_language(db: Database, user_id: int, choice: str) -> bool:
    """Store the chosen language for a consented user; False for anyone else."""
    user = storage.get_user(db, user_id)
    if user is None or not user.consented:
        return False
    storage.set_language(db, user_id, choice)
    return True
