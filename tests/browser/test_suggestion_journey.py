"""A suggestion that gets answered, on a phone: an officer sends one from the page they are on,
the program admin marks it changed, and the officer finds the answer and the change."""

from __future__ import annotations

import re

import pytest

from buyin.models import Suggestion
from tests.browser.helpers import open_menu, sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "At night the clinic's door is locked; put its intake line on the partner list."
ANSWER = "Added the 24/7 clinic's intake line to the partner list."


def _menu_link(page, name: str):
    open_menu(page)
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile(name))


def mark_changed(page, listed_as: str, text: str, answer: str) -> None:
    """The program admin, on the triage list, opens the suggestion listed with `listed_as`
    and marks it changed with `answer`."""
    page.locator("#triage-list a").filter(has_text=listed_as).first.tap()
    page.get_by_text(text).wait_for()
    page.locator("summary", has_text="Changed").tap()
    page.get_by_label("What was changed").fill(answer)
    page.get_by_role("button", name="Changed").tap()
    page.get_by_role("status").filter(has_text="Marked changed; the author is told.").wait_for()
    assert Suggestion.objects.get().state == Suggestion.State.CHANGED


def test_an_officer_suggests_the_admin_marks_it_changed_and_the_officer_sees_it_done(page, cast):
    # From "My deflections", the officer opens the form from the menu.
    sign_in(page, "officer_a1")
    page.goto("/mine/")
    _menu_link(page, "Suggest a change").tap()
    page.get_by_role("heading", name="Suggest a change", level=1).wait_for()
    button = page.get_by_role("button", name="Send suggestion")
    assert button.bounding_box()["height"] >= 44
    page.get_by_role("radio", name="A partner").check()
    page.get_by_label("Which partner (optional)").select_option(label="Y 24/7 MAT Clinic")
    page.get_by_label("Your suggestion").fill(TEXT)
    page.get_by_label("You may name me in “You said, we did”").check()
    button.tap()
    # Back where they were, told it was sent.
    page.wait_for_url(re.compile(r"/mine/$"))
    page.get_by_role("status").filter(has_text="your suggestion was sent").wait_for()
    sign_out(page)

    # The program admin (not a superuser) answers it from the triage page.
    sign_in(page, "program_admin")
    page.goto("/buyin/you-said-we-did/")  # the admin lands in the admin site, which has its own menu
    _menu_link(page, "Suggestions to answer").tap()
    mark_changed(page, "Y 24/7 MAT Clinic", TEXT, ANSWER)
    sign_out(page)

    # The officer's menu says there is an answer; "You said, we did" lists the change with their name.
    sign_in(page, "officer_a1")
    _menu_link(page, "My suggestions").filter(has_text="1 new answer").tap()
    page.get_by_text(ANSWER).wait_for()
    page.get_by_role("button", name="Mark as read").tap()
    page.get_by_role("button", name="Mark as read").wait_for(state="detached")
    assert page.get_by_text("New answer").count() == 0
    _menu_link(page, "You said, we did").tap()
    entry = page.locator("#changes-made li").filter(has_text=ANSWER)
    entry.wait_for()
    assert "Suggested by Avery Oakhurst" in entry.inner_text()
