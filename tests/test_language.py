"""Each user's language: chosen on the Language page (the browser's until then), applied to
every page after sign-in, and to what is sent to them; dates and money as the language writes
them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation

from buyin.services.suggestions import suggestion_review, suggestion_send
from deflection import l10n
from deflection.models import User
from referrals.reminders import follow_up_reminders_send
from reports.digest import digests_send_due
from reports.models import Digest
from tests.factories.core import PASSWORD
from tests.test_quick_wins import MONDAY_0730, week  # noqa: F401 (fixture)
from tests.test_reminders import due  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def _spanish(user: User) -> User:
    user.language = "es"
    user.save(update_fields=["language"])
    return user


def test_the_sign_in_page_speaks_the_browsers_language(client):
    assert "Iniciar sesión" in client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9").content.decode()
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Sign in" in page and "Iniciar sesión" not in page


def test_a_first_sign_in_keeps_the_browsers_language_and_a_later_one_does_not_change_it(cast, client):
    form = {"username": cast.officer_a1.username, "password": PASSWORD}
    client.post(reverse("login"), form, HTTP_ACCEPT_LANGUAGE="es-US,es;q=0.9")
    cast.officer_a1.refresh_from_db()
    assert cast.officer_a1.language == "es"
    client.post(reverse("logout"))
    client.post(reverse("login"), form, HTTP_ACCEPT_LANGUAGE="en-US")
    cast.officer_a1.refresh_from_db()
    assert cast.officer_a1.language == "es"
    # The user's choice outranks the browser's on every page after sign-in.
    page = client.get(reverse("referrals:log"), HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert "Registrar un desvío" in page and "Log a deflection" not in page


def test_a_user_picks_spanish_and_every_page_follows(cast):
    client = cast.login("case_manager_y")
    assert "Partner queue" in client.get(reverse("referrals:queue")).content.decode()
    response = client.post(reverse("language"), {"language": "es"})
    assert response.status_code == 302
    cast.case_manager_y.refresh_from_db()
    assert cast.case_manager_y.language == "es"
    # The cookie keeps the sign-in page in Spanish after signing out.
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert "Idioma guardado." in client.get(reverse("language")).content.decode()
    page = client.get(reverse("referrals:queue")).content.decode()
    assert "Bandeja del proveedor" in page and '<html lang="es">' in page


def test_a_language_the_app_does_not_speak_is_refused(cast):
    client = cast.login("officer_a1")
    response = client.post(reverse("language"), {"language": "fr"})
    assert response.status_code == 200
    cast.officer_a1.refresh_from_db()
    assert cast.officer_a1.language == ""


def test_dates_and_money_are_written_as_each_language_writes_them():
    day = datetime(2026, 12, 6, 14, 5)
    with translation.override("en"):
        assert (l10n.day(day), l10n.day_and_time(day), l10n.money(Decimal("1500"))) == (
            "Dec 6, 2026",
            "Dec 6, 2026 14:05",
            "$1,500",
        )
        assert l10n.weekday_day(date(2026, 12, 7)) == "Monday Dec 7"
    with translation.override("es"):
        # Arizona's Spanish: the day first, and the decimal point and thousands comma of its dollars.
        assert (l10n.day(day), l10n.day_and_time(day), l10n.money(Decimal("1500"))) == (
            "6 dic 2026",
            "6 dic 2026, 14:05",
            "$1,500",
        )
        assert l10n.weekday_day(date(2026, 12, 7)) == "lunes 7 dic"
        assert l10n.year_month(day) == "diciembre de 2026"


def test_a_spanish_case_managers_reminder_is_in_spanish(cast, due):  # noqa: F811
    _spanish(cast.case_manager_y)
    follow_up_reminders_send()
    (message,) = mail.outbox
    assert "2 seguimientos pendientes (atrasados: 1)" in message.subject
    assert "Este mensaje no lleva datos de clientes a propósito." in message.body
    assert "follow-up" not in message.body


def test_the_digest_goes_to_each_reader_in_their_language_and_keeps_the_english(cast, week):  # noqa: F811
    _spanish(cast.command_a)
    digests_send_due(now=MONDAY_0730)
    of_a = [m for m in mail.outbox if m.subject.startswith("Agency A Police Department")]
    spanish = [m for m in of_a if m.to == [cast.command_a.email]]
    english = [m for m in of_a if cast.command_a.email not in m.to]
    assert len(of_a) == 2 and len(spanish) == 1 and len(english) == 1
    assert "Desvíos esta semana: 12 (la semana pasada: 5)" in spanish[0].body
    assert "Logros rápidos, semana del 16 nov" in spanish[0].subject
    assert "Deflections this week: 12 (last week: 5)" in english[0].body
    assert sorted(english[0].to) == sorted([cast.admin.email, cast.program_admin.email])
    # The record is the English one, and names every reader.
    digest = Digest.objects.get(agency=cast.agency_a)
    assert "Deflections this week" in digest.text
    assert sorted(digest.recipients) == sorted([cast.command_a.email, cast.admin.email, cast.program_admin.email])


def test_a_suggestions_answer_reaches_its_author_in_their_language(cast, django_capture_on_commit_callbacks):
    _spanish(cast.officer_a1)
    suggestion = suggestion_send(author=cast.officer_a1, topic="form", text="Fewer taps.")
    with django_capture_on_commit_callbacks(execute=True):
        suggestion_review(suggestion_id=suggestion.pk, actor=cast.program_admin)
    (message,) = mail.outbox
    assert message.subject == "Deflection: estado de su sugerencia: en revisión"
    assert "El administrador del programa está revisando su sugerencia." in message.body


def test_a_page_that_is_not_there_says_so_in_the_users_language(cast):
    client = cast.login("officer_a1")
    assert "Page not found" in client.get("/referrals/999999/").content.decode()
    _spanish(cast.officer_a1)
    response = client.get("/referrals/999999/")
    assert response.status_code == 404 and "Página no encontrada" in response.content.decode()
