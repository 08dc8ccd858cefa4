"""deflection/templatetags/form_fields.py draws the log form's fields in Python: the same
markup crispy-forms draws (what the pages, app.js and the browser tests rely on)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.utils import translation

from deflection.templatetags.form_fields import bootstrap_field, chips, control, drawn_here, partner_choices
from referrals.forms import LogDeflectionForm
from tests.factories.partners import ServicePartnerFactory
from tests.factories.referrals import JusticeAgencyFactory

pytestmark = pytest.mark.django_db


class _Tree(HTMLParser):
    """The markup as (tag, attributes) and text, whitespace and attribute order aside."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class")
        attrs = {k: (" ".join(sorted((v or "").split())) if k == "class" else v) for k, v in attrs}
        self.items.append(("<", tag, tuple(sorted(attrs.items())), classes is not None))

    def handle_endtag(self, tag):
        self.items.append((">", tag))

    def handle_data(self, data):
        if data.strip():
            self.items.append(("text", " ".join(data.split())))


def _tree(html: str) -> list[tuple]:
    parser = _Tree()
    parser.feed(str(html))
    # crispy-forms writes an empty class="" on the radio group's <div>; it means nothing.
    return [item for item in parser.items if item != ("<", "div", (), False)]


def _forms(cast):
    """The log form as an officer first sees it, and as it comes back with errors."""
    JusticeAgencyFactory(agencies=[cast.agency_a])  # so that the held-charge fields have a decider to offer
    fresh = LogDeflectionForm(initial=LogDeflectionForm.initial_for(cast.officer_a1), user=cast.officer_a1)
    wrong = LogDeflectionForm(
        {"first_name": "", "officer_minutes": "-3", "occurred_at": "yesterday", "charge_deadline": "x", "note": "<b>"},
        user=cast.officer_a1,
    )
    assert not wrong.is_valid()
    return fresh, wrong


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_field_drawn_here_has_crispy_forms_markup(cast, language):
    with translation.override(language):
        drawn = 0
        for form in _forms(cast):
            for name in form.fields:
                # Fresh forms each time: crispy-forms writes its classes into the widget.
                ours = str(bootstrap_field(_forms_field(cast, form, name)))
                theirs = str(as_crispy_field(_forms_field(cast, form, name)))
                assert _tree(ours) == _tree(theirs), name
                drawn += drawn_here(form.fields[name].widget)
        assert drawn >= 20  # text, number, date and time, textarea and select fields, twice


def test_a_control_alone_is_what_django_draws(cast):
    for form in _forms(cast):
        for name in form.fields:
            assert _tree(control(form[name])) == _tree(form[name].as_widget()), name
    fresh, _wrong = _forms(cast)
    html = str(control(fresh["submission_token"]))
    assert html.startswith('<input type="hidden" name="submission_token" value="')
    assert 'id="id_submission_token"' in html


def _forms_field(cast, form, name):
    again = LogDeflectionForm(form.data if form.is_bound else None, initial=form.initial, user=cast.officer_a1)
    if again.is_bound:
        again.is_valid()
    return again[name]


def test_a_field_s_errors_are_tied_to_it_for_screen_readers(cast):
    _fresh, wrong = _forms(cast)
    html = str(bootstrap_field(wrong["officer_minutes"]))
    assert 'aria-invalid="true"' in html and 'aria-describedby="id_officer_minutes_error"' in html
    assert '<div id="id_officer_minutes_error" class="invalid-feedback">' in html
    assert "form-control is-invalid" in html
    # What was typed comes back escaped.
    assert "&lt;b&gt;" in str(bootstrap_field(wrong["note"]))


def test_chips_are_real_radios_and_checkboxes_with_labels(cast):
    fresh, wrong = _forms(cast)
    tree = _tree(chips(fresh["pathway"], grid=True, heading=True))
    radios = [dict(item[2]) for item in tree if item[0] == "<" and item[1] == "input"]
    assert {r["type"] for r in radios} == {"radio"} and all(r["name"] == "pathway" for r in radios)
    labels = [dict(item[2])["for"] for item in tree if item[0] == "<" and item[1] == "label"]
    assert labels == [r["id"] for r in radios]  # each chip's label is tied to its input
    needs = _tree(chips(wrong["presenting_needs"]))
    assert {dict(item[2])["type"] for item in needs if item[0] == "<" and item[1] == "input"} == {"checkbox"}
    # A required group left empty says so, and the group points at the message.
    html = str(chips(wrong["pathway"]))
    assert 'aria-describedby="id_pathway_error"' in html and 'class="field-error" id="id_pathway_error"' in html
    assert html.count('aria-invalid="true"') == len(radios)


def test_partner_choices_say_24_7_and_capacity_and_keep_the_pick(cast):
    full = ServicePartnerFactory(name="Full House <Clinic>", agencies=[cast.agency_a], capacity_status="full")
    form = LogDeflectionForm({"partner": str(full.pk)}, user=cast.officer_a1)
    form.is_valid()
    html = str(partner_choices(form["partner"], form.served_partners))
    assert f'value="{full.pk}" checked' in html
    assert "Full House &lt;Clinic&gt;" in html and "<strong>Full</strong>" in html
    assert html.count("Open 24/7") == sum(p.is_24_7 for p in form.served_partners)


class _Ancestry(HTMLParser):
    """The classes of the elements around each piece of text."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, str]] = []
        self.texts: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        if tag != "input":
            self.open.append((tag, dict(attrs).get("class") or ""))

    def handle_endtag(self, tag):
        while self.open and self.open.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if data.strip():
            self.texts[data.strip()] = [classes for _tag, classes in self.open]


def test_a_radio_groups_error_is_under_the_group_not_inside_its_last_option():
    """Inside the last option's box, the error read as that option's."""

    class Choose(forms.Form):
        kind = forms.ChoiceField(
            choices=[("a", "Saw them doing well"), ("b", "Other")],
            widget=forms.RadioSelect,
            error_messages={"required": "Choose what happened."},
        )

    form = Choose({})
    assert not form.is_valid()
    parser = _Ancestry()
    parser.feed(str(as_crispy_field(form["kind"])))
    around = parser.texts["Choose what happened."]
    assert not any("form-check" in classes.split() for classes in around)
    # Shown, though no sibling of the feedback is .is-invalid (Bootstrap's own condition).
    assert any({"invalid-feedback", "d-block"} <= set(classes.split()) for classes in around)
    assert any("form-check" in classes.split() for classes in parser.texts["Other"])
