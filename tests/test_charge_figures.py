"""The charges held in abeyance, counted: one definition (reports/metrics), the rollups equal
to it and to the held charges themselves, shown on the dashboard and in the digest by the
small-numbers rule (treatment records), and in the evaluation export and its codebook."""

from __future__ import annotations

import csv
import io
import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from referrals import services
from referrals.models import HeldCharge, Pathway, Referral
from reports import export, metrics
from reports.dashboard import charge_rows
from reports.digest import digest_render
from reports.metrics import charges
from reports.rollups import rollups_rebuild
from tests.conftest import has_word
from tests.factories.core import UnitFactory, UserFactory
from tests.factories.referrals import JusticeAgencyFactory, OfficerFactory, ReferralFactory, officers_of_every_unit

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("America/Phoenix")
H = HeldCharge.State


def _charge(referral: Referral, attorney, state: str, rnd: random.Random) -> HeldCharge:
    engaged = rnd.random() < 0.4
    return HeldCharge.objects.create(
        referral=referral,
        description="Trespass",
        case_number=f"PV-{referral.pk}",
        condition="engaged_days" if engaged else "intake",
        engaged_days=30 if engaged else None,
        deadline=referral.occurred_at.astimezone(TZ).date() + timedelta(days=30),
        decider=attorney,
        state=state,
        counted_state=state,
    )


@pytest.fixture
def history(cast):
    """A quarter of deflections around midnight (Phoenix), a third of them officer interventions
    with a charge held in every state; some cancelled (not counted), some without a charge."""
    rnd = random.Random(18)
    patrol, officers = officers_of_every_unit(cast)
    attorney = JusticeAgencyFactory(agencies=[cast.agency_a])
    start = datetime(2026, 8, 1, tzinfo=TZ)
    for n in range(150):
        when = start + timedelta(days=rnd.randrange(80), hours=rnd.choice([0, 1, 12, 23]), minutes=rnd.randrange(60))
        intervention = rnd.random() < 0.6
        referral = ReferralFactory(
            officer=rnd.choice(officers),
            partner=rnd.choice([cast.partner_x, cast.partner_y]),
            pathway=Pathway.OFFICER_INTERVENTION if intervention else rnd.choice(Pathway.values),
            occurred_at=when,
            created_at=when,
            status=rnd.choice(["requested", "accepted", "in_progress", "cancelled"]),
            # Names no page has otherwise: a generated one can be a word of it ("May", a month).
            client__last_name=f"Quillfeather{n}",
        )
        if intervention and rnd.random() < 0.8:
            _charge(
                referral, attorney, rnd.choice([H.HELD, H.SATISFIED, H.SATISFIED, H.NOT_SATISFIED, H.WITHDRAWN]), rnd
            )
    rollups_rebuild(agency=cast.agency_a)
    return {"patrol": patrol, "attorney": attorney}


def _scopes(cast, patrol):
    a = cast.agency_a.pk
    quarter = (datetime(2026, 8, 1, tzinfo=TZ), datetime(2026, 11, 1, tzinfo=TZ))
    return [
        metrics.Scope(a, *quarter),
        metrics.Scope(a, datetime(2026, 9, 1, tzinfo=TZ), datetime(2026, 10, 1, tzinfo=TZ)),
        metrics.Scope(a, *quarter, unit_id=patrol.pk),
        metrics.Scope(a, *quarter, partner_id=cast.partner_y.pk),
        metrics.Scope(a, *quarter, pathway=Pathway.OFFICER_INTERVENTION),
        metrics.Scope(a, datetime(2026, 8, 10, tzinfo=TZ), datetime(2026, 8, 24, tzinfo=TZ), unit_id=patrol.pk),
    ]


def _counted_from_the_charges(scope: metrics.Scope) -> charges.Charges:
    """An oracle apart from the definition: the held charges of the scope's deflections, by state
    as counted (HeldCharge.counted_state)."""
    found = HeldCharge.objects.filter(referral__in=metrics.deflections_qs(scope).values("pk")).aggregate(
        held=Count("pk", filter=~Q(counted_state=H.WITHDRAWN)),
        satisfied=Count("pk", filter=Q(counted_state=H.SATISFIED)),
        not_satisfied=Count("pk", filter=Q(counted_state=H.NOT_SATISFIED)),
        pending=Count("pk", filter=Q(counted_state=H.HELD)),
    )
    return charges.Charges(**found)


def test_the_figures_from_the_rollups_equal_the_definitions_and_the_charges_themselves(cast, history):
    for scope in _scopes(cast, history["patrol"]):
        oracle = _counted_from_the_charges(scope)
        assert charges.charges_of(metrics.totals_from_referrals(scope)) == oracle
        assert charges.charges_of(metrics.totals_from_rollups(scope, TZ)) == oracle
        months, units = charges.months_and_units(scope, zone=TZ)
        assert charges.months_and_units_from_rollups(scope, TZ) == (months, units)
        assert sum(c.held for _m, c in months) == sum(c.held for c in units.values()) == oracle.held
        assert oracle.held == oracle.satisfied + oracle.not_satisfied + oracle.pending
    # Not a trivial equality: the quarter holds charges in every state, by several units.
    quarter = _counted_from_the_charges(_scopes(cast, history["patrol"])[0])
    assert min(quarter.satisfied, quarter.not_satisfied, quarter.pending) > 0
    assert len(charges.months_and_units(_scopes(cast, history["patrol"])[0], zone=TZ)[1]) == 3


def test_the_rollups_follow_a_charges_decision_until_its_count_day(cast, history):
    """Decided before the count day of its deadline's end (the first of the month after next),
    a charge is counted so; decided after it, it stays counted as it stood (police know its
    deadline: a figure that moved after it would tell whether the person entered treatment)."""
    held = HeldCharge.objects.filter(state=H.HELD, referral__status="in_progress").select_related("referral")
    # Deadlines from October 31 on: counted from January 1. Before September 30: by November 1.
    october = [c for c in held if c.deadline >= date(2026, 10, 31)]
    earlier = [c for c in held if c.deadline < date(2026, 9, 30)]
    assert october and earlier
    scope = metrics.Scope(cast.agency_a.pk, datetime(2026, 8, 1, tzinfo=TZ), datetime(2026, 11, 1, tzinfo=TZ))
    before = charges.charges_of(metrics.totals_from_rollups(scope, TZ))
    for charge in (october[0], earlier[0]):
        Referral.objects.filter(pk=charge.referral_id).update(
            intake_at=charge.referral.occurred_at + timedelta(hours=5)
        )
    with time_machine.travel(datetime(2026, 11, 20, 9, tzinfo=TZ), tick=False):
        services.held_charge_satisfy(charge_id=october[0].pk, actor=cast.admin)
        services.held_charge_satisfy(charge_id=earlier[0].pk, actor=cast.admin)
    # Counted again from the referrals: the fixture's rollups are counted up to today.
    rollups_rebuild(agency=cast.agency_a)
    after = charges.charges_of(metrics.totals_from_rollups(scope, TZ))
    assert (after.satisfied, after.pending) == (before.satisfied + 1, before.pending - 1)
    assert HeldCharge.objects.get(pk=earlier[0].pk).state == H.SATISFIED


def test_small_counts_show_as_under_11_and_cannot_be_worked_out_from_the_totals():
    month = date(2026, 9, 1)
    figures = charges.ChargeFigures(
        total=charges.Charges(held=15, satisfied=12, not_satisfied=2, pending=1),
        months=[(month, charges.Charges(15, 12, 2, 1))],
        units={1: charges.Charges(13, 11, 1, 1), 0: charges.Charges(2, 1, 1, 0)},
    )
    shown = charge_rows(figures, unit_names={1: "MHST"})
    total = shown["total"]
    # 15 held exactly, 2 and 1 as <11.
    assert (total["held"], total["not_satisfied"], total["pending"]) == ("15", "<11", "<11")
    # Each unit has at least one not satisfied (its "<11"), so the total's is at least 2, and
    # its pending at least 1: with the 12 satisfied shown, 15 - 12 = 3 would pin both.
    assert total["satisfied"] == "—" and total["share"] == "—"
    mhst, no_unit = shown["units"]
    assert mhst["label"] == "MHST" and no_unit["held"] == "<11"
    # The unit of 13 would tell the other's 2 from the total of 15: withheld.
    assert mhst["held"] == "—"


def test_the_dashboard_shows_the_charges_by_month_and_unit_without_a_client(cast, history):
    page = cast.login("command_a").get("/reports/dashboard/?start=2026-08-01&end=2026-10-31").content.decode()
    table = page[page.index('id="charges-by-month"') : page.index("</table>", page.index('id="charges-by-month"'))]
    assert "August 2026" in table and "October 2026" in table
    assert 'id="charges-by-unit"' in page and "Patrol" in page
    assert 'data-figure="charges_satisfied"' in page
    # The headline's share is the table's total row's: it tells no more than the table.
    response = cast.login("command_a").get("/reports/dashboard/?start=2026-08-01&end=2026-10-31")
    headline = next(f for f in response.context["figures"] if f.key == "charges_satisfied")
    assert headline.value == response.context["charges"]["total"]["share"]
    for referral in Referral.objects.filter(held_charge__isnull=False)[:10]:
        assert not has_word(page, referral.client.last_name)
        assert referral.held_charge.case_number not in page


def test_the_digest_tells_the_charges_of_the_months_counted(cast):
    attorney = JusticeAgencyFactory(agencies=[cast.agency_a])
    rnd = random.Random(3)
    # September is counted from November 1, its charges (deadlines in October) from December 1:
    # the first digest after it tells them.
    monday = date(2026, 12, 7)
    for day in range(25):
        referral = ReferralFactory(
            officer__user=cast.officer_a1,
            partner=cast.partner_y,
            pathway=Pathway.OFFICER_INTERVENTION,
            occurred_at=datetime(2026, 9, 1, 12, tzinfo=TZ) + timedelta(days=day),
        )
        _charge(referral, attorney, H.SATISFIED if day < 12 else H.HELD, rnd)
    rendered = digest_render(agency=cast.agency_a, week_start=monday, now=datetime(2026, 12, 14, 8, tzinfo=TZ))
    assert "What the partners recorded, August 2026 to October 2026" in rendered.text
    assert "Charges held in abeyance (held / satisfied" in rendered.text
    lines = rendered.text.split("Charges held in abeyance", 1)[1].splitlines()
    month = next(line for line in lines if line.startswith("- September 2026"))
    assert month == "- September 2026: 25 / 12 / 0 / 13, n<11", lines  # 12 decided: a share of so few is not given
    assert 'data-section="charges"' in rendered.html
    # The months and the units are two groups of rows, each said.
    assert lines[1] == "By month:" and "By unit:" in lines
    assert lines.index("By unit:") > lines.index(month)
    # 14 held, 12 satisfied and 2 pending: "0 not satisfied" beside the 14 held would tell the
    # 2, and so would the share. A part of 1 to 10: the whole table is withheld.
    for referral in Referral.objects.filter(held_charge__state=H.HELD).order_by("occurred_at")[:11]:
        referral.held_charge.delete()
    rendered = digest_render(agency=cast.agency_a, week_start=monday, now=datetime(2026, 12, 14, 8, tzinfo=TZ))
    lines = rendered.text.split("Charges held in abeyance", 1)[1].splitlines()
    month = next(line for line in lines if line.startswith("- September 2026"))
    assert month == "- September 2026: — / — / — / —, —", lines
    assert "Withheld (—): in one of these months between 1 and 10 of the charges were" in rendered.text
    assert "data-charges-withheld" in rendered.html
    assert '<th scope="rowgroup" colspan="6"' in rendered.html


def test_the_export_and_its_codebook_say_whether_a_charge_was_held_and_how_it_ended(cast, history):
    scope = metrics.Scope(cast.agency_a.pk, datetime(2026, 8, 1, tzinfo=TZ), datetime(2026, 11, 1, tzinfo=TZ))
    content, count = export.as_csv(scope, whole_record=True)
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig").split("\n", 1)[1])))
    assert len(rows) == count == metrics.logged(scope).count()
    outcomes = {row["charge_outcome"] for row in rows}
    assert outcomes == {"", "held", "satisfied", "not_satisfied", "withdrawn"}
    # The agency's own export: how a charge was decided only under the client's consent.
    content, _count = export.as_csv(scope, whole_record=False)
    agency_rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig").split("\n", 1)[1])))
    assert {row["charge_outcome"] for row in agency_rows} == {"", "not_shared", "withdrawn"}
    assert {row["charge_condition"] for row in rows} == {"", "intake", "engaged 30 days"}
    assert all((row["charge_held"] == "yes") == bool(row["charge_outcome"]) for row in rows)
    codebook = cast.login("command_a").get(reverse("reports:codebook") + "?download=1").content.decode()
    for word in ("charge_held", "charge_condition", "charge_outcome", "Charges held in abeyance"):
        assert word in codebook


def test_the_dashboards_charges_cost_the_same_queries_however_many_there_are(cast, history):
    client = cast.login("command_a")
    url = "/reports/dashboard/?start=2026-08-01&end=2026-10-31"
    client.get(url)  # the session's first request does its own bookkeeping

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    few = queries()
    rnd = random.Random(5)
    patrol = history["patrol"]
    officer = OfficerFactory(user=UserFactory(agency=cast.agency_a, unit=UnitFactory(agency=cast.agency_a)))
    for day in range(20):
        referral = ReferralFactory(
            officer=officer,
            partner=cast.partner_y,
            pathway=Pathway.OFFICER_INTERVENTION,
            occurred_at=datetime(2026, 8, 3, 9, tzinfo=TZ) + timedelta(days=4 * day),
        )
        _charge(referral, history["attorney"], rnd.choice([H.HELD, H.SATISFIED, H.NOT_SATISFIED]), rnd)
    rollups_rebuild(agency=cast.agency_a)
    assert queries() == few
    assert patrol.name in client.get(url).content.decode()


def test_a_months_charges_wait_until_every_one_of_them_is_counted(cast):
    """September: 25 charges with October deadlines (counted from December 1) and one with a
    deadline of November 15 (counted from January 1). On December 8 September's partners'
    records are shown, its charges not: one decided on November 16 would have moved the table
    the day after police knew that deadline had passed."""
    attorney = JusticeAgencyFactory(agencies=[cast.agency_a])
    rnd = random.Random(5)
    referrals = []
    for day in range(26):
        referral = ReferralFactory(
            officer__user=cast.officer_a1,
            partner=cast.partner_y,
            pathway=Pathway.OFFICER_INTERVENTION,
            occurred_at=datetime(2026, 9, 1, 12, tzinfo=TZ) + timedelta(days=day),
        )
        referrals.append(referral)
        _charge(referral, attorney, H.SATISFIED if day < 12 else H.HELD, rnd)
    HeldCharge.objects.filter(referral=referrals[-1]).update(deadline=date(2026, 11, 15))
    pages = {}
    for when in (datetime(2026, 12, 8, 9, tzinfo=TZ), datetime(2027, 1, 2, 9, tzinfo=TZ)):
        with time_machine.travel(when, tick=False):
            response = cast.login("command_a").get("/reports/dashboard/", {"start": "2026-09", "end": "2026-09"})
        pages[when.month] = response
    december, january = pages[12], pages[1]
    assert december.context["charges"]["total"]["held"] == "—" and december.context["charges"]["deciding"]
    assert "data-charges-deciding" in december.content.decode()
    assert january.context["charges"]["total"]["held"] == "26" and not january.context["charges"]["deciding"]
    assert "data-charges-deciding" not in january.content.decode()
