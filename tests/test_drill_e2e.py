"""Drills, reminders and /me end to end through the fake Bot API server."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import charts, plot, storage
from bot.context import ShopContext
from handlers import reminders
from knowledge.library import Library
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
from tests.fakebot import Call, FakeBotApi, FakeUser, UploadedFile

AMY = FakeUser(id=8201, first_name="Amy")
BEN = FakeUser(id=8202, first_name="Ben", language_code="en")


async def staff(h: Harness, *users: FakeUser) -> None:
    """Admin makes a team; the users join it as staff and consent."""
    await h.join(ADMIN, None)
    [reply] = await h.say(ADMIN, "/newteam 測試店")
    sup = FakeUser(id=8101, first_name="Sue")
    await h.join(sup, invite_code(reply))
    [inv] = await h.say(sup, "/invite")
    for user in users:
        await h.join(user, invite_code(inv))


def item_of(h: Harness, call: Call) -> storage.DrillItem:
    data = buttons(call)[0][1]
    item = storage.get_item(h.state.db, int(data.split(":")[2]))
    assert item is not None
    return item


def position_of(h: Harness, item: storage.DrillItem, correct: bool) -> int:
    q = h.state.kb.questions[item.question_id]
    want = next(i for i in range(len(q.options)) if q.options[i].correct == correct)
    return item.option_order.index(want)


async def answer(h: Harness, user: FakeUser, question: Call, correct: bool) -> list[Call]:
    """Tap the right (or a wrong) option; return the edit and the next message."""
    item = item_of(h, question)
    await h.press(user, question, f"dr:a:{item.id}:{position_of(h, item, correct)}")
    return await h.server.wait_for_reply(user.id, 2)


@pytest.fixture
async def h(tmp_path: Path):  # type: ignore[no-untyped-def]
    async with running_bot(tmp_path) as harness:
        yield harness


async def test_whole_drill_with_right_and_wrong_answers(h: Harness) -> None:
    await staff(h, AMY)
    [first] = await h.say(AMY, "/drill")
    assert "第 1/5 題" in (first.text or "")
    labels = [label for label, _ in buttons(first)]
    assert 3 <= len(labels) <= 4 and labels[0].startswith("A. ")
    question = first
    for n in range(5):
        h.clock.advance(seconds=40)
        edit, nxt = await answer(h, AMY, question, correct=n != 1)
        assert edit.method == "editMessageText"
        assert ("✅" if n != 1 else "❌") in (edit.text or "")
        assert "💡" in (edit.text or "") and "正確答案" in (edit.text or "")
        assert buttons(edit)[0][1].startswith("card:")
        question = nxt
    summary = question
    assert "答對 4/5" in (summary.text or "") and "連續練習 1 天" in (summary.text or "")
    assert "建議複習" in (summary.text or "")
    drills = storage.finished_drill_times(h.state.db, AMY.id)
    assert len(drills) == 1
    assert len(storage.srs_states(h.state.db, AMY.id)) == 5
    assert storage.active_drill(h.state.db, AMY.id) is None


async def test_double_tap_stale_and_forged_buttons(h: Harness) -> None:
    await staff(h, AMY, BEN)
    [q1] = await h.say(AMY, "/drill")
    item = item_of(h, q1)
    data = f"dr:a:{item.id}:{position_of(h, item, True)}"
    # Ben forges Amy's button: nothing recorded, a short "expired".
    [ben_msg] = await h.say(BEN, "/help")
    ack = await h.press(BEN, ben_msg, data)
    assert "expired" in ack.params.get("text", "")
    assert storage.get_item(h.state.db, item.id).answered_at is None  # type: ignore[union-attr]
    # Amy answers; a double tap does not count twice.
    await h.press(AMY, q1, data)
    _edit, q2 = await h.server.wait_for_reply(AMY.id, 2)
    again = await h.press(AMY, q1, data)
    assert "已經作答過" in again.params.get("text", "")
    answered = [i for i in storage.drill_items(h.state.db, item.drill_id) if i.answered_at]
    assert len(answered) == 1
    # /stop ends it; an unanswered button from it is now stale, and tomorrow too.
    [stopped] = await h.say(AMY, "/stop")
    assert "練習已結束" in (stopped.text or "") and "1/1" in (stopped.text or "")
    item2 = item_of(h, q2)
    h.clock.advance(days=1)
    ended = await h.press(AMY, q2, f"dr:a:{item2.id}:0")
    assert "結束" in ended.params.get("text", "")
    old = await h.press(AMY, q1, data)
    assert "已經作答過" in old.params.get("text", "")
    for forged in ("dr:a:999999:0", "dr:a:abc:1", f"dr:a:{item2.id}:9", "dr:p:T9.9", "dr:x"):
        ack = await h.press(AMY, q1, forged)
        assert ack.params.get("text")


async def test_drill_survives_a_restart(tmp_path: Path) -> None:
    clock = Clock()
    async with FakeBotApi() as server:
        settings = make_settings(server, tmp_path)
        async with running_app(server, settings, clock) as h:
            await staff(h, AMY)
            [q1] = await h.say(AMY, "/drill")
            _edit, q2 = await answer(h, AMY, q1, correct=True)
        # A new Application on the same database, started as `python -m bot run` starts it
        # (knowledge loaded from the files): the old button goes on.
        async with running_app(server, settings, clock, real_startup=True) as h2:
            h2.server._reply_cursor.clear()  # count from here on
            before = len(server.sent_to(AMY.id))
            item = item_of(h2, q2)
            await h2.press(AMY, q2, f"dr:a:{item.id}:{position_of(h2, item, False)}")
            await server.wait_for(lambda s: len(s.sent_to(AMY.id)) >= before + 2)
            edit, q3 = server.sent_to(AMY.id)[before : before + 2]
            assert "❌" in (edit.text or "") and "第 3/5 題" in (q3.text or "")
            done = [i for i in storage.drill_items(h2.state.db, item.drill_id) if i.answered_at]
            assert len(done) == 2


async def test_practise_this_from_an_answer_card(h: Harness) -> None:
    await staff(h, AMY)
    title = h.state.kb.cards["t33-pos-freeze"].title.zh
    [card] = await h.say(AMY, title)
    practise = [d for _, d in buttons(card) if d.startswith("dr:p:")]
    assert practise == ["dr:p:T3.3"]
    await h.press(AMY, card, "dr:p:T3.3")
    [q] = await h.server.wait_for_reply(AMY.id)
    assert "第 1/3 題 · T3.3" in (q.text or "")
    drill = storage.active_drill(h.state.db, AMY.id)
    assert drill is not None
    assert {i.activity for i in storage.drill_items(h.state.db, drill.id)} == {"T3.3"}


async def test_me_shows_progress_and_a_chart(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[tuple[plot.Panel, ...]] = []
    draw = charts.progress_panels

    def keep(*args: Any) -> tuple[plot.Panel, ...]:
        drawn.append(draw(*args))
        return drawn[-1]

    monkeypatch.setattr(charts, "progress_panels", keep)
    # Drawn in this process, where the figure can be looked at (the bot uses its chart process).
    monkeypatch.setattr(charts, "_RENDER", charts._Renderer(60, process=False))
    await staff(h, AMY)
    [q] = await h.say(AMY, "/drill")
    for _ in range(5):
        _edit, q = await answer(h, AMY, q, correct=True)
    text_msg, photo = await h.say(AMY, "/me", replies=2)
    assert "連續練習：1 天" in (text_msg.text or "")
    assert "本週：完成 1 次練習，作答 5 題，答對率 100%" in (text_msg.text or "")
    assert "T1 " in (text_msg.text or "") and "最需要加強" in (text_msg.text or "")
    assert photo.method == "sendPhoto"
    # Calls without files go as a JSON body (bot/jsonrequest.py); an upload as multipart.
    assert text_msg.content_type == "application/json"
    assert photo.content_type == "multipart/form-data"
    upload = photo.params["photo"]
    assert isinstance(upload, UploadedFile) and upload.content.startswith(b"\x89PNG")
    assert "精熟度" in (photo.params.get("caption") or "")
    # The photo sent is this chart: Chinese titles and task names.
    [(mastery, accuracy)] = drawn
    assert (mastery.title, accuracy.title) == ("各任務精熟度", "近四週答對率")
    assert mastery.ticks[0] == "T1\n使用資訊系統\n進行零售電子\n商務運作"
    assert mastery.ticks[3] == "T4\n管理網路零售\n品牌"


async def test_me_again_sends_the_same_chart_by_file_id(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same figures draw the same chart: the second /me re-sends Telegram's file id of the
    first photo, undrawn; after another drill the figures change and a new chart is drawn."""
    drawn: list[str] = []
    draw = plot.png

    def counted(size: tuple[int, int], panels: list[plot.Panel], *args: Any) -> bytes:
        drawn.append(panels[0].title)
        return draw(size, panels, *args)

    monkeypatch.setattr(plot, "png", counted)
    monkeypatch.setattr(charts, "_RENDER", charts._Renderer(60, process=False))
    await staff(h, AMY)
    [q] = await h.say(AMY, "/drill")
    for _ in range(5):
        _edit, q = await answer(h, AMY, q, correct=True)
    _text, first = await h.say(AMY, "/me", replies=2)
    _text, again = await h.say(AMY, "/me", replies=2)
    assert isinstance(first.params["photo"], UploadedFile)
    assert again.params["photo"] == first.result["photo"][-1]["file_id"]
    assert again.params.get("caption") == first.params.get("caption")
    assert drawn == ["各任務精熟度"]
    h.clock.advance(days=1)
    [q] = await h.say(AMY, "/drill")
    for _ in range(5):
        _edit, q = await answer(h, AMY, q, correct=False)
    _text, changed = await h.say(AMY, "/me", replies=2)
    assert isinstance(changed.params["photo"], UploadedFile)
    assert len(drawn) == 2


def reminders_to(h: Harness, user: FakeUser) -> list[Call]:
    """The reminders `user` got: sent messages whose one button starts today's drill."""
    return [
        c
        for c in h.server.sent_to(user.id)
        if c.method == "sendMessage" and [d for _label, d in buttons(c)] == ["dr:s"]
    ]


async def swept(h: Harness, user: FakeUser) -> int:
    """Run a reminder sweep; how many reminders it brought `user`."""
    before = len(reminders_to(h, user))
    await h.sweep()
    return len(reminders_to(h, user)) - before


def taipei(day: int, hh: int, mm: int) -> datetime:
    """A moment in December 2026 (the 7th is a Monday) given in Taipei time."""
    return datetime(2026, 12, day, hh, mm, tzinfo=UTC) - timedelta(hours=8)


async def test_settings_change_when_the_reminder_comes(h: Harness) -> None:
    await staff(h, AMY)
    [view] = await h.say(AMY, "/settings 18:05")
    assert "18:05" in (view.text or "")
    h.clock.now = taipei(7, 18, 4)  # Monday 18:04: not yet
    assert await swept(h, AMY) == 0
    h.clock.now = taipei(7, 18, 5)
    assert await swept(h, AMY) == 1
    assert await swept(h, AMY) == 0  # once a day
    assert len(reminders_to(h, AMY)) == 1
    await h.press(AMY, view, f"set:d:we:{AMY.id}")
    await h.server.wait_for(lambda s: "六、日" in (s.last_text(AMY.id) or ""))
    h.clock.now = taipei(8, 18, 30)  # Tuesday: weekends only now
    assert await swept(h, AMY) == 0
    h.clock.now = taipei(12, 18, 5)  # Saturday
    assert await swept(h, AMY) == 1
    await h.press(AMY, view, f"set:off:{AMY.id}")
    await h.server.wait_for(lambda s: "狀態：關閉" in (s.last_text(AMY.id) or ""))
    h.clock.now = taipei(13, 20, 0)  # Sunday, reminders off
    assert await swept(h, AMY) == 0
    assert len(reminders_to(h, AMY)) == 2
    assert storage.get_reminder(h.state.db, AMY.id).enabled is False
    h.server._reply_cursor[AMY.id] = len(h.server.sent_to(AMY.id))  # count from here on
    [bad] = await h.say(AMY, "/settings 25:99")
    assert "24 小時制" in (bad.text or "")


async def test_reminder_offers_the_drill_once_a_day(h: Harness) -> None:
    await staff(h, AMY)
    assert await swept(h, AMY) == 1  # Monday 09:30, her default time
    [msg] = await h.server.wait_for_reply(AMY.id)
    assert "今天的 5 題" in (msg.text or "") and buttons(msg) == [("▶️ 開始今日練習", "dr:s")]
    assert await swept(h, AMY) == 0  # same day: not again
    h.clock.advance(days=1)
    assert await swept(h, AMY) == 1
    await h.server.wait_for_reply(AMY.id)
    assert len(reminders_to(h, AMY)) == 2
    await h.press(AMY, msg, "dr:s")
    [q] = await h.server.wait_for_reply(AMY.id)
    assert "第 1/5 題" in (q.text or "")


async def test_a_drill_done_today_needs_no_reminder(h: Harness) -> None:
    await staff(h, AMY, BEN)
    h.clock.now = taipei(7, 8, 0)
    [q] = await h.say(AMY, "/drill")
    for _ in range(5):
        _edit, q = await answer(h, AMY, q, correct=True)
    h.clock.now = taipei(7, 9, 30)
    assert await swept(h, AMY) == 0  # Ben's only
    assert reminders_to(h, AMY) == [] and len(reminders_to(h, BEN)) == 1
    assert storage.get_reminder(h.state.db, AMY.id).last_sent_on == "2026-12-07"


async def test_an_unfinished_drill_ends_with_its_day_and_never_silences_reminders(
    h: Harness,
) -> None:
    await staff(h, AMY)
    h.clock.now = taipei(7, 9, 0)
    [q1] = await h.say(AMY, "/drill")
    _edit, q2 = await answer(h, AMY, q1, correct=True)  # one of five, then she leaves it
    h.clock.now = taipei(7, 9, 30)
    assert await swept(h, AMY) == 0  # mid-drill today: the reminder waits
    drill = storage.active_drill(h.state.db, AMY.id)
    assert drill is not None
    for day in range(8, 15):  # the next seven days, reminders every day
        h.clock.now = taipei(day, 9, 30)
        await h.sweep()
    assert storage.active_drill(h.state.db, AMY.id) is None
    stopped = storage.get_drill(h.state.db, drill.id)
    assert stopped is not None and stopped.status == "stopped"
    # Mon–Fri by default: Tue 8th … Fri 11th and Mon 14th.
    assert len(reminders_to(h, AMY)) == 5
    # Her old question's button now says the drill has ended.
    item = item_of(h, q2)
    ended = await h.press(AMY, q2, f"dr:a:{item.id}:0")
    assert "結束" in ended.params.get("text", "")


async def test_a_user_who_blocked_the_bot_is_marked_inactive(h: Harness) -> None:
    await staff(h, AMY)
    for other in (ADMIN.id, 8101):  # only Amy's reminder is sent
        storage.set_reminder(h.state.db, other, enabled=False)
    h.server.fail_next("sendMessage", error_code=403)
    assert await swept(h, AMY) == 0
    user = storage.get_user(h.state.db, AMY.id)
    assert user is not None and user.active is False
    assert reminders_to(h, AMY) == []
    h.clock.advance(days=1)
    tries = len(h.server.calls_of("sendMessage"))
    assert await swept(h, AMY) == 0  # nothing is even tried
    assert len(h.server.calls_of("sendMessage")) == tries
    # Writing again makes them active; reminders resume.
    await h.say(AMY, "/help")
    assert storage.get_user(h.state.db, AMY.id).active is True  # type: ignore[union-attr]
    assert await swept(h, AMY) == 1
    assert len(reminders_to(h, AMY)) == 1


@pytest.mark.parametrize(
    ("utc_now", "expect_sent"),
    [
        (datetime(2026, 11, 30, 3, 0, tzinfo=UTC), True),  # Monday 11:00 in Taipei: missed
        (datetime(2026, 11, 30, 0, 30, tzinfo=UTC), False),  # Monday 08:30: not yet due
        (datetime(2026, 11, 29, 3, 0, tzinfo=UTC), False),  # Sunday: no reminder that day
    ],
)
async def test_missed_reminder_is_sent_once_after_downtime(
    tmp_path: Path, utc_now: datetime, expect_sent: bool
) -> None:
    clock = Clock()
    async with FakeBotApi() as server:
        settings = make_settings(server, tmp_path)
        async with running_app(server, settings, clock) as h:
            await staff(h, AMY)
        clock.now = utc_now
        # The first sweep runs by itself right after start (no sweep called here).
        async with running_app(server, settings, clock) as h2:
            await h2.quiet(0.5)
            assert h2.state.reminders is not None
            await h2.state.reminders.drain()
            assert len(reminders_to(h2, AMY)) == (1 if expect_sent else 0)
            rem = storage.get_reminder(h2.state.db, AMY.id)
            assert (rem.last_sent_on is not None) is expect_sent
        clock.now = utc_now + timedelta(minutes=30)
        async with running_app(server, settings, clock) as h3:
            await h3.quiet(0.5)
            assert len(reminders_to(h3, AMY)) == (1 if expect_sent else 0)


async def test_the_reminder_sender_is_a_plain_function_a_test_can_call(h: Harness) -> None:
    await staff(h, AMY)
    assert await reminders.send_reminder(ShopContext(h.app), AMY.id) is True
    [reminder] = await h.server.wait_for_reply(AMY.id)
    assert "今天的" in (reminder.text or "")
    assert [data for _label, data in buttons(reminder)] == ["dr:s"]
    # Once a day: calling it again the same day sends nothing more.
    assert await reminders.send_reminder(ShopContext(h.app), AMY.id) is False
    await h.quiet()
    assert len(reminders_to(h, AMY)) == 1


async def test_a_question_removed_by_reload_is_skipped_and_the_drill_goes_on(
    h: Harness,
) -> None:
    await staff(h, AMY)
    [q1] = await h.say(AMY, "/drill")
    first = item_of(h, q1)
    items = storage.drill_items(h.state.db, first.drill_id)
    gone = items[1].question_id
    # What /reload does when a trainer deleted that question from the files.
    library = h.state.library
    assert library is not None
    kb = library.kb
    questions = {qid: q for qid, q in kb.questions.items() if qid != gone}
    h.state.library = Library(replace(kb, questions=questions), library.matcher)
    position = position_of(h, first, True)
    await h.press(AMY, q1, f"dr:a:{first.id}:{position}")
    edit, note, q3 = await h.server.wait_for_reply(AMY.id, 3)
    assert "✅" in (edit.text or "")
    assert "略過" in (note.text or "")
    assert "第 2/4 題" in (q3.text or "") and item_of(h, q3).position == 2
    left = [i.question_id for i in storage.drill_items(h.state.db, first.drill_id)]
    assert gone not in left and len(left) == 4
