"""Recognition on a phone: a sergeant commends an officer from the menu, and the officer finds
it in My record, says they may be named, and has the letter for their file."""

from __future__ import annotations

import pytest

from buyin.models import Commendation
from tests.browser.helpers import open_menu, sign_in, sign_out
from tests.factories.referrals import OfficerFactory, ReferralFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "Stayed with a man in crisis for forty minutes and walked him into the crisis centre."


def test_a_sergeant_commends_an_officer_who_then_sees_it_in_my_record(page, cast):
    assert page.viewport_size == {"width": 390, "height": 844}
    deflection = ReferralFactory(
        officer=OfficerFactory(user=cast.officer_a1), partner=cast.partner_y, incident_number="PV26-11142038"
    )
    sign_in(page, "supervisor_a")
    open_menu(page)
    page.get_by_role("link", name="Commend an officer").tap()
    page.get_by_role("heading", name="Commend an officer", level=1).wait_for()
    officer = page.get_by_role("combobox", name="Officer")
    names = officer.locator("option").all_inner_texts()
    assert names[1].startswith("Avery Oakhurst") and not any("Rivermoor" in n for n in names)  # not agency B's
    officer.select_option(str(cast.officer_a1.pk))
    page.get_by_label("Kind of recognition").select_option("Commendation")
    page.get_by_label("What the officer did").fill(TEXT)
    # The deflection as the sergeant knows it from the report.
    page.get_by_label("For the deflection with the incident number (optional)").fill("pv26 11142038")
    page.get_by_role("button", name="Commend").tap()
    page.get_by_role("status").filter(has_text="Avery Oakhurst is commended").wait_for()
    assert Commendation.objects.filter(officer=cast.officer_a1, commended_by=cast.supervisor_a).count() == 1
    assert Commendation.objects.get().referral == deflection
    sign_out(page)

    sign_in(page, "officer_a1")
    open_menu(page)
    page.get_by_role("link", name="My record").tap()
    section = page.get_by_role("region", name="Recognition")
    section.get_by_text(TEXT).wait_for()
    assert "From Dana Stonebridge (Supervisor)" in section.inner_text()
    # Not named unless the officer says so; then the choice is kept.
    assert section.get_by_label("No, only count it").is_checked()
    section.get_by_label("Yes, you may name me").check()
    section.get_by_role("button", name="Save my choice").tap()
    page.get_by_role("status").filter(has_text="You may be named").wait_for()
    assert Commendation.objects.get().may_name
    letter = page.get_by_role("region", name="Recognition").get_by_role("link", name="Letter for my file (PDF)")
    box = letter.bounding_box()
    assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= 390
    response = page.request.get(letter.get_attribute("href"))
    assert response.ok and response.body().startswith(b"%PDF")
