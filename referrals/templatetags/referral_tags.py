"""Template filters and tags for referral lists."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django import template
from django.urls import reverse
from django.utils import dateformat, formats, timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from deflection.markup import format_html, format_html_join
from referrals.models import Pathway
from referrals.police_disclosure import OfficerView
from referrals.selectors import ListedReferral

register = template.Library()


@register.simple_tag
def officer_status(view: OfficerView) -> str:
    """What police may see of a referral's status: the consent-filtered label, never the raw
    status; with "Update" when it changed since the officer last looked, and the 72-hour check.
    A tag rather than an included template: My deflections shows it on every row."""
    colour = "text-bg-secondary" if view.is_open else "text-bg-dark"
    html = format_html('<span class="badge status-badge {}">{}</span>', colour, view.label)
    if view.updated:
        html += format_html(' <span class="badge text-bg-info">{}</span>', _("Update"))
    if view.check_72h:
        html += format_html(' <span class="badge text-bg-light border" data-check-72h>{}</span>', view.check_72h)
    return html


# One row of My deflections: the client, when, the pathway, the partner, and the status as
# police may see it; the whole row links to the referral.
OFFICER_ROW = (
    '<li class="list-group-item">'
    '<a class="d-block text-decoration-none text-body list-link" href="{}">'
    '<span class="fw-semibold text-break">{} {}</span>'
    '<span class="d-block small text-body-secondary">{}</span>'
    '<span class="d-block mt-1">{}</span>'
    "</a></li>"
)


@register.simple_tag
def officer_rows(rows: Iterable[tuple[ListedReferral, OfficerView]]) -> SafeString:
    """The rows of My deflections (and of its search by incident number): each referral as
    its officer may see it. Built here rather than in an included template, which cost more
    than all the rest of the page's own work."""
    # reverse() and the pathways' labels on every row were a fifth of the page's time.
    words = _RowWords()
    detail_url = _url_with_pk("referrals:detail")
    return format_html_join(
        "",
        OFFICER_ROW,
        (
            (
                detail_url(row.pk),
                row.first_name,
                row.last_name,
                _details(row, words),
                officer_status(view),
            )
            for row, view in rows
        ),
    )


# A contact of My deflections: the client seen again, when, the pathway and the partner.
CONTACT_ROW = (
    '<li class="list-group-item">'
    '<span class="fw-semibold text-break">{} {}</span>'
    '<span class="d-block small text-body-secondary">{} · {} · {}</span>'
    "</li>"
)


@register.simple_tag
def contact_rows(contacts: Iterable[dict]) -> SafeString:
    """The contacts of My deflections (selectors.contacts_made_by), drawn as officer_rows
    draws the referrals: with a loop in the template they cost as much as the 25 referrals."""
    words = _RowWords()
    return format_html_join(
        "",
        CONTACT_ROW,
        (
            (
                c["first_name"],
                c["last_name"],
                words.encounter(c["occurred_at"]),
                words.pathway(c["pathway"]),
                c["partner_name"],
            )
            for c in contacts
        ),
    )


class Moments:
    """Datetimes in the reader's DATETIME_FORMAT, written as dateformat.format writes them,
    with the format read and each month's name translated once a list rather than on every
    row: dateformat.format does both on each call, and 25 rows' dates were a third of My
    deflections' drawing (0.43 ms of a 6 ms page; tests/test_referral_rows.py holds the two to
    the same text)."""

    # The format characters that write a month's name (translated: dateformat.MONTHS...).
    MONTH_NAMES = frozenset("bEFMN")

    def __init__(self) -> None:
        pieces = dateformat.re_formatchars.split(str(formats.get_format("DATETIME_FORMAT")))
        # Even places hold the text between format characters, odd ones the characters.
        self._pieces = [piece if i % 2 else dateformat.re_escaped.sub(r"\1", piece) for i, piece in enumerate(pieces)]
        self._names: dict[tuple[str, int], str] = {}

    def __call__(self, moment) -> str:
        written = dateformat.DateFormat(timezone.localtime(moment))
        out = []
        for i, piece in enumerate(self._pieces):
            if not i % 2:
                out.append(piece)
            elif piece in self.MONTH_NAMES:
                key = (piece, written.data.month)
                if key not in self._names:
                    self._names[key] = str(getattr(written, piece)())
                out.append(self._names[key])
            else:
                out.append(str(getattr(written, piece)()))
        return "".join(out)


class _RowWords:
    """What every row of a list says alike, in the reader's language, looked up once a list."""

    def __init__(self) -> None:
        self._encounter = _("Encounter at %(when)s")
        self._when = Moments()
        self._pathways = {pathway.value: str(pathway.label) for pathway in Pathway}

    def encounter(self, moment) -> str:
        return self._encounter % {"when": self._when(moment)}

    def pathway(self, value: str) -> str:
        return self._pathways.get(value, value)


def _details(row: ListedReferral, words: _RowWords) -> str:
    details = [words.encounter(row.occurred_at), words.pathway(row.pathway), row.partner_name]
    if row.incident_number:
        details.append(_("incident %(number)s") % {"number": row.incident_number})
    return " · ".join(details)


def _url_with_pk(name: str) -> Callable[[int], str]:
    """The URL named `name` for any primary key, reversed once: a stand-in key, replaced."""
    stand_in = 987654321
    before, after = reverse(name, args=[stand_in]).split(str(stand_in))
    return lambda pk: f"{before}{pk}{after}"
