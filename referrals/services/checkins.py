"""The referring officer's check-ins with the person they referred (non-enforcement engagement)."""

from __future__ import annotations

import zoneinfo
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deflection.models import User
from deflection.permissions import is_referring_officer, may_check_in
from referrals.models import CaseEvent, OfficerCheckIn, Referral
from referrals.services.shared import _event


class CheckInRefused(ValidationError):
    """A check-in the rules do not allow (not the user's referral), with a message for the user."""


def agency_today(referral: Referral) -> date:
    """Today in the referral's agency's time zone: the latest day a check-in may have."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(referral.agency.timezone)).date()


def encounter_day(referral: Referral) -> date:
    """The day of the referral's encounter in its agency's time zone: the earliest a check-in may have."""
    return referral.occurred_at.astimezone(zoneinfo.ZoneInfo(referral.agency.timezone)).date()


@transaction.atomic
def check_in_record(
    *, user: User, referral: Referral, on: date, kind: str, where: str = "", note: str = ""
) -> OfficerCheckIn:
    """Record the referring officer's check-in on their referral, open or closed, and its case event.

    The case event says only that a check-in was recorded: where and the note stay on the
    check-in, shown as referrals.checkins decides (the partner's history lists every event).
    """
    locked = Referral.objects.select_for_update(of=("self",)).select_related("officer", "agency")
    referral = locked.filter(pk=referral.pk).first()
    if referral is None or not may_check_in(user=user, referral=referral):
        if referral is not None and referral.entered_in_error and is_referring_officer(user=user, referral=referral):
            raise CheckInRefused(_("This referral was entered in error: there is no one to check in with."))
        raise CheckInRefused(_("You can record check-ins only with people you referred."))
    if on > agency_today(referral):
        raise ValidationError({"on": _("A check-in cannot be in the future.")})
    if on < encounter_day(referral):
        raise ValidationError({"on": _("A check-in cannot be before the encounter.")})
    check_in = OfficerCheckIn(
        referral=referral,
        officer=referral.officer,
        on=on,
        kind=kind,
        where=where.strip(),
        note=note.strip(),
        created_by=user,
    )
    check_in.full_clean()
    check_in.save()
    _event(referral=referral, actor=user, kind=CaseEvent.Kind.OFFICER_CHECK_IN, created_at=check_in.created_at)
    return check_in
