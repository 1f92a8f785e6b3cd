"""Telegram handlers, one module per conversation area; only bot.app imports them."""
