"""What every page's menu needs from the buy-in loop: the open pulse survey wave the user was
asked, and the answers to their suggestions they have not read. Both are read together, once a
page, and only if the page shows the menu."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from buyin.selectors.menu import menu_badges


def menu(request: HttpRequest) -> dict:
    badges = SimpleLazyObject(lambda: menu_badges(user=request.user))
    return {
        "pulse_waiting": SimpleLazyObject(lambda: badges.pulse_waiting),
        "unread_suggestions": SimpleLazyObject(lambda: badges.unread_suggestions),
    }
