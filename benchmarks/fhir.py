"""Benchmark a partner's record system polling its Tasks over FHIR at 100,000 referrals.

Run by hand (not in CI, not collected by pytest), against PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/deflection_bench .venv/bin/python benchmarks/fhir.py

It reuses the log benchmark's data (benchmarks/log_deflection.py seeds it if missing: the
large agency's 100,000 referrals, spread over 8 partners) and times, as the busiest
partner's record system, with its token: the poll the SDOH Clinical Care guide describes
(Task?owner=...&_lastUpdated=gt<15 minutes ago>, finding the few Tasks changed since), the
new referrals (status=requested), the first page of all its Tasks and the read of one Task.
Before timing it writes 20 status changes of the last 15 minutes on the partner's referrals
(and 20 on other partners') and sets the partner's 12 newest referrals back to requested
(the seed has none), undone afterwards.

Targets: p95 of each FHIR request at most 50 ms and at most 4x the floor (GET /api/v1/me/
with the same token: the cheapest call through the same door, as in api.py); query counts that
do not depend on the data's size.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ["ALLOWED_HOSTS"] = "testserver"

import django  # noqa: E402
from bench_common import ensure_database, machine, percentile, query_counts, timed_in_turn  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.utils import timezone  # noqa: E402
from log_deflection import LARGE, program_admin, seed, seeded  # noqa: E402

from api import services as api_services  # noqa: E402
from api.models import IntegrationClient  # noqa: E402
from deflection.models import User  # noqa: E402
from partners.models import ServicePartner  # noqa: E402
from referrals.models import CaseEvent, Referral  # noqa: E402

TARGET_MS = 50.0
TARGET_RATIO = 4.0
CHANGED = 20  # status changes in the last 15 minutes, on the partner's referrals and on others'
NEW = 12  # the partner's referrals not yet accepted
MARK = "benchmark change"


def integration(partner: ServicePartner) -> tuple[IntegrationClient, str]:
    created = api_services.integration_client_create(
        actor=program_admin(),
        name=f"{partner.name} EHR (benchmark)",
        expires_at=timezone.now() + timedelta(days=1),
        partner=partner,
    )
    return created.client, created.token


def forget(client: IntegrationClient) -> None:
    """Revoke the run's client (its access record stays, as every access record does) and
    delete the run's changes."""
    api_services.integration_client_revoke(actor=program_admin(), client_id=client.pk)
    CaseEvent.objects.filter(note=MARK).delete()


def events_at_their_time() -> None:
    """The log benchmark's seed writes each referral's `created` event at the moment of
    seeding (its views do not read them): move them to when the deflection happened, as
    casework would have written them, so that "changed in the last 15 minutes" is the
    few changes made just before timing and not the whole seed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE referrals_caseevent e SET created_at = r.occurred_at FROM referrals_referral r "
            "WHERE e.referral_id = r.id AND e.kind = 'created' AND e.created_at > r.occurred_at + interval '1 day'"
        )
        if cursor.rowcount:
            print(f"  {cursor.rowcount:,} seeded events moved to their deflection's time", flush=True)
            cursor.execute("VACUUM ANALYZE referrals_caseevent")


def recent_changes(partner: ServicePartner, rnd: random.Random) -> dict[int, str]:
    """Status changes written in the last 15 minutes, as casework would: what a poll finds;
    and the partner's NEW newest referrals sent to it and not yet accepted (the seed has none
    in that status). Returns the statuses to put back."""
    CaseEvent.objects.filter(note=MARK).delete()
    newest = dict(Referral.objects.filter(partner=partner).order_by("-pk").values_list("pk", "status")[:NEW])
    Referral.objects.filter(pk__in=newest).update(status=Referral.Status.REQUESTED)
    now = timezone.now()
    mine = list(Referral.objects.filter(partner=partner).values_list("pk", flat=True)[:5000])
    others = list(
        Referral.objects.filter(agency=partner.agencies.first())
        .exclude(partner=partner)
        .values_list("pk", flat=True)[:5000]
    )
    CaseEvent.objects.bulk_create(
        CaseEvent(
            referral_id=pk,
            kind=CaseEvent.Kind.STATUS_CHANGED,
            from_status="requested",
            to_status="accepted",
            note=MARK,
            created_at=now - timedelta(seconds=rnd.randint(10, 14 * 60)),
        )
        for pk in rnd.sample(mine, CHANGED) + rnd.sample(others, CHANGED)
    )
    return newest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=200, help="timed requests per view")
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])
    call_command("migrate", verbosity=0)
    rnd = random.Random(15)
    if not seeded(LARGE):
        seed(LARGE, rnd)
    events_at_their_time()
    # The poller is throttled as in production, with limits this run stays under.
    settings.API_RATES = {"burst": "1000000/minute", "sustained": "10000000/day"}
    partner = ServicePartner.objects.filter(name__startswith=f"{LARGE.agency} ·").order_by("name").first()
    client, token = integration(partner)
    statuses = recent_changes(partner, rnd)
    try:
        run(args, partner, client, token, rnd)
    finally:
        forget(client)
        for pk, status in statuses.items():
            Referral.objects.filter(pk=pk).update(status=status)


def run(args, partner: ServicePartner, client: IntegrationClient, token: str, rnd: random.Random) -> None:
    ehr = HttpClient(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT="application/fhir+json")
    browser = HttpClient()
    browser.force_login(User.objects.get(username=f"bench-{LARGE.key}"))
    owner = f"Organization/partner-{partner.pk}"
    since = (timezone.now() - timedelta(minutes=15)).isoformat()
    ids = list(Referral.objects.filter(partner=partner).values_list("pk", flat=True))
    total = len(ids)
    found: dict[str, int] = {}

    def fhir(name: str, path: str, params: dict | None = None):
        def request():
            response = ehr.get(path, params or {})
            assert response.status_code == 200, (response.status_code, response.content[:300])
            found[name] = len(response.json().get("entry", [1]))
            return response

        return request

    def home():
        response = browser.get("/")
        assert response.status_code == 302
        return response

    def me():
        response = ehr.get("/api/v1/me/", HTTP_ACCEPT="application/json")
        assert response.status_code == 200
        return response

    views = {
        "floor: GET /api/v1/me/ (token, throttle)": me,
        "ref: GET / (signed in, redirect)": home,
        "poll: Task?owner&_lastUpdated=gt15min": fhir(
            "poll", "/fhir/Task", {"owner": owner, "_lastUpdated": f"gt{since}"}
        ),
        "new: Task?owner&status=requested": fhir("new", "/fhir/Task", {"owner": owner, "status": "requested"}),
        "all: Task?owner (first page)": fhir("all", "/fhir/Task", {"owner": owner}),
        "read: Task/<id>": lambda: fhir("read", f"/fhir/Task/{rnd.choice(ids)}")(),
    }
    print(machine())
    referrals = Referral.objects.filter(agency__name=LARGE.agency).count()
    print(
        f"{LARGE.agency}: {referrals:,} referrals, {total:,} of them the partner's; -n {args.n}, warm-up {args.warmup}"
    )
    times = timed_in_turn(views, args.n, args.warmup)
    floor_p95 = percentile(times["floor: GET /api/v1/me/ (token, throttle)"], 95)
    print(f"\n{'request':42} {'p50 ms':>8} {'p95 ms':>8} {'x floor':>8} {'queries':>8} {'Tasks':>6}")
    verdicts = []
    for name, request in views.items():
        p50, p95 = percentile(times[name], 50), percentile(times[name], 95)
        fewest, most = query_counts(request, 20)
        tasks = found.get(name.split(":")[0], "")
        print(f"{name:42} {p50:8.1f} {p95:8.1f} {p95 / floor_p95:7.1f}x {f'{fewest}-{most}':>8} {tasks!s:>6}")
        if name.split(":")[0] in found:
            good = p95 <= TARGET_MS and p95 <= TARGET_RATIO * floor_p95
            limit = f"≤ {TARGET_MS:.0f} ms and ≤ {TARGET_RATIO:.0f}x floor = {TARGET_RATIO * floor_p95:.1f} ms"
            verdicts.append((good, f"{'PASS' if good else 'FAIL'} {name}: p95 {p95:.1f} ms ({limit})"))
    print()
    for _good, line in verdicts:
        print(line)
    sys.exit(0 if all(good for good, _line in verdicts) else 1)


if __name__ == "__main__":
    main()
