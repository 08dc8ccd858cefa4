"""The officer's voice in one journey on a phone (390x844): an officer logs a deflection,
answers the question in one tap, and sends a suggestion; the program admin (not a superuser)
marks it changed; the officer finds the change under "You said, we did"."""

from __future__ import annotations

import re

import pytest

from buyin.models import OfficerFeedback
from referrals.models import Referral
from tests.browser.helpers import fill_a_new_deflection, sign_in, sign_out
from tests.browser.test_officer_feedback import QUESTION
from tests.browser.test_officer_journey import save_and_see_confirmation
from tests.browser.test_suggestion_journey import _menu_link, mark_changed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "Let me pick the partner before the pathway: I know where they are going first."
ANSWER = "The log form now lists the partners first."


def test_an_officer_deflects_answers_in_a_tap_suggests_and_sees_the_change_made(page, cast):
    sign_in(page, "officer_a1")
    fill_a_new_deflection(page, cast, "Marisol", "Quintero")
    save_and_see_confirmation(page)
    referral_url = page.url

    # One tap answers the question on the confirmation.
    card = page.locator("#feedback-card")
    card.get_by_role("heading", name=QUESTION).wait_for()
    card.get_by_role("button", name="About the same").tap()
    card.filter(has_text="Thank you").wait_for()
    feedback = OfficerFeedback.objects.get()
    assert (feedback.referral_id, feedback.ease) == (Referral.objects.get().pk, "same")

    # From the same page, a suggestion; back on the referral once it is sent.
    _menu_link(page, "Suggest a change").tap()
    page.get_by_role("heading", name="Suggest a change", level=1).wait_for()
    page.get_by_role("radio", name="The form").check()
    page.get_by_label("Your suggestion").fill(TEXT)
    page.get_by_role("button", name="Send suggestion").tap()
    page.wait_for_url(referral_url)
    page.get_by_role("status").filter(has_text="your suggestion was sent").wait_for()
    sign_out(page)

    # The program admin marks it changed.
    sign_in(page, "program_admin")
    page.goto("/buyin/suggestions/")
    mark_changed(page, "The form", TEXT, ANSWER)
    sign_out(page)

    # The officer sees it under "You said, we did", without their name (they did not ask to be named).
    sign_in(page, "officer_a1")
    _menu_link(page, "You said, we did").tap()
    page.wait_for_url(re.compile(r"/buyin/you-said-we-did/$"))
    entry = page.locator("#changes-made li").filter(has_text=ANSWER)
    entry.wait_for()
    assert "Oakhurst" not in entry.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
