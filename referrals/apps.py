from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Deflections and referrals")

    def ready(self) -> None:
        from deflection import shared_cache
        from referrals import log_choices

        # What the log form offers an agency's officers is kept: forgotten as soon as it changes.
        shared_cache.connect(log_choices.receivers(), name="log-choices")
