"""The sandbox: a loopback Telegram Bot API server (tests and `python main.py sandbox`) and the
chat page in front of it. Outside the `bot` package on purpose: production never imports it
(an import contract in pyproject.toml)."""
