"""Daily drills: /drill, answer buttons, /stop, "practise this" — state lives in SQLite."""

from __future__ import annotations

from html import escape

from telegram import CallbackQuery, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot import progress, storage
from bot.context import ShopContext
from bot.render import Button
from bot.storage import Drill, DrillItem, User
from bot.texts import t
from handlers.common import markup, member, send

PRACTISE_SIZE = 3
LETTERS = "ABCD"


def _kl(lang: str) -> str:
    return "en" if lang == "en" else "zh"


def question_view(
    context: ShopContext, item: DrillItem, lang: str
) -> tuple[str, list[list[Button]]]:
    q = context.kb.questions[item.question_id]
    kl = _kl(lang)
    text = t(
        "drill.question",
        lang,
        n=item.position + 1,
        total=item.drill_size,
        activity=item.activity,
        question=escape(q.question.get(kl)),
    )
    rows = [
        [(f"{LETTERS[pos]}. {q.options[orig].get(kl)}", f"dr:a:{item.id}:{pos}")]
        for pos, orig in enumerate(item.option_order)
    ]
    return text, rows


async def send_item(context: ShopContext, chat_id: int, item: DrillItem, lang: str) -> None:
    """Send one question and remember its message; if sending fails it stays unsent."""
    text, rows = question_view(context, item, lang)
    msg = await context.bot.send_message(
        chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup(rows)
    )
    storage.mark_sent(context.db, item.id, chat_id, msg.message_id, context.now())


async def continue_drill(context: ShopContext, chat_id: int, user: User, drill: Drill) -> None:
    """Send the next unanswered question, or finish the drill with its summary."""
    item = storage.next_item(context.db, drill.id)
    if item is not None:
        await send_item(context, chat_id, item, user.language)
        return
    storage.finish_drill(context.db, drill.id, "done", context.now())
    done = storage.get_drill(context.db, drill.id)
    assert done is not None
    await send_summary(context, chat_id, user, done, "drill.summary")


async def send_summary(
    context: ShopContext, chat_id: int, user: User, drill: Drill, key: str
) -> None:
    lang = user.language
    s = progress.drill_summary(context.db, drill, context.now(), context.settings.tz)
    lines = [
        t(
            key,
            lang,
            right=s.right,
            total=s.total,
            minutes=s.seconds // 60,
            seconds=s.seconds % 60,
            streak=s.streak,
        )
    ]
    rows: list[list[Button]] = []
    if s.review:
        lines.append(t("drill.review", lang))
        for act_id in s.review:
            act = context.kb.activities.get(act_id)
            if act is not None:
                label = f"{act_id} {act.title.get(_kl(lang))}"
                lines.append(f"• {escape(label)}")
                rows.append([(f"📚 {label}", f"br:a:{act_id}")])
    elif s.total and key == "drill.summary":
        lines.append(t("drill.all_right", lang))
    await context.bot.send_message(
        chat_id, "\n".join(lines), parse_mode=ParseMode.HTML, reply_markup=markup(rows)
    )


async def start_or_resume(
    context: ShopContext, chat_id: int, user: User, activity: str | None = None
) -> None:
    """Go on with the drill in progress, or start a new one."""
    current = storage.active_drill(context.db, user.id)
    if current is not None:
        await context.bot.send_message(chat_id, t("drill.in_progress", user.language))
        await continue_drill(context, chat_id, user, current)
        return
    size = PRACTISE_SIZE if activity else context.settings.drill_size
    drill = progress.new_drill(
        context.db, context.kb, user.id, context.now(), size, activity=activity
    )
    if drill is None:
        await context.bot.send_message(chat_id, t("drill.nothing", user.language))
        return
    await continue_drill(context, chat_id, user, drill)


async def drill_command(update: Update, context: ShopContext) -> None:
    """/drill: today's drill (or the one in progress)."""
    user = await member(update, context)
    chat = update.effective_chat
    if user is None or chat is None:
        return
    await start_or_resume(context, chat.id, user)


async def stop_command(update: Update, context: ShopContext) -> None:
    """/stop: end the drill in progress early, with its summary."""
    user = await member(update, context)
    message = update.effective_message
    if user is None or message is None:
        return
    current = storage.active_drill(context.db, user.id)
    if current is None:
        await send(message, t("drill.no_active", user.language))
        return
    storage.finish_drill(context.db, current.id, "stopped", context.now())
    stopped = storage.get_drill(context.db, current.id)
    assert stopped is not None
    await send_summary(context, message.chat_id, user, stopped, "drill.stopped")


async def drill_button(update: Update, context: ShopContext) -> None:
    """dr:s (start), dr:p:<activity> (practise this), dr:a:<item>:<position> (answer)."""
    query = update.callback_query
    assert query is not None
    user = await member(update, context, quiet=True)
    parts = (query.data or "").split(":")
    lang = user.language if user else context.settings.default_language
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    if user is None:
        await query.answer(t("input.stale", lang))
        return
    if parts == ["dr", "s"]:
        await query.answer()
        await start_or_resume(context, chat_id, user)
        return
    if len(parts) == 3 and parts[1] == "p" and parts[2] in context.kb.activities:
        await query.answer()
        await start_or_resume(context, chat_id, user, activity=parts[2])
        return
    if len(parts) == 4 and parts[1] == "a" and parts[2].isdigit() and parts[3].isdigit():
        await answer_button(query, context, user, int(parts[2]), int(parts[3]))
        return
    await query.answer(t("input.stale", lang))


async def answer_button(
    query: CallbackQuery, context: ShopContext, user: User, item_id: int, position: int
) -> None:
    lang = user.language
    item = storage.get_item(context.db, item_id)
    # Never trust button data: the item must exist and belong to whoever pressed.
    if item is None or item.user_id != user.id:
        await query.answer(t("input.stale", lang))
        return
    if item.answered_at is not None:
        await query.answer(t("drill.already", lang))
        return
    if item.drill_status != "active":
        await query.answer(t("drill.ended", lang), show_alert=True)
        return
    result = progress.answer_item(context.db, context.kb, item, position, context.now(), lang)
    if result is None:
        await query.answer(t("input.stale", lang))
        return
    if not result.recorded:
        await query.answer(t("drill.already", lang))
        return
    # The answer is committed; only now does the user see the outcome.
    await query.answer("✅" if result.correct else "❌")
    q, kl = result.question, _kl(lang)
    head, _rows = question_view(context, item, lang)
    lines = [head, "", t("drill.right" if result.correct else "drill.wrong", lang)]
    if not result.correct:
        lines.append(escape(t("drill.your_answer", lang, answer=q.options[result.chosen].get(kl))))
    lines.append(escape(t("drill.correct_is", lang, answer=q.options[q.correct_index].get(kl))))
    lines.append(f"💡 {escape(q.explanation.get(kl))}")
    rows = [[(t("btn.see_card", lang), f"card:{q.card}")]] if q.card in context.kb.cards else []
    message = query.message
    if isinstance(message, Message):
        try:
            await query.edit_message_text(
                "\n".join(lines), parse_mode=ParseMode.HTML, reply_markup=markup(rows)
            )
        except TelegramError:
            # An old message may no longer be editable; the answer is stored either way.
            await context.bot.send_message(
                message.chat.id,
                "\n".join(lines),
                parse_mode=ParseMode.HTML,
                reply_markup=markup(rows),
            )
    drill = storage.get_drill(context.db, item.drill_id)
    if drill is not None and drill.status == "active":
        chat_id = message.chat.id if isinstance(message, Message) else user.id
        await continue_drill(context, chat_id, user, drill)
