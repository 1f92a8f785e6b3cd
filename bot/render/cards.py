"""Cards, answers to questions, and the browse levels (tasks → activities → cards)."""

from __future__ import annotations

from html import escape

from bot import callbacks
from bot.asking import MAX_QUESTION, Asked
from bot.render.base import Button, Rows, View, kl
from bot.render.walk import walk_button
from bot.texts import Html, plain, t
from knowledge.models import Card, Knowledge
from knowledge.walks import fill


def card_text(kb: Knowledge, card: Card, lang: str) -> str:
    """A card as HTML: title, numbered steps, escalation, and the codes it rests on."""
    k = kl(lang)
    act = kb.activities.get(card.activity)
    lines = [f"📋 <b>{escape(fill(card.title.get(k), kb, k))}</b>", ""]
    # The store's contacts ({pos_vendor_phone} …) fill in, else the generic wording stands.
    lines += [f"{n}. {escape(fill(step.get(k), kb, k))}" for n, step in enumerate(card.steps, 1)]
    if card.escalate:
        lines += ["", t("card.escalate", lang, text=fill(card.escalate.get(k), kb, k))]
    codes = " · ".join([card.activity, *card.indicators])
    title = f" {escape(act.title.get(k))}" if act else ""
    lines += ["", f"<i>{codes}{title}</i>"]
    return "\n".join(lines)


def card_buttons(kb: Knowledge, card: Card, lang: str, question_id: int | None) -> Rows:
    k = kl(lang)
    rows: Rows = walk_button(card, lang)  # first: the one thumb goes there in a hurry
    for ref in card.related[:3]:
        other = kb.cards.get(ref)
        if other is not None:
            rows.append([(f"🔗 {other.title.get(k)}", callbacks.CARD.encode("", other.id))])
    if kb.questions_for(card.activity):
        rows.append([(plain("btn.practise", lang), callbacks.DRILL.encode("p", card.activity))])
    if question_id is not None:
        rows.append(
            [
                (plain("btn.up", lang), callbacks.FEEDBACK.encode("", question_id, 1)),
                (plain("btn.down", lang), callbacks.FEEDBACK.encode("", question_id, -1)),
            ]
        )
    return rows


def card_view(kb: Knowledge, card: Card, lang: str, question_id: int | None = None) -> View:
    return card_text(kb, card, lang), card_buttons(kb, card, lang, question_id)


def hit_label(kb: Knowledge, activity: str, card: str | None, lang: str) -> str:
    if card and card in kb.cards:
        return kb.cards[card].title.get(kl(lang))
    act = kb.activities[activity]
    return f"{activity} {act.title.get(kl(lang))}"


def hit_button(kb: Knowledge, activity: str, card: str | None, lang: str) -> Button:
    data = callbacks.CARD.encode("", card) if card else callbacks.BROWSE.encode("a", activity)
    return (hit_label(kb, activity, card, lang), data)


def answer_view(kb: Knowledge, asked: Asked, lang: str) -> View:
    """The reply to a question, by what the matcher made of it."""
    if asked.kind == "empty":
        return t("ask.empty", lang), []
    if asked.kind == "smalltalk":
        return t(f"smalltalk.{asked.smalltalk}", lang), []
    if asked.kind == "offtopic":
        return t("ask.offtopic", lang), []
    note = t("ask.too_long", lang, n=MAX_QUESTION) + "\n\n" if asked.truncated else ""
    if asked.kind == "answer" and asked.card is not None:
        text, rows = card_view(kb, asked.card, lang, asked.question_id)
        return note + text, rows
    if asked.kind == "suggest":
        rows = [[hit_button(kb, act, card, lang)] for act, card in asked.choices]
        return note + t("ask.suggest", lang), rows
    return note + t("ask.none", lang), [
        [(plain("btn.browse", lang), callbacks.BROWSE.encode("root"))]
    ]


def browse_tasks(kb: Knowledge, lang: str) -> View:
    k = kl(lang)
    code = kb.standard.code if kb.standard else ""
    rows = [
        [(f"{task.id} {task.title.get(k)}", callbacks.BROWSE.encode("t", task.id))]
        for task in kb.tasks.values()
    ]
    return t("browse.tasks", lang, code=code), rows


def browse_task(kb: Knowledge, task_id: str, lang: str) -> View:
    k = kl(lang)
    task = kb.tasks[task_id]
    rows = [
        [(f"{a.id} {a.title.get(k)}", callbacks.BROWSE.encode("a", a.id))] for a in task.activities
    ]
    rows.append([(plain("btn.back", lang), callbacks.BROWSE.encode("root"))])
    return t("browse.activities", lang, task=f"{task.id} {task.title.get(k)}"), rows


def browse_activity(kb: Knowledge, act_id: str, lang: str) -> View:
    k = kl(lang)
    act = kb.activities[act_id]
    cards = kb.cards_for(act_id)
    rows = [[(c.title.get(k), callbacks.CARD.encode("", c.id))] for c in cards]
    rows.append([(plain("btn.details", lang), callbacks.BROWSE.encode("i", act_id))])
    rows.append([(plain("btn.back", lang), callbacks.BROWSE.encode("t", act.task_id))])
    text = t("browse.activity", lang, activity=f"{act.id} {act.title.get(k)}", n=len(cards))
    return text, rows


def browse_details(kb: Knowledge, act_id: str, lang: str) -> View:
    """An activity's behaviour indicators, outputs, and its task's K and S items."""
    k = kl(lang)
    act = kb.activities[act_id]
    task = kb.tasks[act.task_id]

    def section(key: str, items: list[tuple[str, str]]) -> list[str]:
        return ["", t(key, lang), *(f"• {i} {escape(text)}" for i, text in items)]

    lines = [f"<b>{escape(act.id)} {escape(act.title.get(k))}</b>"]
    lines += section("browse.indicators", [(i.id, i.text.get(k)) for i in act.indicators])
    if act.outputs:
        lines += section("browse.outputs", [(o.id, o.text.get(k)) for o in act.outputs])
    lines += section(
        "browse.knowledge",
        [(x, kb.knowledge[x].text.get(k)) for x in task.knowledge if x in kb.knowledge],
    )
    lines += section(
        "browse.skills", [(s, kb.skills[s].text.get(k)) for s in task.skills if s in kb.skills]
    )
    return Html("\n".join(lines)), [
        [(plain("btn.back", lang), callbacks.BROWSE.encode("a", act_id))]
    ]


def browse_view(kb: Knowledge, tag: str, key: str | None, lang: str) -> View | None:
    """The browse level a button asks for, or None when its id is not in the knowledge."""
    if tag == "root":
        return browse_tasks(kb, lang)
    if tag == "t" and key in kb.tasks:
        return browse_task(kb, key, lang)
    if tag == "a" and key in kb.activities:
        return browse_activity(kb, key, lang)
    if tag == "i" and key in kb.activities:
        return browse_details(kb, key, lang)
    return None
