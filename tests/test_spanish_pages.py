"""Every page of the access table, shown to a user who chose Spanish, reads in Spanish.

The check is the words English cannot do without ("the", "and", "your"...): none may stand in
a page's main content, its title or its menu. Names of people, agencies and partners in the
test data carry none of them.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.utils import translation

from deflection.models import User
from partners.models import PartnerContact
from tests.test_access import EXPECTED, OK, _url, world  # noqa: F401 (the access table's rows, a fixture)

pytestmark = pytest.mark.django_db

# What the fixtures' users wrote (a suggestion, a commendation) stays in their words.
WRITTEN_BY_USERS = [
    "A refresher on the 24/7 line.",
    "Stayed with a man in crisis for forty minutes and got him to the crisis centre.",
]
# Codes of the export, given as they appear in its files.
CODES = ["not due"]
ENGLISH = re.compile(r"\b(the|and|your|you|with|this|of|to|for|is|are|was|has|not|yet|what|who|when)\b", re.I)
# A page to read in Spanish, with the member of the cast who may see it.
# Not pages a person reads: the health checks (for the load balancer), the service worker's
# script, the HSDS directory (data for other directories, like the export's files) and PDFs.
NOT_PAGES = {
    "healthz",
    "readyz",
    "service_worker",
    "partners:directory_download",
    "referrals:consent_pdf_criminal_justice",
}
PAGES = sorted(
    (name, next(who for who in expected if who and expected[who] == OK))
    for name, (method, _data, expected) in EXPECTED.items()
    if method == "get"
    and OK in expected.values()
    and not name.endswith(("_pdf", "_letter", "briefing_pdf"))
    and name not in NOT_PAGES
)


class _Words(HTMLParser):
    """The text a person reads: the page's title, menu and main content, with the alt, title,
    placeholder and aria-label attributes; no scripts and no data (JSON)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "code"):
            self._skip += 1
        for name, value in attrs:
            if name in ("alt", "title", "placeholder", "aria-label") and value:
                self.text.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def english_left(html: str) -> list[str]:
    """The English words left in a page: each with a little of what surrounds it."""
    for kept in WRITTEN_BY_USERS + CODES:
        html = html.replace(kept, "")
    reader = _Words()
    reader.feed(html)
    text = " ".join(" ".join(reader.text).split())
    return [text[max(0, m.start() - 40) : m.end() + 40] for m in ENGLISH.finditer(text)]


def test_the_check_finds_english():
    assert english_left("<main><p>Log a deflection for the client</p></main>")
    assert not english_left("<main><p>Registrar un desvío para el cliente</p></main>")


@pytest.mark.parametrize(("name", "who"), PAGES)
def test_each_page_reads_in_spanish_for_a_user_who_chose_it(world, name, who):  # noqa: F811
    cast, referral, rows = world.cast, world.referral, world.rows
    # The relationship log's words are the program administrator's (Faker's, here).
    PartnerContact.objects.update(what="—", met_with="—", next_step="—")
    # In the database only (rolled back after the test): the cast is the module's.
    User.objects.filter(pk=getattr(cast, who).pk).update(language="es")
    response = cast.login(who).get(_url(name, referral, rows))
    assert response.status_code == 200
    assert response["Content-Language"] == "es"
    assert english_left(response.content.decode()) == []
    translation.activate("en")


def test_the_dashboard_s_funnel_steps_read_alike_in_spanish(world):  # noqa: F811
    """Counts of deflections at each step, in the plural; not the status of one referral."""
    cast = world.cast
    User.objects.filter(pk=cast.command_a.pk).update(language="es")
    charts = cast.login("command_a").get("/reports/dashboard/").context["charts"]
    assert [label for label, _n in charts["funnel_rows"]][:3] == ["Registrados", "Aceptados", "Con admisión"]
    translation.activate("en")


def test_a_new_referral_reads_nuevo_beside_the_queues_nuevos(world):  # noqa: F811
    """ "New" of a referral (el referido) agrees with the queue's tab, not with a suggestion's
    (la sugerencia): the same English word, two Spanish ones."""
    cast = world.cast
    User.objects.filter(pk=cast.case_manager_y.pk).update(language="es")
    page = cast.login("case_manager_y").get("/queue/?filter=new").content.decode()
    translation.activate("en")
    assert ">Nuevo<" in page and ">Nueva<" not in page


def test_the_queues_tabs_are_all_plural_and_the_scorecard_counts_referidos(world):  # noqa: F811
    """The tabs count referrals (abiertos, nuevos, aceptados, cerrados), not one's status; the
    scorecard's "Received" is of referrals (recibidos), not of suggestions (recibidas)."""
    cast = world.cast
    User.objects.filter(pk=cast.case_manager_y.pk).update(language="es")
    User.objects.filter(pk=cast.command_a.pk).update(language="es")
    queue = cast.login("case_manager_y").get("/queue/").content.decode()
    dashboard = cast.login("command_a").get("/reports/dashboard/").content.decode()
    translation.activate("en")
    nav = queue[queue.index("Abiertos") - 500 : queue.index("Cerrados") + 20]
    assert all(tab in nav for tab in ("Nuevos", "Aceptados", "Cerrados")) and ">Aceptado<" not in nav
    assert ">Recibidos<" in dashboard and ">Recibidas<" not in dashboard
