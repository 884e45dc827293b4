"""Pagination: lists longer than one page get ◀ ▶ buttons that edit the message in place.

A page button is `("cb", action, *args, page)`: the handler of `action` renders that page and
answers with `context.say(..., edit=True)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bot.domain.numbers import whole

PAGE_SIZE = 10
PREV, NEXT = "◀", "▶"

T = TypeVar("T")

Button = tuple[str, tuple[Any, ...]]


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int  # 0-based, clamped to the existing pages
    has_prev: bool
    has_next: bool

    @property
    def offset(self) -> int:
        """How many items come before this page (to number lines)."""
        return self.number * PAGE_SIZE

    @property
    def paged(self) -> bool:
        return self.has_prev or self.has_next


def page_of(items: Sequence[T], number: int, size: int = PAGE_SIZE) -> Page[T]:
    """One page of a list held in memory; a page past the end shows the last one."""
    pages = max(1, -(-len(items) // size))
    number = min(max(0, number), pages - 1)
    start = number * size
    return Page(list(items[start : start + size]), number, number > 0, number < pages - 1)


def page_of_fetch(rows: Sequence[T], number: int, size: int = PAGE_SIZE) -> Page[T]:
    """A page read from the database with `limit=size + 1`: the extra row means more follow."""
    return Page(list(rows[:size]), max(0, number), number > 0, len(rows) > size)


def page_arg(value: str | None) -> int:
    """The page number carried by a button (anything odd means the first page)."""
    return whole(value, 0, 99_999) or 0


def nav_row(page: Page[Any], action: str, *args: object) -> list[Button]:
    """◀ ▶ for the pages around this one; empty when everything fits on one page."""
    row: list[Button] = []
    if page.has_prev:
        row.append((PREV, ("cb", action, *args, page.number - 1)))
    if page.has_next:
        row.append((NEXT, ("cb", action, *args, page.number + 1)))
    return row


def with_nav(rows: list[list[Button]], page: Page[Any], action: str, *args: object) -> Any:
    """`rows` and, under them, the ◀ ▶ row when there is more than one page."""
    nav = nav_row(page, action, *args)
    return [*rows, nav] if nav else rows
