"""A charge held in abeyance, on phones (390x844): the officer logs an officer intervention
deflection at night with the charge held (its fields appear for that pathway only); partner
Y's case manager accepts, records intake and the client's criminal-justice consent (42 CFR
§2.35), then records the condition met: the charge is to be dropped, and the county
attorney's office is told (the notice emailed, on the access record, its letter printable).
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from playwright.sync_api import expect

from deflection.models import AccessEvent
from referrals.charge_notices import NOTICE_EMAILED
from referrals.models import ChargeNotice, Consent, HeldCharge
from tests.browser.helpers import sign_in, sign_out
from tests.factories.referrals import JusticeAgencyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRST, LAST = "Esperanza", "Villarreal"
CASE = "PV26-00412"
# Set DEFLECTION_SHOTS=/some/dir to keep a full-page screenshot of each step.
SHOTS = os.environ.get("DEFLECTION_SHOTS", "")


def fits_the_phone(page, name: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"charge-{name}.png"), full_page=True)


def submit(page, button, message: str) -> None:
    with page.expect_navigation():
        button.tap()
    page.get_by_role("status").filter(has_text=message).wait_for()


def test_the_officer_holds_a_charge_and_the_attorney_is_told_once_the_client_engages(page, cast, live_server):
    attorney = JusticeAgencyFactory(name="Pima Valley County Attorney", agencies=[cast.agency_a])

    # The officer, on the phone: the charge's fields are not in the way of other pathways.
    sign_in(page, "officer_a1")
    page.get_by_role("heading", name="Log a deflection", level=1).wait_for()
    charge_fields = page.locator("#held-charge-fields")
    assert charge_fields.is_hidden()
    page.get_by_label("First name").fill(FIRST)
    page.get_by_label("Last name").fill(LAST)
    page.get_by_role("radio", name="Officer prevention referral").check()
    assert charge_fields.is_hidden()
    page.get_by_role("radio", name="Officer intervention referral").check()
    charge_fields.wait_for(state="visible")
    fits_the_phone(page, "01-log-form")
    # The deadline comes filled in (30 days, the agency's date); the office is the only one.
    today = datetime.now(ZoneInfo("America/Phoenix")).date()
    deadline = page.get_by_label("Deadline")
    assert deadline.input_value() == (today + timedelta(days=30)).isoformat()
    assert page.get_by_label("Deciding office or court").input_value() == str(attorney.pk)
    # The days to stay engaged show only for that condition.
    days = page.get_by_label("Days engaged")
    assert days.is_hidden()
    page.get_by_role("radio", name="Stay engaged for a number of days").check()
    days.wait_for(state="visible")
    page.get_by_role("radio", name="Reach intake").check()
    assert days.is_hidden()
    page.get_by_label("Charge held").fill("Criminal trespass, third degree")
    page.get_by_label("Statute or ordinance").fill("ARS 13-1502")
    page.get_by_label("Case or citation number").fill(CASE)
    page.locator(f"input[name=partner][value='{cast.partner_y.pk}']").check()
    page.get_by_role("button", name="Save deflection").tap()
    page.wait_for_url(re.compile(r"/referrals/\d+/$"))
    page.get_by_role("status").filter(has_text="Deflection logged").wait_for()

    charge = HeldCharge.objects.select_related("referral").get()
    referral = charge.referral
    assert (charge.case_number, charge.decider, charge.state, charge.condition) == (CASE, attorney, "held", "intake")
    card = page.locator("#held-charge")
    assert CASE in card.inner_text() and "reaches your agency only with the client's consent" in card.inner_text()
    fits_the_phone(page, "02-officer-page")
    sign_out(page)

    # Partner Y's case manager: accept, then intake.
    sign_in(page, "cm_y")
    page.goto(f"/referrals/{referral.pk}/")
    card = page.locator("#held-charge")
    assert "Held until" in card.inner_text() and "Not met yet" in card.inner_text()
    submit(page, page.locator("[data-action='accept']").get_by_role("button", name="Accept"), "Referral accepted.")
    intake = page.locator("[data-action='record_intake']")
    intake.locator("summary").tap()
    submit(page, intake.get_by_role("button", name="Record intake"), "Intake recorded.")
    card = page.locator("#held-charge")
    assert "meet the condition" in card.inner_text()
    assert "will be told nothing: there is no criminal-justice consent" in card.inner_text()

    # The client signs the criminal-justice consent: to the county attorney, about treatment only.
    card.get_by_role("link", name="Record the criminal-justice consent (42 CFR §2.35)").tap()
    page.wait_for_url(re.compile(rf"/referrals/{referral.pk}/consent/criminal-justice/$"))
    assert attorney.name in page.locator("main").inner_text() and CASE in page.locator("main").inner_text()
    fits_the_phone(page, "03-consent-form")
    page.get_by_label("Client's signature (typed full name)").fill(f"{FIRST} {LAST}")
    submit(page, page.get_by_role("button", name="Save consent"), "Criminal-justice consent recorded.")
    consent = Consent.objects.get(kind=Consent.Kind.CRIMINAL_JUSTICE)
    assert consent.recipient_justice == attorney and consent.expires_on > charge.deadline
    assert "With the client's criminal-justice consent" in page.locator("#held-charge").inner_text()

    # The condition met: the charge is to be dropped, and the attorney's office is told.
    mail.outbox.clear()
    submit(
        page,
        page.locator("#held-charge").get_by_role("button", name="Record the condition met"),
        "Condition met: the charge is to be dropped.",
    )
    charge.refresh_from_db()
    assert (charge.state, charge.decided_by) == ("satisfied", cast.case_manager_y)
    notice = ChargeNotice.objects.get()
    assert notice.emailed_at is not None and notice.consent == consent
    [message] = mail.outbox
    assert message.to == [attorney.contact_email] and CASE in message.subject and LAST not in message.body
    assert AccessEvent.objects.filter(what=NOTICE_EMAILED, referral_id=referral.pk, user=None).count() == 1
    card = page.locator("#held-charge")
    assert "Condition met: to be dropped" in card.inner_text()
    assert f"Emailed to {attorney.contact_email}" in card.inner_text()
    fits_the_phone(page, "04-told")
    letter = card.get_by_role("link", name="Letter to post (PDF)")
    response = page.request.get(letter.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"


def test_the_deadline_offered_leaves_time_to_reach_intake_and_stay_engaged_until_the_officer_sets_one(
    page, cast, live_server
):
    JusticeAgencyFactory(name="Pima Valley County Attorney", agencies=[cast.agency_a])
    today = datetime.now(ZoneInfo("America/Phoenix")).date()

    def days_ahead(n: int) -> str:
        return (today + timedelta(days=n)).isoformat()

    sign_in(page, "officer_a1")
    page.get_by_role("radio", name="Officer intervention referral").check()
    deadline = page.get_by_label("Deadline")
    expect(deadline).to_have_value(days_ahead(30))
    # 60 days engaged, counted from intake: 30 days to reach it, then the 60.
    page.get_by_role("radio", name="Stay engaged for a number of days").check()
    days = page.get_by_label("Days engaged")
    days.fill("60")
    expect(deadline).to_have_value(days_ahead(90))
    # Never further than a deadline may be (a year and a day).
    days.fill("365")
    expect(deadline).to_have_value(days_ahead(366))
    page.get_by_role("radio", name="Reach intake").check()
    expect(deadline).to_have_value(days_ahead(30))
    page.get_by_role("radio", name="Stay engaged for a number of days").check()
    days.fill("45")
    expect(deadline).to_have_value(days_ahead(75))

    # The date offered is one the program takes.
    page.get_by_label("First name").fill(FIRST)
    page.get_by_label("Last name").fill(LAST)
    page.get_by_label("Charge held").fill("Criminal trespass, third degree")
    page.get_by_label("Case or citation number").fill(CASE)
    page.locator(f"input[name=partner][value='{cast.partner_y.pk}']").check()
    page.get_by_role("button", name="Save deflection").tap()
    page.get_by_role("status").filter(has_text="Deflection logged").wait_for()
    charge = HeldCharge.objects.get()
    assert (charge.condition, charge.engaged_days, charge.deadline.isoformat()) == ("engaged_days", 45, days_ahead(75))

    # A date the officer sets is theirs: the days no longer move it.
    page.goto("/log/")
    page.get_by_role("radio", name="Officer intervention referral").check()
    page.get_by_role("radio", name="Stay engaged for a number of days").check()
    deadline.fill(days_ahead(200))
    days.fill("14")
    expect(deadline).to_have_value(days_ahead(200))
