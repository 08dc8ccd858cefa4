from __future__ import annotations

import ipaddress

from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.signals import refusal_record
from deflection.models import User


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of your pages and emails"), choices=User.Language.choices, widget=forms.RadioSelect
    )


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


def _network(address: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """The address, or for IPv6 its /64: one household or phone holds a whole /64."""
    ip = ipaddress.ip_address(address)
    return ipaddress.ip_network(f"{address}/{64 if ip.version == 6 else 32}", strict=False)


def recent_failures_from(address: str) -> int:
    """Failed sign-ins from this address (IPv6: its /64) still counting towards a lockout.

    Read from django-axes' live counters, not its failure log: a refused try during a pause
    does not add to them (so it cannot prolong the pause), and deleting them in the admin
    ("Lift the sign-in pause") ends it.
    """
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(attempt_time__gte=since)
    network = _network(address)
    if network.version == 4:
        return attempts.filter(ip_address=address).aggregate(n=Sum("failures_since_start"))["n"] or 0
    rows = attempts.filter(ip_address__contains=":").values_list("ip_address", "failures_since_start")
    return sum(n for ip, n in rows if ip and ipaddress.ip_address(ip) in network)


def address_paused(request) -> bool:
    """Too many failed sign-ins from this address, whatever the usernames, in the lockout
    period: someone trying one password on many accounts (the per-username lockout would
    let them try five on each). The limit is high enough for a station's shared address.
    A yes/no question: the form that refuses puts the refusal on record."""
    if request is None or not settings.AXES_ENABLED:
        return False
    address = request.META.get("REMOTE_ADDR")
    try:
        return bool(address) and recent_failures_from(address) >= settings.SIGN_IN_ADDRESS_LIMIT
    except ValueError:  # not an address
        return False


ADDRESS_PAUSED = _(
    "Too many failed sign-ins from this network. Sign-in from here is paused for %(minutes)d minutes; "
    "if you need in now, call %(help)s."
)


class _AddressPauseMixin:
    def clean(self):
        if address_paused(self.request):
            # The refusal is on record too, under the username tried.
            refusal_record(
                username=(self.request.POST.get("username") or "")[:255],
                ip_address=self.request.META.get("REMOTE_ADDR"),
                user_agent=self.request.META.get("HTTP_USER_AGENT", ""),
                http_accept=self.request.META.get("HTTP_ACCEPT", ""),
                path_info=self.request.META.get("PATH_INFO", ""),
            )
            raise forms.ValidationError(
                ADDRESS_PAUSED
                % {
                    "minutes": settings.AXES_COOLOFF_TIME.total_seconds() // 60,
                    "help": settings.SIGN_IN_HELP or _("your deflection program manager"),
                },
                code="address_paused",
            )
        return super().clean()


class SignInForm(_AddressPauseMixin, AuthenticationForm):
    """The sign-in form, refusing an address that failed too often (see address_paused)."""


class AdminSignInForm(_AddressPauseMixin, AdminAuthenticationForm):
    """The admin's own sign-in form, with the same pause."""
