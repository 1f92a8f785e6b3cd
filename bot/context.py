"""The custom PTB context: typed access to the database, knowledge, matcher and settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlite_utils import Database
from telegram.ext import Application, CallbackContext, ExtBot

from bot.accounts import Gate
from bot.charts import SentCharts
from bot.reminders import ReminderScheduler
from bot.settings import Settings
from bot.storage import utcnow
from knowledge.library import Library
from knowledge.matcher import Matcher
from knowledge.models import Knowledge


class BotState:
    """Resources opened in post_init and closed in post_shutdown (PTB's bot_data)."""

    def __init__(self) -> None:
        self.settings: Settings | None = None
        self.db: Database | None = None
        self.library: Library | None = None
        self.reminders: ReminderScheduler | None = None
        self.clock: Callable[[], datetime] = utcnow
        self.charts = SentCharts()  # file ids of charts sent, to send again without drawing

    @property
    def kb(self) -> Knowledge:
        assert self.library is not None, "knowledge not loaded (post_init)"
        return self.library.kb

    @property
    def matcher(self) -> Matcher:
        assert self.library is not None, "knowledge not loaded (post_init)"
        return self.library.matcher


class ShopContext(CallbackContext[ExtBot[None], dict, dict, BotState]):  # type: ignore[type-arg]
    """CallbackContext with typed properties instead of untyped bot_data lookups."""

    def __init__(
        self,
        application: Application,
        chat_id: int | None = None,  # type: ignore[type-arg]
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        # The sender's gate, kept by a handler of an earlier group for the next one of the
        # same update (PTB gives each update one context): see handlers.common.member.
        self.kept_gate: Gate | None = None

    @property
    def state(self) -> BotState:
        return self.bot_data

    @property
    def db(self) -> Database:
        assert self.bot_data.db is not None, "database not opened (post_init)"
        return self.bot_data.db

    @property
    def reminders(self) -> ReminderScheduler | None:
        return self.bot_data.reminders

    @property
    def library(self) -> Library:
        assert self.bot_data.library is not None
        return self.bot_data.library

    @property
    def kb(self) -> Knowledge:
        return self.library.kb

    @property
    def matcher(self) -> Matcher:
        return self.library.matcher

    @property
    def settings(self) -> Settings:
        assert self.bot_data.settings is not None
        return self.bot_data.settings

    def now(self) -> datetime:
        return self.bot_data.clock()
