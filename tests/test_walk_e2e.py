"""Guided troubleshooting end to end through the fake Bot API server: one step per message,
branches, the fault report with a photo reaching the supervisor, the store's contacts,
a restart mid-way, stale and forged buttons, one walk-through at a time, groups, /faults."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import storage
from tests.botharness import (
    ADMIN,
    Clock,
    Harness,
    buttons,
    invite_code,
    make_settings,
    running_app,
    running_bot,
)
from tests.cli import run_cli
from tests.fakebot import Call, FakeBotApi, FakeUser

AMY = FakeUser(id=8301, first_name="Amy", username="amy_shop")
BEN = FakeUser(id=8302, first_name="Ben", language_code="en")
SUE = FakeUser(id=8101, first_name="Sue")
GROUP = {"id": -100777, "type": "supergroup", "title": "信義店群組"}


async def team(h: Harness, *users: FakeUser) -> None:
    """Admin makes a team; Sue leads it; the users join as staff and consent."""
    await h.join(ADMIN, None)
    [reply] = await h.say(ADMIN, "/newteam 信義店")
    await h.join(SUE, invite_code(reply))
    [inv] = await h.say(SUE, "/invite")
    for user in users:
        await h.join(user, invite_code(inv))


def data(call: Call, prefix: str) -> str:
    """The callback data of the first button whose data starts with `prefix`."""
    found = [d for _label, d in buttons(call) if d.startswith(prefix)]
    assert found, (prefix, buttons(call))
    return found[0]


async def press(
    h: Harness, user: FakeUser, message: Call, prefix: str, replies: int = 2
) -> list[Call]:
    """Press the button starting with `prefix`; return the bot's next `replies` messages
    (edits count) to the user's private chat."""
    await h.press(user, message, data(message, prefix))
    return await h.server.wait_for_reply(user.id, replies)


async def start(h: Harness, user: FakeUser, card: str) -> Call:
    """Open a card's walk-through from a message in the user's chat; its first step."""
    [anchor] = await h.say(user, "/help")
    await h.press(user, anchor, f"wk:go:{card}")
    [first] = await h.server.wait_for_reply(user.id)
    return first


async def press_in_group(h: Harness, user: FakeUser, message: Call, data: str) -> Call:
    """Press a button under a bot message in GROUP; return the answerCallbackQuery call."""
    before = len(h.server.calls_of("answerCallbackQuery"))
    h.server.press(user, message.result["message_id"], data, chat=GROUP)
    await h.server.wait_for(lambda s: len(s.calls_of("answerCallbackQuery")) > before)
    return h.server.calls_of("answerCallbackQuery")[before]


def walk_of(h: Harness, step: Call) -> storage.WalkRow:
    walk_id = int(buttons(step)[0][1].split(":")[2])
    walk = storage.get_walk(h.state.db, walk_id)
    assert walk is not None
    return walk


@pytest.fixture
async def h(tmp_path: Path):  # type: ignore[no-untyped-def]
    async with running_bot(tmp_path) as harness:
        yield harness


async def test_the_card_offers_a_walk_and_step_2_fixes_it(h: Harness) -> None:
    await team(h, AMY)
    [card] = await h.say(AMY, "收銀機當機了 畫面不動")
    assert buttons(card)[0] == ("🧭 一步一步帶我做", "wk:go:t33-pos-freeze")
    await h.press(AMY, card, "wk:go:t33-pos-freeze")
    [step1] = await h.server.wait_for_reply(AMY.id)
    text = step1.text or ""
    assert "第 1 步" in text and "休眠" in text
    assert "第 2 步" not in text  # one step per message
    assert [label for label, _ in buttons(step1)] == [
        "✅ 好了，解決了",
        "➡️ 沒用，下一步",
        "🆘 現在就找人幫忙",
    ]
    h.clock.advance(minutes=2)
    edited, step2 = await press(h, AMY, step1, "wk:n:")
    assert "→ ➡️ 沒用，下一步" in (edited.text or "") and not buttons(edited)
    assert "第 2 步" in (step2.text or "") and "記下卡住的那筆" in (step2.text or "")
    h.clock.advance(minutes=3)
    _edited, done = await press(h, AMY, step2, "wk:f:")
    assert "第 2 步搞定" in (done.text or "") and "5 分鐘" in (done.text or "")
    assert "恢復營業前" in (done.text or "")  # what to check before selling again
    walk = walk_of(h, step1)
    assert walk.status == "fixed" and walk.fixed_step == "note"
    answers = storage.walk_answers(h.state.db, walk.id)
    assert [(a.step, a.outcome) for a in answers] == [("wake", "next"), ("note", "fixed")]


async def test_a_branch_is_taken_and_the_generic_contact_stands(h: Harness) -> None:
    await team(h, BEN)
    scope = await start(h, BEN, "t33-network-down")
    assert "whole store offline" in (scope.text or "")
    labels = [label for label, _ in buttons(scope)]
    assert labels == ["Just one device", "The whole store", "🆘 Get help now"]
    edited, lights = await press(h, BEN, scope, f"wk:a:{walk_of(h, scope).id}:0:1")
    assert "→ The whole store" in (edited.text or "")
    assert "modem and router lights" in (lights.text or "")  # not the one-device step
    _e, restart = await press(h, BEN, lights, "wk:n:")
    _e, isp = await press(h, BEN, restart, "wk:n:")
    text = isp.text or ""
    assert "number on the modem sticker or the bill" in text and "{" not in text
    assert ("➡️ Didn't help, get help", data(isp, "wk:n:")) in buttons(isp)  # the last step


async def test_escalation_with_a_photo_reaches_the_supervisor(h: Harness) -> None:
    await team(h, AMY)
    step1 = await start(h, AMY, "t33-pos-freeze")
    _e, step2 = await press(h, AMY, step1, "wk:n:")
    _e, ask = await press(h, AMY, step2, "wk:n:")
    assert "正在更新" in (ask.text or "")
    _e, wait = await press(h, AMY, ask, f"wk:a:{walk_of(h, ask).id}:2:0")
    assert "30 分鐘" in (wait.text or "")
    h.clock.advance(minutes=9)
    _e, prompt = await press(h, AMY, wait, "wk:n:")
    assert "照片" in (prompt.text or "") and buttons(prompt)[0][0] == "⏭ 跳過，直接回報"
    h.server.send_photo(AMY, caption="錯誤 0x80070005")
    [since] = await h.server.wait_for_reply(AMY.id)
    assert "收到" in (since.text or "") and "什麼時候開始" in (since.text or "")
    await h.press(AMY, since, data(since, "wk:s:").replace(":15m", ":1h"))
    _edited, report, delivered = await h.server.wait_for_reply(AMY.id, 3)
    text = report.text or ""
    assert "故障回報" in text and "Amy (@amy_shop)" in text and "信義店" in text
    assert "收銀機（POS）" in text and "1 小時內" in text
    # What was tried, in order, with the answer to the question.
    tried = text[text.index("已經試過") :]
    assert tried.index("1. ") < tried.index("2. ") < tried.index("3. ") < tried.index("4. ")
    assert "答：有，正在更新" in tried and "錯誤 0x80070005" in text
    assert "9 分鐘" in text and "POS 廠商客服：電話在機身貼紙上" in text
    assert "Sue" in (delivered.text or "")
    # Sue gets the photo, then the report with "I'm on it".
    photo, lead = await h.server.wait_for_reply(SUE.id, 2)
    assert photo.method == "sendPhoto"
    assert "Amy" in (lead.text or "") and "故障回報" in (lead.text or "")
    assert buttons(lead) == [("🙋 我來處理", f"wk:take:{walk_of(h, step1).id}")]
    await h.press(SUE, lead, buttons(lead)[0][1])
    [taken] = await h.server.wait_for_reply(SUE.id)
    assert "你已接手" in (taken.text or "") and not buttons(taken)
    [told] = await h.server.wait_for_reply(AMY.id)
    assert "Sue 已經接手" in (told.text or "")
    again = await h.press(SUE, lead, f"wk:take:{walk_of(h, step1).id}")
    assert "Sue 已經接手了" in str(again.params.get("text"))
    walk = walk_of(h, step1)
    assert walk.status == "escalated" and walk.taken_by == SUE.id and walk.evidence_photo


async def test_a_team_without_supervisor_is_told_to_forward_it(h: Harness) -> None:
    await h.join(ADMIN, None)
    [reply] = await h.say(ADMIN, "/newteam 無主管店")
    sup = FakeUser(id=8150, first_name="Tom")
    await h.join(sup, invite_code(reply))
    [inv] = await h.say(sup, "/invite")
    await h.join(AMY, invite_code(inv))
    storage.remove_lead(h.state.db, sup.id, 1)
    step1 = await start(h, AMY, "t33-scanner-fail")
    _e, prompt = await press(h, AMY, step1, "wk:h:")
    _e, since = await press(h, AMY, prompt, "wk:sk:")
    _e, report, delivered = await press(h, AMY, since, "wk:s:", replies=3)
    assert "還沒試任何步驟就求助" in (report.text or "")
    assert "未提供" in (report.text or "")
    assert "轉給店長" in (delivered.text or "")


async def test_the_stores_contacts_fill_the_placeholders(tmp_path: Path) -> None:
    extra = tmp_path / "store"
    extra.mkdir()
    (extra / "store.yaml").write_text(
        "store:\n"
        "  name: {zh: 信義店, en: Xinyi store}\n"
        "  contacts:\n"
        "    isp_phone: 中華電信 0800-080-123（用戶 A123）\n"
        "    pos_vendor_phone: {zh: 好收銀 0800-000-111, en: GoodPOS 0800-000-111}\n",
        encoding="utf-8",
    )
    async with running_bot(tmp_path, extra_knowledge_dir=extra) as h:
        await team(h, AMY)
        scope = await start(h, AMY, "t33-network-down")
        _e, lights = await press(h, AMY, scope, f"wk:a:{walk_of(h, scope).id}:0:1")
        _e, restart = await press(h, AMY, lights, "wk:n:")
        _e, isp = await press(h, AMY, restart, "wk:n:")
        assert "中華電信 0800-080-123（用戶 A123）" in (isp.text or "")
        assert "{isp_phone}" not in (isp.text or "")
        _e, prompt = await press(h, AMY, isp, "wk:n:")
        _e, since = await press(h, AMY, prompt, "wk:sk:")
        _e, report, _d = await press(h, AMY, since, "wk:s:", replies=3)
        assert "網路業者客服：中華電信 0800-080-123" in (report.text or "")


async def test_a_walk_through_survives_a_restart(tmp_path: Path) -> None:
    clock = Clock()
    async with FakeBotApi() as server:
        settings = make_settings(server, tmp_path)
        async with running_app(server, settings, clock) as h:
            await team(h, AMY)
            step1 = await start(h, AMY, "t33-drawer-stuck")
            _e, step2 = await press(h, AMY, step1, f"wk:a:{walk_of(h, step1).id}:0:0")
            assert "結完" in (step2.text or "")
        async with running_app(server, settings, clock) as h2:
            # (A new Application may first send the day's missed drill reminder.)
            before = len(server.sent_to(AMY.id))
            await h2.press(AMY, step2, data(step2, "wk:n:"))
            await server.wait_for(
                lambda s: (
                    len([c for c in s.sent_to(AMY.id)[before:] if "🧭" in (c.text or "")]) >= 2
                )
            )
            _e, step3 = [c for c in server.sent_to(AMY.id)[before:] if "🧭" in (c.text or "")]
            assert "第 3 步" in (step3.text or "") and "鑰匙" in (step3.text or "")


async def test_stale_and_forged_buttons_change_nothing(h: Harness) -> None:
    await team(h, AMY, BEN)
    step1 = await start(h, AMY, "t33-pos-freeze")
    walk = walk_of(h, step1)
    _e, step2 = await press(h, AMY, step1, "wk:n:")
    # The same button again: that step is past.
    again = await h.press(AMY, step1, f"wk:n:{walk.id}:0")
    assert "已經回答過" in str(again.params.get("text"))
    # Someone else's walk, ids that don't exist, shapes the codec refuses, a staff "take".
    [bens] = await h.say(BEN, "/help")
    theirs = await h.press(BEN, bens, f"wk:n:{walk.id}:1")
    assert "expired" in str(theirs.params.get("text"))
    for user, forged in [
        (AMY, "wk:n:99999:1"),
        (AMY, f"wk:a:{walk.id}:1:7"),
        (AMY, f"wk:n:{walk.id}:１"),
        (AMY, "wk:go:no-such-card"),
        (AMY, "wk:go:t31-open-close"),  # a card with no walk
        (AMY, f"wk:take:{walk.id}"),
        (AMY, f"wk:s:{walk.id}:1h"),
    ]:
        answer = await h.press(user, step2, forged)
        assert "過期" in str(answer.params.get("text")), forged
    assert storage.get_walk(h.state.db, walk.id) == walk_of(h, step2)  # unchanged
    assert walk_of(h, step2).turn == 1
    _e, _fixed = await press(h, AMY, step2, "wk:f:")
    over = await h.press(AMY, step2, f"wk:n:{walk.id}:1")
    assert "已經結束" in str(over.params.get("text"))


async def test_one_walk_through_at_a_time(h: Harness) -> None:
    await team(h, AMY)
    first = await start(h, AMY, "t33-pos-freeze")
    old = walk_of(h, first)
    [anchor] = await h.say(AMY, "/help")
    await h.press(AMY, anchor, "wk:go:t33-network-down")
    [offer] = await h.server.wait_for_reply(AMY.id)
    assert "還有一個故障排除沒做完" in (offer.text or "")
    assert [d for _l, d in buttons(offer)] == [
        f"wk:re:{old.id}",
        f"wk:nw:{old.id}:t33-network-down",
    ]
    # The same card again just shows where they are.
    await h.press(AMY, anchor, "wk:go:t33-pos-freeze")
    [same] = await h.server.wait_for_reply(AMY.id)
    assert "第 1 步" in (same.text or "") and walk_of(h, same).id == old.id
    await h.press(AMY, offer, f"wk:nw:{old.id}:t33-network-down")
    _edited, new = await h.server.wait_for_reply(AMY.id, 2)
    assert "whole store" in (new.text or "").lower() or "整間店" in (new.text or "")
    assert storage.get_walk(h.state.db, old.id).status == "abandoned"  # type: ignore[union-attr]
    assert walk_of(h, new).id != old.id


async def test_in_a_group_it_continues_privately(h: Harness) -> None:
    await team(h, AMY, BEN)
    [card] = await h.say(AMY, "/ask 收銀機當機", chat=GROUP)
    assert data(card, "wk:go:") == "wk:go:t33-pos-freeze"
    answer = await press_in_group(h, AMY, card, "wk:go:t33-pos-freeze")
    assert "私訊" in str(answer.params.get("text"))
    [step1] = await h.server.wait_for_reply(AMY.id)
    assert step1.chat_id == AMY.id and "第 1 步" in (step1.text or "")
    # Ben never opened a private chat: he is told how, and nothing stays open.
    h.server.fail_next(
        "sendMessage", 403, "Forbidden: bot can't initiate conversation with a user"
    )
    refused = await press_in_group(h, BEN, card, "wk:go:t33-pos-freeze")
    assert "@shopcoach_test_bot" in str(refused.params.get("text"))
    assert refused.params.get("show_alert")
    [note] = await h.server.wait_for_reply(GROUP["id"])
    assert "Ben" in (note.text or "") and "Start" in (note.text or "")
    assert storage.open_walk(h.state.db, BEN.id) is None


async def test_faults_for_supervisors_only(h: Harness, tmp_path: Path) -> None:
    await team(h, AMY)
    # Fixed at step 2 once, escalated once.
    step1 = await start(h, AMY, "t33-pos-freeze")
    _e, step2 = await press(h, AMY, step1, "wk:n:")
    await press(h, AMY, step2, "wk:f:")
    again = await start(h, AMY, "t33-pos-freeze")
    _e, prompt = await press(h, AMY, again, "wk:h:")
    _e, since = await press(h, AMY, prompt, "wk:sk:")
    await press(h, AMY, since, "wk:s:", replies=3)
    await h.server.wait_for_reply(SUE.id)  # the report
    [faults] = await h.say(SUE, "/faults")
    text = faults.text or ""
    assert "本週故障" in text and "信義店" in text
    assert "收銀機當機或開機一直轉圈圈" in text and "2 次" in text and "解決 1" in text
    assert "第 2 步解決 1 次" in text
    assert "還沒人接手的求助" in text and "Amy" in text
    [no] = await h.say(AMY, "/faults")
    assert "主管" in (no.text or "") and "本週故障" not in (no.text or "")
    [bad] = await h.say(SUE, "/faults 999")
    assert "不是你帶的團隊" in (bad.text or "")
    # The trainers' view from the shell, on the same database.
    (tmp_path / ".env").write_text(f"DATABASE_PATH={h.settings.database_path}\n")
    out = run_cli("walk-stats", "--lang", "en", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "t33-pos-freeze" in out.stdout and "2 walks, 1 fixed, 1 escalated" in out.stdout
    assert "Fixes most often" in out.stdout
