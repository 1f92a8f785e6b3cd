"""Guided troubleshooting: one step per message, the fault report, /faults, walk-stats."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot import callbacks
from bot.outcomes import CardStat, Faults
from bot.render.base import Rows, View, kl, pct
from bot.storage import User, WalkRow
from bot.texts import Html, plain, t
from bot.walking import Begun, FaultReport, Moved, Shown
from knowledge.models import Card, Knowledge, Text
from knowledge.walks import contacts_named, fill, step_index

W = callbacks.WALK
SINCE_KEYS = {
    "15m": "walk.since.15m",
    "1h": "walk.since.1h",
    "day": "walk.since.day",
    "unk": "walk.since.unk",
}
SHORT = 70  # characters of a step in reports and lists


def filled(kb: Knowledge, text: Text, lang: str) -> str:
    """A knowledge text in the user's language with the store's contacts filled in."""
    return fill(text.get(kl(lang)), kb, kl(lang))


# Where a first sentence ends: the full stop, semicolon and question mark of both scripts
# (code points, so no Chinese literal sits in the code); a full-width one is kept.
_WIDE_ENDS = (chr(0x3002), chr(0xFF1F))
_ENDS = (*_WIDE_ENDS, chr(0xFF1B), ". ", "? ", "; ")


def short(text: str, limit: int = SHORT) -> str:
    """The first sentence of a step, cut to `limit` characters."""
    cut = min((at for end in _ENDS if 0 < (at := text.find(end)) < limit), default=None)
    if cut is not None:
        return text[: cut + (1 if text[cut] in _WIDE_ENDS else 0)].strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def name_of(user: User | None) -> str:
    if user is None:
        return "?"
    return f"{user.first_name} (@{user.username})" if user.username else user.first_name or "?"


def walk_button(card: Card, lang: str) -> Rows:
    """The "walk me through it" row on a walkable card."""
    if card.walk is None or not card.walk.steps:
        return []
    return [[(plain("walk.btn.start", lang), W.encode("go", card.id))]]


def step_text(kb: Knowledge, shown: Shown, lang: str) -> Html:
    return t(
        "walk.step",
        lang,
        title=shown.card.title.get(kl(lang)),
        n=shown.number,
        text=filled(kb, shown.step.text, lang),
    )


def step_view(kb: Knowledge, shown: Shown, lang: str) -> View:
    """One step, with its answers, or fixed / didn't help / get help; one button a row."""
    w, turn, step = shown.walk.id, shown.walk.turn, shown.step
    rows: Rows
    if step.ask:
        rows = [
            [(option.get(kl(lang)), W.encode("a", w, turn, k))]
            for k, option in enumerate(step.ask)
        ]
    else:
        nxt = "walk.btn.next_last" if shown.last else "walk.btn.next"
        rows = [
            [(plain("walk.btn.fixed", lang), W.encode("f", w, turn))],
            [(plain(nxt, lang), W.encode("n", w, turn))],
        ]
    rows.append([(plain("walk.btn.help", lang), W.encode("h", w, turn))])
    return step_text(kb, shown, lang), rows


def answered_view(kb: Knowledge, moved: Moved, action: str, lang: str) -> View:
    """The step just answered, without its buttons, saying what was answered."""
    assert moved.answered is not None
    if moved.chosen is not None:
        answer = moved.chosen.get(kl(lang))
    else:
        answer = plain(
            {"fixed": "walk.btn.fixed", "next": "walk.btn.next", "help": "walk.btn.help"}[action],
            lang,
        )
        if action == "next" and moved.answered.last:
            answer = plain("walk.btn.next_last", lang)
    step = step_text(kb, moved.answered, lang)
    return t("walk.answered", lang, step=step, answer=answer), []


def fixed_view(kb: Knowledge, moved: Moved, lang: str) -> View:
    """Fixed: at which step and how long, and what to check before selling again."""
    assert moved.answered is not None
    text = t("walk.fixed", lang, n=moved.answered.number, minutes=moved.minutes)
    walk = moved.answered.card.walk
    if walk is not None and walk.after is not None:
        text = Html(f"{text}\n\n{t('walk.after', lang, text=filled(kb, walk.after, lang))}")
    return text, []


def evidence_view(walk: WalkRow, lang: str) -> View:
    return t("walk.evidence", lang), [[(plain("walk.btn.skip", lang), W.encode("sk", walk.id))]]


def since_view(walk: WalkRow, lang: str, got: bool = False) -> View:
    text = t("walk.since", lang)
    if got:
        text = Html(f"{t('walk.got', lang)}\n\n{text}")
    rows = [[(plain(key, lang), W.encode("s", walk.id, code))] for code, key in SINCE_KEYS.items()]
    return text, rows


def open_view(begun: Begun, lang: str) -> View:
    """Another walk-through is open: continue it, or drop it and start the card asked for."""
    other, card = begun.other, begun.card
    assert other is not None
    assert card is not None
    k = kl(lang)
    title = begun.other_card.title.get(k) if begun.other_card else other.card
    key = "walk.open" if other.status == "active" else "walk.open_report"
    text = t(key, lang, card=title, n=other.turn + 1, new=card.title.get(k))
    rows = [
        [(plain("walk.btn.continue", lang, card=title[:40]), W.encode("re", other.id))],
        [(plain("walk.btn.drop", lang), W.encode("nw", other.id, card.id))],
    ]
    return text, rows


def _local(moment: datetime, tz: ZoneInfo, with_date: bool = False) -> str:
    return moment.astimezone(tz).strftime("%m/%d %H:%M" if with_date else "%H:%M")


def report_text(kb: Knowledge, report: FaultReport, lang: str, tz: ZoneInfo) -> Html:
    """The fault report as the card's escalation asks for it: who, device, since when, what
    was tried in order, what the screen said, time spent, next step and contacts."""
    k = kl(lang)
    card, walk = report.card, report.walk
    device = card.walk.device if card.walk and card.walk.device else card.title
    lines: list[str] = [
        t("walk.report.title", lang),
        t("walk.report.who", lang, name=name_of(report.staff)),
    ]
    if report.team is not None:
        lines.append(t("walk.report.team", lang, team=report.team.name))
    lines.append(t("walk.report.device", lang, device=device.get(k)))
    since = plain(SINCE_KEYS.get(walk.since or "unk", "walk.since.unk"), lang)
    lines.append(t("walk.report.since", lang, since=since, time=_local(walk.started_at, tz, True)))
    lines += ["", t("walk.report.tried", lang)]
    # 🆘 pressed on a step means that step was not tried: it is not listed.
    tried_steps = [tr for tr in report.tried if tr.outcome != "help"]
    if not tried_steps:
        lines.append(t("walk.report.nothing_tried", lang))
    for tried in tried_steps:
        what = short(filled(kb, tried.step.text, lang)) if tried.step else tried.step_id
        if tried.chosen is not None:
            outcome = plain("walk.report.out_answer", lang, answer=tried.chosen.get(k))
        else:
            outcome = plain("walk.report.out_next", lang)
        lines.append(
            f"{tried.number}. {escape(what, quote=False)} → {escape(outcome, quote=False)}"
        )
    lines.append("")
    if walk.evidence_photo:
        lines.append(t("walk.report.photo", lang))
    if walk.evidence_text:
        lines.append(t("walk.report.screen", lang, text=walk.evidence_text))
    elif not walk.evidence_photo:
        lines.append(t("walk.report.no_screen", lang))
    end = walk.ended_at or walk.started_at
    lines.append(
        t(
            "walk.report.duration",
            lang,
            minutes=report.minutes,
            start=_local(walk.started_at, tz),
            end=_local(end, tz),
        )
    )
    if card.escalate is not None:
        lines += ["", t("walk.report.next", lang, text=filled(kb, card.escalate, lang))]
    named = contacts_named(card)
    if named:
        lines += ["", t("walk.report.contacts", lang)]
        for key in named:
            contact = kb.contacts.get(key)
            if contact is None:
                continue
            own = kb.store_contacts.get(key)
            value = own.get(k) if own is not None else contact.generic.get(k)
            lines.append(t("walk.report.contact", lang, label=contact.label.get(k), value=value))
    return Html("\n".join(lines))


def staff_report_view(kb: Knowledge, report: FaultReport, lang: str, tz: ZoneInfo) -> View:
    return report_text(kb, report, lang, tz), []


def delivery_view(sent: list[User], failed: list[User], lang: str) -> View:
    """What the staff member is told after the report: who got it, or forward it yourself."""
    lines: list[str] = [t("walk.report.forward", lang)]
    if sent:
        names = ", ".join(u.first_name for u in sent)
        lines.append(t("walk.report.sent_to", lang, names=names))
    if failed:
        names = ", ".join(u.first_name for u in failed)
        lines.append(t("walk.report.not_sent", lang, names=names))
    if not sent and not failed:
        lines.append(t("walk.report.no_lead", lang))
    return Html("\n".join(lines)), []


def lead_report_view(kb: Knowledge, report: FaultReport, lang: str, tz: ZoneInfo) -> View:
    """The report as a supervisor gets it, with the "I'm on it" button."""
    title = report.card.title.get(kl(lang))
    head = t("walk.lead.header", lang, name=report.staff.first_name, title=title)
    text = Html(f"{head}\n\n{report_text(kb, report, lang, tz)}")
    return text, [[(plain("walk.btn.take", lang), W.encode("take", report.walk.id))]]


def lead_taken_view(kb: Knowledge, report: FaultReport, lang: str, tz: ZoneInfo) -> View:
    """The supervisor's copy once they took it: the report, no button, a line saying so."""
    text, _rows = lead_report_view(kb, report, lang, tz)
    done = t("walk.taken.lead", lang, name=report.staff.first_name)
    return Html(f"{text}\n\n{done}"), []


def taken_staff_view(taker: User, card: Card | None, lang: str) -> View:
    title = card.title.get(kl(lang)) if card else ""
    return t("walk.taken.staff", lang, name=taker.first_name, title=title), []


def already_taken(taker: User | None, lang: str) -> str:
    name = taker.first_name if taker is not None else plain("walk.someone", lang)
    return plain("walk.taken.already", lang, name=name)


def _step_label(card: Card | None, step_id: str, kb: Knowledge, lang: str) -> tuple[int, str]:
    """A step's number in its walk (0 if gone) and its short text."""
    if card is None or card.walk is None:
        return 0, step_id
    steps = step_index(card.walk)
    if step_id not in steps:
        return 0, step_id
    n = [s.id for s in card.walk.steps].index(step_id) + 1
    return n, short(filled(kb, steps[step_id].text, lang))


def faults_view(kb: Knowledge, faults: Faults, lang: str, tz: ZoneInfo) -> View:
    """/faults: top problems this week, which step fixed each, escalations nobody took."""
    k = kl(lang)
    teams = ", ".join(tm.name for tm in faults.teams) or "-"
    lines: list[str] = [
        t("walk.faults.header", lang, start=_local(faults.start, tz, True), teams=teams)
    ]
    lines.append("")
    if not faults.cards:
        lines.append(t("walk.faults.none", lang))
    for cf in faults.cards[:10]:
        title = cf.card.title.get(k) if cf.card else cf.card_id
        lines.append(
            t(
                "walk.faults.card",
                lang,
                title=title,
                walks=cf.walks,
                fixed=cf.fixed,
                escalated=cf.escalated,
            )
        )
        for step_id, count in cf.fixed_at:
            n, label = _step_label(cf.card, step_id, kb, lang)
            lines.append(t("walk.faults.fixed_at", lang, n=n or "?", count=count, step=label))
    lines.append("")
    if faults.open:
        lines.append(t("walk.faults.open", lang, n=faults.open_count))
        for of in faults.open:
            when = of.walk.reported_at or of.walk.started_at
            lines.append(
                t(
                    "walk.faults.open_line",
                    lang,
                    when=_local(when, tz, True),
                    name=of.staff.first_name if of.staff else "?",
                    team=of.team.name if of.team else "-",
                    title=of.card.title.get(k) if of.card else of.walk.card,
                )
            )
    else:
        lines.append(t("walk.faults.no_open", lang))
    return Html("\n".join(lines)), []


def stats_lines(kb: Knowledge, stats: list[CardStat], lang: str) -> list[str]:
    """walk-stats for the terminal: per card, each step reached and fixing, the best step."""
    k = kl(lang)
    if not stats:
        return [plain("walk.stats.none", lang)]
    out: list[str] = []
    for cs in stats:
        title = cs.card.title.get(k) if cs.card else ""
        out.append(
            plain(
                "walk.stats.card",
                lang,
                card=cs.card_id,
                title=title,
                walks=cs.walks,
                fixed=cs.fixed,
                escalated=cs.escalated,
            )
        )
        for st in cs.steps:
            n, label = _step_label(cs.card, st.step_id, kb, lang)
            out.append(
                plain(
                    "walk.stats.step",
                    lang,
                    n=n or "?",
                    step=label,
                    reached=st.reached,
                    fixed=st.fixed,
                    pct=pct(st.fixed / st.reached if st.reached else None),
                )
            )
        best = cs.best
        if best is not None:
            _n, label = _step_label(cs.card, best.step_id, kb, lang)
            out.append(plain("walk.stats.best", lang, step=label))
        out.append("")
    return out
