from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from buyin.selectors.suggestions import suggestion_unread_count


def suggestions(request: HttpRequest) -> dict:
    """How many answers to the user's suggestions they have not read: counted once a page, and
    only if the page shows the menu."""
    return {"unread_suggestions": SimpleLazyObject(lambda: suggestion_unread_count(user=request.user))}
