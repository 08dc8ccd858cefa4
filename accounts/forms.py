from __future__ import annotations

from axes.models import AccessFailureLog
from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]{6}", "autofocus": True}
        ),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].replace(" ", "")
        if not code.isdigit():
            raise forms.ValidationError(_("The code is 6 digits."))
        return code


def address_paused(request) -> bool:
    """Too many failed sign-ins from this address, whatever the usernames, in the lockout
    period: someone trying one password on many accounts (the per-username lockout would
    let them try five on each). The limit is high enough for a station's shared address."""
    if request is None or not settings.AXES_ENABLED:
        return False
    address = request.META.get("REMOTE_ADDR")
    if not address:
        return False
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    failures = AccessFailureLog.objects.filter(ip_address=address, attempt_time__gte=since).count()
    if failures < settings.SIGN_IN_ADDRESS_LIMIT:
        return False
    # The refusal is on record too, under the username tried.
    AccessFailureLog.objects.create(
        username=(request.POST.get("username") or "")[:255],
        ip_address=address,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:255],
        http_accept=request.META.get("HTTP_ACCEPT", "")[:1025],
        path_info=request.META.get("PATH_INFO", "")[:255],
        locked_out=True,
    )
    return True


ADDRESS_PAUSED = _(
    "Too many failed sign-ins from this network. Sign-in from here is paused for 15 minutes; "
    "if you need in now, call %(help)s."
)


class _AddressPauseMixin:
    def clean(self):
        if address_paused(self.request):
            raise forms.ValidationError(
                ADDRESS_PAUSED % {"help": settings.SIGN_IN_HELP or _("your deflection program manager")},
                code="address_paused",
            )
        return super().clean()


class SignInForm(_AddressPauseMixin, AuthenticationForm):
    """The sign-in form, refusing an address that failed too often (see address_paused)."""


class AdminSignInForm(_AddressPauseMixin, AdminAuthenticationForm):
    """The admin's own sign-in form, with the same pause."""
