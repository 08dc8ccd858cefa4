"""Enter, or a phone's Go key, on the log form: in a field it saves the deflection, as the save
button does; in the search box it searches. With and without JavaScript."""

from __future__ import annotations

import re
from datetime import date

import pytest

from referrals.models import Client, Referral
from tests.browser.helpers import fill_a_new_deflection, hold_saves, release_saves, sign_in
from tests.factories.referrals import ClientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLIENT_SEARCH = "/log/clients/"


def test_enter_in_charge_deflected_saves_the_deflection(page, cast, live_server):
    sign_in(page, "officer_a1")
    fill_a_new_deflection(page, cast, "Tobias", "Okonkwo")
    charge = page.get_by_label("Charge deflected")
    charge.fill("Possession")
    charge.press("Enter")
    page.wait_for_url(re.compile(r"/referrals/\d+/$"))
    page.get_by_role("status").filter(has_text="Deflection logged").wait_for()
    referral = Referral.objects.get()
    assert (referral.client.first_name, referral.client.last_name) == ("Tobias", "Okonkwo")
    assert referral.charge_deflected == "Possession"
    assert page.url.endswith(f"/referrals/{referral.pk}/")


def test_enter_in_minutes_spent_on_an_unfinished_form_says_what_to_fix_and_runs_no_search(page, cast, live_server):
    sign_in(page, "officer_a1")
    page.get_by_label("First name").fill("Tobias")
    page.get_by_label("Last name").fill("Okonkwo")
    page.get_by_label("Minutes spent").press("Enter")
    summary = page.locator("#error-summary")
    summary.wait_for()
    assert "Nothing was saved yet" in summary.inner_text()
    assert "Pathway" in summary.inner_text()
    assert page.get_by_text("No client found").count() == 0
    # What was typed comes back with the errors.
    assert page.get_by_label("First name").input_value() == "Tobias"
    assert not Referral.objects.exists()


def test_the_save_is_the_only_save_button_a_screen_reader_or_the_tab_key_meets(page, cast, live_server):
    sign_in(page, "officer_a1")
    assert page.locator("#log-form button[value=save]").count() == 2  # the save, and the copy Enter presses
    assert page.get_by_role("button", name="Save deflection").count() == 1
    reached = page.evaluate(
        """() => [...document.querySelectorAll("#log-form button[value=save]")]
            .filter((b) => b.tabIndex >= 0).map((b) => b.textContent.trim())"""
    )
    assert reached == ["Save deflection"]


def test_enter_in_the_search_box_searches_and_saves_nothing(page, cast, live_server):
    known = ClientFactory(agency=cast.agency_a, first_name="Rosalind", last_name="Achterberg")
    sign_in(page, "officer_a1")
    # A form that would save: were Enter to press the save here, a deflection would be logged.
    fill_a_new_deflection(page, cast, "Tobias", "Okonkwo")
    search = page.get_by_role("searchbox", name="Find the client")
    search.fill("Achterberg Rosalind")
    with page.expect_response(lambda r: r.url.endswith(CLIENT_SEARCH) and r.request.method == "POST"):
        search.press("Enter")
    page.locator(f"#client-results input[name=client][value='{known.pk}']").wait_for()
    assert page.url.endswith("/log/")
    assert not Referral.objects.exists()


def test_enter_then_a_tap_on_save_logs_one_deflection(page, cast, live_server):
    sign_in(page, "officer_a1")
    fill_a_new_deflection(page, cast, "Ingrid", "Haugen")
    held = hold_saves(page)  # so that the tap lands while Enter's save is in flight
    page.get_by_label("Charge deflected").focus()
    # Where the button is (stuck to the screen's foot) once the page has settled (the focus's
    # scroll done, the Wins below the form loaded), read before Enter: once the save is in
    # flight, reading the page waits for it. Read until it stays put: read while the page still
    # moved, the tap landed on the Wins.
    page.wait_for_load_state("networkidle")
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    button = page.get_by_role("button", name="Save deflection")
    save, before = button.bounding_box(), None
    for _ in range(20):
        if save == before:
            break
        page.wait_for_timeout(100)
        before, save = save, button.bounding_box()
    # The keyboard and the touch screen themselves: a locator would wait for the held save.
    page.keyboard.press("Enter")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1, "Enter sent no save"
    page.touchscreen.tap(save["x"] + save["width"] / 2, save["y"] + save["height"] / 2)
    page.wait_for_timeout(600)
    saves_sent = release_saves(held)
    page.wait_for_url(re.compile(r"/referrals/\d+/$"))
    page.get_by_role("status").filter(has_text="Deflection logged").wait_for()
    assert saves_sent == 1
    assert Referral.objects.count() == 1


def test_with_htmx_missing_enter_in_the_search_box_still_searches(page, cast, live_server):
    known = ClientFactory(agency=cast.agency_a, first_name="Rosalind", last_name="Achterberg")
    page.route(re.compile(r"/htmx[^/]*\.js"), lambda route: route.abort())
    sign_in(page, "officer_a1")
    assert page.evaluate("() => !window.htmx")
    fill_a_new_deflection(page, cast, "Tobias", "Okonkwo")
    search = page.get_by_role("searchbox", name="Find the client")
    search.fill("Achterberg Rosalind")
    with page.expect_navigation():
        search.press("Enter")
    page.locator(f"#client-results input[name=client][value='{known.pk}']").wait_for()
    assert not Referral.objects.exists()


@pytest.fixture
def page_without_javascript(browser, live_server):
    from tests.browser.conftest import ACTION_TIMEOUT_MS, PHONE

    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, **PHONE)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_without_javascript_enter_in_charge_deflected_saves_the_deflection(page_without_javascript, cast):
    page = page_without_javascript
    sign_in(page, "officer_a1")
    fill_a_new_deflection(page, cast, "Tobias", "Okonkwo")
    charge = page.get_by_label("Charge deflected")
    charge.fill("Trespass")
    with page.expect_navigation():
        charge.press("Enter")
    page.wait_for_url(re.compile(r"/referrals/\d+/$"))
    page.get_by_role("status").filter(has_text="Deflection logged").wait_for()
    assert Referral.objects.get().charge_deflected == "Trespass"


def test_without_javascript_the_search_button_still_searches_and_keeps_the_form(page_without_javascript, cast):
    known = ClientFactory(
        agency=cast.agency_a, first_name="Rosalind", last_name="Achterberg", date_of_birth=date(1979, 5, 2)
    )
    page = page_without_javascript
    sign_in(page, "officer_a1")
    page.get_by_label("Charge deflected").fill("Trespass")
    page.get_by_role("searchbox", name="Find the client").fill("Achterberg Rosalind")
    with page.expect_navigation():
        page.get_by_role("button", name="Search", exact=True).tap()
    assert page.locator(f"#client-results input[name=client][value='{known.pk}']").count() == 1
    assert page.get_by_label("Charge deflected").input_value() == "Trespass"
    assert not Referral.objects.exists() and Client.objects.count() == 1


def test_picking_a_known_client_after_an_empty_save_clears_what_was_said_of_the_client(page, cast, live_server):
    """An empty save says the name is missing; the officer then finds and picks the person:
    the client's errors go, those of the rest of the form stay."""
    known = ClientFactory(agency=cast.agency_a, first_name="Rosalind", last_name="Achterberg")
    sign_in(page, "officer_a1")
    page.get_by_role("button", name="Save deflection").click()
    summary = page.locator("#error-summary")
    summary.wait_for()
    assert "First name" in summary.inner_text() and "Pathway" in summary.inner_text()
    search = page.get_by_role("searchbox", name="Find the client")
    with page.expect_response(lambda r: r.url.endswith(CLIENT_SEARCH) and r.request.method == "POST"):
        search.fill("Achterberg Rosalind")
    pick = page.locator(f"#client-results input[name=client][value='{known.pk}']")
    pick.check()
    assert "First name" not in summary.inner_text() and "Last name" not in summary.inner_text()
    assert "Pathway" in summary.inner_text()
    assert page.locator("#new-client .invalid-feedback:visible").count() == 0
    # Nothing left pointing at an error that is gone.
    assert "client-error" not in (search.get_attribute("aria-describedby") or "")
    assert page.locator("#client-error").count() == 0
