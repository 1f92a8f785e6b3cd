"""Whole conversations through the real Application and the fake Bot API server over HTTP."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from bot import storage
from tests.botharness import ADMIN, Harness, buttons, invite_code, running_bot
from tests.fakebot import FakeBotApi, FakeUser

SUE = FakeUser(id=7101, first_name="Sue", username="sue_sup")
AMY = FakeUser(id=7201, first_name="Amy", language_code="zh-hant")
BEN = FakeUser(id=7202, first_name="Ben", language_code="en")
STAN = FakeUser(id=7301, first_name="Stan", language_code="en")
GROUP = {"id": -100777, "type": "supergroup", "title": "信義店夥伴"}


@pytest.fixture
async def h(tmp_path: Path):  # type: ignore[no-untyped-def]
    async with running_bot(tmp_path) as harness:
        yield harness


async def make_team(h: Harness, name: str = "信義店") -> tuple[str, int]:
    """Admin joins, creates a team; returns the supervisor invite code and the team id."""
    if storage.get_user(h.state.db, ADMIN.id) is None:
        await h.join(ADMIN, None)
    [reply] = await h.say(ADMIN, f"/newteam {name}")
    team_id = max(t.id for t in storage.list_teams(h.state.db))
    return invite_code(reply), team_id


async def staff_invite(h: Harness, supervisor: FakeUser) -> str:
    [reply] = await h.say(supervisor, "/invite")
    return invite_code(reply)


def answer_text(h: Harness) -> str:
    card = h.state.kb.cards["t33-pos-freeze"]
    assert h.state.matcher.search(card.title.zh).tier == "answer"
    return card.title.zh


def none_text(h: Harness, lang: str) -> str:
    probes = {
        "zh": ("今天天氣如何", "午餐吃什麼好", "推薦好看的韓劇", "堆高機證照"),
        "en": (
            "tell me a joke about penguins",
            "what's the weather like today",
            "recommend a good movie",
            "where do we keep the ladder",
            "pallet jack broken",
        ),
    }[lang]
    for text in probes:
        if h.state.matcher.search(text).tier == "none":
            return text
    raise AssertionError("no none-tier probe found")


def suggest_text(h: Harness) -> str:
    for text in ("電子發票", "客人資料", "網路", "價格", "品牌", "備份", "帳號"):
        if h.state.matcher.search(text).tier == "suggest":
            return text
    raise AssertionError("no suggest-tier probe found")


async def test_invite_consent_ask_feedback_browse_forget(h: Harness) -> None:
    sup_code, team_id = await make_team(h)
    await h.join(SUE, sup_code)
    sue = storage.get_user(h.state.db, SUE.id)
    assert sue is not None and (sue.role, sue.team_id) == ("supervisor", team_id)
    code = await staff_invite(h, SUE)

    # Joining: welcome and the privacy notice; nothing about Amy's questions before consent.
    joined, prompt = await h.say(AMY, f"/start {code}", replies=2)
    assert "信義店" in (joined.text or "")
    assert "誰看得到" in (prompt.text or "") and "主管" in (prompt.text or "")
    [again] = await h.say(AMY, "收銀機當機")
    assert buttons(again)[0][1] == f"consent:yes:{AMY.id}"
    assert storage.count_rows(h.state.db, "questions", AMY.id) == 0
    await h.press(AMY, prompt, f"consent:yes:{AMY.id}")
    [thanks] = await h.server.wait_for_reply(AMY.id)
    assert thanks.method == "editMessageText" and "謝謝" in (thanks.text or "")

    # Tier answer: the card with numbered steps, its codes, related cards and 👍/👎.
    [card_msg] = await h.say(AMY, answer_text(h))
    text = card_msg.text or ""
    assert "1. " in text and "2. " in text and "T3.3 · P3.3." in text
    # Sent as JSON, the card's Chinese arrives whole (the fake decodes what PTB sent).
    assert card_msg.content_type == "application/json"
    card = h.state.kb.cards["t33-pos-freeze"]
    assert card.title.zh in text and card.steps[0].zh[:10] in text
    data = [d for _, d in buttons(card_msg)]
    assert any(d.startswith("card:") for d in data)
    up = next(d for d in data if d.startswith("fb:") and d.endswith(":1"))
    qid = int(up.split(":")[1])
    ack = await h.press(AMY, card_msg, up)
    assert "謝謝" in ack.params.get("text", "")
    await h.press(AMY, card_msg, f"fb:{qid}:-1")  # a second tap changes, does not add
    row = storage.get_question(h.state.db, qid)
    assert row is not None and row["feedback"] == -1 and row["tier"] == "answer"
    assert storage.count_rows(h.state.db, "questions", AMY.id) == 1

    # A related card opens as a new message.
    related = next(d for d in data if d.startswith("card:"))
    await h.press(AMY, card_msg, related)
    [rel] = await h.server.wait_for_reply(AMY.id)
    assert h.state.kb.cards[related[5:]].title.zh in (rel.text or "")

    # Tier suggest: "did you mean" with up to 3 buttons.
    [sug] = await h.say(AMY, suggest_text(h))
    assert "是以下其中之一嗎" in (sug.text or "")
    assert 1 <= len(buttons(sug)) <= 3

    # Tier none: honest answer, logged as unanswered for the supervisor, /browse offered.
    off_topic = none_text(h, "zh")
    [none] = await h.say(AMY, off_topic)
    assert "還沒有資料" in (none.text or "")
    assert buttons(none) == [("📚 瀏覽作業卡", "br:root")]
    since = h.clock.now.replace(hour=0)
    assert [r["text"] for r in storage.unanswered(h.state.db, team_id, since)] == [off_topic]

    # Browse: tasks → activities → cards → indicators, editing one message, back buttons.
    [menu] = await h.say(AMY, "/browse")
    assert [d for _, d in buttons(menu)] == [f"br:t:T{n}" for n in range(1, 6)]
    await h.press(AMY, menu, "br:t:T3")
    [acts] = await h.server.wait_for_reply(AMY.id)
    assert acts.method == "editMessageText" and ("⬅️ 返回", "br:root") in buttons(acts)
    await h.press(AMY, menu, "br:a:T3.3")
    [cards] = await h.server.wait_for_reply(AMY.id)
    assert ("⬅️ 返回", "br:t:T3") in buttons(cards)
    assert len([d for _, d in buttons(cards) if d.startswith("card:")]) >= 5
    await h.press(AMY, menu, "br:i:T3.3")
    [details] = await h.server.wait_for_reply(AMY.id)
    assert "P3.3.5" in (details.text or "") and "K07" in (details.text or "")

    # /forgetme deletes everything after a confirmation; afterwards Amy is a stranger.
    [confirm] = await h.say(AMY, "/forgetme")
    await h.press(AMY, confirm, f"forget:yes:{AMY.id}")
    [done] = await h.server.wait_for_reply(AMY.id)
    assert "已刪除" in (done.text or "")
    assert storage.get_user(h.state.db, AMY.id) is None
    assert storage.count_rows(h.state.db, "questions", AMY.id) == 0
    [stranger] = await h.say(AMY, "收銀機當機")
    assert "邀請" in (stranger.text or "") and "invite" in (stranger.text or "")


async def test_stranger_in_invite_mode_gets_nothing(h: Harness) -> None:
    for text in ("收銀機當機了", "/browse", "/help", "/start", "/start not-a-code"):
        [reply] = await h.say(STAN, text)
        body = reply.text or ""
        assert "POS" not in body and "1. " not in body
        assert not [d for _, d in buttons(reply) if d.startswith(("card:", "br:"))]
    assert storage.get_user(h.state.db, STAN.id) is None
    # A forged button from a stranger gets a short "expired", no content.
    note = h.server.sent_to(STAN.id)[0]
    ack = await h.press(STAN, note, "card:t33-pos-freeze")
    assert "過期" in ack.params.get("text", "") or "expired" in ack.params.get("text", "")
    await h.quiet()
    assert len(h.server.sent_to(STAN.id)) == 5


async def test_supervisor_only_reaches_own_team(h: Harness) -> None:
    code_a, team_a = await make_team(h, "A 店")
    code_b, team_b = await make_team(h, "B 店")
    await h.join(SUE, code_a)
    bob = FakeUser(id=7102, first_name="Bob")
    await h.join(bob, code_b)
    await h.join(AMY, await staff_invite(h, SUE))
    [card] = await h.say(AMY, answer_text(h))
    up = next(d for _, d in buttons(card) if d.startswith("fb:"))
    # Bob's invite is for his own team only.
    await h.join(BEN, await staff_invite(h, bob))
    assert storage.get_user(h.state.db, BEN.id).team_id == team_b  # type: ignore[union-attr]
    # Ben cannot vote on Amy's answer even with its callback data.
    [ben_card] = await h.say(BEN, answer_text(h))
    ack = await h.press(BEN, ben_card, up)
    assert "expired" in ack.params.get("text", "")
    row = storage.get_question(h.state.db, int(up.split(":")[1]))
    assert row is not None and row["feedback"] is None
    # Supervisors cannot create teams; staff cannot invite.
    [no] = await h.say(bob, "/newteam 我的店")
    assert "管理員" in (no.text or "")
    [no] = await h.say(AMY, "/invite")
    assert "主管" in (no.text or "")
    assert {u.id for u in storage.team_members(h.state.db, team_a)} == {SUE.id, AMY.id}


async def test_bad_input_gets_short_answers(h: Harness) -> None:
    code, _ = await make_team(h)
    await h.join(SUE, code)
    for send in (h.server.send_sticker, h.server.send_photo, h.server.send_voice):
        send(SUE)
        [reply] = await h.server.wait_for_reply(SUE.id)
        assert "文字" in (reply.text or "")
    for text in ("\u200b\u200b", "😂😂😂", "。。。"):
        [reply] = await h.say(SUE, text)
        assert "直接打字" in (reply.text or "")
    [long] = await h.say(SUE, "發票機卡紙" * 819)  # 4095 characters
    assert "前 1000 個字" in (long.text or "")
    [unknown] = await h.say(SUE, "/frobnicate")
    assert "/help" in (unknown.text or "")
    [usage] = await h.say(ADMIN, "/newteam")
    assert "/newteam" in (usage.text or "")
    [bad_team] = await h.say(ADMIN, "/invite abc")
    assert "/teams" in (bad_team.text or "")
    # Edited messages are ignored quietly.
    [msg] = await h.say(SUE, "/help")
    before = len(h.server.sent_to(SUE.id))
    h.server.edit_text(SUE, 1, "收銀機當機")
    await h.quiet()
    assert len(h.server.sent_to(SUE.id)) == before
    # Forged or stale buttons: a short "expired" and nothing else.
    for data in (
        "br:t:T9",
        "br:a:T3.3; DROP TABLE users",
        "fb:99999:1",
        "fb:x:y",
        "zzz",
        "card:../../etc",
        "lang:fr",
    ):
        ack = await h.press(SUE, msg, data)
        assert "過期" in (ack.params.get("text") or ""), data
    await h.quiet()
    # The same short answer everywhere, and the pressed message is left as it was.
    assert h.server.sent_to(SUE.id)[before:] == []
    assert storage.get_user(h.state.db, SUE.id) is not None


async def test_group_answers_only_when_addressed(h: Harness) -> None:
    code, _ = await make_team(h)
    await h.join(SUE, code)
    h.server.send_text(SUE, "收銀機當機了", GROUP)
    await h.quiet()
    assert h.server.sent_to(GROUP["id"]) == []
    [reply] = await h.say(SUE, "/ask " + answer_text(h), chat=GROUP)
    assert "T3.3" in (reply.text or "")
    [reply] = await h.say(SUE, "@shopcoach_test_bot " + answer_text(h), chat=GROUP)
    assert "T3.3" in (reply.text or "")
    [usage] = await h.say(SUE, "/ask", chat=GROUP)
    assert "/ask" in (usage.text or "")


async def test_language_from_telegram_and_lang_command(h: Harness) -> None:
    code, _ = await make_team(h)
    await h.join(SUE, code)
    code = await staff_invite(h, SUE)
    joined, prompt = await h.say(BEN, f"/start {code}", replies=2)
    assert "Welcome" in (joined.text or "") and "Who can see it" in (prompt.text or "")
    await h.press(BEN, prompt, f"consent:yes:{BEN.id}")
    await h.server.wait_for_reply(BEN.id)
    [none] = await h.say(BEN, none_text(h, "en"))
    assert "I don't have anything on this yet" in (none.text or "")
    [choose] = await h.say(BEN, "/lang")
    await h.press(BEN, choose, f"lang:zh-TW:{BEN.id}")
    [done] = await h.server.wait_for_reply(BEN.id)
    assert "繁體中文" in (done.text or "")
    [helped] = await h.say(BEN, "/help")
    assert "店務教練" in (helped.text or "")


async def test_help_lists_what_the_role_can_do(h: Harness) -> None:
    code, _ = await make_team(h)
    await h.join(SUE, code)
    [admin_help] = await h.say(ADMIN, "/help")
    assert "/newteam" in (admin_help.text or "") and "/invite" in (admin_help.text or "")
    [sup_help] = await h.say(SUE, "/help")
    assert "/invite" in (sup_help.text or "") and "/newteam" not in (sup_help.text or "")
    await h.join(AMY, await staff_invite(h, SUE))
    [staff_help] = await h.say(AMY, "/help")
    assert "/invite" not in (staff_help.text or "") and "/browse" in (staff_help.text or "")


async def test_command_menu_in_both_languages(h: Harness) -> None:
    calls = h.server.calls_of("setMyCommands")
    by_lang = {c.params.get("language_code"): c.params["commands"] for c in calls}
    assert {"zh", "en"} <= set(by_lang)
    zh = {c["command"]: c["description"] for c in by_lang["zh"]}
    en = {c["command"]: c["description"] for c in by_lang["en"]}
    assert zh["browse"] == "瀏覽作業卡" and en["browse"] == "Browse procedure cards"


async def test_open_mode_lets_anyone_in_as_staff(tmp_path: Path) -> None:
    async with running_bot(tmp_path, access_mode="open") as h:
        [prompt] = await h.say(STAN, "hello")
        assert buttons(prompt)[0][1].startswith("consent:yes:")
        user = storage.get_user(h.state.db, STAN.id)
        assert user is not None and user.role == "staff" and user.team_id is not None


async def test_invite_expires(h: Harness) -> None:
    code, _ = await make_team(h)
    h.clock.advance(days=8)
    [reply] = await h.say(SUE, f"/start {code}")
    assert "過期" in (reply.text or "")
    assert storage.get_user(h.state.db, SUE.id) is None


async def test_reload_swaps_in_new_knowledge(h: Harness) -> None:
    code, _ = await make_team(h)
    old = h.state.matcher
    [reply] = await h.say(ADMIN, "/reload")
    assert f"{len(h.state.kb.cards)} cards" in (reply.text or "")
    reloaded = h.state.matcher
    assert reloaded is not old
    await h.join(SUE, code)
    [no] = await h.say(SUE, "/reload")
    assert "管理員" in (no.text or "")
    assert h.state.matcher is reloaded  # a supervisor's /reload changed nothing


async def test_a_429_is_waited_out_not_dropped(h: Harness) -> None:
    await h.join(ADMIN, None)
    h.server.fail_next("sendMessage", error_code=429, retry_after=1)
    [reply] = await h.say(ADMIN, "/help")
    assert "/newteam" in (reply.text or "")
    assert len([c for c in h.server.calls_of("sendMessage") if c.error_code == 429]) == 1


async def start_bot_process(
    server: FakeBotApi, tmp_path: Path, db: Path, **env: str
) -> asyncio.subprocess.Process:
    """`python -m bot run` as an operator starts it, against the fake Bot API server."""
    base = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        "TELEGRAM_BOT_TOKEN": server.token,
        "DATABASE_PATH": str(db),
        "TELEGRAM_API_BASE_URL": f"{server.url}/bot",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env={**base, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_rejected_token_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    async with FakeBotApi() as server:
        proc = await start_bot_process(
            server, tmp_path, tmp_path / "x.db", TELEGRAM_BOT_TOKEN="123:WRONG"
        )
        _out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 2
    text = err.decode()
    assert "拒絕" in text and "rejected" in text and "Traceback" not in text


async def test_webhook_mode_requires_the_secret(tmp_path: Path) -> None:
    from bot.app import build_application, webhook_options
    from bot.settings import Settings
    from tests.fakebot import free_port

    async with FakeBotApi() as server:
        settings = Settings(
            _env_file=None,
            telegram_bot_token=server.token,  # type: ignore[call-arg]
            telegram_api_base_url=f"{server.url}/bot",
            database_path=tmp_path / "shop.db",
            admin_user_ids=frozenset({ADMIN.id}),
        )
        app = build_application(settings, mode="webhook")
        port = free_port()
        url = f"http://127.0.0.1:{port}/hook/shopcoach"
        await app.initialize()
        assert app.post_init is not None and app.updater is not None
        await app.post_init(app)
        await app.start()
        options = webhook_options(url, "127.0.0.1", port, "s3cret-Token")
        await app.updater.start_webhook(**options)  # type: ignore[arg-type]
        try:
            [hook] = server.calls_of("setWebhook")
            assert hook.params["url"] == url and hook.params["secret_token"] == "s3cret-Token"
            update = server.text_update(ADMIN, "/start")
            update["update_id"] = 900001
            assert await server.post_update_to(url, update, secret_token="wrong") == 403
            assert await server.post_update_to(url, update) == 403
            await asyncio.sleep(0.3)
            assert server.sent_to(ADMIN.id) == []
            assert await server.post_update_to(url, update, secret_token="s3cret-Token") == 200
            [prompt] = await server.wait_for_reply(ADMIN.id)
            assert buttons(prompt)[0][1].startswith("consent:yes:")
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()
            assert app.post_shutdown is not None
            await app.post_shutdown(app)


def test_webhook_without_secret_exits_2(tmp_path: Path) -> None:
    import subprocess

    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "TELEGRAM_BOT_TOKEN": "1:x",
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }
    res = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--webhook-url", "https://example.org/hook"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert res.returncode == 2
    assert "WEBHOOK_SECRET" in res.stderr and "Traceback" not in res.stderr


async def test_run_logs_the_bot_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    import signal

    async with FakeBotApi() as server:
        proc = await start_bot_process(
            server, tmp_path, tmp_path / "d" / "x.db", ADMIN_USER_IDS=str(ADMIN.id)
        )
        await server.wait_for(lambda s: s.calls_of("getUpdates"), timeout=60)
        server.send_text(ADMIN, "/start")
        await server.wait_for_reply(ADMIN.id, timeout=30)
        proc.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0
    log = err.decode()
    assert "started as @shopcoach_test_bot, mode polling, database" in log
    assert "Traceback" not in log
    db = storage.open_db(tmp_path / "d" / "x.db")
    try:
        assert storage.get_user(db, ADMIN.id) is not None  # committed before the stop
    finally:
        db.close()


async def test_team_names_with_html_characters_reach_everyone_intact(h: Harness) -> None:
    # Telegram (and the fake) reject a message whose HTML does not parse: the name must be
    # escaped in every message that shows it, or the message never arrives.
    code, team_id = await make_team(h, "A&B <信義> 門市")
    shown = "A&amp;B &lt;信義&gt; 門市"
    joined, _prompt = await h.say(SUE, f"/start {code}", replies=2)
    assert f"「{shown}」" in (joined.text or "")
    [listing] = await h.say(ADMIN, "/teams")
    assert f"{team_id}. {shown}" in (listing.text or "")
    [made] = await h.say(ADMIN, f"/invite {team_id}")
    assert shown in (made.text or "")
    assert not [c for c in h.server.calls if c.error_code is not None]


async def test_no_work_question_gets_a_kind_no_and_is_not_kept(h: Harness) -> None:
    code, _ = await make_team(h)
    await h.join(SUE, code)
    text = "週末要去哪玩"
    assert h.state.matcher.search(text).tier == "offtopic"
    [reply] = await h.say(SUE, text)
    assert "幫不上忙" in (reply.text or "") and not buttons(reply)
    assert storage.count_rows(h.state.db, "questions", SUE.id) == 0


async def test_a_question_asks_the_database_for_its_sender_once(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The walk-through's handler looks at a private text first; the question's handler
    reuses who sent it (handlers.common.member, keep=True), and never across updates."""
    sup_code, _team = await make_team(h)
    await h.join(SUE, sup_code)
    await h.join(AMY, await staff_invite(h, SUE))
    from bot import accounts

    seen: list[int] = []
    real = accounts.let_in

    def counting(db, settings, who, now, reminders=None):  # type: ignore[no-untyped-def]
        seen.append(who.id)
        return real(db, settings, who, now, reminders)

    monkeypatch.setattr(accounts, "let_in", counting)
    [card_msg] = await h.say(AMY, answer_text(h))
    assert "1. " in (card_msg.text or "")
    [second] = await h.say(SUE, answer_text(h))
    assert "1. " in (second.text or "")
    assert seen == [AMY.id, SUE.id]
