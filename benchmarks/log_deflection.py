"""Benchmark the officer's hot path at agency scale: log a deflection, search a client.

Run by hand (not in CI, not collected by pytest), against PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/deflection_bench .venv/bin/python benchmarks/log_deflection.py

It creates the database if missing, migrates it, and seeds two agencies once (reused on
the next run): a large one (50,000 clients, 100,000 referrals) that is timed, and a small
one (5,000 clients, 10,000 referrals) that shows whether query counts grow with the data.
Requests go through django.test.Client in-process: the whole Django stack (middleware,
session, auth, form, service, template), without a network or a WSGI server in between.

Targets: p95 of the log-a-deflection POST and of the client search at most 50 ms and at
most 4x the floor (the cheapest signed-in request); p95 of My deflections, of the officer's
home (the log form) and of the Wins below it at most 4x the floor; query counts that do not
depend on the size of the data.
"""

from __future__ import annotations

import argparse
import os
import random
import string
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The test settings: SECRET_KEY set, the fast password hasher, locmem email.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
# django.test.Client sends Host: testserver.
os.environ["ALLOWED_HOSTS"] = "testserver"

import django  # noqa: E402
from bench_common import (  # noqa: E402
    ensure_database,
    machine,
    percentile,
    print_results,
    query_counts,
    targets_met,
    timed_in_turn,
)

django.setup()

from django.contrib.messages.storage.cookie import CookieStorage  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import F  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from faker import Faker  # noqa: E402

from deflection.models import Agency, Program, Unit, User  # noqa: E402
from partners.models import ServicePartner  # noqa: E402
from referrals import search  # noqa: E402
from referrals.models import CaseEvent, Client, Need, Officer, OfficerContact, Pathway, Referral, Substance  # noqa: E402
from referrals.services import officer_for_user  # noqa: E402
from referrals.submission import submission_token_new  # noqa: E402

BATCH = 5000
PROGRAM = "Benchmark program"
TARGET_MS = 50.0
TARGET_RATIO = 4.0


@dataclass(frozen=True)
class Scale:
    key: str
    agency: str
    clients: int
    referrals: int
    officers: int
    own_referrals: int  # of the signed-in officer: what My deflections lists


LARGE = Scale("large", "Bench County Sheriff's Office", 50_000, 100_000, 400, 2_000)
SMALL = Scale("small", "Bench Town Police Department", 5_000, 10_000, 40, 200)


# -- database and data -------------------------------------------------------------------


def seeded(scale: Scale) -> bool:
    agency = Agency.objects.filter(name=scale.agency).first()
    if agency is None:
        return False
    referrals = Referral.objects.filter(agency=agency, submission_token__isnull=True).count()
    return referrals == scale.referrals and Client.objects.filter(agency=agency).count() == scale.clients


def program_admin() -> User:
    """The benchmark program's administrator, who makes the API benchmarks' integration clients."""
    admin, _created = User.objects.update_or_create(
        username="bench-program-admin",
        defaults={"role": User.Role.PROGRAM_ADMIN, "program": Program.objects.get(name=PROGRAM), "badge_number": ""},
    )
    return admin


def drop_agency(name: str) -> None:
    """Remove an agency and its rows, children first (the foreign keys PROTECT)."""
    agency = Agency.objects.filter(name=name).first()
    if agency is None:
        return
    Referral.objects.filter(agency=agency).delete()
    Client.objects.filter(agency=agency).delete()
    Officer.objects.filter(agency=agency).delete()
    User.objects.filter(agency=agency).delete()
    ServicePartner.objects.filter(name__startswith=f"{name} ·").delete()
    agency.delete()


def seed(scale: Scale, rnd: random.Random) -> None:
    """One agency laid out like a real one: units, partners, officers, clients, referrals."""
    started = time.perf_counter()
    print(f"Seeding {scale.agency}: {scale.clients:,} clients, {scale.referrals:,} referrals ...", flush=True)
    with transaction.atomic():
        drop_agency(scale.agency)
        # Its own program, as every agency has one (its rows never mix with a real program).
        program, _created = Program.objects.get_or_create(name=PROGRAM)
        agency = Agency.objects.create(name=scale.agency, program=program)
        units = [Unit.objects.create(agency=agency, name=n) for n in ("MHST", *(f"District {i}" for i in range(1, 8)))]
        partners = []
        for i, (kind, is_24_7) in enumerate(
            [
                (ServicePartner.Kind.MAT_CLINIC, True),
                (ServicePartner.Kind.CRISIS_CENTRE, True),
                (ServicePartner.Kind.DETOX, True),
                (ServicePartner.Kind.MAT_CLINIC, False),
                (ServicePartner.Kind.MENTAL_HEALTH, False),
                (ServicePartner.Kind.HOUSING, False),
                (ServicePartner.Kind.PEER_SUPPORT, False),
                (ServicePartner.Kind.DEFLECTION_TEAM, False),
            ]
        ):
            partner = ServicePartner.objects.create(
                name=f"{scale.agency} · partner {i + 1}", kind=kind, is_24_7=is_24_7
            )
            partner.agencies.add(agency)
            partners.append(partner)
        user = User.objects.create(
            username=f"bench-{scale.key}", role=User.Role.OFFICER, agency=agency, unit=units[0], badge_number="B-1"
        )
        me = officer_for_user(user=user)
        others = Officer.objects.bulk_create(
            Officer(agency=agency, unit=rnd.choice(units), badge_number=f"B-{i}", display_name=f"Officer {i}")
            for i in range(2, scale.officers + 1)
        )
        client_ids = _seed_clients(agency, scale.clients, rnd)
        _seed_referrals(agency, scale, me, others, client_ids, partners, rnd)
    with connection.cursor() as cursor:
        # A reseed leaves the agency's old rows dead (108,000 referrals and as many events
        # here), and a developer's PostgreSQL may run without autovacuum (this one did).
        cursor.execute("VACUUM ANALYZE")
    print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)


def _seed_clients(agency: Agency, n: int, rnd: random.Random) -> list[int]:
    fakes = [Faker("en_US"), Faker("es_MX")]
    for i, fake in enumerate(fakes):
        fake.seed_instance(1000 + i)
    today = date.today()
    street = ["Flaca", "Güero", "Sleepy", "Tex", "Shorty", "Red", "Boots", "Smokey", "Gordo", "Chuy", "Bird"]
    ids: list[int] = []
    for start in range(0, n, BATCH):
        batch = []
        for _ in range(min(BATCH, n - start)):
            fake = fakes[1] if rnd.random() < 0.35 else fakes[0]
            client = Client(
                agency=agency,
                first_name=fake.first_name(),
                last_name=fake.last_name(),
                aliases=rnd.choice(street) if rnd.random() < 0.2 else "",
                date_of_birth=today - timedelta(days=rnd.randint(18 * 366, 75 * 365)),
                preferred_language="es" if fake is fakes[1] and rnd.random() < 0.45 else "en",
            )
            client.refresh_search_name()
            batch.append(client)
        ids += [c.pk for c in Client.objects.bulk_create(batch)]
    return ids


def _seed_referrals(
    agency: Agency,
    scale: Scale,
    me: Officer,
    others: list[Officer],
    client_ids: list[int],
    partners: list[ServicePartner],
    rnd: random.Random,
) -> None:
    now = timezone.now()
    # Three years of history; a few clients come back many times (re-engagement).
    cum, total = [], 0.0
    for rank in range(len(client_ids)):
        total += 1 / (rank + 20)
        cum.append(total)
    shuffled = client_ids[:]
    rnd.shuffle(shuffled)
    mine = set(rnd.sample(range(scale.referrals), scale.own_referrals))
    statuses = ["completed"] * 3 + ["in_progress"] * 3 + ["failed"] * 2 + ["rejected", "cancelled", "accepted"]
    pathways = Pathway.values
    for start in range(0, scale.referrals, BATCH):
        batch = []
        for i in range(start, min(start + BATCH, scale.referrals)):
            occurred = now - timedelta(minutes=rnd.randint(60, 3 * 365 * 24 * 60))
            status = rnd.choice(statuses)
            batch.append(
                Referral(
                    client_id=rnd.choices(shuffled, cum_weights=cum)[0],
                    officer=me if i in mine else rnd.choice(others),
                    agency=agency,
                    partner=rnd.choice(partners),
                    pathway=rnd.choice(pathways),
                    occurred_at=occurred,
                    location=f"Beat {rnd.randint(1, 60)}",
                    presenting_needs=sorted(rnd.sample([Need.SUBSTANCE_USE, Need.HOUSING, Need.MENTAL_HEALTH], 2)),
                    substances=[rnd.choice([Substance.FENTANYL, Substance.METHAMPHETAMINE, Substance.ALCOHOL])],
                    naloxone_administered=rnd.random() < 0.1,
                    charge_deflected="Possession of drug paraphernalia" if rnd.random() < 0.4 else "",
                    warm_handoff=rnd.random() < 0.5,
                    officer_minutes=rnd.randint(15, 90),
                    status=status,
                    # Half the cancellings the officer's own: the officer's pages read the flag.
                    cancelled_by_officer=status == "cancelled" and i % 2 == 0,
                    status_changed_at=occurred,
                    created_by=me.user if i in mine else None,
                )
            )
        Referral.objects.bulk_create(batch)
        # The `created` event each referral has; the other events do not touch these views.
        CaseEvent.objects.bulk_create(
            CaseEvent(referral=r, kind=CaseEvent.Kind.CREATED, to_status="requested") for r in batch
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def forget_benchmark_rows(scale: Scale) -> None:
    """What the benchmark logged itself carries a submission token: referrals, and contacts
    (a client logged again while a referral to that partner is open). Drop them, so the data
    keeps its size from run to run."""
    OfficerContact.objects.filter(referral__agency__name=scale.agency, submission_token__isnull=False).delete()
    Referral.objects.filter(agency__name=scale.agency, submission_token__isnull=False).delete()


# -- requests ----------------------------------------------------------------------------


@dataclass
class Context:
    scale: Scale
    user: User
    browser: HttpClient
    client_ids: list[int]
    partner_ids: list[int]
    people: list[tuple[int, str, str, str, date | None]]
    rnd: random.Random
    found: list[bool] = field(default_factory=list)


def context_for(scale: Scale, rnd: random.Random) -> Context:
    user = User.objects.get(username=f"bench-{scale.key}")
    browser = HttpClient()
    browser.force_login(user)
    clients = Client.objects.filter(agency=user.agency)
    sample = list(clients.order_by("?").values_list("id", "first_name", "last_name", "aliases", "date_of_birth")[:2000])
    return Context(
        scale=scale,
        user=user,
        browser=browser,
        client_ids=list(clients.values_list("id", flat=True)),
        partner_ids=list(ServicePartner.objects.filter(agencies=user.agency).values_list("id", flat=True)),
        people=sample,
        rnd=rnd,
    )


def typo(word: str, rnd: random.Random) -> str:
    """One letter changed (not the first: people rarely get that wrong)."""
    if len(word) < 3:
        return word
    i = rnd.randrange(1, len(word))
    return word[:i] + rnd.choice(string.ascii_lowercase.replace(word[i].lower(), "")) + word[i + 1 :]


QUERY_KINDS = ("exact", "swapped", "typo", "typing", "last name", "alias", "birth date")


def search_query(ctx: Context, kind: str) -> tuple[str, int | None]:
    """What an officer types looking for a seeded client, and which client that is (if one)."""
    rnd = ctx.rnd
    pk, first, last, aliases, dob = rnd.choice(ctx.people)
    if kind == "exact":
        return f"{first} {last}", pk
    if kind == "swapped":
        return (f"{last}, {first}" if rnd.random() < 0.5 else f"{last} {first}"), pk
    if kind == "typo":
        return (f"{typo(first, rnd)} {last}" if rnd.random() < 0.4 else f"{first} {typo(last, rnd)}"), pk
    if kind == "typing":
        # What htmx posts while the officer is still typing (a request per pause).
        return f"{first} {last[: rnd.randint(1, 3)]}", None
    if kind == "last name":
        return last, None
    if kind == "alias":
        return rnd.choice([p for p in ctx.people if p[3]] or ctx.people)[3] or last, None
    if kind == "birth date" and dob:
        return f"{dob:%m/%d/%Y}", None
    return f"{first} {last}", pk


def log_form(ctx: Context) -> dict:
    """A full, valid log-a-deflection form for a known client, as the phone posts it."""
    rnd = ctx.rnd
    data = {
        # Signed with the time the form was shown, as the page makes it: the save checks it.
        "submission_token": submission_token_new(),
        "search": "",
        "client": str(rnd.choice(ctx.client_ids)),
        "first_name": "",
        "last_name": "",
        "date_of_birth": "",
        "aliases": "",
        "phone": "",
        "preferred_language": "en",
        "pathway": rnd.choice(Pathway.values),
        "partner": str(rnd.choice(ctx.partner_ids)),
        "presenting_needs": ["substance_use", "housing"],
        "substances": ["fentanyl"],
        "warm_handoff": "on",
        "charge_deflected": "Possession of drug paraphernalia" if rnd.random() < 0.4 else "",
        "officer_minutes": str(rnd.randint(15, 90)),
        "note": "",
        "occurred_at": "",
        "location": f"Beat {rnd.randint(1, 60)}",
    }
    if rnd.random() < 0.1:
        data["naloxone_administered"] = "on"
    return data


def form_post(ctx: Context, path: str, data: dict):
    """POST as the phone does: the log form has no file field, so the browser (and htmx)
    sends it URL-encoded, not as the multipart body django.test.Client makes by default."""
    return ctx.browser.post(path, urlencode(data, doseq=True), content_type="application/x-www-form-urlencoded")


def post_log(ctx: Context):
    response = form_post(ctx, "/log/", log_form(ctx))
    if response.status_code != 302:
        form = response.context["form"] if response.context else None
        raise SystemExit(f"The log-a-deflection POST did not save: {form.errors if form else response.status_code}")
    # A phone follows the redirect, and the page it lands on shows (and so drops) the
    # "Deflection logged" messages. Not following it, the cookie would keep every message
    # of the run, and each POST would decode and re-sign a full 4 kB cookie of them.
    ctx.browser.cookies.pop(CookieStorage.cookie_name, None)
    return response


def post_search(ctx: Context, kind: str | None = None):
    kind = kind or ctx.rnd.choice(QUERY_KINDS)
    query, expected = search_query(ctx, kind)
    response = form_post(ctx, "/log/clients/", {"search": query})
    assert response.status_code == 200, response.status_code
    if expected is not None:
        # Did the person we were looking for come up? (Each result is a radio with its id.)
        ctx.found.append(f'value="{expected}"' in response.content.decode())
    return response


def get_mine(ctx: Context):
    response = ctx.browser.get("/mine/")
    assert response.status_code == 200, response.status_code
    return response


def get_log_form(ctx: Context):
    # The officer's home: the log form, with the partners (their recent ones first), the
    # held-charge fields and the count of possible duplicates to answer; the Wins below it
    # come by htmx (get_wins).
    response = ctx.browser.get("/log/")
    assert response.status_code == 200, response.status_code
    return response


def get_wins(ctx: Context):
    # The Wins section below the log form, as htmx fetches it once it scrolls into view.
    response = ctx.browser.get("/reports/wins/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200, response.status_code
    return response


def get_home(ctx: Context):
    # The cheapest signed-in request there is: session, user, a redirect to the role's home.
    response = ctx.browser.get("/")
    assert response.status_code == 302, response.status_code
    return response


def post_empty_search(ctx: Context):
    # The search view with nothing to search: session, user, CSRF check and the template,
    # the fixed cost of a signed-in POST that renders, without the search itself.
    response = form_post(ctx, "/log/clients/", {"search": ""})
    assert response.status_code == 200, response.status_code
    return response


def get_menu_page(ctx: Context):
    # The smallest signed-in page there is: the base template with the officer's menu and a
    # two-choice form, reading nothing but the user. What any page costs before its own content.
    response = ctx.browser.get("/accounts/language/")
    assert response.status_code == 200, response.status_code
    return response


def durable_write(ctx: Context):
    # Not a view: one row written and committed through the ORM. With synchronous_commit
    # on (the default, and right for case records), COMMIT waits for the WAL to reach the
    # disk; a request that saves anything pays this, a redirect does not.
    with transaction.atomic():
        Agency.objects.filter(pk=ctx.user.agency_id).update(name=F("name"))


VIEWS: dict[str, Callable[[Context], object]] = {
    "floor: GET / (signed in, redirect)": get_home,
    "POST /log/ (log a deflection)": post_log,
    "POST /log/clients/ (search)": post_search,
    "GET /mine/ (My deflections)": get_mine,
    "GET /log/ (the officer's home)": get_log_form,
    "GET /reports/wins/ (Wins, htmx)": get_wins,
}
HOT_PATH = ("POST /log/ (log a deflection)", "POST /log/clients/ (search)")
PAGES = ("GET /mine/ (My deflections)", "GET /log/ (the officer's home)", "GET /reports/wins/ (Wins, htmx)")
# Timed with the views, for judging the targets; not targets themselves.
REFERENCES: dict[str, Callable[[Context], object]] = {
    "ref: POST /log/clients/, empty search": post_empty_search,
    "ref: GET a page with the menu only": get_menu_page,
    "ref: one row UPDATE + COMMIT, no HTTP": durable_write,
}


def counted(ctx: Context, request: Callable[[Context], object]) -> tuple[int, int]:
    """The fewest and the most queries of 40 requests, in a fresh session: once a minute a
    signed-in request also saves the session (its idle time) and reads the menu's counts
    again (cached a minute), whatever the data's size; a count starting at a random moment of
    that minute would now and then take them in."""
    ctx.browser.force_login(ctx.user)
    return query_counts(partial(request, ctx), 40)


def timed(ctx: Context, request: Callable[[Context], object], n: int, warmup: int) -> list[float]:
    return timed_in_turn({"one": partial(request, ctx)}, n, warmup)["one"]


def explain_searches(ctx: Context) -> None:
    """EXPLAIN ANALYZE the search SQL for one query of each kind (--explain)."""
    for kind in QUERY_KINDS:
        query, _expected = search_query(ctx, kind)
        with CaptureQueriesContext(connection) as captured:
            search.client_search_for_officer(user=ctx.user, query=query)
        sql = next(q["sql"] for q in captured.captured_queries if "referrals_client" in q["sql"])
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        print(f"\n--- {kind}: {query!r}\n{sql}\n{plan}")


def compare_search_variants(contexts: dict[str, Context], n: int = 140) -> None:
    """--variants: the search as it is, against the same search with a plain `agency_id = X`.

    With the plain condition PostgreSQL may read a smaller agency's clients through the
    agency's btree index and run the trigram functions on every one of them (see
    referrals.search._by_name_scope).
    """
    from referrals.search import _trigram_steps, parse_search_query

    kinds = ("exact", "swapped", "typo", "typing", "last name", "alias")
    print(f"\nSearch compared on {n} name queries ({', '.join(kinds)}), selector only (no HTTP):")
    print(f"  {'agency':<7} {'variant':<30} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}  found (of 8 shown)")
    for key, ctx in contexts.items():
        queries = [search_query(ctx, kind) for kind in kinds for _ in range(n // len(kinds))]

        def plain(query: str, ctx: Context = ctx) -> list[Client]:
            name, _dob = parse_search_query(query)
            plain_agency = Client.objects.filter(agency_id=ctx.user.agency_id, identity_removed_at=None)
            return [match.client for match in _trigram_steps(plain_agency, name, 8)]

        variants: dict[str, Callable[[str], list[Client]]] = {
            "today (search)": lambda q, ctx=ctx: search.client_search_for_officer(user=ctx.user, query=q),
            "plain agency_id = X": plain,
        }
        for label, run in variants.items():
            times, hits, asked = [], 0, 0
            for query, expected in queries:
                started = time.perf_counter()
                ids = [c.pk for c in run(query)]
                times.append((time.perf_counter() - started) * 1000)
                if expected is not None:
                    asked += 1
                    hits += expected in ids
            found = f"{hits / asked:.0%}" if asked else "-"
            print(
                f"  {key:<7} {label:<30} {percentile(times, 50):7.1f} {percentile(times, 95):7.1f} "
                f"{max(times):7.1f}  {found}"
            )


# -- report ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--requests", type=int, default=200, help="timed requests per view")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per view first")
    parser.add_argument("--reseed", action="store_true", help="seed again even if the data is there")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the search SQL")
    parser.add_argument(
        "--variants", action="store_true", help="compare the search with a plain agency condition, in both agencies"
    )
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set DATABASE_URL=postgres://...: the targets are for PostgreSQL.")
    ensure_database(url)
    call_command("migrate", verbosity=0)
    rnd = random.Random(2026)
    for scale in (SMALL, LARGE):
        if args.reseed or not seeded(scale):
            seed(scale, rnd)
        forget_benchmark_rows(scale)

    contexts = {scale.key: context_for(scale, random.Random(7)) for scale in (SMALL, LARGE)}
    large = contexts["large"]
    print(f"\n{datetime.now():%Y-%m-%d %H:%M} · {machine()}")
    print(
        f"Timed on {LARGE.agency}: {LARGE.clients:,} clients, {LARGE.referrals:,} referrals "
        f"({Referral.objects.count():,} in the database); {args.requests} requests per view after "
        f"{args.warmup} warm-up\n"
    )

    results = {}
    times = timed_in_turn(
        {name: partial(request, large) for name, request in {**VIEWS, **REFERENCES}.items()}, args.requests, args.warmup
    )
    for name, request in {**VIEWS, **REFERENCES}.items():
        results[name] = (
            percentile(times[name], 50),
            percentile(times[name], 95),
            counted(contexts["small"], request),
            counted(large, request),
        )
    floor_p95 = results["floor: GET / (signed in, redirect)"][1]

    print_results(results, floor_p95)
    print("\nSearch by what was typed: p50 / p95 ms, and how often the person typed came up (of 8 shown):")
    for kind in QUERY_KINDS:
        large.found = []
        times = timed(large, lambda ctx, kind=kind: post_search(ctx, kind), max(50, args.requests // 4), 5)
        found = f"found {sum(large.found) / len(large.found):4.0%}" if large.found else ""
        print(f"  {kind:<12} {percentile(times, 50):6.1f} / {percentile(times, 95):6.1f}  {found}")
    small_ctx = contexts["small"]
    small_ctx.found = []
    times = timed(small_ctx, post_search, args.requests, args.warmup)
    print(
        f"  all kinds, in {SMALL.agency} ({SMALL.clients:,} clients): "
        f"{percentile(times, 50):.1f} / {percentile(times, 95):.1f}"
        f"  found {sum(small_ctx.found) / max(1, len(small_ctx.found)):.0%}"
    )

    print("\nTargets:")
    ok = targets_met(
        results, floor_p95, hot_path=HOT_PATH, pages=PAGES, counted=VIEWS, target_ms=TARGET_MS, ratio=TARGET_RATIO
    )

    if args.variants:
        compare_search_variants(contexts)
    if args.explain:
        explain_searches(large)
    for scale in (SMALL, LARGE):
        forget_benchmark_rows(scale)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
