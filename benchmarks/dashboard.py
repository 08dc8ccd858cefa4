"""Benchmark the command dashboard, its scorecard, the process evaluation and an export at 100k and 1M referrals.

Run by hand (not in CI, not collected by pytest), against PostgreSQL:

    .venv/bin/python benchmarks/dashboard.py
    # DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/deflection_dash

It creates its own database if missing, migrates it and seeds two agencies of the same shape
(8 units, 400 officers, 8 partners, clients about half the referrals, three years of referrals
with a consistent lifecycle and retention follow-ups), one with 100,000 referrals and one with
1,000,000, with COPY; they stay for the next run. Data left from an earlier day is moved
forward in time, so "the last 90 days" always holds its share of the rows. Each agency's
rollups (`manage.py rollups_rebuild`) are rebuilt after it is seeded or moved, or when the
code that writes them changed.

Requests go through django.test.Client in-process (the whole Django stack, no network), each
agency's as its own command user: the dashboard with its default filters (the last 90 days),
the partner scorecard and the buy-in figures of the same scope called directly (they are part
of the dashboard page), the process evaluation (its default: the last 12 months) and a
one-month CSV export. Both sizes are timed in turn, one request of each per round, so that
the machine's load falls on both alike.

Targets: dashboard and process evaluation p95 at most 250 ms at 1,000,000 referrals; their
time at 1,000,000 at most 1.3x their time at 100,000; query counts the same at both sizes.
"""

from __future__ import annotations

import argparse
import os
import sys
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/deflection_dash"
os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
# The test settings: SECRET_KEY set, the fast password hasher, locmem email.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
# django.test.Client sends Host: testserver.
os.environ["ALLOWED_HOSTS"] = "testserver"

import django  # noqa: E402
from bench_common import ensure_database, machine, percentile, query_counts, timed_in_turn  # noqa: E402

django.setup()

# After setup: it imports the models.
from dashboard_data import META_SQL, SIZES, Cast, agency_referrals, label, prepare, sql  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from referrals.models import CaseEvent, Referral  # noqa: E402
from reports import metrics  # noqa: E402
from reports.forms import DashboardFilterForm  # noqa: E402

TARGET_P95_MS = 250.0
TARGET_RATIO = 1.3


# -- measuring -----------------------------------------------------------------------------


@dataclass
class Bench:
    cast: Cast
    browser: HttpClient
    scope: metrics.Scope
    month: date
    export_rows: int = 0


def bench_for(c: Cast) -> Bench:
    browser = HttpClient()
    browser.force_login(c.command)
    # The dashboard's own default scope: the last three months, the running one to date.
    scope = DashboardFilterForm(None, agency=c.agency).scope()
    # The last whole month.
    month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    return Bench(cast=c, browser=browser, scope=scope, month=month)


def get_dashboard(b: Bench) -> None:
    response = b.browser.get("/reports/dashboard/")
    assert response.status_code == 200, response.status_code


def get_process(b: Bench) -> None:
    response = b.browser.get("/reports/process/")
    assert response.status_code == 200, response.status_code


def scorecard(b: Bench) -> None:
    # As the dashboard calls it: from the rollups.
    metrics.partner_scorecard(b.scope, rollups=True)


def post_export(b: Bench) -> None:
    data = {"start": f"{b.month:%Y-%m}", "end": f"{b.month:%Y-%m}", "file_format": "csv"}
    response = b.browser.post("/reports/export/", urlencode(data), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv"), response.status_code
    # Less the notice and the header line.
    b.export_rows = response.content.count(b"\n") - 2


def buyin(b: Bench) -> None:
    # Officers trained, participation of the trained and the untrained, and per unit, as the
    # dashboard reads them (who deflected from the officer-months): part of the dashboard page.
    metrics.buyin_figures(b.scope, agency=b.cast.agency, rollups=True)


DASHBOARD = "GET /reports/dashboard/ (90 days)"
SCORECARD = "partner_scorecard (90 days, direct)"
EXPORT = "POST /reports/export/ (1 month, CSV)"
BUSY = "GET /reports/dashboard/ during casework"
BUYIN = "buyin_figures (90 days, direct)"
PROCESS = "GET /reports/process/ (12 months)"
REQUESTS: dict[str, Callable[[Bench], None]] = {
    DASHBOARD: get_dashboard,
    SCORECARD: scorecard,
    BUYIN: buyin,
    PROCESS: get_process,
}
# Days back of the referrals casework touches in the busy phase: today's new ones, and the
# 3-day, 30/60/90-day checks of older ones (the days a rollup refresh then recounts).
CASEWORK_DAYS = (0, 1, 3, 30, 60, 90)
CASEWORK_NOTE = "dash-benchmark casework"


def casework_begins(b: Bench) -> int:
    """Casework in the last minutes, as on a working day: one case event each on referrals
    of the days in CASEWORK_DAYS. For ten minutes (the refresh's margin) every dashboard
    load recounts those days' rollups. Returns how many days that is."""
    zone = zoneinfo.ZoneInfo(b.cast.agency.timezone)
    today = timezone.localdate(timezone=zone)
    picked = []
    for back in CASEWORK_DAYS:
        start = datetime.combine(today - timedelta(days=back), datetime.min.time(), tzinfo=zone)
        pk = (
            Referral.objects.filter(agency=b.cast.agency, occurred_at__gte=start, occurred_at__lt=start + timedelta(1))
            .values_list("pk", flat=True)
            .first()
        )
        if pk is not None:
            picked.append(pk)
    CaseEvent.objects.bulk_create(
        CaseEvent(referral_id=pk, kind=CaseEvent.Kind.NOTE, note=CASEWORK_NOTE, created_at=timezone.now())
        for pk in picked
    )
    return len(picked)


def casework_ends() -> None:
    CaseEvent.objects.filter(kind=CaseEvent.Kind.NOTE, note=CASEWORK_NOTE).delete()


def checks(b: Bench) -> list[str]:
    """The figures against the raw rows, counted here without the reports code: a rollup
    that was not rebuilt, or that counts differently, shows up here."""
    out = []
    agency = b.cast.agency.pk
    raw = Referral.objects.filter(agency_id=agency, occurred_at__gte=b.scope.start, occurred_at__lt=b.scope.end)
    n = raw.exclude(cancelled_by_officer=True).count()
    try:
        shown = metrics.headlines(b.scope, rollups=True).deflections
        out.append(f"{'OK ' if shown == n else 'BAD'} deflections in the 90 days: dashboard {shown:,}, raw rows {n:,}")
        received = sum(s.received for s in metrics.partner_scorecard(b.scope, rollups=True))
        out.append(f"{'OK ' if received == n else 'BAD'} scorecard referrals received: {received:,}, raw rows {n:,}")
        from reports.forms import ExportForm

        form = ExportForm({"start": f"{b.month:%Y-%m}", "end": f"{b.month:%Y-%m}", "file_format": "csv"})
        assert form.is_valid(), form.errors
        export_scope = form.scope(b.cast.agency)
        m = Referral.objects.filter(
            agency_id=agency, occurred_at__gte=export_scope.start, occurred_at__lt=export_scope.end
        ).count()
        post_export(b)
        good = "OK " if b.export_rows == m else "BAD"
        out.append(f"{good} export rows of {b.month:%Y-%m}: {b.export_rows:,}, raw {m:,}")
    except Exception as error:  # the reports are being changed; say so rather than stop
        out.append(f"BAD could not check the figures: {error!r}")
    try:
        out.append(process_check(b))
    except Exception as error:  # as above
        out.append(f"BAD could not check the process evaluation: {error!r}")
    share = n / max(1, agency_referrals(agency))
    out.append(f"    the 90 days hold {share:.1%} of the agency's referrals (those their officers cancelled excluded)")
    return out


def process_check(b: Bench) -> str:
    """The process evaluation's answers over its 12 months, from the page's figures against
    the feedback rows counted here."""
    from reports import process
    from reports.forms import ProcessFilterForm

    scope = ProcessFilterForm(None, agency=b.cast.agency).scope()
    found = process.figures(scope, agency=b.cast.agency, rollups=True)
    shown = sum(counts.answered for counts in found.by["month"].values())
    raw = sql(
        "SELECT count(*) FROM buyin_officerfeedback f JOIN referrals_referral r ON r.id = f.referral_id "
        "WHERE r.agency_id = %s AND r.occurred_at >= %s AND r.occurred_at < %s AND f.ease <> ''",
        [b.cast.agency.pk, scope.start, scope.end],
    )[0][0]
    return f"{'OK ' if shown == raw else 'BAD'} feedback answered in the 12 months: page {shown:,}, raw rows {raw:,}"


def slowest_queries(b: Bench, top: int, explain: bool) -> list[str]:
    """The dashboard's queries by time (one warm request), with EXPLAIN ANALYZE if asked."""
    get_dashboard(b)
    with CaptureQueriesContext(connection) as captured:
        get_dashboard(b)
    queries = sorted(captured.captured_queries, key=lambda q: float(q["time"]), reverse=True)
    total = sum(float(q["time"]) for q in captured.captured_queries) * 1000
    lines = [f"  {len(queries)} queries, {total:.1f} ms in the database (as the client measured them); slowest:"]
    for q in queries[:top]:
        lines.append(f"  {float(q['time']) * 1000:7.1f} ms  {q['sql'][:400]}")
        if explain and q["sql"].lstrip().upper().startswith("SELECT"):
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {q['sql']}")
                lines += ["      " + row[0] for row in cursor.fetchall()]
    return lines


def counted(b: Bench, request: Callable[[Bench], None]) -> tuple[int, int]:
    """The fewest and the most queries of 3 requests, in a fresh session: once a minute a
    signed-in request also saves the session and reads the menu's counts again, whatever the
    data's size (a CSV of 27,000 rows takes seconds, so three of them can span that minute)."""
    b.browser.force_login(b.cast.command)
    return query_counts(partial(request, b), 3)


def timed(
    benches: list[Bench], requests: dict[str, Callable[[Bench], None]], args: argparse.Namespace, n: int = 0
) -> dict:
    """Each request at both sizes, in turn (a request at 100k, then at 1M, then the next),
    with its query counts at each size: {size: {request: figures}}."""
    key = {(name, b.cast.size): f"{name} @ {label(b.cast.size)}" for name in requests for b in benches}
    calls = {key[name, b.cast.size]: partial(request, b) for name, request in requests.items() for b in benches}
    times = timed_in_turn(calls, n or args.requests, args.warmup)
    return {
        b.cast.size: {
            name: {
                "p50": percentile(times[key[name, b.cast.size]], 50),
                "p95": percentile(times[key[name, b.cast.size]], 95),
                "n": len(times[key[name, b.cast.size]]),
                "queries": counted(b, request),
            }
            for name, request in requests.items()
        }
        for b in benches
    }


def print_slowest(benches: list[Bench], args: argparse.Namespace, when: str) -> None:
    for b in benches:
        print(f"\nThe dashboard's slowest queries at {label(b.cast.size)} ({when}):")
        for line in slowest_queries(b, args.top, args.explain):
            print(line)


def measure(casts: list[Cast], args: argparse.Namespace, rebuilt: dict[int, float]) -> dict[int, dict]:
    casework_ends()  # left by an interrupted run
    benches = [bench_for(c) for c in casts]
    print(f"\n=== {timezone.localtime():%Y-%m-%d %H:%M %Z} · {machine()} · load average {load_average()}")
    results = {}
    for b in benches:
        total = agency_referrals(b.cast.agency.pk)
        seconds = rebuilt.get(b.cast.size)
        rollups = "rollups as last rebuilt" if seconds is None else f"rollups rebuilt in {seconds:.1f} s"
        print(f"\n{b.cast.agency.name}: {total:,} referrals ({rollups})")
        for line in checks(b):
            print(line)
        results[b.cast.size] = {"referrals": total, "export_rows": b.export_rows}
    # Quiet: no casework in the last ten minutes (evenings, weekends).
    quiet = timed(benches, REQUESTS, args)
    # The export in a phase of its own: what a CSV of thousands of rows leaves behind (its
    # garbage, the caches it evicted) fell on whichever request came next in a round.
    exports = timed(benches, {EXPORT: post_export}, args, args.export_requests)
    print_slowest(benches, args, "quiet")
    # Busy: casework in the last ten minutes on referrals of a few days (a working day).
    try:
        days = {b.cast.size: casework_begins(b) for b in benches}
        busy = timed(benches, {BUSY: get_dashboard}, args)
        print_slowest(benches, args, f"casework on referrals of {max(days.values())} days in the last 10 minutes")
    finally:
        casework_ends()
    # The export's audit records the benchmark made: not data.
    from reports.models import ExportRecord

    ExportRecord.objects.filter(user__in=[c.command for c in casts]).delete()
    for size, result in results.items():
        result["views"] = quiet[size] | exports[size] | busy[size]
    print(f"\nLoad average after the run: {load_average()}\n")
    return results


def load_average() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def print_table(results: dict[int, dict]) -> None:
    print("| referrals | request | p50 ms | p95 ms | queries |")
    print("|---|---|---|---|---|")
    for name in results[SIZES[0]]["views"]:
        for r in results.values():
            v = r["views"][name]
            q = v["queries"]
            queries = f"{q[0]}" if q[0] == q[1] else f"{q[0]}–{q[1]}"
            print(f"| {r['referrals']:,} | {name} | {v['p50']:.1f} | {v['p95']:.1f} | {queries} |")


def targets(results: dict[int, dict]) -> bool:
    ok = True
    small, large = results[SIZES[0]], results[SIZES[-1]]
    print("\nTargets:")
    for name in (DASHBOARD, BUSY, PROCESS):
        p95 = large["views"][name]["p95"]
        good = p95 <= TARGET_P95_MS
        ok &= good
        verdict = "PASS" if good else "FAIL"
        print(f"  {verdict} {name} p95 at {large['referrals']:,}: {p95:.1f} ms (≤ {TARGET_P95_MS:.0f})")
    for name in (DASHBOARD, BUSY, SCORECARD, BUYIN, PROCESS, EXPORT):
        a, z = small["views"][name], large["views"][name]
        r50, r95 = z["p50"] / a["p50"], z["p95"] / a["p95"]
        if name == EXPORT:
            # Not a target: the month holds ten times the rows.
            per = [v / max(1, r["export_rows"]) * 1000 for v, r in ((a["p50"], small), (z["p50"], large))]
            print(
                f"  info {name}: p50 ×{r50:.2f}, p95 ×{r95:.2f} for {small['export_rows']:,} → "
                f"{large['export_rows']:,} rows ({per[0]:.1f} → {per[1]:.1f} ms p50 per 1,000 rows)"
            )
            continue
        good = r95 <= TARGET_RATIO
        ok &= good
        verdict = "PASS" if good else "FAIL"
        print(f"  {verdict} {name}: p95 ×{r95:.2f} (p50 ×{r50:.2f}) at 1M vs 100k (≤ ×{TARGET_RATIO})")
    for name in (DASHBOARD, BUSY, SCORECARD, BUYIN, PROCESS, EXPORT):
        a, z = small["views"][name]["queries"], large["views"][name]["queries"]
        good = tuple(a) == tuple(z)
        ok &= good
        print(f"  {'PASS' if good else 'FAIL'} {name}: queries {tuple(a)} at 100k, {tuple(z)} at 1M")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--requests", type=int, default=50, help="timed requests per view and size (default 50)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per view and size first (default 5)")
    parser.add_argument(
        "--export-requests", type=int, default=10, help="timed exports per size (default 10: one takes seconds at 1M)"
    )
    parser.add_argument("--reseed", action="store_true", help="delete the seeded rows and seed again")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the rollups even if nothing changed")
    parser.add_argument("--seed-only", action="store_true", help="seed and rebuild the rollups, time nothing")
    parser.add_argument("--top", type=int, default=6, help="slowest dashboard queries to list (default 6)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS) those queries")
    args = parser.parse_args()

    url = os.environ["DATABASE_URL"]
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set DATABASE_URL=postgres://...: the targets are for PostgreSQL.")
    ensure_database(url)
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(META_SQL)
    casts, rebuilt = prepare(reseed=args.reseed, rebuild=args.rebuild)
    if args.seed_only:
        return
    results = measure(casts, args, rebuilt)
    print_table(results)
    ok = targets(results)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
