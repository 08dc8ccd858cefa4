"""The commendation letter for the officer's personnel file: one printable page, no client."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from buyin.models import Commendation


def commendation_letter_document(*, commendation: Commendation):
    """The letter laid out on its page: the agency, the date, the officer and badge, the kind,
    the text, and who commended them. The referral is not mentioned: its client stays out."""
    # Imported here: WeasyPrint loads native libraries, needed only when printing.
    from weasyprint import HTML

    html = render_to_string(
        "buyin/recognition_letter.html",
        {
            "commendation": commendation,
            "officer": commendation.officer,
            "commender": commendation.commended_by,
            "date": timezone.localtime(commendation.created_at).date(),
        },
    )
    # No base_url: the document loads nothing from outside itself.
    return HTML(string=html).render()


def commendation_letter_pdf(*, commendation: Commendation) -> bytes:
    """The letter for the personnel file, as a PDF."""
    return commendation_letter_document(commendation=commendation).write_pdf()
