"""Load benchmark: the production web server under a shift of users at once, on this machine.

Run by hand (not in CI), against PostgreSQL and Redis, on loopback only:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/deflection_load REDIS_URL=redis://127.0.0.1:6379/2 \\
        .venv/bin/python benchmarks/load.py
    #   --duration 300 --warmup 60 --saturation 60   seconds of each phase (the defaults)
    #   --users-scale 1.0                            100 officers, 20 case managers, 5 command users
    #   --think-scale 1.0                            think times as written in load_users.py

It seeds 100,000 referrals once (log_deflection.py's agency), starts gunicorn as compose does
(gunicorn.conf.py, production settings) and a Celery worker with its beat, then drives them
with Locust (load_users.py, in its own process): a warm-up, the mixed load with think times,
then at the same concurrency back to back the floor (GET /, signed in) and the log POST.
It prints requests/s and p50/p95/p99 per kind of request, the errors, what the slowest page
loads ran beside, then checks the database and the targets. The users' sessions are made in
the session store, not through the sign-in (command staff's second factor included): the
sign-in is not what is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import string
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SECRET = secrets.token_urlsafe(50)
os.environ.update(DJANGO_SETTINGS_MODULE="deflection.settings", SECRET_KEY=SECRET, DEBUG="false")

import django  # noqa: E402
from bench_common import ensure_database, machine  # noqa: E402

django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402
from log_deflection import LARGE, forget_benchmark_rows, seed, seeded  # noqa: E402

from accounts.sessions import LAST_ACTIVE  # noqa: E402
from deflection.models import AccessEvent, Agency, User  # noqa: E402
from partners.models import ServicePartner  # noqa: E402
from referrals.models import CaseEvent, Client, Officer, OfficerContact, Pathway, Referral  # noqa: E402
from reports import metrics  # noqa: E402

ROLES = {"officer": 100, "case_manager": 20, "command": 5}
TARGET_LOG_P95, TARGET_SEARCH_P95, TARGET_FLOOR_SHARE = 150.0, 100.0, 0.30


def users(agency: Agency, counts: dict[str, int]) -> dict[str, list[User]]:
    """The benchmark's users, made once: officers on seeded officers, case managers at the
    agency's partners, command staff with a confirmed second factor."""
    partners = list(ServicePartner.objects.filter(agencies=agency).order_by("pk"))
    unit = agency.units.order_by("pk").first()
    made: dict[str, list[User]] = {}
    for role, n in counts.items():
        made[role] = []
        for i in range(n):
            extra = {"agency": agency, "unit": unit} if role == "officer" else {"agency": agency}
            if role == "case_manager":
                extra = {"agency": None, "partner": partners[i % len(partners)]}
            user, _ = User.objects.get_or_create(
                username=f"load-{role}-{i}", defaults={"role": role, "email": f"load-{role}-{i}@bench.test", **extra}
            )
            made[role].append(user)
    for user in made["officer"]:
        if not Officer.objects.filter(user=user).exists():
            spare = Officer.objects.filter(agency=agency, user__isnull=True).order_by("pk").first()
            Officer.objects.filter(pk=spare.pk).update(user=user)
    for user in made["command"]:
        TOTPDevice.objects.get_or_create(user=user, name="load", defaults={"confirmed": True})
    return made


def session_for(user: User) -> dict:
    """A signed-in session straight in the session store, as the sign-in would leave it."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "deflection.backends.UserBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[LAST_ACTIVE] = int(timezone.now().timestamp())
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store.create()
    csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    return {"user_id": user.pk, "session": store.session_key, "csrf": csrf}


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 (our own interpreter's tools)
        command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def wait_ready(url: str, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (our own loopback server)
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    sys.exit(f"{url} did not answer 200 within {seconds:.0f} s")


def print_table(title: str, phase: dict) -> None:
    print(f"\n{title} ({phase['seconds']:.0f} s)")
    print(f"{'request':42} {'count':>7} {'fail':>5} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6}  (ms)")
    for name, row in sorted(phase["rows"].items()):
        print(
            f"{name:42} {row['requests']:>7} {row['failures']:>5} {row['rps']:>7.1f} "
            f"{row['p50']:>6.0f} {row['p95']:>6.0f} {row['p99']:>6.0f}"
        )
    for error in phase["errors"]:
        print(f"  error: {error}")


# A Celery log line of a task that finished: when, which task, and how long it ran.
TASK_DONE = re.compile(
    r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}): INFO/[^\]]*\] Task ([\w.]+)\[[^\]]*\] succeeded in ([\d.]+)s"
)


def worker_tasks(log: Path) -> list[tuple[float, float, str]]:
    """The worker's tasks from its log: (start, end, task name), in seconds since the epoch."""
    runs = []
    for line in log.read_text(errors="replace").splitlines():
        found = TASK_DONE.match(line)
        if found:
            stamp, millis, name, seconds = found.groups()
            end = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").timestamp() + int(millis) / 1000
            runs.append((end - float(seconds), end, name.rsplit(".", 1)[-1]))
    return runs


def print_tail(timeline: list[list], tasks: list[tuple[float, float, str]]) -> None:
    """What the slowest page loads of the mixed load ran beside: for the pages above their own
    p95, and for all pages, the share that overlapped each kind of request and each worker
    task. A kind far more common beside the slow ones than beside all is what they waited on."""
    pages = [(start, name, ms) for start, name, ms in timeline if name.startswith("GET ") and "floor" not in name]
    by_kind: dict[str, list[float]] = {}
    for _start, name, ms in pages:
        by_kind.setdefault(name, []).append(ms)
    p95 = {name: sorted(times)[int(0.95 * (len(times) - 1))] for name, times in by_kind.items()}
    slow = [page for page in pages if page[2] > p95[page[1]]]
    if not slow:
        return

    def beside(page) -> set[str]:
        start, name, ms = page
        end = start + ms / 1000
        kinds = {other for s, other, m in timeline if s < end and s + m / 1000 > start and (s, other) != (start, name)}
        return kinds | {f"worker: {task}" for s, e, task in tasks if s < end and e > start}

    def shares(group) -> Counter:
        counts = Counter(kind for page in group for kind in beside(page))
        return Counter({kind: n / len(group) for kind, n in counts.items()})

    slow_shares, all_shares = shares(slow), shares(pages)
    print(
        f"\nThe {len(slow)} slowest page loads (above their kind's p95) ran beside: share of them, "
        f"and of all {len(pages)}"
    )
    for kind, share in sorted(slow_shares.items(), key=lambda item: -item[1] / max(all_shares[item[0]], 0.01))[:10]:
        print(f"  {kind:45} {share:6.0%} {all_shares[kind]:6.0%}")


def forget_load_rows() -> None:
    """What the load logged goes, so that the data keeps its size from run to run (the access
    record stays: it is final)."""
    forget_benchmark_rows(LARGE)
    OfficerContact.objects.filter(referral__agency__name=LARGE.agency, submission_token__isnull=False).delete()


def check_database(done: dict, access_from: int) -> dict[str, int]:
    """What the load did, as the database has it."""
    tokens = done["logged"]
    # A deflection is a referral, or an officer contact on the client's open referral at that
    # partner (DESIGN.md, re-engagement): either carries the form's token.
    saved: Counter[str] = Counter()
    for model in (Referral, OfficerContact):
        found = model.objects.filter(submission_token__in=list(tokens)).values_list("submission_token", flat=True)
        saved.update(str(token) for token in found)
    lost = sum(1 for token, code in tokens.items() if code == 302 and saved[token] == 0)
    doubled = sum(1 for n in saved.values() if n > 1)
    unanswered_saved = sum(1 for token, code in tokens.items() if code != 302 and saved[token])
    missing_events = sum(
        1
        for referral_id, to_status in done["transitions"]
        if not CaseEvent.objects.filter(referral_id=referral_id, to_status=to_status).exists()
    )
    access = AccessEvent.objects.filter(pk__gt=access_from)
    unrecorded_reads = sum(
        1
        for user_id, referral_id, n in done["reads"]
        if access.filter(user_id=user_id, referral_id=referral_id, action="viewed").count() < n
    )
    unrecorded_listed = 0
    for user_id, what, ids in done["listed"]:
        field = "client_id" if what == "client search" else "referral_id"
        recorded = set(access.filter(user_id=user_id, what=what).values_list(field, flat=True))
        unrecorded_listed += len(set(ids) - recorded)
    return {
        "deflections logged (302)": sum(1 for code in tokens.values() if code == 302),
        "lost": lost,
        "doubled": doubled,
        "saved though the POST failed": unanswered_saved,
        "transitions made": len(done["transitions"]),
        "transitions without their case event": missing_events,
        "referral pages read": sum(n for _u, _r, n in done["reads"]),
        "referral pages without an access record": unrecorded_reads,
        "clients or referrals listed": sum(len(ids) for _u, _w, ids in done["listed"]),
        "listed without an access record": unrecorded_listed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=300.0)
    parser.add_argument("--warmup", type=float, default=60.0)
    parser.add_argument("--saturation", type=float, default=60.0)
    parser.add_argument("--users-scale", type=float, default=1.0)
    parser.add_argument("--think-scale", type=float, default=1.0)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    database, redis = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database.startswith("postgres") or not redis.startswith("redis"):
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL (Redis): the benchmark runs what production runs.")
    ensure_database(database)
    call_command("migrate", verbosity=0)
    if args.reseed or not seeded(LARGE):
        import random

        seed(LARGE, random.Random(20260))
    forget_load_rows()
    agency = Agency.objects.get(name=LARGE.agency)
    if metrics.counted_until(agency.pk) is None:
        print("Counting the rollups the dashboards read ...", flush=True)
        call_command("rollups_rebuild", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    counts = {role: max(1, round(n * args.users_scale)) for role, n in ROLES.items()}
    made = users(agency, counts)
    Session.objects.filter(expire_date__lt=timezone.now()).delete()
    accounts = {role: [session_for(u) for u in people] for role, people in made.items()}
    clients = Client.objects.filter(agency=agency).order_by("?")
    today = timezone.localdate()
    plan = {
        "host": f"http://127.0.0.1:{args.port}",
        "accounts": accounts,
        "officers": counts["officer"],
        "case_managers": counts["case_manager"],
        "commanders": counts["command"],
        "names": list(clients.values_list("first_name", "last_name")[:2000]),
        "client_ids": list(clients.values_list("pk", flat=True)[:20000]),
        "partner_ids": list(ServicePartner.objects.filter(agencies=agency).values_list("pk", flat=True)),
        "pathways": list(Pathway.values),
        "export_from": (today - timedelta(days=365)).isoformat(),
        "export_to": today.isoformat(),
        "warmup": args.warmup,
        "duration": args.duration,
        "saturation": args.saturation,
        "think_scale": args.think_scale,
    }
    access_from = AccessEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    logs = Path(tempfile.mkdtemp(prefix="deflection-load-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "deflection.settings",
        "SECRET_KEY": SECRET,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PROXY_COUNT": "0",
        "EMAIL_URL": "consolemail://",
        "WEB_BIND": f"127.0.0.1:{args.port}",
    }
    bin_dir = Path(sys.executable).parent
    web = start(
        [str(bin_dir / "gunicorn"), "deflection.wsgi:application", "--config", "gunicorn.conf.py"],
        env,
        logs / "web.log",
    )
    # At INFO the worker's log says when each task ran (print_tail); the data is made up.
    worker = start(
        [str(bin_dir / "celery"), "-A", "deflection", "worker", "--beat", "--concurrency=2", "--loglevel=INFO"],
        env,
        logs / "worker.log",
    )
    try:
        wait_ready(f"{plan['host']}/readyz", web, logs / "web.log")
        print(f"Machine: {machine()}")
        print(
            f"gunicorn: {env.get('WEB_CONCURRENCY', '3')} processes x {env.get('WEB_THREADS', '4')} threads; "
            f"users: {counts}; logs in {logs}",
            flush=True,
        )
        (logs / "plan.json").write_text(json.dumps(plan))
        budget = args.warmup + args.duration + 2 * args.saturation + 300
        subprocess.run(  # noqa: S603 (our own interpreter and script)
            [
                sys.executable,
                str(ROOT / "benchmarks" / "load_users.py"),
                str(logs / "plan.json"),
                str(logs / "result.json"),
            ],
            cwd=ROOT,
            check=True,
            timeout=budget,
        )
    finally:
        stop(web)
        stop(worker)
    result = json.loads((logs / "result.json").read_text())
    phases = result["phases"]
    print_table("Mixed load (think times)", phases["mixed"])
    print_table("Floor: GET / signed in, back to back", phases["floor"])
    print_table("Log POST, back to back", phases["log"])
    print_tail(phases["mixed"]["timeline"], worker_tasks(logs / "worker.log"))
    found = check_database(result["done"], access_from)
    print("\nThe database after the load")
    for what, n in found.items():
        print(f"  {what:45} {n}")
    mixed = phases["mixed"]["rows"]
    errors = sum(p["rows"][name]["failures"] for p in phases.values() for name in p["rows"])
    log_p95 = mixed.get("POST /log/", {}).get("p95", float("inf"))
    search_p95 = mixed.get("POST /log/clients/ (search)", {}).get("p95", float("inf"))
    floor_rps = phases["floor"]["rows"].get("GET / (floor)", {}).get("rps", 0.0)
    log_rps = phases["log"]["rows"].get("POST /log/", {}).get("rps", 0.0)
    targets = [
        ("0 errors", errors == 0, f"{errors}"),
        (
            "0 deflections lost or doubled",
            found["lost"] == found["doubled"] == 0,
            f"{found['lost']} / {found['doubled']}",
        ),
        ("every transition has its case event", found["transitions without their case event"] == 0, ""),
        (
            "every page read has its access record",
            found["referral pages without an access record"] == found["listed without an access record"] == 0,
            "",
        ),
        (f"log POST p95 <= {TARGET_LOG_P95:.0f} ms", log_p95 <= TARGET_LOG_P95, f"{log_p95:.0f} ms"),
        (f"search p95 <= {TARGET_SEARCH_P95:.0f} ms", search_p95 <= TARGET_SEARCH_P95, f"{search_p95:.0f} ms"),
        (
            f"log POST throughput >= {TARGET_FLOOR_SHARE:.0%} of the floor's",
            log_rps >= TARGET_FLOOR_SHARE * floor_rps,
            f"{log_rps:.1f} vs {floor_rps:.1f} req/s ({log_rps / floor_rps:.0%})" if floor_rps else "no floor",
        ),
    ]
    print("\nTargets")
    for what, ok, detail in targets:
        print(f"  {'PASS' if ok else 'FAIL'}  {what:45} {detail}")
    forget_load_rows()
    Session.objects.filter(session_key__in=[a["session"] for people in accounts.values() for a in people]).delete()
    sys.exit(0 if all(ok for _what, ok, _detail in targets) else 1)


if __name__ == "__main__":
    main()
