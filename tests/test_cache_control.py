"""Pages for a signed-in user are never kept by a browser or proxy cache: they name clients,
and the station computer is shared. Static files and anonymous pages are left alone."""

from __future__ import annotations

import pytest

from tests.test_access import CAST, EXPECTED, _url, world  # noqa: F401 (the access table's rows, a fixture)

pytestmark = pytest.mark.django_db

NO_STORE = "no-store, private"
SIGNED_IN = [who for who in CAST if who is not None]


@pytest.mark.parametrize("who", SIGNED_IN)
def test_every_page_to_a_signed_in_user_says_no_store(world, who):  # noqa: F811
    cast, referral, rows = world.cast, world.referral, world.rows
    client = cast.login(who)
    urls = {name: _url(name, referral, rows) for name in EXPECTED}  # before the posts add rows
    answers = {}
    for name, (method, data, _expected) in EXPECTED.items():
        response = getattr(client, method)(urls[name], data(cast) if callable(data) else data)
        answers[name] = (response.status_code, response.get("Cache-Control"))
    # Refusals (404) and redirects included: they too are answers to this user.
    assert {name: cc for name, (_code, cc) in answers.items() if cc != NO_STORE} == {}
    assert any(code == 200 for code, _cc in answers.values())


def test_htmx_fragments_pdfs_and_admin_pages_say_no_store(world):  # noqa: F811
    cast, referral = world.cast, world.referral
    queue = cast.login("case_manager_y").get("/queue/", headers={"HX-Request": "true"})
    assert queue.status_code == 200 and "<html" not in queue.content.decode()
    search = cast.login("officer_a1").post("/log/clients/", {"search": "smith"})
    pdf = cast.login("case_manager_y").get(f"/referrals/{referral.pk}/consent-form.pdf", {"lang": "en"})
    assert pdf["Content-Type"] == "application/pdf"
    admin = cast.login("admin").get("/admin/referrals/client/")
    for response in (queue, search, pdf, admin):
        assert response.status_code == 200 and response["Cache-Control"] == NO_STORE


def test_static_files_and_anonymous_pages_are_not_forced_to_no_store(world):  # noqa: F811
    cast = world.cast
    signed_in = cast.login("officer_a1").get("/static/css/app.css")
    assert signed_in.status_code == 200
    assert "no-store" not in signed_in.get("Cache-Control", "")
    login_page = cast.login(None).get("/accounts/login/")
    assert login_page.status_code == 200
    assert login_page.get("Cache-Control") != NO_STORE
