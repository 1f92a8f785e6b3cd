"""No head-of-line blocking: chats run concurrently, each chat's updates in order."""

from __future__ import annotations

from aiolimiter import AsyncLimiter

from bot import storage
from bot.ratelimit import PacedRateLimiter
from tests.botharness import Harness, buttons
from tests.fakebot import FakeUser
from tests.test_drill_e2e import AMY, BEN, h, item_of, position_of, staff

__all__ = ["h"]  # the fixture, shared with the drill tests

GROUP = {"id": -100778, "type": "supergroup", "title": "信義店夥伴"}
SUE = FakeUser(id=8101, first_name="Sue")


async def test_a_private_question_is_not_held_up_by_a_rate_limited_group(h: Harness) -> None:
    await staff(h, AMY, BEN)
    # The group has used up its limit: a third reply there has to wait seconds.
    limiter = h.app.bot.rate_limiter
    assert isinstance(limiter, PacedRateLimiter)
    limiter._groups[GROUP["id"]] = AsyncLimiter(2, 3)
    for _ in range(3):
        h.server.send_text(SUE, "/ask 收銀機當機了怎麼辦", GROUP)
    await h.server.wait_for(lambda s: len(s.sent_to(GROUP["id"])) == 2)
    # Ben asks in private meanwhile: answered while the group's third reply still waits.
    [reply] = await h.say(BEN, "/help")
    assert reply.text
    assert len(h.server.sent_to(GROUP["id"])) == 2
    await h.server.wait_for(lambda s: len(s.sent_to(GROUP["id"])) == 3)


async def test_one_chat_keeps_its_order_and_answers_count_once(h: Harness) -> None:
    await staff(h, AMY)
    [q1] = await h.say(AMY, "/drill")
    item = item_of(h, q1)
    data = f"dr:a:{item.id}:{position_of(h, item, True)}"
    # A double tap and a slow /me, then /help, all in one go: handled one at a time, in order.
    h.server.press(AMY, q1.result["message_id"], data)
    h.server.press(AMY, q1.result["message_id"], data)
    h.server.send_text(AMY, "/me")
    h.server.send_text(AMY, "/help")
    edit, q2, me_text, me_photo, help_reply = await h.server.wait_for_reply(AMY.id, 5)
    assert edit.method == "editMessageText" and "✅" in (edit.text or "")
    assert "第 2/5 題" in (q2.text or "")
    assert "連續練習" in (me_text.text or "") and me_photo.method == "sendPhoto"
    assert help_reply.method == "sendMessage" and "/drill" in (help_reply.text or "")
    acks = [c.params.get("text") for c in h.server.calls_of("answerCallbackQuery")][-2:]
    assert acks[0] == "✅" and "已經作答過" in (acks[1] or "")
    answered = [i for i in storage.drill_items(h.state.db, item.drill_id) if i.answered_at]
    assert len(answered) == 1
    assert buttons(q2)
