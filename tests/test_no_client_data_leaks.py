"""The whole officer-to-case-manager journey leaves no client data in logs, URLs or emails.

Logging is captured at DEBUG from every logger, as configured for production; every URL
requested or redirected to is kept; every email sent is read, headers and attachments
included. None may hold the client's name, alias, phone or date of birth.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client as HttpClient
from django.utils import timezone

from buyin.models import Suggestion
from referrals.models import FollowUp, Referral
from referrals.reminders import follow_up_reminders_send
from referrals.services import agency_today
from reports.briefing import briefing_send
from reports.digest import digest_send, reported_week
from tests.factories.referrals import consent_given

pytestmark = pytest.mark.django_db

FIRST, LAST = "Zebulon", "Quackenbush"
ALIAS = "Zeb the Quack"
PHONE = "520-555-0187"
DOB = "1979-03-14"
SECRETS = [FIRST, LAST, ALIAS, PHONE, "5205550187", "555-0187", DOB, "03/14/1979", "3/14/1979", "14/03/1979"]


class Journey:
    """Requests as each user, keeping every URL asked for or redirected to."""

    def __init__(self, cast) -> None:
        self.cast = cast
        self.urls: list[str] = []
        self.clients: dict[str, HttpClient] = {}

    def as_(self, who: str) -> HttpClient:
        if who not in self.clients:
            self.clients[who] = self.cast.login(who)
        return self.clients[who]

    def get(self, who: str, path: str, **extra):
        return self._keep(self.as_(who).get(path, follow=True, **extra), path)

    def post(self, who: str, path: str, data: dict, **extra):
        return self._keep(self.as_(who).post(path, data, follow=True, **extra), path)

    def _keep(self, response, path: str):
        self.urls.append(path)
        self.urls += [url for url, _status in getattr(response, "redirect_chain", [])]
        return response


def _email_text(message) -> str:
    parts = [message.subject, message.body, str(message.message())]
    for alternative in getattr(message, "alternatives", []):
        parts.append(str(alternative[0]))
    for attachment in message.attachments:
        parts.append(repr(attachment[0] if isinstance(attachment, tuple) else attachment.get_filename()))
    return "\n".join(parts)


def test_the_journey_writes_no_client_data_to_logs_urls_or_emails(
    cast, caplog, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    caplog.set_level(logging.DEBUG)
    journey = Journey(cast)
    new_client = {
        "first_name": FIRST,
        "last_name": LAST,
        "aliases": ALIAS,
        "phone": PHONE,
        "date_of_birth": DOB,
        "preferred_language": "en",
    }
    log_form = {
        "action": "save",
        "pathway": "officer_intervention",
        "partner": str(cast.partner_y.pk),
        "presenting_needs": ["substance_use"],
        "officer_minutes": "30",
        "note": f"Met {FIRST} behind the library.",
    }

    # The officer: searches, makes a mistake, logs the deflection, looks at it.
    journey.get("officer_a1", "/log/")
    journey.post("officer_a1", "/log/clients/", {"search": f"{FIRST} {LAST}"})
    journey.post("officer_a1", "/log/clients/", {"search": DOB})
    bad = {**log_form, **new_client, "date_of_birth": "2999-01-01", "submission_token": str(uuid.uuid4())}
    assert journey.post("officer_a1", "/log/", bad).status_code == 200
    token = str(uuid.uuid4())
    journey.post("officer_a1", "/log/", {**log_form, **new_client, "submission_token": token})
    journey.post("officer_a1", "/log/", {**log_form, **new_client, "submission_token": token})  # double tap
    referral = Referral.objects.get()
    journey.get("officer_a1", "/mine/")
    journey.get("officer_a1", f"/referrals/{referral.pk}/")
    journey.get("officer_a1", f"/clients/{referral.client_id}/")
    # The question after logging: a sentence naming the client is refused; one tap answers.
    feedback = f"/buyin/feedback/{referral.pk}/"
    assert journey.post("officer_a1", feedback, {"ease": "harder", "comment": f"{ALIAS} was calm"}).status_code == 422
    journey.post("officer_a1", feedback, {"ease": "harder", "obstacles": ["transport"], "comment": "Van was late."})
    journey.get("admin", "/buyin/feedback/comments/")
    # Someone else's door: a 404 is logged, with the path only.
    journey.get("officer_b", f"/referrals/{referral.pk}/")

    # The case manager: queue, referral, accept, intake, consent, follow-up, the PDF.
    journey.get("case_manager_y", "/queue/")
    journey.get("case_manager_y", "/queue/?filter=new", HTTP_HX_REQUEST="true")
    journey.get("case_manager_y", f"/referrals/{referral.pk}/")
    journey.post("case_manager_y", f"/referrals/{referral.pk}/act/accept/", {})
    journey.post("case_manager_y", f"/referrals/{referral.pk}/act/record_intake/", {"record_intake-note": "Came in"})
    consent_given(
        referral, cast.case_manager_y, purpose="Tell the officer how it went", signature_name=f"{FIRST} {LAST}"
    )
    journey.get("case_manager_y", f"/referrals/{referral.pk}/consent-form.pdf")
    journey.get("case_manager_y", f"/referrals/{referral.pk}/consent-form.pdf?lang=es")
    check = referral.follow_ups.filter(completed_at__isnull=True).order_by("due_at").first()
    assert check is not None
    FollowUp.objects.filter(pk=check.pk).update(due_at=timezone.now() + timedelta(hours=1))
    assert follow_up_reminders_send()["reminded"] >= 1
    # The partner's lead is told about what is more than a day overdue.
    cast.partner_y.lead = cast.case_manager_y
    cast.partner_y.save(update_fields=["lead"])
    FollowUp.objects.filter(pk=check.pk).update(due_at=timezone.now() - timedelta(days=3), reminded_at=None)
    assert follow_up_reminders_send(now=timezone.now())["leads"] >= 1
    journey.post(
        "case_manager_y", f"/follow-ups/{check.pk}/done/", {"outcome": FollowUp.Outcome.ENGAGED, "note": "Doing well"}
    )

    # The officer sees the update; command staff read the dashboard and the digest.
    journey.get("officer_a1", f"/referrals/{referral.pk}/")
    # The wins below the log form, the page without JavaScript and My record: counts and
    # approved stories, never who (the client reached intake, with consent: a count of one).
    highlights = [
        journey.get("officer_a1", "/reports/wins/", HTTP_HX_REQUEST="true"),
        journey.get("officer_a1", "/reports/wins/"),
        journey.get("officer_a1", "/reports/my-record/"),
    ]
    for page in highlights:
        text = page.content.decode()
        assert "1 client you referred reached intake" in text
        assert not [secret for secret in SECRETS if secret in text]
    # The officer checks in with the client weeks later (the note is theirs; it names them) and
    # mistypes the date first; their record counts it, without the client.
    check_in = {"on": agency_today(referral).isoformat(), "kind": "doing_well", "note": f"{FIRST} looked well."}
    journey.post("officer_a1", f"/referrals/{referral.pk}/check-ins/", {**check_in, "on": "2999-01-01"})
    journey.post("officer_a1", f"/referrals/{referral.pk}/check-ins/", check_in)
    assert FIRST not in journey.get("officer_a1", "/reports/my-record/").content.decode()
    journey.get("case_manager_y", f"/referrals/{referral.pk}/")
    journey.get("command_a", "/reports/dashboard/")
    journey.get("command_a", "/reports/digest/")
    # The sergeant commends the officer for it (a text naming the client is refused); the
    # officer is told by email, agrees to be named and prints the letter.
    commend = {"officer": cast.officer_a1.pk, "kind": "Commendation", "referral": referral.pk}
    journey.post("supervisor_a", "/buyin/commend/", {**commend, "text": f"Got {FIRST} {LAST} into treatment."})
    with django_capture_on_commit_callbacks(execute=True):
        journey.post("supervisor_a", "/buyin/commend/", {**commend, "text": "Patient, kind and quick."})
    commendation = referral.commendation_set.get()
    journey.post("officer_a1", f"/buyin/commendations/{commendation.pk}/naming/", {"may_name": "yes"})
    journey.get("officer_a1", f"/buyin/commendations/{commendation.pk}/letter.pdf")
    week, _complete = reported_week(cast.agency_a, timezone.now() + timedelta(days=7))
    digest_send(agency_id=cast.agency_a.pk, week_start=week)
    # The sergeant reads and prints the unit's briefing of that week, and is emailed it.
    page = journey.get("supervisor_a", f"/reports/briefing/?week={week}").content.decode()
    assert "Patient, kind and quick." in page and all(secret not in page for secret in SECRETS)
    journey.get("supervisor_a", f"/reports/briefing/print.pdf?week={week}")
    assert briefing_send(unit_id=cast.unit_a.pk, week_start=week) is not None

    # The officer suggests a change naming the client (people do): refused, and nothing of it
    # logged; said again without the name, the admin's answer is emailed.
    with django_capture_on_commit_callbacks(execute=True):
        text = f"{FIRST} {LAST} ({PHONE}) waited an hour for the van."
        journey.post("officer_a1", "/buyin/suggestions/new/", {"topic": "process", "text": text, "next": "/mine/"})
        assert not Suggestion.objects.exists()
        text = "A client waited an hour for the van."
        journey.post("officer_a1", "/buyin/suggestions/new/", {"topic": "process", "text": text, "next": "/mine/"})
        suggestion = Suggestion.objects.get()
        answer = {"change-answer": "A second van on nights.", "change-changed_on": timezone.localdate().isoformat()}
        journey.post("program_admin", f"/buyin/suggestions/{suggestion.pk}/change/", answer)
    assert any("A second van on nights." in message.body for message in mail.outbox)

    assert referral.client.last_name == LAST and len(mail.outbox) >= 2 and caplog.records
    logged = "\n".join(
        [caplog.text]
        + [record.getMessage() for record in caplog.records]
        + [repr(record.args) for record in caplog.records]
    )
    emails = "\n".join(_email_text(message) for message in mail.outbox)
    for secret in SECRETS:
        assert secret not in logged, f"{secret!r} was logged"
        assert all(secret not in url for url in journey.urls), f"{secret!r} was in a URL"
        assert secret not in emails, f"{secret!r} was in an email"


def test_the_api_writes_no_client_data_to_logs_or_urls(cast, caplog):
    """An agency's system logs a deflection (with a mistake first, a retry and a possible
    duplicate), a partner's system lists, reads and works it, the agency's reads it back:
    nothing of the client's in any log line or URL, refusals (401, 404, 409, 422) included."""
    from tests.factories.api import api_client, integration_client

    caplog.set_level(logging.DEBUG)
    rms = api_client(integration_client(cast, agency=cast.agency_a)[1])
    ehr = api_client(integration_client(cast, partner=cast.partner_y)[1])
    urls: list[str] = []

    def call(http, method: str, path: str, body: dict | None = None):
        urls.append(path)
        if method == "get":
            return http.get(path)
        return http.post(path, body or {}, content_type="application/json")

    new_client = {"first_name": FIRST, "last_name": LAST, "aliases": ALIAS, "phone": PHONE, "date_of_birth": DOB}
    body = {
        "submission_key": str(uuid.uuid4()),
        "officer_badge": cast.officer_a1.badge_number,
        "partner_id": cast.partner_y.pk,
        "pathway": "naloxone_plus",
        "note": f"Met {FIRST} behind the library.",
        "new_client": {**new_client, "date_of_birth": "2999-01-01"},
    }
    assert call(rms, "post", "/api/v1/deflections/", body).status_code == 422
    body["new_client"] = new_client
    created = call(rms, "post", "/api/v1/deflections/", body)
    assert created.status_code == 201
    assert call(rms, "post", "/api/v1/deflections/", body).status_code == 200  # a retry
    again = {**body, "submission_key": str(uuid.uuid4())}
    assert call(rms, "post", "/api/v1/deflections/", again).status_code == 422  # possibly known
    referral_id = created.json()["id"]
    assert call(ehr, "get", "/api/v1/referrals/").status_code == 200
    assert call(ehr, "get", f"/api/v1/referrals/{referral_id}/").status_code == 200
    assert call(ehr, "post", f"/api/v1/referrals/{referral_id}/accept/").status_code == 200
    assert call(ehr, "post", f"/api/v1/referrals/{referral_id}/accept/").status_code == 409
    assert call(ehr, "post", f"/api/v1/referrals/{referral_id}/intake/", {"note": f"{FIRST} came"}).status_code == 200
    assert call(rms, "get", f"/api/v1/deflections/{referral_id}/").status_code == 200
    assert call(rms, "get", f"/api/v1/referrals/{referral_id}/").status_code == 404
    assert call(api_client("dfl_0000000000_x"), "get", "/api/v1/deflections/").status_code == 401
    assert caplog.records
    logged = "\n".join(
        [caplog.text]
        + [record.getMessage() for record in caplog.records]
        + [repr(record.args) for record in caplog.records]
    )
    for secret in SECRETS:
        assert secret not in logged, f"{secret!r} was logged"
        assert all(secret not in url for url in urls), f"{secret!r} was in a URL"


def test_a_partners_system_over_fhir_and_webhooks_leaves_no_client_data_in_logs_urls_or_payloads(cast, caplog):
    """The partner's record system reads the client (it treats them: the Patient names them)
    but nothing else carries them: not the URLs it calls or is given (a Bundle's links), not
    the logs, not a webhook's body or headers, nor the deliveries kept on record."""
    from datetime import date
    from urllib.parse import urlsplit

    from django.test import override_settings

    from api.models import WebhookDelivery
    from api.tasks import scan_webhook_events
    from api.webhooks.services import webhook_subscribe
    from referrals import services
    from tests.factories.fhir import Ehr
    from tests.factories.referrals import OfficerFactory, ReferralFactory
    from tests.factories.webhooks import receiver_start

    caplog.set_level(logging.DEBUG)
    receiver = receiver_start()
    ehr = Ehr(cast, cast.partner_y)
    urls: list[str] = []
    with override_settings(WEBHOOK_ALLOW_PRIVATE_ADDRESSES=True):
        webhook_subscribe(actor=cast.program_admin, client_id=ehr.integration.pk, url=receiver.url)
        new_client = services.NewClient(
            first_name=FIRST, last_name=LAST, aliases=ALIAS, phone=PHONE, date_of_birth=date(1979, 3, 14)
        )
        services.referral_create(
            officer_user=cast.officer_a1,
            partner=cast.partner_y,
            pathway="self_referral",
            officer_minutes=20,
            new_client=new_client,
            note=f"{FIRST} asked for a bed.",
        )
        ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)  # someone else
        referral = Referral.objects.order_by("pk").first()

        def get(path: str, params: dict | None = None):
            response = ehr.get(path, params)
            urls.append(response.wsgi_request.get_full_path())
            return response

        bundle = get("/fhir/Task", {"owner": f"Organization/partner-{cast.partner_y.pk}", "_count": "1"}).json()
        urls += [link["url"] for link in bundle["link"]]
        following = urlsplit(next(link["url"] for link in bundle["link"] if link["relation"] == "next"))
        get(f"{following.path}?{following.query}")
        task = get(f"/fhir/Task/{referral.pk}").json()
        get(f"/fhir/ServiceRequest/{referral.pk}")
        assert LAST in get(f"/fhir/Patient/{referral.client_id}").content.decode()  # the partner treats them
        get("/fhir/Task", {"family": "x"})  # refused: not a search this server does
        ehr.put(f"/fhir/Task/{referral.pk}", {**task, "status": "completed"})  # refused: illegal move
        ehr.put(f"/fhir/Task/{referral.pk}", {**task, "status": "accepted"})
        scan_webhook_events()
    receiver.server.shutdown()

    assert len(receiver.received) >= 3  # two created, one accepted
    pushed = "\n".join(f"{sent.headers}\n{sent.body}" for sent in receiver.received)
    kept = "\n".join(WebhookDelivery.objects.values_list("body", flat=True))
    logged = "\n".join([caplog.text] + [repr(record.args) for record in caplog.records])
    for secret in SECRETS:
        assert secret not in pushed, f"{secret!r} was in a webhook"
        assert secret not in kept, f"{secret!r} was kept in a delivery"
        assert secret not in logged, f"{secret!r} was logged"
        assert all(secret not in url for url in urls), f"{secret!r} was in a URL"
