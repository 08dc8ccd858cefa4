"""The held charges' periodic sweep: decide the charges whose deadline day has ended, email
the notices their consents allow, and remind the officer who wrote each charge and the
program administrators of its deadline: three days before it, and once it has passed, each
at 07:00 in the agency's time zone.

Each reminder goes exactly once, without a transaction open while the mail server talks: the
sweep claims the charge (deflection/claims.py), sends, and marks it reminded only after the
mail server accepted the message; a second sweep at the same moment skips the claimed row, a
later one finds it marked. The email names the referral's number and the deadline only:
not the client, not the charge, not whether its condition was met (police read that only as
the client's consent allows, on the referral's page, behind sign-in).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from smtplib import SMTPException, SMTPRecipientsRefused

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from deflection import l10n
from deflection.claims import send_claimed
from deflection.models import User
from referrals.charge_notices import charge_notices_send
from referrals.held_charges import zone_of
from referrals.models import HeldCharge
from referrals.services.charges import held_charges_decide_due

REMIND_AT = time(7, 0)
DAYS_BEFORE = 3
BEFORE, PASSED = "reminded_before_at", "reminded_passed_at"
logger = logging.getLogger(__name__)


def _moment(charge: HeldCharge, which: str) -> datetime:
    """When a reminder is due: 07:00 (agency time) three days before the deadline, or the
    morning after the deadline day."""
    zone = zone_of(charge.referral)
    day = charge.deadline - timedelta(days=DAYS_BEFORE) if which == BEFORE else charge.deadline + timedelta(days=1)
    return datetime.combine(day, REMIND_AT, tzinfo=zone)


def _is_due(charge: HeldCharge, which: str, now: datetime) -> bool:
    if now < _moment(charge, which):
        return False
    # Too late to warn of a deadline that has passed (after an outage, say): the other reminder says it.
    return which == PASSED or now < charge.deadline_ends_at(zone_of(charge.referral))


def recipients(charge: HeldCharge) -> list[tuple[str, list[str]]]:
    """The officer who wrote the charge, and the program administrators of its agency's program,
    grouped by their language."""
    people = Q(role=User.Role.PROGRAM_ADMIN, program_id=charge.referral.agency.program_id)
    if charge.referral.officer.user_id is not None:
        people |= Q(pk=charge.referral.officer.user_id)
    return l10n.addresses_by_language(User.objects.filter(people, is_active=True))


def _message(charge: HeldCharge, which: str) -> tuple[str, list[str]]:
    day = l10n.weekday_date(charge.deadline)
    referral = charge.referral_id
    if which == BEFORE:
        subject = _("Deflection: a charge held has its deadline on %(date)s") % {"date": day}
        first = _("The deadline set for the charge held on referral #%(n)s is %(date)s, in %(days)d days.") % {
            "n": referral,
            "date": day,
            "days": DAYS_BEFORE,
        }
    else:
        subject = _("Deflection: the deadline of a charge held passed on %(date)s") % {"date": day}
        first = _(
            "The deadline set for the charge held on referral #%(n)s passed on %(date)s. The program decided the "
            "charge from the referral's intake and engagement; the prosecutor's office or court is told only as the "
            "client's consent allows."
        ) % {"n": referral, "date": day}
    link = settings.SITE_URL.rstrip("/") + reverse("referrals:detail", kwargs={"referral_id": referral})
    lines = [
        _("Hello,"),
        "",
        first,
        "",
        _("Where it stands, as far as you may see it, is on the referral's page (sign-in required): %(link)s")
        % {"link": link},
        "",
        _("This message carries no client details on purpose."),
    ]
    return subject, lines


def _remind(*, charge_id: int, which: str, now: datetime) -> bool:
    unreminded = HeldCharge.objects.filter(pk=charge_id, **{f"{which}__isnull": True}).exclude(
        state=HeldCharge.State.WITHDRAWN
    )
    told: list[str] = []

    def send(_claimed: list[HeldCharge]) -> dict:
        charge = HeldCharge.objects.select_related("referral__agency", "referral__officer__user").get(pk=charge_id)
        if not _is_due(charge, which, now):
            return {}  # its deadline moved since the sweep looked: released, not marked
        for language, to in recipients(charge):
            with translation.override(language):
                subject, lines = _message(charge, which)
            # fail_silently=False: an SMTP error releases the claim and the task retries.
            EmailMessage(subject=subject, body="\n".join(lines), to=to).send(fail_silently=False)
            told.extend(to)
        # Marked even with nobody to tell: a recipient added later has nothing stale to hear.
        return {which: now}

    send_claimed(unreminded, send=send)
    return bool(told)


def held_charge_reminders_send(*, now: datetime | None = None) -> dict[str, int]:
    """Remind of every deadline coming (three days ahead) or passed, once each. Withdrawn
    charges need nobody's attention. A refused address is logged (by charge id, never client
    data) and skipped; a temporary failure is raised once every charge was tried."""
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    # A day's bound in either direction covers every zone; each charge's own zone decides below.
    near = HeldCharge.objects.exclude(state=HeldCharge.State.WITHDRAWN).select_related("referral__agency")
    before = near.filter(reminded_before_at__isnull=True, deadline__lte=today + timedelta(days=DAYS_BEFORE + 1))
    before = before.filter(deadline__gte=today - timedelta(days=1))
    # Once decided: the check at the deadline runs first in the same sweep.
    passed = near.filter(reminded_passed_at__isnull=True, deadline__lte=today).exclude(state=HeldCharge.State.HELD)
    sent = {BEFORE: 0, PASSED: 0}
    temporary: list[Exception] = []
    for which, charges in ((BEFORE, before), (PASSED, passed)):
        for charge in charges.order_by("deadline", "pk"):
            if not _is_due(charge, which, now):
                continue
            try:
                sent[which] += _remind(charge_id=charge.pk, which=which, now=now)
            except SMTPRecipientsRefused:
                logger.warning("A held charge's reminder was refused by the mail server (charge id %s).", charge.pk)
            except (SMTPException, OSError) as error:
                temporary.append(error)
    if temporary:
        raise temporary[0]
    return {"before": sent[BEFORE], "passed": sent[PASSED]}


def held_charges_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic sweep (deflection/schedules.py): decide, tell, remind; safe to run twice at once."""
    now = now or timezone.now()
    decided = held_charges_decide_due(now=now)
    failure: Exception | None = None
    counts = {"decided": decided, "notices": 0}
    try:
        counts["notices"] = charge_notices_send()
    except (SMTPException, OSError) as error:
        failure = error  # the reminders are still tried; the task retries for both
    counts.update(held_charge_reminders_send(now=now))
    if failure is not None:
        raise failure
    return counts
