"""The embedded demo shows the mail the worker sent; a real deployment has no such page."""

from __future__ import annotations

import pytest
from django.core.mail import EmailMessage
from django.core.mail.backends.filebased import EmailBackend

pytestmark = pytest.mark.django_db


def test_the_demo_mail_page_shows_what_was_sent(cast, settings, tmp_path):
    settings.DEMO_MODE = True
    settings.EMAIL_FILE_PATH = str(tmp_path)
    backend = EmailBackend(file_path=str(tmp_path))
    backend.send_messages([EmailMessage("Deflection: 2 follow-ups due, 1 overdue", "Referral #4 due", to=["cm@x.org"])])
    page = cast.login("case_manager_y").get("/demo/mail/").content.decode()
    assert "Deflection: 2 follow-ups due, 1 overdue" in page and "Referral #4 due" in page


def test_there_is_no_demo_mail_page_outside_the_demo(cast, settings):
    settings.DEMO_MODE = False
    assert cast.login("admin").get("/demo/mail/").status_code == 404
