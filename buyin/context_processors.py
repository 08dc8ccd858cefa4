"""What every page's menu needs from the buy-in loop: the open pulse survey waves the user was
asked, and the answers to their suggestions they have not read. Each is read once a page, and
only if the page shows the menu."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from buyin.selectors.pulse import pulse_open_for_user
from buyin.selectors.suggestions import suggestion_unread_count
from deflection.models import User

# Whom a wave can ask: the others are spared the query.
ASKED_ROLES = (User.Role.OFFICER, User.Role.SUPERVISOR, User.Role.CASE_MANAGER)


def _waiting(user: User) -> list:
    if not user.is_authenticated or user.role not in ASKED_ROLES:
        return []
    return list(pulse_open_for_user(user))


def pulse(request: HttpRequest) -> dict:
    """The open waves the signed-in user was asked and has not answered."""
    return {"pulse_waiting": SimpleLazyObject(lambda: _waiting(request.user))}


def suggestions(request: HttpRequest) -> dict:
    """How many answers to the user's suggestions they have not read."""
    return {"unread_suggestions": SimpleLazyObject(lambda: suggestion_unread_count(user=request.user))}
