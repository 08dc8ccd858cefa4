"""The menu's count of answers to the user's suggestions not yet read."""

from __future__ import annotations

from django import template

from buyin.selectors.suggestions import suggestion_unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_suggestions(context) -> int:
    """Worked out once a page (the menu asks twice: the Menu button and the link)."""
    request = context.get("request")
    if request is None:
        return 0
    if not hasattr(request, "_unread_suggestions"):
        request._unread_suggestions = suggestion_unread_count(user=request.user)
    return request._unread_suggestions
