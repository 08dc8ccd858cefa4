"""format_html and format_html_join for the pages drawn on every shift.

They write what django.utils.html's write: each argument escaped, unless it is safe HTML
already, then put in the template. Django's make, at every call and for every argument, the
checks for lazy strings that its keep_lazy decorator adds, and on the log form those checks
were three quarters of drawing a field, forty times a field. Lazy strings are turned into
text here as any other value is.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from django.utils.safestring import SafeString, mark_safe


def escaped(value: object) -> str:
    """conditional_escape: safe HTML as it is, anything else escaped (as django.utils.html.escape)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def format_html(template_string: str, *args: object) -> SafeString:
    return mark_safe(template_string.format(*map(escaped, args)))  # noqa: S308 (every argument escaped)


def format_html_join(sep: str, template_string: str, rows: Iterable[tuple]) -> SafeString:
    return mark_safe(sep.join(template_string.format(*map(escaped, row)) for row in rows))  # noqa: S308
