"""The domain, without Telegram: the standard, procedure cards, quiz bank, matcher, drills."""
