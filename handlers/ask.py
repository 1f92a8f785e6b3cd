"""Questions: free text in private chats, /ask / mentions / replies in groups; cards; 👍/👎."""

from __future__ import annotations

import re

from telegram import Message, Update
from telegram.constants import ChatType, MessageEntityType

from bot import storage
from bot.context import ShopContext
from bot.render import card_buttons, card_text, hit_button
from bot.storage import User
from bot.texts import t
from handlers.common import lang_of, member, send

MAX_QUESTION = 1000
_CONTENT_RE = re.compile(r"[\w]", re.UNICODE)


def _question_text(message: Message, bot_username: str, args: list[str] | None) -> str:
    if args is not None:
        return " ".join(args)
    text = message.text or ""
    return text.replace(f"@{bot_username}", " ")


async def answer_question(message: Message, user: User, text: str, context: ShopContext) -> None:
    """Match the question and reply by tier; log it (the user has consented)."""
    lang = user.language
    clean = text.strip()
    if not _CONTENT_RE.search(clean):
        await send(message, t("ask.empty", lang))
        return
    note = ""
    if len(clean) > MAX_QUESTION:
        clean = clean[:MAX_QUESTION]
        note = t("ask.too_long", lang, n=MAX_QUESTION) + "\n\n"
    result = context.matcher.search(clean, k=5)
    if result.smalltalk is not None:
        # Not a question: a kind word back, nothing logged as unanswered.
        await send(message, t(f"smalltalk.{result.smalltalk}", lang))
        return
    top = result.hits[0] if result.hits else None
    qid = storage.log_question(
        context.db,
        user.id,
        user.team_id,
        clean,
        activity=top.activity if top else None,
        card=top.card if top else None,
        score=top.score if top else None,
        tier=result.tier,
        now=context.now(),
    )
    kb = context.kb
    if result.tier == "answer" and top is not None:
        if top.card is not None and top.card in kb.cards:
            card = kb.cards[top.card]
            await send(
                message, note + card_text(kb, card, lang), card_buttons(kb, card, lang, qid)
            )
            return
        btn = hit_button(kb, top.activity, None, lang)
        await send(message, note + t("ask.suggest", lang), [[btn]])
        return
    if result.tier == "suggest":
        rows, seen = [], set()
        for hit in result.hits:
            key = hit.card or hit.activity
            if key in seen:
                continue
            seen.add(key)
            rows.append([hit_button(kb, hit.activity, hit.card, lang)])
            if len(rows) == 3:
                break
        await send(message, note + t("ask.suggest", lang), rows)
        return
    await send(message, note + t("ask.none", lang), [[(t("btn.browse", lang), "br:root")]])


async def private_text(update: Update, context: ShopContext) -> None:
    """Any text in a private chat that is not a command is a question."""
    message = update.effective_message
    if message is None:
        return
    user = await member(update, context)
    if user is None:
        return
    await answer_question(message, user, message.text or "", context)


async def group_text(update: Update, context: ShopContext) -> None:
    """In groups, answer only when mentioned or replied to."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    username = context.bot.username
    mentioned = any(
        e.type == MessageEntityType.MENTION
        and message.parse_entity(e).lower() == f"@{username}".lower()
        for e in message.entities
    )
    replied = (
        message.reply_to_message is not None
        and message.reply_to_message.from_user is not None
        and message.reply_to_message.from_user.id == context.bot.id
    )
    if not (mentioned or replied):
        return
    user = await member(update, context)
    if user is None:
        return
    await answer_question(message, user, _question_text(message, username, None), context)


async def ask_command(update: Update, context: ShopContext) -> None:
    """/ask <question> (groups and private chats alike)."""
    message = update.effective_message
    if message is None:
        return
    user = await member(update, context)
    if user is None:
        return
    text = _question_text(message, context.bot.username, context.args or [])
    if not text.strip():
        await send(message, t("ask.group_usage", user.language))
        return
    await answer_question(message, user, text, context)


async def card_button(update: Update, context: ShopContext) -> None:
    """card:<id>: show a card (from suggestions, related cards, browse)."""
    query = update.callback_query
    assert query is not None
    user = await member(update, context, quiet=True)
    lang = user.language if user else lang_of(update, context)
    card = context.kb.cards.get((query.data or "").removeprefix("card:"))
    message = query.message
    if user is None or card is None or not isinstance(message, Message):
        await query.answer(t("input.stale", lang))
        return
    await query.answer()
    # Opening a card counts as looking it up: the next drill practises it.
    storage.record_card_view(context.db, user.id, card.id, context.now())
    await send(
        message, card_text(context.kb, card, lang), card_buttons(context.kb, card, lang, None)
    )


async def feedback_button(update: Update, context: ShopContext) -> None:
    """fb:<question id>:<1|-1>: store 👍/👎 once per answer; a second tap changes it."""
    query = update.callback_query
    assert query is not None
    lang = lang_of(update, context)
    parts = (query.data or "").split(":")
    ok = False
    value = 0
    if len(parts) == 3 and parts[1].isdigit() and parts[2] in ("1", "-1"):
        value = int(parts[2])
        ok = storage.set_feedback(context.db, int(parts[1]), query.from_user.id, value)
    if not ok:
        await query.answer(t("input.stale", lang))
        return
    await query.answer(t("feedback.thanks_up" if value > 0 else "feedback.thanks_down", lang))


def is_private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE
