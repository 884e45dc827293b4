"""Pure marketplace rules: no I/O, no Telegram, no SQL."""
