"""Every page runs under the Content-Security-Policy with nothing blocked (the `page`
fixture fails a test whose page had anything blocked)."""

from __future__ import annotations

import pytest

from tests.browser.helpers import sign_in
from tests.factories.referrals import accepted_referral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, username: str) -> None:
    sign_in(page, username)
    page.wait_for_load_state("networkidle")


@pytest.fixture
def referral(cast):
    return accepted_referral(cast)


def _visit(page, paths: list[str]) -> None:
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")


def test_command_pages_run_under_the_policy(cast, page, referral):
    _sign_in(page, "command_a")
    _visit(
        page,
        [
            "/reports/command/",
            "/reports/dashboard/",
            "/reports/process/",
            "/reports/digest/",
            "/reports/briefing/",
            "/reports/export/",
            "/reports/export/codebook/",
        ],
    )


def test_case_manager_pages_run_under_the_policy(cast, page, referral):
    _sign_in(page, "cm_y")
    _visit(page, ["/queue/", f"/referrals/{referral.pk}/", f"/referrals/{referral.pk}/consent/"])


def test_officer_pages_run_under_the_policy(cast, page, referral):
    _sign_in(page, "officer_a1")
    _visit(
        page,
        ["/log/", "/mine/", f"/referrals/{referral.pk}/", f"/clients/{referral.client_id}/", "/reports/my-record/"],
    )


def test_the_api_reference_and_the_integrations_pages_run_under_the_policy(cast, page):
    """Swagger UI draws the reference from its static files and the description, with the
    app's policy as it is (the page fixture fails on anything blocked)."""
    response = page.goto("/api/docs/")
    assert response is not None and response.status == 200
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Deflection API" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector("text=/api/v1/deflections/")
    _sign_in(page, "program_admin")
    _visit(page, ["/integrations/", "/integrations/new/"])
