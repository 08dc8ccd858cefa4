"""The program administrator loads a changed partner directory at phone size: from the
partners list to the directory page, a file checked (what would change), then confirmed; the
pages pass WCAG 2.1 AA and the Content-Security-Policy blocks nothing."""

from __future__ import annotations

import json
from datetime import time

import pytest

from partners.hsds import export_directory
from partners.models import ServicePartner
from tests.browser import helpers
from tests.browser.test_accessibility import SCHEMES, Checker, assert_clean, axe_pages, sign_in  # noqa: F401
from tests.factories.partners import open_on

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _changed_file(cast, tmp_path):
    """The first program's directory, partner X closing at 18:30 instead of 17:00 on weekdays."""
    open_on(cast.partner_x, range(5), time(8), time(17))
    data = export_directory(ServicePartner.objects.exclude(pk=cast.partner_z.pk))
    org = next(org for org in data["contents"] if org["name"] == "X Recovery Clinic")
    org["services"][0]["schedules"][0]["closes_at"] = "18:30"
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(data))
    return path


def _check(page, path, *, tap: bool = True) -> None:
    page.get_by_label("HSDS 3.0 JSON file").set_input_files(str(path))
    button = page.get_by_role("button", name="Check the file")
    button.tap() if tap else button.click()
    page.wait_for_url("**/partners/directory/check/")


def test_the_program_admin_checks_then_imports_a_changed_directory(cast, page, tmp_path):
    path = _changed_file(cast, tmp_path)
    helpers.sign_in(page, "program_admin")
    page.goto("/partners/")
    page.get_by_role("link", name="Partner directory: download or import (Open Referral HSDS)").tap()
    page.wait_for_url("**/partners/directory/")
    assert page.get_by_role("link", name="Download the directory (HSDS JSON)").is_visible()

    _check(page, path)
    assert page.locator("#import-summary").inner_text() == "Would create 0, update 1, leave 1 unchanged."
    row = page.locator("#import-rows tr[data-action=update]")
    assert "Monday–Friday 08:00–17:00 → Monday–Friday 08:00–18:30" in row.inner_text()
    assert ServicePartner.objects.get(pk=cast.partner_x.pk).openings.filter(closes_at=time(17)).count() == 5

    page.get_by_role("button", name="Import these changes").tap()
    page.wait_for_url("**/partners/")
    assert "Created 0, updated 1, left 1 unchanged." in page.locator("main").inner_text()
    assert ServicePartner.objects.get(pk=cast.partner_x.pk).openings.filter(closes_at=time(18, 30)).count() == 5


def test_the_directory_pages_pass_wcag_aa(cast, axe_pages, tmp_path):  # noqa: F811
    path = _changed_file(cast, tmp_path)
    admin = Checker(axe_pages())
    sign_in(admin.page, "program_admin")
    admin.visit("/partners/directory/", "partner directory")
    _check(admin.page, path, tap=False)
    admin.check("what the import would change")
    data = json.loads(path.read_text())
    data["contents"][0]["name"] = ""
    path.write_text(json.dumps(data))
    admin.page.goto("/partners/directory/")
    _check(admin.page, path, tap=False)
    admin.check("a file with a bad row")
    assert_clean([admin])
