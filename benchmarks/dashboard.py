"""Benchmark the command dashboard, the partner scorecard and a month's export at 100k and 1M referrals.

Run by hand (not in CI, not collected by pytest), against PostgreSQL:

    .venv/bin/python benchmarks/dashboard.py
    # DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/deflection_dash

It creates its own database if missing, migrates it and seeds one agency (8 units, 400
officers, 8 partners, clients about half the referrals, three years of referrals with a
consistent lifecycle and retention follow-ups) with COPY. The data grows from one size to
the next by adding rows, and stays for the next run; a run that finds the larger size
measures it first and then shrinks to the smaller one (deleting the rows added last), so
that either order costs one grow or one shrink. Data left from an earlier day is moved
forward in time, so "the last 90 days" always holds its share of the rows.

When the project has a `rollups_rebuild` management command (per-day rollups that the
reports read), it is run after the data is in place and before anything is timed, at
every size; until then the reports read the raw rows, and the output says so.

Requests go through django.test.Client in-process (the whole Django stack, no network):
the dashboard with its default filters (the last 90 days), the partner scorecard of the
same scope called directly (it is part of the dashboard page), and a one-month CSV export.

The process evaluation (its default: the last 12 months) is timed beside them, as the agency's
command user sees it; 40% of the referrals carry the officer's feedback and every one its
time to log.

Targets: dashboard and process evaluation p95 at most 250 ms at 1,000,000 referrals; their
time at 1,000,000 at most 1.3x their time at 100,000; query counts the same at both sizes.
"""

from __future__ import annotations

import argparse
import inspect
import json
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
from dashboard_data import META_SQL, SIZES, Cast, agency_referrals, cast, prepare, sql  # noqa: E402
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


def _takes_rollups(function: Callable) -> bool:
    return "rollups" in inspect.signature(function).parameters


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
    # The dashboard's own default scope: the last 90 days in the agency's time zone.
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
    # As the dashboard calls it (from the rollups, where the code has them).
    if _takes_rollups(metrics.partner_scorecard):
        metrics.partner_scorecard(b.scope, rollups=True)
    else:
        metrics.partner_scorecard(b.scope)


def post_export(b: Bench) -> None:
    data = {"start": f"{b.month:%Y-%m}", "end": f"{b.month:%Y-%m}", "file_format": "csv"}
    response = b.browser.post("/reports/export/", urlencode(data), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv"), response.status_code
    # Less the notice and the header line.
    b.export_rows = response.content.count(b"\n") - 2


def buyin(b: Bench) -> None:
    # Officers trained, participation of the trained and the untrained, and per unit, as the
    # dashboard reads them (who deflected from the officer-months): part of the dashboard page.
    if hasattr(metrics, "buyin_figures"):
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
    EXPORT: post_export,
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
    n = raw.exclude(status="cancelled").count()
    try:
        rollups = {"rollups": True} if _takes_rollups(metrics.headlines) else {}
        shown = metrics.headlines(b.scope, **rollups).deflections
        out.append(f"{'OK ' if shown == n else 'BAD'} deflections in the 90 days: dashboard {shown:,}, raw rows {n:,}")
        rollups = {"rollups": True} if _takes_rollups(metrics.partner_scorecard) else {}
        received = sum(s.received for s in metrics.partner_scorecard(b.scope, **rollups))
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
    out.append(f"    the 90 days hold {share:.1%} of the agency's referrals (cancelled excluded)")
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


def measure(size: int, c: Cast, args: argparse.Namespace, rebuild: float | None, *, record: bool) -> dict:
    casework_ends()  # left by an interrupted run
    b = bench_for(c)
    total = agency_referrals(c.agency.pk)
    print(f"\n=== {total:,} referrals · {datetime.now():%Y-%m-%d %H:%M} · {machine()}")
    for line in checks(b):
        print(line)
    result = {"referrals": total, "rollups_rebuild_s": rebuild, "export_rows": b.export_rows, "views": {}}
    # Quiet: no casework in the last ten minutes (evenings, weekends).
    times = timed_in_turn(
        {name: partial(request, b) for name, request in REQUESTS.items()},
        args.requests,
        args.warmup,
        most={EXPORT: args.export_requests},
    )
    for name, request in REQUESTS.items():
        result["views"][name] = {
            "p50": percentile(times[name], 50),
            "p95": percentile(times[name], 95),
            "n": len(times[name]),
            "queries": query_counts(partial(request, b), 3),
        }
    print("\nThe dashboard's slowest queries (quiet):")
    for line in slowest_queries(b, args.top, args.explain):
        print(line)
    # Busy: casework in the last ten minutes on referrals of a few days (a working day).
    try:
        days = casework_begins(b)
        times = timed_in_turn({BUSY: partial(get_dashboard, b)}, args.requests, args.warmup)
        result["views"][BUSY] = {
            "p50": percentile(times[BUSY], 50),
            "p95": percentile(times[BUSY], 95),
            "n": len(times[BUSY]),
            "queries": query_counts(partial(get_dashboard, b), 3),
            "days": days,
        }
        print(f"\nThe dashboard's slowest queries (casework on referrals of {days} days in the last 10 minutes):")
        for line in slowest_queries(b, args.top, args.explain):
            print(line)
    finally:
        casework_ends()
    rollups = "rollups_rebuild not there: raw rows" if rebuild is None else f"rollups rebuilt in {rebuild:.1f} s"
    print(f"\n{total:,} referrals ({rollups}); export of {b.month:%Y-%m}: {b.export_rows:,} rows\n")
    print_table({size: result})
    if record:
        sql(
            "INSERT INTO bench_dashboard_result VALUES (%s, now(), %s) ON CONFLICT (size) DO UPDATE SET "
            "measured_at = excluded.measured_at, result = excluded.result",
            [size, json.dumps(result)],
        )
    # The export's audit records the benchmark made: not data.
    from reports.models import ExportRecord

    ExportRecord.objects.filter(user=c.command).delete()
    return result


def print_table(results: dict[int, dict]) -> None:
    print("| referrals | request | p50 ms | p95 ms | queries |")
    print("|---|---|---|---|---|")
    for _size, r in sorted(results.items()):
        for name, v in r["views"].items():
            q = v["queries"]
            queries = f"{q[0]}" if q[0] == q[1] else f"{q[0]}–{q[1]}"
            print(f"| {r['referrals']:,} | {name} | {v['p50']:.1f} | {v['p95']:.1f} | {queries} |")


def targets(results: dict[int, dict]) -> bool:
    ok = True
    small, large = results.get(SIZES[0]), results.get(SIZES[-1])
    print("\nTargets:")
    if large is None:
        print(f"  ---- dashboard p95 at {SIZES[-1]:,}: not measured")
        return False
    for name in (DASHBOARD, BUSY, PROCESS):
        if name not in large["views"]:
            continue
        p95 = large["views"][name]["p95"]
        good = p95 <= TARGET_P95_MS
        ok &= good
        verdict = "PASS" if good else "FAIL"
        print(f"  {verdict} {name} p95 at {large['referrals']:,}: {p95:.1f} ms (≤ {TARGET_P95_MS:.0f})")
    if small is None:
        print(f"  ---- nothing measured at {SIZES[0]:,} to compare with")
        return False
    for name in (DASHBOARD, BUSY, SCORECARD, BUYIN, PROCESS, EXPORT):
        if name not in small["views"] or name not in large["views"]:
            continue
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
        if name not in small["views"] or name not in large["views"]:
            continue
        a, z = small["views"][name]["queries"], large["views"][name]["queries"]
        good = tuple(a) == tuple(z)
        ok &= good
        print(f"  {'PASS' if good else 'FAIL'} {name}: queries {tuple(a)} at 100k, {tuple(z)} at 1M")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--requests", type=int, default=50, help="timed requests per view (default 50)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per view first (default 5)")
    parser.add_argument(
        "--export-requests", type=int, default=10, help="timed exports (default 10: one takes seconds at 1M)"
    )
    parser.add_argument("--no-record", action="store_true", help="do not keep the results for later runs")
    parser.add_argument(
        "--sizes", default=",".join(str(s) for s in SIZES), help="which of 100000,1000000 to measure (default both)"
    )
    parser.add_argument("--reseed", action="store_true", help="delete the seeded rows and seed again")
    parser.add_argument("--seed-only", action="store_true", help="bring the data to the largest size, time nothing")
    parser.add_argument("--top", type=int, default=6, help="slowest dashboard queries to list (default 6)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS) those queries")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if any(s not in SIZES for s in sizes):
        raise SystemExit(f"--sizes takes {', '.join(map(str, SIZES))}")

    url = os.environ["DATABASE_URL"]
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set DATABASE_URL=postgres://...: the targets are for PostgreSQL.")
    ensure_database(url)
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(META_SQL)

    if args.seed_only:
        prepare(sizes[-1], args.reseed)
        return
    # Whatever size the data has now is measured first: then each run costs one grow or
    # one shrink, never both.
    c = cast(create=False)
    if c is not None and not args.reseed and agency_referrals(c.agency.pk) >= sizes[-1] and len(sizes) > 1:
        sizes = sizes[::-1]
    results: dict[int, dict] = {}
    reseed = args.reseed
    for size in sizes:
        c, rebuild = prepare(size, reseed)
        reseed = False
        results[size] = measure(size, c, args, rebuild, record=not args.no_record)

    # A size not measured in this run: its last result, if any, to judge the targets.
    for size, measured_at, result in sql("SELECT size, measured_at, result FROM bench_dashboard_result"):
        if size not in results:
            print(f"\n(For {size:,}: the result of {timezone.localtime(measured_at):%Y-%m-%d %H:%M}.)")
            results[size] = result if isinstance(result, dict) else json.loads(result)
    print("\nAll sizes:\n")
    print_table(results)
    ok = targets(results)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
