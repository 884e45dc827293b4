"""The tokenizer of `jobs_fts` (migration 0003: FTS5 `unicode61 remove_diacritics 2`), in
Python, so that a saved search can be matched against one new job exactly as `/jobs` would
match it (bot/services/alerts.py), without a query per search.

unicode61 decides per code point: a character is a separator, or a token character folded
to zero or more characters (case folded in every script, diacritics removed, combining
marks dropped). Its tables are SQLite's own (they differ from Python's `unicodedata` in some
60,000 code points: unassigned ones are token characters, combining marks belong to the
token they follow, Greek tonos is kept, ...), so they are not rewritten here: each character
is asked of SQLite once, in an in-memory FTS5 table of the same tokenizer, and remembered.
A text costs one dictionary lookup a character after that.
"""

from __future__ import annotations

import sqlite3
import threading

TOKENIZE = "unicode61 remove_diacritics 2"  # as in migration 0003
SEPARATOR = None  # what `fold_of` says of a separator

_folds: dict[str, str | None] = {}
_table: dict[int, str] = {}  # the same for str.translate: a separator becomes a space
_lock = threading.Lock()
_probe: sqlite3.Connection | None = None


def _connection() -> sqlite3.Connection:
    global _probe
    if _probe is None:
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        conn.execute(f"CREATE VIRTUAL TABLE probe USING fts5(x, tokenize = '{TOKENIZE}')")
        conn.execute("CREATE VIRTUAL TABLE probe_terms USING fts5vocab(probe, 'instance')")
        _probe = conn
    return _probe


def _learn(chars: set[str]) -> None:
    """Ask SQLite how it tokenizes each of `chars`: `a<c>a` is one token (`a` + the fold of
    c + `a`) when c is a token character, two `a` tokens when it separates."""
    with _lock:
        todo = sorted(c for c in chars if c not in _folds)
        if not todo:
            return
        conn = _connection()
        conn.executemany(
            "INSERT INTO probe (rowid, x) VALUES (?, ?)",
            [(n, f"a{c}a") for n, c in enumerate(todo, start=1)],
        )
        seen: dict[int, list[tuple[int, str]]] = {}
        for term, doc, offset in conn.execute("SELECT term, doc, offset FROM probe_terms"):
            seen.setdefault(int(doc), []).append((int(offset), str(term)))
        conn.execute("DELETE FROM probe")
        for n, c in enumerate(todo, start=1):
            terms = [t for _o, t in sorted(seen.get(n, []))]
            if len(terms) == 1 and terms[0].startswith("a") and terms[0].endswith("a"):
                _folds[c] = _table[ord(c)] = terms[0][1:-1]
            else:
                _folds[c] = SEPARATOR
                _table[ord(c)] = " "


def fold_of(char: str) -> str | None:
    """The folded form of one character inside a token, or None for a separator."""
    if char not in _folds:
        _learn({char})
    return _folds[char]


def tokens(text: str) -> list[str]:
    """The tokens FTS5 indexes for `text`, in order (folded)."""
    if not text:
        return []
    unknown = set(text).difference(_folds)
    if unknown:
        _learn(unknown)
    # Every character is in the table now; a fold never holds whitespace (that separates).
    return text.translate(_table).split()


# ASCII and the Latin and Cyrillic blocks are learned at import (a few milliseconds), so a
# typical job costs no probe at all.
_learn({chr(c) for c in range(0x20, 0x250)} | {chr(c) for c in range(0x400, 0x530)})
