"""The composition root: build the PTB Application from settings, register every handler."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from telegram import Bot, BotCommand, Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import access, backups, callbacks, digest, memory, storage, unanswered
from bot.context import BotState, ShopContext
from bot.jsonrequest import JsonRequest
from bot.ratelimit import PacedRateLimiter
from bot.reminders import ReminderScheduler, expire_drills
from bot.settings import Settings
from bot.texts import both, plain
from bot.updates import PerChatProcessor
from handlers import (
    admin,
    ask,
    browse,
    drill,
    errors,
    members,
    progress,
    reminders,
    start,
    supervisor,
    walk,
)
from handlers import backup as backup_handlers
from handlers import digest as digest_handlers
from handlers import export as export_handlers
from handlers import unanswered as unanswered_handlers
from knowledge.library import Library, load_library
from knowledge.loader import KnowledgeError

log = logging.getLogger("shopcoach")

# Connections to the Bot API. httpcore's pool, each time a request starts or ends, looks at
# every connection and, for each idle one, counts them all again: with PTB's default of 256
# and updates handled concurrently, that scan was the bot's largest cost under load
# (bench/bench_throughput.py). Telegram needs few: ~30 messages a second, button answers.
HTTP_CONNECTIONS = 16
# How long a request may wait for one of them. It has not left yet, so waiting is always
# safe; PTB's 1 s turned a burst of updates on a busy machine into failed replies.
HTTP_POOL_WAIT = 30.0

# The menu staff see; supervisor and admin commands are listed by /help.
MENU = ("drill", "me", "browse", "settings", "help", "lang", "privacy", "forgetme", "start")


def build_application(
    settings: Settings,
    *,
    clock: Callable[[], datetime] | None = None,
    mode: str = "polling",
    library: Library | None = None,
    request: BaseRequest | None = None,
    minute_sweep: bool = True,
    http_timeout: float | None = None,
) -> Application:  # type: ignore[type-arg]
    """The whole bot, ready for run_polling/run_webhook or initialize/start in tests.

    `library` is the knowledge and matcher already built (tests share one); without it they
    are loaded from the knowledge files at start-up. `request` is an in-process request
    layer (tests that push thousands of updates); with it there is no rate limiter.
    `minute_sweep=False` leaves out the every-minute reminder job (tests with a fake clock call
    `sweep` themselves); `http_timeout` shortens PTB's 5 s timeouts (fault tests).
    """
    context_types = ContextTypes(context=ShopContext, bot_data=BotState)
    # Held while the bot runs, so `python -m bot restore` refuses to swap the file under it.
    db_lock = backups.DatabaseLock(settings.database_path)

    async def post_init(app: Application) -> None:  # type: ignore[type-arg]
        state: BotState = app.bot_data
        state.settings = settings
        if not db_lock.acquire():
            raise backups.DatabaseInUseError(db_lock.holder())
        if clock is not None:
            state.clock = clock
        state.library = library or load_library(settings.extra_knowledge_dir, apart=True)
        state.db = storage.open_db(settings.database_path)
        # The wordings supervisors attached to cards (/unanswered): the matcher learns them.
        state.library = unanswered.with_learned(state.db, state.library)
        # ADMIN_USER_IDS is the truth at every start: ids removed from it lose admin rights.
        demoted = access.sync_admins(state.db, settings.admin_user_ids)
        if demoted:
            log.info("%d admin(s) no longer in ADMIN_USER_IDS lost admin rights", demoted)
        for code, lang in (("zh", "zh-TW"), ("en", "en"), (None, settings.default_language)):
            await app.bot.set_my_commands(
                [BotCommand(c, plain(f"cmd.{c}", lang)) for c in MENU], language_code=code
            )
        now = state.clock()

        async def send_one(user_id: int) -> None:
            await reminders.send_reminder(ShopContext(app), user_id)

        state.reminders = ReminderScheduler(settings.tz, send_one)
        # Before polling starts: yesterday's unfinished drills end; a drill the last run
        # left without its next question gets it now (answers were committed before acks).
        expire_drills(state.db, now, settings.tz)
        resumed = await drill.resume_stalled(ShopContext(app))
        # Reminders missed while down are due at the first sweep, right after start.
        state.reminders.start(app.job_queue, now, every_minute=minute_sweep)
        backups.schedule_daily(
            app.job_queue, settings.daily_backup_at, backup_handlers.daily_backup
        )
        if app.job_queue is not None and minute_sweep:
            # Monday at DIGEST_TIME; and once now, for a digest missed while the bot was down
            # (the service sends nothing that is not due or was already sent this week).
            # Tests with a fake clock leave these out with the minute sweep, and call the job.
            app.job_queue.run_daily(
                digest_handlers.send_digests,
                time=digest.DIGEST_TIME.replace(tzinfo=settings.tz),
                days=(1,),  # PTB counts 0 = Sunday
                name="digest",
            )
            app.job_queue.run_once(digest_handlers.send_digests, 1, name="digest:catch-up")
        # Knowledge, matcher and modules live as long as the process: collect the build's
        # garbage, freeze the rest out of the collector's full passes, trim the heap.
        memory.settle()
        log.info(
            "ShopCoach started as @%s, mode %s, database %s (%d drills resumed)",
            app.bot.username,
            mode,
            settings.database_path,
            resumed,
        )

    async def post_shutdown(app: Application) -> None:  # type: ignore[type-arg]
        state: BotState = app.bot_data
        if state.reminders is not None:
            await state.reminders.stop()
        if state.db is not None:
            state.db.close()
            state.db = None
        db_lock.release()

    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_base_url.replace("/bot", "/file/bot"))
        .defaults(Defaults(tzinfo=settings.tz))
        # Chats run concurrently, each chat's updates in order (no head-of-line blocking).
        .concurrent_updates(PerChatProcessor())
        .context_types(context_types)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:
        timeout = 5.0 if http_timeout is None else http_timeout  # PTB's default: 5 s
        builder = builder.request(
            JsonRequest(
                connection_pool_size=HTTP_CONNECTIONS,
                read_timeout=timeout,
                write_timeout=timeout,
                connect_timeout=timeout,
                pool_timeout=HTTP_POOL_WAIT,
            )
        )
    if request is None and settings.rate_limit:
        # Replies before reminders, under 30 messages/s; 429s waited out; safe retries only.
        builder = builder.rate_limiter(PacedRateLimiter())  # type: ignore[arg-type]
    app = builder.build()
    register_handlers(app)
    return app


def register_handlers(app: Application) -> None:  # type: ignore[type-arg]
    """Every handler, in one place. Order matters within group 0: first match wins."""
    only_new = filters.UpdateType.MESSAGE  # edited messages are ignored quietly
    commands: list[tuple[str, Callable]] = [  # type: ignore[type-arg]
        ("start", start.start),
        ("help", start.help_command),
        ("lang", start.lang_command),
        ("privacy", start.privacy),
        ("forgetme", start.forgetme),
        ("browse", browse.browse),
        ("ask", ask.ask_command),
        ("newteam", admin.newteam),
        ("invite", admin.invite),
        ("teams", admin.teams_command),
        ("reload", admin.reload_knowledge),
        ("drill", drill.drill_command),
        ("stop", drill.stop_command),
        ("me", progress.me),
        ("settings", progress.settings_command),
        # members and links, admin figures (issue 12)
        ("remove", members.remove_command),
        ("promote", members.promote),
        ("demote", members.demote),
        ("stats", members.stats),
        ("team", supervisor.team_command),
        ("member", supervisor.member_command),
        ("export", export_handlers.export_command),
        ("backup", backup_handlers.backup_command),
        ("unanswered", unanswered_handlers.unanswered_command),
        ("faults", walk.faults_command),
    ]
    private = filters.ChatType.PRIVATE
    # Questions first: most updates are one, and no command or button handler takes text
    # that is not a command, so they need not be asked one by one before it.
    app.add_handler(
        MessageHandler(only_new & filters.TEXT & ~filters.COMMAND & private, ask.private_text)
    )
    app.add_handler(
        MessageHandler(
            only_new & filters.TEXT & ~filters.COMMAND & filters.ChatType.GROUPS, ask.group_text
        )
    )
    for name, callback in commands:
        app.add_handler(CommandHandler(name, callback, filters=only_new))
    buttons = [
        (callbacks.CONSENT, start.consent),
        (callbacks.FORGET, start.forget_button),
        (callbacks.LANG, start.lang_button),
        (callbacks.CARD, ask.card_button),
        (callbacks.FEEDBACK, ask.feedback_button),
        (callbacks.BROWSE, browse.browse_button),
        (callbacks.DRILL, drill.drill_button),
        (callbacks.SETTINGS, progress.settings_button),
        (callbacks.REMOVE, members.remove_button),
        (callbacks.INVITE, members.revoke_button),
        (callbacks.TEAM, supervisor.team_button),
        (callbacks.EXPORT, export_handlers.export_button),
        (callbacks.UNANSWERED, unanswered_handlers.unanswered_button),
        (callbacks.WALK, walk.walk_button),
    ]
    buttons.append((callbacks.DIGEST, digest_handlers.digest_button))
    for kind, callback in buttons:
        app.add_handler(CallbackQueryHandler(callback, pattern=kind.pattern))
    # Anything else pressed is stale or forged: answer it so the button stops spinning.
    app.add_handler(CallbackQueryHandler(errors.stale_button))
    # Group -1 runs first: a photo or text while a walk-through waits for what the screen
    # said is taken there (ApplicationHandlerStop); anything else goes on to group 0.
    app.add_handler(
        MessageHandler(
            only_new & private & ((filters.TEXT & ~filters.COMMAND) | filters.PHOTO),
            walk.evidence,
        ),
        group=-1,
    )
    app.add_handler(MessageHandler(only_new & filters.COMMAND & private, errors.unknown_command))
    # Stickers, photos, voice, files in a private chat: say only text is read.
    # In groups, stay quiet.
    app.add_handler(
        MessageHandler(
            only_new & private & ~filters.TEXT & ~filters.StatusUpdate.ALL, errors.not_text
        )
    )
    app.add_error_handler(errors.on_error)  # type: ignore[arg-type]


def webhook_options(webhook_url: str, listen: str, port: int, secret: str) -> dict[str, Any]:
    """PTB webhook server options: Telegram must send the secret; other requests get 403."""
    # Serve on the same path as the public URL, so a reverse proxy can pass it through as is.
    path = urlparse(webhook_url).path.strip("/")
    return {
        "listen": listen,
        "port": port,
        "url_path": path,
        "secret_token": secret,
        "webhook_url": webhook_url,
        "allowed_updates": Update.ALL_TYPES,
    }


def configure_logging(level: str) -> None:
    """Log levels for a run: no names, message texts or user ids above DEBUG."""
    logging.getLogger().setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # APScheduler logs every job it adds or runs at INFO, and a reminder job's name holds
    # a user id; user ids appear only at DEBUG.
    logging.getLogger("apscheduler").setLevel(
        logging.DEBUG if level == "DEBUG" else logging.WARNING
    )


async def _check_token(settings: Settings) -> None:
    """One getMe before starting, so a rejected token is a clear message, not a retry loop."""
    async with Bot(settings.telegram_bot_token, base_url=settings.telegram_api_base_url) as bot:
        await bot.get_me()


def run_bot(
    settings: Settings,
    *,
    webhook_url: str | None,
    listen: str,
    port: int,
    secret_token: str | None,
) -> int:
    """Run until SIGINT/SIGTERM; return the process exit status."""
    # PTB 22 opts in to timedelta time periods with this; without it every 429 warns.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    configure_logging(settings.log_level)
    secret = secret_token or settings.webhook_secret
    if webhook_url and not secret:
        print(both("cli.no_webhook_secret"), file=sys.stderr)  # noqa: T201
        return 2
    try:
        asyncio.run(_check_token(settings))
    except InvalidToken:
        print(both("cli.token_rejected"), file=sys.stderr)  # noqa: T201
        return 2
    except NetworkError as exc:
        # Not fatal: the run below keeps retrying until Telegram is reachable.
        log.warning("cannot reach the Bot API yet (%s); will keep trying", exc)
    app = build_application(settings, mode="webhook" if webhook_url else "polling")
    try:
        if webhook_url:
            app.run_webhook(
                **webhook_options(webhook_url, listen, port, secret), bootstrap_retries=-1
            )
        else:
            app.run_polling(allowed_updates=Update.ALL_TYPES, bootstrap_retries=-1)
    except InvalidToken:
        print(both("cli.token_rejected"), file=sys.stderr)  # noqa: T201
        return 2
    except storage.SchemaTooNewError as exc:
        print(both("cli.schema_too_new", detail=str(exc)), file=sys.stderr)  # noqa: T201
        return 2
    except backups.DatabaseInUseError as exc:
        print(both("cli.database_in_use", pid=str(exc) or "?"), file=sys.stderr)  # noqa: T201
        return 2
    except KnowledgeError as exc:
        print(both("cli.bad_knowledge"), file=sys.stderr)  # noqa: T201
        print(str(exc), file=sys.stderr)  # noqa: T201
        return 1
    return 0
