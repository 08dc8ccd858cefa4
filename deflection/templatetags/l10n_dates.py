"""Dates in the page's language where Django's format names have none: a weekday with its day."""

from __future__ import annotations

from django import template

from deflection import l10n

register = template.Library()


@register.filter
def weekday_day(value) -> str:
    """Sunday Dec 6 / domingo 6 dic."""
    return l10n.weekday_day(value) if value else ""
