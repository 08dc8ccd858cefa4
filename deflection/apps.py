from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _grant_app_role(sender, using: str, **kwargs) -> None:
    """After `migrate` as the owner (MIGRATE_DATABASE_URL), let the app's role use the new tables."""
    from django.conf import settings

    from deflection.database_roles import app_role_grant

    if settings.DATABASE_APP_ROLE:
        app_role_grant(role=settings.DATABASE_APP_ROLE, using=using)


class CoreConfig(AppConfig):
    name = "deflection"
    verbose_name = _("Deflection program")

    def ready(self) -> None:
        # Sent once per app after all migrations ran; this app's is enough.
        post_migrate.connect(_grant_app_role, sender=self, dispatch_uid="deflection_grant_app_role")
