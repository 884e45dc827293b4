"""Saved searches (job alerts), as rules: what a search's words ask for, whether a job's text
answers them, the key a search is indexed under, a job's language, when a digest is due.

Words match as `/jobs` matches them (JobsRepo.search_open over the FTS5 index of migration
0003): each word is a quoted prefix query, so the word's tokens must appear one after another
in the title or in the description, all but the last exactly and the last as the start of a
token (`logo` finds "Logos", `e-commerce` finds "E-Commerce-ready"); a word with no letter
or digit (`$$$`) is looked for as a substring instead. Every word must match. The tokenizer
is passed in (bot/storage/fts.py reproduces SQLite's), so this module does no I/O.

**The index.** A search is filed under one key: the longest token of its words (cut to
KEY_MAX characters), or "" when it has none (category, budget or language only, or only
substring words). A new job looks up every prefix of every token it holds (and ""), so the
searches whose key it contains are found without looking at any other; each one found is
then checked in full (`matches`).

**A job's language** is the script most of its letters are written in: Cyrillic is Russian,
any other script English (the two languages the bot speaks); a job with no letter at all has
none, and only searches for any language find it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

Tokenize = Callable[[str], list[str]]
HasToken = Callable[[str], bool]

MAX_WORDS = 5  # as /jobs: the first five words count
WORDS_MAX_CHARS = 100  # what a search's words may hold in all (as a /jobs filter)
KEY_MAX = 20  # characters of a key kept in the index (a longer word is checked in full)
LANGUAGES = ("en", "ru")
MODES = ("instant", "digest")
DIGEST_HOUR = 8  # UTC: a person's digest, once a day
DAY = 86400
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class Terms:
    """A search's words, compiled: `phrases` (each word's tokens), `substrings` (words with
    no token), `void` (a word with letters but no token: it matches nothing, as in /jobs)."""

    phrases: tuple[tuple[str, ...], ...] = ()
    substrings: tuple[str, ...] = ()
    void: bool = False

    @property
    def key(self) -> str:
        """The index key: the longest token, cut to KEY_MAX ("" when there is none)."""
        best = ""
        for phrase in self.phrases:
            for token in phrase:
                if len(token) > len(best):
                    best = token
        return best[:KEY_MAX]

    @property
    def exact(self) -> bool:
        """Whether being found under its key is the whole match: no word (category, budget
        or language only), or one word of one token short enough to be its key."""
        if self.void or self.substrings:
            return False
        return not self.phrases or (
            len(self.phrases) == 1
            and len(self.phrases[0]) == 1
            and len(self.key) == len(self.phrases[0][0])
        )

    def to_json(self) -> str:
        return json.dumps(
            {"p": [list(p) for p in self.phrases], "s": list(self.substrings), "v": self.void},
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Terms:
        data = json.loads(text or "{}")
        return cls(
            tuple(tuple(p) for p in data.get("p", [])),
            tuple(data.get("s", [])),
            bool(data.get("v", False)),
        )


def split_words(text: str) -> list[str]:
    """The words of a search as /jobs takes them: lower case, the first MAX_WORDS."""
    return [w for w in text.lower().split() if w][:MAX_WORDS]


def compile_words(words: Iterable[str], tokenize: Tokenize, has_token: HasToken) -> Terms:
    phrases: list[tuple[str, ...]] = []
    substrings: list[str] = []
    void = False
    for word in words:
        if has_token(word):
            toks = tuple(tokenize(word))
            if toks:
                phrases.append(toks)
            else:
                void = True
        elif word.strip():
            substrings.append(word.lower())
    return Terms(tuple(phrases), tuple(substrings), void)


@dataclass
class JobText:
    """A job's title and description as the matcher reads them."""

    columns: tuple[tuple[str, ...], ...]
    lowered: tuple[str, ...]  # as SQLite's lower() does it (ASCII only), for substrings
    prefixes: set[str] = field(default_factory=set)  # every prefix of every token
    positions: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    def lookup_keys(self) -> list[str]:
        """What a job looks up in the index: "" and every token prefix up to KEY_MAX."""
        return ["", *sorted(p for p in self.prefixes if len(p) <= KEY_MAX)]


def job_text(title: str, description: str, tokenize: Tokenize) -> JobText:
    columns = (tuple(tokenize(title)), tuple(tokenize(description)))
    jt = JobText(columns, (title.translate(_ASCII_LOWER), description.translate(_ASCII_LOWER)))
    for col, toks in enumerate(columns):
        for pos, token in enumerate(toks):
            jt.positions.setdefault(token, []).append((col, pos))
    for token in jt.positions:
        jt.prefixes.update(token[:n] for n in range(1, len(token) + 1))
    return jt


def _phrase_in(phrase: tuple[str, ...], jt: JobText) -> bool:
    if len(phrase) == 1:
        return phrase[0] in jt.prefixes
    if phrase[-1] not in jt.prefixes:
        return False
    head, last = phrase[:-1], phrase[-1]
    for col, pos in jt.positions.get(head[0], ()):
        toks = jt.columns[col]
        end = pos + len(phrase)
        if end <= len(toks) and toks[pos : end - 1] == head and toks[end - 1].startswith(last):
            return True
    return False


def matches(terms: Terms, jt: JobText) -> bool:
    """Whether a job with this text answers every word of the search."""
    if terms.void:
        return False
    if not all(_phrase_in(p, jt) for p in terms.phrases):
        return False
    return all(any(s in text for text in jt.lowered) for s in terms.substrings)


def job_language(title: str, description: str) -> str | None:
    """Russian ("ru") when most letters are Cyrillic, English ("en") when most are of another
    script, None when the text has no letter."""
    cyrillic = other = 0
    for char in f"{title} {description}":
        if char.isalpha():
            if "\u0400" <= char <= "\u052f":
                cyrillic += 1
            else:
                other += 1
    if cyrillic == other == 0:
        return None
    return "ru" if cyrillic > other else "en"


def day_of(now: int) -> int:
    """The UTC day a moment falls in (ALERTS_PER_DAY counts per such day)."""
    return now // DAY


def next_digest_at(now: int) -> int:
    """The next DIGEST_HOUR:00 UTC strictly after `now`."""
    at = day_of(now) * DAY + DIGEST_HOUR * 3600
    return at if at > now else at + DAY
