"""How a partner's directory entry reads on its page: opening hours and languages."""

from __future__ import annotations

from django import template

from partners.directory import week_summary
from partners.hsds.terms import language_name
from partners.models import language_codes

register = template.Library()


@register.filter
def opening_hours(openings) -> list[str]:
    """ "Monday–Friday 08:00–17:00", a line per stretch of days with the same times."""
    return week_summary(openings)


@register.filter
def language_names(languages: str) -> str:
    return ", ".join(language_name(code) for code in language_codes(languages))
