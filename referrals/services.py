"""Writes for officers, clients and referrals. Each is atomic and keyword-only.

A referral's status changes only here, and each change writes its CaseEvent in the
same transaction. Nothing here waits on the Celery broker.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deflection.models import User
from partners.models import ServicePartner
from partners.selectors import partner_serves_agency
from referrals.models import CaseEvent, Client, Officer, Referral


@dataclass(frozen=True)
class NewClient:
    first_name: str
    last_name: str
    date_of_birth: date | None = None
    aliases: str = ""
    phone: str = ""
    preferred_language: str = Client.Language.ENGLISH


@transaction.atomic
def officer_for_user(*, user: User) -> Officer:
    """The officer row of a signed-in officer or supervisor, made on first use."""
    try:
        return user.officer
    except Officer.DoesNotExist:
        pass
    if not user.agency_id:
        raise ValidationError(_("Your account has no agency; ask the program administrator."))
    officer = Officer(
        user=user,
        agency_id=user.agency_id,
        unit_id=user.unit_id,
        badge_number=user.badge_number or f"u{user.pk}",
        display_name=user.get_full_name() or user.username,
    )
    officer.full_clean()
    officer.save()
    return officer


@transaction.atomic
def client_create(*, agency_id: int, data: NewClient, created_by: User | None = None) -> Client:
    client = Client(
        agency_id=agency_id,
        first_name=data.first_name.strip(),
        last_name=data.last_name.strip(),
        aliases=data.aliases.strip(),
        date_of_birth=data.date_of_birth,
        phone=data.phone.strip(),
        preferred_language=data.preferred_language,
        created_by=created_by,
    )
    client.refresh_search_name()
    client.full_clean()
    client.save()
    return client


def _event(*, referral: Referral, actor: User | None, kind: str, **fields: str) -> CaseEvent:
    event = CaseEvent(referral=referral, actor=actor, kind=kind, **fields)
    event.save()
    return event


def referral_create(
    *,
    officer_user: User,
    partner: ServicePartner,
    pathway: str,
    officer_minutes: int,
    client: Client | None = None,
    new_client: NewClient | None = None,
    occurred_at: datetime | None = None,
    location: str = "",
    presenting_needs: list[str] | None = None,
    substances: list[str] | None = None,
    naloxone_administered: bool = False,
    charge_deflected: str = "",
    warm_handoff: bool = False,
    note: str = "",
    submission_token: uuid.UUID | None = None,
) -> tuple[Referral, bool]:
    """Log a deflection: the referral in status `requested` and its CaseEvent, or nothing.

    Returns (referral, created). A repeated submission_token (double tap, resubmitted
    form) returns the referral it already made and creates nothing.
    """
    if submission_token is not None:
        existing = Referral.objects.filter(submission_token=submission_token).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            referral = _referral_create(
                officer_user=officer_user,
                partner=partner,
                pathway=pathway,
                officer_minutes=officer_minutes,
                client=client,
                new_client=new_client,
                occurred_at=occurred_at,
                location=location,
                presenting_needs=presenting_needs or [],
                substances=substances or [],
                naloxone_administered=naloxone_administered,
                charge_deflected=charge_deflected,
                warm_handoff=warm_handoff,
                note=note,
                submission_token=submission_token,
            )
    except IntegrityError:
        # Two taps raced past the check above: the other one won; hand back its referral.
        if submission_token is None:
            raise
        existing = Referral.objects.filter(submission_token=submission_token).first()
        if existing is None:
            raise
        return existing, False
    return referral, True


def _referral_create(
    *,
    officer_user: User,
    partner: ServicePartner,
    client: Client | None,
    new_client: NewClient | None,
    occurred_at: datetime | None,
    presenting_needs: list[str],
    substances: list[str],
    submission_token: uuid.UUID | None,
    **fields,
) -> Referral:
    if not officer_user.is_field_officer:
        raise ValidationError(_("Only officers and supervisors log deflections."))
    officer = officer_for_user(user=officer_user)
    agency_id = officer.agency_id
    if not partner_serves_agency(partner=partner, agency_id=agency_id):
        raise ValidationError({"partner": _("%(partner)s does not serve your agency.") % {"partner": partner}})
    if (client is None) == (new_client is None):
        raise ValidationError(_("Choose a known client or enter a new one, not both."))
    if client is None:
        client = client_create(agency_id=agency_id, data=new_client, created_by=officer_user)  # type: ignore[arg-type]
    elif client.agency_id != agency_id:
        raise ValidationError({"client": _("That client is not known to your agency.")})
    now = timezone.now()
    referral = Referral(
        client=client,
        officer=officer,
        agency_id=agency_id,
        partner=partner,
        occurred_at=occurred_at or now,
        presenting_needs=sorted(set(presenting_needs)),
        substances=sorted(set(substances)),
        status=Referral.Status.REQUESTED,
        status_changed_at=now,
        submission_token=submission_token,
        created_by=officer_user,
        **fields,
    )
    referral.full_clean(exclude=["submission_token"])
    referral.save()
    _event(
        referral=referral,
        actor=officer_user,
        kind=CaseEvent.Kind.CREATED,
        to_status=Referral.Status.REQUESTED,
    )
    return referral
