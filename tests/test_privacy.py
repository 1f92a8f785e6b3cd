"""Privacy that matches the words: declining keeps nothing, withdrawing stops recording,
/forgetme leaves no trace in any table nor in the raw database files, and the INFO log
carries no names, message texts or user ids."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot import storage
from bot.app import configure_logging
from bot.texts import plain
from tests.botharness import ADMIN, Harness, buttons, invite_code, running_bot
from tests.fakebot import FakeUser

SUE = FakeUser(id=7_555_101, first_name="Quillonsue", username="quillon_sue")
AMY = FakeUser(id=7_555_201, first_name="Zephyrinamy", username="zephyrin_amy")
DEE = FakeUser(id=7_555_301, first_name="Declinedee", username="declined_dee")
# Texts only Amy ever sends: none may survive her /forgetme anywhere on disk.
QUESTIONS = ("收銀機當機了 xylofonq1", "發票印不出來 xylofonq2", "刷卡機沒反應 xylofonq3")


@pytest.fixture
async def h(tmp_path: Path):  # type: ignore[no-untyped-def]
    async with running_bot(tmp_path) as harness:
        yield harness


async def _team(h: Harness) -> str:
    """Admin, a team led by Sue; returns a staff invite code Sue made."""
    await h.join(ADMIN, None)
    [reply] = await h.say(ADMIN, "/newteam 信義店")
    await h.join(SUE, invite_code(reply))
    [link] = await h.say(SUE, "/invite")
    return invite_code(link)


def _raw(tmp_path: Path) -> bytes:
    return b"".join(
        p.read_bytes() for p in (tmp_path / "shop.db", tmp_path / "shop.db-wal") if p.exists()
    )


async def test_forgetme_leaves_no_trace_in_tables_or_files(
    h: Harness, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging("INFO")
    caplog.set_level(logging.INFO)
    try:
        code = await _team(h)
        await h.join(AMY, code)
        for text in QUESTIONS:
            await h.say(AMY, text)
        db = h.state.db
        assert storage.count_rows(db, "questions", AMY.id) == 3
        assert QUESTIONS[0].encode() in _raw(tmp_path)  # the probe can see what is there

        for person in (AMY, SUE):
            [confirm] = await h.say(person, "/forgetme")
            await h.press(person, confirm, f"forget:yes:{person.id}")
            await h.server.wait_for_reply(person.id)
            assert storage.get_user(db, person.id) is None

        # No table keeps either id, Sue's invites included (they stay with the team).
        for table in db.table_names():
            for column in db[table].columns_dict:
                for uid in (AMY.id, SUE.id):
                    [[n]] = db.execute(
                        f"SELECT count(*) FROM [{table}] WHERE [{column}] = ?", [uid]
                    ).fetchall()
                    assert n == 0, (table, column)
        assert storage.get_invite(db, code) is not None
        # The raw files, read as they are while the bot still runs.
        raw = _raw(tmp_path)
        for secret in (AMY.first_name, AMY.username, SUE.first_name, SUE.username, *QUESTIONS):
            assert secret is not None
            assert secret.encode() not in raw, secret
        assert (tmp_path / "shop.db-wal").stat().st_size == 0  # checkpointed and truncated
    finally:
        logging.getLogger("apscheduler").setLevel(logging.NOTSET)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    for secret in (AMY.first_name, SUE.first_name, "xylofonq", str(AMY.id), str(SUE.id)):
        assert secret not in logged, secret


async def test_declining_keeps_nothing_and_says_so(h: Harness) -> None:
    code = await _team(h)
    _joined, prompt = await h.say(DEE, f"/start {code}", replies=2)
    assert storage.get_user(h.state.db, DEE.id) is not None  # the team is remembered …
    assert buttons(prompt)[1][1] == f"consent:no:{DEE.id}"
    await h.press(DEE, prompt, f"consent:no:{DEE.id}")
    [edited] = await h.server.wait_for_reply(DEE.id)
    assert storage.get_user(h.state.db, DEE.id) is None  # … until they decline
    assert "刪除" in (edited.text or "")
    # The privacy notice says what declining does.
    assert "不同意" in (prompt.text or "") and "刪除" in (prompt.text or "")


async def test_withdrawing_stops_recording_and_points_to_forgetme(h: Harness) -> None:
    code = await _team(h)
    _joined, prompt = await h.say(AMY, f"/start {code}", replies=2)
    await h.press(AMY, prompt, f"consent:yes:{AMY.id}")
    await h.server.wait_for_reply(AMY.id)
    await h.say(AMY, QUESTIONS[0])
    # An old prompt pressed "no" later withdraws consent.
    await h.press(AMY, prompt, f"consent:no:{AMY.id}")
    [withdrawn] = await h.server.wait_for_reply(AMY.id)
    assert "/forgetme" in (withdrawn.text or "")
    db = h.state.db
    amy = storage.get_user(db, AMY.id)
    assert amy is not None and not amy.consented
    assert storage.count_rows(db, "questions", AMY.id) == 1  # kept, as the message says
    [again] = await h.say(AMY, QUESTIONS[1])
    assert buttons(again)[0][1] == f"consent:yes:{AMY.id}"  # asked again, nothing recorded
    assert storage.count_rows(db, "questions", AMY.id) == 1
    # A forged consent button (no id, or someone else's) changes nothing.
    for data in ("consent:no", f"consent:yes:{SUE.id}", "consent:whatever"):
        ack = await h.press(AMY, prompt, data)
        assert ack.params.get("text") == plain("input.stale", "zh-TW")
    assert storage.get_user(db, AMY.id) == amy
