"""Joining and the account: welcome, consent, help, privacy, language, deleting one's data."""

from __future__ import annotations

from datetime import datetime

from bot import callbacks
from bot.accounts import Welcome
from bot.render.base import View
from bot.texts import Html, plain, t

# Admission outcomes that end /start with a short explanation.
_PROBLEMS = {
    "unknown": "invite.unknown",
    "expired": "invite.expired",
    "used_up": "invite.used_up",
    "stranger": "stranger",
}


def stranger(lang: str) -> View:
    return t("stranger", lang), []


def consent_prompt(lang: str, user_id: int) -> View:
    rows = [
        [
            (plain("btn.agree", lang), callbacks.CONSENT.encode("yes", user_id)),
            (plain("btn.decline", lang), callbacks.CONSENT.encode("no", user_id)),
        ]
    ]
    return Html(f"{t('privacy', lang)}\n\n{t('privacy.ask', lang)}"), rows


def help_text(role: str, lang: str, in_group: bool = False) -> Html:
    parts = [t("help.staff", lang)]
    if role in ("supervisor", "admin"):
        parts.append(t("help.supervisor", lang))
    if role == "admin":
        parts.append(t("help.admin", lang))
    text = "\n".join(parts)
    if in_group:
        text += "\n\n" + t("help.group", lang)
    return Html(text)


def welcome(w: Welcome) -> list[View]:
    """The messages /start answers with, in order."""
    problem = _PROBLEMS.get(w.how)
    if problem is not None or w.user is None:
        return [(t(problem or "stranger", w.lang), [])]
    views: list[View] = []
    if w.team is not None and w.how in ("joined", "already_member"):
        key = "invite.joined" if w.how == "joined" else "invite.already_member"
        views.append((t(key, w.lang, team=w.team), []))
    views.append(
        consent_prompt(w.lang, w.user.id)
        if w.needs_consent
        else (help_text(w.user.role, w.lang), [])
    )
    return views


def consent_result(outcome: str, lang: str) -> str:
    keys = {"stranger": "stranger", "agreed": "consent.thanks", "withdrawn": "consent.withdrawn"}
    return t(keys.get(outcome, "consent.declined"), lang)


def privacy(lang: str, agreed_at: datetime | None) -> View:
    text = t("privacy", lang)
    if agreed_at is not None:
        when = agreed_at.strftime("%Y-%m-%d %H:%M")
        text = Html(f"{text}\n\n{t('privacy.agreed_at', lang, when=when)}")
    return text, []


def forget_confirm(lang: str, user_id: int) -> View:
    rows = [
        [
            (plain("btn.forget_yes", lang), callbacks.FORGET.encode("yes", user_id)),
            (plain("btn.forget_no", lang), callbacks.FORGET.encode("no", user_id)),
        ]
    ]
    return t("forget.confirm", lang), rows


def forget_result(done: bool, lang: str) -> str:
    return t("forget.done" if done else "forget.cancelled", lang)


def lang_choice(lang: str, user_id: int) -> View:
    rows = [
        [
            (plain("lang.name_zh", lang), callbacks.LANG.encode("zh-TW", user_id)),
            (plain("lang.name_en", lang), callbacks.LANG.encode("en", user_id)),
        ]
    ]
    return t("lang.choose", lang), rows


def language_set(lang: str) -> View:
    return t("lang.set", lang), []
