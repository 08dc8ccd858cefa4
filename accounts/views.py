"""Sign-in pages: changing one's password, two-factor sign-in, the lockout page."""

from __future__ import annotations

import math
from datetime import timedelta

from axes.helpers import get_client_ip_address, get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from accounts import twofactor
from accounts.forms import CodeForm, LanguageForm
from accounts.services import user_language_set
from deflection.models import User

# Session key: the key of a phone being set up, so that reloading the page keeps its QR code.
NEW_KEY = "two_factor_new_key"


class SignOut(auth_views.LogoutView):
    """Signing out, and saying so on the sign-in page it lands on (on a shared phone, the next
    person sees that the last one is out)."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        was_signed_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_signed_in:
            messages.info(request, _("You are signed out."))
        return response


class PasswordChange(auth_views.PasswordChangeView):
    """Django's view keeps this session signed in (update_session_auth_hash); every other
    session of the user carries the old password's hash and is signed out at its next request."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is changed. Any other device signed in as you is signed out."))
        return response


@login_required
def language(request: HttpRequest) -> HttpResponse:
    """English or Spanish, for the user's pages and the emails and PDFs sent to them."""
    user: User = request.user  # type: ignore[assignment]
    current = user.language or translation.get_language()
    form = LanguageForm(request.POST or None, initial={"language": current})
    if form.is_valid():
        user_language_set(user=user, language=form.cleaned_data["language"])
        translation.activate(user.language)
        messages.success(request, _("Language saved."))
        response = redirect("language")
        # The sign-in page, before anyone is known, speaks it too.
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return response
    return render(request, "accounts/language.html", {"form": form})


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """django-axes' lockout answer (AXES_LOCKOUT_CALLABLE): a page, not a bare error, that says
    when the user may try again and whom to call meanwhile."""
    username = get_client_username(request, credentials) or ""
    address = getattr(request, "axes_ip_address", None) or get_client_ip_address(request)
    last_failure = AccessAttempt.objects.filter(username=username, ip_address=address).aggregate(
        last=Max("attempt_time")
    )["last"]
    until = (last_failure or timezone.now()) + settings.AXES_COOLOFF_TIME
    # Shown to the minute: round up, so that trying at the minute shown always works.
    until = until.replace(second=0, microsecond=0) + timedelta(minutes=1)
    context = {
        "username": username,
        "until": until,
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "sign_in_help": settings.SIGN_IN_HELP,
    }
    # 429 Too Many Requests, so that scripts and monitoring see a lockout, not a success.
    return render(request, "registration/locked_out.html", context, status=429)


def _next_or(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return resolve_url(default)


def _signed_in_with_phone(request: HttpRequest, device: TOTPDevice) -> None:
    otp_login(request, device)
    request.session.pop(twofactor.PENDING, None)
    # A new session key for the newly trusted session.
    request.session.cycle_key()


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """After the password: the code from the user's phone."""
    user: User = request.user  # type: ignore[assignment]
    device = twofactor.confirmed_device(user)
    if request.session.get(twofactor.PENDING) != twofactor.VERIFY or device is None:
        # Nothing to verify, or the phone was removed meanwhile (a lost phone reset by the
        # program manager): what is owed now is decided afresh.
        if device is None:
            twofactor.decide_at_sign_in(request, user)
        return redirect(_next_or(request, "home"))
    form = CodeForm(request.POST or None)
    if form.is_valid():
        allowed, throttled = device.verify_is_allowed()
        if not allowed:
            wait = max(1, math.ceil((throttled["locked_until"] - timezone.now()).total_seconds()))
            form.add_error(
                "code", _("Too many wrong codes: wait %(seconds)d seconds and try again.") % {"seconds": wait}
            )
        elif verify_token(user, device.persistent_id, form.cleaned_data["code"]):
            _signed_in_with_phone(request, device)
            return redirect(_next_or(request, "home"))
        else:
            form.add_error("code", _("That code is not right. Use the newest code your app shows."))
    context = {"form": form, "next": _next_or(request, "home"), "sign_in_help": settings.SIGN_IN_HELP}
    return render(request, "accounts/two_factor_verify.html", context)


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Set up (or replace) the phone for two-factor sign-in: a QR code and the key, then a code
    to show the app has it."""
    user: User = request.user  # type: ignore[assignment]
    device = twofactor.confirmed_device(user)
    required = twofactor.is_required(user)
    # A session that started before the phone was set up may not change it: else an old,
    # forgotten session would be enough to take over two-factor sign-in.
    may_change = device is None or user.is_verified()
    setting_up = may_change and (device is None or "new" in request.GET or request.method == "POST")
    context = {"device": device, "required": required, "may_change": may_change, "setting_up": setting_up}
    if not setting_up:
        return render(request, "accounts/two_factor.html", context)

    key = request.session.get(NEW_KEY) or random_hex(20)
    request.session[NEW_KEY] = key
    form = CodeForm(request.POST or None)
    if form.is_valid():
        step = twofactor.check_new_code(key, form.cleaned_data["code"])
        if step is None:
            form.add_error(
                "code", _("That code is not right. Check the app shows Deflection, and use its newest code.")
            )
        else:
            with transaction.atomic():
                TOTPDevice.objects.filter(user=user).delete()
                # last_t: the code just used cannot be used again to sign in.
                new = TOTPDevice.objects.create(user=user, name=_("Phone"), key=key, confirmed=True, last_t=step)
            del request.session[NEW_KEY]
            _signed_in_with_phone(request, new)
            messages.success(
                request, _("Two-factor sign-in is on: from now on you sign in with a code from your phone.")
            )
            return redirect(_next_or(request, "two_factor"))
    unsaved = TOTPDevice(user=user, key=key)
    context.update(
        form=form,
        qr_code=twofactor.qr_code_data_uri(unsaved.config_url),
        secret=twofactor.readable_secret(key),
        next=request.GET.get("next") or request.POST.get("next") or "",
    )
    return render(request, "accounts/two_factor.html", context)


@login_required
@require_POST
def two_factor_remove(request: HttpRequest) -> HttpResponse:
    """Turn two-factor sign-in off: for users whose role does not require it."""
    user: User = request.user  # type: ignore[assignment]
    if twofactor.is_required(user):
        messages.error(request, _("Your role requires two-factor sign-in. To use another phone, set up a new one."))
    elif twofactor.confirmed_device(user) is not None and not user.is_verified():
        messages.error(request, _("Sign out and in again with your phone's code to turn two-factor sign-in off."))
    else:
        TOTPDevice.objects.filter(user=user).delete()
        messages.success(request, _("Two-factor sign-in is off."))
    return redirect("two_factor")
