"""Grant the app's PostgreSQL role what the web app and the workers need (run as the owner).

`migrate` does this itself when given MIGRATE_DATABASE_URL; this is for a database migrated
some other way, or to check a role: it refuses a role that owns tables or is a superuser.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from deflection.database_roles import UnsafeAppRole, app_role_grant


class Command(BaseCommand):
    help = "Grant the app's database role row access (never TRUNCATE or ownership; the access record append-only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("role", help="the role the web app and the workers connect as")

    def handle(self, *args, role: str, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Database roles are PostgreSQL's: DATABASE_URL is not a PostgreSQL database.")
        try:
            app_role_grant(role=role)
        except UnsafeAppRole as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Granted {role} the app's privileges in {connection.settings_dict['NAME']}.")
