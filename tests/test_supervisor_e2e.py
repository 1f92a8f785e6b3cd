"""/team and /member end to end: who sees which team, the table, the heatmaps, a member's page."""

from __future__ import annotations

import io
import random
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from bot import progress, storage, team_charts
from bot.storage import Team
from knowledge.models import Knowledge
from tests.botharness import ADMIN, Harness, buttons, invite_code, running_bot
from tests.fakebot import Call, FakeUser, UploadedFile

SUE = FakeUser(id=8101, first_name="Sue", username="sue_sup")
BOB = FakeUser(id=8102, first_name="Bob")  # another team's supervisor
AMY = FakeUser(id=8201, first_name="怡君", username="amy_tw")
BEN = FakeUser(id=8202, first_name="Ben")
STAN = FakeUser(id=8301, first_name="Stan")  # never invited


@pytest.fixture
async def h(tmp_path: Path):  # type: ignore[no-untyped-def]
    async with running_bot(tmp_path) as harness:
        yield harness


async def new_team(h: Harness, name: str, supervisor: FakeUser) -> int:
    """The admin makes a team; `supervisor` joins it by the supervisor link."""
    [reply] = await h.say(ADMIN, f"/newteam {name}")
    await h.join(supervisor, invite_code(reply))
    user = storage.get_user(h.state.db, supervisor.id)
    assert user is not None and user.team_id is not None
    return user.team_id


async def join_staff(h: Harness, supervisor: FakeUser, *people: FakeUser) -> None:
    [inv] = await h.say(supervisor, "/invite")
    for person in people:
        await h.join(person, invite_code(inv))


def drill(h: Harness, user_id: int, at: datetime, right: int, rng: random.Random) -> None:
    """A finished five-question drill with `right` right answers, as the bot records it."""
    db, kb = h.state.db, h.state.kb
    d = progress.new_drill(db, kb, user_id, at, 5, rng=rng)
    assert d is not None
    for n, item in enumerate(storage.drill_items(db, d.id)):
        q = kb.questions[item.question_id]
        want = q.correct_index if n < right else (q.correct_index + 1) % len(q.options)
        progress.answer_item(db, kb, item, item.option_order.index(want), at, "zh-TW")
    storage.finish_drill(db, d.id, "done", at)


def add_member(h: Harness, team_id: int, uid: int, name: str) -> None:
    storage.create_user(
        h.state.db, uid, first_name=name, username=None, language="zh-TW", role="staff",
        team_id=team_id, now=h.clock.now,
    )  # fmt: skip
    storage.set_consent(h.state.db, uid, h.clock.now)


def texts(calls: list[Call]) -> str:
    return "\n".join(c.text or "" for c in calls)


def image_rows(call: Call) -> int:
    """How many members a heatmap image holds, from its height."""
    upload = call.params["photo"]
    assert isinstance(upload, UploadedFile) and upload.content.startswith(b"\x89PNG")
    height = Image.open(io.BytesIO(upload.content)).height
    rows, rest = divmod(height - team_charts.FRAME_H, team_charts.ROW_H)
    assert rest == 0
    return rows


async def test_supervisor_sees_their_team_and_opens_a_member(h: Harness) -> None:
    await h.join(ADMIN, None)
    team = await new_team(h, "信義店", SUE)
    await join_staff(h, SUE, AMY, BEN)
    rng = random.Random(3)
    for days in (1, 2, 3):
        drill(h, BEN.id, h.clock.now - timedelta(days=days), 5, rng)
    drill(h, AMY.id, h.clock.now - timedelta(days=20), 2, rng)
    table, photo = await h.say(SUE, "/team", replies=2)
    body = table.text or ""
    assert "信義店" in body and "2 位成員" in body
    table_part = body.split("天＝")[0]  # the legend and the rule follow the table
    rows = re.findall(r"^(🔴|🟡|🟢) (\S+)", table_part, flags=re.M)
    # Amy drilled 20 days ago (red) and comes first; Ben drilled on 3 days this week.
    assert [name for _, name in rows] == ["怡君", "Ben"]
    assert rows[0][0] == "🔴"
    assert "<pre>" in (table.params.get("text") or "") and "Sue" not in body.split("\n", 1)[1]
    ben_line = next(line for line in body.splitlines() if "Ben" in line)
    assert re.search(r"Ben\s+1\s+3\s+100%\s+3 ", ben_line), ben_line
    assert photo.method == "sendPhoto" and image_rows(photo) == 2
    assert "信義店" in (photo.params.get("caption") or "")
    labels = dict(buttons(table))
    amy_button = next(d for label, d in labels.items() if "怡君" in label)
    assert amy_button == f"tm:m:{AMY.id}"
    # Tapping a member: their page, then their 4-week chart.
    await h.press(SUE, table, amy_button)
    page, chart = await h.server.wait_for_reply(SUE.id, 2)
    assert "怡君" in (page.text or "") and "@amy_tw" in (page.text or "")
    assert "30 天內 1 次" in (page.text or "") and "T1.1" in (page.text or "")
    assert chart.method == "sendPhoto"
    assert team == storage.get_user(h.state.db, AMY.id).team_id  # type: ignore[union-attr]


async def test_member_page_marks_unanswered_questions(h: Harness) -> None:
    await h.join(ADMIN, None)
    await new_team(h, "信義店", SUE)
    await join_staff(h, SUE, AMY)
    db, now = h.state.db, h.clock.now
    asked = [
        ("發票機卡紙怎麼辦", "answer", None, 50),
        ("這個東西怎麼弄", "none", None, 40),
        ("退貨要怎麼處理", "suggest", None, 30),
        ("會員點數怎麼查", "suggest", None, 20),
        ("改價錢要主管嗎", "answer", -1, 10),
    ]
    for text, tier, fb, minutes in asked:
        qid = storage.log_question(
            db, AMY.id, None, text, activity=None, card=None, score=None, tier=tier,
            now=now - timedelta(minutes=minutes),
        )  # fmt: skip
        if fb:
            storage.set_feedback(db, qid, AMY.id, fb)
    # The member opened a suggested card right after the third question: it was followed.
    storage.record_card_view(db, AMY.id, "t33-pos-freeze", now - timedelta(minutes=29))
    page, _chart = await h.say(SUE, "/member @amy_tw", replies=2)
    lines = {line.split(" ")[-1]: line for line in (page.text or "").splitlines() if " " in line}
    assert "✅" in lines["發票機卡紙怎麼辦"]
    assert "找不到答案" in lines["這個東西怎麼弄"]
    assert "✅" in lines["退貨要怎麼處理"]
    assert "沒有點開" in lines["會員點數怎麼查"]
    assert "👎" in lines["改價錢要主管嗎"]
    assert "最近 5 則提問" in (page.text or "")


async def test_member_search_by_name_with_several_matches(h: Harness) -> None:
    await h.join(ADMIN, None)
    team = await new_team(h, "信義店", SUE)
    add_member(h, team, 9001, "王怡君")
    add_member(h, team, 9002, "陳怡君")
    [pick] = await h.say(SUE, "/member 怡君")
    assert "好幾位" in (pick.text or "")
    assert sorted(d for _, d in buttons(pick)) == ["tm:m:9001", "tm:m:9002"]
    await h.press(SUE, pick, "tm:m:9002")
    page, _chart = await h.server.wait_for_reply(SUE.id, 2)
    assert "陳怡君" in (page.text or "")
    [usage] = await h.say(SUE, "/member")
    assert "/member" in (usage.text or "")
    [none] = await h.say(SUE, "/member <b>nobody</b>")
    assert "找不到" in (none.text or "") and "&lt;b&gt;" in (none.params.get("text") or "")


async def test_team_with_no_members(h: Harness) -> None:
    await h.join(ADMIN, None)
    await new_team(h, "新店", SUE)
    [reply] = await h.say(SUE, "/team")
    assert "還沒有成員" in (reply.text or "") and not buttons(reply)
    await h.quiet()
    assert not h.server.calls_of("sendPhoto")


async def test_team_of_fifty_splits_the_heatmap_and_keeps_everyone(h: Harness) -> None:
    await h.join(ADMIN, None)
    team = await new_team(h, "大安店", SUE)
    names = [f"成員{n:02d}" for n in range(50)]
    for n, name in enumerate(names):
        add_member(h, team, 20_000 + n, name)
    rng = random.Random(5)
    for n in range(0, 50, 7):
        drill(h, 20_000 + n, h.clock.now - timedelta(days=1), n % 6, rng)
    first, *rest = await h.say(SUE, "/team", replies=3)
    calls = [first, *rest]
    table = [c for c in calls if c.method == "sendMessage"]
    photos = [c for c in calls if c.method == "sendPhoto"]
    assert len(table) == 1 and len(photos) == 2
    body = texts(table)
    assert all(name in body for name in names)
    assert len(buttons(table[-1])) == 50
    assert sorted(image_rows(p) for p in photos) == [25, 25]
    assert [(p.params.get("caption") or "")[-3:] for p in photos] == ["1/2", "2/2"]


async def test_admin_chooses_a_team_with_buttons(h: Harness) -> None:
    await h.join(ADMIN, None)
    team_a = await new_team(h, "A 店", SUE)
    await new_team(h, "B 店", BOB)
    await join_staff(h, SUE, AMY)
    [pick] = await h.say(ADMIN, "/team")
    assert f"tm:t:{team_a}" in [d for _, d in buttons(pick)]
    await h.press(ADMIN, pick, f"tm:t:{team_a}")
    table, _photo = await h.server.wait_for_reply(ADMIN.id, 2)
    assert "A 店" in (table.text or "") and "怡君" in (table.text or "")
    # By name or id as the argument too.
    table2, _photo2 = await h.say(ADMIN, f"/team {team_a}", replies=2)
    assert "怡君" in (table2.text or "")


async def test_an_area_manager_picks_among_their_teams(h: Harness) -> None:
    await h.join(ADMIN, None)
    team_a = await new_team(h, "A 店", SUE)
    team_b = storage.create_team(h.state.db, "B 店", h.clock.now)
    storage.add_lead(h.state.db, SUE.id, team_b.id)  # Sue now leads B too
    [pick] = await h.say(SUE, "/team")
    assert len(buttons(pick)) == 2
    [b] = await h.say(SUE, "/team B 店")
    assert "B 店" in (b.text or "") and "還沒有成員" in (b.text or "")
    assert storage.get_team(h.state.db, team_a) == Team(team_a, "A 店")


# Who may not: (who, what they send or press) → what they get instead of the team's data.
REFUSED = [
    ("staff", "/team", "只有主管"),
    ("staff", "/member 怡君", "只有主管"),
    ("staff", "button-member", "只有主管"),
    ("staff", "button-team", "只有主管"),
    ("stranger", "/team", "邀請"),
    ("stranger", "/member 怡君", "邀請"),
    ("stranger", "button-member", "過期"),
    ("stranger", "button-team", "過期"),
    ("other", "/team A 店", "找不到"),
    ("other", "/member 怡君", "找不到"),
    ("other", f"/member {AMY.id}", "找不到"),
    ("other", "button-member", "過期"),
    ("other", "button-team", "過期"),
]


@pytest.mark.parametrize(("who", "action", "answer"), REFUSED)
async def test_refused(h: Harness, who: str, action: str, answer: str) -> None:
    await h.join(ADMIN, None)
    team_a = await new_team(h, "A 店", SUE)
    await new_team(h, "B 店", BOB)
    await join_staff(h, SUE, AMY, BEN)
    person = {"staff": BEN, "stranger": STAN, "other": BOB}[who]
    if who == "stranger":
        await h.say(STAN, "/start")
    before = len(h.server.sent_to(person.id))
    if action.startswith("button"):
        note = h.server.sent_to(person.id)[-1]
        data = f"tm:m:{AMY.id}" if action == "button-member" else f"tm:t:{team_a}"
        ack = await h.press(person, note, data)
        shown = ack.params.get("text", "")
    else:
        [reply] = await h.say(person, action)
        shown = reply.text or ""
    assert answer in shown
    await h.quiet()
    after = h.server.sent_to(person.id)[before:]
    echoed = action.partition(" ")[2]  # "not found" repeats what they typed
    assert "怡君" not in texts(after).replace(echoed, "")
    assert "A 店" not in texts(after).replace(echoed, "")
    assert not [d for c in after for _, d in buttons(c) if d.startswith("tm:")]
    assert not [c for c in after if c.method == "sendPhoto"]


async def test_forged_team_buttons_are_stale(h: Harness) -> None:
    await h.join(ADMIN, None)
    await new_team(h, "A 店", SUE)
    note = h.server.sent_to(SUE.id)[-1]
    for data in ("tm:m:abc", "tm:m:99999999", "tm:t:424242", "tm:x:1", "tm:m:²"):
        ack = await h.press(SUE, note, data)
        assert "過期" in ack.params.get("text", ""), data


def test_every_activity_has_a_short_title(kb: Knowledge) -> None:
    from bot.texts import plain

    for lang in ("zh-TW", "en"):
        listed = [line.split(" ")[0] for line in plain("heat.short", lang).splitlines()]
        assert listed == list(kb.activities)
