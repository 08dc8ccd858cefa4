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

Targets: dashboard p95 at most 250 ms at 1,000,000 referrals; its time at 1,000,000 at
most 1.3x its time at 100,000; query counts the same at both sizes.
"""

from __future__ import annotations

import argparse
import bisect
import inspect
import io
import json
import os
import random
import sys
import time
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

from django.core.management import call_command, get_commands  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from deflection.models import Agency, Unit, User  # noqa: E402
from partners.models import ServicePartner  # noqa: E402
from referrals.demo.lifecycle import History  # noqa: E402
from referrals.models import CaseEvent, FollowUp, Officer, Referral, normalize_name  # noqa: E402
from reports import metrics  # noqa: E402
from reports.forms import DashboardFilterForm  # noqa: E402

AGENCY = "Dash County Sheriff's Office"
SIZES = (100_000, 1_000_000)
CHUNK = 50_000  # referrals per COPY and commit
YEARS = 3
TARGET_P95_MS = 250.0
TARGET_RATIO = 1.3
QUIET = timedelta(minutes=15)
HOUR = 3600.0
DAY = 24 * HOUR

# The benchmark's own bookkeeping, in its own database (not a Django model).
META_SQL = """
CREATE TABLE IF NOT EXISTS bench_dashboard_layer (
    size integer PRIMARY KEY,          -- referrals of the agency once this layer is in
    referral_max_id bigint NOT NULL,   -- the layer's last referral id
    client_max_id bigint NOT NULL,
    seeded_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS bench_dashboard_anchor (
    id integer PRIMARY KEY CHECK (id = 1),
    anchor timestamptz NOT NULL        -- "now" of the seeded data: nothing happens after it
);
CREATE TABLE IF NOT EXISTS bench_dashboard_result (
    size integer PRIMARY KEY,
    measured_at timestamptz NOT NULL,
    result jsonb NOT NULL
);
"""


# -- database ----------------------------------------------------------------------------


def sql(query: str, params: list | tuple | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def vacuum_analyze() -> None:
    # This machine's PostgreSQL runs without autovacuum: without it the planner has no
    # statistics for the new rows, and the rows a shrink deleted stay in the way.
    started = time.perf_counter()
    sql("VACUUM ANALYZE")
    print(f"  VACUUM ANALYZE: {time.perf_counter() - started:.0f} s", flush=True)


# -- the agency (small tables, through the ORM) ---------------------------------------------


PARTNERS = [  # kind, 24/7, weight of the referrals it gets, median hours to decide, rejection rate
    (ServicePartner.Kind.CRISIS_CENTRE, True, 24, 1.5, 0.06),
    (ServicePartner.Kind.MAT_CLINIC, True, 20, 3.0, 0.08),
    (ServicePartner.Kind.DETOX, True, 14, 2.0, 0.15),
    (ServicePartner.Kind.MAT_CLINIC, False, 12, 16.0, 0.10),
    (ServicePartner.Kind.MENTAL_HEALTH, False, 10, 20.0, 0.12),
    (ServicePartner.Kind.HOUSING, False, 8, 40.0, 0.30),
    (ServicePartner.Kind.PEER_SUPPORT, False, 7, 8.0, 0.05),
    (ServicePartner.Kind.DEFLECTION_TEAM, False, 5, 4.0, 0.04),
]


@dataclass
class Cast:
    agency: Agency
    command: User
    officer_ids: list[int]
    officer_weights: list[float]
    partner_ids: list[int]
    case_manager_ids: dict[int, int]  # partner id -> the user who accepts its referrals


def cast(create: bool) -> Cast | None:
    agency = Agency.objects.filter(name=AGENCY).first()
    if agency is None:
        if not create:
            return None
        agency = create_agency()
    rnd = random.Random(11)
    officers = list(Officer.objects.filter(agency=agency).order_by("pk").values_list("pk", flat=True))
    partners = list(
        ServicePartner.objects.filter(name__startswith=f"{AGENCY} ·").order_by("name").values_list("pk", flat=True)
    )
    managers = dict(User.objects.filter(partner_id__in=partners).values_list("partner_id", "pk"))
    return Cast(
        agency=agency,
        command=User.objects.get(username="dash-command"),
        # A few officers deflect a lot, most a little (as in the field).
        officer_ids=officers,
        officer_weights=[rnd.lognormvariate(0, 0.9) for _ in officers],
        partner_ids=partners,
        case_manager_ids=managers,
    )


def create_agency() -> Agency:
    with transaction.atomic():
        agency = Agency.objects.create(name=AGENCY, kind=Agency.Kind.SHERIFF)
        units = [Unit.objects.create(agency=agency, name=n) for n in ("MHST", *(f"District {i}" for i in range(1, 8)))]
        for i, (kind, is_24_7, *_rest) in enumerate(PARTNERS):
            partner = ServicePartner.objects.create(name=f"{AGENCY} · partner {i + 1}", kind=kind, is_24_7=is_24_7)
            partner.agencies.add(agency)
            User.objects.create(
                username=f"dash-partner-{i + 1}", role=User.Role.CASE_MANAGER, partner=partner, email=""
            )
        User.objects.create(username="dash-command", role=User.Role.COMMAND, agency=agency)
        rnd = random.Random(5)
        Officer.objects.bulk_create(
            Officer(
                agency=agency,
                unit=rnd.choice(units),
                badge_number=f"D-{i}",
                display_name=f"Officer {i:03d}",
                is_active=rnd.random() > 0.05,
            )
            for i in range(1, 401)
        )
    return agency


# -- layers of referrals (COPY) --------------------------------------------------------------


def layers() -> list[tuple[int, int, int]]:
    return sql("SELECT size, referral_max_id, client_max_id FROM bench_dashboard_layer ORDER BY size")


def anchor() -> datetime | None:
    rows = sql("SELECT anchor FROM bench_dashboard_anchor")
    return rows[0][0] if rows else None


def agency_referrals(agency_id: int) -> int:
    return sql("SELECT count(*) FROM referrals_referral WHERE agency_id = %s", [agency_id])[0][0]


def ts(moment: datetime | None) -> str:
    return "\\N" if moment is None else moment.isoformat()


def nul(value: int | None) -> str:
    """An id for COPY, or its NULL."""
    return "\\N" if value is None else str(value)


def copy(table: str, columns: str, buffer: io.StringIO) -> None:
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)


class Names:
    """First and last names from Faker (en_US and es_MX), drawn from a pool: fast, and
    many people share a name, as in life."""

    def __init__(self, rnd: random.Random) -> None:
        from faker import Faker

        us, mx = Faker("en_US"), Faker("es_MX")
        us.seed_instance(1)
        mx.seed_instance(2)
        self.us = ([us.first_name() for _ in range(1500)], [us.last_name() for _ in range(1500)])
        self.mx = ([mx.first_name() for _ in range(800)], [mx.last_name() for _ in range(800)])
        self.rnd = rnd

    def person(self) -> tuple[str, str, bool]:
        spanish = self.rnd.random() < 0.35
        first, last = self.mx if spanish else self.us
        return self.rnd.choice(first), self.rnd.choice(last), spanish


STREET = ["Flaca", "Güero", "Sleepy", "Tex", "Shorty", "Red", "Boots", "Smokey", "Gordo", "Chuy", "Bird"]
GENDERS = ["Male"] * 60 + ["Female"] * 37 + ["Non-binary"] * 2 + [""]
RACES = (
    ["White"] * 35 + ["Hispanic or Latino"] * 30 + ["Black"] * 12 + ["American Indian"] * 8 + ["Asian"] * 2 + [""] * 13
)
PATHWAYS = (
    ["officer_intervention"] * 30
    + ["officer_prevention"] * 20
    + ["naloxone_plus"] * 15
    + ["active_outreach"] * 15
    + ["self_referral"] * 10
    + ["community_response"] * 10
)
NEEDS = ["substance_use", "mental_health", "housing", "medical", "food", "benefits"]
SUBSTANCES = ["fentanyl", "methamphetamine", "opioids", "alcohol", "cocaine", "cannabis"]
CHARGES = [
    "Possession of drug paraphernalia",
    "Possession of a controlled substance",
    "Trespass",
    "Public intoxication",
]
REJECT = ["no_capacity", "not_eligible", "could_not_contact", "client_declined", "other"]

REFERRAL_COLUMNS = (
    "id, client_id, officer_id, agency_id, partner_id, pathway, occurred_at, location, presenting_needs, "
    "substances, naloxone_administered, charge_deflected, warm_handoff, officer_minutes, note, status, "
    "status_reason, status_changed_at, status_note, accepted_by_id, accepted_at, intake_at, closed_at, "
    "reengagement_of_id, created_at"
)
FOLLOW_UP_COLUMNS = "kind, due_at, completed_at, outcome, note, created_at, assigned_to_id, referral_id"
EVENT_COLUMNS = "referral_id, actor_id, kind, from_status, to_status, reason, note, created_at"
CLIENT_COLUMNS = (
    "id, agency_id, first_name, last_name, aliases, date_of_birth, phone, preferred_language, gender, "
    "race_ethnicity, search_name, created_at"
)


def lifecycle(rnd: random.Random, occurred: datetime, history: History, partner: tuple, manager: int | None) -> None:
    """A referral's history up to the seed's "now", made by the moves the services make (see
    referrals.demo.lifecycle): who decided when, intake, how it ended, and which of its
    72-hour and 30/60/90-day checks were done."""
    _kind, _is_24_7, _weight, median_decide, reject_rate = partner
    if rnd.random() < 0.03:
        reason = rnd.choice(["withdrawn", "entered_in_error"])
        history.act("cancel", occurred + timedelta(hours=rnd.uniform(0.1, 48)), None, reason)
        return
    decided = occurred + timedelta(hours=median_decide * rnd.lognormvariate(0, 0.8))
    if rnd.random() < reject_rate:
        history.act("reject", decided, manager, rnd.choice(REJECT))
        return
    if not history.act("accept", decided, manager):
        return
    if rnd.random() >= 0.65:
        failed = decided + timedelta(days=rnd.uniform(7, 21))
        history.act("fail", failed, manager, rnd.choice(["could_not_contact", "client_declined"]))
    elif history.act("record_intake", decided + timedelta(hours=30 * rnd.lognormvariate(0, 0.9)), manager):
        intake = history.intake_at
        ending = rnd.random()
        if ending < 0.45:
            history.act("complete", intake + timedelta(days=rnd.uniform(30, 180)), manager)
        elif ending < 0.80:
            history.act(
                "fail", intake + timedelta(days=rnd.uniform(5, 120)), manager, rnd.choice(["disengaged", "moved"])
            )
        if history.status == Referral.Status.IN_PROGRESS and rnd.random() < 0.05:
            history.act("hold", intake + timedelta(days=rnd.uniform(1, 20)), manager)
    for check in history.checks:
        if check.kind == FollowUp.Kind.CHECK_72H:
            done = check.due_at + timedelta(days=rnd.uniform(0, 1))
            reached = history.intake_at is not None and history.intake_at <= check.due_at
        elif rnd.random() < 0.08:
            continue  # never done: overdue
        else:
            done = check.due_at + timedelta(days=rnd.uniform(0, 4))
            if history.closed_at is not None and history.closed_at <= check.due_at:
                reached = history.status == Referral.Status.COMPLETED and rnd.random() < 0.75
            else:
                reached = rnd.random() < 0.9
        if done < history.now:
            check.completed_at = done
            check.outcome = "engaged" if reached else rnd.choice(["not_engaged", "no_contact"])


def grow(c: Cast, target: int, now: datetime) -> None:
    """Add referrals (and their new clients, about one for two referrals) until the agency
    has `target`: spread over the three years before `now`, in time order within the layer."""
    current = agency_referrals(c.agency.pk)
    n = target - current
    if n <= 0:
        return
    started = time.perf_counter()
    print(f"Growing {AGENCY} from {current:,} to {target:,} referrals ({n:,} more) ...", flush=True)
    rnd = random.Random(target)
    names = Names(rnd)
    m = n // 2
    referral_base = sql("SELECT coalesce(max(id), 0) FROM referrals_referral")[0][0]
    client_base = sql("SELECT coalesce(max(id), 0) FROM referrals_client")[0][0]

    # Every client has a referral; the rest go mostly to a few (re-engagement).
    clients = list(range(m))
    cum, total = [], 0.0
    for rank in range(m):
        total += 1 / (rank + 20)
        cum.append(total)
    assigned = clients + rnd.choices(clients, cum_weights=cum, k=n - m)
    rnd.shuffle(assigned)
    times = sorted(now - timedelta(seconds=rnd.uniform(HOUR, YEARS * 365 * DAY)) for _ in range(n))
    first_seen: list[datetime | None] = [None] * m
    for client, when in zip(assigned, times, strict=True):
        if first_seen[client] is None:
            first_seen[client] = when

    today = date.today()
    buffer = io.StringIO()
    for j in range(m):
        first, last, spanish = names.person()
        aliases = rnd.choice(STREET) if rnd.random() < 0.2 else ""
        born = today - timedelta(days=rnd.randint(18 * 366, 70 * 365))
        language = "es" if spanish and rnd.random() < 0.45 else "en"
        search = normalize_name(f"{first} {last} {aliases}")
        buffer.write(
            f"{client_base + 1 + j}\t{c.agency.pk}\t{first}\t{last}\t{aliases}\t{born}\t\t{language}\t"
            f"{rnd.choice(GENDERS)}\t{rnd.choice(RACES)}\t{search}\t{ts(first_seen[j])}\n"
        )
        if buffer.tell() > 8_000_000:
            _copy_chunk("referrals_client", CLIENT_COLUMNS, buffer)
            buffer = io.StringIO()
    _copy_chunk("referrals_client", CLIENT_COLUMNS, buffer)
    print(f"  {m:,} clients: {time.perf_counter() - started:.0f} s", flush=True)

    officer_cum = _cumulative(c.officer_weights)
    partner_cum = _cumulative([p[2] for p in PARTNERS])
    last_of_client: dict[int, tuple[int, str, datetime | None]] = {}
    referrals, follow_ups, events = io.StringIO(), io.StringIO(), io.StringIO()
    counts = {"follow_ups": 0, "events": 0}
    for i, (client, occurred) in enumerate(zip(assigned, times, strict=True)):
        pk = referral_base + 1 + i
        officer = c.officer_ids[bisect.bisect(officer_cum, rnd.random() * officer_cum[-1])]
        p = bisect.bisect(partner_cum, rnd.random() * partner_cum[-1])
        partner = c.partner_ids[p]
        manager = c.case_manager_ids.get(partner)
        history = History(
            created_at=min(now, occurred + timedelta(seconds=rnd.uniform(60, 1800))), creator=None, now=now
        )
        lifecycle(rnd, occurred, history, PARTNERS[p], manager)
        # A client's later referral points at their latest earlier one, unless that one
        # was cancelled before it (referrals.services does the same).
        earlier = last_of_client.get(client)
        reengagement = None
        cancelled_before = earlier is not None and earlier[1] == "cancelled" and (earlier[2] or occurred) < occurred
        if earlier is not None and not cancelled_before:
            reengagement = earlier[0]
        last_of_client[client] = (pk, history.status, history.closed_at)
        needs = json.dumps(sorted(rnd.sample(NEEDS[:3], 2) if rnd.random() < 0.8 else rnd.sample(NEEDS, 3)))
        substances = json.dumps(rnd.sample(SUBSTANCES, rnd.choice([1, 1, 1, 2])))
        charge = rnd.choice(CHARGES) if rnd.random() < 0.35 else ""
        for e in history.case_events():
            events.write(
                f"{pk}\t{nul(e.actor)}\t{e.kind}\t{e.from_status}\t{e.to_status}\t{e.reason}\t{e.note}\t{ts(e.created_at)}\n"
            )
            counts["events"] += 1
        referrals.write(
            f"{pk}\t{client_base + 1 + client}\t{officer}\t{c.agency.pk}\t{partner}\t{rnd.choice(PATHWAYS)}\t"
            f"{ts(occurred)}\tBeat {rnd.randint(1, 60)}\t{needs}\t{substances}\t"
            f"{'t' if rnd.random() < 0.08 else 'f'}\t{charge}\t{'t' if rnd.random() < 0.55 else 'f'}\t"
            f"{rnd.randint(15, 120)}\t\t{history.status}\t{history.reason}\t{ts(history.changed_at)}\t{history.note}\t"
            f"{nul(history.accepted_by)}\t{ts(history.accepted_at)}\t{ts(history.intake_at)}\t"
            f"{ts(history.closed_at)}\t{nul(reengagement)}\t{ts(history.created_at)}\n"
        )
        for f in history.follow_ups():
            follow_ups.write(
                f"{f.kind}\t{ts(f.due_at)}\t{ts(f.completed_at)}\t{f.outcome}\t\t{ts(f.created_at)}\t"
                f"{nul(f.assigned_to)}\t{pk}\n"
            )
            counts["follow_ups"] += 1
        if (i + 1) % CHUNK == 0 or i + 1 == n:
            with transaction.atomic():
                _skip_triggers()
                copy("referrals_referral", REFERRAL_COLUMNS, referrals)
                copy("referrals_followup", FOLLOW_UP_COLUMNS, follow_ups)
                copy("referrals_caseevent", EVENT_COLUMNS, events)
                _record_layer(target if i + 1 == n else None, pk, client_base + m, now)
            referrals, follow_ups, events = io.StringIO(), io.StringIO(), io.StringIO()
            elapsed = time.perf_counter() - started
            print(
                f"  {i + 1:,} referrals, {counts['follow_ups']:,} follow-ups, {counts['events']:,} case events: "
                f"{elapsed:.0f} s",
                flush=True,
            )
    sql("SELECT setval(pg_get_serial_sequence('referrals_referral', 'id'), (SELECT max(id) FROM referrals_referral))")
    sql("SELECT setval(pg_get_serial_sequence('referrals_client', 'id'), (SELECT max(id) FROM referrals_client))")
    elapsed = time.perf_counter() - started
    print(f"  seeded {n:,} referrals in {elapsed:.0f} s ({n / elapsed:,.0f} referrals/s)", flush=True)
    vacuum_analyze()


def _cumulative(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def _skip_triggers() -> None:
    # The rows are consistent by construction; checking each foreign key row by row would
    # double the time of the load. Only for this transaction, in the benchmark's database.
    sql("SET LOCAL session_replication_role = replica")


def _copy_chunk(table: str, columns: str, buffer: io.StringIO) -> None:
    with transaction.atomic():
        _skip_triggers()
        copy(table, columns, buffer)


def _record_layer(size: int | None, referral_max_id: int, client_max_id: int, now: datetime) -> None:
    if size is None:
        return
    sql(
        "INSERT INTO bench_dashboard_layer VALUES (%s, %s, %s, %s) ON CONFLICT (size) DO UPDATE SET "
        "referral_max_id = excluded.referral_max_id, client_max_id = excluded.client_max_id, "
        "seeded_at = excluded.seeded_at",
        [size, referral_max_id, client_max_id, now],
    )


def shrink(c: Cast, size: int) -> None:
    """Back to an earlier layer: delete the referrals (and clients) added after it."""
    layer = next((layer for layer in layers() if layer[0] == size), None)
    if layer is None:
        raise SystemExit(f"No layer of {size:,} referrals to shrink to; run with --reseed.")
    started = time.perf_counter()
    print(f"Shrinking {AGENCY} to {size:,} referrals (deleting the rows added after) ...", flush=True)
    _delete_referrals_after(c.agency.pk, layer[1], layer[2])
    sql("DELETE FROM bench_dashboard_layer WHERE size > %s", [size])
    print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    vacuum_analyze()


def _delete_referrals_after(agency_id: int, referral_max_id: int, client_max_id: int) -> None:
    above = "SELECT id FROM referrals_referral WHERE agency_id = %s AND id > %s"
    with transaction.atomic():
        for table in ("referrals_followup", "referrals_caseevent", "reports_milestone", "reports_successstory"):
            sql(f"DELETE FROM {table} WHERE referral_id IN ({above})", [agency_id, referral_max_id])  # noqa: S608
        sql(
            f"UPDATE referrals_referral SET reengagement_of_id = NULL WHERE reengagement_of_id IN ({above})",  # noqa: S608
            [agency_id, referral_max_id],
        )
        sql("DELETE FROM referrals_referral WHERE agency_id = %s AND id > %s", [agency_id, referral_max_id])
        sql(
            "DELETE FROM referrals_client c WHERE c.agency_id = %s AND c.id > %s "
            "AND NOT EXISTS (SELECT 1 FROM referrals_referral r WHERE r.client_id = c.id)",
            [agency_id, client_max_id],
        )


def drop_all() -> None:
    """--reseed: remove the agency's referrals and clients and the layers."""
    agency = Agency.objects.filter(name=AGENCY).first()
    if agency is not None:
        print("Removing the seeded referrals and clients ...", flush=True)
        _delete_referrals_after(agency.pk, 0, 0)
    sql("DELETE FROM bench_dashboard_layer")
    sql("DELETE FROM bench_dashboard_anchor")
    sql("DELETE FROM bench_dashboard_result")


def move_forward(c: Cast, now: datetime) -> None:
    """Data seeded on an earlier day: move every moment forward, so that the last 90 days
    before now hold their share of the rows again."""
    before = anchor()
    if before is None or now - before < timedelta(hours=12):
        return
    delta = now - before
    started = time.perf_counter()
    print(f"Moving the data forward by {delta.days} days {delta.seconds // 3600} h (seeded on {before:%Y-%m-%d}) ...")
    with transaction.atomic():
        _skip_triggers()
        sql(
            "UPDATE referrals_referral SET occurred_at = occurred_at + %(d)s, created_at = created_at + %(d)s, "
            "status_changed_at = status_changed_at + %(d)s, accepted_at = accepted_at + %(d)s, "
            "intake_at = intake_at + %(d)s, closed_at = closed_at + %(d)s WHERE agency_id = %(a)s",
            {"d": delta, "a": c.agency.pk},
        )
        sql(
            "UPDATE referrals_followup f SET due_at = due_at + %(d)s, completed_at = completed_at + %(d)s, "
            "created_at = f.created_at + %(d)s FROM referrals_referral r WHERE r.id = f.referral_id "
            "AND r.agency_id = %(a)s",
            {"d": delta, "a": c.agency.pk},
        )
        sql(
            "UPDATE referrals_caseevent e SET created_at = e.created_at + %(d)s FROM referrals_referral r "
            "WHERE r.id = e.referral_id AND r.agency_id = %(a)s",
            {"d": delta, "a": c.agency.pk},
        )
        sql(
            "UPDATE referrals_client SET created_at = created_at + %(d)s WHERE agency_id = %(a)s",
            {"d": delta, "a": c.agency.pk},
        )
        sql("UPDATE bench_dashboard_anchor SET anchor = %s", [now])
    print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    vacuum_analyze()


def prepare(size: int, reseed: bool) -> tuple[Cast, float | None]:
    """Bring the agency to `size` referrals (grow or shrink), then rebuild the rollups if the
    project has them. Returns the agency and how long the rebuild took (None: no command)."""
    c = cast(create=True)
    assert c is not None
    current = agency_referrals(c.agency.pk)
    known = layers()
    top = known[-1] if known else None
    if reseed or (current and top is None) or (top is not None and current < top[0]):
        drop_all()
        current = 0
    elif top is not None and current > top[0]:
        # An interrupted grow: keep the last complete layer.
        shrink(c, top[0])
        current = top[0]
    # The seeded history ends a quarter of an hour ago: casework of the last ten minutes
    # makes every dashboard load recount its days (the refresh's margin), and the quiet
    # phase must not see any. The busy phase writes its own.
    now = timezone.now().replace(microsecond=0) - QUIET
    if anchor() is None:
        sql("INSERT INTO bench_dashboard_anchor VALUES (1, %s)", [now])
    else:
        move_forward(c, now)
    if current > size:
        shrink(c, size)
    else:
        for step in SIZES:
            if current < step <= size:
                grow(c, step, anchor())
                current = step
        if current < size:
            grow(c, size, anchor())
    return c, rebuild_rollups()


def rebuild_rollups() -> float | None:
    if "rollups_rebuild" not in get_commands():
        print("rollups_rebuild: no such command yet, so no rollups to rebuild (the reports read the raw rows)")
        return None
    started = time.perf_counter()
    call_command("rollups_rebuild")
    elapsed = time.perf_counter() - started
    print(f"rollups_rebuild: {elapsed:.1f} s", flush=True)
    # The rollup tables were just rewritten: without autovacuum (see vacuum_analyze) the
    # planner would have no statistics for them, unlike on a server where it runs.
    vacuum_analyze()
    return elapsed


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


DASHBOARD = "GET /reports/dashboard/ (90 days)"
SCORECARD = "partner_scorecard (90 days, direct)"
EXPORT = "POST /reports/export/ (1 month, CSV)"
BUSY = "GET /reports/dashboard/ during casework"
REQUESTS: dict[str, Callable[[Bench], None]] = {DASHBOARD: get_dashboard, SCORECARD: scorecard, EXPORT: post_export}
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
    share = n / max(1, agency_referrals(agency))
    out.append(f"    the 90 days hold {share:.1%} of the agency's referrals (cancelled excluded)")
    return out


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
    for name in (DASHBOARD, BUSY):
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
    for name in (DASHBOARD, BUSY, SCORECARD, EXPORT):
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
    for name in (DASHBOARD, BUSY, SCORECARD, EXPORT):
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
