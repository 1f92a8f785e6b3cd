"""Members and links end to end: /remove with confirm, open invite links and revoking them,
links only in private chats, /promote and /demote, /stats, and who is refused what."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot import callbacks, reminders, storage
from tests.botharness import ADMIN, Harness, buttons, invite_code, running_bot
from tests.fakebot import Call, FakeUser

SUE = FakeUser(id=9101, first_name="Sue", username="sue_sup")
BOB = FakeUser(id=9102, first_name="Bob", language_code="en")  # supervisor of another team
AMY = FakeUser(id=9201, first_name="Amy", username="amy_tw", language_code="zh-hant")
BEN = FakeUser(id=9202, first_name="Ben", language_code="en")
STAN = FakeUser(id=9301, first_name="Stan", language_code="en")  # never invited
GROUP = {"id": -100888, "type": "supergroup", "title": "信義店夥伴"}


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_bot(tmp_path) as harness:
        yield harness


async def two_teams(h: Harness) -> tuple[int, int]:
    """Team A (Sue leads; Amy and Ben staff) and team B (Bob leads); returns their ids."""
    await h.join(ADMIN, None)
    ids = []
    for name, sup in (("A&B 店", SUE), ("B 店", BOB)):
        [made] = await h.say(ADMIN, f"/newteam {name}")
        ids.append(max(t.id for t in storage.list_teams(h.state.db)))
        await h.join(sup, invite_code(made))
    [inv] = await h.say(SUE, "/invite")
    for user in (AMY, BEN):
        await h.join(user, invite_code(inv))
    return ids[0], ids[1]


def data_of(call: Call, prefix: str) -> list[str]:
    return [d for _, d in buttons(call) if d.startswith(prefix)]


def member_ids(h: Harness, team_id: int) -> set[int]:
    return {u.id for u in storage.team_members(h.state.db, team_id)}


async def test_remove_by_name_with_confirm(h: Harness) -> None:
    team_a, _ = await two_teams(h)
    [amy_q] = await h.say(AMY, "收銀機當機怎麼辦")
    asked = storage.count_rows(h.state.db, "questions", AMY.id)
    assert asked == 1
    assert storage.get_reminder(h.state.db, AMY.id).enabled

    [confirm] = await h.say(SUE, "/remove @AMY_tw")
    assert "Amy" in (confirm.text or "") and "A&amp;B 店" in (confirm.text or "")
    yes, no = data_of(confirm, "rm:")
    assert yes == callbacks.REMOVE.encode("y", team_a, AMY.id) and no == "rm:n"
    ack = await h.press(SUE, confirm, yes)
    assert "過期" not in (ack.params.get("text") or "")
    [edited] = await h.server.wait_for_reply(SUE.id)
    assert "已把 Amy @amy_tw 移出「A&amp;B 店」" in (edited.text or "")
    # Amy is told kindly, in her language.
    [notice] = await h.server.wait_for_reply(AMY.id)
    assert "不在「A&amp;B 店」" in (notice.text or "") and "/forgetme" in (notice.text or "")

    # Out of the team, no reminder, own data kept.
    amy = storage.get_user(h.state.db, AMY.id)
    assert amy is not None and amy.team_id is None and amy.role == "staff"
    assert member_ids(h, team_a) == {SUE.id, BEN.id}
    assert storage.count_rows(h.state.db, "questions", AMY.id) == asked
    assert storage.get_reminder(h.state.db, AMY.id).enabled is False
    # A restart would not bring it back either: the stored reminder is off.
    assert not storage.get_reminder(h.state.db, AMY.id).enabled
    assert reminders.due_reminder(h.state.db, AMY.id, h.clock(), h.settings.tz) is None
    assert amy_q.text  # her answer message is still hers to read

    # A second tap on the old confirm button changes nothing.
    ack = await h.press(SUE, confirm, yes)
    assert "過期" in (ack.params.get("text") or "")


async def test_remove_from_the_list_and_cancel(h: Harness) -> None:
    team_a, _ = await two_teams(h)
    [listing] = await h.say(SUE, "/remove")
    picks = data_of(listing, "rm:u:")
    # Sue's staff, never Sue herself nor the admin.
    assert sorted(picks) == sorted(callbacks.REMOVE.encode("u", team_a, u.id) for u in (AMY, BEN))
    ben = callbacks.REMOVE.encode("u", team_a, BEN.id)
    await h.press(SUE, listing, ben)
    [confirm] = await h.server.wait_for_reply(SUE.id)
    assert "Ben" in (confirm.text or "")
    await h.press(SUE, confirm, "rm:n")
    [cancelled] = await h.server.wait_for_reply(SUE.id)
    assert "沒有移除" in (cancelled.text or "")
    assert member_ids(h, team_a) == {SUE.id, AMY.id, BEN.id}


async def test_admin_removes_a_supervisor_who_loses_the_lead(h: Harness) -> None:
    team_a, team_b = await two_teams(h)
    [picker] = await h.say(ADMIN, "/remove")
    assert set(data_of(picker, "rm:t:")) == {f"rm:t:{team_a}", f"rm:t:{team_b}"}
    await h.press(ADMIN, picker, f"rm:t:{team_b}")
    [listing] = await h.server.wait_for_reply(ADMIN.id)
    assert data_of(listing, "rm:u:") == [callbacks.REMOVE.encode("u", team_b, BOB.id)]
    [confirm] = await h.say(ADMIN, "/remove Bob")
    await h.press(ADMIN, confirm, callbacks.REMOVE.encode("y", team_b, BOB.id))
    [notice] = await h.server.wait_for_reply(BOB.id)
    assert "no longer in the team" in (notice.text or "")
    bob = storage.get_user(h.state.db, BOB.id)
    assert bob is not None and bob.role == "staff" and bob.team_id is None
    assert storage.team_leads(h.state.db, team_b) == []
    [no] = await h.say(BOB, "/invite")
    assert "supervisors" in (no.text or "")


async def test_open_links_listed_and_revoked(h: Harness) -> None:
    team_a, _ = await two_teams(h)
    [inv] = await h.say(SUE, "/invite")
    code = invite_code(inv)
    text = inv.text or ""
    # The new link as before, then the team's open links: the supervisor link of /newteam,
    # the staff link Amy and Ben used, and this one; each with a revoke button.
    assert "A&amp;B 店" in text and f"…{code[-4:]}" in text
    open_now = storage.open_invites(h.state.db, team_a, h.clock())
    assert len(open_now) == 3
    assert data_of(inv, "inv:r:") == [f"inv:r:{o.id}" for o in open_now]
    mine = next(o for o in open_now if o.code == code)
    await h.press(SUE, inv, f"inv:r:{mine.id}")
    [edited] = await h.server.wait_for_reply(SUE.id)
    assert f"已撤銷連結 …{code[-4:]}" in (edited.text or "")
    assert f"inv:r:{mine.id}" not in data_of(edited, "inv:r:")
    assert len(data_of(edited, "inv:r:")) == 2
    # The revoked link now answers "expired".
    [reply] = await h.say(STAN, f"/start {code}")
    assert "expired" in (reply.text or "")
    assert storage.get_user(h.state.db, STAN.id) is None
    # Revoking it again is stale.
    ack = await h.press(SUE, inv, f"inv:r:{mine.id}")
    assert "過期" in (ack.params.get("text") or "")


async def test_links_only_in_private_chats(h: Harness) -> None:
    await two_teams(h)
    [said] = await h.say(SUE, "/invite", chat=GROUP)
    assert "私訊" in (said.text or "") and "t.me" not in (said.text or "")
    [private] = await h.server.wait_for_reply(SUE.id)
    assert invite_code(private)
    assert not any("start=" in (c.text or "") for c in h.server.sent_to(GROUP["id"]))
    # Telegram refuses the private message (Sue never opened a chat): ask her to.
    h.server.fail_next("sendMessage", 403, "Forbidden: bot can't initiate conversation")
    [said] = await h.say(SUE, "/invite", chat=GROUP)
    assert "https://t.me/shopcoach_test_bot" in (said.text or "")
    assert "start=" not in (said.text or "")
    # /newteam keeps its supervisor link private too.
    [said] = await h.say(ADMIN, "/newteam C 店", chat=GROUP)
    assert "start=" not in (said.text or "")
    [private] = await h.server.wait_for_reply(ADMIN.id)
    assert invite_code(private)


async def test_promote_then_demote_changes_what_they_may_do(h: Harness) -> None:
    team_a, team_b = await two_teams(h)
    [no] = await h.say(AMY, "/invite")
    assert "主管" in (no.text or "")
    [done] = await h.say(ADMIN, f"/promote {AMY.id}")
    assert "Amy" in (done.text or "") and "A&amp;B 店" in (done.text or "")
    [notice] = await h.server.wait_for_reply(AMY.id)
    assert "主管" in (notice.text or "")
    [link] = await h.say(AMY, "/invite")
    assert invite_code(link)
    # An area manager: Amy leads team B as well.
    await h.say(ADMIN, f"/promote @amy_tw {team_b}")
    await h.server.wait_for_reply(AMY.id)
    assert storage.led_team_ids(h.state.db, AMY.id) == sorted([team_a, team_b])
    # Taking back one team leaves her a supervisor; taking back all makes her staff.
    [done] = await h.say(ADMIN, f"/demote {AMY.id} {team_b}")
    assert "主管" in (done.text or "")
    await h.server.wait_for_reply(AMY.id)
    [done] = await h.say(ADMIN, f"/demote {AMY.id}")
    assert "店員" in (done.text or "")
    [notice] = await h.server.wait_for_reply(AMY.id)
    assert "不再帶領" in (notice.text or "")
    amy = storage.get_user(h.state.db, AMY.id)
    assert amy is not None and amy.role == "staff" and amy.team_id == team_a
    [no] = await h.say(AMY, "/invite")
    assert "主管" in (no.text or "")


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (f"/promote {ADMIN.id}", "管理員的角色"),
        ("/promote", "用法"),
        ("/promote 123456", "找不到這位使用者"),
        ("/promote @nobody_here", "找不到這位使用者"),
        (f"/promote {AMY.id} 999", "找不到這個團隊"),
        (f"/promote {AMY.id} ²", "找不到這個團隊"),
        (f"/demote {AMY.id}", "沒有帶領"),
        (f"/demote {SUE.id} 999", "找不到這個團隊"),
        ("/remove nobody", "找不到「nobody」"),
        (f"/remove {ADMIN.id}", "找不到"),
    ],
)
async def test_bad_arguments_get_short_answers(h: Harness, command: str, expected: str) -> None:
    await two_teams(h)
    [reply] = await h.say(ADMIN, command)
    assert expected in (reply.text or ""), reply.text


async def test_stats_figures(h: Harness) -> None:
    await h.join(ADMIN, None)
    db, now = h.state.db, h.clock()
    for uid in (1, 2, 3, 4):
        storage.create_user(
            db, uid, first_name=f"U{uid}", username=None, language="zh-TW", role="staff",
            team_id=None, now=now - timedelta(days=30),
        )  # fmt: skip
        if uid != 4:
            storage.set_consent(db, uid, now - timedelta(days=30))
    # This week: user 1 asked twice (one not answered); user 3 finished a drill (2 answers).
    for tier in ("answer", "none"):
        storage.log_question(
            db, 1, None, "q", activity=None, card=None, score=None, tier=tier,
            now=now - timedelta(days=1),
        )  # fmt: skip
    # Before the week: user 2 asked, user 4 answered once.
    storage.log_question(
        db, 2, None, "old", activity=None, card=None, score=None, tier="none",
        now=now - timedelta(days=8),
    )  # fmt: skip
    for uid, ago, answered, done in ((3, 2, 2, True), (4, 10, 1, False)):
        drill = storage.start_drill(
            db, uid, [(f"q{i}", "T1.1", (0, 1, 2, 3)) for i in range(3)], now - timedelta(ago)
        )
        for item in storage.drill_items(db, drill.id)[:answered]:
            storage.record_answer(db, item, 0, True, 3, now - timedelta(ago), "{}", now)
        if done:
            storage.finish_drill(db, drill.id, "done", now - timedelta(ago))
    [reply] = await h.say(ADMIN, "/stats")
    text = reply.text or ""
    size = (
        db.execute("PRAGMA page_count").fetchone()[0]
        * db.execute("PRAGMA page_size").fetchone()[0]
    )
    assert "使用者：5 人（已同意隱私說明：4 人）" in text  # the admin and users 1–4
    assert "本週活躍：2 人" in text
    assert "練習：完成 1 次，作答 2 題" in text
    assert "提問：2 則，其中未能回答 1（50%）" in text
    assert f"資料庫大小：{size / 1_000_000:.1f} MB" in text


# --- who is refused what -------------------------------------------------------------------

COMMANDS = [
    ("/remove", "supervisor.only"),
    ("/remove Amy", "supervisor.only"),
    ("/promote 9201", "admin.only"),
    ("/demote 9101", "admin.only"),
    ("/stats", "admin.only"),
    ("/invite", "supervisor.only"),
]
REFUSED = {"supervisor.only": ("主管", "supervisors"), "admin.only": ("管理員", "administrator")}


@pytest.mark.parametrize(("command", "refusal"), COMMANDS)
async def test_staff_strangers_and_other_supervisors_are_refused(
    h: Harness, command: str, refusal: str
) -> None:
    team_a, _ = await two_teams(h)
    before = {u.id: u for u in storage.team_members(h.state.db, team_a)}
    # Staff (Amy, zh) and Ben (en) get the refusal of the table.
    for user, lang in ((AMY, 0), (BEN, 1)):
        [reply] = await h.say(user, command)
        assert REFUSED[refusal][lang] in (reply.text or ""), (user, command, reply.text)
    # A stranger gets only the "you need an invite" answer.
    [reply] = await h.say(STAN, command)
    assert "invite" in (reply.text or "") and "start=" not in (reply.text or "")
    # Another team's supervisor: refused admin commands, and finds nobody of team A.
    [reply] = await h.say(BOB, command)
    if refusal == "admin.only":
        assert "administrator" in (reply.text or "")
    elif command == "/remove Amy":
        assert "There is no" in (reply.text or "")
    elif command == "/remove":
        assert data_of(reply, "rm:u:") == []  # Bob's team has no staff
    else:  # /invite: a link for Bob's own team only
        assert "B 店" in (reply.text or "") and "A&amp;B" not in (reply.text or "")
    assert {u.id: u for u in storage.team_members(h.state.db, team_a)} == before


async def test_foreign_and_forged_buttons_are_stale(h: Harness) -> None:
    team_a, team_b = await two_teams(h)
    [inv] = await h.say(SUE, "/invite")
    link = storage.open_invites(h.state.db, team_a, h.clock())[0]
    buttons_of_sue = [
        callbacks.REMOVE.encode("y", team_a, AMY.id),
        callbacks.REMOVE.encode("u", team_a, AMY.id),
        callbacks.REMOVE.encode("t", team_a),
        callbacks.INVITE.encode("r", link.id),
    ]
    forged = [
        "rm:y:x:1",
        "rm:y:1",
        f"rm:y:{team_a}:{SUE.id}",  # Sue cannot remove herself
        f"rm:y:{team_a}:{ADMIN.id}",  # nor the admin
        f"rm:y:{team_b}:{BOB.id}",  # nor another team's supervisor
        f"rm:y:{team_a}:{BOB.id}",  # Bob is not in team A
        "rm:t:99999",
        "inv:r:99999",
        "inv:r:²",
        "inv:x",
        "rm:y:99999999999999999999:1",
    ]
    await h.say(STAN, "hello")
    # Each presses under a message in their own chat (button data travels with the press).
    last = {u.id: h.server.sent_to(u.id)[-1] for u in (AMY, BEN, STAN, BOB)}
    last[SUE.id] = inv
    presses = [(u, d) for u in (AMY, BEN, STAN, BOB) for d in buttons_of_sue]
    presses += [(SUE, d) for d in forged]
    for user, data in presses:
        ack = await h.press(user, last[user.id], data)
        said = ack.params.get("text") or ""
        assert "過期" in said or "expired" in said, (user.first_name, data, said)
    await h.quiet()
    # Nothing changed: everyone is where they were, the link is still open.
    assert member_ids(h, team_a) == {SUE.id, AMY.id, BEN.id}
    assert member_ids(h, team_b) == {BOB.id}
    assert storage.get_open_invite(h.state.db, link.id, h.clock()) is not None
