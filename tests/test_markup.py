"""deflection/markup.py writes what django.utils.html writes, faster: a value typed by a user
comes out escaped, safe HTML as it is, a lazy translation in the reader's language."""

from __future__ import annotations

from django.utils import html as django_html
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from deflection import markup

TYPED = ["<script>alert('x')</script>", 'a "quoted" & <b>bold</b> name', "Peña O'Hara", "", 42, None, 3.5]
SAFE = [mark_safe("<strong>kept</strong>"), SafeString('<span class="badge">24/7</span>')]


def test_each_value_is_escaped_as_django_escapes_it():
    template = '<a href="{}" title="{}">{}</a>'
    for value in [*TYPED, *SAFE]:
        ours = markup.format_html(template, value, value, value)
        assert ours == django_html.format_html(template, value, value, value)
        assert isinstance(ours, SafeString)
    assert "<script>" not in markup.format_html("{}", TYPED[0])


def test_a_lazy_translation_is_drawn_in_the_active_language():
    label = gettext_lazy("Open 24/7")
    with translation.override("es"):
        assert markup.format_html("<b>{}</b>", label) == django_html.format_html("<b>{}</b>", label)
        assert markup.format_html("<b>{}</b>", label) != "<b>Open 24/7</b>"


def test_rows_join_as_django_joins_them():
    rows = [(value, "x") for value in [*TYPED, *SAFE]]
    template = "<li>{}: {}</li>"
    assert markup.format_html_join("\n", template, rows) == django_html.format_html_join("\n", template, rows)
    assert markup.format_html_join("", template, []) == ""
