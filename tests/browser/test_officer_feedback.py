"""On the phone, right after logging: the question comes on the confirmation and one tap
answers it, with JavaScript (in place) and without (back to the referral)."""

from __future__ import annotations

import re

import pytest

from buyin.models import OfficerFeedback
from referrals.models import Referral
from tests.browser.conftest import ACTION_TIMEOUT_MS, PHONE
from tests.browser.helpers import fill_a_new_deflection, sign_in
from tests.browser.test_officer_journey import save_and_see_confirmation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUESTION = "Compared with an arrest and booking, this was:"


def test_an_officer_logs_a_deflection_and_answers_in_one_tap(page, cast, live_server):
    sign_in(page, "officer_a1")
    page.get_by_role("heading", name="Log a deflection", level=1).wait_for()
    assert page.get_by_text(QUESTION).count() == 0  # never on the log form
    fill_a_new_deflection(page, cast, "Tobias", "Okonkwo")
    save_and_see_confirmation(page)
    confirmation_url = page.url

    card = page.locator("#feedback-card")
    card.get_by_role("heading", name=QUESTION).wait_for()
    easier = card.get_by_role("button", name="Easier")
    box = easier.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 300  # a thumb's target, full width
    # What got in the way stays folded away: the answer is one tap.
    assert not card.get_by_label("Transport").is_visible()

    easier.tap()
    page.locator("#feedback-card").filter(has_text="Thank you").wait_for()
    assert page.url == confirmation_url  # answered in place
    assert page.get_by_role("button", name="Harder").count() == 0
    feedback = OfficerFeedback.objects.get()
    referral = Referral.objects.get()
    assert (feedback.referral_id, feedback.officer_id, feedback.ease) == (referral.pk, cast.officer_a1.pk, "easier")
    # The form was measured from being shown to being saved.
    assert referral.seconds_to_log is not None and referral.seconds_to_log < 120


def test_without_javascript_the_answer_and_what_got_in_the_way_come_back_to_the_referral(browser, cast, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, **PHONE)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, "officer_a1")
        page.goto("/log/")
        fill_a_new_deflection(page, cast, "Ingrid", "Haugen")
        page.get_by_role("button", name="Save deflection").tap()
        page.wait_for_url(re.compile(r"/referrals/\d+/$"))
        card = page.locator("#feedback-card")
        card.locator("summary").tap()
        card.get_by_label("No partner answered").check()
        card.get_by_label("Transport").check()
        card.get_by_role("button", name="Harder").tap()
        page.get_by_text("Thank you").wait_for()
        assert page.get_by_text(QUESTION).count() == 0
        feedback = OfficerFeedback.objects.get()
        assert feedback.ease == "harder"
        assert sorted(feedback.obstacles.values_list("kind", flat=True)) == ["no_answer", "transport"]
    finally:
        context.close()
