"""The notice to a prosecutor's office or court of a held charge's decision, under the client's
criminal-justice consent (42 CFR §2.35): the case number, whether the condition was met (or
the charge withdrawn) and the date, nothing else from the record; with the notice to
recipients (§2.32) and the limit on their use of it (§2.35(d)).

Emailed once, without a transaction open while the mail server talks: the notice is claimed
(deflection/claims.py), sent, and marked sent only after the mail server accepted it (after
the decision commits, and by the periodic sweep for whatever that left). Printable as a
letter for the post. Each email and each letter printed is on the access record (`what`
NOTICE_EMAILED, NOTICE_LETTER), which the client's accounting of disclosures reads
(referrals/disclosures.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from smtplib import SMTPException, SMTPRecipientsRefused

from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from deflection import audit
from deflection.claims import send_claimed
from referrals.consent_documents import TEXT
from referrals.models import ChargeNotice, HeldCharge

# The access record's words for the two ways a notice leaves the program.
NOTICE_EMAILED = "charge notice email"
NOTICE_LETTER = "charge notice letter"
# The notice goes out in the program's working language, English: the recipients are the
# prosecutors' offices and courts, and the §2.32 wording is the reviewed one. Whoever prints
# or triggers it, in whatever language they read the app.
NOTICE_LANGUAGE = "en"
REDISCLOSURE = f"{TEXT[NOTICE_LANGUAGE]['notice']} {TEXT[NOTICE_LANGUAGE]['cj_redisclosure']}"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NoticeText:
    subject: str
    lines: list[str]
    redisclosure: str


def decision_sentence(state: str) -> str:
    return {
        HeldCharge.State.SATISFIED: _("The condition set for holding this charge was met."),
        HeldCharge.State.NOT_SATISFIED: _("The condition set for holding this charge was not met by its deadline."),
        HeldCharge.State.WITHDRAWN: _("This charge was withdrawn."),
    }[state]


def notice_text(notice: ChargeNotice) -> NoticeText:
    """What the notice says, as email and letter alike."""
    charge = notice.held_charge
    outcome = {
        HeldCharge.State.SATISFIED: _("condition met"),
        HeldCharge.State.NOT_SATISFIED: _("condition not met"),
        HeldCharge.State.WITHDRAWN: _("charge withdrawn"),
    }[notice.state]
    lines = [
        _("To: %(recipient)s") % {"recipient": notice.recipient.contact_name or notice.recipient.name},
        _("From: %(program)s") % {"program": notice.consent.discloser.name},
        "",
        _("Case or citation number: %(case)s") % {"case": charge.case_number},
        decision_sentence(notice.state),
        _("Date: %(date)s") % {"date": notice.decided_on.isoformat()},
        "",
        _("Sent with the written consent of the person concerned (42 CFR §2.35)."),
    ]
    subject = _("Case %(case)s: %(outcome)s") % {"case": charge.case_number, "outcome": outcome}
    return NoticeText(subject=subject, lines=lines, redisclosure=REDISCLOSURE)


def charge_notice_email_send(*, notice_id: int) -> bool:
    """Email one notice to its recipient's contact, once. False: sent already, being sent by
    another worker, or no address to send to (the letter is the way then)."""
    unsent = ChargeNotice.objects.filter(pk=notice_id, emailed_at__isnull=True).exclude(recipient__contact_email="")

    def send(_claimed: list[ChargeNotice]) -> dict:
        notice = ChargeNotice.objects.select_related("held_charge__referral", "recipient", "consent__discloser").get(
            pk=notice_id
        )
        with translation.override(NOTICE_LANGUAGE):
            text = notice_text(notice)
            body = "\n".join([*text.lines, "", _("Notice to recipients (42 CFR §2.32)"), text.redisclosure])
        address = notice.recipient.contact_email
        # fail_silently=False: an SMTP error releases the claim, the notice stays unsent, the task retries.
        EmailMessage(subject=text.subject, body=body, to=[address]).send(fail_silently=False)
        referral = notice.held_charge.referral
        audit.record_sent(what=NOTICE_EMAILED, subjects=[(referral.client_id, referral.pk)])
        return {"email_to": address, "emailed_at": timezone.now()}

    return bool(send_claimed(unsent, send=send))


def charge_notices_send() -> int:
    """The sweep's part: every notice not yet emailed whose recipient has an address. One
    refused address does not hold up the others; a temporary failure is raised once all
    were tried, so the task retries with backoff."""
    unsent = ChargeNotice.objects.filter(emailed_at__isnull=True).exclude(recipient__contact_email="")
    sent = 0
    temporary: list[Exception] = []
    for notice_id in unsent.order_by("created_at", "pk").values_list("pk", flat=True):
        try:
            sent += charge_notice_email_send(notice_id=notice_id)
        except SMTPRecipientsRefused:
            logger.warning("A charge notice was refused by the mail server (notice id %s); skipped.", notice_id)
        except (SMTPException, OSError) as error:
            temporary.append(error)
    if temporary:
        raise temporary[0]
    return sent


def charge_notice_letter_document(*, notice: ChargeNotice):
    """The notice laid out as a one-page letter to post, headed by its sender as a letter is:
    the program that discloses under the consent, with its address and phone when it has them,
    so that the office or court knows whom to answer."""
    # Imported here: WeasyPrint loads native libraries, needed only when printing.
    from weasyprint import HTML

    # In the notice's language whoever prints it, as the email.
    with translation.override(NOTICE_LANGUAGE):
        context = {
            "notice": notice,
            "text": notice_text(notice),
            "sender": notice.consent.discloser,
            "recipient": notice.recipient,
        }
        html = render_to_string("referrals/charge_notice_letter.html", context)
    # No base_url: the document loads nothing from outside itself.
    return HTML(string=html).render()


def charge_notice_letter_pdf(*, notice: ChargeNotice) -> bytes:
    """The notice as a letter to post, on the disclosing program's behalf, as a PDF."""
    return charge_notice_letter_document(notice=notice).write_pdf()
