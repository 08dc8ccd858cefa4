"""What both benchmarks share: their database, timing in turn, query counts, the percentile and the machine line."""

from __future__ import annotations

import math
import os
import platform
import time
from collections.abc import Callable
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
