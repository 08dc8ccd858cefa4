"""Writes for training: a session recorded after it took place, and who attended it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from buyin.models import TrainingAttendance, TrainingSession
from buyin.selectors.champions import agency_today
from deflection.models import Agency, User
from deflection.permissions import leads_buyin
from referrals.models import Officer


@transaction.atomic
def training_session_create(
    *,
    actor: User,
    agency: Agency,
    held_on: date,
    topic: str,
    trainer: str,
    executive_staff_attended: bool,
    details: str = "",
) -> TrainingSession:
    """Record a training session the agency held (attendance is recorded next)."""
    if not leads_buyin(actor, agency_id=agency.pk):
        raise ValidationError(_("You cannot record training for this agency."))
    errors: dict[str, str] = {}
    if held_on > agency_today(agency):
        errors["held_on"] = _("Record a session once it has taken place.")
    if topic == TrainingSession.Topic.OTHER and not details.strip():
        errors["details"] = _("Say what the session covered.")
    if errors:
        raise ValidationError(errors)
    session = TrainingSession(
        agency=agency,
        held_on=held_on,
        topic=topic,
        details=details.strip(),
        trainer=trainer.strip(),
        executive_staff_attended=executive_staff_attended,
        recorded_by=actor,
    )
    session.full_clean()
    session.save()
    return session


@transaction.atomic
def training_attendance_record(*, actor: User, session: TrainingSession, officer_ids: Iterable[int]) -> set[int]:
    """Set who attended the session to exactly these officers of its agency; returns their ids."""
    session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    if not leads_buyin(actor, agency_id=session.agency_id):
        raise ValidationError(_("You cannot record attendance for this agency."))
    wanted = {int(pk) for pk in officer_ids}
    found = set(Officer.objects.filter(pk__in=wanted, agency_id=session.agency_id).values_list("pk", flat=True))
    if found != wanted:
        raise ValidationError({"officers": _("Only the agency's own officers can be recorded as attending.")})
    present = set(session.attendance.values_list("officer_id", flat=True))
    session.attendance.filter(officer_id__in=present - wanted).delete()
    TrainingAttendance.objects.bulk_create(
        [TrainingAttendance(session=session, officer_id=pk) for pk in sorted(wanted - present)]
    )
    return wanted
