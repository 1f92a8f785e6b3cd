"""Replies sent without PTB's objects (handlers/common.py) say exactly what PTB's would."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Message
from telegram.constants import ParseMode
from telegram.error import Forbidden, InvalidToken
from telegram.ext import ExtBot

from handlers.common import markup, send, send_to
from tests.fakebot import FakeBotApi, FakeUser
from tests.inproc import LocalRequest

AMY = FakeUser(id=7201, first_name="Amy")
GROUP = {"id": -100777, "type": "supergroup", "title": "信義店夥伴"}
VIEW = (
    "<b>收銀機當機</b>\n1. 先別關機",
    [[("👍", "fb:1:1"), ("👎", "fb:1:0")], [("更多", "b:T3.3")]],
)


@pytest.fixture
async def bot() -> AsyncIterator[tuple[FakeBotApi, ExtBot[None]]]:
    server = FakeBotApi()
    ext: ExtBot[None] = ExtBot(server.token, request=LocalRequest(server))
    await ext.initialize()
    yield server, ext
    await ext.shutdown()


def incoming(server: FakeBotApi, bot: ExtBot[None], chat: dict | None = None) -> Message:
    raw = server.text_update(AMY, "收銀機當機", chat)["message"]
    message = Message.de_json(raw, bot)
    assert message is not None
    return message


def last_params(server: FakeBotApi) -> dict:
    [*_, call] = [c for c in server.calls if c.method == "sendMessage"]
    assert call.error_code is None
    return call.params


async def test_a_private_reply_sends_what_reply_text_sends(
    bot: tuple[FakeBotApi, ExtBot[None]],
) -> None:
    server, ext = bot
    message = incoming(server, ext)
    await message.reply_text(
        VIEW[0], parse_mode=ParseMode.HTML, reply_markup=markup(VIEW[1]),
        allow_sending_without_reply=True,
    )  # fmt: skip
    by_ptb = last_params(server)
    message_id = await send(message, VIEW)
    assert last_params(server) == by_ptb
    assert by_ptb["reply_markup"]["inline_keyboard"][1] == [
        {"text": "更多", "callback_data": "b:T3.3"}
    ]
    # The id is the new message's, as Telegram numbered it.
    assert message_id == max(mid for (cid, mid) in server._messages if cid == AMY.id)


async def test_a_group_reply_still_quotes_the_question(
    bot: tuple[FakeBotApi, ExtBot[None]],
) -> None:
    server, ext = bot
    message = incoming(server, ext, GROUP)
    await send(message, VIEW)
    params = last_params(server)
    assert params["chat_id"] == GROUP["id"]
    assert params["reply_parameters"]["message_id"] == message.message_id


async def test_send_to_sends_the_view_with_its_buttons(
    bot: tuple[FakeBotApi, ExtBot[None]],
) -> None:
    server, ext = bot

    class Context:
        bot = ext

    await send_to(Context(), AMY.id, VIEW)  # type: ignore[arg-type]
    params = last_params(server)
    assert params == {
        "chat_id": AMY.id,
        "text": VIEW[0],
        "parse_mode": "HTML",
        "reply_markup": {
            "inline_keyboard": [
                [
                    {"text": "👍", "callback_data": "fb:1:1"},
                    {"text": "👎", "callback_data": "fb:1:0"},
                ],
                [{"text": "更多", "callback_data": "b:T3.3"}],
            ]
        },
    }


@pytest.mark.parametrize(("code", "error"), [(401, InvalidToken), (403, Forbidden)])
async def test_errors_are_the_ones_ptb_raises(
    bot: tuple[FakeBotApi, ExtBot[None]], code: int, error: type[Exception]
) -> None:
    """A rejected token is InvalidToken, as for PTB's own calls (do_api_request would call it
    an unknown method); a user who blocked the bot is Forbidden."""
    server, ext = bot
    message = incoming(server, ext)
    server.fail_next("sendMessage", code)
    with pytest.raises(error):
        await send(message, VIEW)
