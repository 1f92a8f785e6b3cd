"""/me (progress as text; the chart is drawn by bot.charts) and /settings (reminder)."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from bot import callbacks
from bot.progress import Progress
from bot.render.base import Rows, View, kl, pct
from bot.storage import Reminder
from bot.texts import Html, plain, t
from knowledge.models import Knowledge


def me_text(kb: Knowledge, name: str, p: Progress, lang: str, started: bool) -> Html:
    k = kl(lang)
    lines = [
        t("me.title", lang, name=name),
        t("me.streak", lang, streak=p.streak),
        t(
            "me.week",
            lang,
            drills=p.drills_this_week,
            answers=p.answers_this_week,
            accuracy=pct(p.accuracy_this_week),
        ),
        "",
        t("me.mastery", lang),
    ]
    for task_id, value in p.task_mastery.items():
        bar = "▓" * round(value * 10) + "░" * (10 - round(value * 10))
        lines.append(f"{task_id} {bar} {pct(value)} {escape(kb.tasks[task_id].title.get(k))}")
    lines += ["", t("me.weakest", lang)]
    lines += [
        f"• {a} {escape(kb.activities[a].title.get(k))} ({pct(p.activity_mastery[a])})"
        for a in p.weakest
    ]
    if not started:
        lines += ["", t("me.none_yet", lang)]
    return Html("\n".join(lines))


def task_titles(kb: Knowledge, task_ids: Iterable[str], lang: str) -> dict[str, str]:
    """Task titles for the /me chart, in the user's language."""
    return {task_id: kb.tasks[task_id].title.get(kl(lang)) for task_id in task_ids}


def settings_view(rem: Reminder, lang: str, tz: str, digest: bool | None = None) -> View:
    """The reminder settings with their buttons (which act only for `rem.user_id`)."""
    uid = rem.user_id
    names = plain("day.names", lang).split(",")
    days = plain("day.join", lang).join(names[d - 1] for d in rem.days)
    text = t(
        "settings.show",
        lang,
        state=plain("settings.on" if rem.enabled else "settings.off", lang),
        time=rem.time,
        tz=tz,
        days=days or "—",
    )
    switch = (
        (plain("btn.rem_off", lang), callbacks.SETTINGS.encode("off", uid))
        if rem.enabled
        else (plain("btn.rem_on", lang), callbacks.SETTINGS.encode("on", uid))
    )
    rows: Rows = [
        [switch],
        [
            (tm, callbacks.SETTINGS.encode("t", tm.replace(":", ""), uid))
            for tm in callbacks.REMINDER_TIMES
        ],
        [
            (plain("btn.days_weekdays", lang), callbacks.SETTINGS.encode("d", "wk", uid)),
            (plain("btn.days_all", lang), callbacks.SETTINGS.encode("d", "all", uid)),
            (plain("btn.days_weekend", lang), callbacks.SETTINGS.encode("d", "we", uid)),
        ],
    ]
    if digest is not None:  # supervisors: the Monday digest on or off
        key, flip = ("settings.digest_on", "off") if digest else ("settings.digest_off", "on")
        rows.append([(plain(key, lang), callbacks.SETTINGS.encode("g", flip, uid))])
    return text, rows
