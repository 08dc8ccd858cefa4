"""Integration clients: made by the program admin with a token shown once and stored as a
digest, refused once expired or revoked, never a person (no sign-in, no session), rate
limited, and noted when and from where they were last used."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.test import override_settings
from django.utils import timezone

from api import services
from api.models import IntegrationClient
from deflection.models import User
from referrals.forms import FollowUpCreateForm
from tests.conftest import MEMBERS
from tests.factories.api import api_client, integration_client
from tests.factories.core import PASSWORD

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


def test_the_token_is_stored_only_as_a_digest_and_opens_the_api(cast):
    client, token = integration_client(cast, partner=cast.partner_y, name="Y clinic EHR")
    row = IntegrationClient.objects.values().get(pk=client.pk)
    assert token not in repr(row)
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    response = api_client(token).get(ME)
    assert response.status_code == 200
    assert response.json()["name"] == "Y clinic EHR" and response.json()["kind"] == "partner"
    assert response.json()["partner_id"] == cast.partner_y.pk


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer dfl_0000000000_nope", "Bearer not-a-token", "Bearer a b", "Token abc", "Basic eDp5"],
)
def test_no_token_or_a_wrong_one_answers_401_with_a_bearer_challenge(cast, header):
    integration_client(cast, partner=cast.partner_y)
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = api_client(None, **extra).get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"]


def test_a_token_with_the_right_prefix_and_a_wrong_secret_is_refused(cast):
    _client, token = integration_client(cast, partner=cast.partner_y)
    assert api_client(token[:-2] + "xx").get(ME).status_code == 401


def test_a_revoked_client_is_refused_and_told_why(cast):
    client, token = integration_client(cast, agency=cast.agency_a)
    admin = cast.login("program_admin")
    # The first press asks, naming the client and its token's start; nothing is revoked yet.
    asked = admin.post(f"/integrations/{client.pk}/revoke/")
    assert asked.status_code == 200 and f"dfl_{client.token_prefix}_" in asked.content.decode()
    assert api_client(token).get(ME).status_code == 200
    done = admin.post(f"/integrations/{client.pk}/revoke/", {"confirm": "yes"}, follow=True)
    assert f"(token dfl_{client.token_prefix}_…) is revoked" in done.content.decode()
    response = api_client(token).get(ME)
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_the_new_client_form_sent_twice_makes_one_client(cast):
    admin = cast.login("program_admin")
    form = admin.get("/integrations/new/").context["form"]
    data = {
        "name": "Y clinic EHR",
        "acts_for": f"partner:{cast.partner_y.pk}",
        "expires_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "form_key": str(form.initial["form_key"]),
    }
    first = admin.post("/integrations/new/", data)
    assert first.status_code == 200 and "dfl_" in first.content.decode()
    # A reload of the token's page sends the same form again.
    again = admin.post("/integrations/new/", data, follow=True)
    assert "This form was sent already" in again.content.decode()
    assert IntegrationClient.objects.filter(name="Y clinic EHR").count() == 1


def test_a_refused_new_client_form_may_be_corrected_and_sent_again(cast):
    admin = cast.login("program_admin")
    data = {"name": "Y clinic EHR", "acts_for": f"partner:{cast.partner_y.pk}", "form_key": str(uuid.uuid4())}
    too_late = (timezone.localdate() + timedelta(days=3 * 365)).isoformat()
    assert admin.post("/integrations/new/", {**data, "expires_on": too_late}).status_code == 422
    soon = (timezone.localdate() + timedelta(days=30)).isoformat()
    assert admin.post("/integrations/new/", {**data, "expires_on": soon}).status_code == 200
    assert IntegrationClient.objects.filter(name="Y clinic EHR").count() == 1


def test_a_new_client_form_that_failed_midway_may_be_sent_again(cast, monkeypatch):
    # Not a refusal: the database went away while the client was being made. Nothing was
    # made, so sending the form again (the admin's retry) must make it, not say it was sent.
    admin = cast.login("program_admin")
    soon = (timezone.localdate() + timedelta(days=30)).isoformat()
    data = {"name": "Y clinic EHR", "acts_for": f"partner:{cast.partner_y.pk}", "expires_on": soon}
    data["form_key"] = str(uuid.uuid4())
    real = services.integration_client_create

    def lost_database(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "integration_client_create", lost_database)
    with pytest.raises(OperationalError):
        admin.post("/integrations/new/", data)
    monkeypatch.setattr(services, "integration_client_create", real)
    retried = admin.post("/integrations/new/", data)
    assert retried.status_code == 200 and "dfl_" in retried.content.decode()
    assert IntegrationClient.objects.filter(name="Y clinic EHR").count() == 1


def test_without_the_shared_cache_a_new_client_form_is_refused_and_nothing_made(cast, shared_cache_down):
    # A second sending could not be told from the first: the admin is told to try again.
    admin = cast.login("program_admin")
    soon = (timezone.localdate() + timedelta(days=30)).isoformat()
    data = {"name": "Y clinic EHR", "acts_for": f"partner:{cast.partner_y.pk}", "expires_on": soon}
    response = admin.post("/integrations/new/", {**data, "form_key": str(uuid.uuid4())})
    assert response.status_code == 422 and "Try again in a minute" in response.content.decode()
    assert not IntegrationClient.objects.exists()


def test_an_expired_token_is_refused_and_told_why(cast):
    _client, token = integration_client(cast, agency=cast.agency_a, days=1)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        response = api_client(token).get(ME)
    assert response.status_code == 401 and "expired" in response.json()["detail"]


@pytest.mark.parametrize("who", MEMBERS)
def test_a_users_session_does_not_open_the_api(cast, who):
    integration_client(cast, partner=cast.partner_y)
    response = cast.login(who).get(ME)
    assert response.status_code == 401


def test_the_service_account_never_signs_in_nor_holds_a_session(cast, client):
    integration, _token = integration_client(cast, partner=cast.partner_y)
    user = integration.user
    assert not user.has_usable_password()
    # Even with a password set by someone, sign-in refuses it, on the app's form and the admin's.
    user.set_password(PASSWORD)
    user.is_staff = True
    user.save()
    assert not client.login(username=user.username, password=PASSWORD)
    page = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert page.status_code == 200 and "_auth_user_id" not in client.session
    admin = client.post("/admin/login/", {"username": user.username, "password": PASSWORD})
    assert admin.status_code == 200 and "_auth_user_id" not in client.session
    # A session made for it some other way is not a signed-in session.
    client.force_login(user)
    response = client.get("/queue/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_service_account_has_one_scope(cast):
    from django.core.exceptions import ValidationError

    user = User(username="x", role=User.Role.INTEGRATION, agency=cast.agency_a, partner=cast.partner_y)
    with pytest.raises(ValidationError):
        user.full_clean()


def test_last_use_is_noted_with_the_address_at_most_once_a_minute(cast):
    client, token = integration_client(cast, partner=cast.partner_y)
    start = timezone.now()
    http = api_client(token, REMOTE_ADDR="203.0.113.7")
    with time_machine.travel(start, tick=False):
        http.get(ME)
    client.refresh_from_db()
    assert client.last_used_at == start and client.last_used_from == "203.0.113.7"
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        api_client(token, REMOTE_ADDR="203.0.113.8").get(ME)
    client.refresh_from_db()
    assert client.last_used_at == start and client.last_used_from == "203.0.113.7"
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        api_client(token, REMOTE_ADDR="203.0.113.8").get(ME)
    client.refresh_from_db()
    assert client.last_used_at == start + timedelta(seconds=61) and client.last_used_from == "203.0.113.8"


def test_a_client_past_its_rate_is_told_to_wait(cast):
    _client, token = integration_client(cast, partner=cast.partner_y)
    _other, other_token = integration_client(cast, agency=cast.agency_a)
    with override_settings(API_RATES={"burst": "3/minute", "sustained": "100/day"}):
        http = api_client(token)
        answers = [http.get(ME) for _ in range(4)]
        # Counted per client: another client is not held up.
        assert api_client(other_token).get(ME).status_code == 200
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert 0 < int(answers[-1]["Retry-After"]) <= 60


def test_api_answers_are_never_stored_by_a_cache(cast):
    _client, token = integration_client(cast, partner=cast.partner_y)
    assert api_client(token).get(ME)["Cache-Control"] == "no-store, private"


# ---------------------------------------------------------------------------
# The description and the reference page
# ---------------------------------------------------------------------------


def test_the_openapi_description_is_public_and_names_the_bearer_scheme(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["integrationToken"]["scheme"] == "bearer"
    assert "/api/v1/me/" in schema["paths"]


def test_the_reference_page_loads_only_vendored_scripts_under_the_apps_csp(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "<script>" not in page and "<style" not in page and " style=" not in page
    for src in [
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
        "/static/js/api-docs.js",
    ]:
        assert src in page
        assert client.get(src).status_code == 200


# ---------------------------------------------------------------------------
# The program admin's pages
# ---------------------------------------------------------------------------


def test_the_program_admin_creates_a_client_and_sees_its_token_once(cast):
    admin = cast.login("program_admin")
    form = admin.get("/integrations/new/").content.decode()
    assert f'value="partner:{cast.partner_y.pk}"' in form and f'value="agency:{cast.agency_a.pk}"' in form
    expires = (timezone.localdate() + timedelta(days=90)).isoformat()
    data = {"name": "Y clinic EHR", "acts_for": f"partner:{cast.partner_y.pk}", "expires_on": expires}
    response = admin.post("/integrations/new/", {**data, "form_key": str(uuid.uuid4())})
    assert response.status_code == 200
    token = response.context["token"]
    assert token in response.content.decode()
    assert response["Cache-Control"] == "no-store, private"
    client = IntegrationClient.objects.get()
    assert client.partner == cast.partner_y and client.created_by == cast.program_admin
    assert client.user.role == User.Role.INTEGRATION and client.user.partner == cast.partner_y
    assert client.user.get_full_name() == "Y clinic EHR"
    # Never again: not on the list, not anywhere the admin can go back to.
    listing = admin.get("/integrations/").content.decode()
    assert "Y clinic EHR" in listing and token not in listing and f"dfl_{client.token_prefix}_" in listing
    assert api_client(token).get(ME).status_code == 200


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "acts_for": "agency:{a}", "expires_on": "{soon}"}, "name"),
        ({"name": "RMS", "acts_for": "", "expires_on": "{soon}"}, "acts_for"),
        ({"name": "RMS", "acts_for": "partner:999999", "expires_on": "{soon}"}, "acts_for"),
        ({"name": "RMS", "acts_for": "agency:{a}", "expires_on": "2001-01-01"}, "expires_on"),
        ({"name": "RMS", "acts_for": "agency:{a}", "expires_on": "2999-01-01"}, "expires_on"),
    ],
)
def test_a_client_that_is_not_valid_is_not_created(cast, data, field):
    soon = (timezone.localdate() + timedelta(days=30)).isoformat()
    data = {k: v.format(a=cast.agency_a.pk, soon=soon) for k, v in data.items()}
    response = cast.login("program_admin").post("/integrations/new/", {**data, "form_key": str(uuid.uuid4())})
    assert response.status_code == 422 and response.context["form"].errors[field]
    assert not IntegrationClient.objects.exists() and not User.objects.filter(role="integration").exists()


@pytest.mark.parametrize("who", [m for m in MEMBERS if m not in ("admin", "program_admin", "program_admin_2")])
def test_nobody_else_creates_or_revokes_clients(cast, who):
    client, _token = integration_client(cast, agency=cast.agency_a)
    http = cast.login(who)
    soon = (timezone.localdate() + timedelta(days=30)).isoformat()
    data = {"name": "X", "acts_for": f"agency:{cast.agency_a.pk}", "expires_on": soon}
    assert http.post("/integrations/new/", data).status_code == 404
    assert http.post(f"/integrations/{client.pk}/revoke/").status_code == 404
    assert IntegrationClient.objects.count() == 1
    client.refresh_from_db()
    assert client.revoked_at is None


def test_another_programs_admin_neither_sees_nor_makes_nor_revokes_this_programs_clients(cast):
    client, _token = integration_client(cast, agency=cast.agency_a, name="Agency A RMS")
    other = cast.login("program_admin_2")
    assert "Agency A RMS" not in other.get("/integrations/").content.decode()
    form = other.get("/integrations/new/").content.decode()
    assert f'value="agency:{cast.agency_a.pk}"' not in form and f'value="partner:{cast.partner_x.pk}"' not in form
    assert f'value="agency:{cast.agency_c.pk}"' in form
    soon = (timezone.localdate() + timedelta(days=30)).isoformat()
    data = {"name": "X", "acts_for": f"agency:{cast.agency_a.pk}", "expires_on": soon}
    refused = other.post("/integrations/new/", data)
    assert refused.status_code == 422 and refused.context["form"].errors["acts_for"]
    assert other.post(f"/integrations/{client.pk}/revoke/").status_code == 404
    # The services refuse it too, whatever page sent it.
    with pytest.raises(ValidationError):
        services.integration_client_create(
            actor=cast.program_admin_2, name="X", expires_at=timezone.now() + timedelta(days=9), agency=cast.agency_a
        )
    with pytest.raises(ValidationError):
        services.integration_client_revoke(actor=cast.program_admin_2, client_id=client.pk)
    assert IntegrationClient.objects.count() == 1
    client.refresh_from_db()
    assert client.revoked_at is None


# ---------------------------------------------------------------------------
# A service account is not a person
# ---------------------------------------------------------------------------


def test_integration_clients_are_never_among_people(cast):
    """Not in the follow-up form's assignees, the digest's recipients, a pulse survey's
    audience, the officers one may commend, nor the admin's list of users."""
    from buyin.selectors.recognition import commendable_officers
    from buyin.services.pulse import pulse_audience
    from reports.digest import recipients
    from tests.factories.buyin import pulse_wave

    partner_client, _ = integration_client(cast, partner=cast.partner_y)
    agency_client, _ = integration_client(cast, agency=cast.agency_a)
    for account in (partner_client.user, agency_client.user):
        account.email = f"{account.username}@example.org"
        account.save()
    referral_page_form = FollowUpCreateForm(partner_id=cast.partner_y.pk, me=None)
    machines = {partner_client.user, agency_client.user}
    assert machines.isdisjoint(referral_page_form.fields["assigned_to"].queryset)
    assert not {m.email for m in machines} & {a for _language, to in recipients(cast.agency_a) for a in to}
    wave = pulse_wave(actor=cast.program_admin, agency=cast.agency_a, units=[cast.unit_a], partners=[cast.partner_y])
    assert machines.isdisjoint(pulse_audience(wave))
    assert machines.isdisjoint(commendable_officers(user=cast.program_admin))
    users = cast.login("admin").get("/admin/deflection/user/").content.decode()
    assert "officer_a1" in users and partner_client.user.username not in users


def test_a_cache_outage_does_not_stop_the_api(cast, settings):
    """The rate limit is not counted then (and the log says so); the systems keep working."""
    settings.CACHES = {
        **settings.CACHES,
        "shared": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"},
    }
    _client, token = integration_client(cast, partner=cast.partner_y)
    assert api_client(token).get(ME).status_code == 200


def test_the_list_says_calls_are_recorded_under_the_integration_clients_name_not_a_persons(cast):
    listing = cast.login("program_admin").get("/integrations/").content.decode()
    assert "under the integration client&#x27;s name" in listing or "under the integration client's name" in listing
