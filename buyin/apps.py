from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BuyinConfig(AppConfig):
    """The buy-in loop: the officers' voice up (feedback, suggestions, pulse surveys) and the
    program's wins down (recognition, training, champions, roll-call briefings).

    It reads referrals, units and partners; reports reads it (dashboards, digest, export).
    """

    name = "buyin"
    verbose_name = _("Buy-in")
