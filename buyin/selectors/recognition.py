"""Reads for recognition: whom a user may commend, an officer's commendations, a week's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404

from buyin.models import Commendation, RecognitionKind
from buyin.models.recognition import DEFAULT_KINDS
from deflection.models import Agency, User
from deflection.permissions import (
    agencies_of_program,
    commends_officers,
    in_program,
    may_commend,
    may_manage_recognition,
    may_read_commendation,
)


def commendable_officers(*, user: User) -> QuerySet[User]:
    """The officers and sergeants the user may commend: their agency's (a supervisor's own
    unit first), or those of the program's agencies for its administrator; never themselves."""
    if not commends_officers(user):
        return User.objects.none()
    officers = User.objects.filter(
        is_active=True, role__in=[User.Role.OFFICER, User.Role.SUPERVISOR], agency__isnull=False
    ).exclude(pk=user.pk)
    if user.is_program_admin:
        officers = officers.filter(agency__in=agencies_of_program(user))
    else:
        officers = officers.filter(agency_id=user.agency_id) if user.agency_id else officers.none()
    order: list = ["agency__name", "last_name", "first_name"]
    if user.unit_id:
        order.insert(0, Case(When(unit_id=user.unit_id, then=Value(0)), default=Value(1), output_field=IntegerField()))
    return officers.select_related("agency", "unit").order_by(*order)


def commendable_officer_get(*, user: User, officer_id: int) -> User:
    """One officer the user may commend, or a 404 (never a 403: that would confirm who exists)."""
    officer = User.objects.select_related("agency").filter(pk=officer_id).first()
    if officer is None or not may_commend(user=user, officer=officer):
        raise Http404
    return officer


def recognition_kind_names(*, agency: Agency | None, user: User | None = None) -> list[str]:
    """The kinds of recognition offered to the agency's commenders: its active kinds, or the
    default kinds while it has none of its own yet (they are saved at the first commendation).
    Without an agency (a program administrator who has not chosen an officer yet): those of
    every agency of the user's program, checked against the officer's agency when posted."""
    if agency is None:
        kinds = RecognitionKind.objects.filter(is_active=True)
        kinds = in_program(kinds, user) if user is not None else kinds.none()
        names = kinds.values_list("name", flat=True).distinct()
        return list(dict.fromkeys([*DEFAULT_KINDS, *sorted(names)]))
    kinds = list(RecognitionKind.objects.filter(agency=agency).values_list("name", "is_active"))
    if not kinds:
        return list(DEFAULT_KINDS)
    return [name for name, active in kinds if active]


def recognition_kind_get_for_user(*, user: User, kind_id: int) -> RecognitionKind:
    """One kind of recognition of an agency whose list the user manages, or a 404."""
    kind = RecognitionKind.objects.select_related("agency").filter(pk=kind_id).first()
    if kind is None or not may_manage_recognition(user=user, agency=kind.agency):
        raise Http404
    return kind


def recognition_kinds_for(*, agency: Agency) -> QuerySet[RecognitionKind]:
    """Every kind of recognition the agency has defined, offered or retired."""
    return RecognitionKind.objects.filter(agency=agency).order_by("pk")


def commendations_for_officer(*, officer: User) -> QuerySet[Commendation]:
    """The officer's own commendations, newest first."""
    return (
        Commendation.objects.filter(officer=officer)
        .select_related("kind", "commended_by")
        .order_by("-created_at", "-pk")
    )


def commendation_get_for_user(*, user: User, commendation_id: int) -> Commendation:
    """One commendation the user may read (and print), or a 404."""
    commendation = (
        Commendation.objects.select_related("agency", "officer", "officer__unit", "commended_by", "kind")
        .filter(pk=commendation_id)
        .first()
    )
    if commendation is None or not may_read_commendation(user=user, commendation=commendation):
        raise Http404
    return commendation


@dataclass(frozen=True)
class WeekRecognition:
    """A week's commendations as they may be published: those whose officer agreed to be
    named, and how many more there were."""

    named: list[Commendation]
    others: int


def commendations_of_week(*, agency: Agency, start: datetime, end: datetime) -> WeekRecognition:
    """The agency's commendations made from start to end (the digest's and the briefing's week)."""
    week = list(
        Commendation.objects.filter(agency=agency, created_at__gte=start, created_at__lt=end)
        .select_related("officer__unit", "kind")
        .order_by("created_at", "pk")
    )
    named = [c for c in week if c.may_name]
    return WeekRecognition(named=named, others=len(week) - len(named))
