"""Guided troubleshooting: 🧭 on a card, the step buttons, the photo or error text, the
fault report to the staff member and their supervisors, "I'm on it", and /faults."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import ApplicationHandlerStop

from bot import callbacks, outcomes, walking
from bot.access import REFUSAL, may
from bot.accounts import User
from bot.callbacks import parse_int
from bot.context import ShopContext
from bot.render import View
from bot.render import walk as views
from bot.texts import plain, t
from handlers.common import edit, lang_of, member, send, send_to, stale

log = logging.getLogger(__name__)
ACTIONS: dict[str, walking.Action] = {"f": "fixed", "n": "next", "h": "help", "a": "answer"}


async def _to_user(context: ShopContext, user: User, view: View) -> bool:
    """Send to the user's private chat; False if they never opened one (or blocked us)."""
    try:
        await send_to(context, user.id, view)
    except Forbidden:
        return False
    except BadRequest as exc:
        if "chat not found" not in exc.message.lower():
            raise
        return False
    return True


def _in_private(query: CallbackQuery) -> bool:
    return isinstance(query.message, Message) and query.message.chat.type == ChatType.PRIVATE


async def _need_private(query: CallbackQuery, context: ShopContext, user: User) -> None:
    """Pressed in a group by someone with no private chat: say how to open one."""
    lang = user.language
    bot = context.bot.username
    await query.answer(plain("walk.need_private", lang, bot=bot), show_alert=True)
    if isinstance(query.message, Message):
        note = t("walk.need_private_group", lang, name=user.first_name, bot=bot)
        await send_to(context, query.message.chat.id, (note, []))


async def _go(query: CallbackQuery, context: ShopContext, user: User, card_id: str) -> None:
    """Start walking a card in the user's private chat (or offer the one in progress)."""
    lang = user.language
    begun = walking.begin(context.db, context.kb, user, card_id, context.now())
    if begun.status == "not_walkable":
        await stale(query, lang)
        return
    if begun.status == "open" and begun.other is not None:
        resumed = walking.resume(context.db, context.kb, user, begun.other.id, context.now())
        same = resumed.shown is not None and resumed.shown.card.id == card_id
        view = _resumed_view(context, resumed, lang) if same else None
        view = view or views.open_view(begun, lang)
    else:
        assert begun.shown is not None
        view = views.step_view(context.kb, begun.shown, lang)
    if not await _to_user(context, user, view):
        if begun.shown is not None:
            walking.undelivered(context.db, begun.shown.walk, context.now())
        await _need_private(query, context, user)
        return
    await query.answer(None if _in_private(query) else plain("walk.in_private", lang))


def _resumed_view(context: ShopContext, resumed: walking.Resumed, lang: str) -> View | None:
    if resumed.where == "step" and resumed.shown is not None:
        return views.step_view(context.kb, resumed.shown, lang)
    if resumed.where == "evidence" and resumed.walk is not None:
        return views.evidence_view(resumed.walk, lang)
    if resumed.where == "since" and resumed.walk is not None:
        return views.since_view(resumed.walk, lang)
    if resumed.where == "changed":
        return t("walk.changed", lang), []
    return None


async def _step(
    query: CallbackQuery,
    context: ShopContext,
    user: User,
    action: walking.Action,
    fields: tuple[int | str, ...],
) -> None:
    lang = user.language
    walk_id, turn = int(fields[0]), int(fields[1])
    option = int(fields[2]) if action == "answer" else None
    kb = context.kb
    moved = walking.press(context.db, kb, user, walk_id, turn, action, context.now(), option)
    if moved.status == "stale":
        await stale(query, lang)
        return
    if moved.status in ("past", "over"):
        await query.answer(_toast(moved, lang))
        return
    await query.answer()
    if moved.status == "changed":
        await _to_user(context, user, (t("walk.changed", lang), []))
        return
    # The answer is committed; the step it answered loses its buttons and says what was chosen.
    if isinstance(query.message, Message):
        await edit(query, views.answered_view(kb, moved, action, lang))
    if moved.status == "fixed":
        await _to_user(context, user, views.fixed_view(kb, moved, lang))
    elif moved.status == "help" and moved.walk is not None:
        await _to_user(context, user, views.evidence_view(moved.walk, lang))
    elif moved.shown is not None:
        await _to_user(context, user, views.step_view(kb, moved.shown, lang))


def _toast(moved: walking.Moved, lang: str) -> str:
    return plain("walk.past", lang) if moved.status == "past" else plain("walk.over", lang)


async def _report(
    query: CallbackQuery, context: ShopContext, user: User, walk_id: int, since: str
) -> None:
    """When it started → the report to the staff member, then to their supervisors."""
    lang = user.language
    tz = context.settings.tz
    kb = context.kb
    report = walking.report(context.db, kb, user, walk_id, since, context.now())
    if report is None:
        await stale(query, lang)
        return
    await query.answer()
    await edit(query, (t("walk.answered", lang, step=t("walk.since", lang),
                         answer=plain(views.SINCE_KEYS[since], lang)), []))  # fmt: skip
    await _to_user(context, user, views.staff_report_view(kb, report, lang, tz))
    sent: list[User] = []
    failed: list[User] = []
    photo = report.walk.evidence_photo
    for lead in report.leads:
        try:
            if photo:
                await context.bot.send_photo(lead.id, photo)
            await send_to(context, lead.id, views.lead_report_view(kb, report, lead.language, tz))
            sent.append(lead)
        except (Forbidden, BadRequest) as exc:
            log.warning("fault report %d not delivered to %d: %s", walk_id, lead.id, exc)
            failed.append(lead)
    await _to_user(context, user, views.delivery_view(sent, failed, lang))


async def _take(query: CallbackQuery, context: ShopContext, user: User, walk_id: int) -> None:
    """A supervisor takes the fault: first wins; the staff member hears who."""
    lang = user.language
    taken = walking.take(context.db, context.kb, user, walk_id, context.now())
    if taken.status == "stale":
        await stale(query, lang)
        return
    if taken.status == "already":
        await query.answer(views.already_taken(taken.taker, lang), show_alert=True)
        return
    await query.answer("✅")
    if taken.report is not None:
        tz = context.settings.tz
        await edit(query, views.lead_taken_view(context.kb, taken.report, lang, tz))
    if taken.staff is not None:
        view = views.taken_staff_view(user, taken.card, taken.staff.language)
        await _to_user(context, taken.staff, view)


async def walk_button(update: Update, context: ShopContext) -> None:
    """wk:…: start, continue or drop, step answers, skip the photo, since when, take."""
    query = update.callback_query
    assert query is not None
    user = await member(update, context, quiet=True)
    decoded = callbacks.WALK.decode(query.data)
    if user is None or decoded is None:
        await stale(query, user.language if user else lang_of(update, context))
        return
    tag, fields = decoded
    lang = user.language
    now = context.now()
    if tag == "go":
        await _go(query, context, user, str(fields[0]))
    elif tag == "nw":
        if not walking.drop(context.db, user, int(fields[0]), now):
            await stale(query, lang)
            return
        if isinstance(query.message, Message):
            await edit(query, (t("walk.over", lang), []))
        await _go(query, context, user, str(fields[1]))
    elif tag == "re":
        resumed = walking.resume(context.db, context.kb, user, int(fields[0]), now)
        view = _resumed_view(context, resumed, lang)
        if view is None:
            await stale(query, lang)
            return
        await query.answer()
        await _to_user(context, user, view)
    elif tag in ("f", "n", "h", "a"):
        await _step(query, context, user, ACTIONS[tag], fields)
    elif tag == "sk":
        walk = walking.skip_evidence(context.db, user, int(fields[0]), now)
        if walk is None:
            await stale(query, lang)
            return
        await query.answer()
        await edit(query, (t("walk.evidence", lang), []))
        await _to_user(context, user, views.since_view(walk, lang))
    elif tag == "s":
        await _report(query, context, user, int(fields[0]), str(fields[1]))
    elif tag == "take":
        await _take(query, context, user, int(fields[0]))


async def evidence(update: Update, context: ShopContext) -> None:
    """A photo or text in a private chat while a walk-through waits for what the screen said;
    anything else passes on to the other handlers."""
    message = update.effective_message
    if message is None or (message.text or "").startswith("/"):
        return
    user = await member(update, context, quiet=True, keep=True)
    if user is None:
        return
    photo = message.photo[-1].file_id if message.photo else None
    text = message.text or message.caption
    walk = walking.add_evidence(context.db, user, text, photo, context.now())
    if walk is None:
        return
    await send(message, views.since_view(walk, user.language, got=True))
    raise ApplicationHandlerStop


async def faults_command(update: Update, context: ShopContext) -> None:
    """/faults [team]: this week's faults of the teams a supervisor leads."""
    user = await member(update, context)
    message = update.effective_message
    if user is None or message is None:
        return
    if not may(user, "faults"):
        await send(message, (t(REFUSAL["faults"], user.language), []))
        return
    args = context.args or []
    team_id = parse_int(args[0]) if args else None
    if len(args) > 1 or (args and team_id is None):
        await send(message, (t("walk.faults.bad_team", user.language), []))
        return
    s = context.settings
    faults = outcomes.faults_for(context.db, context.kb, user, team_id, context.now(), s.tz)
    if faults is None:
        await send(message, (t("walk.faults.bad_team", user.language), []))
        return
    await send(message, views.faults_view(context.kb, faults, user.language, s.tz))
