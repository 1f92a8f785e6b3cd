"""ShopCoach application: settings, storage, texts, the Telegram Application and the CLI."""
