"""Updates from different chats run concurrently; each chat's updates run one at a time, in order.

PTB hands every update to `process_update` in the order getUpdates returned them (each in
its own task, started in that order). Before its first await, an update joins the tail of
its chat's chain and then waits for the update ahead of it in that chain, so one chat never
has two updates in flight (a drill answer and the next tap see each other's commits), while
a group waiting out its 20-a-minute limit holds only its own chain. At most
`max_concurrent_updates` updates are in progress at once (PTB's semaphore, taken without
waiting while below the bound, so the chain order is the arrival order); the bound is high
because an update waiting for its chat costs only a task.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def chain_key(update: object) -> int | None:
    """The chat an update belongs to (its sender for chat-less updates); None: no chain."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


class PerChatProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 1024) -> None:
        super().__init__(max_concurrent_updates)
        self._tails: dict[int, asyncio.Future[None]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chain_key(update)
        if key is None:
            await coroutine
            return
        # Join the chain synchronously (no await before this), so arrival order is kept.
        ahead = self._tails.get(key)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[key] = mine
        try:
            if ahead is not None:
                await asyncio.shield(ahead)
            await coroutine
        finally:
            mine.set_result(None)
            if self._tails.get(key) is mine:
                del self._tails[key]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
