from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VoiceConfig(AppConfig):
    """The officers' voice: feedback after a deflection, suggestions and pulse surveys.

    It sits above referrals (it reads referrals, units and partners) and below reports, whose
    dashboards, digest and export read its figures.
    """

    name = "voice"
    verbose_name = _("Officers' voice")
