"""WCAG 2.1 AA (axe-core) on the pages reached less often: the program admin's integrations and
forms, the officer's other pages, a held charge's decision and the error pages; each also fits
the phone's width. The helpers and the cast's program are test_accessibility.py's."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.mail import EmailMessage
from django.core.mail.backends.filebased import EmailBackend
from django.template.loader import render_to_string
from django.utils import timezone

from api import services as api_services
from api.models import WebhookDelivery
from api.webhooks.services import webhook_deliveries_make
from tests.browser import helpers
from tests.browser.test_accessibility import (  # noqa: F401 (axe_pages and program are fixtures)
    SCHEMES,
    Checker,
    assert_clean,
    axe_pages,
    program,
    sign_in,
)
from tests.factories.api import integration_client
from tests.factories.buyin import TrainingSessionFactory
from tests.factories.referrals import OfficerFactory, ReferralFactory, criminal_justice_consent_given

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_program_admins_integration_pages_pass_wcag_aa(cast, axe_pages, settings):  # noqa: F811 (fixtures)
    # The partner's system is set up below, in the pages; the agency's was made before, and
    # a third was revoked, so the list shows every state.
    integration_client(cast, agency=cast.agency_a, name="Agency A records system")
    revoked, _token = integration_client(cast, agency=cast.agency_b, name="Agency B dispatch")
    api_services.integration_client_revoke(actor=cast.program_admin, client_id=revoked.pk)
    # The webhook's host is a made-up one: it is not looked up.
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    c = Checker(axe_pages())
    sign_in(c.page, "program_admin")
    c.visit("/integrations/", "integrations")
    c.visit("/integrations/new/", "new integration client")
    create = c.page.get_by_role("button", name="Create and show the token")
    c.submit(create, "new integration client, with errors", status=422)
    c.page.get_by_label("Name").fill("Y clinic's records (Example EHR)")
    c.page.get_by_label("Acts for").select_option(label=cast.partner_y.name)
    c.submit(create, "the token, shown once")
    c.page.get_by_role("link", name="Done").click()
    c.page.wait_for_url(re.compile(r"/integrations/$"))
    c.check("integrations, the new one listed")
    c.page.get_by_role("link", name="Webhook Y clinic's records (Example EHR)").click()
    c.page.wait_for_url(re.compile(r"/webhook/$"))
    c.check("webhook, none set")
    c.page.get_by_label("Webhook URL").fill("ftp://records.y-clinic.example/hooks")
    c.submit(c.page.get_by_role("button", name="Set the webhook and show its secret"), "webhook, refused", 422)
    c.page.get_by_label("Webhook URL").fill("https://records.y-clinic.example/hooks")
    c.submit(
        c.page.get_by_role("button", name="Set the webhook and show its secret"), "the webhook's secret, shown once"
    )
    # Deliveries in every state, for the page's table.
    ReferralFactory.create_batch(3, officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    webhook_deliveries_make()
    delivered, failed, pending = WebhookDelivery.objects.order_by("pk")[:3]
    WebhookDelivery.objects.filter(pk=delivered.pk).update(status="delivered", attempts=1, last_result="HTTP 200")
    WebhookDelivery.objects.filter(pk=failed.pk).update(status="failed", attempts=9, last_result="HTTP 503")
    WebhookDelivery.objects.filter(pk=pending.pk).update(
        attempts=2, last_result="timed out", next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    c.page.get_by_role("link", name="Done").click()
    c.page.wait_for_url(re.compile(r"/webhook/$"))
    c.check("webhook set, with deliveries")
    c.submit(c.page.get_by_role("button", name="Remove the webhook"), "webhook removed")
    c.page.goto("/integrations/")
    c.submit(c.page.get_by_role("button", name="Revoke Y clinic's records (Example EHR)"), "revoke, asked first")
    c.submit(c.page.get_by_role("button", name="Revoke", exact=True), "integrations, one just revoked")
    # The API reference, drawn by Swagger UI: an operation opened, then the token's dialog.
    c.page.goto("/api/docs/")
    c.page.locator("#swagger-ui .opblock").first.wait_for()
    c.check("API reference")
    c.page.locator("#swagger-ui .opblock-summary-control").first.click()
    c.page.locator("#swagger-ui .opblock-body").first.wait_for()
    c.check("API reference, an operation open")
    c.page.locator("#swagger-ui .btn.authorize").click()
    c.page.locator("#swagger-ui .modal-ux").wait_for()
    c.check("API reference, the token's dialog")
    assert_clean([c])


def test_the_program_admins_forms_pass_wcag_aa(cast, axe_pages, settings, tmp_path):  # noqa: F811 (fixtures)
    session = TrainingSessionFactory(agency=cast.agency_a, details="Naloxone refresher")
    # The embedded demo's outbox, with a mail to the program administrator.
    settings.DEMO_MODE = True
    settings.EMAIL_FILE_PATH = str(tmp_path)
    EmailBackend(file_path=str(tmp_path)).send_messages(
        [EmailMessage("Agency A: Quick wins", "12 deflections this week", to=[cast.program_admin.email])]
    )
    c = Checker(axe_pages())
    sign_in(c.page, "program_admin")
    c.visit(f"/partners/{cast.partner_y.pk}/contacts/new/", "record a contact with a partner")
    c.submit(c.page.get_by_role("button", name="Save"), "record a contact, with errors")
    c.visit(f"/partners/{cast.partner_y.pk}/tier/", "change a partner's tier")
    c.visit("/buyin/training/new/", "record a training session")
    c.visit(f"/buyin/training/{session.pk}/attendance/", "training attendance")
    c.visit("/buyin/recognition/kinds/", "kinds of recognition")
    c.visit("/buyin/you-said-we-did/new/", "publish a change")
    c.visit("/demo/mail/", "demo mail")
    assert_clean([c])


def test_the_officers_other_pages_pass_wcag_aa(cast, program, axe_pages):  # noqa: F811 (fixtures)
    c = Checker(axe_pages())
    sign_in(c.page, "officer_a1")
    c.visit("/accounts/language/", "language")
    c.visit(f"/referrals/{program['working'].pk}/", "referral, check-in form open")
    check_ins = c.page.locator("#check-ins")
    check_ins.get_by_label("Date").fill("")
    c.submit(check_ins.get_by_role("button", name="Save check-in"), "check-in, with errors", status=422)
    c.visit(f"/reports/stories/new/{program['working'].pk}/", "success story")
    c.submit(c.page.get_by_role("button", name="Save story"), "success story, with errors")
    c.visit("/reports/wins/", "program wins")
    c.visit(f"/referrals/{program['charged'].pk}/", "referral with a charge held")
    charge = c.page.locator("[data-charge-action=withdraw]")
    charge.get_by_label("Note (optional)").fill("Entered on the wrong client")
    c.submit(charge.get_by_role("button", name="Withdraw charge"), "referral with the charge withdrawn")
    assert_clean([c])


def test_the_case_managers_held_charge_decision_passes_wcag_aa(cast, program, axe_pages):  # noqa: F811 (fixtures)
    charged = program["charged"]
    criminal_justice_consent_given(charged, cast.case_manager_y)
    c = Checker(axe_pages())
    sign_in(c.page, "cm_y")
    c.visit(f"/referrals/{charged.pk}/", "held charge, condition met, consent given")
    c.submit(c.page.get_by_role("button", name="Record the condition met"), "held charge, to be dropped, notice sent")
    assert_clean([c])


def answer_with(status: int, body: str) -> Callable:
    """A route handler that answers every request with this page."""
    return lambda route, _request: route.fulfill(status=status, body=body, content_type="text/html; charset=utf-8")


# What the error pages look like whatever made them: 400, 403 and 500 have no URL that makes
# them on purpose, so the browser is answered with the page Django would render.
def test_the_error_pages_pass_wcag_aa(cast, axe_pages, settings):  # noqa: F811 (fixtures)
    c = Checker(axe_pages())
    c.visit("/no-such-page/", "page not found", status=404)
    for code in (400, 403, 500):
        c.page.route(f"**/error-{code}/", answer_with(code, render_to_string(f"{code}.html")))
        c.visit(f"/error-{code}/", f"error {code}", status=code)
    # Five wrong passwords pause signing in, with a page that says until when.
    settings.AXES_ENABLED = True
    for _ in range(5):
        helpers.submit_sign_in(c.page, "officer_a2", "not-the-password", touch=False)
        c.page.wait_for_load_state()
    assert "Sign-in paused" in c.page.title()
    c.check("sign-in paused")
    assert_clean([c])
