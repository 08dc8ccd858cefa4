"""Logging with no signal, on a phone in Chromium: the installed app keeps the log form, the
deflections wait on the phone encrypted (not readable as plain text), and arrive exactly once
when the signal returns, after signing in again if the session ended meanwhile; signing out
with deflections waiting warns first; a possible duplicate is the officer's one-tap question.

The browser's own offline mode (`context.set_offline`) cuts the page and its service worker off
the network. live_server on http://localhost is a secure context: service workers, Web Crypto
and IndexedDB work as on https.
"""

from __future__ import annotations

import datetime as dt
import re
from datetime import date

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from partners.models import ServicePartner
from referrals.models import Client, ClientMerge, PossibleDuplicate, Referral
from tests.browser.helpers import open_menu, sign_in
from tests.browser.test_accessibility import SCHEMES, Checker, assert_clean, axe_pages  # noqa: F401 (a fixture)
from tests.factories.referrals import (
    ClientFactory,
    JusticeAgencyFactory,
    OfficerFactory,
    ReferralFactory,
    flagged_deflection,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# An IndexedDB request as a promise, for the scripts below (in place of /* ask */).
ASK = """const ask = (request) => new Promise((ok, no) => {
    request.onsuccess = () => ok(request.result);
    request.onerror = () => no(request.error);
  });"""

# Every record and key IndexedDB holds for the site, each value turned into text: strings as
# they are, bytes (the sealed deflections) as Latin-1, one character per byte, so that any
# plain text among them shows; keys described, with whether the browser lets them out.
READ_EVERYTHING_STORED = """async () => {
  const asText = async (value) => {
    if (value instanceof CryptoKey) {
      const out = await crypto.subtle.exportKey("raw", value).then(() => "EXPORTED", () => "refused");
      return `CryptoKey(${value.algorithm.name}, extractable=${value.extractable}, export ${out})`;
    }
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
      const bytes = new Uint8Array(value instanceof ArrayBuffer ? value : value.buffer);
      return Array.from(bytes, (b) => String.fromCharCode(b)).join("");
    }
    if (value && typeof value === "object") {
      const parts = [];
      for (const [k, v] of Object.entries(value)) parts.push(k + "=" + await asText(v));
      return "{" + parts.join(", ") + "}";
    }
    return String(value);
  };
  /* ask */
  const stored = {};
  for (const info of await indexedDB.databases()) {
    const db = await ask(indexedDB.open(info.name));
    for (const name of db.objectStoreNames) {
      const rows = await ask(db.transaction(name).objectStore(name).getAll());
      stored[info.name + "/" + name] = await Promise.all(rows.map(asText));
    }
    db.close();
  }
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    const bodies = (await cache.keys()).map(async (r) => r.url + " " + (await (await cache.match(r)).text()));
    stored["cache/" + name] = await Promise.all(bodies);
  }
  stored["localStorage"] = [JSON.stringify(localStorage)];
  stored["sessionStorage"] = [JSON.stringify(sessionStorage)];
  return stored;
}""".replace("/* ask */", ASK)

# Open what waits with the officer's own key, as offline.js does: the control that the
# sealed bytes above do hold the deflection.
OPEN_WHAT_WAITS = """async () => {
  /* ask */
  const db = await ask(indexedDB.open("deflection-offline"));
  const records = await ask(db.transaction("outbox").objectStore("outbox").getAll());
  const opened = [];
  for (const r of records) {
    const { key } = await ask(db.transaction("keys").objectStore("keys").get(r.user));
    const additionalData = new TextEncoder().encode("deflection:" + r.user + ":" + r.token);
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: r.iv, additionalData }, key, r.sealed);
    opened.push(new TextDecoder().decode(plain));
  }
  db.close();
  return opened;
}""".replace("/* ask */", ASK)

COUNT_STORED = """async (store) => {
  /* ask */
  if (!(await indexedDB.databases()).some((d) => d.name === "deflection-offline")) return 0;
  const db = await ask(indexedDB.open("deflection-offline"));
  const count = await ask(db.transaction(store).objectStore(store).count());
  db.close();
  return count;
}""".replace("/* ask */", ASK)

KEEPS_THE_LOG_FORM = """async () => {
  if (!navigator.serviceWorker.controller) return false;
  const cache = await caches.open("deflection-shell");
  return !!(await cache.match("/log/offline/", { ignoreVary: true }));
}"""


def ready_for_no_signal(page) -> None:
    """The service worker controls the page and keeps this officer's log form (asked again and
    again: wait_for_function does not wait for a promise)."""
    for _ in range(150):
        if page.evaluate(KEEPS_THE_LOG_FORM):
            return
        page.wait_for_timeout(100)
    raise AssertionError("the service worker did not keep the log form")


def stored(page, store: str) -> int:
    return page.evaluate(COUNT_STORED, store)


def signed_in_with_no_signal(page, who: str = "officer_a1") -> None:
    """Signed in with signal (the phone keeps the log form), then none: on the kept form."""
    sign_in(page, who)
    ready_for_no_signal(page)
    go_offline_on_the_log_form(page)


def go_offline_on_the_log_form(page) -> None:
    page.context.set_offline(True)
    # Opening the app with no signal: the phone answers with the form it kept.
    page.goto("/log/")
    expect(page.locator("#offline-note")).to_be_visible()
    expect(page.get_by_label("First name")).to_be_visible()


def log_with_no_signal(page, partner: ServicePartner, first: str, last: str, born: str, pathway="Active outreach"):
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("Date of birth").fill(born)
    page.get_by_role("radio", name=pathway).check()
    page.locator(f"input[name=partner][value='{partner.pk}']").check()
    saved = page.get_by_text("No signal: the deflection is saved on this phone")
    before = saved.count()
    page.get_by_role("button", name="Save deflection").tap()
    expect(saved).to_have_count(before + 1)
    # A blank form for the next one.
    expect(page.get_by_label("First name")).to_have_value("")


def test_two_deflections_logged_with_no_signal_arrive_exactly_once_after_signing_in_again(cast, page):
    with time_machine.travel(timezone.now(), tick=True) as traveller:
        signed_in_with_no_signal(page)

        log_with_no_signal(page, cast.partner_y, "Marisol", "Quintanilla", "1988-04-12")
        expect(page.get_by_role("heading", name="Waiting to send (1)")).to_be_visible()
        log_with_no_signal(page, cast.partner_x, "Teodoro", "Villalobos", "1975-09-30", pathway="Naloxone plus")
        expect(page.get_by_role("heading", name="Waiting to send (2)")).to_be_visible()
        assert not Referral.objects.exists()

        # The session ends while there is no signal (half an hour by the server's clock).
        traveller.shift(dt.timedelta(minutes=31))
        page.context.set_offline(False)
        expect(page.get_by_text("Your session has ended. Sign in again to send")).to_be_visible()
        assert not Referral.objects.exists()
        assert stored(page, "outbox") == 2

        # The sign-in page says what waits; signing in sends it.
        page.goto("/accounts/login/")
        expect(page.get_by_text("waiting to be sent: 2")).to_be_visible()
        sign_in(page, "officer_a1")
        sent = page.locator("#offline-sent .alert").filter(has_text="Sent: the deflection saved on this phone")
        expect(sent).to_have_count(2)
        expect(sent.filter(has_text=cast.partner_y.name)).to_have_count(1)
        expect(sent.filter(has_text=cast.partner_x.name)).to_have_count(1)
        expect(page.locator("#offline-outbox")).to_be_hidden()

    referrals = Referral.objects.filter(created_by=cast.officer_a1).order_by("client__last_name")
    assert [(r.client.first_name, r.client.last_name, r.client.date_of_birth) for r in referrals] == [
        ("Marisol", "Quintanilla", date(1988, 4, 12)),
        ("Teodoro", "Villalobos", date(1975, 9, 30)),
    ]
    assert [(r.partner, r.pathway) for r in referrals] == [
        (cast.partner_y, "active_outreach"),
        (cast.partner_x, "naloxone_plus"),
    ]
    # Nothing about either client stays on the phone once they arrived.
    assert stored(page, "outbox") == 0
    # Opening the app again sends nothing more.
    page.reload()
    page.wait_for_load_state("networkidle")
    assert Referral.objects.count() == 2 and Client.objects.count() == 2


def test_enter_in_a_field_with_no_signal_keeps_the_deflection_on_the_phone_as_the_save_does(cast, page):
    signed_in_with_no_signal(page)
    page.get_by_label("First name").fill("Marisol")
    page.get_by_label("Last name").fill("Quintanilla")
    page.get_by_role("radio", name="Active outreach").check()
    page.locator(f"input[name=partner][value='{cast.partner_y.pk}']").check()
    page.get_by_label("Charge deflected").fill("Possession")
    page.get_by_label("Charge deflected").press("Enter")
    expect(page.get_by_text("No signal: the deflection is saved on this phone")).to_have_count(1)
    expect(page.get_by_label("First name")).to_have_value("")
    expect(page.locator("#search-no-signal")).to_have_text("")
    assert stored(page, "outbox") == 1
    # The save button and the copy Enter presses are ready for the next deflection.
    expect(page.locator("#log-form button[value=save]:disabled")).to_have_count(0)

    page.context.set_offline(False)
    expect(page.locator("#offline-sent .alert").filter(has_text="Sent: the deflection saved")).to_have_count(1)
    assert Referral.objects.get().charge_deflected == "Possession"


SHELL_OWNER = """async () => {
  const kept = await (await caches.open("deflection-shell")).match("/log/offline/", { ignoreVary: true });
  return kept ? kept.headers.get("X-Offline-Shell-User") : null;
}"""


def test_another_officer_on_the_same_phone_neither_sees_nor_sends_the_first_ones_deflections(cast, page):
    with time_machine.travel(timezone.now(), tick=True) as traveller:
        signed_in_with_no_signal(page)
        log_with_no_signal(page, cast.partner_y, "Marisol", "Quintanilla", "1988-04-12")
        traveller.shift(dt.timedelta(minutes=31))  # officer A1's session ends meanwhile
        page.context.set_offline(False)
        expect(page.get_by_text("Your session has ended")).to_be_visible()

        # Officer A2 picks up the phone: A1's kept form is not theirs, nor A1's deflection.
        # (A1's form may still be kept a moment after A2 signs in: the service worker forgets
        # it before keeping A2's, so wait for A2's rather than for any.)
        sign_in(page, "officer_a2")
        for _ in range(150):
            if page.evaluate(SHELL_OWNER) == str(cast.officer_a2.pk):
                break
            page.wait_for_timeout(100)
        assert page.evaluate(SHELL_OWNER) == str(cast.officer_a2.pk)
        page.wait_for_load_state("networkidle")
        expect(page.locator("#offline-outbox")).to_be_hidden()
        assert not Referral.objects.exists() and stored(page, "outbox") == 1
        # A2 signs out with nothing of theirs waiting: no warning, and A1's stays.
        open_menu(page)
        page.get_by_role("button", name="Sign out").tap()
        page.wait_for_url(re.compile(r"/accounts/login/"))
        assert stored(page, "outbox") == 1 and stored(page, "keys") == 1

        sign_in(page, "officer_a1")
        expect(page.locator("#offline-sent .alert").filter(has_text="Sent:")).to_have_count(1)
    assert Referral.objects.get().created_by == cast.officer_a1


def test_what_waits_on_the_phone_is_not_readable_as_plain_text_and_goes_once_sent(cast, page):
    signed_in_with_no_signal(page)
    page.get_by_label("Aliases / street names").fill("Pipsqueak")
    page.get_by_label("Phone").fill("520-555-0199")
    page.get_by_label("Note for the partner").fill("Found behind the Ochoa laundromat")
    log_with_no_signal(page, cast.partner_y, "Philomena", "Okonkwo-Birchwood", "1979-03-21")

    everything = page.evaluate(READ_EVERYTHING_STORED)
    text = "\n".join(value for values in everything.values() for value in values)
    assert len(everything["deflection-offline/outbox"]) == 1
    # Each value long enough that the sealed bytes, a token or a timestamp stored beside them
    # cannot hold it by chance, as "1979" or "pip" alone could: the date of birth in
    # every form a script might keep it in rather than its year.
    dates_of_birth = ("1979-03-21", "03/21/1979", "3/21/1979", "21/03/1979", "19790321", "1979-3-21")
    for plain in ("Philomena", "Okonkwo", "Birchwood", *dates_of_birth, "555-0199", "5205550199", "Pipsqueak", "Ochoa"):
        assert plain.lower() not in text.lower(), f"{plain!r} is stored as plain text"
    # The key cannot leave the browser, not even to the app's own script.
    assert everything["deflection-offline/keys"] == [
        f"{{user={cast.officer_a1.pk}, key=CryptoKey(AES-GCM, extractable=false, export refused)}}"
    ]
    # The control: the sealed bytes do hold the deflection, for the officer's key to open.
    opened = page.evaluate(OPEN_WHAT_WAITS)
    assert len(opened) == 1 and "Philomena" in opened[0] and "1979-03-21" in opened[0]

    # Signal again: sent, and nothing of the client is left anywhere the page can store.
    page.context.set_offline(False)
    expect(page.locator("#offline-sent .alert").filter(has_text="Sent:")).to_have_count(1)
    # The notice that it waits for the signal goes with it.
    expect(page.locator("#offline-sent .alert").filter(has_text="No signal:")).to_have_count(0)
    assert Referral.objects.get().client.last_name == "Okonkwo-Birchwood"
    everything = page.evaluate(READ_EVERYTHING_STORED)
    assert everything["deflection-offline/outbox"] == []
    text = "\n".join(value for values in everything.values() for value in values)
    assert "philomena" not in text.lower() and "okonkwo" not in text.lower()

    # Signing out destroys the key and the kept form.
    open_menu(page)
    page.get_by_role("button", name="Sign out").tap()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert stored(page, "keys") == 0
    assert page.evaluate("caches.has('deflection-shell')") is False


def test_signing_out_with_deflections_waiting_warns_and_discards_nothing_silently(cast, page):
    signed_in_with_no_signal(page)
    # With nobody to ask, the phone checks what the server would refuse at once.
    page.get_by_label("Minutes spent").fill("")
    page.get_by_role("button", name="Save deflection").tap()
    summary = page.locator("#offline-error-summary")
    expect(summary).to_be_focused()
    for problem in ("first name", "last name", "Choose a pathway.", "Choose the partner", "Enter the minutes"):
        expect(summary).to_contain_text(problem)
    assert stored(page, "outbox") == 0
    page.get_by_label("Minutes spent").fill("25")
    log_with_no_signal(page, cast.partner_x, "Marisol", "Quintanilla", "1988-04-12")

    open_menu(page)
    page.get_by_role("button", name="Sign out").tap()
    warning = page.get_by_role("alertdialog")
    expect(warning).to_contain_text("Deflections still waiting to send: 1")
    warning.get_by_role("button", name="Stay signed in").tap()
    expect(warning).to_be_hidden()
    assert stored(page, "outbox") == 1 and stored(page, "keys") == 1

    # Partner X stops serving the agency before the signal returns: the server refuses it, and
    # the phone keeps it, saying what to fix.
    ServicePartner.objects.filter(pk=cast.partner_x.pk).update(is_active=False)
    page.context.set_offline(False)
    expect(page.locator("#offline-records")).to_contain_text("not logged yet")
    expect(page.locator("#offline-records")).to_contain_text("Partner: Choose one of the partners listed.")
    assert stored(page, "outbox") == 1

    # Signing out with signal tries to send it first; still refused, it asks again.
    open_menu(page)
    page.get_by_role("button", name="Sign out").tap()
    expect(warning).to_be_visible()
    warning.get_by_role("button", name="Sign out and delete them").tap()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert stored(page, "outbox") == 0 and stored(page, "keys") == 0
    assert not Referral.objects.exists()


def test_a_session_about_to_end_idle_with_deflections_waiting_warns_first(cast, page):
    page.clock.install()
    signed_in_with_no_signal(page)
    log_with_no_signal(page, cast.partner_y, "Marisol", "Quintanilla", "1988-04-12")
    warning = page.get_by_role("alert").filter(has_text="you will be signed out at")
    expect(warning).to_have_count(0)
    # Five minutes before the 30 idle minutes are up, by the phone's clock.
    page.clock.fast_forward("25:01")
    expect(warning).to_contain_text("The deflections waiting (1) stay on this phone, encrypted")
    assert stored(page, "outbox") == 1


def test_a_deflection_sent_twice_is_saved_once(cast, page):
    signed_in_with_no_signal(page)
    log_with_no_signal(page, cast.partner_y, "Marisol", "Quintanilla", "1988-04-12")

    # The first send reaches the server, but its answer is lost on the way back.
    lost = []

    def lose_the_answer(route):
        if not lost:
            lost.append(route.fetch().status)
            route.abort()
        else:
            route.continue_()

    page.route("**/log/send/", lose_the_answer)
    with page.expect_event("requestfailed", lambda request: request.url.endswith("/log/send/")):
        page.context.set_offline(False)
    expect(page.get_by_role("heading", name="Waiting to send (1)")).to_be_visible()
    expect(page.locator("#offline-sent .alert").filter(has_text="Sent:")).to_have_count(0)
    assert lost == [201] and Referral.objects.count() == 1

    # Opening the app again sends it again, under the same token: saved once.
    page.goto("/log/")
    expect(page.locator("#offline-sent .alert").filter(has_text="had arrived already")).to_have_count(1)
    expect(page.locator("#offline-outbox")).to_be_hidden()
    assert Referral.objects.count() == 1 and Client.objects.count() == 1
    assert stored(page, "outbox") == 0


def test_a_search_with_no_signal_says_so_beside_the_search_box_and_runs_when_the_signal_returns(cast, page):
    ClientFactory(agency=cast.agency_a, first_name="Marisol", last_name="Quintanilla", date_of_birth=date(1988, 4, 12))
    signed_in_with_no_signal(page)
    searchbox = page.get_by_role("searchbox", name="Find the client")
    note = page.locator("#search-no-signal")
    expect(note).to_have_text("")
    searchbox.press_sequentially("Quintanilla, Marisol")
    # Said where the results would be, and read out with the search box: what the officer can do.
    said = re.compile(r"No signal: the search cannot run\. Enter the person as a new client below: the deflection")
    expect(note).to_have_text(said)
    expect(note).to_have_attribute("role", "status")
    expect(searchbox).to_have_accessible_description(re.compile(r"No signal: the search cannot run"))
    expect(page.get_by_label("Last name")).to_have_value("Quintanilla")
    # The Search button says the same (it cannot post the form with no signal).
    page.evaluate("document.getElementById('search-no-signal').textContent = ''")
    page.get_by_role("button", name="Search", exact=True).tap()
    expect(note).to_have_text(said)

    # Signal again: the note goes, and the search the officer tried runs.
    page.context.set_offline(False)
    expect(note).to_have_text("")
    expect(page.get_by_role("radiogroup", name="Clients found")).to_contain_text("Quintanilla, Marisol")


def test_the_blank_form_left_after_saving_with_no_signal_offers_a_held_charges_deadline_again(cast, page):
    JusticeAgencyFactory(agencies=[cast.agency_a])
    signed_in_with_no_signal(page)
    deadline = page.get_by_label("Deadline")
    offered = deadline.input_value()
    assert offered
    page.get_by_role("radio", name="Officer intervention referral").check()
    page.get_by_role("radio", name="Stay engaged for a number of days").check()
    page.get_by_label("Days engaged").fill("60")
    expect(deadline).not_to_have_value(offered)
    log_with_no_signal(page, cast.partner_y, "Marisol", "Quintanilla", "1988-04-12", "Officer intervention referral")
    expect(deadline).to_have_value(offered)


def test_a_deflection_for_someone_known_is_flagged_and_the_officer_merges_it_in_one_tap(cast, page):
    known = ClientFactory(
        agency=cast.agency_a, first_name="Marisol", last_name="Quintanilla", date_of_birth=date(1988, 4, 12)
    )
    ReferralFactory(officer=OfficerFactory(user=cast.officer_a2), partner=cast.partner_x, client=known)
    signed_in_with_no_signal(page)
    # The search cannot run: what is typed in it goes to the new client's fields.
    page.get_by_role("searchbox", name="Find the client").press_sequentially("Quintanilla, Marisol 4/12/1988")
    expect(page.get_by_label("First name")).to_have_value("Marisol")
    expect(page.get_by_label("Last name")).to_have_value("Quintanilla")
    expect(page.get_by_label("Date of birth")).to_have_value("1988-04-12")
    log_with_no_signal(page, cast.partner_y, "Marisol", "Quintanilla", "1988-04-12")

    page.context.set_offline(False)
    sent = page.locator("#offline-sent .alert").filter(has_text="This person may already be known.")
    expect(sent).to_have_count(1)
    # Saved, never lost: a second client for now, and the question open.
    assert Referral.objects.filter(created_by=cast.officer_a1).count() == 1
    assert Client.objects.count() == 2
    flag = PossibleDuplicate.objects.get(decision="")

    sent.get_by_role("link", name="Same person?").tap()
    page.wait_for_url(re.compile(r"/log/same-person/$"))
    page.get_by_role("button", name=re.compile(r"Same person: Quintanilla, Marisol")).tap()
    expect(page.get_by_role("status").filter(has_text="One person, one record")).to_be_visible()

    referral = Referral.objects.get(created_by=cast.officer_a1)
    assert referral.client == known and Client.objects.count() == 1
    assert ClientMerge.objects.get().merged_by == cast.officer_a1
    flag.refresh_from_db()
    assert flag.decision == "same"
    expect(page.get_by_text("Nothing to check")).to_be_visible()


def test_chromium_finds_nothing_that_stops_installing_the_app(cast, page):
    sign_in(page, "officer_a1")
    ready_for_no_signal(page)
    session = page.context.new_cdp_session(page)
    manifest = session.send("Page.getAppManifest")
    assert manifest["url"].endswith("/manifest.webmanifest") and manifest["errors"] == []
    errors = {e["errorId"] for e in session.send("Page.getInstallabilityErrors")["installabilityErrors"]}
    # Every Playwright context is a private window, where Chromium installs nothing.
    assert errors <= {"in-incognito"}


def test_logging_with_no_signal_and_the_same_person_question_pass_wcag_aa(cast, axe_pages):  # noqa: F811
    flagged_deflection(cast)
    c = Checker(axe_pages())
    signed_in_with_no_signal(c.page)
    c.page.get_by_role("searchbox", name="Find the client").press_sequentially("Villalobos, Teodoro")
    expect(c.page.locator("#search-no-signal")).not_to_have_text("")
    c.check("a search with no signal")
    log_with_no_signal(c.page, cast.partner_y, "Teodoro", "Villalobos", "1975-09-30")
    c.check("log with no signal, one waiting")
    # Signing out, without a tap: the nav's button would still be fading back from it.
    c.page.locator("form[data-sign-out]").evaluate("(form) => form.requestSubmit()")
    expect(c.page.get_by_role("alertdialog")).to_be_visible()
    c.check("sign-out warning")
    c.page.get_by_role("button", name="Stay signed in").tap()
    c.page.context.set_offline(False)
    expect(c.page.locator("#offline-sent .alert").filter(has_text="Sent:")).to_have_count(1)
    c.check("log, sent")
    c.visit("/log/same-person/", "same person?")
    assert_clean([c])
