"""What both benchmarks share: their database, timing in turn, query counts, the percentile and the machine line."""

from __future__ import annotations

import math
import os
import platform
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlparse


def ensure_database(url: str) -> None:
    """Create the benchmark database if it is missing (trust auth, as on a developer box)."""
    import psycopg2

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    conn = psycopg2.connect(
        dbname="postgres",
        user=parts.username or "postgres",
        password=parts.password or None,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            print(f"Creating database {name}")
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def machine() -> str:
    """Cores, CPU, Python, Django and PostgreSQL versions (after django.setup())."""
    import django
    from django.db import connection

    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        cpu = next(
            (line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if "model name" in line), ""
        )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return (
        f"{os.cpu_count()} cores ({cpu or platform.processor()}), Python {platform.python_version()}, "
        f"Django {django.get_version()}, PostgreSQL {pg}"
    )


def timed_in_turn(
    requests: dict[str, Callable[[], object]], n: int, warmup: int, most: dict[str, int] | None = None
) -> dict[str, list[float]]:
    """Milliseconds of each request, n times (`most` caps some), one of each per round: a change
    in the machine's load (another process, the disk) then falls on every view alike, not on
    whichever ran last."""
    for request in requests.values():
        for _ in range(warmup):
            request()
    most = most or {}
    times: dict[str, list[float]] = {name: [] for name in requests}
    for i in range(n):
        for name, request in requests.items():
            if i >= most.get(name, n):
                continue
            started = time.perf_counter()
            request()
            times[name].append((time.perf_counter() - started) * 1000)
    return times


def query_counts(request: Callable[[], object], n: int) -> tuple[int, int]:
    """The fewest and the most queries of n requests, after one untimed: the first request of a
    session also stores the agency's time zone in it (deflection/middleware.py)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    request()
    counts = []
    for _ in range(n):
        with CaptureQueriesContext(connection) as captured:
            request()
        counts.append(len(captured))
    return min(counts), max(counts)


# (p50, p95, (fewest, most queries) in the small agency, the same in the large one)
Result = tuple[float, float, tuple[int, int], tuple[int, int]]


def print_results(results: dict[str, Result], floor_p95: float, width: int = 38) -> None:
    """The table of every request: p50 and p95, queries at both sizes, p95 over the floor's."""
    header = f"| {'view':<{width}} | p50 ms | p95 ms | queries 10k | queries 100k | p95 / floor |"
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for name, (p50, p95, small, big) in results.items():
        print(
            f"| {name:<{width}} | {p50:6.1f} | {p95:6.1f} | {f'{small[0]}–{small[1]}':>11} | "
            f"{f'{big[0]}–{big[1]}':>12} | {p95 / floor_p95:10.1f}x |"
        )


def targets_met(
    results: dict[str, Result],
    floor_p95: float,
    *,
    hot_path: Iterable[str],
    pages: Iterable[str],
    counted: Iterable[str],
    target_ms: float,
    ratio: float,
) -> bool:
    """Print each target with PASS or FAIL; whether all were met. The hot path: p95 within
    `target_ms` and `ratio` times the floor; pages, which render a list, the ratio only; and
    for every request counted, no more queries at 100k than at 10k (within one size the count
    varies with what was asked, e.g. a client with an earlier referral)."""
    hot_path = list(hot_path)
    ok = True
    for name in (*hot_path, *pages):
        p95 = results[name][1]
        ms = f"≤ {target_ms:.0f} ms and " if name in hot_path else ""
        good = p95 <= ratio * floor_p95 and (name not in hot_path or p95 <= target_ms)
        ok &= good
        bound = f"{ms}≤ {ratio:.0f}x floor = {ratio * floor_p95:.1f} ms"
        print(f"  {'PASS' if good else 'FAIL'} {name}: p95 {p95:.1f} ms ({bound})")
    for name in counted:
        _p50, _p95, small, big = results[name]
        flat = big[1] <= small[1]
        ok &= flat
        print(f"  {'PASS' if flat else 'FAIL'} {name}: queries {small} at 10k referrals, {big} at 100k")
    return ok
