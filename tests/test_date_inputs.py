"""The browser's date pickers show the date a form fills in, in Spanish as in English.

A date picker takes its value in ISO only (2026-12-06). Written in the page's language instead
(06/12/2026 in Spanish), the picker shows an empty field: a Spanish reader of the consent form
found no date signed where an English one found today's.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.utils import formats, timezone, translation

from api.forms import IntegrationClientForm
from partners.forms import PartnerContactForm
from referrals.forms import ConsentForm, LogDeflectionForm
from reports.forms import DashboardFilterForm, ExportForm, ProcessFilterForm
from tests.factories.referrals import accepted_referral

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR).resolve()
# What the picker of each type takes as its value.
ISO = {"date": "%Y-%m-%d", "month": "%Y-%m", "datetime-local": "%Y-%m-%dT%H:%M"}
VALUE = re.compile(r'\svalue="([^"]*)"')
TYPE = re.compile(r'\stype="([^"]*)"')


def shown(html: str) -> tuple[str, str]:
    """The type and the value of the one input in `html`."""
    (kind,), (value,) = TYPE.findall(html), VALUE.findall(html)
    return kind, value


@pytest.fixture(autouse=True)
def _spanish():
    with translation.override("es"):
        # What makes the test worth having: Spanish writes dates day first, so a picker
        # handed the page's format would get 06/12/2026.
        assert formats.get_format("DATE_INPUT_FORMATS")[0] != ISO["date"]
        assert date(2026, 12, 6).strftime(formats.get_format("DATE_INPUT_FORMATS")[0]) != "2026-12-06"
        yield


# The forms where a Spanish reader found an empty date, and the pickers of months.
FORMS = {
    "log form, date of birth": (
        lambda cast: LogDeflectionForm(user=cast.officer_a1, initial={"date_of_birth": date(1957, 7, 4)}),
        "date_of_birth",
    ),
    "consent, date signed": (lambda cast: ConsentForm(referral=accepted_referral(cast)), "signed_on"),
    "consent, expiry date": (
        lambda cast: ConsentForm(referral=accepted_referral(cast), initial={"expires_on": date(2027, 6, 30)}),
        "expires_on",
    ),
    "integration client, expiry": (lambda cast: IntegrationClientForm(user=cast.program_admin), "expires_on"),
    "partner contact, date": (lambda cast: PartnerContactForm(today=date(2026, 12, 6)), "contact_on"),
    "partner contact, next step due": (
        lambda cast: PartnerContactForm(initial={"next_step_due": date(2026, 12, 11)}),
        "next_step_due",
    ),
    "dashboard, from": (lambda cast: DashboardFilterForm(None, agency=cast.agency_a), "start"),
    "dashboard, to": (lambda cast: DashboardFilterForm(None, agency=cast.agency_a), "end"),
    "export, from the month of": (lambda cast: ExportForm(agency=cast.agency_a), "start"),
    "process evaluation, to the month of": (lambda cast: ProcessFilterForm(None, agency=cast.agency_a), "end"),
}


@pytest.mark.parametrize("case", FORMS)
def test_a_date_picker_shows_the_forms_date_in_spanish(cast, case):
    build, name = FORMS[case]
    field = build(cast)[name]
    filled_in = field.value()
    assert isinstance(filled_in, date)

    kind, value = shown(str(field))

    assert value == filled_in.strftime(ISO[kind])


def project_form_classes() -> set[type[forms.BaseForm]]:
    """Every form class of the project's apps, from their forms modules."""
    ours = [config for config in apps.get_app_configs() if Path(config.path).resolve().is_relative_to(ROOT)]
    for config in ours:
        for module in pkgutil.walk_packages(config.module.__path__, f"{config.name}."):
            if "forms" in module.name:
                importlib.import_module(module.name)
    names = tuple(f"{config.name}." for config in ours)

    def below(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    return {cls for cls in below(forms.BaseForm) if cls.__module__.startswith(names)}


def test_every_date_picker_of_every_form_is_given_iso():
    """A new date field whose widget writes the page's format fails here, before a Spanish
    reader finds it empty. (A field a form adds in its __init__ is not seen: no date field is.)"""
    sample = {
        "date": date(2026, 12, 6),
        "month": date(2026, 12, 1),
        "datetime-local": timezone.make_aware(datetime(2026, 12, 6, 14, 5)),
    }
    pickers, wrong = [], []
    for form in project_form_classes():
        for name, field in form.base_fields.items():
            kind = getattr(field.widget, "input_type", None)
            if kind not in ISO:
                continue
            pickers.append(f"{form.__name__}.{name}")
            value = sample[kind]
            _kind, written = shown(field.widget.render(name, field.prepare_value(value)))
            expected = (timezone.localtime(value) if kind == "datetime-local" else value).strftime(ISO[kind])
            if written != expected:
                wrong.append(f"{form.__module__}.{form.__name__}.{name}: {written}")

    # The walk finds the forms it is meant to check, of every kind of picker.
    assert {"ConsentForm.signed_on", "ExportForm.start", "FollowUpCreateForm.due_at"} <= set(pickers)
    assert sorted(wrong) == []
