"""The commendation letter for the officer's personnel file: one printable page, no client."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from buyin.models import Commendation

FONT_SIZES = (11, 10, 9)


def commendation_letter_document(*, commendation: Commendation):
    """The letter laid out on its page: the agency, the date, the officer and badge, the kind,
    the text, and who commended them. The referral is not mentioned: its client stays out."""
    # Imported here: WeasyPrint loads native libraries, needed only when printing.
    from weasyprint import HTML

    context = {
        "commendation": commendation,
        "officer": commendation.officer,
        "commender": commendation.commended_by,
        "date": timezone.localtime(commendation.created_at).date(),
    }
    # One page for the file: a long text (the model caps its length and line breaks) is set
    # a size smaller rather than spill onto a second sheet.
    for font_pt in FONT_SIZES:
        # No base_url: the document loads nothing from outside itself.
        html = render_to_string("buyin/recognition_letter.html", {**context, "font_pt": font_pt})
        document = HTML(string=html).render()
        if len(document.pages) == 1:
            break
    return document


def commendation_letter_pdf(*, commendation: Commendation) -> bytes:
    """The letter for the personnel file, as a PDF."""
    return commendation_letter_document(commendation=commendation).write_pdf()
