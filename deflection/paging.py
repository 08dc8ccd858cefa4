"""A page of a long list read newest first, without counting the list.

Django's Paginator counts the whole list to say "page 3 of 80". An officer's own list runs to
thousands of referrals and is opened many times a shift: the count is a query of its own at
every visit. Reading one row more than the page tells whether there is an older page, which
is all a list read newest first needs to go on.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol


class Rows(Protocol):
    """What a page is read from: a queryset, or rows read otherwise that slice as one does."""

    def __getitem__(self, window: slice) -> list: ...

    def count(self) -> int: ...


# Past this a page number is not one a link gave (and would overflow the database's OFFSET).
MOST_PAGES = 100_000


@dataclass(frozen=True)
class Page:
    """What templates/_pagination.html reads of a page (Django's Page, without the count)."""

    object_list: list
    number: int
    more: bool

    def __iter__(self) -> Iterator:
        return iter(self.object_list)

    def has_previous(self) -> bool:
        return self.number > 1

    def has_next(self) -> bool:
        return self.more

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1


def _number(asked: str | None) -> int:
    try:
        number = int(asked or 1)
    except ValueError:
        return 1
    return number if 1 <= number <= MOST_PAGES else 1


def page_of(queryset: Rows, asked: str | None, *, size: int) -> Page:
    """The page `asked` for of `size` rows: the first for a number no link gives, the last
    for one past the end (a link kept from when the list was longer: only then is it counted)."""
    number = _number(asked)
    start = (number - 1) * size
    rows = list(queryset[start : start + size + 1])
    if not rows and number > 1:
        last = max(1, math.ceil(queryset.count() / size))
        return page_of(queryset, str(last), size=size) if last < number else Page([], number, more=False)
    return Page(object_list=rows[:size], number=number, more=len(rows) > size)
