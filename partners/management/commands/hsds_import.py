"""manage.py hsds_import FILE [--dry-run]: load a partner directory in Open Referral HSDS 3.0 JSON."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partners.hsds import ImportReport, import_directory


class Command(BaseCommand):
    help = (
        "Create and update service partners from an Open Referral HSDS 3.0 JSON file, recognized by their "
        "directory id or name; partners the file does not name are left alone. All or nothing: a bad row "
        "changes nothing. --dry-run says what would change."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The HSDS JSON file.")
        parser.add_argument("--dry-run", action="store_true", help="Say what would change; change nothing.")

    def handle(self, *args, file: str, dry_run: bool = False, **options) -> None:
        try:
            data = json.loads(Path(file).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CommandError(f"Cannot read {file} as JSON: {error}") from error
        report = import_directory(data, dry_run=dry_run)
        self._print(report)
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(report.summary())

    def _print(self, report: ImportReport) -> None:
        for row in report.rows:
            self.stdout.write(f"{row.where}: {row.action}")
            for change in row.changes:
                self.stdout.write(f"    {change.field}: {change.before or '—'} → {change.after or '—'}")
            for warning in row.warnings:
                self.stdout.write(f"    note: {warning}")
        for line in report.error_lines():
            self.stderr.write(line)
