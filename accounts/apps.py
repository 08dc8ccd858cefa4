from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Signing in and out: passwords, lockout, idle sessions, two-factor sign-in.

    No models of its own: lockouts are django-axes' rows, phones django-otp's TOTP devices.
    """

    name = "accounts"
    verbose_name = _("Sign-in")

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in

        from accounts.signals import on_user_locked_out, on_user_logged_in

        user_logged_in.connect(on_user_logged_in, dispatch_uid="accounts.on_user_logged_in")
        user_locked_out.connect(on_user_locked_out, dispatch_uid="accounts.on_user_locked_out")
