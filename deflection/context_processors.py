from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from deflection import permissions


def deployment(request: HttpRequest) -> dict:
    return {"DEMO_MODE": settings.DEMO_MODE}


def navigation(request: HttpRequest) -> dict:
    """The main menu's links for the signed-in user (worked out only if a page shows the menu)."""
    return {"nav": SimpleLazyObject(lambda: permissions.menu(request.user))}
