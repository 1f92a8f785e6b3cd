"""Run the real ShopCoach Application against the fake Bot API server, with a fake clock."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.app import build_application
from bot.context import BotState
from bot.settings import Settings
from knowledge.library import Library, load_library
from tests.fakebot import Call, FakeBotApi, FakeUser

NOW = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)  # 09:30 in Taipei, a Monday
ADMIN = FakeUser(id=7001, first_name="Ada", username="ada_admin")
LINK_RE = re.compile(r"https://t\.me/shopcoach_test_bot\?start=([A-Za-z0-9_-]+)")


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class Harness:
    server: FakeBotApi
    app: Application  # type: ignore[type-arg]
    clock: Clock
    settings: Settings
    _pressed: dict[int, int] = field(default_factory=dict)

    @property
    def state(self) -> BotState:
        return self.app.bot_data  # type: ignore[no-any-return]

    async def say(
        self, user: FakeUser, text: str, replies: int = 1, chat: dict[str, Any] | None = None
    ) -> list[Call]:
        """`user` sends `text`; return the bot's next `replies` messages to that chat."""
        self.server.send_text(user, text, chat)
        return await self.server.wait_for_reply(chat["id"] if chat else user.id, replies)

    async def press(self, user: FakeUser, message: Call, data: str) -> Call:
        """Press a button under a bot message; return the answerCallbackQuery call."""
        before = len(self.server.calls_of("answerCallbackQuery"))
        self.server.press(user, message.result["message_id"], data)
        await self.server.wait_for(lambda s: len(s.calls_of("answerCallbackQuery")) > before)
        return self.server.calls_of("answerCallbackQuery")[before]

    async def sweep(self) -> int:
        """Run the reminder sweep at the fake clock's time and wait until what it found is sent."""
        reminders = self.state.reminders
        assert reminders is not None and self.state.db is not None
        queued = reminders.sweep(self.state.db, self.clock())
        await reminders.drain()
        return queued

    async def digest(self) -> None:
        """Run the weekly digest job at the fake clock's time (as the Monday and start-up jobs
        would) and let it send."""
        from bot.context import ShopContext
        from handlers.digest import send_digests

        await send_digests(ShopContext(self.app))

    async def quiet(self, seconds: float = 0.3) -> None:
        """Let the bot process what was sent (for asserting that nothing was sent)."""
        import asyncio

        await asyncio.sleep(seconds)

    async def join(self, user: FakeUser, code: str | None) -> None:
        """/start (with an invite code) and agree to the privacy notice."""
        replies = await self.say(
            user, f"/start {code}" if code else "/start", replies=2 if code else 1
        )
        prompt = replies[-1]
        assert buttons(prompt)[0][1] == f"consent:yes:{user.id}", prompt.text
        await self.press(user, prompt, f"consent:yes:{user.id}")
        await self.server.wait_for_reply(user.id)  # the edited "thanks" message


def buttons(call: Call) -> list[tuple[str, str]]:
    """All (label, callback_data) pairs of a sent message's inline keyboard."""
    markup = call.params.get("reply_markup") or {}
    return [
        (b["text"], b.get("callback_data", ""))
        for row in markup.get("inline_keyboard", [])
        for b in row
    ]


def invite_code(call: Call) -> str:
    match = LINK_RE.search(call.text or "")
    assert match, call.text
    return match.group(1)


def make_settings(server: FakeBotApi, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": server.token,
        "telegram_api_base_url": f"{server.url}/bot",
        "database_path": tmp_path / "shop.db",
        # Never the default data/backups under the working directory (a /backup or the daily job).
        "backup_dir": tmp_path / "backups",
        "admin_user_ids": frozenset({ADMIN.id}),
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@cache
def shipped_library() -> Library:
    """The shipped knowledge and matcher, built once per test run (they are immutable)."""
    return load_library()


@asynccontextmanager
async def running_app(
    server: FakeBotApi,
    settings: Settings,
    clock: Clock,
    *,
    real_startup: bool = False,
    http_timeout: float | None = None,
) -> AsyncIterator[Harness]:
    """The real Application, polling the fake server, until the block ends (a clean stop).

    It shares the run's one knowledge and matcher unless `real_startup` asks it to load them
    from the files the way `python -m bot run` does.
    """
    library = None if real_startup or settings.extra_knowledge_dir else shipped_library()
    # The fake clock stands still: the every-minute reminder sweep (real time) is left out;
    # tests sweep with `h.sweep()`. The start-up sweep still runs, as in `python -m bot run`.
    app = build_application(
        settings, clock=clock, library=library, minute_sweep=False, http_timeout=http_timeout
    )
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        yield Harness(server, app, clock, settings)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


@asynccontextmanager
async def running_bot(
    tmp_path: Path, *, real_startup: bool = False, **overrides: Any
) -> AsyncIterator[Harness]:
    async with (
        FakeBotApi() as server,
        running_app(
            server,
            make_settings(server, tmp_path, **overrides),
            Clock(),
            real_startup=real_startup,
        ) as harness,
    ):
        yield harness
