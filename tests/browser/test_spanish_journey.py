"""The officer's journey in Spanish, on a phone whose browser is set to English (a shared
station phone): the officer's own choice of Spanish wins from sign-in on. Each page reads in
Spanish, with no English left in its main content or its menu."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from deflection import l10n
from referrals.models import Referral
from tests.browser.helpers import sign_in
from tests.test_spanish_pages import english_left

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLIENT_SEARCH = "/log/clients/"


def read_in_spanish(page, heading: str) -> None:
    """The page's heading is the Spanish one, it says it is in Spanish, and nothing a person
    reads on it (menu and main content) is English."""
    page.get_by_role("heading", name=heading, level=1).wait_for()
    assert page.locator("html").get_attribute("lang") == "es"
    shown = page.locator("nav").first.evaluate("n => n.outerHTML") + page.locator("main").evaluate("m => m.outerHTML")
    assert english_left(shown) == [], page.url


def open_spanish_menu(page) -> None:
    if page.locator("details.nav-menu").get_attribute("open") is None:
        page.get_by_role("navigation", name="Principal").locator("summary", has_text="Menú").tap()
    page.locator("details.nav-menu[open]").wait_for()


def go_to(page, link: str) -> None:
    open_spanish_menu(page)
    page.get_by_role("navigation", name="Principal").get_by_role("link", name=link, exact=True).tap()


def test_a_spanish_speaking_officer_logs_a_deflection_in_spanish(page, cast, live_server):
    cast.officer_a1.language = "es"
    cast.officer_a1.save(update_fields=["language"])

    sign_in(page, "officer_a1")
    assert page.url.endswith("/log/")
    read_in_spanish(page, "Registrar un desvío")

    # A new client: nobody found, the new-client fields take the name typed.
    box = page.get_by_role("searchbox", name="Buscar al cliente")
    with page.expect_response(lambda r: r.url.endswith(CLIENT_SEARCH) and r.request.method == "POST"):
        box.press_sequentially("Rosalinda Ybarra", delay=30)
    page.locator("#client-results").get_by_text("No se encontró ningún cliente").wait_for()
    assert english_left(page.locator("#client-results").evaluate("r => r.outerHTML")) == []
    assert page.get_by_label("Nombre", exact=True).input_value() == "Rosalinda"
    page.get_by_label("Fecha de nacimiento").fill("1979-02-03")
    page.get_by_label("Idioma preferido").select_option(index=1)
    page.get_by_role("radio", name="Alcance activo").check()
    partner = page.locator(f"label[for='{page.locator('input[name=partner]').first.get_attribute('id')}']")
    assert "Abierto 24/7" in partner.inner_text()
    page.locator("input[name=partner]").first.check()
    page.get_by_role("button", name="Guardar el desvío").tap()

    # The confirmation, and the referral's page, in Spanish.
    page.wait_for_url(re.compile(r"/referrals/\d+/$"))
    page.get_by_role("status").filter(has_text="Desvío registrado").wait_for()
    referral = Referral.objects.get(client__last_name="Ybarra")
    assert referral.pathway == "active_outreach" and referral.officer.user == cast.officer_a1
    read_in_spanish(page, "Referido de Rosalinda Ybarra")
    with translation.override("es"):
        when = l10n.day_and_time(timezone.localtime(referral.occurred_at, ZoneInfo(cast.agency_a.timezone)))
    assert f"Encuentro el {when}" in page.locator("main").inner_text()

    # My deflections and my record: Spanish, dates the Spanish way.
    go_to(page, "Mis desvíos")
    page.wait_for_url(re.compile(r"/mine/$"))
    read_in_spanish(page, "Mis desvíos")
    assert page.locator("#my-deflections > li").filter(has_text="Rosalinda Ybarra").count() == 1
    go_to(page, "Mi historial")
    read_in_spanish(page, "Mi historial")

    # The language page offers English back, and the choice holds after signing out.
    open_spanish_menu(page)
    page.get_by_role("link", name="Idioma").tap()
    read_in_spanish(page, "Idioma")
    page.get_by_label("English").check()
    page.get_by_role("button", name="Guardar").tap()
    page.get_by_role("heading", name="Language", level=1).wait_for()
    cast.officer_a1.refresh_from_db()
    assert cast.officer_a1.language == "en"
