"""One parser for what follows a command: `/deliver 12 the note`, `/resolve 7 split 60 why`,
`/evidence 3` as a file's caption. The first `n` words are taken apart; the rest stays as
typed (newlines kept), and too few words is the command's one usage sentence. Numbers in the
words are read by the one rule (`int_arg`, bot.domain.numbers)."""

from __future__ import annotations

from telegram import Message

from bot.domain.errors import InvalidInput


def command_args(
    message: Message | None, n: int, usage: str, *, need: int | None = None, rest: bool = False
) -> tuple[list[str], str]:
    """The first `n` words after the command and the rest as typed. Fewer than `need` words
    (default `n`), or no rest when `rest` is required, raise InvalidInput(usage)."""
    text = (message.text or message.caption or "") if message is not None else ""
    parts = text.split(None, 1)
    body = parts[1] if len(parts) > 1 else ""
    pieces = body.split(None, n)
    words, tail = pieces[:n], (pieces[n].strip() if len(pieces) > n else "")
    if len(words) < (n if need is None else need) or (rest and not tail):
        raise InvalidInput(usage)
    return words, tail
