"""/export end to end through the fake Bot API server: documents received by a supervisor and
an admin; staff, strangers and another team's supervisor refused, by command and by button."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.botharness import ADMIN, Harness, buttons, invite_code, running_bot
from tests.fakebot import Call, FakeUser, UploadedFile
from tests.test_drill_e2e import answer

EVIL = "=cmd|' /C calc'!A0"
SUE = FakeUser(id=8101, first_name="Sue")
SAM = FakeUser(id=8102, first_name="Sam", language_code="en")
AMY = FakeUser(id=8201, first_name=EVIL)
OLGA = FakeUser(id=8301, first_name="Olga")
STRANGER = FakeUser(id=8999, first_name="Mallory")


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    """Team 1 (Sue leads; Amy, whose name is a formula, did a drill) and team 2 (Sam, Olga)."""
    async with running_bot(tmp_path) as harness:
        await harness.join(ADMIN, None)
        for sup, staff, name in ((SUE, AMY, "信義店"), (SAM, OLGA, "Other")):
            [made] = await harness.say(ADMIN, f"/newteam {name}")
            await harness.join(sup, invite_code(made))
            [inv] = await harness.say(sup, "/invite")
            await harness.join(staff, invite_code(inv))
        [question] = await harness.say(AMY, "/drill")
        for n in range(5):
            harness.clock.advance(seconds=30)
            _edit, question = await answer(harness, AMY, question, correct=n != 0)
        yield harness


def _csv(call: Call) -> list[list[str]]:
    upload = call.params["document"]
    assert isinstance(upload, UploadedFile)
    assert upload.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(upload.content.decode("utf-8-sig"))))


def _documents(calls: list[Call]) -> dict[str, list[list[str]]]:
    out = {}
    for call in calls:
        if call.method == "sendDocument":
            upload = call.params["document"]
            assert isinstance(upload, UploadedFile) and upload.filename
            out[upload.filename.rsplit("-", 1)[1]] = _csv(call)
    return out


async def test_supervisor_gets_three_csv_documents(h: Harness) -> None:
    working, *docs, done = await h.say(SUE, "/export", replies=5)
    assert "正在準備「信義店」" in (working.text or "")
    assert [d.method for d in docs] == ["sendDocument"] * 3
    assert "行為指標" in (docs[0].params.get("caption") or "")
    files = _documents(docs)
    assert set(files) == {"answers.csv", "questions.csv", "evidence.csv"}
    head, *rows = files["answers.csv"]
    assert head[0] == "成員" and head[-1] == "作答時間"
    assert len(rows) == 5
    assert {r[0] for r in rows} == {"'" + EVIL}  # the name is text, not a formula
    assert [r[6] for r in rows] == ["0", "1", "1", "1", "1"]
    assert all(r[7].startswith("2026-11-30T09:") and r[7].endswith("+08:00") for r in rows)
    evidence = files["evidence.csv"][1:]
    # Everyone in the team who consented: Sue and Amy, 17 activities each.
    assert len(evidence) == 2 * len(h.state.kb.activities)
    assert sum(int(r[8]) for r in evidence) == 5
    text = done.text or ""
    assert "作答紀錄 5 筆" in text and "成員 2 位" in text and "Asia/Taipei" in text


async def test_admin_chooses_the_team_with_buttons(h: Harness) -> None:
    [chooser] = await h.say(ADMIN, "/export 2026-11-01 2026-11-30")
    labels = buttons(chooser)
    assert [label for label, _ in labels] == ["1. 信義店", "2. Other"]
    assert labels[0][1] == "ex:t:1:20261101:20261130"
    await h.press(ADMIN, chooser, labels[0][1])
    edited, *docs, done = await h.server.wait_for_reply(ADMIN.id, 5)
    assert edited.method == "editMessageText" and "信義店" in (edited.text or "")
    assert len(_documents(docs)["answers.csv"]) == 1 + 5
    assert "2026-11-01" in (done.text or "")
    # A team id straight away, in English for an English supervisor.
    _working, *docs, done = await h.say(SAM, "/export", replies=5)
    assert _documents(docs)["answers.csv"] == [
        ["member", "user id", "team", "activity", "indicator ids", "question id",
         "correct (1 yes 0 no)", "answered at"],
    ]  # fmt: skip
    assert 'Export of "Other" ready' in (done.text or "")


async def test_admin_pages_through_many_teams(h: Harness) -> None:
    for n in range(11):
        await h.say(ADMIN, f"/newteam 分店{n}")
    [chooser] = await h.say(ADMIN, "/export")
    assert len(buttons(chooser)) == 10 + 1 and buttons(chooser)[-1][0] == "更多 ▸"
    await h.press(ADMIN, chooser, buttons(chooser)[-1][1])
    [page2] = await h.server.wait_for_reply(ADMIN.id)
    assert [label for label, _ in buttons(page2)][-1] == "◂ 上一頁"
    assert "11. 分店8" in [label for label, _ in buttons(page2)]


@pytest.mark.parametrize(
    ("who", "command", "expected"),
    [
        (OLGA, "/export", "這個指令只有主管可以用。"),
        (AMY, "/export 1", "這個指令只有主管可以用。"),
        (STRANGER, "/export", None),  # a stranger is told how to join, nothing else
        (SAM, "/export 1", "No such team, or not one you may see."),
        (SAM, "/export 1 2026-11-01 2026-11-30", "No such team, or not one you may see."),
        (SUE, "/export 2026-11-30 2026-11-01", "開始日期要在結束日期之前"),
        (SUE, "/export 2024-01-01 2026-11-30", "一次最多匯出 366 天"),
        (SUE, "/export 2026-02-30", "用法：/export"),
        (SUE, "/export 1 2 3", "用法：/export"),
    ],
)
async def test_refused_or_corrected(
    h: Harness, who: FakeUser, command: str, expected: str | None
) -> None:
    before = len(h.server.calls_of("sendDocument"))
    [reply] = await h.say(who, command)
    if expected is None:
        assert "邀請" in (reply.text or "") or "invite" in (reply.text or "")
    else:
        assert expected in (reply.text or "")
    await h.quiet(0.2)
    assert len(h.server.calls_of("sendDocument")) == before


async def test_forged_buttons_get_the_stale_answer(h: Harness) -> None:
    stale = ("這個按鈕已經過期了。", "This button has expired.")
    forged = ["ex:t:1:20261101:20261130", "ex:p:0:20261101:20261130", "ex:t:1:20261301:20261130"]
    for who in (OLGA, AMY, SAM, STRANGER):
        [mine] = await h.say(who, "/help")
        for data in forged:
            answered = await h.press(who, mine, data)
            assert answered.params.get("text") in stale
    # Sue's own team but a forged date, and a team that does not exist.
    [mine] = await h.say(SUE, "/help")
    for data in ("ex:t:1:20261301:20261130", "ex:t:99:20261101:20261130"):
        answered = await h.press(SUE, mine, data)
        assert answered.params.get("text") == "這個按鈕已經過期了。"
    await h.quiet(0.2)
    assert h.server.calls_of("sendDocument") == []
