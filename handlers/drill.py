"""Daily drills: /drill, answer buttons, /stop, "practise this" — state lives in SQLite."""

from __future__ import annotations

import logging

from telegram import Message, Update

from bot import callbacks, drilling
from bot.accounts import User
from bot.context import ShopContext
from bot.drilling import Next
from bot.render import drill as views
from bot.texts import plain, t
from handlers.common import edit, lang_of, member, send, send_to, stale

log = logging.getLogger(__name__)


async def send_next(context: ShopContext, chat_id: int, user: User, nxt: Next) -> None:
    """Send the next question (remembering its message) or the drill's summary."""
    lang = user.language
    if nxt.skipped:
        await send_to(context, chat_id, views.skipped_note(nxt.skipped, lang))
    if nxt.item is not None and nxt.question is not None:
        message_id = await send_to(
            context, chat_id, views.question_view(nxt.item, nxt.question, lang)
        )
        drilling.mark_sent(context.db, nxt.item, chat_id, message_id, context.now())
    elif nxt.summary is not None:
        await send_to(context, chat_id, views.summary_view(context.kb, nxt.summary, lang))


async def resume_stalled(context: ShopContext) -> int:
    """At start-up: send the next question of every drill the last run left without one.

    At-least-once: a question whose send was in flight when the bot died (sent, not yet
    marked) is shown again; both copies carry the same item, so an answer counts once.
    """
    s = context.settings
    count = 0
    for stuck in drilling.stalled(context.db, context.kb, context.now(), s.tz):
        try:
            await send_next(context, stuck.chat_id, stuck.user, stuck.next)
            count += 1
        except Exception:
            log.warning("could not resume a drill at start-up", exc_info=True)
    return count


async def _begin(context: ShopContext, chat_id: int, user: User, activity: str | None) -> None:
    s = context.settings
    begun = drilling.begin(
        context.db, context.kb, user, context.now(), s.tz, s.drill_size, activity
    )
    if begun is None:
        await send_to(context, chat_id, (t("drill.nothing", user.language), []))
        return
    if begun.resumed:
        await send_to(context, chat_id, (t("drill.in_progress", user.language), []))
    await send_next(context, chat_id, user, begun.next)


async def drill_command(update: Update, context: ShopContext) -> None:
    """/drill: today's drill (or the one in progress)."""
    user = await member(update, context)
    chat = update.effective_chat
    if user is not None and chat is not None:
        await _begin(context, chat.id, user, None)


async def stop_command(update: Update, context: ShopContext) -> None:
    """/stop: end the drill in progress early, with its summary."""
    user = await member(update, context)
    message = update.effective_message
    if user is None or message is None:
        return
    summary = drilling.stop(context.db, user, context.now(), context.settings.tz)
    if summary is None:
        await send(message, (t("drill.no_active", user.language), []))
        return
    await send(message, views.summary_view(context.kb, summary, user.language, stopped=True))


async def drill_button(update: Update, context: ShopContext) -> None:
    """dr:s (start), dr:p:<activity> (practise this), dr:a:<item>:<position> (answer)."""
    query = update.callback_query
    assert query is not None
    user = await member(update, context, quiet=True)
    decoded = callbacks.DRILL.decode(query.data)
    if user is None or decoded is None:
        await stale(query, user.language if user else lang_of(update, context))
        return
    tag, fields = decoded
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    if tag == "a":
        await _answer(update, context, user, int(fields[0]), int(fields[1]))
        return
    activity = str(fields[0]) if tag == "p" else None
    if activity is not None and activity not in context.kb.activities:
        await stale(query, user.language)
        return
    await query.answer()
    await _begin(context, chat_id, user, activity)


async def _answer(
    update: Update, context: ShopContext, user: User, item_id: int, position: int
) -> None:
    query = update.callback_query
    assert query is not None
    lang = user.language
    s = context.settings
    out = drilling.answer(context.db, context.kb, user, item_id, position, context.now(), s.tz)
    if out.status == "stale":
        await stale(query, lang)
        return
    if out.status == "already":
        await query.answer(plain("drill.already", lang))
        return
    if out.status == "ended":
        await query.answer(plain("drill.ended", lang), show_alert=True)
        return
    assert out.item is not None
    assert out.answer is not None
    # The answer is committed; only now does the user see the outcome.
    await query.answer("✅" if out.answer.correct else "❌")
    view = views.answered_view(context.kb, out.item, out.answer, lang)
    message = query.message
    chat_id = message.chat.id if isinstance(message, Message) else user.id
    if not isinstance(message, Message) or not await edit(query, view):
        # An old message may no longer be editable; the answer is stored either way.
        await send_to(context, chat_id, view)
    if out.next is not None:
        await send_next(context, chat_id, user, out.next)
