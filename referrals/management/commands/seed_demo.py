"""`manage.py seed_demo`: build the demo program (referrals.demo), never over real data."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from deflection.models import Agency
from referrals.demo.builder import DemoBuilder, delete_demo_data
from referrals.demo.data import DEFAULT_SEED, DEMO_PASSWORD, LOGINS, PROGRAM_NAME


class Command(BaseCommand):
    help = "Build a realistic demo program (made-up agency, partners, officers, clients, six months of referrals)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when any agency exists (for `make run`)."
        )
        parser.add_argument(
            "--force", action="store_true", help="Seed even though the database holds real (non-demo) agencies."
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Random seed (same seed, same data).")

    def handle(self, *args, if_empty: bool = False, force: bool = False, seed: int = DEFAULT_SEED, **options) -> None:
        if if_empty and Agency.objects.exists():
            self.stdout.write("seed_demo: the database already has agencies; leaving it as it is.")
            return
        real = list(Agency.objects.filter(is_demo=False).values_list("name", flat=True)[:3])
        if real and not force:
            raise CommandError(
                f"This database holds real program data (agencies: {', '.join(real)}). "
                "seed_demo would mix made-up clients into it; use --force if you really mean it."
            )
        with transaction.atomic():
            replaced = Agency.objects.filter(is_demo=True).exists()
            delete_demo_data()
            counts = DemoBuilder(seed=seed).build()
        self._summary(counts, replaced=replaced)

    def _summary(self, counts: dict[str, int], *, replaced: bool) -> None:
        what = "Replaced the demo program" if replaced else "Built the demo program"
        self.stdout.write(self.style.SUCCESS(f"{what}: {PROGRAM_NAME}"))
        for label, n in counts.items():
            self.stdout.write(f"  {label}: {n}")
        self.stdout.write(f"Logins (password {DEMO_PASSWORD}):")
        for login in LOGINS:
            self.stdout.write(f"  {login.username:<12} {login.first_name} {login.last_name}, {login.role}")
