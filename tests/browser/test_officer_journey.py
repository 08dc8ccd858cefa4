"""The officer's journey on a phone, end to end: sign in, log two deflections for one
client, see them in "My deflections" and in the right partner's queue, and only there."""

from __future__ import annotations

import re
import time
from datetime import date

import pytest
from playwright.sync_api import expect

from partners.models import ServicePartner
from referrals.models import Client, OfficerContact, Referral
from tests.browser.helpers import fill_a_new_deflection, hold_saves, open_menu, release_saves, sign_in, sign_out
from tests.factories.partners import ServicePartnerFactory
from tests.factories.referrals import ClientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRST, LAST = "Marisol", "Quintanilla"
CLIENT_SEARCH = "/log/clients/"


def search_client(page, text: str) -> None:
    """Type as an officer does; htmx posts what was typed to the search endpoint."""
    box = page.get_by_role("searchbox", name="Find the client")
    with page.expect_response(lambda r: r.url.endswith(CLIENT_SEARCH) and r.request.method == "POST") as answer:
        box.press_sequentially(text, delay=30)
    assert answer.value.ok


def pick_pathway_and_partner_y(page, cast, pathway: str) -> None:
    page.get_by_role("radio", name=pathway).check()
    partners = page.locator("input[name=partner]")
    # 24/7 partners come first, with a marker an officer can see.
    assert partners.first.get_attribute("value") == str(cast.partner_y.pk)
    first_label = page.locator(f"label[for='{partners.first.get_attribute('id')}']")
    assert "Open 24/7" in first_label.inner_text()
    partners.first.check()


def save_and_see_confirmation(page):
    page.get_by_role("button", name="Save deflection").tap()
    page.wait_for_url(re.compile(r"/referrals/\d+/$"))
    confirmation = page.get_by_role("status").filter(has_text="Deflection logged")
    confirmation.wait_for()
    return confirmation


def test_an_officer_logs_a_client_then_sees_them_again_and_only_partner_y_sees_it(page, cast, live_server):
    # Sign in on the phone: the officer lands on "Log a deflection".
    sign_in(page, "officer_a1")
    assert page.url.endswith("/log/")
    page.get_by_role("heading", name="Log a deflection", level=1).wait_for()
    started = time.perf_counter()

    # A new client: the search finds no one, so the officer enters them.
    search_client(page, f"{FIRST} {LAST}")
    page.locator("#client-results").get_by_text("No client found").wait_for()
    # The name searched for is already in the new client's fields: not typed twice.
    assert page.get_by_label("First name").input_value() == FIRST
    assert page.get_by_label("Last name").input_value() == LAST
    page.get_by_label("Date of birth").fill("1988-04-12")
    pick_pathway_and_partner_y(page, cast, "Active outreach")
    # Minutes come pre-filled with the agency's default, so the officer can leave them.
    assert page.get_by_label("Minutes spent").input_value() == "25"
    confirmation = save_and_see_confirmation(page)
    elapsed = time.perf_counter() - started
    print(f"\nFirst deflection, from the form to the confirmation: {elapsed:.1f} s")
    assert cast.partner_y.name in confirmation.inner_text()

    # A second deflection of the same person, found by search with the names swapped
    # and a typo: one tap on the match, no new client.
    open_menu(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Log a deflection").tap()
    page.wait_for_url(re.compile(r"/log/$"))
    client = Client.objects.get(first_name=FIRST, last_name=LAST)
    search_client(page, "Quintanila Marisol")
    match = page.locator(f"#client-results input[name=client][value='{client.pk}']")
    match.wait_for()
    match.check()
    # Picking a known client folds the new-client fields away.
    assert not page.get_by_label("First name").is_visible()
    pick_pathway_and_partner_y(page, cast, "Naloxone plus")
    # Partner Y still has the first referral open: the encounter is added to it as the
    # officer seeing the client again, not a second item in the partner's queue.
    page.get_by_role("button", name="Save deflection").tap()
    page.wait_for_url(re.compile(r"/referrals/\d+/$"))
    page.get_by_role("status").filter(has_text="Seen again").wait_for()

    assert Client.objects.filter(first_name__iexact=FIRST, last_name__iexact=LAST).count() == 1
    referrals = Referral.objects.filter(client=client)
    assert referrals.count() == 1
    referral = referrals.get()
    assert page.url.endswith(f"/referrals/{referral.pk}/")
    assert (referral.officer.user.username, referral.partner_id) == ("officer_a1", cast.partner_y.pk)
    contact = OfficerContact.objects.get(referral=referral)
    assert (contact.pathway, contact.officer_minutes, contact.officer_id) == (
        "naloxone_plus",
        25,
        referral.officer_id,
    )

    # "My deflections" lists the referral once.
    open_menu(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My deflections").tap()
    page.wait_for_url(re.compile(r"/mine/$"))
    mine = page.locator("#my-deflections > li")
    assert mine.filter(has_text=f"{FIRST} {LAST}").count() == 1

    # Partner Y's case manager has one item, which says the officer saw the client again.
    sign_out(page)
    sign_in(page, "cm_y")
    assert page.url.endswith("/queue/")
    item = page.locator("#partner-queue > li").filter(has_text=f"{FIRST} {LAST}")
    assert item.count() == 1
    assert "Seen again" in item.inner_text()

    # Partner X's case manager sees neither, not even by the referral's address.
    sign_out(page)
    sign_in(page, "cm_x")
    assert page.url.endswith("/queue/")
    assert page.get_by_text(LAST).count() == 0
    response = page.goto(f"/referrals/{referral.pk}/")
    assert response.status == 404


def test_a_double_tap_on_save_logs_one_deflection(page, cast, live_server):
    sign_in(page, "officer_a1")
    fill_a_new_deflection(page, cast, "Tobias", "Okonkwo")
    held = hold_saves(page)  # so that the second tap lands while the first is in flight
    page.eval_on_selector("button[value=save]", "button => { button.click(); setTimeout(() => button.click(), 150); }")
    page.wait_for_timeout(600)
    saves_sent = release_saves(held)
    page.wait_for_url(re.compile(r"/referrals/\d+/$"))
    page.get_by_role("status").filter(has_text="Deflection logged").wait_for()
    assert saves_sent == 1
    assert Referral.objects.count() == 1
    assert Client.objects.filter(first_name="Tobias", last_name="Okonkwo").count() == 1


def test_the_same_form_sent_twice_logs_one_deflection(page, cast, live_server):
    """The server's guard, without the page's: both posts carry the one submission token."""
    sign_in(page, "officer_a1")
    fill_a_new_deflection(page, cast, "Ingrid", "Haugen")
    bodies = page.evaluate(
        """async () => {
            const form = document.getElementById("log-form");
            const send = () => {
                const data = new FormData(form);
                data.set("action", "save");
                return fetch(form.getAttribute("action"), {method: "POST", body: data, credentials: "same-origin"})
                    .then(r => r.text());
            };
            const first = await send();
            const second = await send();
            return [first, second];
        }"""
    )
    assert "Deflection logged" in bodies[0]
    assert "already saved" in bodies[1]
    assert Referral.objects.count() == 1
    assert Client.objects.filter(first_name="Ingrid", last_name="Haugen").count() == 1


def test_a_search_as_last_first_and_birth_date_fills_the_new_client_but_never_what_was_typed(page, cast, live_server):
    sign_in(page, "officer_a1")
    page.get_by_label("Last name").fill("Typed-by-hand")
    search_client(page, "Quintanilla, Marisol 6/14/1988")
    page.locator("#client-results").get_by_text("No client found").wait_for()
    assert page.get_by_label("First name").input_value() == "Marisol"
    assert page.get_by_label("Last name").input_value() == "Typed-by-hand"
    assert page.get_by_label("Date of birth").input_value() == "1988-06-14"


def test_a_name_typed_with_pauses_fills_the_new_client_with_the_whole_name_and_date(page, cast, live_server):
    sign_in(page, "officer_a1")
    results = page.locator("#client-results")
    first, last, born = (page.get_by_label(label) for label in ("First name", "Last name", "Date of birth"))
    # The fields are filled after the answer is swapped in, a moment after it arrives, and the
    # results read "No client found" before and after: wait for the fields themselves.
    search_client(page, "Marisol Qu")  # a pause mid-name: nobody found yet
    results.get_by_text("No client found").wait_for()
    expect(last).to_have_value("Qu")
    search_client(page, "intanilla 1988-06-1")  # and mid-date
    expect(last).to_have_value("Quintanilla")
    expect(born).to_have_value("")
    search_client(page, "4")
    expect(born).to_have_value("1988-06-14")
    expect(first).to_have_value("Marisol")
    expect(last).to_have_value("Quintanilla")


# An agency's usual set of partners, as in the demo: several, three of them open 24/7.
MORE_PARTNERS = [
    ("Pima Valley Crisis Response Center", ServicePartner.Kind.CRISIS_CENTRE, True),
    ("Northside Detox and Withdrawal Unit", ServicePartner.Kind.DETOX, True),
    ("Second Chance Peer Deflection Team", ServicePartner.Kind.DEFLECTION_TEAM, False),
    ("Casa Esperanza Housing Navigation", ServicePartner.Kind.HOUSING, False),
    ("Desert Willow Behavioral Health", ServicePartner.Kind.MENTAL_HEALTH, False),
]
PHONE_SCREEN_PX = 844


def test_logging_a_known_client_takes_at_most_two_phone_screens(page, cast, live_server):
    for name, kind, all_hours in MORE_PARTNERS:
        ServicePartnerFactory(name=name, kind=kind, is_24_7=all_hours, agencies=[cast.agency_a])
    known = ClientFactory(
        agency=cast.agency_a, first_name="Rosalind", last_name="Achterberg", date_of_birth=date(1979, 5, 2)
    )
    sign_in(page, "officer_a1")
    search_client(page, "Achterberg Rosalind")
    match = page.locator(f"#client-results input[name=client][value='{known.pk}']")
    match.wait_for()
    match.check()
    page.get_by_role("radio", name="Self-referral").check()
    page.locator(f"input[name=partner][value='{cast.partner_y.pk}']").check()
    # Down to the save button: the program's wins below the form are not part of logging.
    height = page.evaluate("() => document.getElementById('log-form').getBoundingClientRect().bottom + window.scrollY")
    print(f"\nLog a deflection for a known client, at 390x844: {height} px high")
    assert height <= 2 * PHONE_SCREEN_PX
    # Compact, yet every choice is still a box a thumb can hit: at least 44 by 44 px.
    small = page.evaluate(
        """() => [...document.querySelectorAll('#log-form .form-check, #log-form summary, #log-form .btn')]
            .filter(el => el.offsetParent !== null)
            .map(el => [el.textContent.trim().slice(0, 30), el.getBoundingClientRect()])
            .filter(([, box]) => box.height < 44 || box.width < 44)
            .map(([text, box]) => `${text}: ${Math.round(box.width)}x${Math.round(box.height)}`)"""
    )
    assert small == []
    # The partner beyond the likeliest three is one tap away, behind "More partners".
    assert not page.get_by_label("Casa Esperanza Housing Navigation").is_visible()
    # Save is in reach wherever the officer is on the page: on screen without scrolling.
    save = page.get_by_role("button", name="Save deflection")
    box = save.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE_SCREEN_PX
    save.tap()
    page.wait_for_url(re.compile(r"/referrals/\d+/$"))
    assert Referral.objects.get().client == known


def test_without_javascript_none_of_these_carries_the_name_and_date_searched_for(browser, cast, live_server):
    from tests.browser.conftest import ACTION_TIMEOUT_MS, PHONE

    ClientFactory(agency=cast.agency_a, first_name="Marisol", last_name="Quintana", date_of_birth=date(1988, 6, 14))
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, **PHONE)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, "officer_a1")
        page.get_by_role("searchbox", name="Find the client").fill("Quintanilla, Marisol 6/14/1988")
        with page.expect_navigation():
            page.get_by_role("button", name="Search", exact=True).tap()
        with page.expect_navigation():
            page.get_by_role("button", name="None of these: a new client").tap()
        assert page.get_by_label("First name").is_visible()
        assert page.get_by_label("First name").input_value() == "Marisol"
        assert page.get_by_label("Last name").input_value() == "Quintanilla"
        assert page.get_by_label("Date of birth").input_value() == "1988-06-14"
    finally:
        context.close()


def test_none_of_these_drops_the_picked_client_and_opens_the_new_client_in_place(page, cast, live_server):
    near = ClientFactory(agency=cast.agency_a, first_name="Marisol", last_name="Quintana", date_of_birth=None)
    sign_in(page, "officer_a1")
    search_client(page, "Marisol Quintanilla")
    match = page.locator(f"#client-results input[name=client][value='{near.pk}']")
    match.check()
    assert not page.get_by_label("First name").is_visible()
    page.get_by_role("button", name="None of these: a new client").tap()
    assert page.get_by_label("First name").is_visible()
    assert page.get_by_label("First name").input_value() == "Marisol"
    assert page.get_by_label("Last name").input_value() == "Quintanilla"
    assert not match.is_checked()
    assert page.url.endswith("/log/")  # done in place: nothing was posted
