"""The partner directory exchanged as Open Referral HSDS 3.0: the export is valid HSDS, an
import of the export changes nothing, an import of a changed file changes exactly that, and
a bad row is named with its number and changes nothing."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import time
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from deflection.models import User
from partners.directory import directory_entry_of
from partners.hsds import export_directory, import_directory
from partners.models import PartnerContact, PartnerOpening, ServicePartner
from partners.services import partner_directory_save
from tests.factories.partners import PartnerContactFactory, open_on
from tests.factories.referrals import ClientFactory, OfficerFactory, ReferralFactory

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).parent / "hsds_schema"
WEEKDAYS = range(5)


def _validator(name: str) -> Draft202012Validator:
    """A validator of one HSDS schema, its references ("phone.json") read from the vendored files."""
    registry = Registry().with_resources(
        (path.name, Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT202012))
        for path in SCHEMAS.glob("*.json")
    )
    schema = json.loads((SCHEMAS / name).read_text())
    return Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _hsds_errors(directory: dict) -> list[str]:
    """What the HSDS schemas say is wrong with an export: each organization, each service."""
    organization, service = _validator("organization.json"), _validator("service.json")
    errors = []
    for org in directory["contents"]:
        errors += [f"{org.get('name')}: {e.message}" for e in organization.iter_errors(org)]
        for svc in org.get("services", []):
            errors += [f"{org.get('name')} service: {e.message}" for e in service.iter_errors(svc)]
    return errors


@pytest.fixture
def directory(cast):
    """Partner X: weekdays 8 to 5, English and Spanish, with an address and a phone, serving
    agency A. Partner Y: open 24/7, serving agencies A and B. Both have clients referred. The
    second program's partner Z is not in it: the installation's directory is these two."""
    User.objects.filter(partner=cast.partner_z).delete()
    cast.partner_z.delete()
    x, y = cast.partner_x, cast.partner_y
    x.address = "200 W Congress St, Tucson, AZ 85701"
    x.phone = "(520) 555-0142"
    x.languages = "en, es"
    x.services = "Outpatient treatment and counselling."
    x.hours = "Closed on public holidays."
    x.save()
    open_on(x, WEEKDAYS, time(8), time(17))
    y.services = "Walk-in buprenorphine, day and night."
    y.save()
    for partner in (x, y):
        ReferralFactory(
            officer=OfficerFactory(user=cast.officer_a1),
            partner=partner,
            client=ClientFactory(agency=cast.agency_a, first_name="Marisol", last_name="Quintanilla-Oduya"),
        )
    return cast


def _org(data: dict, partner: ServicePartner) -> dict:
    return next(org for org in data["contents"] if org["id"] == str(partner.hsds_id))


def _rows(report) -> dict[str, tuple[str, list[str]]]:
    return {row.name: (row.action, [change.field for change in row.changes]) for row in report.rows}


def test_the_export_is_valid_hsds_3(directory):
    data = export_directory()
    assert data["total_items"] == data["size"] == len(data["contents"]) == 2
    assert _hsds_errors(data) == []


def test_the_schema_check_fails_an_export_that_breaks_hsds(directory):
    data = export_directory()
    broken = copy.deepcopy(data)
    del broken["contents"][0]["description"]
    broken["contents"][1]["services"][0]["status"] = "open"
    broken["contents"][1]["services"][0]["schedules"][0]["id"] = "not-a-uuid"
    assert len(_hsds_errors(broken)) == 3


def test_the_export_says_what_the_directory_knows_of_each_partner(directory):
    data = export_directory()
    x = _org(data, directory.partner_x)
    service = x["services"][0]
    assert x["name"] == "X Recovery Clinic" and x["phones"][0]["number"] == "(520) 555-0142"
    address = x["locations"][0]["addresses"][0]
    assert (address["address_1"], address["city"], address["state_province"], address["postal_code"]) == (
        "200 W Congress St",
        "Tucson",
        "AZ",
        "85701",
    )
    assert service["status"] == "active" and service["description"] == "Outpatient treatment and counselling."
    assert [(s["byday"], s["opens_at"], s["closes_at"]) for s in service["schedules"]] == [
        ("MO,TU,WE,TH,FR", "08:00", "17:00")
    ]
    assert [(lang["code"], lang["name"]) for lang in service["languages"]] == [("en", "English"), ("es", "Spanish")]
    assert [area["name"] for area in service["service_areas"]] == ["Agency A Police Department"]
    assert service["attributes"][0]["taxonomy_term"]["code"] == "mat_clinic"


def test_partners_open_24_7_export_as_open_every_day_all_day(directory):
    schedules = _org(export_directory(), directory.partner_y)["services"][0]["schedules"]
    assert [(s["freq"], s["byday"], s["opens_at"], s["closes_at"]) for s in schedules] == [
        ("WEEKLY", "MO,TU,WE,TH,FR,SA,SU", "00:00", "23:59")
    ]


def test_ids_stay_the_same_export_after_export(directory):
    assert export_directory() == export_directory()


def test_nothing_about_clients_is_in_the_directory(directory):
    ReferralFactory(
        officer=OfficerFactory(user=directory.officer_a1),
        partner=directory.partner_x,
        client=ClientFactory(agency=directory.agency_a, first_name="Zebulon", last_name="Farquharson", phone="5550199"),
    )
    directory.partner_x.lead = directory.case_manager_x
    directory.partner_x.save()
    PartnerContactFactory(partner=directory.partner_x, what="Talked about Marisol's intake", met_with="Dr. Vance")
    data = export_directory()
    text = json.dumps(data)
    for word in ("Marisol", "Quintanilla", "Zebulon", "Farquharson", "5550199", "Vance", "cm_x", "Emery", "Thornfield"):
        assert word not in text
    assert not {key for key in _keys(data) if "client" in key or "referral" in key or "lead" in key}


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for child in value.values() for key in _keys(child)}
    if isinstance(value, list):
        return {key for child in value for key in _keys(child)}
    return set()


def test_importing_the_export_changes_nothing(directory):
    data = export_directory()
    report = import_directory(data, dry_run=True)
    assert report.ok and {row.action for row in report.rows} == {"unchanged"}
    before = {p.pk: directory_entry_of(p) for p in ServicePartner.objects.all()}
    openings = list(PartnerOpening.objects.values_list("pk", flat=True))
    report = import_directory(data, dry_run=False)
    assert report.applied and report.summary() == "Created 0, updated 0, left 2 unchanged."
    assert {p.pk: directory_entry_of(p) for p in ServicePartner.objects.all()} == before
    assert list(PartnerOpening.objects.values_list("pk", flat=True)) == openings


def test_the_export_reads_the_partners_in_a_few_queries_however_many(directory, django_assert_max_num_queries):
    for n in range(10):
        partner = ServicePartner.objects.create(name=f"Extra partner {n}", kind="housing")
        partner.agencies.add(directory.agency_a)
        open_on(partner, [n % 7], time(9), time(12))
    with django_assert_max_num_queries(3):
        assert export_directory(ServicePartner.objects.all())["total_items"] == 12


def test_an_import_of_a_changed_file_changes_exactly_what_changed(directory):
    x, y = directory.partner_x, directory.partner_y
    PartnerContactFactory(partner=x)
    data = export_directory()
    org_x, org_y = _org(data, x), _org(data, y)
    org_x["phones"][0]["number"] = "(520) 555-0177"
    org_x["services"][0]["schedules"][0]["byday"] = "MO,TU,WE,TH"
    org_x["services"][0]["schedules"].append(
        {"id": str(uuid.uuid4()), "freq": "WEEKLY", "byday": "FR", "opens_at": "08:00", "closes_at": "12:00"}
    )
    org_y["services"][0]["languages"] = [{"id": str(uuid.uuid4()), "name": "Vietnamese", "code": "vi"}]
    dry = import_directory(copy.deepcopy(data), dry_run=True)
    assert _rows(dry) == {
        "X Recovery Clinic": ("update", ["opening hours", "phone"]),
        "Y 24/7 MAT Clinic": ("update", ["languages spoken"]),
    }
    changes = {c.field: (c.before, c.after) for c in dry.rows[0].changes}
    assert changes["opening hours"] == ("Monday–Friday 08:00–17:00", "Monday–Thursday 08:00–17:00; Friday 08:00–12:00")
    assert ServicePartner.objects.get(pk=x.pk).phone == "(520) 555-0142"  # a dry run changes nothing

    report = import_directory(data, dry_run=False)
    assert report.applied
    x.refresh_from_db()
    y.refresh_from_db()
    assert x.phone == "(520) 555-0177" and y.languages == "vi"
    assert list(x.openings.values_list("weekday", "closes_at")) == [(d, time(17)) for d in range(4)] + [(4, time(12))]
    # The rest of the entry, and the relationship, as they were.
    assert (x.languages, x.address, x.is_24_7, y.is_24_7, x.engagement_tier) == (
        "en, es",
        "200 W Congress St, Tucson, AZ 85701",
        False,
        True,
        "committed",
    )
    assert PartnerContact.objects.filter(partner=x).count() == 1
    assert import_directory(export_directory(), dry_run=True).count("unchanged") == 2


def test_partners_open_24_7_import_back_so(directory):
    y = directory.partner_y
    data = export_directory()
    ServicePartner.objects.filter(pk=y.pk).update(is_24_7=False)
    open_on(y, [0], time(9), time(10))
    report = import_directory(data, dry_run=False)
    assert _rows(report)["Y 24/7 MAT Clinic"] == ("update", ["open 24/7", "opening hours"])
    y.refresh_from_db()
    assert y.is_24_7 and not y.openings.exists()


def test_a_new_partner_in_the_file_is_created_with_its_directory_id(directory):
    data = export_directory()
    new = copy.deepcopy(_org(data, directory.partner_y))
    new_id = str(uuid.uuid4())
    new.update(id=new_id, name="Ocotillo Sobering Center")
    data["contents"].append(new)
    report = import_directory(data, dry_run=False)
    assert _rows(report)["Ocotillo Sobering Center"][0] == "create"
    created = ServicePartner.objects.get(hsds_id=new_id)
    assert created.is_24_7 and created.kind == "mat_clinic"
    assert sorted(created.agencies.values_list("name", flat=True)) == [
        "Agency A Police Department",
        "Agency B Sheriff's Office",
    ]
    # The relationship starts as any new partner's.
    assert (created.engagement_tier, created.capacity_status, created.lead) == ("committed", "open", None)


def test_a_partner_is_recognised_by_its_name_when_the_file_gives_another_id(directory):
    data = export_directory()
    other_id = str(uuid.uuid4())
    _org(data, directory.partner_x)["id"] = other_id
    report = import_directory(data, dry_run=False)
    assert _rows(report)["X Recovery Clinic"] == ("update", ["directory id"])
    assert str(ServicePartner.objects.get(pk=directory.partner_x.pk).hsds_id) == other_id


def test_partners_the_file_does_not_name_are_left_alone(directory):
    data = export_directory()
    data["contents"] = [_org(data, directory.partner_x)]
    assert import_directory(data, dry_run=False).applied
    assert ServicePartner.objects.filter(pk=directory.partner_y.pk, is_active=True).exists()


def _bad_rows(directory) -> dict:
    """An export with one good change (row 1) and a bad row for each way a row goes wrong."""
    data = export_directory()
    good = _org(data, directory.partner_x)
    good["phones"][0]["number"] = "(520) 555-0001"
    template = _org(data, directory.partner_y)

    def row(name: str, **service_changes) -> dict:
        org = copy.deepcopy(template)
        org.update(id=str(uuid.uuid4()), name=name)
        org["services"][0].update(service_changes)
        return org

    schedule = template["services"][0]["schedules"][0]
    data["contents"] = [
        good,
        row(""),
        row("Late Clinic", schedules=[{**schedule, "byday": "MO", "opens_at": "25:00"}]),
        row("Backwards Clinic", schedules=[{**schedule, "byday": "MO", "opens_at": "17:00", "closes_at": "08:00"}]),
        row("Faraway Clinic", service_areas=[{"id": str(uuid.uuid4()), "name": "Nowhere County Sheriff"}]),
        {**row("Odd Id Clinic"), "id": "42"},
        row("Babel Clinic", languages=[{"id": str(uuid.uuid4()), "name": "Klingon"}]),
        row("Monthly Clinic", schedules=[{**schedule, "freq": "MONTHLY"}]),
        "not an organization",
    ]
    return data


def test_bad_rows_are_named_by_number_with_what_is_wrong(directory):
    report = import_directory(_bad_rows(directory), dry_run=True)
    assert not report.ok
    assert [row.action for row in report.rows] == ["update"] + ["error"] * 8
    lines = report.error_lines()
    for expected in (
        "Row 2 (no name): it has no name.",
        "Row 3 (Late Clinic): schedule 1: opens_at '25:00' is not a time (HH:MM).",
        "Row 4 (Backwards Clinic): schedule 1: it closes (08:00) before it opens (17:00)",
        "Row 5 (Faraway Clinic): it serves an agency this program does not know: 'Nowhere County Sheriff'.",
        "Row 6 (Odd Id Clinic): its id '42' is not a UUID.",
        "Row 7 (Babel Clinic): the language 'Klingon' has no ISO 639 code",
        "Row 8 (Monthly Clinic): schedule 1: only weekly opening hours are understood, not freq 'MONTHLY'.",
        "Row 9 (no name): it is not an organization",
    ):
        assert any(line.startswith(expected) for line in lines), (expected, lines)
    assert report.summary().startswith("8 error(s): nothing is imported")


def test_a_file_with_a_bad_row_changes_nothing(directory):
    before = {p.pk: directory_entry_of(p) for p in ServicePartner.objects.all()}
    report = import_directory(_bad_rows(directory), dry_run=False)
    assert not report.ok and not report.applied
    assert {p.pk: directory_entry_of(p) for p in ServicePartner.objects.all()} == before


def test_the_same_partner_twice_in_a_file_is_an_error(directory):
    data = export_directory()
    twice = copy.deepcopy(_org(data, directory.partner_x))
    twice["id"] = str(uuid.uuid4())
    data["contents"].append(twice)
    report = import_directory(data, dry_run=True)
    assert report.error_lines() == ["Row 3 (X Recovery Clinic): it is the same partner as row 1 (same name)."]


def test_a_name_another_partner_has_is_refused_as_the_import_would_be(directory):
    data = export_directory()
    _org(data, directory.partner_x)["name"] = "Y 24/7 MAT Clinic"
    data["contents"] = [_org(data, directory.partner_x)]
    report = import_directory(data, dry_run=True)
    assert report.error_lines() == ["Row 1 (Y 24/7 MAT Clinic): name: Service partner with this Name already exists."]


def test_a_file_that_is_no_directory_is_refused(directory):
    for data in ({"services": []}, "text", 42, None):
        report = import_directory(data, dry_run=True)
        assert not report.ok and report.file_errors and report.rows == []


@pytest.mark.parametrize("value", [None, 7, 1.5, True, [], {}, [1, "x"], "x" * 5000, {"nested": [{}]}])
def test_any_value_of_any_type_anywhere_is_an_error_or_ignored_never_a_crash(directory, value):
    data = export_directory()
    org = _org(data, directory.partner_x)
    places = [org, org["services"][0], org["locations"][0], org["locations"][0]["addresses"][0]]
    places += [org["services"][0]["schedules"][0], org["services"][0]["languages"][0], org["phones"][0]]
    places += [org["services"][0]["attributes"][0]["taxonomy_term"], org["services"][0]["service_areas"][0]]
    for place in places:
        for key in list(place):
            changed = copy.deepcopy(data)
            _set_same_place(changed, data, place, key, value)
            report = import_directory(changed, dry_run=True)
            assert report.rows[0].action in ("error", "update", "unchanged")


def _set_same_place(changed: dict, original: dict, place: dict, key: str, value: object) -> None:
    """Set `key` in `changed`'s copy of `place` (found by walking both trees alike)."""

    def walk(a, b):
        if b is place:
            a[key] = value
            return True
        children = b.values() if isinstance(b, dict) else b if isinstance(b, list) else []
        others = a.values() if isinstance(a, dict) else a if isinstance(a, list) else []
        return any(walk(x, y) for x, y in zip(others, children, strict=True))

    assert walk(changed, original)


def test_times_are_read_in_the_partners_zone(directory):
    data = export_directory()
    schedules = _org(data, directory.partner_x)["services"][0]["schedules"]
    # Phoenix keeps UTC-7 all year: the same time written with its offset is the same time.
    schedules[0].update(opens_at="08:00-07:00", closes_at="17:00:00")
    assert import_directory(copy.deepcopy(data), dry_run=True).count("unchanged") == 2
    schedules[0].update(opens_at="15:00Z")
    assert (
        "is in another time zone than the partner's (America/Phoenix)"
        in import_directory(data, dry_run=True).error_lines()[0]
    )


def test_only_program_administration_saves_a_directory_entry(directory):
    entry = directory_entry_of(directory.partner_x)
    for who in ("command_a", "case_manager_x", "officer_a1"):
        with pytest.raises(ValidationError):
            partner_directory_save(actor=getattr(directory, who), entry=entry, partner_id=directory.partner_x.pk)
    partner_directory_save(actor=directory.program_admin, entry=entry, partner_id=directory.partner_x.pk)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("services", "Line one\r\nLine two\n"),
        ("address", "Behind the library, next to the bus stop "),
        ("address", "12 Main St, Suite 4, Tucson, AZ 85701-1234"),
        ("hours", "  By appointment only"),
        ("phone", "+1 520 555 0100 ext. 2"),
        ("languages", "es,en,vi"),
    ],
)
def test_whatever_a_partner_holds_comes_back_from_its_export_unchanged(directory, field, value):
    ServicePartner.objects.filter(pk=directory.partner_x.pk).update(**{field: value})
    report = import_directory(export_directory(), dry_run=True)
    assert report.ok and report.count("unchanged") == 2, report.rows
