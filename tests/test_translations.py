"""The interface stays translatable and the Spanish catalogue complete (tests/translations.py)."""

from __future__ import annotations

import re
import shutil

import polib
import pytest
from django.utils import translation

from referrals.models import OfficerCheckIn
from tests.conftest import IN_CI
from tests.translations import (
    CATALOGUE,
    catalogue_msgids,
    catalogue_problems,
    fresh_msgids,
    glossary_problems,
    unmarked_in,
    unmarked_template_text,
)


def test_every_template_string_is_marked_for_translation():
    found = unmarked_template_text()
    assert found == [], "Mark these with {% translate %} or {% blocktranslate %}:\n" + "\n".join(map(str, found))


@pytest.mark.parametrize(
    "template",
    [
        "<p>Log a deflection</p>",
        '<input placeholder="Name or alias">',
        '<img alt="Deflections per week" src="x.png">',
        '<span aria-label="Close">{% translate "x" %}</span>',
        '<input type="submit" value="Save">',
        '<div data-confirm="Are you sure?"></div>',
        "{{ value|default:'none yet' }}",
        "{% load i18n %}{% translate 'Due' %} {{ when }} overdue",
    ],
)
def test_the_lint_finds_text_left_unmarked(template):
    assert unmarked_in(template, "t.html")


@pytest.mark.parametrize(
    "template",
    [
        '{% load i18n %}<p title="{% translate "Due" %}">{% translate "Log a deflection" %}</p>',
        "{% blocktranslate with n=count %}{{ n }} deflections{% endblocktranslate %}",
        "{# a comment #}{% comment %}Why this is here{% endcomment %}",
        '<div class="card mb-3" id="wins" data-chart="by_pathway">{{ n }} h · {{ m }} — 42%</div>',
        "{% block style %}body { font-family: sans-serif; }{% endblock %}",
        "<script>var x = 'not text';</script>",
        '<a hreflang="es" lang="es">Español</a> · <a>English</a>',
    ],
)
def test_the_lint_lets_marked_and_unread_text_through(template):
    assert unmarked_in(template, "t.html") == []


def test_the_spanish_catalogue_has_no_empty_or_fuzzy_entry():
    assert catalogue_problems() == []


def test_the_catalogue_check_finds_empty_fuzzy_and_broken_entries(tmp_path):
    po = polib.POFile()
    po.append(polib.POEntry(msgid="Log a deflection", msgstr=""))
    po.append(polib.POEntry(msgid="Save", msgstr="Guardar", flags=["fuzzy"]))
    po.append(polib.POEntry(msgid="Hello %(name)s", msgstr="Hola %(nombre)s"))
    po.append(polib.POEntry(msgid="%(n)s day", msgid_plural="%(n)s days", msgstr_plural={0: "%(n)s día", 1: ""}))
    po.save(str(tmp_path / "django.po"))
    problems = catalogue_problems(tmp_path / "django.po")
    assert [p.split(":")[0] for p in problems] == ["untranslated", "fuzzy", "placeholders differ", "untranslated"]


def test_the_spanish_calls_each_program_term_by_the_glossarys_word_on_the_page_and_on_the_consent_form():
    assert glossary_problems() == []


def test_the_glossary_check_finds_another_word_for_a_term(tmp_path):
    po = polib.POFile()
    po.append(polib.POEntry(msgid="Charge held", msgstr="Cargo suspendido"))
    po.append(polib.POEntry(msgid="Held charges", msgstr="Cargos en suspenso"))
    po.append(polib.POEntry(msgid="Revoke an integration client", msgstr="Revocar un cliente de integración"))
    po.append(polib.POEntry(msgid="Client", msgstr="Cliente"))
    po.save(str(tmp_path / "django.po"))
    assert [p.split(":")[1].strip() for p in glossary_problems(tmp_path / "django.po")] == [
        "'Cargo suspendido' for 'cargo en suspenso'",
        "'cliente de integración' for 'sistema de integración'",
    ]


# British spellings, where the app's English is the United States'.
BRITISH = re.compile(
    r"\w*(?:recognis|organis|colour|centre|programme|counsell|honour|favour|behaviour|licence)\w*", re.IGNORECASE
)


def test_the_english_a_user_reads_is_spelled_the_american_way():
    english = [entry.msgid + " " + entry.msgid_plural for entry in polib.pofile(str(CATALOGUE))]
    assert sorted({found.group(0) for text in english for found in BRITISH.finditer(text)}) == []


def test_an_officers_check_in_is_said_alike_in_its_choices_and_in_the_words_that_list_them():
    # The choices are read by the officer's supervisor and the partner too: not in the first person.
    listed = (
        "A non-enforcement contact with the person you referred: you saw them doing well, offered help again, "
        "or something else."
    )
    with translation.override("es"):
        said = translation.gettext(listed).lower()
        for kind in (OfficerCheckIn.Kind.DOING_WELL, OfficerCheckIn.Kind.OFFERED_HELP):
            assert str(kind.label).lower() in said


def test_the_compiled_catalogue_is_the_po_compiled():
    po = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in polib.pofile(str(CATALOGUE)) if e.translated()}
    mo = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in polib.mofile(str(CATALOGUE.with_suffix(".mo")))}
    mo.pop((None, ""), None)  # the header
    stale = {key for key in po.keys() | mo.keys() if str(po.get(key)) != str(mo.get(key))}
    assert stale == set(), "Run `make messages` (it compiles the .mo)"


@pytest.mark.skipif(not IN_CI and shutil.which("xgettext") is None, reason="needs GNU gettext (xgettext)")
def test_the_catalogue_holds_every_string_of_the_sources_and_no_other():
    fresh, kept = fresh_msgids(), catalogue_msgids()
    missing, gone = sorted(fresh - kept), sorted(kept - fresh)
    assert (missing, gone) == ([], []), "Run `make messages`, then translate what is new in locale/es"
