from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports and metrics")

    def ready(self) -> None:
        from deflection import purge_hooks, shared_cache
        from reports import wins_cache
        from reports.services import success_stories_purge

        # The agency's wins are kept a minute: forgotten as soon as what they show changes.
        shared_cache.connect(wins_cache.receivers(), name="wins")

        # Success stories are free text that may name the client: purged with the identity.
        purge_hooks.register(success_stories_purge)
