"""Sending within Telegram's limits, replies first, and retrying only what is safe to retry.

Every request PTB makes (except getUpdates) passes through `PacedRateLimiter`:

- Messages (send*, edit*, copy, forward) take a slot from one `Pacer`: at most 30 (Telegram's
  limit for a second) in any rolling 1.02 s — the 20 ms is the margin for network jitter —
  spread at least ~27 ms apart. Two lanes: replies to people talking to the bot, and bulk
  (reminders, `rate_limit_args=BULK`). A free slot always goes to a waiting reply first, so
  a reminder fan-out uses whatever replies leave (29.4/s when no one is talking) and delays
  a reply by a slot or two at most.
- Groups also keep Telegram's 20 messages a minute, per group, before taking a slot.
- 429 Too Many Requests: wait `retry_after` (holding every slot for a bot-wide 429) and send
  again, as often as it takes — never dropped.
- Network faults: a request Telegram certainly did not act on (connection refused, connect
  or pool timeout, a 5xx answer) is retried with backoff; so is any request that is harmless
  to repeat (edits, answering a button, getMe …). A send whose fate is unknown (read timeout,
  connection reset after the request left) is NOT repeated: the error goes to the caller and
  the log, because a second try could show the user the same message (a drill question)
  twice. After a retry, "message is not modified" / "query is too old" mean the first try
  had worked, and count as success.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

import httpx
from aiolimiter import AsyncLimiter
from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

BULK = "bulk"  # rate_limit_args of a broadcast send (a reminder): it waits behind replies

# Messages in any rolling window, for everything the bot sends: Telegram's 30 a second, over
# a window a little longer than a second, so that two sends whose network delays differ by
# up to 20 ms still reach Telegram 30 to a second. (29 in 1.0 s, the first setting, left
# 3.4 % of the rate unused and had a 10,000-reminder fan-out take 1.058 × the ideal.)
MESSAGES_PER_SECOND = 30
WINDOW = 1.02
GROUP_PER_MINUTE = 20
NETWORK_RETRIES = 5

_ANSWERED_BEFORE = (
    "message is not modified",
    "query is too old",
    "query id is invalid",
    "message to delete not found",
)
# httpx errors raised before the request could reach Telegram.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


def is_message(endpoint: str) -> bool:
    """A request that puts or changes a message in a chat: what Telegram's limits count."""
    e = endpoint.lower()
    return (e.startswith(("send", "edit")) and e != "sendchataction") or e in (
        "copymessage",
        "forwardmessage",
    )


def is_send(endpoint: str) -> bool:
    """A request that would show something new if it were made twice."""
    e = endpoint.lower()
    return (e.startswith("send") and e != "sendchataction") or e in (
        "copymessage",
        "forwardmessage",
    )


def not_delivered(exc: NetworkError) -> bool:
    """True when Telegram certainly did not act on the request that failed with `exc`."""
    cause = exc.__cause__
    if isinstance(cause, _NOT_SENT):
        return True
    # The server answered with an error status (5xx): the request failed there.
    return cause is None and type(exc) is NetworkError


class Pacer:
    """Hands out send slots, lane 0 before lane 1: at most `per_second` in any rolling
    `window` seconds, never two closer than `0.8 * window / per_second` s.

    The rolling window holds the rate even when the event loop wakes up late (a busy or
    shared machine): late slots catch up instead of being lost. The minimum gap keeps the
    sends spread out. A window longer than a second is the jitter margin: as long as the
    network delays of two sends `per_second` apart differ by less than `window - 1` s,
    Telegram never sees more than `per_second` in a second.
    """

    def __init__(self, per_second: int, window: float = 1.0) -> None:
        self.cap = per_second
        self.window = window
        self.min_gap = 0.8 * window / per_second
        self._grants: deque[float] = deque()
        self._last = float("-inf")
        self._hold_until = 0.0
        self._lanes: tuple[deque[asyncio.Future[None]], ...] = (deque(), deque())
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self.granted = [0, 0]

    def waiting(self, lane: int) -> int:
        return sum(1 for f in self._lanes[lane] if not f.done())

    async def slot(self, lane: int = 0) -> None:
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._wake = asyncio.Event()
            self._task = loop.create_task(self._run(), name="pacer")
        fut: asyncio.Future[None] = loop.create_future()
        self._lanes[lane].append(fut)
        assert self._wake is not None
        self._wake.set()
        await fut  # a cancelled waiter is skipped by the dispatcher

    def hold(self, seconds: float) -> None:
        """Give no slot for `seconds` (Telegram said to wait)."""
        loop = asyncio.get_running_loop()
        self._hold_until = max(self._hold_until, loop.time() + seconds)

    def _pop(self) -> tuple[int, asyncio.Future[None]] | None:
        for n, lane in enumerate(self._lanes):
            while lane:
                fut = lane.popleft()
                if not fut.done():
                    return n, fut
        return None

    def _free_at(self, now: float) -> float:
        """The earliest moment the next slot may be given."""
        grants = self._grants
        while grants and grants[0] <= now - self.window:
            grants.popleft()
        at = max(self._hold_until, self._last + self.min_gap)
        if len(grants) >= self.cap:
            at = max(at, grants[0] + self.window)
        return at

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._wake is not None
        while True:
            if not any(self._lanes):
                self._wake.clear()
                await self._wake.wait()
                continue
            now = loop.time()
            at = self._free_at(now)
            if at > now:
                await asyncio.sleep(at - now)
                continue  # a reply may have come in meanwhile; pick again
            picked = self._pop()
            if picked is None:
                continue
            lane, fut = picked
            fut.set_result(None)
            self.granted[lane] += 1
            self._grants.append(now)
            self._last = now

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                await self._task
            self._task = None


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class PacedRateLimiter(BaseRateLimiter[str]):
    """PTB's rate limiter hook: the pacer, group limits, 429s and safe retries (see above)."""

    def __init__(
        self,
        per_second: int = MESSAGES_PER_SECOND,
        window: float = WINDOW,
        *,
        network_retries: int = NETWORK_RETRIES,
        backoff: float = 0.5,
    ) -> None:
        self.pacer = Pacer(per_second, window)
        self.network_retries = network_retries
        self.backoff = backoff
        self._groups: dict[int | str, AsyncLimiter] = {}

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        await self.pacer.stop()

    def _group(self, chat_id: object) -> AsyncLimiter | None:
        key: int | str
        if isinstance(chat_id, str):
            try:
                key = int(chat_id)
            except ValueError:
                key = chat_id  # @channelname
        elif isinstance(chat_id, int):
            key = chat_id
        else:
            return None
        if isinstance(key, int) and key >= 0:
            return None  # a private chat
        if key not in self._groups:
            self._groups[key] = AsyncLimiter(GROUP_PER_MINUTE, 60)
        return self._groups[key]

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> JSONResult:
        paced = is_message(endpoint)
        lane = 1 if rate_limit_args == BULK else 0
        group = self._group(data.get("chat_id")) if paced else None
        failures = 0
        retried = False
        while True:
            if group is not None:
                await group.acquire()
            if paced:
                await self.pacer.slot(lane)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = _seconds(exc.retry_after) + 0.1
                log.info("Telegram asked to wait %.1f s (%s); sending again after", wait, endpoint)
                if group is None:
                    self.pacer.hold(wait)
                await asyncio.sleep(wait)
            except BadRequest as exc:
                if retried and any(s in exc.message.lower() for s in _ANSWERED_BEFORE):
                    return True  # the earlier try had gone through
                raise
            except NetworkError as exc:
                failures += 1
                safe = not_delivered(exc) or not is_send(endpoint)
                if not safe:
                    log.warning("%s failed and may have reached Telegram: not repeated", endpoint)
                    raise
                if failures > self.network_retries:
                    log.warning("%s failed %d times; giving up", endpoint, failures)
                    raise
                delay = min(8.0, self.backoff * 2 ** (failures - 1))
                log.info("%s failed (%s); trying again in %.1f s", endpoint, exc.message, delay)
                await asyncio.sleep(delay)
            retried = True
