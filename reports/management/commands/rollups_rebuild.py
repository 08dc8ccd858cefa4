"""Rebuild the dashboards' per-day rollups from the referrals (all agencies, or one)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from deflection.models import Agency
from reports.rollups import rollups_rebuild


class Command(BaseCommand):
    help = "Rebuild the per-day rollups the dashboards read, from the referrals."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", type=int, help="Only this agency (id).")

    def handle(self, *args, agency: int | None = None, **options) -> None:
        agencies = Agency.objects.all() if agency is None else Agency.objects.filter(pk=agency)
        for each in agencies:
            rollups_rebuild(agency=each)
            self.stdout.write(f"Rebuilt the rollups of {each.name}.")
