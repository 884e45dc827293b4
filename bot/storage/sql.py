"""One SQL text for both engines: the repositories write SQLite's `?` placeholders, and
PostgreSQL gets them as `$1, $2, ...`, translated once per distinct statement (cached).

`?` inside a string literal ('a?b'), a quoted identifier ("a?") or a comment is left alone;
`?NNN` (SQLite's numbered form, one value used twice) becomes `$NNN`, and a plain `?` after
it takes the next number, as SQLite counts them.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4096)
def to_dollar(sql: str) -> str:
    """`SELECT * FROM t WHERE a = ? AND b = ?` -> `... a = $1 AND b = $2`."""
    out: list[str] = []
    i, n, count = 0, len(sql), 0
    while i < n:
        ch = sql[i]
        if ch in ("'", '"'):
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:  # '' inside a literal
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i : end + 1])
            i = end + 1
        elif ch == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end])
            i = end
        elif ch == "/" and sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(sql[i:end])
            i = end
        elif ch == "?":
            j = i + 1
            while j < n and sql[j].isdigit():
                j += 1
            if j > i + 1:
                number = int(sql[i + 1 : j])
                count = max(count, number)
            else:
                count += 1
                number = count
            out.append(f"${number}")
            i = j
        else:
            out.append(ch)
            i += 1
    return "".join(out)
