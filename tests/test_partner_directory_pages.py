"""The partner directory's doors: the program administrator's page (download; upload, see the
dry run, confirm), the management commands and the admin's action."""

from __future__ import annotations

import io
import json
from datetime import time, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partners.forms import DIRECTORY_MAX_BYTES, checked
from partners.hsds import export_directory
from partners.models import ServicePartner
from tests.factories.partners import open_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def x(cast) -> ServicePartner:
    partner = cast.partner_x
    partner.phone = "(520) 555-0142"
    partner.languages = "en, es"
    partner.save()
    open_on(partner, range(5), time(8), time(17))
    return partner


def _upload(data: object, name: str = "directory.json") -> dict:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return {"file": SimpleUploadedFile(name, raw, "application/json")}


def _first_programs() -> dict:
    """The directory of the first program's partners, as its program admin downloads it."""
    return export_directory(ServicePartner.objects.exclude(name__startswith="Z "))


def _changed_phone(x: ServicePartner) -> dict:
    data = _first_programs()
    org = next(org for org in data["contents"] if org["id"] == str(x.hsds_id))
    org["phones"][0]["number"] = "(520) 555-0199"
    return data


def test_the_program_admin_downloads_the_directory_as_hsds_json(cast, x):
    client = cast.login("program_admin")
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/partners/directory/hsds.json")
    assert response["Content-Type"].startswith("application/json")
    assert 'attachment; filename="partner-directory-hsds.json"' == response["Content-Disposition"]
    assert json.loads(response.content) == _first_programs()
    # Another program's admin downloads their program's partners only.
    theirs = json.loads(cast.login("program_admin_2").get("/partners/directory/hsds.json").content)
    assert [org["name"] for org in theirs["contents"]] == [cast.partner_z.name]
    # A read: nothing written but the session's last activity.
    writes = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert all("django_session" in sql for sql in writes)


def test_the_partners_list_links_to_the_directory_for_its_keepers_only(cast, x):
    assert "/partners/directory/" in cast.login("program_admin").get("/partners/").content.decode()
    assert "/partners/directory/" not in cast.login("command_a").get("/partners/").content.decode()


def test_a_file_is_checked_then_imported_once_confirmed(cast, x):
    client = cast.login("program_admin")
    page = client.post("/partners/directory/check/", _upload(_changed_phone(x))).content.decode()
    assert "Would create 0, update 1, leave 1 unchanged." in page
    assert "(520) 555-0142 → (520) 555-0199" in page and "Import these changes" in page
    assert ServicePartner.objects.get(pk=x.pk).phone == "(520) 555-0142"
    confirm = checked(_changed_phone(x))
    response = client.post("/partners/directory/import/", confirm, follow=True)
    assert "Created 0, updated 1, left 1 unchanged." in response.content.decode()
    assert ServicePartner.objects.get(pk=x.pk).phone == "(520) 555-0199"


def test_a_file_with_bad_rows_shows_them_by_number_and_offers_no_import(cast, x):
    data = export_directory()
    data["contents"][0]["name"] = ""
    page = cast.login("program_admin").post("/partners/directory/check/", _upload(data)).content.decode()
    assert 'data-row="1" data-action="error"' in page and "it has no name." in page
    assert "Import these changes" not in page and "Fix the file and check it again" in page


def test_a_file_that_changes_nothing_offers_no_import(cast, x):
    page = cast.login("program_admin").post("/partners/directory/check/", _upload(_first_programs())).content
    assert "Nothing to import" in page.decode() and "Import these changes" not in page.decode()


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"{not json", "This file is not JSON"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "This file is not JSON"),
        (b"9" * 5000, "This file is not JSON"),
        (b" " * (DIRECTORY_MAX_BYTES + 1), "over 1 MB"),
    ],
    ids=["malformed", "binary", "deeply nested", "huge number", "too big"],
)
def test_a_file_that_cannot_be_read_is_refused_and_changes_nothing(cast, x, raw, says):
    response = cast.login("program_admin").post("/partners/directory/check/", _upload(raw))
    assert response.status_code == 422 and says in response.content.decode()


def test_a_file_that_is_json_but_not_a_directory_says_so(cast, x):
    page = cast.login("program_admin").post("/partners/directory/check/", _upload({"hello": 1})).content.decode()
    assert "This is not an HSDS directory" in page and "Import these changes" not in page


def test_markup_in_a_file_is_shown_escaped(cast, x):
    data = _changed_phone(x)
    data["contents"][0]["phones"][0]["number"] = "<script>alert('x')</script>"
    data["contents"][1]["services"][0]["schedules"][0]["opens_at"] = '"><img src=x onerror=alert(1)>'
    page = cast.login("program_admin").post("/partners/directory/check/", _upload(data)).content.decode()
    assert "&lt;script&gt;alert(" in page and "&lt;img src=x onerror" in page
    assert "<script>alert(" not in page and "<img src=x onerror" not in page


def test_what_is_confirmed_must_be_what_was_checked(cast, x):
    confirm = checked(_changed_phone(x))
    confirm["text"] = confirm["text"].replace("555-0199", "555-0666")
    response = cast.login("program_admin").post("/partners/directory/import/", confirm, follow=True)
    assert "This is not the file that was checked" in response.content.decode()
    assert ServicePartner.objects.get(pk=x.pk).phone == "(520) 555-0142"


def test_a_check_more_than_an_hour_old_is_checked_again(cast, x):
    confirm = checked(_changed_phone(x))
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        response = cast.login("program_admin").post("/partners/directory/import/", confirm, follow=True)
    assert "more than an hour old" in response.content.decode()
    assert ServicePartner.objects.get(pk=x.pk).phone == "(520) 555-0142"


def test_a_checked_file_that_no_longer_imports_changes_nothing(cast, x):
    data = _changed_phone(x)
    confirm = checked(data)
    # Meanwhile another partner took the name a new row of the file gives.
    ServicePartner.objects.filter(pk=cast.partner_y.pk).update(name="X Recovery Clinic (old)")
    data_page = json.loads(confirm["text"])
    data_page["contents"][0]["name"] = "X Recovery Clinic (old)"
    response = cast.login("program_admin").post("/partners/directory/import/", checked(data_page))
    assert response.status_code == 422 and "already exists" in response.content.decode()
    assert ServicePartner.objects.get(pk=x.pk).phone == "(520) 555-0142"


@pytest.mark.parametrize("path", ["/partners/directory/check/", "/partners/directory/import/"])
def test_the_upload_and_the_import_are_posts_only(cast, path):
    assert cast.login("program_admin").get(path).status_code == 405


def test_the_upload_needs_the_csrf_token(cast, x):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.program_admin)
    assert client.post("/partners/directory/check/", _upload(_changed_phone(x))).status_code == 403
    assert client.post("/partners/directory/import/", checked(_changed_phone(x))).status_code == 403
    assert ServicePartner.objects.get(pk=x.pk).phone == "(520) 555-0142"


def test_the_partner_page_shows_opening_hours_and_languages(cast, x):
    page = cast.login("program_admin").get(f"/reports/partners/{x.pk}/").content.decode()
    assert "Monday–Friday 08:00–17:00" in page and "English, Spanish" in page


# -- manage.py -----------------------------------------------------------------------------


def test_hsds_export_writes_the_directory_to_stdout_or_a_file(cast, x, tmp_path):
    out = io.StringIO()
    call_command("hsds_export", stdout=out)
    assert json.loads(out.getvalue()) == export_directory()
    call_command("hsds_export", output=str(tmp_path / "d.json"), stderr=io.StringIO())
    assert json.loads((tmp_path / "d.json").read_text()) == export_directory()


def test_hsds_import_dry_runs_then_imports(cast, x, tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps(_changed_phone(x)))
    out = io.StringIO()
    call_command("hsds_import", str(path), dry_run=True, stdout=out)
    assert "Row 1 (X Recovery Clinic): update" in out.getvalue() and "(520) 555-0142 → (520) 555-0199" in out.getvalue()
    assert ServicePartner.objects.get(pk=x.pk).phone == "(520) 555-0142"
    call_command("hsds_import", str(path), stdout=io.StringIO())
    assert ServicePartner.objects.get(pk=x.pk).phone == "(520) 555-0199"


def test_hsds_import_of_a_bad_file_fails_and_changes_nothing(cast, x, tmp_path):
    data = _changed_phone(x)
    data["contents"][0]["name"] = ""
    path = tmp_path / "d.json"
    path.write_text(json.dumps(data))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 error"):
        call_command("hsds_import", str(path), stdout=io.StringIO(), stderr=err)
    assert "Row 1 (no name): it has no name." in err.getvalue()
    assert ServicePartner.objects.get(pk=x.pk).phone == "(520) 555-0142"
    path.write_text("{oops")
    with pytest.raises(CommandError, match="as JSON"):
        call_command("hsds_import", str(path))


# -- the admin ------------------------------------------------------------------------------


def test_the_admin_exports_the_selected_partners_as_hsds(cast, x):
    response = cast.login("admin").post(
        "/admin/partners/servicepartner/", {"action": "export_as_hsds", "_selected_action": [x.pk]}
    )
    assert response["Content-Disposition"] == 'attachment; filename="partner-directory-hsds.json"'
    assert [org["name"] for org in json.loads(response.content)["contents"]] == ["X Recovery Clinic"]


def test_the_admin_edits_a_partners_opening_hours_and_shows_its_directory_id(cast, x):
    page = cast.login("admin").get(f"/admin/partners/servicepartner/{x.pk}/change/").content.decode()
    assert str(x.hsds_id) in page and 'name="openings-0-opens_at"' in page
