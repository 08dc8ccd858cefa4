"""The embedded demo shows the mail the worker sent; a real deployment has no such page."""

from __future__ import annotations

import pytest
from django.core.mail import EmailMessage
from django.core.mail.backends.filebased import EmailBackend

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox(cast, settings, tmp_path):
    """A reminder to case manager Y, agency A's digest to its command staff (copied to the
    program administrator) and agency B's digest to someone else."""
    settings.DEMO_MODE = True
    settings.EMAIL_FILE_PATH = str(tmp_path)
    EmailBackend(file_path=str(tmp_path)).send_messages(
        [
            EmailMessage("Deflection: 2 follow-ups due, 1 overdue", "Referral #4 due", to=[cast.case_manager_y.email]),
            EmailMessage(
                "Agency A: Quick wins",
                "12 deflections",
                to=[f"Gale Vinewick <{cast.command_a.email.upper()}>"],
                cc=[cast.admin.email],
            ),
            EmailMessage("Agency B: Quick wins", "3 deflections", to=["chief@agency-b.example.org"]),
        ]
    )


def _page(cast, who: str) -> str:
    return cast.login(who).get("/demo/mail/").content.decode()


def test_the_demo_mail_page_shows_what_was_sent_to_the_user(cast, outbox):
    page = _page(cast, "case_manager_y")
    assert "Deflection: 2 follow-ups due, 1 overdue" in page and "Referral #4 due" in page
    assert "Quick wins" not in page


def test_the_address_is_matched_whatever_its_case_and_display_name(cast, outbox):
    page = _page(cast, "command_a")
    assert "Agency A: Quick wins" in page
    assert "Agency B: Quick wins" not in page and "follow-ups due" not in page


@pytest.mark.parametrize("who", ["officer_a1", "officer_b", "supervisor_a", "case_manager_x"])
def test_nobody_reads_mail_sent_to_others(cast, outbox, who):
    page = _page(cast, who)
    assert "Quick wins" not in page and "follow-ups due" not in page
    assert "No mail yet" in page


def test_the_program_administrator_reads_all_the_demo_mail(cast, outbox):
    page = _page(cast, "admin")
    assert all(s in page for s in ("follow-ups due", "Agency A: Quick wins", "Agency B: Quick wins"))


def test_there_is_no_demo_mail_page_outside_the_demo(cast, settings):
    settings.DEMO_MODE = False
    assert cast.login("admin").get("/demo/mail/").status_code == 404
