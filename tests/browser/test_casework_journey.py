"""The partner's side of a referral, on a phone, and what the referring officer sees of it.

Partner Y's case manager accepts a deflection, records intake and the client's consent
to share status and outcomes with the referring agency, and completes the 72-hour check;
the officer then sees the update, filtered by that consent. After the client revokes the
consent, nothing new reaches the officer; what was shared before stays.

The case manager and the officer each have their own phone (browser context), so that
the officer can look in between the case manager's steps.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from referrals.models import Consent, FollowUp, Pathway, Referral
from referrals.services import NewClient, referral_create
from tests.browser.conftest import ACTION_TIMEOUT_MS, PHONE
from tests.browser.helpers import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRST, LAST = "Rosalind", "Achterberg"
CLIENT = f"{FIRST} {LAST}"
INTAKE_SHARED = "Intake: the client attended"
RETENTION_SHARED = "30-day retention check: still engaged"
NOT_BEFORE_CONSENT = ("Accepted", "In treatment", "Intake")
# Set DEFLECTION_SHOTS=/some/dir to keep a full-page screenshot of each step.
SHOTS = os.environ.get("DEFLECTION_SHOTS", "")


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"cw-{name}.png"), full_page=True)


@pytest.fixture
def officer_page(browser, live_server) -> Iterator:
    """The referring officer's own phone, beside the case manager's (`page`)."""
    context = browser.new_context(base_url=live_server.url, **PHONE)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    yield context.new_page()
    context.close()


def a_deflection_routed_to_partner_y(cast) -> Referral:
    logged = referral_create(
        officer_user=cast.officer_a1,
        partner=cast.partner_y,
        pathway=Pathway.ACTIVE_OUTREACH,
        officer_minutes=25,
        new_client=NewClient(first_name=FIRST, last_name=LAST),
        presenting_needs=["substance_use", "housing"],
        warm_handoff=True,
        note="Agreed to go to the clinic after a welfare check.",
    )
    assert logged.created and not logged.is_contact
    return logged.referral


def submit(page, button, message: str) -> None:
    """Tap a form's button, wait for the page the server answers with and for its message."""
    with page.expect_navigation():
        button.tap()
    page.get_by_role("status").filter(has_text=message).wait_for()


def next_step(page, action: str):
    """One of the 'Next step' forms of the casework page, folded open (all but Accept fold)."""
    section = page.locator(f"[data-action='{action}']")
    section.wait_for()
    if section.evaluate("element => element.tagName") == "DETAILS" and section.get_attribute("open") is None:
        section.locator("summary").tap()
    return section


def take_step(page, action: str, label: str, message: str) -> None:
    section = next_step(page, action)
    submit(page, section.get_by_role("button", name=label, exact=True), message)


def complete_follow_up(page, kind: str, outcome: str) -> None:
    item = page.locator(f"#follow-ups li[data-follow-up='{kind}']")
    item.locator("summary").filter(has_text="Record outcome").tap()
    item.get_by_label(outcome, exact=True).check()
    submit(page, item.get_by_role("button", name="Save outcome"), "Follow-up completed.")
    assert "Done: " + outcome in item.inner_text()


def officer_status(page) -> str:
    """The status badge police see on the referral page: the consent-filtered label."""
    return page.locator("main .status-badge").first.inner_text().strip()


def shared_items(page) -> list[str]:
    section = page.get_by_role("region", name="What the partner shares")
    section.wait_for()
    return [text.strip() for text in section.locator("li").all_inner_texts()]


def open_referral_as_officer(page, referral: Referral) -> None:
    page.goto(f"/referrals/{referral.pk}/")
    page.get_by_role("heading", name=f"Referral of {CLIENT}", level=1).wait_for()


def my_deflection_row(page, referral: Referral):
    page.goto("/mine/")
    row = page.locator("#my-deflections > li").filter(has=page.locator(f"a[href='/referrals/{referral.pk}/']"))
    row.wait_for()
    return row


def assert_officer_sees_only_receipt(page, referral: Referral) -> None:
    """Before the client consents, police see that the partner has it and that it is open."""
    row = my_deflection_row(page, referral)
    assert row.locator(".status-badge").inner_text().strip() == "Received by partner · open"
    for word in NOT_BEFORE_CONSENT:
        assert word not in row.inner_text()


def test_casework_flows_to_the_officer_only_as_the_clients_consent_allows(page, officer_page, cast, live_server):
    referral = a_deflection_routed_to_partner_y(cast)
    cm = page
    officer = officer_page
    sign_in(officer, "officer_a1")

    # The case manager signs in on the phone and lands on the queue: the referral is New.
    sign_in(cm, "cm_y")
    assert cm.url.endswith("/queue/")
    row = cm.locator(f"#partner-queue > li[data-referral='{referral.pk}']")
    row.wait_for()
    assert CLIENT in row.inner_text()
    assert row.locator(".badge").filter(has_text=re.compile(r"^New$")).count() == 1
    shot(cm, "01-queue")
    with cm.expect_navigation(url=re.compile(rf"/referrals/{referral.pk}/$")):
        row.get_by_role("link").tap()
    cm.get_by_role("heading", name=CLIENT, level=1).wait_for()
    shot(cm, "02-new-referral")

    # Accept: one tap, and the 72-hour check is scheduled for this case manager.
    take_step(cm, "accept", "Accept", "Referral accepted. Status: Accepted.")
    cm.locator("#follow-ups li[data-follow-up='check_72h']").wait_for()
    assert cm.locator("[data-action='accept']").count() == 0
    shot(cm, "03-accepted")

    # No consent yet: the officer sees that the partner received it, not that it was accepted.
    assert_officer_sees_only_receipt(officer, referral)
    open_referral_as_officer(officer, referral)
    assert officer_status(officer) == "Received by partner · open"
    outcome = officer.get_by_role("region", name="What the partner shares")
    assert "only if the client agrees to share them" in outcome.inner_text()
    for word in NOT_BEFORE_CONSENT:
        assert officer.locator("main").get_by_text(word, exact=True).count() == 0
    shot(officer, "04-officer-after-accept")

    # Intake: the client attended. The 30, 60 and 90-day checks are scheduled.
    section = next_step(cm, "record_intake")
    section.get_by_label("Note (optional)").fill("Came in with the outreach team; started MAT.")
    shot(cm, "05-intake-form")
    submit(cm, section.get_by_role("button", name="Record intake"), "Intake recorded. Status: In treatment.")
    for kind in ("retention_30", "retention_60", "retention_90"):
        cm.locator(f"#follow-ups li[data-follow-up='{kind}']").wait_for()
    # Still no consent: nothing of the intake reaches the officer.
    assert_officer_sees_only_receipt(officer, referral)

    # Consent to share status and outcomes with the referring agency, until the end of treatment.
    cm.get_by_role("link", name="Record consent").tap()
    cm.wait_for_url(re.compile(rf"/referrals/{referral.pk}/consent/$"))
    cm.get_by_label("Status and outcomes").check()
    cm.get_by_label(f"To the referring agency ({cast.agency_a.name})").check()
    # Partner X serves agency A too, but the client did not name it.
    assert not cm.get_by_label(cast.partner_x.name).is_checked()
    cm.get_by_label("Expires on").fill("")
    cm.get_by_label("Or expires when").select_option(label="End of treatment")
    cm.get_by_label("Client's signature (typed full name)").fill(CLIENT)
    cm.get_by_label("Date signed").fill(timezone.localdate().isoformat())
    shot(cm, "06-consent-form")
    submit(cm, cm.get_by_role("button", name="Save consent"), "Consent recorded.")
    cm.wait_for_url(re.compile(rf"/referrals/{referral.pk}/$"))
    consent = Consent.objects.get(referral=referral)
    assert consent.scope == Consent.Scope.STATUS_OUTCOMES
    assert consent.recipient_agency_id == cast.agency_a.pk
    assert not consent.recipient_partners.exists()
    assert consent.expires_on is None and consent.expiry_event == Consent.ExpiryEvent.END_OF_TREATMENT
    assert consent.signature_name == CLIENT
    card = cm.locator(f"[data-consent='{consent.pk}']")
    assert "Active" in card.inner_text()
    assert cast.agency_a.name in card.inner_text()

    # The 72-hour check: reached and engaged.
    complete_follow_up(cm, "check_72h", "Reached and engaged")
    shot(cm, "07-after-72h")

    # The officer: an update on My deflections, and the status the consent lets through.
    row = my_deflection_row(officer, referral)
    assert row.locator(".status-badge").inner_text().strip() == "In treatment"
    assert row.get_by_text("Update", exact=True).is_visible()
    shot(officer, "08-officer-mine-update")
    with officer.expect_navigation(url=re.compile(rf"/referrals/{referral.pk}/$")):
        row.get_by_role("link").tap()
    assert officer_status(officer) == "In treatment"
    assert any(INTAKE_SHARED in item for item in shared_items(officer))
    shot(officer, "09-officer-shared")

    # The client revokes the consent; the case manager records it on the referral.
    cm.reload()
    card = cm.locator(f"[data-consent='{consent.pk}']")
    card.locator("summary").filter(has_text="Record a revocation").tap()
    card.get_by_label("How the client revoked").fill("By phone to the case manager")
    submit(cm, card.get_by_role("button", name="Revoke consent"), "Consent revoked.")
    assert "Revoked" in cm.locator(f"[data-consent='{consent.pk}']").inner_text()
    shot(cm, "10-revoked")

    # A month on (set-up: the 30-day check comes due now), the client is still engaged,
    # and then completes the program.
    FollowUp.objects.filter(referral=referral, kind=FollowUp.Kind.RETENTION_30).update(
        due_at=timezone.now() - timedelta(minutes=1)
    )
    cm.reload()
    assert "Overdue" in cm.locator("#follow-ups li[data-follow-up='retention_30']").inner_text()
    complete_follow_up(cm, "retention_30", "Reached and engaged")
    take_step(cm, "complete", "Complete referral (treatment finished)", "Referral completed. Status: Completed.")
    shot(cm, "11-completed")
    referral.refresh_from_db()
    assert referral.status == Referral.Status.COMPLETED

    # The officer reloads: what was shared before the revocation stays, nothing new arrives.
    officer.reload()
    items = shared_items(officer)
    assert any(INTAKE_SHARED in item for item in items)
    assert not any(RETENTION_SHARED in item for item in items)
    assert not any("Completed" in item for item in items)
    outcome = officer.get_by_role("region", name="What the partner shares")
    assert "consent to share has ended" in outcome.inner_text()
    assert officer.locator("main").get_by_text(RETENTION_SHARED).count() == 0
    assert officer_status(officer) != "Completed"
    shot(officer, "12-officer-after-revocation")


def test_declining_without_a_reason_shows_the_error_at_the_reason_and_keeps_the_referral_new(page, cast, live_server):
    referral = a_deflection_routed_to_partner_y(cast)
    sign_in(page, "cm_y")
    page.goto(f"/referrals/{referral.pk}/")

    section = next_step(page, "reject")
    with page.expect_navigation():
        section.get_by_role("button", name="Decline", exact=True).tap()

    # The page comes back with the Decline form open and the error at the reason.
    section = page.locator("[data-action='reject']")
    assert section.get_attribute("open") is not None
    reason = section.get_by_role("group", name="Reason")
    reason.wait_for()
    error = reason.get_by_text("Choose a reason.")
    assert error.is_visible()
    # ...and tied to the reason for a screen reader.
    described_by = reason.get_attribute("aria-describedby")
    assert described_by and "Choose a reason." in page.locator(f"#{described_by}").inner_text()
    assert reason.get_by_role("radio").first.get_attribute("aria-invalid") == "true"
    shot(page, "20-decline-without-reason")

    referral.refresh_from_db()
    assert referral.status == Referral.Status.REQUESTED
    assert page.locator("[data-action='accept']").count() == 1
    page.goto("/queue/")
    row = page.locator(f"#partner-queue > li[data-referral='{referral.pk}']")
    row.wait_for()
    assert row.locator(".badge").filter(has_text=re.compile(r"^New$")).count() == 1
