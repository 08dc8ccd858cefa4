"""Follow-up reminders: a periodic sweep that never loses a reminder and never doubles one.

The sweep takes one assignee at a time: it claims their due follow-ups (deflection/claims.py:
row locks with SKIP LOCKED in a short transaction), sends that person one email listing what
is due, outside any transaction, and marks the rows reminded once the mail server accepted
it. A failed send releases the claim and the task retries; a worker killed mid-send leaves a
claim that lapses, and a later sweep sends it. Two sweeps at once skip each other's rows. The
only window for a duplicate is a crash between the server's acceptance and the mark
(milliseconds).

Emails carry no client-identifying information: counts, kinds, due times, referral
numbers and a link; the details are in the app after sign-in.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
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
from referrals.models import FOLLOW_UPS_STILL_FOLLOWED, FollowUp

LEAD_AFTER = timedelta(days=1)
logger = logging.getLogger(__name__)


def _due_soon(now: datetime) -> QuerySet[FollowUp]:
    ahead = timedelta(hours=settings.DEFLECTION["REMIND_AHEAD_HOURS"])
    return FollowUp.objects.filter(
        completed_at__isnull=True,
        due_at__lte=now + ahead,
    ).filter(FOLLOW_UPS_STILL_FOLLOWED)


def _line(follow_up: FollowUp, now: datetime) -> str:
    due = l10n.day_and_time(follow_up.due_at)
    late = _(" (overdue)") if follow_up.due_at < now else ""
    line = _("Referral #%(id)s · %(kind)s · due %(due)s") % {
        "id": follow_up.referral_id,
        "kind": follow_up.get_kind_display(),
        "due": due,
    }
    return f"- {line}{late}"


def _link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _send(*, to: str, subject: str, lines: list[str], link: str) -> None:
    body = "\n".join(
        [
            _("Hello,"),
            "",
            *lines,
            "",
            _("Open the queue to see the details (sign-in required): %(link)s") % {"link": link},
            "",
            _("This message carries no client details on purpose."),
        ]
    )
    # fail_silently=False: an SMTP error raises, the claim is released, the task retries.
    EmailMessage(subject=subject, body=body, to=[to]).send(fail_silently=False)


def _remind_assignee(*, assignee: User, now: datetime) -> int:
    def send(claimed: list[FollowUp]) -> dict:
        claimed.sort(key=lambda f: f.due_at)
        overdue = sum(1 for f in claimed if f.due_at < now)
        with translation.override(assignee.email_language):
            subject = ngettext(
                "Deflection: %(n)d follow-up due, %(late)d overdue",
                "Deflection: %(n)d follow-ups due, %(late)d overdue",
                len(claimed),
            ) % {"n": len(claimed), "late": overdue}
            _send(
                to=assignee.email,
                subject=subject,
                lines=[_line(f, now) for f in claimed],
                link=_link(reverse("referrals:queue") + ("?filter=overdue" if overdue else "")),
            )
        return {"reminded_at": now}

    return send_claimed(_due_soon(now).filter(assigned_to=assignee, reminded_at__isnull=True), send=send)


def _tell_lead(*, lead: User, now: datetime) -> int:
    def send(claimed: list[FollowUp]) -> dict:
        claimed.sort(key=lambda f: f.due_at)
        with translation.override(lead.email_language):
            by_person: dict[str, int] = defaultdict(int)
            for f in claimed:
                by_person[f.assigned_to.get_full_name() if f.assigned_to else _("nobody")] += 1
            lines = [_line(f, now) for f in claimed]
            lines += ["", _("Assigned to:")] + [f"- {name}: {n}" for name, n in sorted(by_person.items())]
            _send(
                to=lead.email,
                subject=ngettext(
                    "Deflection: %(n)d follow-up more than a day overdue",
                    "Deflection: %(n)d follow-ups more than a day overdue",
                    len(claimed),
                )
                % {"n": len(claimed)},
                lines=lines,
                link=_link(reverse("referrals:queue") + "?filter=overdue"),
            )
        return {"lead_reminded_at": now}

    return send_claimed(
        _lead_overdue(now).filter(referral__partner__lead=lead).select_related("assigned_to"), send=send
    )


def _lead_overdue(now: datetime) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(
        completed_at__isnull=True,
        due_at__lt=now - LEAD_AFTER,
        lead_reminded_at__isnull=True,
    ).filter(FOLLOW_UPS_STILL_FOLLOWED)


def follow_up_reminders_send(*, now: datetime | None = None) -> dict[str, int]:
    """One sweep: remind each assignee of what is due soon or overdue; tell leads of what is
    more than a day overdue. Returns how many follow-ups each kind of message covered.

    One person's mail failing does not hold up the others: a refused address is logged
    (by user id, never client data) and skipped; a temporary failure is raised after
    everyone else was tried, so the task retries with backoff.
    """
    now = now or timezone.now()
    assignee_ids = (
        _due_soon(now)
        .filter(reminded_at__isnull=True, assigned_to__isnull=False)
        .exclude(assigned_to__email="")
        .values_list("assigned_to_id", flat=True)
        .distinct()
    )
    temporary: list[Exception] = []
    reminded = 0
    for assignee in User.objects.filter(pk__in=list(assignee_ids), is_active=True).order_by("pk"):
        reminded += _each(_remind_assignee, temporary, assignee=assignee, now=now)
    lead_ids = (
        _lead_overdue(now)
        .filter(referral__partner__lead__isnull=False)
        .values_list("referral__partner__lead_id", flat=True)
        .distinct()
    )
    leads_told = 0
    for lead in User.objects.filter(pk__in=list(lead_ids), is_active=True).exclude(email="").order_by("pk"):
        leads_told += _each(_tell_lead, temporary, lead=lead, now=now)
    if temporary:
        raise temporary[0]
    return {"reminded": reminded, "leads": leads_told}


def _each(send, temporary: list[Exception], **kwargs) -> int:
    try:
        return send(**kwargs)
    except SMTPRecipientsRefused:
        person = kwargs.get("assignee") or kwargs.get("lead")
        logger.warning("Reminder refused by the mail server for user id %s; skipped.", person.pk)
        return 0
    except (SMTPException, OSError) as error:
        temporary.append(error)
        return 0
