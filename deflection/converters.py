"""The `id` path converter: a record id, as `int` but no longer than a database id can be.

`<int:...>` takes any run of digits; an id past 64 bits then reaches the database, where
SQLite fails with an OverflowError (a server error for a hand-typed URL). With `<id:...>`
such a URL is simply not found.
"""

from __future__ import annotations

from django.urls import register_converter


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")
