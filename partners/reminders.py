"""Next-step reminders: the program administrators hear of a partner's next step on the
morning it is due, in the time zone of the partner's program, exactly once.

The sweep claims due next steps, one partner at a time (deflection/claims.py: row locks with
SKIP LOCKED in a short transaction), sends one email about them outside any transaction and
marks them reminded only after the mail server accepted it: a rerun, a retry or a second
sweep at the same moment finds nothing left to send. The email names the partner and the
dates only; what was said stays in the app, behind sign-in.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from smtplib import SMTPException, SMTPRecipientsRefused

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from deflection import l10n
from deflection.claims import send_claimed
from deflection.models import User
from partners.models import PartnerContact, ServicePartner
from partners.selectors import partner_zone

# A next step due on a day is brought up that morning, at the start of office hours.
REMIND_AT = time(7, 0)
logger = logging.getLogger(__name__)


def _unreminded() -> QuerySet[PartnerContact]:
    return PartnerContact.objects.filter(
        next_step_done_at__isnull=True, next_step_due__isnull=False, next_step_reminded_at__isnull=True
    ).exclude(next_step="")


def _last_due_day(partner: ServicePartner, now: datetime):
    """The latest due date whose reminder time has come in the partner's zone."""
    local = now.astimezone(partner_zone(partner))
    return local.date() if local.time() >= REMIND_AT else local.date() - timedelta(days=1)


def _admins(partner: ServicePartner) -> QuerySet[User]:
    """The program administrators of the programs whose agencies the partner serves."""
    admins = User.objects.filter(is_active=True, role=User.Role.PROGRAM_ADMIN).exclude(email="")
    return admins.filter(program__in={a.program_id for a in partner.agencies.all()})


def recipients(partner: ServicePartner) -> list[str]:
    """The addresses of the program administrators reminded of the partner's next steps."""
    return sorted(set(_admins(partner).values_list("email", flat=True)))


def recipients_by_language(partner: ServicePartner) -> list[tuple[str, list[str]]]:
    """The partner's program administrators grouped by their language: one mail per language."""
    return l10n.addresses_by_language(_admins(partner))


def _remind_partner(*, partner: ServicePartner, now: datetime) -> int:
    groups = recipients_by_language(partner)
    if not groups:
        return 0

    def send(claimed: list[PartnerContact]) -> dict:
        claimed.sort(key=lambda c: (c.next_step_due, c.pk))
        for language, to in groups:
            with translation.override(language):
                _mail(partner=partner, claimed=claimed, to=to, now=now)
        return {"next_step_reminded_at": now}

    return send_claimed(
        _unreminded().filter(partner=partner, next_step_due__lte=_last_due_day(partner, now)), send=send
    )


def _mail(*, partner: ServicePartner, claimed: list[PartnerContact], to: list[str], now: datetime) -> None:
    today = now.astimezone(partner_zone(partner)).date()
    lines = [
        "- "
        + _("%(kind)s of %(day)s: next step due %(due)s")
        % {"kind": c.get_kind_display(), "day": l10n.day(c.contact_on), "due": l10n.day(c.next_step_due)}
        + (_(" (overdue)") if c.next_step_due < today else "")
        for c in claimed
    ]
    subject = ngettext(
        "Deflection: a next step with %(partner)s is due",
        "Deflection: %(n)d next steps with %(partner)s are due",
        len(claimed),
    ) % {"n": len(claimed), "partner": partner.name}
    link = settings.SITE_URL.rstrip("/") + reverse("partners:list")
    body = "\n".join(
        [
            _("Hello,"),
            "",
            _("Keeping the relationship with %(partner)s:") % {"partner": partner.name},
            *lines,
            "",
            _("See the partners and their next steps (sign-in required): %(link)s") % {"link": link},
        ]
    )
    # fail_silently=False: an SMTP error releases the claim and the task retries.
    EmailMessage(subject=subject, body=body, to=to).send(fail_silently=False)


def partner_next_steps_remind(*, now: datetime | None = None) -> int:
    """One sweep: for each partner with next steps due by this morning (its zone), one email
    to the program administrators. Returns how many next steps the emails covered.

    One partner's refused mail does not hold up the others; a temporary failure is raised
    after every partner was tried, so the task retries with backoff.
    """
    now = now or timezone.now()
    # No zone is more than a day ahead of UTC: a cheap bound before each partner's own day.
    partner_ids = (
        _unreminded().filter(next_step_due__lte=(now + timedelta(days=1)).date()).values_list("partner_id", flat=True)
    )
    temporary: list[Exception] = []
    reminded = 0
    partners = ServicePartner.objects.filter(pk__in=list(partner_ids)).prefetch_related("agencies").order_by("pk")
    for partner in partners:
        try:
            reminded += _remind_partner(partner=partner, now=now)
        except SMTPRecipientsRefused:
            logger.warning("Next-step reminder refused by the mail server for partner id %s; skipped.", partner.pk)
        except (SMTPException, OSError) as error:
            temporary.append(error)
    if temporary:
        raise temporary[0]
    return reminded
