"""/me (streak, accuracy, mastery, chart) and /settings (daily reminder)."""

from __future__ import annotations

import asyncio
from html import escape

from telegram import Update
from telegram.constants import ParseMode

from bot import charts, progress, storage
from bot.context import ShopContext
from bot.render import Button
from bot.storage import Reminder
from bot.texts import t
from handlers import reminders
from handlers.common import markup, member, send

PRESET_TIMES = ("08:00", "09:30", "12:30", "14:00", "17:00")
PRESET_DAYS = {"wk": (1, 2, 3, 4, 5), "all": (1, 2, 3, 4, 5, 6, 7), "we": (6, 7)}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{round(100 * value)}%"


async def me(update: Update, context: ShopContext) -> None:
    """/me: progress as text and as a chart."""
    user = await member(update, context)
    message = update.effective_message
    if user is None or message is None:
        return
    lang, kl = user.language, ("en" if user.language == "en" else "zh")
    p = progress.progress(context.db, context.kb, user.id, context.now(), context.settings.tz)
    lines = [
        t("me.title", lang, name=escape(user.first_name or str(user.id))),
        t("me.streak", lang, streak=p.streak),
        t(
            "me.week",
            lang,
            drills=p.drills_this_week,
            answers=p.answers_this_week,
            accuracy=_pct(p.accuracy_this_week),
        ),
        "",
        t("me.mastery", lang),
    ]
    for task_id, value in p.task_mastery.items():
        bar = "▓" * round(value * 10) + "░" * (10 - round(value * 10))
        lines.append(
            f"{task_id} {bar} {_pct(value)} {escape(context.kb.tasks[task_id].title.get(kl))}"
        )
    lines += ["", t("me.weakest", lang)]
    lines += [
        f"• {a} {escape(context.kb.activities[a].title.get(kl))} ({_pct(p.activity_mastery[a])})"
        for a in p.weakest
    ]
    if not storage.finished_drill_times(context.db, user.id) and not p.answers_this_week:
        lines += ["", t("me.none_yet", lang)]
    await send(message, "\n".join(lines))
    # Rendering takes a few hundred ms of CPU: keep the event loop free meanwhile.
    names = {task_id: context.kb.tasks[task_id].title.get(kl) for task_id in p.task_mastery}
    png = await asyncio.to_thread(charts.progress_chart, p.task_mastery, p.weekly, lang, names)
    await message.reply_photo(png, caption=t("me.chart_caption", charts.chart_language(lang)))


def settings_view(rem: Reminder, lang: str, tz: str) -> tuple[str, list[list[Button]]]:
    names = t("day.names", lang).split(",")
    days = (
        "、".join(names[d - 1] for d in rem.days)
        if lang != "en"
        else ", ".join(names[d - 1] for d in rem.days)
    )
    text = t(
        "settings.show",
        lang,
        state=t("settings.on" if rem.enabled else "settings.off", lang),
        time=rem.time,
        tz=tz,
        days=days or "—",
    )
    rows: list[list[Button]] = [
        [
            (t("btn.rem_off", lang), "set:off")
            if rem.enabled
            else (t("btn.rem_on", lang), "set:on")
        ],
        [(tm, f"set:t:{tm.replace(':', '')}") for tm in PRESET_TIMES],
        [
            (t("btn.days_weekdays", lang), "set:d:wk"),
            (t("btn.days_all", lang), "set:d:all"),
            (t("btn.days_weekend", lang), "set:d:we"),
        ],
    ]
    return text, rows


def _apply(context: ShopContext, rem: Reminder) -> None:
    if context.job_queue is not None:
        reminders.schedule(context.job_queue, context.state, rem)


async def settings_command(update: Update, context: ShopContext) -> None:
    """/settings [HH:MM]: show or change the daily reminder."""
    user = await member(update, context)
    message = update.effective_message
    if user is None or message is None:
        return
    lang = user.language
    rem = storage.get_reminder(context.db, user.id)
    if context.args:
        hhmm = progress.parse_hhmm(context.args[0])
        if hhmm is None:
            await send(message, t("settings.bad_time", lang))
            return
        rem = storage.set_reminder(context.db, user.id, time=hhmm, enabled=True)
        _apply(context, rem)
    text, rows = settings_view(rem, lang, context.settings.timezone)
    await send(message, text, rows)


async def settings_button(update: Update, context: ShopContext) -> None:
    """set:on | set:off | set:t:HHMM | set:d:wk|all|we."""
    query = update.callback_query
    assert query is not None
    user = await member(update, context, quiet=True)
    parts = (query.data or "").split(":")
    lang = user.language if user else context.settings.default_language
    change: dict[str, object] | None = None
    if parts in (["set", "on"], ["set", "off"]):
        change = {"enabled": parts[1] == "on"}
    elif len(parts) == 3 and parts[1] == "t" and progress.parse_hhmm(parts[2]):
        change = {"time": progress.parse_hhmm(parts[2])}
    elif len(parts) == 3 and parts[1] == "d" and parts[2] in PRESET_DAYS:
        change = {"days": PRESET_DAYS[parts[2]]}
    if user is None or change is None:
        await query.answer(t("input.stale", lang))
        return
    await query.answer(t("settings.saved", lang))
    rem = storage.set_reminder(context.db, user.id, **change)  # type: ignore[arg-type]
    _apply(context, rem)
    text, rows = settings_view(rem, lang, context.settings.timezone)
    await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup(rows))
