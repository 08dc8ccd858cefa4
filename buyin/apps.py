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

    def ready(self) -> None:
        from buyin import menu
        from deflection import shared_cache

        # Each user's menu is kept a minute: forgotten as soon as what it shows changes.
        shared_cache.connect(menu.receivers(), name="menu")
