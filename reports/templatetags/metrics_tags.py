"""The small-numbers rule in templates (reports.metrics.disclosure): every page these filters
serve is read by the agency's own staff; whatever leaves the agency is built in Python with
the outside audience."""

from __future__ import annotations

from django import template

from deflection import l10n
from reports.metrics import Kind, shown_count

register = template.Library()


@register.filter
def police_count(count: int | None) -> str:
    """A count of the agency's own police work, for its own staff: exact."""
    return shown_count(None if count is None else int(count), kind=Kind.POLICE_WORK)


@register.filter
def treatment_count(count: int | None) -> str:
    """A count from the partners' treatment records: 1 to 10 as "<11"."""
    return shown_count(None if count is None else int(count), kind=Kind.TREATMENT)


# The older name of treatment_count, for the templates that still call it.
register.filter("small_cell", treatment_count)


@register.filter
def month_span(first, last) -> str:
    """The whole months from `first`'s to `last`'s: "November 2026", or "September 2026 to
    November 2026"."""
    return l10n.month_span(first, last)
