"""The commendation letter for the officer's personnel file: one printable page, no client;
and the one-page layout the roll-call briefing prints with too."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from buyin.models import Commendation

FONT_SIZES = (11, 10, 9)


def one_page_document(*, template: str, context: dict):
    """A template laid out on one sheet: a long text is set a size smaller (the template reads
    `font_pt`) rather than spill onto a second sheet."""
    # Imported here: WeasyPrint loads native libraries, needed only when printing.
    from weasyprint import HTML

    for font_pt in FONT_SIZES:
        # No base_url: the document loads nothing from outside itself.
        document = HTML(string=render_to_string(template, {**context, "font_pt": font_pt})).render()
        if len(document.pages) == 1:
            break
    return document


def commendation_letter_document(*, commendation: Commendation):
    """The letter laid out on its page: the agency, the date, the officer and badge, the kind,
    the text, and who commended them. The referral is not mentioned: its client stays out."""
    context = {
        "commendation": commendation,
        "officer": commendation.officer,
        "commender": commendation.commended_by,
        "date": timezone.localtime(commendation.created_at).date(),
    }
    # The model caps the text's length and line breaks, so the smallest size always fits.
    return one_page_document(template="buyin/recognition_letter.html", context=context)


def commendation_letter_pdf(*, commendation: Commendation) -> bytes:
    """The letter for the personnel file, as a PDF."""
    return commendation_letter_document(commendation=commendation).write_pdf()
