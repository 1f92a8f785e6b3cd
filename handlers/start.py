"""Entry and account: /start with invites, consent, /help, /lang, /privacy, /forgetme."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType

from bot import accounts, callbacks
from bot.context import ShopContext
from bot.render import account as views
from handlers.common import edit, lang_of, member, send, stale, visitor


async def start(update: Update, context: ShopContext) -> None:
    """/start [invite code]: join a team, then ask for consent once."""
    who = visitor(update, context)
    message = update.effective_message
    if who is None or message is None:
        return
    payload = context.args[0] if context.args else None
    welcome = accounts.start(context.db, context.settings, who, payload, context.now())
    for view in views.welcome(welcome):
        await send(message, view)


async def consent(update: Update, context: ShopContext) -> None:
    """consent:yes|no buttons."""
    query = update.callback_query
    assert query is not None
    lang = lang_of(update, context)
    decoded = callbacks.CONSENT.decode(query.data)
    if decoded is None or callbacks.owner(decoded) != query.from_user.id:
        await stale(query, lang)
        return
    await query.answer()
    outcome = accounts.consent(
        context.db, query.from_user.id, decoded[0] == "yes", context.now(), context.reminders
    )
    await edit(query, (views.consent_result(outcome, lang), []))


async def help_command(update: Update, context: ShopContext) -> None:
    """/help: what the user's role can do."""
    user = await member(update, context)
    message = update.effective_message
    if user is None or message is None:
        return
    chat = update.effective_chat
    in_group = chat is not None and chat.type != ChatType.PRIVATE
    await send(message, (views.help_text(user.role, user.language, in_group), []))


async def privacy(update: Update, context: ShopContext) -> None:
    """/privacy: what is recorded and who sees it."""
    message = update.effective_message
    tg = update.effective_user
    if message is None or tg is None:
        return
    lang = lang_of(update, context)
    user, agreed_at = accounts.consented_at(context.db, tg.id)
    if user is None:
        # Strangers get the one answer for every command: ask for an invite.
        await send(message, views.stranger(lang))
        return
    if agreed_at is None:
        await send(message, views.consent_prompt(lang, user.id))
        return
    when = agreed_at.astimezone(context.settings.tz) if agreed_at else None
    await send(message, views.privacy(lang, when))


async def forgetme(update: Update, context: ShopContext) -> None:
    """/forgetme: ask to confirm deleting everything about the user."""
    message = update.effective_message
    tg = update.effective_user
    if message is None or tg is None:
        return
    lang = lang_of(update, context)
    if not accounts.is_user(context.db, tg.id):
        await send(message, views.stranger(lang))
        return
    await send(message, views.forget_confirm(lang, tg.id))


async def forget_button(update: Update, context: ShopContext) -> None:
    """forget:yes|no buttons."""
    query = update.callback_query
    assert query is not None
    lang = lang_of(update, context)
    decoded = callbacks.FORGET.decode(query.data)
    # Only the person who sent /forgetme may confirm it (in a group, others see the buttons).
    if decoded is None or callbacks.owner(decoded) != query.from_user.id:
        await stale(query, lang)
        return
    await query.answer()
    confirmed = decoded[0] == "yes"
    if confirmed:
        accounts.forget(context.db, query.from_user.id, context.reminders)
    await edit(query, (views.forget_result(confirmed, lang), []))


async def lang_command(update: Update, context: ShopContext) -> None:
    """/lang: choose zh-TW or English."""
    user = await member(update, context)
    message = update.effective_message
    if user is None or message is None:
        return
    await send(message, views.lang_choice(user.language, user.id))


async def lang_button(update: Update, context: ShopContext) -> None:
    """lang:<code> buttons."""
    query = update.callback_query
    assert query is not None
    decoded = callbacks.LANG.decode(query.data)
    if (
        decoded is None
        or callbacks.owner(decoded) != query.from_user.id
        or not accounts.set_language(context.db, query.from_user.id, decoded[0])
    ):
        await stale(query, lang_of(update, context))
        return
    await query.answer()
    await edit(query, views.language_set(str(decoded[0])))
