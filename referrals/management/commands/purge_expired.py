"""manage.py purge_expired: remove client identities after the retention period of inactivity."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from referrals.purge import purge_expired, retention_days


class Command(BaseCommand):
    help = (
        "Remove the names, dates of birth, phones and free-text notes of clients with no activity for "
        "CLIENT_RETENTION_DAYS (their referrals stay, de-identified, in every figure). Runs nightly."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count who would be purged; change nothing.")
        parser.add_argument(
            "--days", type=int, default=None, help="Inactivity in days (default: CLIENT_RETENTION_DAYS)."
        )

    def handle(self, *args, dry_run: bool = False, days: int | None = None, **options) -> None:
        days = retention_days() if days is None else days
        if days < 365:
            self.stderr.write("Refusing a retention period under a year; check --days.")
            raise SystemExit(2)
        result = purge_expired(days=days, dry_run=dry_run)
        verb = "Would remove" if dry_run else "Removed"
        # Counts only: never a name.
        self.stdout.write(
            f"{verb} the identities of {result.clients} client(s) inactive for {days} days "
            f"({result.referrals} referral(s) kept, de-identified)."
        )
