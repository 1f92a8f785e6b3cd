"""The weekly digest message and the "team drill" invitation it can send."""

from __future__ import annotations

from bot import callbacks
from bot.digest import TeamDigest
from bot.render.base import Rows, View, kl
from bot.texts import Html, plain, t
from knowledge.models import Knowledge

_MARKS = {True: "✅", False: "⚠️"}


def digest_view(kb: Knowledge, d: TeamDigest, week: str, lang: str) -> View:
    k = kl(lang)
    lines: list[str] = [t("digest.title", lang, team=d.team.name, week=week), ""]
    lines.append(t("digest.drills_head", lang))
    if not d.members:
        lines.append(t("digest.no_members", lang))
    for m in d.members:
        mark = _MARKS[m.drills >= m.expected]
        lines.append(
            t("digest.member", lang, mark=mark, name=m.user.first_name, done=m.drills,
              expected=m.expected)
        )  # fmt: skip
    idle = [m.user.first_name for m in d.members if m.drills == 0]
    if idle:
        lines.append(t("digest.none_done", lang, names=plain("day.join", lang).join(idle)))
    lines += ["", t("digest.alerts_head", lang)]
    rows: Rows = []
    for alert in d.alerts:
        title = (
            kb.activities[alert.activity].title.get(k) if alert.activity in kb.activities else ""
        )
        lines.append(
            t("digest.alert", lang, activity=alert.activity, title=title, n=len(alert.members),
              practised=alert.practised)
        )  # fmt: skip
        rows.append(
            [
                (
                    plain("btn.team_drill", lang, activity=alert.activity),
                    callbacks.DIGEST.encode("d", d.team.id, alert.activity),
                )
            ]
        )
    if not d.alerts:
        lines.append(t("digest.no_alerts", lang))
    lines += ["", t("digest.unanswered_head", lang)]
    for g in d.unanswered:
        lines.append(t("digest.unanswered", lang, text=g.wordings[0][:60], n=g.count))
    if not d.unanswered:
        lines.append(t("digest.no_unanswered", lang))
    f = d.faults
    fixed = sum(c.fixed for c in f.cards)
    escalated = sum(c.escalated for c in f.cards)
    lines += ["", t("digest.faults", lang, walks=f.total, fixed=fixed, escalated=escalated)]
    lines += ["", t("digest.off_hint", lang)]
    return Html("\n".join(lines)), rows


def drill_invite(kb: Knowledge, activity: str, lang: str) -> View:
    title = kb.activities[activity].title.get(kl(lang))
    rows = [[(plain("btn.practise", lang), callbacks.DRILL.encode("p", activity))]]
    return t("digest.drill_invite", lang, activity=activity, title=title), rows


def drill_sent(activity: str, n: int, lang: str) -> str:
    key = "digest.drill_sent" if n else "digest.drill_nobody"
    return plain(key, lang, activity=activity, n=n)
