"""Shared glue for handlers: who is asking, in which language, and sending views."""

from __future__ import annotations

import logging
from typing import Any

from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, EndPointNotFound, Forbidden, InvalidToken

from bot import accounts
from bot.access import Visitor
from bot.accounts import User
from bot.context import ShopContext
from bot.render import Rows, View, split_message
from bot.render.account import consent_prompt, stranger
from bot.render.members import open_private, sent_privately
from bot.texts import plain, ui_lang

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]  # a Bot API call's parameters or answer


def markup(rows: Rows) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label[:64], callback_data=data) for label, data in row]
            for row in rows
        ]
    )


def markup_json(rows: Rows) -> JSONDict:
    """`markup(rows)` as the Bot API's JSON, for a call that skips PTB's objects."""
    return {
        "inline_keyboard": [
            [{"text": label[:64], "callback_data": data} for label, data in row] for row in rows
        ]
    }


def visitor(update: Update, context: ShopContext) -> Visitor | None:
    tg = update.effective_user
    if tg is None:
        return None
    lang = ui_lang(tg.language_code, context.settings.default_language)
    return Visitor(tg.id, tg.first_name or "", tg.username, lang)


def lang_of(update: Update, context: ShopContext) -> str:
    """The language to answer in: the stored choice, else Telegram's, else the default."""
    who = visitor(update, context)
    if who is None:
        return context.settings.default_language
    return accounts.language_of(context.db, who)


def _message_params(chat_id: int, text: str, rows: Rows) -> JSONDict:
    """sendMessage's parameters for HTML text with its buttons, if any."""
    params: JSONDict = {"chat_id": chat_id, "text": text, "parse_mode": "HTML"}
    if rows:
        params["reply_markup"] = markup_json(rows)
    return params


async def _post_message(bot: Bot, params: JSONDict) -> int:
    """sendMessage through PTB's request path (rate limiter, retries, errors as exceptions),
    without turning Telegram's answer into PTB objects nobody reads: the bot needs only the
    new message's id. Building the buttons as objects, checking every argument and parsing
    the echoed message (text, entities, buttons) cost ~0.3 ms of a reply's ~0.5 ms in PTB
    (bench/bench_throughput.py). Bot API method names are case-insensitive; the lower-case
    spelling is how `do_api_request` is told that this is not a mistake for `send_message`."""
    try:
        result = await bot.do_api_request("sendmessage", api_kwargs=params)
    except EndPointNotFound as exc:
        # sendMessage exists: what do_api_request words as an unknown method is a token
        # Telegram rejected (401/404), reported as PTB's own calls report it.
        raise InvalidToken(str(exc)) from exc
    return int(result["message_id"])


def _plain_reply(message: Message) -> bool:
    """Whether PTB's reply_text would send nothing but the chat: a private chat, no topic,
    no business connection (no quoting, no thread; tests/test_sending.py holds the two equal)."""
    return (
        message.chat.type == ChatType.PRIVATE
        and not message.is_topic_message
        and message.business_connection_id is None
        and message.direct_messages_topic is None
    )


async def send(message: Message, view: View) -> int:
    """Reply with HTML, split under Telegram's limit; buttons go on the last part.
    The last part's message id."""
    text, rows = view
    parts = split_message(text)
    sent = message.message_id
    plain_reply = _plain_reply(message)
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if plain_reply:
            params = _message_params(message.chat_id, part, rows if last else [])
            sent = await _post_message(message.get_bot(), params)
            continue
        # In groups PTB quotes the question and keeps the topic; the message replied to may
        # be gone (deleted, or a button under an old one).
        reply = await message.reply_text(
            part,
            parse_mode=ParseMode.HTML,
            reply_markup=markup(rows) if last else None,
            allow_sending_without_reply=True,
        )
        sent = reply.message_id
    return sent


async def send_to(context: ShopContext, chat_id: int, view: View) -> int:
    """Send a view to a chat (for replies that follow a button or a job); its message id."""
    text, rows = view
    return await _post_message(context.bot, _message_params(chat_id, text, rows))


# Telegram's answers when an old message can no longer be edited: expected, not errors.
_STALE_EDITS = (
    "message is not modified",
    "message to edit not found",
    "can't be edited",
    "there is no text in the message to edit",  # a forged button under a photo
)


async def edit(query: CallbackQuery, view: View) -> bool:
    """Replace the pressed message's text and buttons; False if it can't be edited anymore."""
    text, rows = view
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup(rows))
    except BadRequest as exc:
        if not any(s in exc.message.lower() for s in _STALE_EDITS):
            raise
        log.debug("could not edit an old message: %s", exc.message)
        return False
    return True


async def stale(query: CallbackQuery, lang: str) -> None:
    """The one answer to a forged, expired or foreign button."""
    await query.answer(plain("input.stale", lang))


async def member(
    update: Update, context: ShopContext, *, quiet: bool = False, keep: bool = False
) -> User | None:
    """The consented user behind an update, or None after telling them what to do.
    `keep`: the next call for this update (a handler of a later group) reuses the answer
    instead of asking the database again - a private text is looked at by the walk-through's
    handler first, then answered as a question."""
    who = visitor(update, context)
    if who is None:
        return None
    gate, context.kept_gate = context.kept_gate, None
    if gate is None or gate.user is None or gate.user.id != who.id:
        gate = accounts.let_in(context.db, context.settings, who, context.now(), context.reminders)
    if keep:
        context.kept_gate = gate
    message = update.effective_message
    if gate.user is None and message is not None and not quiet:
        view = (
            stranger(gate.lang)
            if gate.refusal == "stranger"
            else consent_prompt(gate.lang, who.id)
        )
        await send(message, view)
    return gate.user


async def send_privately(
    update: Update, context: ShopContext, message: Message, user: User, view: View
) -> None:
    """Invite links go to a private chat only: asked in a group, the link is sent privately
    and the group is told so (or asked to open a private chat first)."""
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        await send(message, view)
        return
    try:
        await send_to(context, user.id, view)
    except Forbidden:
        bot_link = f"https://t.me/{context.bot.username}"
        await send(message, open_private(user.language, bot_link))
        return
    await send(message, sent_privately(user.language))
