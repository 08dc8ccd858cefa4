"""Sign-in pages: changing one's password, two-factor sign-in, the lockout page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
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
