"""Drill questions, their outcomes, summaries and the daily reminder."""

from __future__ import annotations

from html import escape

from bot import callbacks
from bot.progress import Answer, Summary
from bot.render.base import Rows, View, kl
from bot.storage import DrillItem
from bot.texts import Html, plain, t
from knowledge.models import Knowledge, Question

LETTERS = "ABCD"


def question_view(item: DrillItem, question: Question, lang: str) -> View:
    k = kl(lang)
    text = t(
        "drill.question",
        lang,
        n=item.rank + 1,
        total=item.drill_size,
        activity=item.activity,
        question=question.question.get(k),
    )
    rows = [
        [
            (
                f"{LETTERS[pos]}. {question.options[orig].get(k)}",
                callbacks.DRILL.encode("a", item.id, pos),
            )
        ]
        for pos, orig in enumerate(item.option_order)
    ]
    return text, rows


def answered_view(kb: Knowledge, item: DrillItem, answer: Answer, lang: str) -> View:
    """The question again with the outcome, the right answer and why."""
    q, k = answer.question, kl(lang)
    head, _rows = question_view(item, q, lang)
    lines = [head, "", t("drill.right" if answer.correct else "drill.wrong", lang)]
    if not answer.correct:
        lines.append(t("drill.your_answer", lang, answer=q.options[answer.chosen].get(k)))
    lines.append(t("drill.correct_is", lang, answer=q.options[q.correct_index].get(k)))
    lines.append(f"💡 {escape(q.explanation.get(k))}")
    rows: Rows = []
    if q.card in kb.cards:
        rows = [[(plain("btn.see_card", lang), callbacks.CARD.encode("", q.card))]]
    return Html("\n".join(lines)), rows


def summary_view(kb: Knowledge, s: Summary, lang: str, stopped: bool = False) -> View:
    key = "drill.stopped" if stopped else "drill.summary"
    lines: list[str] = [
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
    rows: Rows = []
    if s.review:
        lines.append(t("drill.review", lang))
        for act_id in s.review:
            act = kb.activities.get(act_id)
            if act is not None:
                label = f"{act_id} {act.title.get(kl(lang))}"
                lines.append(f"• {escape(label)}")
                rows.append([(f"📚 {label}", callbacks.BROWSE.encode("a", act_id))])
    elif s.total and not stopped:
        lines.append(t("drill.all_right", lang))
    return Html("\n".join(lines)), rows


def skipped_note(n: int, lang: str) -> View:
    return t("drill.skipped", lang, n=n), []


def reminder_view(lang: str, size: int) -> View:
    rows = [[(plain("btn.start_drill", lang), callbacks.DRILL.encode("s"))]]
    return t("reminder.text", lang, n=size), rows
