"""Every message and keyboard the bot sends, built from plain data and the text catalogue.

One module per area; views are `(html_text, rows)` where rows hold `(label, callback data)`
pairs, so they are tested without Telegram. Handlers turn rows into InlineKeyboardMarkup.
"""

from bot.render.base import MESSAGE_LIMIT, Button, Rows, View, split_message
from bot.render.cards import (
    answer_view,
    browse_activity,
    browse_details,
    browse_task,
    browse_tasks,
    browse_view,
    card_buttons,
    card_text,
    card_view,
    hit_button,
)

__all__ = [
    "MESSAGE_LIMIT",
    "Button",
    "Rows",
    "View",
    "answer_view",
    "browse_activity",
    "browse_details",
    "browse_task",
    "browse_tasks",
    "browse_view",
    "card_buttons",
    "card_text",
    "card_view",
    "hit_button",
    "split_message",
]
