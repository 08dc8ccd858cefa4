"""On the phone: the referring officer opens a referral from weeks ago, unfolds "Record a
check-in", taps what happened and saves; the check-in is listed on the referral at once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from referrals import services
from referrals.models import OfficerCheckIn
from tests.browser.helpers import sign_in
from tests.factories.referrals import OfficerFactory, ReferralFactory, accepted_referral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_officer_records_a_check_in_on_the_phone(page, cast, live_server):
    referral = accepted_referral(cast, occurred_at=timezone.now() - timedelta(days=20))
    sign_in(page, "officer_a1")
    page.goto(f"/referrals/{referral.pk}/")
    section = page.locator("#check-ins")
    section.get_by_text("No check-ins yet.").wait_for()
    summary = section.locator("summary", has_text="Record a check-in")
    box = summary.bounding_box()
    assert box is not None and box["height"] >= 44  # a thumb's target
    summary.tap()
    # Today (the agency's) is filled in; one tap says what happened.
    assert section.get_by_label("Date").input_value() == services.agency_today(referral).isoformat()
    section.get_by_label("Offered help again").check()
    section.get_by_label("Where (optional)").fill("Day center")
    section.get_by_role("button", name="Save check-in").tap()
    # Back on the referral, at its check-ins (the form's anchor).
    page.wait_for_url(re.compile(rf"/referrals/{referral.pk}/(#check-in)?$"))
    page.get_by_text("Check-in recorded").wait_for()
    page.locator("#check-ins").get_by_text("Offered help again · Day center").wait_for()
    assert OfficerCheckIn.objects.get().kind == "offered_help"


def test_a_withdraw_sent_without_a_reason_comes_back_open_with_the_focus_on_it(page, cast, live_server):
    """On a phone the withdraw is at the foot of a long page: sent back, it is where the
    officer is, open, and the focus (a screen reader's too) is in it."""
    referral = ReferralFactory(officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y)
    sign_in(page, "officer_a1")
    page.goto(f"/referrals/{referral.pk}/")
    page.locator("summary", has_text="Withdraw this referral").tap()
    page.get_by_role("button", name="Withdraw referral").tap()
    page.wait_for_url(re.compile(rf"/referrals/{referral.pk}/act/cancel/#withdraw$"))
    withdraw = page.locator("details#withdraw")
    assert withdraw.get_attribute("open") is not None
    assert withdraw.get_by_text("Choose a reason.").is_visible()
    assert page.evaluate("document.getElementById('withdraw').contains(document.activeElement)")
    # In sight (Bootstrap scrolls smoothly: wait for it to get there).
    expect(withdraw).to_be_in_viewport()
