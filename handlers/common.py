"""Shared glue for handlers: who is asking, in which language, and how to send buttons."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode

from bot import storage
from bot.access import Admission, Visitor, admit
from bot.context import ShopContext
from bot.render import Button, split_message
from bot.storage import User
from bot.texts import t, ui_lang


def markup(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label[:64], callback_data=data) for label, data in row]
            for row in rows
        ]
    )


def visitor(update: Update, context: ShopContext) -> Visitor | None:
    tg = update.effective_user
    if tg is None:
        return None
    lang = ui_lang(tg.language_code, context.settings.default_language)
    return Visitor(tg.id, tg.first_name or "", tg.username, lang)


def lang_of(update: Update, context: ShopContext) -> str:
    """The language to answer in: the stored choice, else Telegram's, else the default."""
    tg = update.effective_user
    if tg is not None:
        user = storage.get_user(context.db, tg.id)
        if user is not None:
            return user.language
        return ui_lang(tg.language_code, context.settings.default_language)
    return context.settings.default_language


async def send(message: Message, text: str, rows: list[list[Button]] | None = None) -> Message:
    """Reply with HTML, split under Telegram's limit; buttons go on the last part."""
    parts = split_message(text)
    sent = message
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        sent = await message.reply_text(
            part, parse_mode=ParseMode.HTML, reply_markup=markup(rows or []) if last else None
        )
    return sent


async def ask_consent(message: Message, lang: str) -> None:
    await send(
        message,
        f"{t('privacy', lang)}\n\n{t('privacy.ask', lang)}",
        [[(t("btn.agree", lang), "consent:yes"), (t("btn.decline", lang), "consent:no")]],
    )


async def member(update: Update, context: ShopContext, *, quiet: bool = False) -> User | None:
    """The consented user behind an update, or None after telling them what to do."""
    who = visitor(update, context)
    message = update.effective_message
    if who is None:
        return None
    user, how = admit(context.db, context.settings, who, None, context.now())
    if user is None:
        if message is not None and not quiet:
            await send(message, t("stranger", who.language))
        return None
    if how in ("admin", "open") or not user.consented:
        if message is not None and not quiet:
            await ask_consent(message, user.language)
        return None
    if not user.active:
        # They blocked the bot once and are back: reminders resume.
        storage.set_active(context.db, user.id, True)
        if context.job_queue is not None:
            from handlers import reminders

            reminders.schedule(
                context.job_queue, context.state, storage.get_reminder(context.db, user.id)
            )
    return user


def admission_text(how: Admission, lang: str) -> str | None:
    return {
        "unknown": t("invite.unknown", lang),
        "expired": t("invite.expired", lang),
        "used_up": t("invite.used_up", lang),
        "stranger": t("stranger", lang),
    }.get(how)
