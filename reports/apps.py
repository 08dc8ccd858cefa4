from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports and metrics")

    def ready(self) -> None:
        from deflection import purge_hooks
        from reports.services import success_stories_purge

        # Success stories are free text that may name the client: purged with the identity.
        purge_hooks.register(success_stories_purge)
