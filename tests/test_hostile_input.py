"""Hostile, malformed and over-long input: refused or shown escaped, never a server error.

Every form of the app gets, in each of its fields in turn, HTML and script, SQL-like
strings, huge and malformed numbers and dates, NUL bytes and unicode edge cases, each
posted as the browser would (the other fields valid). The test client raises any server
error, so a 500 fails the test with its traceback; every HTML page that comes back, and
the page it redirects to, must not carry the markup unescaped.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from partners.forms import checked
from referrals import services
from referrals.models import PossibleDuplicate, Referral
from tests.factories.referrals import (
    ClientFactory,
    OfficerFactory,
    ReferralFactory,
    consent_given,
    flagged_deflection,
    sent_from_the_phone,
)

pytestmark = pytest.mark.django_db

HOSTILE = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg onload=alert(1)>",
    "'; DROP TABLE referrals_client; --",
    "1 OR 1=1",
    "Robert'); DELETE FROM deflection_user WHERE ('1'='1",
    "9" * 400,
    "-99999999999999999999999",
    "1e309",
    "NaN",
    "2026-02-30",
    "99999-12-31T25:61",
    "nul\x00byte",
    "Zoë Ångström 🧑🏽‍⚕️ e\u0301 \u200b\u202eevil",
    "𝔘" * 5000,
    "A" * 20_000,
    "   ",
    "%00%27%22",
]
# Only present in a page if the markup above went through unescaped.
UNESCAPED = ["<script>alert(", "<img src=x onerror", "<svg onload"]


def assert_safe(response, where: str) -> None:
    assert response.status_code < 500, where
    if "html" in response.get("Content-Type", ""):
        body = response.content.decode()
        for raw in UNESCAPED:
            assert raw not in body, f"unescaped markup in {where}"


@dataclass
class World:
    cast: object
    referral: Referral  # accepted, at partner Y, by officer A1
    requested: Referral  # still requested, by officer A1
    follow_up_id: int
    consent_id: int
    flag_id: int  # officer A1's deflection sent from the phone, its same-person question open


@pytest.fixture
def world(cast) -> World:
    referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    services.referral_accept(referral_id=referral.pk, actor=cast.case_manager_y)
    requested = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    consent = consent_given(
        referral,
        cast.case_manager_y,
        scope="status_only",
        purpose="Status to the officer",
        signature_name="Client Signature",
    )
    ClientFactory(agency=cast.agency_a, first_name="Rosalind", last_name="Ives")
    follow_up_id = referral.follow_ups.order_by("due_at").first().pk
    return World(cast, referral, requested, follow_up_id, consent.pk, flagged_deflection(cast).pk)


def _soon() -> str:
    return (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")


@dataclass(frozen=True)
class Form:
    who: str
    url: Callable[[World], str]
    data: Callable[[World], dict]
    method: str = "post"


FORMS: dict[str, Form] = {
    "log a deflection (new client)": Form(
        "officer_a1",
        lambda w: "/log/",
        lambda w: {
            "submission_token": str(uuid.uuid4()),
            "action": "save",
            "search": "Ros",
            "first_name": "Lorenzo",
            "last_name": "Abernathy",
            "date_of_birth": "1988-06-14",
            "aliases": "Enzo",
            "phone": "520-555-0100",
            "preferred_language": "es",
            "confirm_new": "on",
            "pathway": "officer_intervention",
            "partner": str(w.cast.partner_y.pk),
            "presenting_needs": "housing",
            "substances": "opioids",
            "naloxone_administered": "on",
            "warm_handoff": "on",
            "charge_deflected": "Trespass",
            "officer_minutes": "35",
            "note": "At the shelter",
            "location": "Beat 4",
            "occurred_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        },
    ),
    "log a deflection (known client)": Form(
        "officer_a1",
        lambda w: "/log/",
        lambda w: {
            "submission_token": str(uuid.uuid4()),
            "action": "save",
            "client": str(w.referral.client_id),
            "pathway": "self_referral",
            "partner": str(w.cast.partner_x.pk),
            "officer_minutes": "10",
            "preferred_language": "en",
        },
    ),
    "a deflection sent from the phone": Form(
        "officer_a1",
        lambda w: "/log/send/",
        lambda w: sent_from_the_phone(
            w.cast.partner_y,
            queued_by=str(w.cast.officer_a1.pk),
            aliases="Teo",
            phone="520-555-0100",
            presenting_needs="housing",
            substances="opioids",
            naloxone_administered="on",
            charge_deflected="Trespass",
            note="At the wash",
            location="Beat 4",
            occurred_at=(timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        ),
    ),
    "same person?": Form(
        "officer_a1",
        lambda w: f"/log/same-person/{w.flag_id}/",
        lambda w: {"same_as": str(PossibleDuplicate.objects.get(pk=w.flag_id).candidates.get().pk), "different": ""},
    ),
    "search without JavaScript": Form(
        "officer_a1",
        lambda w: "/log/",
        lambda w: {"action": "search", "search": "Rosalind", "submission_token": str(uuid.uuid4())},
    ),
    "search as you type": Form("officer_a1", lambda w: "/log/clients/", lambda w: {"search": "Rosalind Ives"}),
    "withdraw (officer)": Form(
        "officer_a1",
        lambda w: f"/referrals/{w.requested.pk}/act/cancel/",
        lambda w: {"cancel-reason": "withdrawn", "cancel-note": "Changed plan"},
    ),
    "decline": Form(
        "case_manager_y",
        lambda w: f"/referrals/{w.requested.pk}/act/reject/",
        lambda w: {"reject-reason": "no_capacity", "reject-note": "Full tonight"},
    ),
    "record intake": Form(
        "case_manager_y",
        lambda w: f"/referrals/{w.referral.pk}/act/record_intake/",
        lambda w: {
            "record_intake-intake_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "record_intake-note": "Came in",
        },
    ),
    "close as not engaged": Form(
        "case_manager_y",
        lambda w: f"/referrals/{w.referral.pk}/act/fail/",
        lambda w: {"fail-reason": "no_show", "fail-note": "Did not come"},
    ),
    "add a follow-up": Form(
        "case_manager_y",
        lambda w: f"/referrals/{w.referral.pk}/follow-ups/",
        lambda w: {
            "kind": "officer_check_in",
            "due_at": _soon(),
            "assigned_to": str(w.cast.case_manager_y.pk),
            "note": "Call",
        },
    ),
    "complete a follow-up": Form(
        "case_manager_y",
        lambda w: f"/follow-ups/{w.follow_up_id}/done/",
        lambda w: {"outcome": "engaged", "note": "Doing well"},
    ),
    "record consent": Form(
        "case_manager_y",
        lambda w: f"/referrals/{w.referral.pk}/consent/",
        lambda w: {
            "scope": "status_outcomes",
            "to_referring_agency": "on",
            "recipient_partners": str(w.cast.partner_x.pk),
            "purpose": "Coordinate care",
            "expires_on": (timezone.localdate() + timedelta(days=180)).isoformat(),
            "expiry_event": "",
            "signature_name": "Client Name",
            "signature_drawing": "",
            "signed_on": timezone.localdate().isoformat(),
            "language": "en",
        },
    ),
    "revoke consent": Form(
        "case_manager_y", lambda w: f"/consents/{w.consent_id}/revoke/", lambda w: {"note": "By phone"}
    ),
    "success story": Form(
        "case_manager_y",
        lambda w: f"/reports/stories/new/{w.referral.pk}/",
        lambda w: {"source": "client", "text": "Thank you", "consent_to_share": "on"},
    ),
    "evaluation export": Form(
        "command_a",
        lambda w: "/reports/export/",
        lambda w: {
            "start": "2026-01",
            "end": "2026-03",
            "file_format": "csv",
            "unit": "",
            "pathway": "",
            "partner": "",
        },
    ),
    "dashboard filters": Form(
        "command_a",
        lambda w: "/reports/dashboard/",
        lambda w: {"start": "2026-01-01", "end": "2026-03-31", "unit": "", "pathway": "", "partner": ""},
        method="get",
    ),
    "queue filter and page": Form(
        "case_manager_y", lambda w: "/queue/", lambda w: {"filter": "open", "page": "1"}, method="get"
    ),
    "consent PDF options": Form(
        "case_manager_y",
        lambda w: f"/referrals/{w.referral.pk}/consent-form.pdf",
        lambda w: {"lang": "es", "consent": str(w.consent_id)},
        method="get",
    ),
    "digest preview": Form("command_a", lambda w: "/reports/digest/", lambda w: {"week": "2026-11-16"}, method="get"),
    "partner directory upload": Form(
        "program_admin",
        lambda w: "/partners/directory/check/",
        lambda w: {"file": SimpleUploadedFile("directory.json", b'{"contents": []}', "application/json")},
    ),
    "partner directory import": Form(
        "program_admin",
        lambda w: "/partners/directory/import/",
        lambda w: checked({"contents": [{"name": "Saguaro Sobering Center", "description": "Sobering"}]}),
    ),
    "sign in": Form(None, lambda w: "/accounts/login/", lambda w: {"username": "officer_a2", "password": "wrong"}),
    "two-factor setup": Form("officer_a1", lambda w: "/accounts/two-factor/", lambda w: {"code": "123456"}),
    "change password": Form(
        "officer_a1",
        lambda w: "/accounts/password/",
        lambda w: {"old_password": "x", "new_password1": "a-new-long-passphrase", "new_password2": "a-new"},
    ),
}


@pytest.mark.parametrize("name", sorted(FORMS))
def test_every_field_of_every_form_survives_hostile_input(world, name):
    form = FORMS[name]
    http = world.cast.login(form.who)
    base = form.data(world)
    for field in base:
        for value in HOSTILE:
            data = {**base, field: value}
            if "submission_token" in base and field != "submission_token":
                data["submission_token"] = str(uuid.uuid4())
            response = getattr(http, form.method)(form.url(world), data, follow=True)
            assert_safe(response, f"{name}: {field}={value[:40]!r}")


@pytest.mark.parametrize(
    "path",
    [
        "/referrals/{big}/",
        "/clients/{big}/",
        "/referrals/{big}/consent/",
        "/referrals/{big}/consent-form.pdf",
        "/reports/stories/new/{big}/",
        "/referrals/{referral}/consent-form.pdf?consent={big}",
        "/queue/?page={big}",
        "/mine/?page=-1",
        "/reports/dashboard/?unit={big}&partner={big}",
        "/admin/referrals/client/{big}/change/",
        "/admin/referrals/client/{big}/disclosures/",
        "/admin/referrals/referral/?id__exact={big}",
        "/admin/deflection/accessevent/?q={big}",
    ],
)
@pytest.mark.parametrize("who", ["officer_a1", "case_manager_y", "command_a", "admin"])
def test_huge_and_negative_ids_answer_without_a_server_error(world, path, who):
    big = "9" * 40
    response = world.cast.login(who).get(path.format(big=big, referral=world.referral.pk))
    assert response.status_code in (200, 302, 404)


def test_hostile_text_that_is_saved_is_shown_escaped_wherever_it_appears(world):
    cast = world.cast
    script = "<script>alert('x')</script>"
    officer = cast.login("officer_a1")
    officer.post(
        "/log/",
        {
            "submission_token": str(uuid.uuid4()),
            "action": "save",
            "first_name": script,
            "last_name": '"><img src=x onerror=alert(1)>',
            "aliases": "<svg onload=alert(1)>",
            "preferred_language": "en",
            "confirm_new": "on",
            "pathway": "officer_intervention",
            "partner": str(cast.partner_y.pk),
            "officer_minutes": "5",
            "note": script,
            "location": script,
            "charge_deflected": script,
        },
    )
    referral = Referral.objects.get(note=script)
    assert referral.client.first_name == script  # kept as typed, shown escaped
    pages = [
        (officer, f"/referrals/{referral.pk}/"),
        (officer, "/mine/"),
        (officer, f"/clients/{referral.client_id}/"),
        (cast.login("case_manager_y"), "/queue/"),
        (cast.login("case_manager_y"), f"/referrals/{referral.pk}/"),
        (cast.login("admin"), f"/admin/referrals/client/{referral.client_id}/change/"),
        (cast.login("admin"), f"/admin/referrals/client/{referral.client_id}/disclosures/"),
    ]
    for http, path in pages:
        response = http.get(path)
        assert response.status_code == 200, path
        assert_safe(response, path)
    search = officer.post("/log/clients/", {"search": "script alert"})
    assert_safe(search, "search results")


# ---------------------------------------------------------------------------
# The API's bodies: malformed JSON, huge bodies, wrong types
# ---------------------------------------------------------------------------

MALFORMED = [b"{", b"[1,", b'{"a": }', b"\xff\xfe\x00", b"null", b"[]", b'"text"', b"1e999999"]
MALFORMED.append(b"{" * 5000 + b"}" * 5000)
WRONG_TYPES = [None, True, 1, -1, 2**70, 1.5, "x" * 5000, [], {}, ["a", ["b"]], {"a": {"b": {}}}]


def _api_world(world):
    from tests.factories.api import api_client, integration_client

    agency = api_client(integration_client(world.cast, agency=world.cast.agency_a)[1])
    partner = api_client(integration_client(world.cast, partner=world.cast.partner_y)[1])
    paths = [
        (agency, "/api/v1/deflections/"),
        (partner, f"/api/v1/referrals/{world.requested.pk}/decline/"),
        (partner, f"/api/v1/referrals/{world.referral.pk}/intake/"),
        (partner, f"/api/v1/follow-ups/{world.follow_up_id}/complete/"),
    ]
    return paths


def _api_safe(response, where: str) -> None:
    assert response.status_code < 500, where
    assert response["Content-Type"].startswith("application/json"), where


def test_malformed_json_is_refused_with_400(world):
    for http, path in _api_world(world):
        for body in MALFORMED:
            response = http.generic("POST", path, body, content_type="application/json")
            _api_safe(response, f"{path} {body[:20]!r}")
            assert response.status_code in (400, 409, 422), (path, body[:20], response.status_code)
        wrong_type = http.generic("POST", path, b"a=1", content_type="application/x-www-form-urlencoded")
        assert wrong_type.status_code in (409, 415), path


def test_a_body_over_the_upload_limit_is_refused_without_reading_it_all(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    for http, path in _api_world(world):
        huge = b'{"note": "' + b"A" * 50_000 + b'"}'
        response = http.generic("POST", path, huge, content_type="application/json")
        _api_safe(response, path)
        assert response.status_code in (409, 413), (path, response.status_code)


def test_every_field_of_every_api_body_survives_wrong_types_and_hostile_text(world):
    from referrals.models import Referral

    agency_body = {
        "submission_key": str(uuid.uuid4()),
        "officer_badge": world.cast.officer_a1.badge_number,
        "incident_number": "24-1",
        "partner_id": world.cast.partner_y.pk,
        "pathway": "self_referral",
        "occurred_at": timezone.now().isoformat(),
        "officer_minutes": 10,
        "new_client": {"first_name": "Ana", "last_name": "Ruiz", "date_of_birth": "1980-01-01"},
        "confirm_new": True,
        "presenting_needs": ["housing"],
        "note": "x",
    }
    partner_bodies = {
        "decline": {"reason": "no_capacity", "note": "x"},
        "complete": {"outcome": "engaged", "note": "x"},
    }
    for http, path in _api_world(world):
        if "deflections" in path:
            base = agency_body
        elif "decline" in path:
            base = partner_bodies["decline"]
        elif "intake" in path:
            base = {"intake_at": timezone.now().isoformat(), "note": "x"}
        else:
            base = partner_bodies["complete"]
        for field in base:
            for value in [*WRONG_TYPES, *HOSTILE]:
                body = {**base, field: value}
                if "submission_key" in base and field != "submission_key":
                    body["submission_key"] = str(uuid.uuid4())
                response = http.post(path, body, content_type="application/json")
                _api_safe(response, f"{path} {field}={str(value)[:30]!r}")
    # Saved as sent (JSON carries it as data); the pages show it escaped.
    saved = Referral.objects.filter(incident_number__contains="<script>").first()
    assert saved is not None
    officer = world.cast.login("officer_a1")
    assert_safe(officer.get(f"/referrals/{saved.pk}/"), "referral page")
    assert_safe(officer.post("/mine/", {"incident_number": saved.incident_number}), "incident search")
