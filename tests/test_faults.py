"""Network faults between the bot and Telegram: 500s, connection resets, timeouts and 429s.

The bot retries what is safe (requests Telegram certainly did not act on, and requests that
are harmless to repeat), never sends a drill question twice, logs the rest, and loses no
answer: every answer acknowledged is stored exactly once.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot import storage
from tests.botharness import Clock, Harness, make_settings, running_app
from tests.fakebot import Call, FakeBotApi
from tests.test_drill_e2e import AMY, answer, item_of, position_of, staff


def questions_to(h: Harness, n: int) -> list[Call]:
    """Every message that showed Amy question `n` of 5."""
    return [
        c
        for c in h.server.sent_to(AMY.id)
        if c.method == "sendMessage" and f"第 {n}/5 題" in (c.text or "")
    ]


async def test_faults_are_retried_when_safe_and_no_answer_is_lost(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with FakeBotApi() as server:
        settings = make_settings(server, tmp_path)
        async with running_app(server, settings, Clock(), http_timeout=1.0) as h:
            await staff(h, AMY)
            server._reply_cursor[AMY.id] = len(server.sent_to(AMY.id))
            # Polling goes on through 500s and a reset; no update is lost.
            server.fail_next("getUpdates", error_code=500, times=2)
            server.fault_next("getUpdates", "reset")
            [q1] = await h.say(AMY, "/drill")
            assert "第 1/5 題" in (q1.text or "")

            # Answer 1: the ack fails once with 500, the edit's connection is reset (edits
            # are safe to repeat), the next question gets a 429: all retried, all shown once.
            server.fail_next("answerCallbackQuery", error_code=500)
            server.fault_next("editMessageText", "reset")
            server.fail_next("sendMessage", error_code=429, retry_after=1)
            edit, q2 = await answer(h, AMY, q1, correct=True)
            assert edit.method == "editMessageText" and "✅" in (edit.text or "")
            assert "第 2/5 題" in (q2.text or "")

            # Answer 2: the next question's send gets a 500 (not acted on): retried, once.
            server.fail_next("sendMessage", error_code=500)
            _edit, q3 = await answer(h, AMY, q2, correct=False)
            assert "第 3/5 題" in (q3.text or "")

            # Answer 3: the next question is delivered but its answer times out. The bot
            # cannot know it arrived, so it does not send it again; Amy answers it anyway.
            server.fault_next("sendMessage", "slow", delay=2.0)
            item3 = item_of(h, q3)
            await h.press(AMY, q3, f"dr:a:{item3.id}:{position_of(h, item3, True)}")
            await server.wait_for(lambda _s: len(questions_to(h, 4)) == 1)
            await h.quiet(1.5)  # time for a wrong retry to show up
            [q4] = questions_to(h, 4)
            assert "not repeated" in caplog.text

            # Answer 4: the next question's connection is reset before Telegram acts on it:
            # not repeated either (the bot can't tell), logged; /drill brings it back.
            server.fault_next("sendMessage", "reset")
            item4 = item_of(h, q4)
            await h.press(AMY, q4, f"dr:a:{item4.id}:{position_of(h, item4, True)}")
            await server.wait_for(lambda s: any(c.error_code == -1 for c in s.calls[-3:]))
            await h.quiet(0.5)
            assert questions_to(h, 5) == []
            server._reply_cursor[AMY.id] = len(server.sent_to(AMY.id))
            _note, q5 = await h.say(AMY, "/drill", replies=2)
            assert "第 5/5 題" in (q5.text or "")
            await answer(h, AMY, q5, correct=True)

            # Every question was shown exactly once, every answer stored exactly once.
            for n in range(1, 6):
                assert len(questions_to(h, n)) == 1, n
            items = storage.drill_items(h.state.db, item3.drill_id)
            assert [i.answered_at is not None for i in items] == [True] * 5
            acks = [c.params.get("text") for c in server.calls_of("answerCallbackQuery") if c.ok]
            assert [a for a in acks if a in ("✅", "❌")] == ["✅", "❌", "✅", "✅", "✅"]
            assert storage.active_drill(h.state.db, AMY.id) is None
