"""manage.py hsds_export: the partner directory as Open Referral HSDS 3.0 JSON."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from partners.hsds import export_directory


class Command(BaseCommand):
    help = "Write every service partner as Open Referral HSDS 3.0 JSON (a page of organizations), to stdout or a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", help="The file to write (default: stdout).")

    def handle(self, *args, output: str | None = None, **options) -> None:
        text = json.dumps(export_directory(), indent=2, ensure_ascii=False) + "\n"
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote the partner directory to {output}.")
        else:
            self.stdout.write(text, ending="")
