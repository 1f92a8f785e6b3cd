"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests of the real PTB Application.

It speaks the Bot API's JSON over HTTP, records every call, answers with realistic results and
errors, injects updates for long polling (or delivers them to a loopback webhook), and lets a
test inject faults such as 429 Too Many Requests or 403 Forbidden.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

JSONDict = dict[str, Any]

DEFAULT_TOKEN = "123456:TEST-TOKEN"
BOT_ID = 999000
BOT_USERNAME = "shopcoach_test_bot"
BOT_FIRST_NAME = "ShopCoach"

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

# What a user in the chat can see; `sent_to` and `wait_for_reply` look at these.
OUTBOUND_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
    }
)

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

# Form/multipart fields PTB sends as raw strings; every other field is JSON-encoded by PTB
# (`RequestParameter.json_value`), so a text of "123" must not turn into an int.
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "secret_token",
        "ip_address",
        "data",
        "action",
        "language_code",
        "description",
        "short_description",
        "name",
        "title",
        "emoji",
        "business_connection_id",
        "message_effect_id",
        "photo",
        "document",
        "voice",
        "sticker",
        "audio",
        "video",
        "animation",
        "thumbnail",
        "file_id",
    }
)

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_INVALID = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}

_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")
_MENTION_RE = re.compile(r"(?<![A-Za-z0-9_/@])@[A-Za-z0-9_]{5,32}(?![A-Za-z0-9_])")
_BOT_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user who talks to the bot in a test."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "zh-hant"

    def to_dict(self) -> JSONDict:
        """The user as Bot API `User` JSON."""
        data: JSONDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def private_chat(self) -> JSONDict:
        """The user's private chat with the bot as Bot API `Chat` JSON."""
        chat: JSONDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass(frozen=True)
class UploadedFile:
    """A file the bot uploaded in a multipart request (sendPhoto, sendDocument, ...)."""

    filename: str | None
    content: bytes
    content_type: str | None = None


@dataclass
class Call:
    """One request the bot made, with its decoded parameters and the fake's answer."""

    method: str
    params: JSONDict
    result: Any = None
    error_code: int | None = None
    description: str | None = None
    completed: bool = False
    received: float = 0.0  # time.monotonic() when the request arrived
    content_type: str = ""  # how the parameters came: JSON, a form, multipart or none

    @property
    def ok(self) -> bool:
        """Whether the fake answered `ok: true`."""
        return self.completed and self.error_code is None

    @property
    def chat_id(self) -> int | str | None:
        """The `chat_id` parameter, as an int where it is numeric."""
        value = self.params.get("chat_id")
        return None if value is None else _normalize_chat_id(value)

    @property
    def text(self) -> str | None:
        """The `text` or `caption` parameter."""
        value = self.params.get("text", self.params.get("caption"))
        return value if isinstance(value, str) else None


@dataclass
class _NetFault:
    kind: str  # "reset": connection dropped unprocessed; "slow": processed, answered late
    delay: float
    remaining: int


@dataclass
class _Fault:
    error_code: int
    description: str
    parameters: JSONDict | None
    remaining: int


class _ApiError(Exception):
    def __init__(
        self, error_code: int, description: str, parameters: JSONDict | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSONDict:
        data: JSONDict = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            data["parameters"] = self.parameters
        return data


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (for a PTB webhook server)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _utf16_len(text: str) -> int:
    # Telegram measures entity offsets and lengths in UTF-16 code units.
    return len(text.encode("utf-16-le")) // 2


def _normalize_chat_id(value: object) -> int | str:
    if isinstance(value, int):
        return value
    text = str(value)
    try:
        return int(text)
    except ValueError:
        return text


def _require_loopback(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in _LOOPBACK_HOSTS:
        raise ValueError(f"fake Bot API only talks to 127.0.0.1, not {url!r}")


# What Telegram's HTML parse mode accepts: these tags, and & only as an entity.
_HTML_TAGS = frozenset(
    [
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    ]
)
_HTML_TOKEN = re.compile(r"<(/?)([a-zA-Z-]*)[^<>]*>|&(#[0-9]+|#x[0-9a-fA-F]+|[a-z]+);|[<>&]")
_HTML_ENTITIES = frozenset({"lt", "gt", "amp", "quot"})


def _check_html(params: JSONDict, field: str = "text") -> None:
    """Reject what Telegram rejects in parse_mode HTML: unknown or unclosed tags, a bare & < >."""
    if str(params.get("parse_mode", "")).upper() != "HTML":
        return
    text = str(params.get(field) or "")
    open_tags: list[str] = []
    for match in _HTML_TOKEN.finditer(text):
        closing, tag, entity = match.group(1), match.group(2), match.group(3)
        if match.group(0) in "<>&":
            raise _ApiError(
                400,
                f"Bad Request: can't parse entities: unexpected '{match.group(0)}' "
                f"at byte offset {match.start()}",
            )
        if entity is not None:
            if not entity.startswith("#") and entity not in _HTML_ENTITIES:
                raise _ApiError(400, f"Bad Request: can't parse entities: unknown entity {entity}")
            continue
        if tag.lower() not in _HTML_TAGS:
            raise _ApiError(400, f"Bad Request: can't parse entities: unsupported tag {tag}")
        if closing:
            if not open_tags or open_tags.pop() != tag.lower():
                raise _ApiError(400, f"Bad Request: can't parse entities: unmatched end tag {tag}")
        else:
            open_tags.append(tag.lower())
    if open_tags:
        raise _ApiError(400, f"Bad Request: can't parse entities: unclosed tag {open_tags[-1]}")


def text_entities(text: str) -> list[JSONDict]:
    """The `bot_command` and `mention` entities Telegram would attach to a user's text."""
    entities: list[JSONDict] = []
    for match in _COMMAND_RE.finditer(text):
        entities.append(
            {
                "type": "bot_command",
                "offset": _utf16_len(text[: match.start()]),
                "length": _utf16_len(match.group()),
            }
        )
    for match in _MENTION_RE.finditer(text):
        entities.append(
            {
                "type": "mention",
                "offset": _utf16_len(text[: match.start()]),
                "length": _utf16_len(match.group()),
            }
        )
    return sorted(entities, key=lambda entity: entity["offset"])


def _decode_form_value(key: str, value: str) -> Any:
    if key == "chat_id":
        return _normalize_chat_id(value)
    if key in _STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _inline_markup(markup: object) -> JSONDict | None:
    # Only inline keyboards are part of a Message; reply keyboards are not echoed back.
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        return markup
    return None


def _check_markup(markup: object) -> None:
    inline = _inline_markup(markup)
    if inline is None:
        return
    for row in inline["inline_keyboard"]:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


class FakeBotApi:
    """A fake Bot API server; point PTB at it with `.base_url(f"{server.url}/bot")`."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_id: int = BOT_ID,
        username: str = BOT_USERNAME,
        first_name: str = BOT_FIRST_NAME,
    ) -> None:
        self.token = token
        self.bot_id = bot_id
        self.username = username
        self.first_name = first_name
        self.url = ""
        self.calls: list[Call] = []
        self.updates: list[JSONDict] = []  # every injected update, in order
        self.webhook_deliveries: list[tuple[int, int]] = []  # (update_id, HTTP status; 0 = failed)
        self.member_status: dict[tuple[int, int], str] = {}  # (chat_id, user_id) -> status
        self.commands: dict[str, list[JSONDict]] = {}
        self.webhook_url = ""
        self.webhook_secret: str | None = None

        self._pending: list[JSONDict] = []
        self._update_ids = itertools.count(10001)
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self._file_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._faults: dict[str, list[_Fault]] = {}
        self._chats: dict[int | str, JSONDict] = {}
        self._users: dict[int, JSONDict] = {}
        self._messages: dict[tuple[int | str, int], JSONDict] = {}
        self._last_message_id: dict[int | str, int] = {}
        self._open_queries: set[str] = set()
        self._menu_buttons: dict[int | str | None, JSONDict] = {}
        self._reply_cursor: dict[int | str, int] = {}
        self._delivery_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._closing = False
        # Telegram's flood limit, when a test turns it on (`flood_limit`): at most this many
        # messages (OUTBOUND_METHODS) in any rolling second, beyond it 429 + retry_after.
        self.flood_limit: int | None = None
        self.flood_retry_after = 1
        self.flood_429s = 0
        self._recent_sends: list[float] = []
        self._net_faults: dict[str, list[_NetFault]] = {}
        self._stalls: dict[str, int] = {}
        self.stalled: list[Call] = []  # requests held by `stall_next` (never processed)

        handlers: dict[str, Callable[[JSONDict], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "editMessageCaption": self._edit_message_caption,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
        }
        self._handlers = handlers
        # Bot API method names are case-insensitive.
        self._canonical = {name.lower(): name for name in handlers}

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> FakeBotApi:
        """Listen on a free port of 127.0.0.1 and set `url`."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            handler_cancellation=True,
            shutdown_timeout=1.0,
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()
        self.url = f"http://127.0.0.1:{port}"
        self._closing = False
        return self

    async def stop(self) -> None:
        """Wake pending long polls, finish webhook deliveries and close the server."""
        self._closing = True
        self._wake_pollers()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def bot_user(self) -> JSONDict:
        """The bot as Bot API `User` JSON."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    # ----------------------------------------------------------------- recorded calls

    def calls_of(self, method: str) -> list[Call]:
        """All recorded calls of one method, failed ones included."""
        return [call for call in self.calls if call.method == method]

    def sent_to(self, chat_id: int | str) -> list[Call]:
        """Successful sends and edits the user of `chat_id` can see, in order."""
        wanted = _normalize_chat_id(chat_id)
        return [
            call
            for call in self.calls
            if call.method in OUTBOUND_METHODS and call.ok and call.chat_id == wanted
        ]

    def last_text(self, chat_id: int | str) -> str | None:
        """Text (or caption) of the last successful send or edit to `chat_id`."""
        for call in reversed(self.sent_to(chat_id)):
            if call.text is not None:
                return call.text
        return None

    def clear(self) -> None:
        """Forget recorded calls (chats, messages and pending updates are kept)."""
        self.calls.clear()
        self._reply_cursor.clear()

    def describe_calls(self, last: int = 15) -> str:
        """A readable list of the last calls, without the getUpdates noise."""
        calls = [call for call in self.calls if call.method != "getUpdates"]
        polls = len(self.calls) - len(calls)
        lines = []
        for call in calls[-last:]:
            if not call.completed:
                outcome = "pending"
            elif call.ok:
                outcome = "ok"
            else:
                outcome = f"error {call.error_code}: {call.description}"
            shown = {k: v for k, v in call.params.items() if not isinstance(v, UploadedFile)}
            lines.append(f"  {call.method}({json.dumps(shown, ensure_ascii=False)}) -> {outcome}")
        header = f"{len(calls)} calls (+{polls} getUpdates)"
        return "\n".join([header, *lines]) if lines else f"{header}: none"

    # A `timeout` argument reads better in a test than wrapping every wait in asyncio.timeout.
    async def wait_for(
        self,
        predicate: Callable[[FakeBotApi], Any],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> Any:
        """Poll until `predicate(self)` is truthy and return its value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate(self)
            if value:
                return value
            if loop.time() >= deadline:
                raise AssertionError(
                    f"condition not met within {timeout}s; {self.describe_calls()}"
                )
            await asyncio.sleep(0.01)

    async def wait_for_reply(
        self,
        chat_id: int | str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[Call]:
        """The next `count` outbound calls to `chat_id` not returned by an earlier call.

        Exactly `count` are returned; further ones wait for the next call, so a test stays
        deterministic however fast the bot is.
        """
        key = _normalize_chat_id(chat_id)
        start = self._reply_cursor.get(key, 0)
        try:
            await self.wait_for(lambda s: len(s.sent_to(key)) >= start + count, timeout)
        except AssertionError as exc:
            raise AssertionError(f"expected {count} new message(s) to chat {key}: {exc}") from None
        self._reply_cursor[key] = start + count
        return self.sent_to(key)[start : start + count]

    # ----------------------------------------------------------------- fault injection

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int = 1,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` with a Telegram error.

        `description` defaults to what Telegram says for `error_code`; `retry_after` is sent
        (as `parameters.retry_after`) only with 429.
        """
        canonical = self._canonical.get(method.lower(), method)
        parameters: JSONDict | None = None
        if error_code == 429:
            parameters = {"retry_after": retry_after}
            default = f"Too Many Requests: retry after {retry_after}"
        else:
            default = _DEFAULT_DESCRIPTIONS.get(error_code, "Internal Server Error")
        fault = _Fault(error_code, description or default, parameters, times)
        self._faults.setdefault(canonical, []).append(fault)

    def fault_next(self, method: str, kind: str, times: int = 1, delay: float = 0.0) -> None:
        """Network faults on the next `times` calls of `method`.

        "reset": the connection is closed with no answer and nothing done (the client cannot
        tell whether the request was acted on). "slow": the request is acted on (a message is
        sent) but the answer comes only after `delay` seconds — past the client's read
        timeout, a delivered message the bot sees as a timeout.
        """
        if kind not in ("reset", "slow"):
            raise ValueError(f"unknown network fault {kind!r}")
        canonical = self._canonical.get(method.lower(), method)
        self._net_faults.setdefault(canonical, []).append(_NetFault(kind, delay, times))

    def stall_next(self, method: str, times: int = 1) -> None:
        """Hold the next `times` calls of `method` unanswered and unprocessed (`stalled`),
        until the client goes away (a test kills the bot meanwhile)."""
        canonical = self._canonical.get(method.lower(), method)
        self._stalls[canonical] = self._stalls.get(canonical, 0) + times

    def _take_net_fault(self, method: str) -> _NetFault | None:
        faults = self._net_faults.get(method)
        if not faults:
            return None
        fault = faults[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            faults.pop(0)
        return fault

    def _flooded(self, method: str, now: float) -> _ApiError | None:
        if self.flood_limit is None or method not in OUTBOUND_METHODS:
            return None
        recent = self._recent_sends
        while recent and recent[0] <= now - 1.0:
            recent.pop(0)
        if len(recent) >= self.flood_limit:
            self.flood_429s += 1
            after = self.flood_retry_after
            return _ApiError(
                429, f"Too Many Requests: retry after {after}", {"retry_after": after}
            )
        recent.append(now)
        return None

    def _take_fault(self, method: str) -> _ApiError | None:
        faults = self._faults.get(method)
        if not faults:
            return None
        fault = faults[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            faults.pop(0)
        return _ApiError(fault.error_code, fault.description, fault.parameters)

    # ----------------------------------------------------------------- update injection

    def inject(self, update: JSONDict) -> int:
        """Queue a raw update for getUpdates (or deliver it to a loopback webhook)."""
        if "update_id" not in update:
            update["update_id"] = next(self._update_ids)
        self.updates.append(update)
        self._pending.append(update)
        self._wake_pollers()
        if self.webhook_url and urlsplit(self.webhook_url).hostname in _LOOPBACK_HOSTS:
            task = asyncio.get_running_loop().create_task(self._deliver(update))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        update_id: int = update["update_id"]
        return update_id

    def text_update(
        self,
        user: FakeUser,
        text: str,
        chat: JSONDict | None = None,
        *,
        reply_to_message_id: int | None = None,
    ) -> JSONDict:
        """Build (without queuing) a `message` update with `text` from `user`."""
        message = self._user_message(user, chat, reply_to_message_id)
        message["text"] = text
        entities = text_entities(text)
        if entities:
            message["entities"] = entities
        return self._message_update(message)

    def send_text(
        self,
        user: FakeUser,
        text: str,
        chat: JSONDict | None = None,
        *,
        reply_to_message_id: int | None = None,
    ) -> int:
        """`user` sends `text` (private chat unless `chat` is a group/supergroup dict)."""
        return self.inject(
            self.text_update(user, text, chat, reply_to_message_id=reply_to_message_id)
        )

    def send_sticker(self, user: FakeUser, chat: JSONDict | None = None, emoji: str = "👍") -> int:
        """`user` sends a sticker."""
        message = self._user_message(user, chat)
        n = next(self._file_ids)
        message["sticker"] = {
            "file_id": f"CAACAgIAAxkBAAI{n:06d}",
            "file_unique_id": f"AgAD{n:06d}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self.inject(self._message_update(message))

    def send_photo(
        self, user: FakeUser, chat: JSONDict | None = None, caption: str | None = None
    ) -> int:
        """`user` sends a photo, optionally with a caption."""
        message = self._user_message(user, chat)
        message["photo"] = self._photo_sizes(20_000)
        if caption:
            message["caption"] = caption
        return self.inject(self._message_update(message))

    def send_voice(self, user: FakeUser, chat: JSONDict | None = None, duration: int = 3) -> int:
        """`user` sends a voice message."""
        message = self._user_message(user, chat)
        n = next(self._file_ids)
        message["voice"] = {
            "file_id": f"AwACAgUAAxkBAAI{n:06d}",
            "file_unique_id": f"AgAD{n:06d}",
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": 4_000 * duration,
        }
        return self.inject(self._message_update(message))

    def edit_text(
        self, user: FakeUser, message_id: int, text: str, chat: JSONDict | None = None
    ) -> int:
        """`user` edits their message `message_id` to `text` (an `edited_message` update)."""
        chat_dict = self._register_chat(chat if chat is not None else user.private_chat())
        self._users[user.id] = user.to_dict()
        stored = self._messages.get((chat_dict["id"], message_id))
        message: JSONDict = (
            copy.deepcopy(stored)
            if stored
            else {
                "message_id": message_id,
                "from": user.to_dict(),
                "chat": chat_dict,
                "date": int(time.time()) - 1,
            }
        )
        message.pop("entities", None)
        message["text"] = text
        message["edit_date"] = int(time.time())
        entities = text_entities(text)
        if entities:
            message["entities"] = entities
        self._messages[(chat_dict["id"], message_id)] = copy.deepcopy(message)
        return self.inject({"update_id": next(self._update_ids), "edited_message": message})

    def press(
        self, user: FakeUser, message_id: int, data: str, chat: JSONDict | None = None
    ) -> int:
        """`user` presses an inline button with `data` under the bot's message `message_id`."""
        chat_dict = self._register_chat(chat if chat is not None else user.private_chat())
        self._users[user.id] = user.to_dict()
        stored = self._messages.get((chat_dict["id"], message_id))
        if stored is None:
            known = sorted(mid for (cid, mid) in self._messages if cid == chat_dict["id"])
            raise LookupError(
                f"no message {message_id} in chat {chat_dict['id']} to press; known: {known}"
            )
        query_id = str(next(self._query_ids))
        self._open_queries.add(query_id)
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "message": copy.deepcopy(stored),
            "chat_instance": self._chat_instance(chat_dict["id"]),
            "data": data,
        }
        return self.inject({"update_id": next(self._update_ids), "callback_query": query})

    @staticmethod
    def _chat_instance(chat_id: int | str) -> str:
        # Stable per chat, opaque like Telegram's.
        digest = sum(ord(c) * 31**i for i, c in enumerate(str(chat_id))) % 10**18
        return str(-(4_000_000_000_000_000_000 + digest))

    def _register_chat(self, chat: JSONDict) -> JSONDict:
        if "id" not in chat or "type" not in chat:
            raise ValueError(f"a chat needs 'id' and 'type': {chat!r}")
        chat = dict(chat)
        if chat["type"] in ("group", "supergroup", "channel"):
            chat.setdefault("title", "ShopCoach test group")
        self._chats[chat["id"]] = chat
        return dict(chat)

    def _next_message_id(self, chat_id: int | str) -> int:
        # One counter per chat, shared by the user's and the bot's messages, as in Telegram.
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        return message_id

    def _user_message(
        self, user: FakeUser, chat: JSONDict | None, reply_to_message_id: int | None = None
    ) -> JSONDict:
        chat_dict = self._register_chat(chat if chat is not None else user.private_chat())
        self._users[user.id] = user.to_dict()
        message: JSONDict = {
            "message_id": self._next_message_id(chat_dict["id"]),
            "from": user.to_dict(),
            "chat": chat_dict,
            "date": int(time.time()),
        }
        if reply_to_message_id is not None:
            replied = self._messages.get((chat_dict["id"], reply_to_message_id))
            if replied is None:
                raise LookupError(f"no message {reply_to_message_id} in chat {chat_dict['id']}")
            message["reply_to_message"] = self._shallow_reply(replied)
        return message

    def _message_update(self, message: JSONDict) -> JSONDict:
        self._messages[(message["chat"]["id"], message["message_id"])] = copy.deepcopy(message)
        return {"update_id": next(self._update_ids), "message": message}

    @staticmethod
    def _shallow_reply(message: JSONDict) -> JSONDict:
        # Telegram does not nest reply_to_message more than one level.
        reply = copy.deepcopy(message)
        reply.pop("reply_to_message", None)
        return reply

    def _photo_sizes(self, file_size: int) -> list[JSONDict]:
        n = next(self._file_ids)
        return [
            {
                "file_id": f"AgACAgUAAxkBAAI{n:06d}-s",
                "file_unique_id": f"AQAD{n:06d}s",
                "width": 90,
                "height": 90,
                "file_size": max(1, file_size // 20),
            },
            {
                "file_id": f"AgACAgUAAxkBAAI{n:06d}-m",
                "file_unique_id": f"AQAD{n:06d}m",
                "width": 800,
                "height": 800,
                "file_size": file_size,
            },
        ]

    # ----------------------------------------------------------------- webhook delivery

    async def post_update_to(
        self, url: str, update: JSONDict, secret_token: str | None = None
    ) -> int:
        """POST `update` to a (loopback) webhook as Telegram does; return the HTTP status."""
        _require_loopback(url)
        headers = {SECRET_HEADER: secret_token} if secret_token is not None else {}
        timeout = aiohttp.ClientTimeout(total=10)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(url, json=update, headers=headers) as response,
        ):
            await response.read()
            return response.status

    async def _deliver(self, update: JSONDict) -> None:
        # Deliveries are serialised so the webhook sees updates in order, like Telegram.
        async with self._delivery_lock:
            try:
                status = await self.post_update_to(self.webhook_url, update, self.webhook_secret)
            except (aiohttp.ClientError, TimeoutError):
                status = 0
            self.webhook_deliveries.append((update["update_id"], status))
            if 200 <= status < 300 and update in self._pending:
                self._pending.remove(update)

    # ----------------------------------------------------------------- HTTP plumbing

    async def _handle(self, request: web.Request) -> web.Response:
        raw_method = request.match_info["method"]
        method = self._canonical.get(raw_method.lower(), raw_method)
        received = time.monotonic()
        params = await self._read_params(request)
        call = Call(method, params, received=received, content_type=request.content_type)
        self.calls.append(call)
        net = self._take_net_fault(method)
        if net is not None and net.kind == "reset":
            call.completed = True
            call.error_code = -1
            call.description = "connection reset"
            if request.transport is not None:
                request.transport.close()
            raise asyncio.CancelledError
        if self._stalls.get(method):
            self._stalls[method] -= 1
            self.stalled.append(call)
            await asyncio.Event().wait()  # until the client disconnects (handler cancelled)
        try:
            if request.match_info["token"] != self.token:
                raise _ApiError(401, "Unauthorized")
            fault = self._take_fault(method) or self._flooded(method, received)
            if fault is not None:
                raise fault
            handler = self._handlers.get(method)
            if handler is None:
                raise _ApiError(404, "Not Found: method not found")
            result = await handler(params)
        except _ApiError as exc:
            call.error_code = exc.error_code
            call.description = exc.description
            call.completed = True
            return web.json_response(exc.payload(), status=exc.error_code)
        call.result = result
        call.completed = True
        if net is not None and net.kind == "slow":
            await asyncio.sleep(net.delay)  # done, but the answer comes too late
        return web.json_response({"ok": True, "result": result})

    async def _read_params(self, request: web.Request) -> JSONDict:
        params: JSONDict = {key: _decode_form_value(key, v) for key, v in request.query.items()}
        content_type = request.content_type
        if content_type == "multipart/form-data":
            files: dict[str, UploadedFile] = {}
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    content = bytes(await part.read(decode=True))
                    ctype = part.headers.get("Content-Type")
                    files[part.name] = UploadedFile(part.filename, content, ctype)
                else:
                    params[part.name] = _decode_form_value(part.name, await part.text())
            for key, value in list(params.items()):
                # InputFile parameters may be sent as attach://<part name>.
                if isinstance(value, str) and value.startswith("attach://"):
                    attached = files.pop(value.removeprefix("attach://"), None)
                    if attached is not None:
                        params[key] = attached
            params.update(files)
        elif content_type == "application/x-www-form-urlencoded":
            form = await request.post()
            for key, value in form.items():
                params[key] = _decode_form_value(key, str(value))
        elif request.can_read_body:
            body = await request.read()
            if body.strip() and content_type != "application/json":
                # Telegram reads a JSON body only when it is declared as one.
                raise web.HTTPBadRequest(text="unsupported content type")
            if body.strip():
                try:
                    decoded = json.loads(body)
                except ValueError:
                    raise web.HTTPBadRequest(text="body is not JSON") from None
                if isinstance(decoded, dict):
                    params.update(decoded)
        return params

    # ----------------------------------------------------------------- chats and messages

    def _chat_for(self, chat_id: object) -> JSONDict:
        if chat_id is None or chat_id == "":
            raise _ApiError(400, "Bad Request: chat_id is empty")
        key = _normalize_chat_id(chat_id)
        known = self._chats.get(key)
        if known is not None:
            return dict(known)
        # Unknown chats are made up rather than refused, so a job can message a stored user id.
        chat: JSONDict
        if isinstance(key, str):
            chat = {"id": key, "type": "channel", "title": key.lstrip("@")}
        elif key > 0:
            user = self._users.get(key)
            chat = {"id": key, "type": "private", "first_name": "User"}
            if user is not None:
                chat["first_name"] = user["first_name"]
                if "username" in user:
                    chat["username"] = user["username"]
        else:
            kind = "supergroup" if str(key).startswith("-100") else "group"
            chat = {"id": key, "type": kind, "title": "ShopCoach test group"}
        self._chats[key] = chat
        return dict(chat)

    def _new_bot_message(self, params: JSONDict, content: JSONDict) -> JSONDict:
        chat = self._chat_for(params.get("chat_id"))
        _check_markup(params.get("reply_markup"))
        message: JSONDict = {
            "message_id": 0,
            "from": self.bot_user,
            "chat": chat,
            "date": int(time.time()),
        }
        reply = params.get("reply_parameters")
        reply_to = reply.get("message_id") if isinstance(reply, dict) else None
        reply_to = reply_to or params.get("reply_to_message_id")
        if reply_to is not None:
            replied = self._messages.get((chat["id"], int(reply_to)))
            allow = isinstance(reply, dict) and reply.get("allow_sending_without_reply")
            if replied is not None:
                message["reply_to_message"] = self._shallow_reply(replied)
            elif not allow:
                raise _ApiError(400, "Bad Request: message to be replied not found")
        message.update(content)
        markup = _inline_markup(params.get("reply_markup"))
        if markup is not None:
            message["reply_markup"] = markup
        message["message_id"] = self._next_message_id(chat["id"])
        self._messages[(chat["id"], message["message_id"])] = copy.deepcopy(message)
        return message

    def _stored_message(self, params: JSONDict, missing: str) -> tuple[JSONDict, JSONDict]:
        chat = self._chat_for(params.get("chat_id"))
        message_id = params.get("message_id")
        stored = None if message_id is None else self._messages.get((chat["id"], int(message_id)))
        if stored is None:
            raise _ApiError(400, f"Bad Request: {missing}")
        return chat, stored

    def _editable_message(self, params: JSONDict) -> JSONDict:
        _check_markup(params.get("reply_markup"))
        _chat, stored = self._stored_message(params, "message to edit not found")
        if stored["from"]["id"] != self.bot_id:
            raise _ApiError(400, "Bad Request: message can't be edited")
        return stored

    @staticmethod
    def _apply_edit(stored: JSONDict, changes: JSONDict) -> JSONDict:
        before = copy.deepcopy(stored)
        for key, value in changes.items():
            if value is None:
                stored.pop(key, None)
            else:
                stored[key] = value
        if {k: v for k, v in stored.items() if k != "edit_date"} == {
            k: v for k, v in before.items() if k != "edit_date"
        }:
            raise _ApiError(400, _NOT_MODIFIED)
        stored["edit_date"] = int(time.time())
        return copy.deepcopy(stored)

    def _upload_info(self, value: object) -> tuple[str | None, str | None, int]:
        if isinstance(value, UploadedFile):
            return value.filename, value.content_type, len(value.content)
        return None, None, 1024

    def _wake_pollers(self) -> None:
        # Waiters hold the old event; a fresh one is armed for the next wait.
        self._new_update.set()
        self._new_update = asyncio.Event()

    # ----------------------------------------------------------------- Bot API methods

    async def _true(self, _params: JSONDict) -> bool:
        return True

    async def _get_me(self, _params: JSONDict) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _deliverable(self, offset: int, limit: int, allowed: object) -> list[JSONDict]:
        if offset < 0:
            chosen = self._pending[offset:]
        else:
            chosen = [u for u in self._pending if u["update_id"] >= offset]
        if isinstance(allowed, list) and allowed:
            chosen = [u for u in chosen if any(kind in u for kind in allowed)]
        return chosen[:limit]

    async def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        if self.webhook_url:
            raise _ApiError(409, _WEBHOOK_CONFLICT)
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = max(0.0, float(params.get("timeout") or 0))
        allowed = params.get("allowed_updates")
        if offset > 0:
            # An offset confirms every update before it, as in Telegram.
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._new_update
            updates = self._deliverable(offset, limit, allowed)
            remaining = deadline - loop.time()
            if updates or self._closing or remaining <= 0:
                return copy.deepcopy(updates)
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return []

    async def _set_webhook(self, params: JSONDict) -> bool:
        url = str(params.get("url") or "")
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook_url = url
        self.webhook_secret = params.get("secret_token") if url else None
        if url:
            self._wake_pollers()  # a long poll in progress ends, as in Telegram
        return True

    async def _delete_webhook(self, params: JSONDict) -> bool:
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook_url = ""
        self.webhook_secret = None
        return True

    async def _get_webhook_info(self, _params: JSONDict) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.webhook_url:
            info["max_connections"] = 40
        return info

    @staticmethod
    def _commands_key(params: JSONDict) -> str:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps([scope, params.get("language_code") or ""], sort_keys=True)

    async def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _ApiError(400, 'Bad Request: parameter "commands" is required')
        for command in commands:
            if not _BOT_COMMAND_NAME_RE.fullmatch(str(command.get("command", ""))):
                raise _ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(params)] = commands
        return True

    async def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return copy.deepcopy(self.commands.get(self._commands_key(params), []))

    async def _delete_my_commands(self, params: JSONDict) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    async def _set_chat_menu_button(self, params: JSONDict) -> bool:
        chat_id = params.get("chat_id")
        key = None if chat_id is None else _normalize_chat_id(chat_id)
        self._menu_buttons[key] = params.get("menu_button") or {"type": "default"}
        return True

    async def _get_chat_menu_button(self, params: JSONDict) -> JSONDict:
        chat_id = params.get("chat_id")
        key = None if chat_id is None else _normalize_chat_id(chat_id)
        return self._menu_buttons.get(key) or self._menu_buttons.get(None) or {"type": "default"}

    async def _send_message(self, params: JSONDict) -> JSONDict:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        _check_html(params)
        content: JSONDict = {"text": text}
        if params.get("entities"):
            content["entities"] = params["entities"]
        return self._new_bot_message(params, content)

    def _caption_content(self, params: JSONDict) -> JSONDict:
        caption = params.get("caption")
        if caption is None:
            return {}
        if len(str(caption)) > 1024:
            raise _ApiError(400, "Bad Request: message caption is too long")
        content: JSONDict = {"caption": str(caption)}
        if params.get("caption_entities"):
            content["caption_entities"] = params["caption_entities"]
        return content

    async def _send_photo(self, params: JSONDict) -> JSONDict:
        photo = params.get("photo")
        if photo is None or photo == "":
            raise _ApiError(400, "Bad Request: there is no photo in the request")
        _name, _type, size = self._upload_info(photo)
        content = {"photo": self._photo_sizes(size), **self._caption_content(params)}
        return self._new_bot_message(params, content)

    async def _send_document(self, params: JSONDict) -> JSONDict:
        document = params.get("document")
        if document is None or document == "":
            raise _ApiError(400, "Bad Request: there is no document in the request")
        name, mime_type, size = self._upload_info(document)
        n = next(self._file_ids)
        info: JSONDict = {
            "file_id": f"BQACAgUAAxkBAAI{n:06d}",
            "file_unique_id": f"AgAD{n:06d}d",
            "file_size": size,
        }
        if name:
            info["file_name"] = name
        if mime_type:
            info["mime_type"] = mime_type
        content = {"document": info, **self._caption_content(params)}
        return self._new_bot_message(params, content)

    async def _send_chat_action(self, params: JSONDict) -> bool:
        self._chat_for(params.get("chat_id"))
        if not params.get("action"):
            raise _ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    async def _edit_message_text(self, params: JSONDict) -> JSONDict | bool:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise _ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        _check_html(params)
        if params.get("inline_message_id"):
            _check_markup(params.get("reply_markup"))
            return True
        stored = self._editable_message(params)
        if "text" not in stored:
            raise _ApiError(400, "Bad Request: there is no text in the message to edit")
        # Like Telegram, an edit without reply_markup removes the inline keyboard.
        return self._apply_edit(
            stored,
            {
                "text": text,
                "entities": params.get("entities") or None,
                "reply_markup": _inline_markup(params.get("reply_markup")),
            },
        )

    async def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict | bool:
        if params.get("inline_message_id"):
            _check_markup(params.get("reply_markup"))
            return True
        stored = self._editable_message(params)
        return self._apply_edit(
            stored, {"reply_markup": _inline_markup(params.get("reply_markup"))}
        )

    async def _edit_message_caption(self, params: JSONDict) -> JSONDict | bool:
        if params.get("inline_message_id"):
            _check_markup(params.get("reply_markup"))
            return True
        stored = self._editable_message(params)
        if not any(kind in stored for kind in ("photo", "document", "caption")):
            raise _ApiError(400, "Bad Request: there is no caption in the message to edit")
        content = self._caption_content(params)
        return self._apply_edit(
            stored,
            {
                "caption": content.get("caption"),
                "caption_entities": content.get("caption_entities"),
                "reply_markup": _inline_markup(params.get("reply_markup")),
            },
        )

    async def _delete_message(self, params: JSONDict) -> bool:
        chat, stored = self._stored_message(params, "message to delete not found")
        del self._messages[(chat["id"], stored["message_id"])]
        return True

    async def _answer_callback_query(self, params: JSONDict) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_queries:
            raise _ApiError(400, _QUERY_INVALID)
        if len(str(params.get("text") or "")) > 200:
            raise _ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._open_queries.discard(query_id)
        return True

    async def _get_chat(self, params: JSONDict) -> JSONDict:
        chat = self._chat_for(params.get("chat_id"))
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }

    async def _get_chat_member(self, params: JSONDict) -> JSONDict:
        chat = self._chat_for(params.get("chat_id"))
        user_id = params.get("user_id")
        if user_id is None:
            raise _ApiError(400, "Bad Request: user not found")
        user_id = int(user_id)
        if user_id == self.bot_id:
            user = self.bot_user
        else:
            user = self._users.get(user_id) or {
                "id": user_id,
                "is_bot": False,
                "first_name": "User",
            }
        status = self.member_status.get((chat["id"], user_id), "member")
        member: JSONDict = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "kicked":
            member["until_date"] = 0
        elif status == "administrator":
            member.update(
                dict.fromkeys(
                    (
                        "can_manage_chat",
                        "can_delete_messages",
                        "can_manage_video_chats",
                        "can_restrict_members",
                        "can_invite_users",
                        "can_change_info",
                        "can_post_stories",
                        "can_edit_stories",
                        "can_delete_stories",
                    ),
                    True,
                )
            )
            member.update(can_be_edited=False, is_anonymous=False, can_promote_members=False)
        return member


__all__ = [
    "BOT_FIRST_NAME",
    "BOT_ID",
    "BOT_USERNAME",
    "DEFAULT_TOKEN",
    "OUTBOUND_METHODS",
    "SECRET_HEADER",
    "Call",
    "FakeBotApi",
    "FakeUser",
    "UploadedFile",
    "free_port",
    "text_entities",
]
