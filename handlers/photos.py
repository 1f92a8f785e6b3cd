"""Charts as photos: drawn in the chart process once, sent again by Telegram file id after that."""

from __future__ import annotations

import logging
from collections.abc import Callable

from telegram import Message
from telegram.error import BadRequest

from bot import charts
from bot.context import ShopContext

log = logging.getLogger(__name__)


async def send_charts(
    context: ShopContext,
    chat_id: int,
    key: str,
    draw: Callable[[], list[bytes]],
    caption: Callable[[int, int], str],
    reply_to: Message | None = None,
) -> None:
    """The images `draw` makes (keyed by `charts.chart_key` of its inputs), captioned
    `caption(n, of)`; as file ids when this key was sent before, else drawn and uploaded."""
    sent = context.state.charts
    ids = sent.get(key)
    if ids is not None:
        try:
            for n, file_id in enumerate(ids, 1):
                await _send(context, chat_id, file_id, caption(n, len(ids)), reply_to)
            return
        except BadRequest as exc:  # the file id is no longer valid: draw it again
            log.debug("chart file id refused (%s); drawing again", exc)
            sent.drop(key)
    pngs = await charts.render(draw)
    new: list[str] = []
    for n, png in enumerate(pngs, 1):
        message = await _send(context, chat_id, png, caption(n, len(pngs)), reply_to)
        if message.photo:
            new.append(message.photo[-1].file_id)
    if new and len(new) == len(pngs):
        sent.put(key, tuple(new))


async def _send(
    context: ShopContext, chat_id: int, photo: str | bytes, caption: str, reply_to: Message | None
) -> Message:
    if reply_to is not None:
        return await reply_to.reply_photo(photo, caption=caption, allow_sending_without_reply=True)
    return await context.bot.send_photo(chat_id, photo, caption=caption)
