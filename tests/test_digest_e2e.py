"""The Monday digest end to end: when it comes, once a week, after downtime, turned off, and
its "team drill" button."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot import storage
from tests.botharness import (
    ADMIN,
    Clock,
    Harness,
    buttons,
    invite_code,
    make_settings,
    running_app,
)
from tests.fakebot import Call, FakeBotApi, FakeUser

SUE = FakeUser(id=9101, first_name="Sue")
AMY = FakeUser(id=9201, first_name="Amy")
BEN = FakeUser(id=9202, first_name="Ben")
MONDAY_0930 = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)  # 09:30 in Taipei


async def team(h: Harness) -> None:
    await h.join(ADMIN, None)
    [made] = await h.say(ADMIN, "/newteam 信義店")
    await h.join(SUE, invite_code(made))
    [inv] = await h.say(SUE, "/invite")
    for user in (AMY, BEN):
        await h.join(user, invite_code(inv))


def digests(server: FakeBotApi, chat: int) -> list[Call]:
    return [c for c in server.sent_to(chat) if "週報" in (c.text or "")]


async def test_monday_digest_once_a_week_and_after_downtime(tmp_path: Path) -> None:
    clock = Clock(MONDAY_0930 - timedelta(hours=1, minutes=30))  # Monday 08:00: not yet due
    async with FakeBotApi() as server:
        settings = make_settings(server, tmp_path)
        async with running_app(server, settings, clock) as h:
            await team(h)
            await h.digest()
            assert digests(server, SUE.id) == []
        # Down over Monday 09:00; back at 11:00 the same Monday: sent once on return.
        clock.now = MONDAY_0930 + timedelta(hours=1, minutes=30)
        async with running_app(server, settings, clock) as h:
            await h.digest()
        [digest] = digests(server, SUE.id)
        text = digest.text or ""
        assert "信義店" in text and "Amy：0/5" in text and "Ben：0/5" in text
        assert "這週沒有練習" in text and "/settings" in text
        assert digests(server, AMY.id) == []  # staff get none
        # Another restart the same week: not again.
        clock.now += timedelta(hours=3)
        async with running_app(server, settings, clock) as h:
            await h.digest()
        assert len(digests(server, SUE.id)) == 1


async def test_turned_off_in_settings_no_digest(tmp_path: Path) -> None:
    clock = Clock(MONDAY_0930 - timedelta(hours=1, minutes=30))
    async with FakeBotApi() as server:
        settings = make_settings(server, tmp_path)
        async with running_app(server, settings, clock) as h:
            await team(h)
            [shown] = await h.say(SUE, "/settings")
            off = next(d for label, d in buttons(shown) if "週報" in label)
            await h.press(SUE, shown, off)
            assert storage.digest_enabled(h.state.db, SUE.id) is False
            [staff_settings] = await h.say(AMY, "/settings")
            assert not [label for label, _d in buttons(staff_settings) if "週報" in label]
        clock.now = MONDAY_0930
        async with running_app(server, settings, clock) as h:
            await h.digest()
        assert digests(server, SUE.id) == []


async def answer_wrong(h: Harness, user: FakeUser, question: Call) -> Call | None:
    data = next(d for _label, d in buttons(question) if d.startswith("dr:a:"))
    item = storage.get_item(h.state.db, int(data.split(":")[2]))
    assert item is not None
    q = h.state.kb.questions[item.question_id]
    wrong = next(i for i, o in enumerate(q.options) if not o.correct)
    await h.press(user, question, f"dr:a:{item.id}:{item.option_order.index(wrong)}")
    _edit, after = await h.server.wait_for_reply(user.id, 2)
    is_question = any(d.startswith("dr:a:") for _label, d in buttons(after))
    return after if is_question else None


async def test_forgetting_alert_and_team_drill_button(tmp_path: Path) -> None:
    clock = Clock(MONDAY_0930 - timedelta(days=40))
    async with FakeBotApi() as server:
        settings = make_settings(server, tmp_path)
        async with running_app(server, settings, clock) as h:
            await team(h)
            # Forty days ago both practised T3.3 and got it all wrong: by now it has faded.
            for user in (AMY, BEN):
                [card] = await h.say(user, "收銀機當機")
                await h.press(user, card, "dr:p:T3.3")
                [question] = await h.server.wait_for_reply(user.id)
                while question is not None:
                    question = await answer_wrong(h, user, question)
        clock.now = MONDAY_0930
        async with running_app(server, settings, clock) as h:
            await h.digest()
            [digest] = digests(server, SUE.id)
            assert "T3.3" in (digest.text or "") and "2/2" in (digest.text or "")
            [(_label, data)] = [(lb, d) for lb, d in buttons(digest) if d.startswith("dg:")]
            assert data == f"dg:d:{storage.get_user(h.state.db, AMY.id).team_id}:T3.3"  # type: ignore[union-attr]
            # Another team's supervisor, staff, or a forged team: the stale answer.
            for who, forged in ((AMY, data), (SUE, "dg:d:999:T3.3"), (SUE, "dg:d:1:T9.9")):
                ack = await h.press(who, digest, forged)
                assert "過期" in (ack.params.get("text") or "")
            ack = await h.press(SUE, digest, data)
            assert "2 位" in (ack.params.get("text") or "")
            for user in (AMY, BEN):

                def invited(srv: FakeBotApi, uid: int = user.id) -> list[Call]:
                    return [c for c in srv.sent_to(uid) if "主管邀請" in (c.text or "")]

                await h.server.wait_for(lambda srv, uid=user.id: bool(invited(srv, uid)))
                [invite] = invited(h.server)
                assert "T3.3" in (invite.text or "")
                assert [d for _lb, d in buttons(invite)] == ["dr:p:T3.3"]
