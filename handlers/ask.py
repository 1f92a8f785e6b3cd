"""Questions: free text in private chats, /ask, mentions and replies in groups; cards; 👍/👎."""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import MessageEntityType

from bot import asking, callbacks, render
from bot.accounts import User
from bot.context import ShopContext
from bot.texts import plain, t
from handlers.common import lang_of, member, send, stale


def _mentions_bot(message: Message, username: str) -> bool:
    for entity in message.entities:
        if entity.type != MessageEntityType.MENTION:
            continue
        try:
            mention = message.parse_entity(entity)
        except (IndexError, UnicodeDecodeError):
            # An entity that cuts a character in half: not a mention of anyone.
            continue
        if mention.lower() == f"@{username}".lower():
            return True
    return False


async def _answer(message: Message, user: User, text: str, context: ShopContext) -> None:
    library = context.library
    asked = asking.ask(context.db, library, user, text, context.now())
    await send(message, render.answer_view(library.kb, asked, user.language))


async def private_text(update: Update, context: ShopContext) -> None:
    """Any text in a private chat that is not a command is a question."""
    message = update.effective_message
    if message is None:
        return
    user = await member(update, context)
    if user is not None:
        await _answer(message, user, message.text or "", context)


async def group_text(update: Update, context: ShopContext) -> None:
    """In groups, answer only when mentioned or replied to."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    username = context.bot.username
    replied = (
        message.reply_to_message is not None
        and message.reply_to_message.from_user is not None
        and message.reply_to_message.from_user.id == context.bot.id
    )
    if not (replied or _mentions_bot(message, username)):
        return
    user = await member(update, context)
    if user is not None:
        await _answer(message, user, message.text.replace(f"@{username}", " "), context)


async def ask_command(update: Update, context: ShopContext) -> None:
    """/ask <question> (groups and private chats alike)."""
    message = update.effective_message
    if message is None:
        return
    user = await member(update, context)
    if user is None:
        return
    text = " ".join(context.args or [])
    if not text.strip():
        await send(message, (t("ask.group_usage", user.language), []))
        return
    await _answer(message, user, text, context)


async def card_button(update: Update, context: ShopContext) -> None:
    """card:<id>: show a card (from suggestions, related cards, browse)."""
    query = update.callback_query
    assert query is not None
    user = await member(update, context, quiet=True)
    decoded = callbacks.CARD.decode(query.data)
    message = query.message
    if user is None or decoded is None or not isinstance(message, Message):
        await stale(query, user.language if user else lang_of(update, context))
        return
    kb = context.kb
    card = asking.open_card(context.db, kb, user, str(decoded[1][0]), context.now())
    if card is None:
        await stale(query, user.language)
        return
    await query.answer()
    await send(message, render.card_view(kb, card, user.language))


async def feedback_button(update: Update, context: ShopContext) -> None:
    """fb:<question id>:<1|-1>: store 👍/👎 once per answer; a second tap changes it."""
    query = update.callback_query
    assert query is not None
    user = await member(update, context, quiet=True)
    lang = user.language if user else lang_of(update, context)
    decoded = callbacks.FEEDBACK.decode(query.data)
    if user is None or decoded is None:
        await stale(query, lang)
        return
    question_id, value = int(decoded[1][0]), int(decoded[1][1])
    # The question must be the presser's own: a 👍 under someone else's answer is refused.
    if not asking.feedback(context.db, question_id, user.id, value):
        await stale(query, lang)
        return
    await query.answer(plain("feedback.thanks_up" if value > 0 else "feedback.thanks_down", lang))
