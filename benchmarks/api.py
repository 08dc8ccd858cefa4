"""Benchmark the API at agency scale: an agency's system logging a deflection, a partner's
system listing its referrals.

Run by hand (not in CI, not collected by pytest), against PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/deflection_bench .venv/bin/python benchmarks/api.py

It reuses the log benchmark's data (benchmarks/log_deflection.py: seeded once, 100,000 referrals
in the timed agency, 10,000 in the small one) and makes, each run, an integration client for
each agency and for each agency's first partner (those of earlier runs are revoked). Requests
go through django.test.Client in-process, with the client's token: the whole Django and DRF
stack (middleware, authentication, throttling, serializers, services, the access record),
without a network or a WSGI server in between.

Targets: p95 of the deflection POST at most 50 ms and at most 4x the floor (the cheapest
authenticated API request, GET /api/v1/me/); p95 of the partner's list at most 4x the floor;
query counts that do not depend on the size of the data.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The log benchmark sets up Django (test settings) and owns the data.
import log_deflection as seeding  # noqa: E402
from bench_common import (  # noqa: E402
    ensure_database,
    machine,
    percentile,
    print_results,
    query_counts,
    targets_met,
    timed_in_turn,
)
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.utils import timezone  # noqa: E402

from api import services as api_services  # noqa: E402
from api.models import IntegrationClient  # noqa: E402
from deflection.models import Agency, User  # noqa: E402
from partners.models import ServicePartner  # noqa: E402
from referrals.models import Client, Officer, OfficerContact, Pathway, Referral  # noqa: E402

TARGET_MS = 50.0
TARGET_RATIO = 4.0
BENCH_NAME = "Benchmark"


@dataclass
class Context:
    agency_http: HttpClient
    partner_http: HttpClient
    badges: list[str]
    client_ids: list[int]
    partner_ids: list[int]
    since: str
    rnd: random.Random


def _client(admin: User, **scope) -> HttpClient:
    created = api_services.integration_client_create(
        actor=admin, name=BENCH_NAME, expires_at=timezone.now() + timedelta(days=1), **scope
    )
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {created.token}")


def context_for(scale: seeding.Scale, admin: User, rnd: random.Random) -> Context:
    agency = Agency.objects.get(name=scale.agency)
    partners = list(ServicePartner.objects.filter(agencies=agency).order_by("name"))
    return Context(
        agency_http=_client(admin, agency=agency),
        partner_http=_client(admin, partner=partners[0]),
        badges=list(Officer.objects.filter(agency=agency, user__isnull=True).values_list("badge_number", flat=True)),
        client_ids=list(Client.objects.filter(agency=agency).values_list("id", flat=True)),
        partner_ids=[p.pk for p in partners],
        since=(timezone.now() - timedelta(days=30)).isoformat(),
        rnd=rnd,
    )


def bench_admin() -> User:
    admin = seeding.program_admin()
    for old in IntegrationClient.objects.filter(name=BENCH_NAME, revoked_at__isnull=True):
        api_services.integration_client_revoke(actor=admin, client_id=old.pk)
    return admin


def forget_benchmark_rows(scale: seeding.Scale) -> None:
    """What the runs logged carries a submission key: officer contacts on seeded referrals
    as well as referrals. Drop both, so the data keeps its size."""
    OfficerContact.objects.filter(referral__agency__name=scale.agency, submission_token__isnull=False).delete()
    seeding.forget_benchmark_rows(scale)


# -- requests ----------------------------------------------------------------------------


def get_me(ctx: Context):
    return _ok(ctx.agency_http.get("/api/v1/me/"), 200)


def post_deflection(ctx: Context):
    rnd = ctx.rnd
    body = {
        "submission_key": str(uuid.uuid4()),
        "officer_badge": rnd.choice(ctx.badges),
        "incident_number": f"24-{rnd.randint(1, 999999):06d}",
        "partner_id": rnd.choice(ctx.partner_ids),
        "pathway": rnd.choice(Pathway.values),
        "client_id": rnd.choice(ctx.client_ids),
        "presenting_needs": ["substance_use", "housing"],
        "substances": ["fentanyl"],
        "warm_handoff": True,
        "officer_minutes": rnd.randint(15, 90),
        "location": f"Beat {rnd.randint(1, 60)}",
    }
    return _ok(ctx.agency_http.post("/api/v1/deflections/", body, content_type="application/json"), 201)


def get_partner_list(ctx: Context):
    return _ok(ctx.partner_http.get("/api/v1/referrals/"), 200)


def get_partner_new(ctx: Context):
    return _ok(ctx.partner_http.get("/api/v1/referrals/", {"since": ctx.since, "status": "requested"}), 200)


def get_agency_incident(ctx: Context):
    number = f"24-{ctx.rnd.randint(1, 999999):06d}"
    return _ok(ctx.agency_http.get("/api/v1/deflections/", {"incident_number": number}), 200)


def _ok(response, status: int):
    if response.status_code != status:
        raise SystemExit(f"{response.wsgi_request.path} answered {response.status_code}: {response.content[:300]!r}")
    return response


FLOOR = "floor: GET /api/v1/me/"
HOT_PATH = {"POST /api/v1/deflections/ (agency)": post_deflection}
PAGES = {
    "GET /api/v1/referrals/ (partner, page 1)": get_partner_list,
    "GET /api/v1/referrals/?since&status=requested": get_partner_new,
}
REFERENCES = {"ref: GET /api/v1/deflections/?incident_number": get_agency_incident}
VIEWS = {FLOOR: get_me, **HOT_PATH, **PAGES, **REFERENCES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--requests", type=int, default=200, help="timed requests per view")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per view first")
    parser.add_argument("--reseed", action="store_true", help="seed again even if the data is there")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set DATABASE_URL=postgres://...: the targets are for PostgreSQL.")
    ensure_database(url)
    call_command("migrate", verbosity=0)
    # The benchmark measures the requests, not the rate limit.
    settings.API_RATES = {"burst": "1000000/minute", "sustained": "100000000/day"}
    rnd = random.Random(2026)
    for scale in (seeding.SMALL, seeding.LARGE):
        if args.reseed or not seeding.seeded(scale):
            seeding.seed(scale, rnd)
        forget_benchmark_rows(scale)
    admin = bench_admin()
    contexts = {scale.key: context_for(scale, admin, random.Random(7)) for scale in (seeding.SMALL, seeding.LARGE)}
    large, small = contexts["large"], contexts["small"]
    print(f"\n{datetime.now():%Y-%m-%d %H:%M} · {machine()}")
    print(
        f"Timed on {seeding.LARGE.agency}: {seeding.LARGE.referrals:,} referrals "
        f"({Referral.objects.count():,} in the database; the partner's: "
        f"{Referral.objects.filter(partner_id=large.partner_ids[0]).count():,}); "
        f"{args.requests} requests per view after {args.warmup} warm-up\n"
    )
    times = timed_in_turn({name: partial(view, large) for name, view in VIEWS.items()}, args.requests, args.warmup)
    results = {
        name: (
            percentile(times[name], 50),
            percentile(times[name], 95),
            query_counts(partial(view, small), 40),
            query_counts(partial(view, large), 40),
        )
        for name, view in VIEWS.items()
    }
    floor_p95 = results[FLOOR][1]
    print_results(results, floor_p95, width=46)
    print("\nTargets:")
    ok = targets_met(
        results, floor_p95, hot_path=HOT_PATH, pages=PAGES, counted=VIEWS, target_ms=TARGET_MS, ratio=TARGET_RATIO
    )
    for scale in (seeding.SMALL, seeding.LARGE):
        forget_benchmark_rows(scale)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
