"""The program admin's form for a partner's webhook: it validates; api.webhooks.services sets it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from api.forms import SentOnceForm


class WebhookForm(SentOnceForm):
    url = forms.URLField(
        label=_("Webhook URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_(
            "Where the partner's system is told that one of its referrals changed: an https address of theirs. "
            "A new URL makes a new secret."
        ),
    )
