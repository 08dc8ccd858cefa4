"""Consent (42 CFR Part 2): captured, revoked, never deleted."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deflection.models import User
from deflection.permissions import may_record_consent
from referrals.models import CaseEvent, Consent, Referral
from referrals.selectors import consent_signing_window
from referrals.services.shared import _event, _locked_for_casework

REVOCATION_TERMS = gettext_lazy(
    "You may revoke this consent at any time, in writing or by telling your case manager, "
    "except to the extent that action has already been taken in reliance on it."
)


@transaction.atomic
def consent_capture(
    *,
    referral_id: int,
    actor: User,
    scope: str,
    to_referring_agency: bool,
    recipient_partner_ids: list[int] | None = None,
    purpose: str,
    signature_name: str,
    signed_on: date,
    expires_on: date | None = None,
    expiry_event: str = "",
    signature_drawing: str = "",
    language: str = "en",
    revocation_terms: str = "",
) -> Consent:
    """Record a client's consent for a referral, at intake or by the officer at the scene."""
    # Locked: a consent must not slip in beside a concurrent closing of the referral.
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("officer", "client", "agency")
        .filter(pk=referral_id)
        .first()
    )
    if referral is None or not may_record_consent(user=actor, referral=referral):
        raise ValidationError(_("You cannot record consent for this referral."))
    first_day, today = consent_signing_window(referral=referral)
    errors: dict[str, str] = {}
    if not signature_name.strip():
        errors["signature_name"] = _("The client signs by typing their name.")
    if expires_on is None and expiry_event != Consent.ExpiryEvent.END_OF_TREATMENT:
        errors["expires_on"] = _("Give an expiry date or event.")
    if expires_on is not None and expires_on < today:
        errors["expires_on"] = _("The expiry date is in the past.")
    if signed_on > today:
        errors["signed_on"] = _("The date signed cannot be in the future.")
    elif signed_on < first_day:
        errors["signed_on"] = _("The date signed cannot be before the encounter (%(date)s).") % {
            "date": first_day.isoformat()
        }
    if not to_referring_agency and not recipient_partner_ids:
        errors["to_referring_agency"] = _("Name at least one recipient.")
    if signature_drawing and not signature_drawing.startswith("data:image/png;base64,"):
        errors["signature_drawing"] = _("The drawn signature could not be read.")
    if errors:
        raise ValidationError(errors)
    consent = Consent(
        client=referral.client,
        referral=referral,
        discloser_id=referral.partner_id,
        scope=scope,
        recipient_agency_id=referral.agency_id if to_referring_agency else None,
        purpose=purpose.strip(),
        revocation_terms=revocation_terms or str(REVOCATION_TERMS),
        expires_on=expires_on,
        expiry_event=expiry_event,
        signature_name=signature_name.strip(),
        signature_drawing=signature_drawing,
        signed_on=signed_on,
        language=language,
        captured_by=actor,
    )
    consent.full_clean()
    consent.save()
    if recipient_partner_ids:
        consent.recipient_partners.set(recipient_partner_ids)
    recorded = _("recorded (%(scope)s)") % {"scope": consent.get_scope_display()}
    _event(referral=referral, actor=actor, kind=CaseEvent.Kind.CONSENT, note=recorded)
    return consent


@transaction.atomic
def consent_revoke(*, consent_id: int, actor: User, note: str = "", when: datetime | None = None) -> Consent:
    """Revoke: recorded with its moment, never deleted. Nothing new flows from then on."""
    consent = _locked_for_casework(Consent, pk=consent_id, actor=actor)
    if consent is None:
        raise ValidationError(_("You cannot revoke this consent."))
    if consent.revoked_at is not None:
        raise ValidationError(_("This consent was already revoked."))
    consent.revoked_at = when or timezone.now()
    consent.revoked_by = actor
    consent.revocation_note = note.strip()
    consent.save(update_fields=["revoked_at", "revoked_by", "revocation_note"])
    _event(referral=consent.referral, actor=actor, kind=CaseEvent.Kind.CONSENT, note=_("revoked"))
    return consent
