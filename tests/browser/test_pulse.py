"""The pulse survey on a phone: the officer is shown the open wave, answers it in taps, and
the pages pass WCAG 2.1 AA with every tap target at least 44 px square."""

from __future__ import annotations

import pytest

from buyin.models import PulseAnswer
from tests.browser import helpers
from tests.browser.test_accessibility import SCHEMES, Checker, assert_clean, axe_pages, small_targets  # noqa: F401
from tests.factories.buyin import answer, pulse_wave
from tests.factories.core import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_officer_on_a_phone_answers_the_open_wave_in_taps_once(cast, page):
    survey = pulse_wave(actor=cast.program_admin, agency=cast.agency_a, units=[cast.unit_a])
    helpers.sign_in(page, "officer_a1")
    page.goto("/mine/")
    page.get_by_role("link", name="Answer the pulse survey").tap()
    page.wait_for_url(f"**/buyin/pulse/{survey.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for i, choice in enumerate(["Strongly agree", "Agree", "Agree", "Neither agree nor disagree", "Strongly agree"]):
        page.locator("fieldset").nth(i).get_by_text(choice, exact=True).tap()
    page.get_by_label(survey.open_question).fill("A partner who answers at night.")
    page.get_by_role("button", name="Send my answer").tap()
    page.locator("#pulse-answered").wait_for()
    stored = PulseAnswer.objects.get()
    assert stored.scores == [5, 4, 4, 3, 5, None] and stored.open_text == "A partner who answers at night."
    assert page.locator("[data-pulse-waiting]").count() == 0


def test_the_pulse_pages_pass_wcag_aa_with_44_px_targets(cast, axe_pages):  # noqa: F811
    colleagues = UserFactory.create_batch(2, agency=cast.agency_a, unit=cast.unit_a)
    survey = pulse_wave(actor=cast.program_admin, agency=cast.agency_a, units=[cast.unit_a])
    closed = pulse_wave(actor=cast.program_admin, agency=cast.agency_a, units=[cast.unit_a], days_ago=30)
    for person in [cast.officer_a1, cast.officer_a2, cast.supervisor_a, *colleagues]:
        answer(closed, person, [4, 5, 3, 2, 4, None], open_text="Keep it short")
    officer = Checker(axe_pages())
    helpers.sign_in(officer.page, "officer_a1", touch=False)
    officer.visit("/mine/", "my deflections with the wave waiting")
    officer.visit(f"/buyin/pulse/{survey.pk}/", "pulse answer")
    sizes: dict = {}
    small = small_targets(officer.page, "pulse answer", sizes)
    admin = Checker(axe_pages())
    helpers.sign_in(admin.page, "program_admin", touch=False)
    admin.visit("/buyin/pulse/", "pulse list")
    admin.visit("/buyin/pulse/new/", "pulse new wave")
    admin.visit(f"/buyin/pulse/{closed.pk}/results/", "pulse results")
    assert_clean([officer, admin])
    assert not small, "Tap targets under 44x44 px:\n" + "\n".join(small)
