"""Sign-in pages: changing one's password, two-factor sign-in, the lockout page."""

from __future__ import annotations

from datetime import timedelta

from axes.helpers import get_client_ip_address, get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _


class PasswordChange(auth_views.PasswordChangeView):
    """Django's view keeps this session signed in (update_session_auth_hash); every other
    session of the user carries the old password's hash and is signed out at its next request."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is changed. Any other device signed in as you is signed out."))
        return response


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
