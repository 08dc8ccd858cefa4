"""Template filters for referral lists."""

from __future__ import annotations

from django import template

from referrals.models import Pathway

register = template.Library()


@register.filter
def pathway_label(value: str) -> str:
    """The pathway's name in the user's language. What get_pathway_display gives, without
    rebuilding the field's choices on every call (a tenth of a millisecond a row on My
    deflections, a list of 25 referrals and 10 contacts)."""
    try:
        return str(Pathway(value).label)
    except ValueError:
        return value
