"""What every page's menu needs from the buy-in loop (buyin.menu): the open pulse survey waves
the user was asked, and the answers to their suggestions they have not read. Read once a page,
and only if the page shows the menu."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from buyin.menu import EMPTY, menu_state


def menu(request: HttpRequest) -> dict:
    state = SimpleLazyObject(lambda: menu_state(request.user) if request.user.is_authenticated else EMPTY)
    return {
        "pulse_waiting": SimpleLazyObject(lambda: state.waiting(timezone.now())),
        # A callable, which a template calls: a number, not a lazy object, for plural forms
        # (Spanish's rule computes n % 1000000, which a lazy object does not support).
        "unread_suggestions": lambda: state.unread_suggestions,
    }
