"""The dashboard benchmark's data: two agencies of the same shape, 100k and 1M referrals, seeded with COPY.

Imported by dashboard.py after django.setup(). Each referral's history is laid out by
referrals.demo.lifecycle, as the services would have written it; see README.md for the shape
of the data and why it moves forward in time.
"""

from __future__ import annotations

import bisect
import hashlib
import io
import json
import random
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from deflection.models import Agency, Program, Unit, User
from partners.models import ServicePartner
from referrals.demo.lifecycle import History
from referrals.models import FollowUp, Officer, Referral, count_day, normalize_name

ROOT = Path(__file__).resolve().parent.parent
SIZES = (100_000, 1_000_000)  # referrals of each agency
CHUNK = 50_000  # referrals per COPY and commit
YEARS = 3
QUIET = timedelta(minutes=15)
HOUR = 3600.0
DAY = 24 * HOUR
# What the rollups are made by: when it changes, the rollups are rebuilt.
ROLLUP_CODE = ("reports/rollups.py", "reports/rollup_models.py")

# The benchmark's own bookkeeping, in its own database (not a Django model).
META_SQL = """
CREATE TABLE IF NOT EXISTS bench_dashboard_seed (
    size integer PRIMARY KEY,          -- the agency's referrals, all in: the seed is complete
    agency_id bigint NOT NULL,
    seeded_at timestamptz NOT NULL,
    rollups text                       -- the rollup code of its last rebuild (NULL: none since seeded or moved)
);
CREATE TABLE IF NOT EXISTS bench_dashboard_anchor (
    id integer PRIMARY KEY CHECK (id = 1),
    anchor timestamptz NOT NULL        -- "now" of the seeded data: nothing happens after it
);
"""


def label(size: int) -> str:
    return f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1000}k"


def agency_name(size: int) -> str:
    return f"Dash {label(size)} County Sheriff's Office"


def username(size: int, who: str) -> str:
    return f"dash-{label(size).lower()}-{who}"


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
    size: int  # the agency's referrals once seeded
    agency: Agency
    command: User
    officer_ids: list[int]
    officer_weights: list[float]
    partner_ids: list[int]
    case_manager_ids: dict[int, int]  # partner id -> the user who accepts its referrals
    officer_users: dict[int, int]  # officer id -> their user (who answers the feedback)


def cast(size: int) -> Cast:
    """The agency of `size` referrals and its people, made if missing. Both agencies draw their
    officers and weights from the same seeds: the same shape, only the referrals differ."""
    name = agency_name(size)
    agency = Agency.objects.filter(name=name).first() or create_agency(size)
    rnd = random.Random(11)
    officers = list(Officer.objects.filter(agency=agency).order_by("pk").values_list("pk", flat=True))
    partners = list(
        ServicePartner.objects.filter(name__startswith=f"{name} ·").order_by("name").values_list("pk", flat=True)
    )
    return Cast(
        size=size,
        agency=agency,
        command=User.objects.get(username=username(size, "command")),
        # A few officers deflect a lot, most a little (as in the field).
        officer_ids=officers,
        officer_weights=[rnd.lognormvariate(0, 0.9) for _ in officers],
        partner_ids=partners,
        case_manager_ids=dict(User.objects.filter(partner_id__in=partners).values_list("partner_id", "pk")),
        officer_users=dict(Officer.objects.filter(agency=agency).values_list("pk", "user_id")),
    )


def create_agency(size: int) -> Agency:
    name = agency_name(size)
    with transaction.atomic():
        # Its own program, as every agency has one (its rows never mix with a real program).
        program, _created = Program.objects.get_or_create(name="Benchmark program")
        agency = Agency.objects.create(name=name, kind=Agency.Kind.SHERIFF, program=program)
        units = [Unit.objects.create(agency=agency, name=n) for n in ("MHST", *(f"District {i}" for i in range(1, 8)))]
        for i, (kind, is_24_7, *_rest) in enumerate(PARTNERS):
            partner = ServicePartner.objects.create(name=f"{name} · partner {i + 1}", kind=kind, is_24_7=is_24_7)
            partner.agencies.add(agency)
            User.objects.create(
                username=username(size, f"partner-{i + 1}"), role=User.Role.CASE_MANAGER, partner=partner, email=""
            )
        User.objects.create(username=username(size, "command"), role=User.Role.COMMAND, agency=agency)
        rnd = random.Random(5)
        # Each officer with their user: the feedback is theirs.
        users = User.objects.bulk_create(
            User(username=username(size, f"officer-{i}"), role=User.Role.OFFICER, agency=agency, email="")
            for i in range(1, 401)
        )
        Officer.objects.bulk_create(
            Officer(
                agency=agency,
                user=user,
                unit=rnd.choice(units),
                badge_number=f"D-{i}",
                display_name=f"Officer {i:03d}",
                is_active=rnd.random() > 0.05,
            )
            for i, user in enumerate(users, start=1)
        )
    return agency


# -- referrals (COPY) ----------------------------------------------------------------------------


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
    "reengagement_of_id, created_at, seconds_to_log, incident_number, cancelled_by_officer, "
    "counted_status, counted_status_reason, counted_accepted_at, counted_intake_at"
)
FEEDBACK_COLUMNS = "id, referral_id, officer_id, ease, comment, answered_at"
OBSTACLE_COLUMNS = "feedback_id, kind"
FEEDBACK_SHARE = 0.4  # of referrals with the officer's feedback (answered or skipped)
EASES = ["easier"] * 5 + ["same"] * 3 + ["harder"] * 2 + [""] * 2  # "" a skip
OBSTACLES = ["no_answer", "partner_slow", "no_partner", "transport", "client_refused", "form", "other"]
FOLLOW_UP_COLUMNS = "kind, due_at, completed_at, outcome, note, created_at, assigned_to_id, referral_id"
EVENT_COLUMNS = "referral_id, actor_id, kind, from_status, to_status, reason, note, note_key, note_params, created_at"
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


def seed(c: Cast, now: datetime) -> None:
    """The agency's referrals (and their clients, about one for two referrals), spread over
    the three years before `now`, in time order. The last chunk's commit records the seed."""
    n = c.size
    started = time.perf_counter()
    print(f"Seeding {c.agency.name}: {n:,} referrals ...", flush=True)
    rnd = random.Random(n)
    names = Names(rnd)
    m = n // 2
    referral_base = sql("SELECT coalesce(max(id), 0) FROM referrals_referral")[0][0]
    feedback_id = sql("SELECT coalesce(max(id), 0) FROM buyin_officerfeedback")[0][0]
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

    zone = ZoneInfo(c.agency.timezone)
    officer_cum = _cumulative(c.officer_weights)
    partner_cum = _cumulative([p[2] for p in PARTNERS])
    last_of_client: dict[int, tuple[int, str, datetime | None]] = {}
    referrals, follow_ups, events, feedback, obstacles = (io.StringIO() for _ in range(5))
    counts = {"follow_ups": 0, "events": 0}
    for i, (client, occurred) in enumerate(zip(assigned, times, strict=True)):
        pk = referral_base + 1 + i
        officer = c.officer_ids[bisect.bisect(officer_cum, rnd.random() * officer_cum[-1])]
        p = bisect.bisect(partner_cum, rnd.random() * partner_cum[-1])
        partner = c.partner_ids[p]
        manager = c.case_manager_ids.get(partner)
        history = History(
            created_at=min(now, occurred + timedelta(seconds=rnd.uniform(60, 1800))),
            creator=None,
            now=now,
            counted_until=count_day(occurred, zone),
        )
        lifecycle(rnd, occurred, history, PARTNERS[p], manager)
        # A client's later referral points at their latest earlier one, unless its officer
        # cancelled that one before (the seed's cancellings are all the officers' own).
        earlier = last_of_client.get(client)
        reengagement = None
        cancelled_before = earlier is not None and earlier[1] == "cancelled" and (earlier[2] or occurred) < occurred
        if earlier is not None and not cancelled_before:
            reengagement = earlier[0]
        last_of_client[client] = (pk, history.status, history.closed_at)
        counted = history.counted
        needs = json.dumps(sorted(rnd.sample(NEEDS[:3], 2) if rnd.random() < 0.8 else rnd.sample(NEEDS, 3)))
        substances = json.dumps(rnd.sample(SUBSTANCES, rnd.choice([1, 1, 1, 2])))
        charge = rnd.choice(CHARGES) if rnd.random() < 0.35 else ""
        for e in history.case_events():
            events.write(
                f"{pk}\t{nul(e.actor)}\t{e.kind}\t{e.from_status}\t{e.to_status}\t{e.reason}\t{e.note}\t"
                f"{e.note_key}\t{json.dumps(e.note_params)}\t{ts(e.created_at)}\n"
            )
            counts["events"] += 1
        referrals.write(
            f"{pk}\t{client_base + 1 + client}\t{officer}\t{c.agency.pk}\t{partner}\t{rnd.choice(PATHWAYS)}\t"
            f"{ts(occurred)}\tBeat {rnd.randint(1, 60)}\t{needs}\t{substances}\t"
            f"{'t' if rnd.random() < 0.08 else 'f'}\t{charge}\t{'t' if rnd.random() < 0.55 else 'f'}\t"
            f"{rnd.randint(15, 120)}\t\t{history.status}\t{history.reason}\t{ts(history.changed_at)}\t{history.note}\t"
            f"{nul(history.accepted_by)}\t{ts(history.accepted_at)}\t{ts(history.intake_at)}\t"
            f"{ts(history.closed_at)}\t{nul(reengagement)}\t{ts(history.created_at)}\t"
            # From opening the form to saving it: about a minute, a few take many.
            f"{round(70 * rnd.lognormvariate(0, 0.6))}\t\t{'t' if history.status == 'cancelled' else 'f'}\t"
            f"{counted.get('counted_status', 'requested')}\t{counted.get('counted_status_reason', '')}\t"
            f"{ts(counted.get('counted_accepted_at'))}\t{ts(counted.get('counted_intake_at'))}\n"
        )
        if rnd.random() < FEEDBACK_SHARE:
            feedback_id += 1
            ease = rnd.choice(EASES)
            answered = history.created_at + timedelta(seconds=rnd.uniform(5, 60))
            feedback.write(f"{feedback_id}\t{pk}\t{c.officer_users[officer]}\t{ease}\t\t{ts(answered)}\n")
            for kind in rnd.sample(OBSTACLES, rnd.choice([0, 0, 0, 1, 1, 2])) if ease else []:
                obstacles.write(f"{feedback_id}\t{kind}\n")
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
                copy("buyin_officerfeedback", FEEDBACK_COLUMNS, feedback)
                copy("buyin_feedbackobstacle", OBSTACLE_COLUMNS, obstacles)
                if i + 1 == n:
                    sql("INSERT INTO bench_dashboard_seed VALUES (%s, %s, %s, NULL)", [n, c.agency.pk, now])
            referrals, follow_ups, events, feedback, obstacles = (io.StringIO() for _ in range(5))
            elapsed = time.perf_counter() - started
            print(
                f"  {i + 1:,} referrals, {counts['follow_ups']:,} follow-ups, {counts['events']:,} case events: "
                f"{elapsed:.0f} s",
                flush=True,
            )
    sql("SELECT setval(pg_get_serial_sequence('referrals_referral', 'id'), (SELECT max(id) FROM referrals_referral))")
    sql("SELECT setval(pg_get_serial_sequence('referrals_client', 'id'), (SELECT max(id) FROM referrals_client))")
    sql(
        "SELECT setval(pg_get_serial_sequence('buyin_officerfeedback', 'id'), "
        "(SELECT coalesce(max(id), 1) FROM buyin_officerfeedback))"
    )
    elapsed = time.perf_counter() - started
    print(f"  seeded {n:,} referrals in {elapsed:.0f} s ({n / elapsed:,.0f} referrals/s)", flush=True)


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


def delete_rows(agency_id: int) -> None:
    """The agency's referrals and clients and all that hangs on them."""
    of_agency = "SELECT id FROM referrals_referral WHERE agency_id = %s"
    with transaction.atomic():
        sql(
            "DELETE FROM buyin_feedbackobstacle WHERE feedback_id IN (SELECT id FROM buyin_officerfeedback "  # noqa: S608
            f"WHERE referral_id IN ({of_agency}))",
            [agency_id],
        )
        tables = ("buyin_officerfeedback", "referrals_followup", "referrals_caseevent")
        for table in (*tables, "reports_milestone", "reports_successstory"):
            sql(f"DELETE FROM {table} WHERE referral_id IN ({of_agency})", [agency_id])  # noqa: S608
        sql("UPDATE referrals_referral SET reengagement_of_id = NULL WHERE agency_id = %s", [agency_id])
        sql("DELETE FROM referrals_referral WHERE agency_id = %s", [agency_id])
        sql("DELETE FROM referrals_client WHERE agency_id = %s", [agency_id])
        sql("DELETE FROM bench_dashboard_seed WHERE agency_id = %s", [agency_id])


def move_forward(agency_ids: list[int], now: datetime) -> bool:
    """Data seeded on an earlier day: move every moment forward, so that the last 90 days
    before now hold their share of the rows again. Their rollups are then rebuilt. Whether
    anything moved."""
    before = anchor()
    if before is None or now - before < timedelta(hours=12):
        return False
    delta = now - before
    started = time.perf_counter()
    print(f"Moving the data forward by {delta.days} days {delta.seconds // 3600} h (seeded on {before:%Y-%m-%d}) ...")
    with transaction.atomic():
        _skip_triggers()
        sql(
            "UPDATE referrals_referral SET occurred_at = occurred_at + %(d)s, created_at = created_at + %(d)s, "
            "status_changed_at = status_changed_at + %(d)s, accepted_at = accepted_at + %(d)s, "
            "intake_at = intake_at + %(d)s, closed_at = closed_at + %(d)s, "
            "counted_accepted_at = counted_accepted_at + %(d)s, counted_intake_at = counted_intake_at + %(d)s "
            "WHERE agency_id = ANY(%(a)s)",
            {"d": delta, "a": agency_ids},
        )
        sql(
            "UPDATE referrals_followup f SET due_at = due_at + %(d)s, completed_at = completed_at + %(d)s, "
            "created_at = f.created_at + %(d)s FROM referrals_referral r WHERE r.id = f.referral_id "
            "AND r.agency_id = ANY(%(a)s)",
            {"d": delta, "a": agency_ids},
        )
        sql(
            "UPDATE referrals_caseevent e SET created_at = e.created_at + %(d)s FROM referrals_referral r "
            "WHERE r.id = e.referral_id AND r.agency_id = ANY(%(a)s)",
            {"d": delta, "a": agency_ids},
        )
        sql(
            "UPDATE buyin_officerfeedback f SET answered_at = f.answered_at + %(d)s FROM referrals_referral r "
            "WHERE r.id = f.referral_id AND r.agency_id = ANY(%(a)s)",
            {"d": delta, "a": agency_ids},
        )
        sql(
            "UPDATE referrals_client SET created_at = created_at + %(d)s WHERE agency_id = ANY(%(a)s)",
            {"d": delta, "a": agency_ids},
        )
        sql("UPDATE bench_dashboard_anchor SET anchor = %s", [now])
        sql("UPDATE bench_dashboard_seed SET rollups = NULL")
    print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    return True


def prepare(*, reseed: bool, rebuild: bool) -> tuple[list[Cast], dict[int, float]]:
    """Both agencies seeded, at today's dates, with their rollups rebuilt where the data or
    the rollup code changed since (or `rebuild`). Returns the agencies, smallest first, and
    the seconds each rebuild took."""
    if sql("SELECT to_regclass('bench_dashboard_layer')")[0][0]:
        raise SystemExit("This database holds the one-agency benchmark's data: drop it (dropdb) and run again.")
    casts = [cast(size) for size in SIZES]
    if reseed:
        sql("DELETE FROM bench_dashboard_seed")
    seeded = {size for (size,) in sql("SELECT size FROM bench_dashboard_seed")}
    for c in casts:
        if c.size not in seeded:
            delete_rows(c.agency.pk)  # an interrupted seed's, or --reseed
    # The seeded history ends a quarter of an hour ago: casework of the last ten minutes
    # makes every dashboard load recount its days (the refresh's margin), and the quiet
    # phase must not see any. The busy phase writes its own.
    now = timezone.now().replace(microsecond=0) - QUIET
    if not seeded:
        sql("DELETE FROM bench_dashboard_anchor")
        sql("INSERT INTO bench_dashboard_anchor VALUES (1, %s)", [now])
    moved = move_forward([c.agency.pk for c in casts if c.size in seeded], now)
    for c in casts:
        if c.size not in seeded:
            seed(c, anchor())
    if moved or len(seeded) < len(casts):
        vacuum_analyze()
    return casts, rebuild_rollups(casts, rebuild)


def rollup_code() -> str:
    """What the rollups were made by: the code that writes them and the migrations applied."""
    digest = hashlib.sha256()
    for path in ROLLUP_CODE:
        digest.update((ROOT / path).read_bytes())
    digest.update(repr(sql("SELECT app, name FROM django_migrations ORDER BY id")).encode())
    return digest.hexdigest()[:16]


def rebuild_rollups(casts: list[Cast], force: bool) -> dict[int, float]:
    """manage.py rollups_rebuild for each agency whose data or rollup code changed since its
    last rebuild (or all, if `force`): the reports read the rollups."""
    code = rollup_code()
    fresh = {size for (size,) in sql("SELECT size FROM bench_dashboard_seed WHERE rollups = %s", [code])}
    seconds = {}
    for c in casts:
        if c.size in fresh and not force:
            continue
        started = time.perf_counter()
        call_command("rollups_rebuild", agency=c.agency.pk)
        seconds[c.size] = time.perf_counter() - started
        sql("UPDATE bench_dashboard_seed SET rollups = %s WHERE size = %s", [code, c.size])
        print(f"rollups_rebuild of {c.agency.name}: {seconds[c.size]:.1f} s", flush=True)
    if seconds:
        # The rollup tables were just rewritten: without autovacuum (see vacuum_analyze) the
        # planner would have no statistics for them, unlike on a server where it runs.
        vacuum_analyze()
    return seconds
