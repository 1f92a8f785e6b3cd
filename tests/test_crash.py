"""kill -9 between committing an answer and sending the next question: after a restart the
question arrives by itself, once, and the answer is stored once (the real process)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.botprocess import BotProcess, seed_staff
from tests.fakebot import Call, FakeBotApi, FakeUser

AMY = FakeUser(id=8201, first_name="Amy")


def questions(server: FakeBotApi, n: int) -> list[Call]:
    return [
        c
        for c in server.sent_to(AMY.id)
        if c.method == "sendMessage" and f"第 {n}/5 題" in (c.text or "")
    ]


def answered(db_path: Path) -> int:
    sql = "SELECT COUNT(*) FROM drill_items WHERE answered_at IS NOT NULL"
    with sqlite3.connect(db_path) as con:
        return int(con.execute(sql).fetchone()[0])


async def test_a_question_lost_in_a_crash_arrives_after_the_restart(tmp_path: Path) -> None:
    db_path = tmp_path / "shop.db"
    seed_staff(db_path, AMY)
    async with FakeBotApi() as server:
        bot = BotProcess(server, db_path, log=tmp_path / "bot.log")
        bot.start()
        try:
            await bot.polling()
            server.send_text(AMY, "/drill")
            [q1] = await server.wait_for(lambda s: questions(s, 1), timeout=10)
            data = q1.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            # Amy answers; the answer is committed and acknowledged, then the bot dies while
            # the next question is on its way (held by the fake server).
            server.stall_next("sendMessage")
            server.press(AMY, q1.result["message_id"], data)
            await server.wait_for(lambda s: s.stalled, timeout=10)
            assert [c.ok for c in server.calls_of("answerCallbackQuery")] == [True]
            assert answered(db_path) == 1
            bot.kill()
            assert questions(server, 2) == []

            bot.start()
            await bot.polling()
            [q2] = await server.wait_for(lambda s: questions(s, 2), timeout=10)
            await bot.stop()
            assert len(questions(server, 2)) == 1
            assert answered(db_path) == 1
            assert q2.params["reply_markup"]["inline_keyboard"]
        finally:
            bot.kill()
