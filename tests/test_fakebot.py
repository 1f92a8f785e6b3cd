"""The fake Bot API server drives the real PTB Application: polling, buttons, faults, webhooks."""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from tests.fakebot import BOT_ID, BOT_USERNAME, FakeBotApi, FakeUser, UploadedFile, free_port

ALICE = FakeUser(id=1001, first_name="Alice", username="alice")
BUTTON = InlineKeyboardMarkup([[InlineKeyboardButton("開始", callback_data="demo:go")]])
GROUP_ID = -1001234567890
GROUP = {"id": GROUP_ID, "type": "supergroup", "title": "門市夥伴"}


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        yield fake


def build_app(server: FakeBotApi) -> Application:
    return (
        ApplicationBuilder()
        .token(server.token)
        .base_url(f"{server.url}/bot")
        .base_file_url(f"{server.url}/file/bot")
        .build()
    )


async def start(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet with one button."""
    assert update.effective_message is not None
    await update.effective_message.reply_text("hello", reply_markup=BUTTON)


async def pressed(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Acknowledge the press, then replace the text."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    await query.edit_message_text(f"pressed {query.data}")


def add_handlers(app: Application) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed, pattern="^demo:"))


@pytest.fixture
async def polling_app(server: FakeBotApi) -> AsyncIterator[Application]:
    app = build_app(server)
    add_handlers(app)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=dtm.timedelta(seconds=1))
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


@pytest.fixture
async def bot(server: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(server.token, base_url=f"{server.url}/bot") as the_bot:
        yield the_bot


async def test_start_then_button_press_round_trip(
    server: FakeBotApi, polling_app: Application
) -> None:
    assert polling_app.bot.id == BOT_ID
    assert polling_app.bot.username == BOT_USERNAME

    server.send_text(ALICE, "/start")
    [greeting] = await server.wait_for_reply(ALICE.id)
    assert greeting.method == "sendMessage"
    assert greeting.params["chat_id"] == ALICE.id
    assert greeting.text == "hello"
    assert greeting.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "開始", "callback_data": "demo:go"}]]
    }
    message_id = greeting.result["message_id"]
    assert greeting.result["from"]["username"] == BOT_USERNAME
    assert greeting.result["reply_markup"] == greeting.params["reply_markup"]

    server.press(ALICE, message_id, "demo:go")
    query_id = server.updates[-1]["callback_query"]["id"]
    [edit] = await server.wait_for_reply(ALICE.id)
    assert edit.method == "editMessageText"
    assert edit.params["message_id"] == message_id
    assert edit.text == "pressed demo:go"
    assert "reply_markup" not in edit.result  # the edit dropped the keyboard
    [answer] = server.calls_of("answerCallbackQuery")
    assert answer.ok
    assert answer.params["callback_query_id"] == query_id
    assert server.calls.index(answer) < server.calls.index(edit)
    assert server.last_text(ALICE.id) == "pressed demo:go"


@pytest.mark.usefixtures("polling_app")
async def test_group_command_reaches_only_its_bot(server: FakeBotApi) -> None:
    server.send_text(ALICE, "/start@someone_else_bot", chat=GROUP)
    server.send_text(ALICE, f"/start@{BOT_USERNAME} 你好 @alice_shop", chat=GROUP)
    [reply] = await server.wait_for_reply(GROUP_ID)
    assert reply.text == "hello"
    assert reply.result["chat"]["type"] == "supergroup"
    # Updates are handled in order, so the other bot's command has been seen and ignored.
    assert len(server.sent_to(GROUP_ID)) == 1
    entities = server.updates[-1]["message"]["entities"]
    assert entities == [
        {"type": "bot_command", "offset": 0, "length": len(f"/start@{BOT_USERNAME}")},
        {"type": "mention", "offset": len(f"/start@{BOT_USERNAME} 你好 "), "length": 11},
    ]
    assert server.sent_to(ALICE.id) == []


async def test_fail_next_429_reaches_the_caller(server: FakeBotApi, bot: Bot) -> None:
    server.fail_next("sendMessage", retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(ALICE.id, "first try")
    assert caught.value.retry_after == dtm.timedelta(seconds=3)

    message = await bot.send_message(ALICE.id, "second try")
    assert message.text == "second try"
    failed, delivered = server.calls_of("sendMessage")
    assert (failed.error_code, failed.description) == (429, "Too Many Requests: retry after 3")
    assert delivered.ok
    # What the user sees: only the delivered message.
    assert [call.text for call in server.sent_to(ALICE.id)] == ["second try"]


async def test_fail_next_forbidden_and_server_errors(server: FakeBotApi, bot: Bot) -> None:
    server.fail_next("sendMessage", error_code=403, times=2)
    server.fail_next("sendChatAction", error_code=502)
    for _ in range(2):
        with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
            await bot.send_message(ALICE.id, "reminder")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_chat_action(ALICE.id, "typing")
    assert await bot.send_chat_action(ALICE.id, "typing") is True
    assert [call.error_code for call in server.calls_of("sendMessage")] == [403, 403]


async def test_rejected_token_fails_initialize(server: FakeBotApi) -> None:
    server.fail_next("getMe", error_code=401)
    app = build_app(server)
    with pytest.raises(InvalidToken, match="rejected by the server"):
        await app.initialize()
    await app.bot.shutdown()  # initialize() opened the HTTP clients before getMe failed
    assert server.calls_of("getMe")[0].error_code == 401


async def test_wrong_token_is_unauthorized(server: FakeBotApi) -> None:
    with pytest.raises(InvalidToken, match="rejected by the server"):
        async with Bot("654321:WRONG", base_url=f"{server.url}/bot"):
            pass
    [call] = server.calls_of("getMe")
    assert call.error_code == 401


async def test_unknown_method_is_recorded_as_not_found(server: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": ALICE.id})
    [call] = server.calls_of("sendTelepathy")
    assert (call.error_code, call.description) == (404, "Not Found: method not found")
    assert call.params == {"chat_id": ALICE.id}


async def test_uploads_are_recorded_with_bytes_and_filename(server: FakeBotApi, bot: Bot) -> None:
    csv = "日期,分數\n2025-01-01,90\n".encode()
    document = await bot.send_document(
        ALICE.id, document=csv, filename="weekly.csv", caption="本週成績 123"
    )
    photo = await bot.send_photo(ALICE.id, photo=b"\x89PNG fake", caption="進度圖")

    sent, shown = server.sent_to(ALICE.id)
    assert isinstance(sent.params["document"], UploadedFile)
    assert sent.params["document"].filename == "weekly.csv"
    assert sent.params["document"].content == csv
    assert sent.params["caption"] == "本週成績 123"  # a string field stays a string
    assert document.document is not None
    assert document.document.file_name == "weekly.csv"
    assert document.caption == "本週成績 123"
    assert shown.params["photo"].content == b"\x89PNG fake"
    assert photo.photo
    assert photo.message_id == document.message_id + 1


async def test_edits_behave_like_telegram(bot: Bot) -> None:
    message = await bot.send_message(ALICE.id, "第 1 題", reply_markup=BUTTON)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("第 1 題", ALICE.id, message.message_id, reply_markup=BUTTON)
    edited = await bot.edit_message_reply_markup(ALICE.id, message.message_id)
    assert isinstance(edited, type(message))
    assert edited.reply_markup is None
    assert edited.edit_date is not None
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", ALICE.id, 999)
    assert await bot.edit_message_text("inline", inline_message_id="AAAB") is True
    assert await bot.delete_message(ALICE.id, message.message_id) is True
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(ALICE.id, message.message_id)


async def test_callback_query_can_be_answered_once(server: FakeBotApi, bot: Bot) -> None:
    message = await bot.send_message(ALICE.id, "hello", reply_markup=BUTTON)
    server.press(ALICE, message.message_id, "demo:go")
    [update] = await bot.get_updates(timeout=0)
    assert update.callback_query is not None
    assert update.callback_query.message == message
    assert await update.callback_query.answer() is True
    with pytest.raises(BadRequest, match=r"(?i)query id is invalid"):
        await update.callback_query.answer()
    with pytest.raises(LookupError):
        server.press(ALICE, 12345, "demo:go")


async def test_long_polling_waits_for_an_update_and_honours_offset(
    server: FakeBotApi, bot: Bot
) -> None:
    polling = asyncio.create_task(bot.get_updates(timeout=5))
    await server.wait_for(lambda s: s.calls_of("getUpdates"))
    assert not polling.done()
    update_id = server.send_text(ALICE, "幫我複習")
    [update] = await asyncio.wait_for(polling, 3)
    assert update.update_id == update_id
    assert update.message is not None
    assert update.message.text == "幫我複習"
    assert update.message.from_user is not None
    assert update.message.from_user.language_code == "zh-hant"

    # Same offset again: not yet confirmed, so delivered again.
    assert [u.update_id for u in await bot.get_updates(offset=update_id, timeout=0)] == [update_id]
    # offset = last + 1 confirms it; a short poll then returns nothing.
    assert await bot.get_updates(offset=update_id + 1, timeout=0) == ()
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_injected_update_kinds_parse_as_ptb_objects(server: FakeBotApi, bot: Bot) -> None:
    first = server.send_text(ALICE, "原本的問題")
    server.send_sticker(ALICE)
    server.send_photo(ALICE, caption="陳列照")
    server.send_voice(ALICE)
    server.edit_text(ALICE, 1, "改過的問題")
    server.send_text(ALICE, "回覆", reply_to_message_id=1)
    updates = await bot.get_updates(offset=first, timeout=0)
    assert [u.update_id for u in updates] == list(range(first, first + 6))
    text, sticker, photo, voice, edit, reply = updates
    assert text.message is not None
    assert text.message.message_id == 1
    assert sticker.message is not None
    assert sticker.message.sticker is not None
    assert photo.message is not None
    assert photo.message.caption == "陳列照"
    assert photo.message.photo
    assert voice.message is not None
    assert voice.message.voice is not None
    assert edit.edited_message is not None
    assert edit.edited_message.text == "改過的問題"
    assert reply.message is not None
    assert reply.message.reply_to_message is not None
    assert reply.message.reply_to_message.message_id == 1


async def test_commands_menu_chat_and_member(server: FakeBotApi, bot: Bot) -> None:
    assert await bot.set_my_commands([("start", "開始"), ("drill", "練習")]) is True
    assert [c.command for c in await bot.get_my_commands()] == ["start", "drill"]
    assert await bot.delete_my_commands() is True
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([("Start!", "bad")])
    assert await bot.set_chat_menu_button() is True

    server.send_text(ALICE, "hi")
    chat = await bot.get_chat(ALICE.id)
    assert (chat.type, chat.first_name) == ("private", "Alice")
    server.member_status[(GROUP_ID, ALICE.id)] = "administrator"
    server.send_text(ALICE, "hi all", chat=GROUP)
    member = await bot.get_chat_member(GROUP_ID, ALICE.id)
    assert member.status == "administrator"
    assert member.user.username == "alice"


async def test_webhook_post_reaches_the_application(server: FakeBotApi) -> None:
    port = free_port()
    webhook_url = f"http://127.0.0.1:{port}/telegram"
    app = build_app(server)
    add_handlers(app)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="telegram",
        webhook_url=webhook_url,
        secret_token="s3cret",
    )
    try:
        [set_webhook] = server.calls_of("setWebhook")
        assert set_webhook.params["url"] == webhook_url
        assert set_webhook.params["secret_token"] == "s3cret"

        forged = server.text_update(ALICE, "/start")
        assert await server.post_update_to(webhook_url, forged, secret_token="wrong") == 403
        genuine = server.text_update(ALICE, "/start")
        assert await server.post_update_to(webhook_url, genuine, secret_token="s3cret") == 200
        [reply] = await server.wait_for_reply(ALICE.id)
        assert reply.text == "hello"

        # With a loopback webhook set, injected updates are delivered to it like Telegram does.
        server.press(ALICE, reply.result["message_id"], "demo:go")
        [edit] = await server.wait_for_reply(ALICE.id)
        assert edit.text == "pressed demo:go"
        await server.wait_for(lambda s: s.webhook_deliveries)
        assert server.webhook_deliveries == [(server.updates[-1]["update_id"], 200)]
        assert len(server.sent_to(ALICE.id)) == 2  # the forged update never reached a handler

        with pytest.raises(Conflict, match=r"(?i)webhook is active"):
            await app.bot.get_updates(timeout=0)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def test_json_bodies_are_accepted(server: FakeBotApi) -> None:
    markup = {"inline_keyboard": [[{"text": "好", "callback_data": "demo:ok"}]]}
    url = f"{server.url}/bot{server.token}/sendMessage"
    body = {"chat_id": ALICE.id, "text": "123", "reply_markup": markup}
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as response:
        answer = await response.json()
    assert answer["ok"] is True
    assert answer["result"]["text"] == "123"
    assert answer["result"]["reply_markup"] == markup
    [call] = server.sent_to(ALICE.id)
    assert call.params == body


async def test_wait_for_reports_recent_calls_on_timeout(server: FakeBotApi, bot: Bot) -> None:
    await bot.send_message(ALICE.id, "only this")
    with pytest.raises(AssertionError, match="only this"):
        await server.wait_for_reply(ALICE.id, count=2, timeout=0.2)
    server.clear()
    assert server.calls == []
    assert server.last_text(ALICE.id) is None
