"""Consent (42 CFR Part 2): captured, revoked, never deleted. Of two kinds: to disclose
(§2.31), and to the criminal justice system (§2.35): to the prosecutor's office or court
deciding a held charge, whether the client entered and stayed in treatment, for a stated
period, not revocable before the case's final disposition (the charge decided)."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deflection.models import User
from deflection.permissions import may_record_consent, may_record_criminal_justice_consent
from referrals import event_notes
from referrals.models import CaseEvent, Consent, HeldCharge, Referral
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
    referral = _locked_for_consent(referral_id=referral_id, actor=actor)
    errors = _signature_errors(
        referral=referral,
        signature_name=signature_name,
        signed_on=signed_on,
        expires_on=expires_on,
        signature_drawing=signature_drawing,
    )
    if expires_on is None and expiry_event != Consent.ExpiryEvent.END_OF_TREATMENT:
        errors.setdefault("expires_on", _("Give an expiry date or event."))
    if not to_referring_agency and not recipient_partner_ids:
        errors["to_referring_agency"] = _("Name at least one recipient.")
    if errors:
        raise ValidationError(errors)
    consent = consent_new(
        referral=referral,
        actor=actor,
        scope=scope,
        recipient_agency_id=referral.agency_id if to_referring_agency else None,
        purpose=purpose,
        revocation_terms=revocation_terms or str(REVOCATION_TERMS),
        expires_on=expires_on,
        expiry_event=expiry_event,
        signature_name=signature_name,
        signature_drawing=signature_drawing,
        signed_on=signed_on,
        language=language,
    )
    consent.full_clean()
    consent.save()
    if recipient_partner_ids:
        consent.recipient_partners.set(recipient_partner_ids)
    recorded = event_notes.note("consent_recorded", scope=consent.scope)
    _event(referral=referral, actor=actor, kind=CaseEvent.Kind.CONSENT, **recorded)
    return consent


def consent_new(*, referral: Referral, actor: User | None, purpose: str, signature_name: str, **fields) -> Consent:
    """A consent on the referral, to be saved by the caller: the partner discloses, the client
    signs. What a consent records of its referral, for the services (and the demo, which
    writes its history in bulk)."""
    return Consent(
        client=referral.client,
        referral=referral,
        discloser_id=referral.partner_id,
        purpose=purpose.strip(),
        signature_name=signature_name.strip(),
        captured_by=actor,
        **fields,
    )


def criminal_justice_consent_new(*, referral: Referral, charge: HeldCharge, **fields) -> Consent:
    """The criminal-justice kind: to the office or court deciding the charge, about treatment
    attendance only, on its own terms of revocation (not before the charge is decided)."""
    return consent_new(
        referral=referral,
        kind=Consent.Kind.CRIMINAL_JUSTICE,
        scope=Consent.Scope.TREATMENT_ATTENDANCE,
        recipient_justice=charge.decider,
        revocation_terms=str(CJ_REVOCATION_TERMS),
        **fields,
    )


def _locked_for_consent(*, referral_id: int, actor: User, may=may_record_consent) -> Referral:
    # Locked: a consent must not slip in beside a concurrent closing of the referral.
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("officer", "client", "agency")
        .filter(pk=referral_id)
        .first()
    )
    if referral is None or not may(user=actor, referral=referral):
        raise ValidationError(_("You cannot record consent for this referral."))
    return referral


def _signature_errors(
    *, referral: Referral, signature_name: str, signed_on: date, expires_on: date | None, signature_drawing: str
) -> dict[str, str]:
    """What every consent needs checked: signed, on a day from the encounter to today (agency
    time), not expired already, a drawing that is a drawing."""
    first_day, today = consent_signing_window(referral=referral)
    errors: dict[str, str] = {}
    if not signature_name.strip():
        errors["signature_name"] = _("The client signs by typing their name.")
    if expires_on is not None and expires_on < today:
        errors["expires_on"] = _("The expiry date is in the past.")
    if signed_on > today:
        errors["signed_on"] = _("The date signed cannot be in the future.")
    elif signed_on < first_day:
        errors["signed_on"] = _("The date signed cannot be before the encounter (%(date)s).") % {
            "date": first_day.isoformat()
        }
    if signature_drawing and not signature_drawing.startswith("data:image/png;base64,"):
        errors["signature_drawing"] = _("The drawn signature could not be read.")
    return errors


CJ_REVOCATION_TERMS = gettext_lazy(
    "This consent cannot be revoked before the final disposition of the case it is given for (the charge held "
    "decided: its condition met or not met, or the charge withdrawn), or before it expires, whichever comes "
    "first. A revocation asked for earlier is recorded with its date and takes effect at that moment."
)


@transaction.atomic
def consent_capture_for_charge(
    *,
    referral_id: int,
    actor: User,
    purpose: str,
    signature_name: str,
    signed_on: date,
    expires_on: date | None,
    signature_drawing: str = "",
    language: str = "en",
) -> Consent:
    """Record the client's criminal-justice consent (§2.35) for the referral's held charge: the
    partner may tell the office or court deciding it whether the client entered and stayed in
    treatment, until `expires_on` (the period must be stated)."""
    referral = _locked_for_consent(referral_id=referral_id, actor=actor, may=may_record_criminal_justice_consent)
    charge = HeldCharge.objects.select_related("decider").filter(referral=referral).first()
    if charge is None or not charge.is_held:
        raise ValidationError(_("There is no charge held on this referral for a criminal-justice consent to cover."))
    errors = _signature_errors(
        referral=referral,
        signature_name=signature_name,
        signed_on=signed_on,
        expires_on=expires_on,
        signature_drawing=signature_drawing,
    )
    if expires_on is None:
        errors["expires_on"] = _("State how long the consent lasts: the date it expires.")
    if not purpose.strip():
        errors["purpose"] = _("Say what the disclosure is for.")
    if errors:
        raise ValidationError(errors)
    consent = criminal_justice_consent_new(
        referral=referral,
        charge=charge,
        actor=actor,
        purpose=purpose,
        expires_on=expires_on,
        signature_name=signature_name,
        signature_drawing=signature_drawing,
        signed_on=signed_on,
        language=language,
    )
    consent.full_clean()
    consent.save()
    recorded = event_notes.note("justice_consent_recorded", court=charge.decider.name)
    _event(referral=referral, actor=actor, kind=CaseEvent.Kind.CONSENT, **recorded)
    return consent


@transaction.atomic
def consent_revoke(*, consent_id: int, actor: User, note: str = "", when: datetime | None = None) -> Consent:
    """Revoke: recorded with its moment, never deleted. Nothing new flows from then on; but a
    criminal-justice consent's case not yet disposed of (its charge still held), the revocation
    is recorded as asked and takes effect at the disposition (referrals.services.charges)."""
    # The charge first, as its transition locks it before the consents: no deadlock between them.
    charge = HeldCharge.objects.select_for_update(of=("self",)).filter(referral__consents__pk=consent_id).first()
    consent = _locked_for_casework(Consent, pk=consent_id, actor=actor)
    if consent is None:
        raise ValidationError(_("You cannot revoke this consent."))
    if consent.revoked_at is not None:
        raise ValidationError(_("This consent was already revoked."))
    if consent.revocation_asked_at is not None:
        raise ValidationError(_("A revocation was already asked; it takes effect when the charge is decided."))
    now = when or timezone.now()
    consent.revocation_asked_at = now
    irrevocable = consent.kind == Consent.Kind.CRIMINAL_JUSTICE and charge is not None and charge.is_held
    consent.revoked_at = None if irrevocable else now
    consent.revoked_by = actor
    consent.revocation_note = note.strip()
    consent.save(update_fields=["revoked_at", "revocation_asked_at", "revoked_by", "revocation_note"])
    said = event_notes.note("consent_revocation_asked" if irrevocable else "consent_revoked")
    _event(referral=consent.referral, actor=actor, kind=CaseEvent.Kind.CONSENT, **said)
    return consent
