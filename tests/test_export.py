"""The evaluation export: one row per referral, and nothing that identifies a client."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from referrals import police_disclosure, services
from referrals.models import FollowUp, HeldCharge, Referral
from reports.export import COLUMNS, pseudonym
from reports.models import ExportRecord
from tests.factories.core import UnitFactory
from tests.factories.partners import ServicePartnerFactory
from tests.factories.referrals import (
    ClientFactory,
    OfficerFactory,
    ReferralFactory,
    consent_given,
    intervention_charge,
)

pytestmark = pytest.mark.django_db
PHOENIX = ZoneInfo("America/Phoenix")  # the cast agencies' zone (the factory's default)


@pytest.fixture
def data(cast):
    officer = OfficerFactory(user=cast.officer_a1)
    people = [
        ClientFactory(
            agency=cast.agency_a,
            first_name="Marisol",
            last_name="Quintanilla",
            aliases="Sol",
            phone="520-555-0142",
            date_of_birth=date(1990, 5, 17),
        ),
        ClientFactory(
            agency=cast.agency_a,
            first_name="Old",
            last_name="Timer",
            phone="520-555-0199",
            date_of_birth=date(1930, 1, 2),
        ),
    ]
    first = ReferralFactory(
        officer=officer,
        client=people[0],
        partner=cast.partner_y,
        occurred_at=datetime(2026, 3, 31, 23, 30, tzinfo=PHOENIX),
        note="Met her behind the pharmacy on 5th street",
        location="5th and Main",
        charge_deflected="Possession",
    )
    services.referral_accept(referral_id=first.pk, actor=cast.case_manager_y)
    again = ReferralFactory(
        officer=officer,
        client=people[0],
        partner=cast.partner_x,
        occurred_at=datetime(2026, 4, 20, 10, tzinfo=PHOENIX),
        reengagement_of=first,
    )
    old = ReferralFactory(
        officer=officer, client=people[1], partner=cast.partner_y, occurred_at=datetime(2026, 4, 2, tzinfo=PHOENIX)
    )
    ReferralFactory(
        officer=OfficerFactory(user=cast.officer_b),
        partner=cast.partner_y,
        occurred_at=datetime(2026, 4, 2, tzinfo=PHOENIX),
    )
    return people, [first, again, old]


def _csv(cast, who="command_a", **extra) -> list[dict]:
    response = cast.login(who).post(
        "/reports/export/", {"start": "2026-03", "end": "2026-04", "file_format": "csv", **extra}
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith('"# This information has been disclosed to you from records protected')
    return list(csv.DictReader(io.StringIO("\n".join(lines[1:]))))


def test_one_row_per_referral_of_the_agency_with_months_bands_and_labels(cast, data):
    people, (first, again, old) = data
    rows = _csv(cast)
    assert len(rows) == 3  # agency B's referral is not in agency A's export
    by_month = sorted((r["month_logged"], r["pathway"], r["age_band"]) for r in rows)
    assert by_month == [
        ("2026-03", "Officer prevention referral", "35-39"),
        ("2026-04", "Officer prevention referral", "35-39"),
        ("2026-04", "Officer prevention referral", "90+"),
    ]
    first_row = next(r for r in _csv(cast, "program_admin", agency=cast.agency_a.pk) if r["month_logged"] == "2026-03")
    assert first_row["accepted"] == "yes" and first_row["charge_deflected"] == "yes"
    assert first_row["status_code"] == "accepted" and first_row["status"] == "Accepted"
    assert first_row["treatment_record"] == "all"


def test_the_same_client_has_the_same_pseudonym_and_reengagement_is_marked(cast, data):
    rows = _csv(cast)
    marisol = [r for r in rows if r["age_band"] == "35-39"]
    assert marisol[0]["client_id"] == marisol[1]["client_id"] != ""
    assert sorted(r["reengagement"] for r in marisol) == ["no", "yes"]
    assert _csv(cast)[0]["client_id"] == rows[0]["client_id"]  # stable across exports


def test_the_export_holds_no_identifying_column_or_value(cast, data):
    people, referrals = data
    for rows in (_csv(cast), _xlsx_rows(cast)):
        columns = set(rows[0])
        for forbidden in (
            "name",
            "first_name",
            "last_name",
            "date_of_birth",
            "dob",
            "phone",
            "address",
            "note",
            "location",
            "aliases",
        ):
            assert forbidden not in columns
        values = {str(v) for row in rows for v in row.values()}
        for person in people:
            for identifying in (
                person.first_name,
                person.last_name,
                person.full_name,
                person.phone,
                person.aliases,
                person.date_of_birth.isoformat(),
                person.date_of_birth.strftime("%m/%d/%Y"),
            ):
                if identifying:
                    assert identifying not in values
        assert not any("pharmacy" in v or "Main" in v for v in values)


def _xlsx_rows(cast) -> list[dict]:
    response = cast.login("admin").post(
        "/reports/export/", {"start": "2026-03", "end": "2026-04", "file_format": "xlsx", "agency": cast.agency_a.pk}
    )
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    sheet = list(book["referrals"].iter_rows(values_only=True))
    assert "42 CFR part 2" in book["notice"].cell(2, 1).value
    assert [c[0] for c in list(book["codebook"].iter_rows(values_only=True))[1:]] == [c.name for c in COLUMNS]
    return [dict(zip(sheet[0], row, strict=True)) for row in sheet[1:]]


def test_each_export_is_recorded(cast, data):
    _csv(cast)
    record = ExportRecord.objects.get()
    assert (record.user, record.agency, record.file_format, record.rows) == (cast.command_a, cast.agency_a, "csv", 3)
    assert record.filters == {"from": "2026-03", "to": "2026-04"}


def test_months_entered_the_wrong_way_round_export_the_months_between_and_the_list_says_what(cast, data):
    """April to March is March to April, as the dashboard takes it; the recent exports list says
    which dataset each was."""
    rows = _csv(cast, start="2026-04", end="2026-03")
    assert len(rows) == 3
    response = cast.login("command_a").post(
        "/reports/export/", {"start": "2026-04", "end": "2026-03", "file_format": "csv"}
    )
    assert "deflection-evaluation-2026-03-to-2026-04.csv" in response["Content-Disposition"]
    assert ExportRecord.objects.first().filters == {"from": "2026-03", "to": "2026-04"}
    cast.login("command_a").post(
        "/reports/export/", {"start": "2026-03", "end": "2026-04", "file_format": "csv", "dataset": "process"}
    )
    page = cast.login("command_a").get("/reports/export/").content.decode()
    recent = page[page.index("Recent exports") :]
    assert "one row per referral" in recent and "process evaluation" in recent
    assert "March 2026 to April 2026" in recent and "2026-03" not in recent


def test_the_export_honours_the_dashboards_filters_and_records_them(cast, data):
    people, (first, again, old) = data
    only_x = _csv(cast, partner=cast.partner_x.pk)
    assert [r["referral_id"] for r in only_x] == [pseudonym("referral", again.pk)]
    assert len(_csv(cast, partner=cast.partner_y.pk, unit=cast.unit_a.pk, pathway="officer_prevention")) == 2
    assert _csv(cast, pathway="naloxone_plus") == []
    patrol = UnitFactory(agency=cast.agency_a, name="Patrol")
    assert _csv(cast, unit=patrol.pk) == []
    records = list(ExportRecord.objects.order_by("pk").values_list("filters", "rows"))
    assert records[0] == (
        {"from": "2026-03", "to": "2026-04", "partner": {"id": cast.partner_x.pk, "name": "X Recovery Clinic"}},
        1,
    )
    assert records[1] == (
        {
            "from": "2026-03",
            "to": "2026-04",
            "unit": {"id": cast.unit_a.pk, "name": "MHST"},
            "pathway": "officer_prevention",
            "partner": {"id": cast.partner_y.pk, "name": "Y 24/7 MAT Clinic"},
        },
        2,
    )
    assert records[2] == ({"from": "2026-03", "to": "2026-04", "pathway": "naloxone_plus"}, 0)


def _options(page: str, name: str) -> dict[str, str]:
    """The choices of a select on the page, label by value."""
    select = re.search(rf'<select name="{name}"[^>]*id="id_{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, f"no {name} select"
    return {label.strip(): value for value, label in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)<', select[1])}


def test_the_export_page_offers_the_dashboards_filters_and_they_narrow_the_file(cast, data):
    people, (first, again, old) = data
    patrol = UnitFactory(agency=cast.agency_a, name="Patrol")
    UnitFactory(agency=cast.agency_b, name="Traffic")
    ServicePartnerFactory(name="Z Detox", agencies=[cast.agency_b])
    page = cast.login("command_a").get("/reports/export/").content.decode()
    for name, label in (("unit", "Unit"), ("pathway", "Pathway"), ("partner", "Partner")):
        assert re.search(rf"<label\s[^>]*for=\"id_{name}\"[^>]*>\s*{label}\s*<", page), name  # every filter labelled
    units, partners = _options(page, "unit"), _options(page, "partner")
    # The agency's own units and partners, none of another agency's, and "all" first.
    assert list(units) == ["All units", "MHST", "Patrol"]
    assert list(partners) == ["All partners", "Y 24/7 MAT Clinic", "X Recovery Clinic"]
    assert _options(page, "pathway")["Naloxone plus"] == "naloxone_plus"
    # What the page offers is what the export takes: one partner, then a unit with none.
    only_x = _csv(cast, partner=partners["X Recovery Clinic"])
    assert [r["referral_id"] for r in only_x] == [pseudonym("referral", again.pk)]
    assert _csv(cast, unit=units["Patrol"]) == []
    assert len(_csv(cast, unit=units["All units"], partner=partners["All partners"])) == 3
    assert units["Patrol"] == str(patrol.pk)


def test_a_filter_from_another_agency_is_refused(cast, data):
    elsewhere = ServicePartnerFactory(name="Z Detox", agencies=[cast.agency_b])
    other_unit = UnitFactory(agency=cast.agency_b, name="Traffic")
    for bad in ({"partner": elsewhere.pk}, {"unit": other_unit.pk}, {"pathway": "arrest"}):
        response = cast.login("command_a").post(
            "/reports/export/", {"start": "2026-03", "end": "2026-04", "file_format": "csv", **bad}
        )
        assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert not ExportRecord.objects.exists()


def test_the_export_costs_the_same_queries_for_more_rows(cast, data):
    people, (first, again, old) = data

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert len(_csv(cast)) > 0
        return len(captured)

    before = count()
    officer = first.officer
    for day in range(1, 29):
        referral = ReferralFactory(
            officer=officer, partner=cast.partner_y, occurred_at=datetime(2026, 4, day, 9, tzinfo=PHOENIX)
        )
        services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    assert count() == before


def test_retention_columns_say_yes_no_or_not_due(cast, data):
    people, (first, again, old) = data
    intake = datetime(2026, 4, 1, 9, tzinfo=PHOENIX)
    Referral.objects.filter(pk=first.pk).update(status="in_progress", intake_at=intake)
    FollowUp.objects.create(referral=first, kind="retention_30", due_at=intake, completed_at=intake, outcome="engaged")
    FollowUp.objects.create(
        referral=first, kind="retention_60", due_at=intake, completed_at=intake, outcome="not_engaged"
    )
    rows = _csv(cast, "program_admin", agency=cast.agency_a.pk)
    row = next(r for r in rows if r["referral_id"] == pseudonym("referral", first.pk))
    assert (row["retained_30"], row["retained_60"], row["hours_to_intake"]) == ("yes", "no", "9.5")
    assert row["retained_90"] in ("no", "not due")
    assert next(r for r in rows if r["referral_id"] == pseudonym("referral", old.pk))["retained_30"] == ""


TREATMENT = ("status_reason", "accepted", "hours_to_accept", "intake", "hours_to_intake", "retained_30", "retained_60")


def _row_of(rows: list[dict], referral: Referral) -> dict:
    return next(r for r in rows if r["referral_id"] == pseudonym("referral", referral.pk))


def _in_treatment(referral: Referral, cast) -> None:
    """Accepted (by the data), then intake and a 30-day check found engaged, by the partner's case manager."""
    intake = datetime(2026, 4, 2, 9, tzinfo=PHOENIX)
    services.referral_record_intake(referral_id=referral.pk, actor=cast.case_manager_y, intake_at=intake)
    check = FollowUp.objects.get(referral=referral, kind="retention_30")
    services.follow_up_complete(follow_up_id=check.pk, actor=cast.case_manager_y, outcome="engaged")


def test_command_staff_get_only_what_the_clients_consent_shares_with_the_agency(cast, data):
    people, (first, again, old) = data
    _in_treatment(first, cast)
    # Without consent police know the partner has it and whether it is open (42 CFR Part 2).
    row = _row_of(_csv(cast, "command_a"), first)
    shown = (row["treatment_record"], row["status_code"], row["status"])
    assert shown == ("none", "open", "Received by partner · open")
    assert all(row[column] == "" for column in TREATMENT), row
    # The program administrator's export holds the record itself.
    whole = _row_of(_csv(cast, "program_admin", agency=cast.agency_a.pk), first)
    assert (whole["treatment_record"], whole["status_code"], whole["intake"], whole["retained_30"]) == (
        "all",
        "in_progress",
        "yes",
        "yes",
    )
    # The client consents to share status and outcomes with the agency: the row shows them.
    consent_given(first, cast.case_manager_y)
    row = _row_of(_csv(cast, "command_a"), first)
    assert (row["treatment_record"], row["status_code"], row["accepted"], row["intake"], row["retained_30"]) == (
        "status_and_outcomes",
        "in_progress",
        "yes",
        "yes",
        "yes",
    )


def test_a_consent_to_share_the_status_only_shows_status_and_acceptance(cast, data):
    people, (first, again, old) = data
    consent_given(first, cast.case_manager_y, scope="status_only")
    row = _row_of(_csv(cast, "command_a"), first)
    assert (row["treatment_record"], row["status_code"], row["accepted"], row["intake"]) == (
        "status",
        "accepted",
        "yes",
        "",
    )


def test_what_was_recorded_after_the_consent_ended_is_not_shown(cast, data):
    people, (first, again, old) = data
    consent = consent_given(first, cast.case_manager_y)
    services.consent_revoke(consent_id=consent.pk, actor=cast.case_manager_y, note="Asked in person")
    _in_treatment(first, cast)
    row = _row_of(_csv(cast, "command_a"), first)
    # Accepted while the consent ran (the officer's page says so too); the intake came after.
    assert (row["treatment_record"], row["accepted"], row["status_code"], row["intake"]) == (
        "status_and_outcomes",
        "yes",
        "open",
        "",
    )
    assert row["hours_to_intake"] == row["retained_30"] == ""


def test_without_consent_a_closing_reads_closed_as_on_the_officer_s_page(cast, data):
    """Declined, or cancelled by the partner: the partner's closings, "Closed" to police.
    Cancelled by the referring officer: their own act, named with its reason."""
    people, (first, again, old) = data
    services.referral_reject(referral_id=again.pk, actor=cast.case_manager_x, reason="no_capacity")
    services.referral_cancel(referral_id=old.pk, actor=cast.case_manager_y, reason="withdrawn")
    rows = _csv(cast, "command_a")
    for referral in (again, old):
        row = _row_of(rows, referral)
        assert (row["status_code"], row["status"], row["status_reason"]) == ("closed", "Closed", "")
        assert row["deflection"] == "yes"
        assert police_disclosure.officer_view(Referral.objects.get(pk=referral.pk)).label == "Closed"


def test_a_referral_its_officer_cancelled_reads_cancelled_with_the_reason_they_gave(cast, data):
    people, (first, again, old) = data
    services.referral_cancel(referral_id=old.pk, actor=cast.officer_a1, reason="entered_in_error")
    row = _row_of(_csv(cast, "command_a"), old)
    assert (row["treatment_record"], row["status_code"], row["status"]) == ("none", "cancelled", "Cancelled")
    assert row["status_reason"] == "Entered in error"
    assert row["deflection"] == "no"
    assert police_disclosure.officer_view(Referral.objects.get(pk=old.pk)).label == "Cancelled"


def test_a_status_change_after_the_consent_ended_is_not_shown(cast, data):
    people, (first, again, old) = data
    consent = consent_given(first, cast.case_manager_y, scope="status_only")
    services.consent_revoke(consent_id=consent.pk, actor=cast.case_manager_y, note="Asked in person")
    services.referral_hold(referral_id=first.pk, actor=cast.case_manager_y)
    row = _row_of(_csv(cast, "command_a"), first)
    assert (row["treatment_record"], row["status_code"], row["accepted"]) == ("status", "open", "yes")
    # The officer's page says accepted, never on hold.
    assert police_disclosure.officer_view(Referral.objects.get(pk=first.pk)).label == "Accepted"


def test_whether_a_held_charge_was_decided_needs_the_client_s_consent(cast, attorney):
    held = intervention_charge(cast, attorney)
    decided = intervention_charge(cast, attorney)
    services.referral_record_intake(referral_id=decided.referral_id, actor=cast.case_manager_y)
    HeldCharge.objects.filter(pk=decided.pk).update(state="satisfied", state_changed_at=timezone.now())
    month = timezone.localdate().strftime("%Y-%m")
    response = cast.login("command_a").post("/reports/export/", {"start": month, "end": month, "file_format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig").split("\n", 1)[1])))
    # Held or decided, the same word: a decision before the deadline would tell of an intake.
    assert sorted(row["charge_outcome"] for row in rows) == ["not_shared", "not_shared"]
    consent_given(Referral.objects.get(pk=decided.referral_id), cast.case_manager_y)
    response = cast.login("command_a").post("/reports/export/", {"start": month, "end": month, "file_format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig").split("\n", 1)[1])))
    assert sorted(row["charge_outcome"] for row in rows) == ["not_shared", "satisfied"]
    assert held.referral_id != decided.referral_id


def test_the_export_page_says_what_of_the_treatment_record_the_file_holds(cast):
    page = cast.login("command_a").get("/reports/export/").content.decode()
    assert "show only where the client's consent shares them with" in page
    page = cast.login("program_admin").get("/reports/export/").content.decode()
    assert "carry the partners' treatment records in full" in page


def test_a_check_recorded_after_treatment_ended_the_consent_is_not_shown_but_the_rest_is(cast, data):
    people, (first, again, old) = data
    consent_given(first, cast.case_manager_y)  # until the end of treatment
    _in_treatment(first, cast)  # intake, and the 30-day check found engaged
    services.referral_complete(referral_id=first.pk, actor=cast.case_manager_y)
    later = FollowUp.objects.create(referral=first, kind="retention_60", due_at=timezone.now())
    FollowUp.objects.filter(pk=later.pk).update(completed_at=timezone.now(), outcome="engaged")
    row = _row_of(_csv(cast, "command_a"), first)
    assert (row["status_code"], row["intake"], row["retained_30"], row["retained_60"]) == (
        "completed",
        "yes",
        "yes",
        "",
    )
    items = police_disclosure.officer_view(Referral.objects.prefetch_related("consents").get(pk=first.pk)).items
    assert not any("60" in item.text for item in items)
