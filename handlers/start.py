"""Entry and account: /start with invites, consent, /help, /lang, /privacy, /forgetme."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType

from bot import storage
from bot.access import admit
from bot.context import ShopContext
from bot.texts import t
from handlers import reminders
from handlers.common import admission_text, ask_consent, lang_of, member, send, visitor


async def start(update: Update, context: ShopContext) -> None:
    """/start [invite code]: join a team, then ask for consent once."""
    who = visitor(update, context)
    message = update.effective_message
    if who is None or message is None:
        return
    payload = context.args[0][:64] if context.args else None
    user, how = admit(context.db, context.settings, who, payload, context.now())
    lang = user.language if user else who.language
    problem = admission_text(how, lang)
    if problem is not None:
        await send(message, problem)
        return
    assert user is not None
    team = storage.get_team(context.db, user.team_id)
    if how == "joined" and team:
        await send(message, t("invite.joined", lang, team=team.name))
    elif how == "already_member" and team:
        await send(message, t("invite.already_member", lang, team=team.name))
    if not user.consented:
        await ask_consent(message, lang)
        return
    await send(message, help_text(user.role, lang))


def help_text(role: str, lang: str) -> str:
    text = t("help.staff", lang)
    if role in ("supervisor", "admin"):
        text += "\n" + t("help.supervisor", lang)
    if role == "admin":
        text += "\n" + t("help.admin", lang)
    return text


async def consent(update: Update, context: ShopContext) -> None:
    """consent:yes|no buttons."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    user = storage.get_user(context.db, query.from_user.id)
    lang = lang_of(update, context)
    if user is None:
        await query.edit_message_text(t("stranger", lang))
        return
    if query.data == "consent:yes":
        if not user.consented:
            storage.set_consent(context.db, user.id, context.now())
            if context.job_queue is not None:
                reminders.schedule(
                    context.job_queue, context.state, storage.get_reminder(context.db, user.id)
                )
        await query.edit_message_text(t("consent.thanks", lang))
    else:
        storage.set_consent(context.db, user.id, None)
        await query.edit_message_text(t("consent.declined", lang))


async def help_command(update: Update, context: ShopContext) -> None:
    """/help: what the user's role can do."""
    user = await member(update, context)
    message = update.effective_message
    if user is None or message is None:
        return
    text = help_text(user.role, user.language)
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE:
        text += "\n\n" + t("help.group", user.language)
    await send(message, text)


async def privacy(update: Update, context: ShopContext) -> None:
    """/privacy: what is recorded and who sees it."""
    message = update.effective_message
    tg = update.effective_user
    if message is None or tg is None:
        return
    user = storage.get_user(context.db, tg.id)
    lang = lang_of(update, context)
    if user is None:
        await send(message, t("privacy", lang))
        return
    if not user.consented:
        await ask_consent(message, lang)
        return
    when = storage.parse_iso(user.consent_at or "").astimezone(context.settings.tz)
    await send(
        message,
        f"{t('privacy', lang)}\n\n"
        f"{t('privacy.agreed_at', lang, when=when.strftime('%Y-%m-%d %H:%M'))}",
    )


async def forgetme(update: Update, context: ShopContext) -> None:
    """/forgetme: ask to confirm deleting everything about the user."""
    message = update.effective_message
    tg = update.effective_user
    if message is None or tg is None:
        return
    lang = lang_of(update, context)
    if storage.get_user(context.db, tg.id) is None:
        await send(message, t("stranger", lang))
        return
    await send(
        message,
        t("forget.confirm", lang),
        [[(t("btn.forget_yes", lang), "forget:yes"), (t("btn.forget_no", lang), "forget:no")]],
    )


async def forget_button(update: Update, context: ShopContext) -> None:
    """forget:yes|no buttons."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    lang = lang_of(update, context)
    if query.data == "forget:yes":
        storage.delete_user(context.db, query.from_user.id)
        if context.job_queue is not None:
            for job in context.job_queue.get_jobs_by_name(reminders.job_name(query.from_user.id)):
                job.schedule_removal()
        await query.edit_message_text(t("forget.done", lang))
    else:
        await query.edit_message_text(t("forget.cancelled", lang))


async def lang_command(update: Update, context: ShopContext) -> None:
    """/lang: choose zh-TW or English."""
    user = await member(update, context)
    message = update.effective_message
    if user is None or message is None:
        return
    await send(
        message,
        t("lang.choose", user.language),
        [[("繁體中文", "lang:zh-TW"), ("English", "lang:en")]],
    )


async def lang_button(update: Update, context: ShopContext) -> None:
    """lang:<code> buttons."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    choice = (query.data or "").removeprefix("lang:")
    user = storage.get_user(context.db, query.from_user.id)
    if choice not in ("zh-TW", "en") or user is None or not user.consented:
        await query.edit_message_text(t("input.stale", lang_of(update, context)))
        return
    storage.set_language(context.db, user.id, choice)
    await query.edit_message_text(t("lang.set", choice))
