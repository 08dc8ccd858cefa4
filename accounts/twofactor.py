"""Two-factor sign-in with a phone's authenticator app (TOTP, django-otp).

After the password, a user with a phone set up enters a code from it; command staff and
program administrators (and anyone who can reach the admin) without one must set one up
before anything else, unless REQUIRE_TWO_FACTOR is off (the embedded demo). What this
session still owes is decided at sign-in and kept in the session, so the middleware needs
no query per request; a user who comes to require it later (a new role) owes it at once.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from deflection.models import User

# Session key: what this session owes before it may do anything ("verify" or "setup").
PENDING = "two_factor_pending"
VERIFY, SET_UP = "verify", "setup"
# The pages a session that owes a step may still reach: the step itself, and signing out.
STEP_URL = {VERIFY: "two_factor_verify", SET_UP: "two_factor"}
ALWAYS_OPEN = {"logout"}

ROLES_THAT_REQUIRE = {User.Role.COMMAND, User.Role.PROGRAM_ADMIN}


def is_required(user: User) -> bool:
    """Whether this user must sign in with a second factor."""
    if not settings.REQUIRE_TWO_FACTOR:
        return False
    return user.role in ROLES_THAT_REQUIRE or user.is_staff or user.is_superuser


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def decide_at_sign_in(request: HttpRequest, user: User) -> None:
    if confirmed_device(user) is not None:
        request.session[PENDING] = VERIFY
    elif is_required(user):
        request.session[PENDING] = SET_UP
    else:
        request.session.pop(PENDING, None)


def qr_code_data_uri(text: str) -> str:
    """The QR code as an SVG data: URI, for an <img> (the CSP allows data: images, and an
    image carries no inline style or script into the page)."""
    svg = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2).to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def readable_secret(hex_key: str) -> str:
    """The key as authenticator apps take it when typed: base32, in groups of four."""
    b32 = base64.b32encode(bytes.fromhex(hex_key)).decode("ascii").rstrip("=")
    return " ".join(b32[i : i + 4] for i in range(0, len(b32), 4))


def check_new_code(hex_key: str, token: str) -> int | None:
    """The time step at which `token` is valid for a phone being set up (one step either
    way for a slow hand or clock), or None."""
    if not token.isdigit():
        return None
    totp = TOTP(bytes.fromhex(hex_key), step=30, t0=0, digits=6, drift=0)
    for drift in (0, -1, 1):
        totp.drift = drift
        if totp.token() == int(token):
            return totp.t()
    return None


class TwoFactorMiddleware:
    """Sends a session that owes a step (a code, or setting up a phone) to that step."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        if not request.user.is_authenticated:
            return None
        pending = request.session.get(PENDING)
        if pending not in STEP_URL and is_required(request.user) and not request.user.is_verified():
            # Made command staff, an administrator or staff since signing in: the second
            # factor is owed now, not from the next sign-in. (No query for anyone else.)
            decide_at_sign_in(request, request.user)
            pending = request.session.get(PENDING)
        if pending not in STEP_URL:
            return None
        step = STEP_URL[pending]
        if request.resolver_match.view_name in {step, *ALWAYS_OPEN}:
            return None
        return redirect_to_login(request.get_full_path(), resolve_url(step))
