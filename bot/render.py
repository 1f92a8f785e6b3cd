"""Turn cards, browse levels and results into message texts (HTML) and button specs.

Buttons are plain `(label, callback_data)` pairs so this stays testable without Telegram;
handlers turn them into InlineKeyboardMarkup.
"""

from __future__ import annotations

from html import escape

from bot.texts import t
from knowledge.models import Card, Knowledge

Button = tuple[str, str]
MESSAGE_LIMIT = 4096


def _kl(lang: str) -> str:
    return "en" if lang == "en" else "zh"


def card_text(kb: Knowledge, card: Card, lang: str) -> str:
    """A card as HTML: title, numbered steps, escalation, and the codes it rests on."""
    kl = _kl(lang)
    act = kb.activities.get(card.activity)
    lines = [f"📋 <b>{escape(card.title.get(kl))}</b>", ""]
    lines += [f"{n}. {escape(step.get(kl))}" for n, step in enumerate(card.steps, 1)]
    if card.escalate:
        lines += ["", f"⚠️ <b>{t('card.escalate', lang)}</b>：{escape(card.escalate.get(kl))}"]
    codes = " · ".join([card.activity, *card.indicators])
    title = f" {escape(act.title.get(kl))}" if act else ""
    lines += ["", f"<i>{codes}{title}</i>"]
    return "\n".join(lines)


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split at line breaks so each part fits Telegram's limit (a long line is cut hard)."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return parts


def card_buttons(
    kb: Knowledge, card: Card, lang: str, question_id: int | None
) -> list[list[Button]]:
    kl = _kl(lang)
    rows: list[list[Button]] = []
    for ref in card.related[:3]:
        other = kb.cards.get(ref)
        if other is not None:
            rows.append([(f"🔗 {other.title.get(kl)}", f"card:{other.id}")])
    if kb.questions_for(card.activity):
        rows.append([(t("btn.practise", lang), f"dr:p:{card.activity}")])
    if question_id is not None:
        rows.append(
            [
                (t("btn.up", lang), f"fb:{question_id}:1"),
                (t("btn.down", lang), f"fb:{question_id}:-1"),
            ]
        )
    return rows


def hit_label(kb: Knowledge, activity: str, card: str | None, lang: str) -> str:
    kl = _kl(lang)
    if card and card in kb.cards:
        return kb.cards[card].title.get(kl)
    act = kb.activities[activity]
    return f"{activity} {act.title.get(kl)}"


def hit_button(kb: Knowledge, activity: str, card: str | None, lang: str) -> Button:
    data = f"card:{card}" if card else f"br:a:{activity}"
    return (hit_label(kb, activity, card, lang), data)


def browse_tasks(kb: Knowledge, lang: str) -> tuple[str, list[list[Button]]]:
    kl = _kl(lang)
    code = kb.standard.code if kb.standard else ""
    rows = [[(f"{task.id} {task.title.get(kl)}", f"br:t:{task.id}")] for task in kb.tasks.values()]
    return t("browse.tasks", lang, code=escape(code)), rows


def browse_task(kb: Knowledge, task_id: str, lang: str) -> tuple[str, list[list[Button]]]:
    kl = _kl(lang)
    task = kb.tasks[task_id]
    rows = [[(f"{a.id} {a.title.get(kl)}", f"br:a:{a.id}")] for a in task.activities]
    rows.append([(t("btn.back", lang), "br:root")])
    head = escape(f"{task.id} {task.title.get(kl)}")
    return t("browse.activities", lang, task=head), rows


def browse_activity(kb: Knowledge, act_id: str, lang: str) -> tuple[str, list[list[Button]]]:
    kl = _kl(lang)
    act = kb.activities[act_id]
    cards = kb.cards_for(act_id)
    rows = [[(c.title.get(kl), f"card:{c.id}")] for c in cards]
    rows.append([(f"📑 {t('browse.details', lang)}", f"br:i:{act_id}")])
    rows.append([(t("btn.back", lang), f"br:t:{act.task_id}")])
    text = t(
        "browse.activity", lang, activity=escape(f"{act.id} {act.title.get(kl)}"), n=len(cards)
    )
    return text, rows


def browse_details(kb: Knowledge, act_id: str, lang: str) -> tuple[str, list[list[Button]]]:
    """An activity's behaviour indicators, outputs, and its task's K and S items."""
    kl = _kl(lang)
    act = kb.activities[act_id]
    task = kb.tasks[act.task_id]
    lines = [
        f"<b>{escape(act.id)} {escape(act.title.get(kl))}</b>",
        "",
        f"<b>{t('browse.indicators', lang)}</b>",
    ]
    lines += [f"• {i.id} {escape(i.text.get(kl))}" for i in act.indicators]
    if act.outputs:
        lines += ["", f"<b>{t('browse.outputs', lang)}</b>"]
        lines += [f"• {o.id} {escape(o.text.get(kl))}" for o in act.outputs]
    lines += ["", f"<b>{t('browse.knowledge', lang)}</b>"]
    lines += [
        f"• {k} {escape(kb.knowledge[k].text.get(kl))}"
        for k in task.knowledge
        if k in kb.knowledge
    ]
    lines += ["", f"<b>{t('browse.skills', lang)}</b>"]
    lines += [f"• {s} {escape(kb.skills[s].text.get(kl))}" for s in task.skills if s in kb.skills]
    return "\n".join(lines), [[(t("btn.back", lang), f"br:a:{act_id}")]]
