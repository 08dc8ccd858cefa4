"""No count of 1 to 10 from the partners' treatment records can be worked out by setting figures
a user sees side by side: a total less its parts, a longer period less a shorter one, the agency
less a unit, pathway or partner, the digest against the dashboard, the command page's statuses
against the funnel (reports/metrics/cohorts.py). Each test is a way a reviewer recovered such a
count before: the figures it needs are withheld now. And where every part is none or at least 11,
the figures are shown."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from referrals.models import FollowUp, HeldCharge
from reports.digest import digest_render
from tests.factories.core import UnitFactory, UserFactory
from tests.factories.partners import ServicePartnerFactory
from tests.factories.referrals import JusticeAgencyFactory, OfficerFactory, ReferralFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("America/Phoenix")
# July is running; March to May are counted (from the first of the month after next:
# referrals.models.count_day), June not yet.
NOW = datetime(2026, 7, 8, 12, 0, tzinfo=TZ)
WITHHELD = "—"


@pytest.fixture(autouse=True)
def early_july():
    with time_machine.travel(NOW, tick=False):
        yield


def _referral(officer, partner, when, kind, **fields):
    if kind == "intake":
        fields.update(status="in_progress", accepted_at=when + timedelta(hours=2), intake_at=when + timedelta(hours=20))
    elif kind == "accepted":
        fields.update(status="accepted", accepted_at=when + timedelta(hours=2))
    elif kind == "rejected":
        fields.update(status="rejected", status_reason="no_capacity")
    return ReferralFactory(officer=officer, partner=partner, occurred_at=when, created_at=when, **fields)


def _many(officer, partner, month: int, n: int, kind: str, start: int = 0, **fields) -> list:
    return [
        _referral(officer, partner, datetime(2026, month, 2 + (start + i) % 25, 9, i, tzinfo=TZ), kind, **fields)
        for i in range(n)
    ]


def _held_charge(referral, decider, state: str, deadline: date) -> HeldCharge:
    return HeldCharge.objects.create(
        referral=referral,
        description="Trespass",
        case_number=f"C{referral.pk}",
        deadline=deadline,
        decider=decider,
        state=state,
        counted_state=state,
    )


def _funnel(client, **query) -> dict:
    page = client.get("/reports/dashboard/", query)
    assert page.status_code == 200
    shown = {str(label): value for label, value in page.context["charts"]["funnel_rows"]}
    shown["figures"] = {f.key: f.value for f in page.context["figures"]}
    shown["charges"] = page.context["charges"]
    return shown


def _statuses(client, days: int) -> dict[str, str]:
    body = client.get("/reports/command/", {"days": days}).content.decode()
    table = body[body.index("Where the referrals stand") :]
    table = table[: table.index("</table>")]
    cells = re.findall(r"<tr><td>([^<]+)</td><td[^>]*>([^<]*)</td>", table)
    return {html.unescape(label): html.unescape(n) for label, n in cells}


def test_the_funnel_gives_no_small_rest_away_from_the_exact_logged(cast):
    """15 at intake and 3 declined in May: "Logged 18, Accepted 15" would say 3 were not."""
    officer = OfficerFactory(user=cast.officer_a1)
    _many(officer, cast.partner_y, 5, 15, "intake")
    _many(officer, cast.partner_y, 5, 3, "rejected", start=15)
    page = _funnel(cast.login("command_a"))
    assert page["Logged"] == "18"
    assert (page["Accepted"], page["Intake"], page["figures"]["engagement"]) == (WITHHELD,) * 3
    text = digest_render(agency=cast.agency_a, week_start=date(2026, 6, 29)).text
    assert "- Logged: 18\n- Accepted by a partner: —\n- Reached intake: —" in text


def test_the_command_pages_statuses_give_no_small_status_away_beside_the_funnel(cast):
    """May: 20 sent, 11 accepted, 4 declined, 12 at intake. The funnel's parts are all 11 or
    more, but "Logged" less "Accepted" less "Sent to partner" would be the 4 declined."""
    officer = OfficerFactory(user=cast.officer_a1)
    _many(officer, cast.partner_y, 5, 20, "requested")
    _many(officer, cast.partner_y, 5, 11, "accepted", start=1)
    _many(officer, cast.partner_y, 5, 4, "rejected", start=2)
    _many(officer, cast.partner_y, 5, 12, "intake", start=3)
    client = cast.login("command_a")
    funnel = _funnel(client, start="2026-05", end="2026-05")
    assert (funnel["Logged"], funnel["Accepted"], funnel["Intake"]) == ("47", "23", "12")
    assert set(_statuses(client, 30).values()) == {WITHHELD}


def test_retention_gives_no_small_rest_away_in_the_digest_nor_by_its_bound(cast):
    """20 March intakes, 15 still engaged at 30 days: "15 of 20 due" (or a bound of the rate
    that only 20 due gives) would say 5 were not. The funnel's own figures still show."""
    officer = OfficerFactory(user=cast.officer_a1)
    referrals = _many(officer, cast.partner_y, 3, 20, "intake")
    for referral in referrals[:15]:
        FollowUp.objects.create(
            referral=referral,
            kind="retention_30",
            due_at=referral.intake_at + timedelta(days=30),
            completed_at=referral.intake_at + timedelta(days=30),
            outcome=FollowUp.Outcome.ENGAGED,
        )
    response = cast.login("command_a").get("/reports/dashboard/", {"start": "2026-03", "end": "2026-05"})
    funnel = dict(response.context["charts"]["funnel_rows"])
    figures = {f.key: f.value for f in response.context["figures"]}
    assert (funnel["Intake"], funnel["Retained 30 days"], figures["retention_30"]) == ("20", WITHHELD, WITHHELD)
    assert "data-retention-withheld" in response.content.decode()
    text = digest_render(agency=cast.agency_a, week_start=date(2026, 6, 29)).text
    assert "Still engaged at 30 days: — of — due" in text and "Retention is withheld" in text


@pytest.mark.parametrize("who", ["command_a", "supervisor_a"])
def test_a_longer_period_less_a_shorter_one_gives_no_small_month_away(cast, who):
    """March: 5 at intake of 12 (7 declined); April and May 12 at intake each. March to May
    less April to May would be March's 5."""
    officer = OfficerFactory(user=cast.officer_a1)
    _many(officer, cast.partner_y, 3, 5, "intake")
    _many(officer, cast.partner_y, 3, 7, "rejected", start=5)
    _many(officer, cast.partner_y, 4, 12, "intake")
    _many(officer, cast.partner_y, 5, 12, "intake")
    client = cast.login(who)
    assert _funnel(client, start="2026-04", end="2026-05")["Intake"] == "24"
    for start in ("2026-03", "2026-02"):
        assert _funnel(client, start=start, end="2026-05")["Intake"] == WITHHELD


def test_the_agency_less_a_pathway_gives_no_small_pathway_away(cast):
    """May: 12 officer-prevention deflections at intake, 12 self-referrals of which 4 at
    intake: the agency's 16 less prevention's 12 would be the 4."""
    officer = OfficerFactory(user=cast.officer_a1)
    _many(officer, cast.partner_y, 5, 12, "intake", pathway="officer_prevention")
    _many(officer, cast.partner_y, 5, 4, "intake", start=12, pathway="self_referral")
    _many(officer, cast.partner_y, 5, 8, "rejected", start=16, pathway="self_referral")
    client = cast.login("command_a")
    for pathway in ("", "officer_prevention", "self_referral"):
        page = _funnel(client, start="2026-05", end="2026-05", **({"pathway": pathway} if pathway else {}))
        assert page["Intake"] == WITHHELD, pathway


def test_a_partners_page_less_the_breakdown_by_partner_gives_no_small_partner_away(cast):
    """May: Y 30 at intake, X 12, W 5 of 12 (7 declined). The digest's rows per partner and
    the dashboard filtered to X or Y would give W's 5 from the agency's total."""
    officer = OfficerFactory(user=cast.officer_a1)
    w = ServicePartnerFactory(name="W Detox")
    w.agencies.add(cast.agency_a)
    _many(officer, cast.partner_y, 5, 30, "intake")
    _many(officer, cast.partner_x, 5, 12, "intake")
    _many(officer, w, 5, 5, "intake")
    _many(officer, w, 5, 7, "rejected", start=5)
    client = cast.login("command_a")
    for partner in (None, cast.partner_x.pk, cast.partner_y.pk, w.pk):
        page = _funnel(client, start="2026-05", end="2026-05", **({"partner": partner} if partner else {}))
        assert page["Intake"] == WITHHELD, partner
    text = digest_render(agency=cast.agency_a, week_start=date(2026, 6, 29)).text
    assert "- Reached intake: —" in text and "Intakes per partner are withheld" not in text


def test_a_units_held_charges_less_the_table_by_unit_give_no_small_unit_away(cast):
    """May's held charges: MHST 12 satisfied of 12, East 3 of 12, West 14 of 14. The agency's
    29 satisfied less MHST's page's 12 and West's 14 would be East's 3."""
    decider = JusticeAgencyFactory(agencies=[cast.agency_a])
    units = [cast.unit_a, *(UnitFactory(agency=cast.agency_a, name=name) for name in ("East", "West"))]
    for unit, (held, satisfied) in zip(units, [(12, 12), (12, 3), (14, 14)], strict=True):
        officer = OfficerFactory(user=UserFactory(agency=cast.agency_a, unit=unit))
        for i, referral in enumerate(_many(officer, cast.partner_y, 5, held, "intake", pathway="officer_intervention")):
            _held_charge(referral, decider, "satisfied" if i < satisfied else "not_satisfied", date(2026, 6, 1))
    client = cast.login("command_a")
    for unit in (None, *units):
        page = _funnel(client, start="2026-05", end="2026-05", **({"unit": unit.pk} if unit else {}))
        assert page["charges"]["total"]["satisfied"] == WITHHELD, unit


def test_the_program_views_longer_period_less_its_shorter_one_gives_no_small_month_away(cast):
    """The regional coordinator: March 5 at intake of 12, May 12 at intake; three months less one."""
    officer = OfficerFactory(user=cast.officer_a1)
    _many(officer, cast.partner_y, 3, 5, "intake")
    _many(officer, cast.partner_y, 3, 7, "rejected", start=5)
    _many(officer, cast.partner_y, 5, 12, "intake")
    client = cast.login("coordinator")
    from reports.program_digest import program_digests_send_due

    program_digests_send_due()  # May is published on June 1, the first Monday

    def intake(months: int) -> str:
        table = client.get("/reports/program/", {"months": months}).context["table"]
        row = next(r for r in table.rows if r.label.startswith("Reached intake"))
        return dict(row.cells)[cast.agency_a.name]

    assert intake(1) == "12"
    assert intake(3) == WITHHELD


def test_figures_whose_every_part_is_none_or_at_least_11_are_shown(cast):
    """May: 11 declined, 11 accepted not yet at intake, 12 at intake; held charges 12
    satisfied and 11 pending. Every part is 11 or more: the page shows it all."""
    officer = OfficerFactory(user=cast.officer_a1)
    decider = JusticeAgencyFactory(agencies=[cast.agency_a])
    _many(officer, cast.partner_y, 5, 11, "rejected")
    _many(officer, cast.partner_y, 5, 11, "accepted", start=11)
    at_intake = _many(officer, cast.partner_y, 5, 23, "intake", start=3, pathway="officer_intervention")
    for i, referral in enumerate(at_intake):
        # Deadlines counted by July 8 (from July 1: the first of the month after next).
        _held_charge(referral, decider, "satisfied" if i < 12 else "held", date(2026, 5, 30))
    client = cast.login("command_a")
    page = _funnel(client, start="2026-05", end="2026-05")
    assert (page["Logged"], page["Accepted"], page["Intake"]) == ("45", "34", "23")
    assert (page["charges"]["total"]["satisfied"], page["charges"]["total"]["pending"]) == ("12", "11")


def test_the_dashboard_less_the_consented_rows_of_the_export_gives_no_clients_outcome_away(cast):
    """May: 22 referrals with a consent to the agency (11 at intake, 11 accepted), whose rows
    the export shows one by one, and one client without a consent, at intake. The month's own
    parts are big (23 accepted, 12 at intake), but 12 less the 11 consented would be the one."""
    from tests.factories.referrals import consent_on_record

    officer = OfficerFactory(user=cast.officer_a1)
    consented = _many(officer, cast.partner_y, 5, 11, "intake") + _many(officer, cast.partner_y, 5, 11, "accepted")
    for referral in consented:
        consent_on_record(referral, scope="status_outcomes", discloser=cast.partner_y, captured_by=cast.case_manager_y)
    _referral(officer, cast.partner_y, datetime(2026, 5, 28, 9, tzinfo=TZ), "intake")
    page = _funnel(cast.login("command_a"), start="2026-05", end="2026-05")
    assert (page["Logged"], page["Accepted"], page["Intake"]) == ("23", WITHHELD, WITHHELD)


def test_the_page_says_when_only_the_period_before_is_withheld(cast):
    """April and May shown; February and March, beside them, withheld: the page says so."""
    officer = OfficerFactory(user=cast.officer_a1)
    _many(officer, cast.partner_y, 3, 5, "intake")
    _many(officer, cast.partner_y, 3, 7, "rejected", start=5)
    _many(officer, cast.partner_y, 4, 12, "intake")
    _many(officer, cast.partner_y, 5, 12, "intake")
    response = cast.login("command_a").get("/reports/dashboard/", {"start": "2026-04", "end": "2026-05"})
    engagement = next(f for f in response.context["figures"] if f.key == "engagement")
    assert (engagement.value, engagement.previous) == ("100%", WITHHELD)
    page = response.content.decode()
    assert "data-before-withheld" in page and "data-treatment-withheld" not in page
