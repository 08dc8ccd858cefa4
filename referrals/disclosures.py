"""A client's accounting of disclosures (42 CFR §2.25), built from the access record.

A disclosure is a look at the client's referral by someone outside the partner treating
them: the referring agency's officers, supervisors and command staff, another partner's
case managers, and the program's administrators. For each one the accounting says who
(name, role, organization), what they were shown, when, and the consent under which the
information flowed, if one covered that moment; police who made the referral see that it
was received and whether it is open even without consent (DESIGN.md), and the accounting
says so instead of naming a consent.

Looks by the treating partner's own staff are the program's own use, not disclosures;
they stay in the full access record (admin: Access events).

A held charge's notice to a prosecutor's office or court (emailed by the program, or printed
as a letter to post) is a disclosure to that office, under the client's criminal-justice
consent (§2.35): the accounting names the office and its contact, whoever printed the letter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext as _

from deflection.models import AccessEvent, User
from referrals.charge_notices import NOTICE_EMAILED, NOTICE_LETTER
from referrals.models import ChargeNotice, Client, ClientMerge, Consent, Referral


@dataclass(frozen=True)
class Disclosure:
    at: datetime
    recipient: str  # the person
    role: str
    organization: str
    what: str
    action: str
    referral_id: int
    partner: str  # the treating partner whose record it was
    consent: Consent | None
    basis: str  # the consent, or why none was needed


def client_ids_of(client: Client) -> list[int]:
    """The client and every client row merged into it (their record is the client's)."""
    merged = ClientMerge.objects.filter(survivor=client).values_list("merged_client_id", flat=True)
    return [client.pk, *merged]


# Looks that are the treating partner's own use; looks by the referring agency (its records
# system included), which see only that the referral was received and whether it is open.
_PARTNER_OWN_ROLES = (User.Role.CASE_MANAGER, User.Role.INTEGRATION)
_AGENCY_ROLES = (User.Role.OFFICER, User.Role.SUPERVISOR, User.Role.COMMAND, User.Role.INTEGRATION)


def accounting_for_client(client: Client) -> list[Disclosure]:
    """The client's accounting of disclosures (42 CFR §2.25): who was shown or told what, when, under which consent."""
    ids = client_ids_of(client)
    events = list(
        AccessEvent.objects.filter(client_id__in=ids, referral_id__isnull=False)
        .select_related("user", "agency", "partner")
        .order_by("at", "id")
    )
    referrals = {
        r.pk: r for r in Referral.objects.filter(pk__in={e.referral_id for e in events}).select_related("partner")
    }
    consents = list(
        Consent.objects.filter(Q(client_id__in=ids) | Q(referral_id__in=referrals))
        .select_related("referral", "recipient_agency")
        .prefetch_related("recipient_partners")
        .order_by("created_at")
    )
    notices = {
        n.held_charge.referral_id: n
        for n in ChargeNotice.objects.filter(held_charge__referral_id__in=referrals).select_related(
            "held_charge", "recipient", "consent"
        )
    }
    rows: list[Disclosure] = []
    for event in events:
        referral = referrals.get(event.referral_id)
        if referral is None:
            continue
        if event.what in (NOTICE_EMAILED, NOTICE_LETTER):
            notice = notices.get(referral.pk)
            if notice is not None:
                rows.append(_notice_disclosure(event, referral, notice))
                continue
        if event.user is None:
            continue  # the program's own notices only, above
        if event.role in _PARTNER_OWN_ROLES and event.partner_id == referral.partner_id:
            continue  # the treating partner's own staff, or its own record system
        consent = _consent_in_force(consents, event, referral)
        rows.append(
            Disclosure(
                at=event.at,
                recipient=event.user.get_full_name() or event.user.username,
                role=User.Role(event.role).label,
                organization=_organization(event),
                what=event.what,
                action=AccessEvent.Action(event.action).label,
                referral_id=referral.pk,
                partner=referral.partner.name,
                consent=consent,
                basis=_basis(event, referral, consent),
            )
        )
    return rows


def _notice_disclosure(event: AccessEvent, referral: Referral, notice: ChargeNotice) -> Disclosure:
    """A held charge's notice, as a disclosure to the office or court it went to."""
    office = notice.recipient
    emailed = event.what == NOTICE_EMAILED
    what = _("Notice of the held charge's decision: %(state)s") % {"state": notice.get_state_display()}
    return Disclosure(
        at=event.at,
        recipient=(notice.email_to if emailed else "") or office.contact_name or office.name,
        role=office.get_kind_display(),
        organization=office.name,
        what=f"{what} ({_('by email') if emailed else _('letter printed to post')})",
        action=AccessEvent.Action(event.action).label,
        referral_id=referral.pk,
        partner=referral.partner.name,
        consent=notice.consent,
        basis=_basis(event, referral, notice.consent),
    )


def _organization(event: AccessEvent) -> str:
    if event.partner is not None:
        return event.partner.name
    if event.agency is not None:
        return event.agency.name
    return _("Deflection program administration")


def _consent_in_force(consents: list[Consent], event: AccessEvent, referral: Referral) -> Consent | None:
    """The broadest consent naming the viewer's organization that existed and covered that moment."""
    found = []
    for consent in consents:
        if consent.referral_id not in (None, referral.pk):
            continue
        names_viewer = (event.agency_id is not None and consent.recipient_agency_id == event.agency_id) or (
            event.partner_id is not None and any(p.pk == event.partner_id for p in consent.recipient_partners.all())
        )
        if names_viewer and consent.created_at <= event.at and consent.covers(event.at):
            found.append(consent)
    rank = {Consent.Scope.STATUS_ONLY: 1, Consent.Scope.STATUS_OUTCOMES: 2, Consent.Scope.FULL_RECORD: 3}
    return max(found, key=lambda c: (rank.get(c.scope, 0), c.created_at)) if found else None


def _basis(event: AccessEvent, referral: Referral, consent: Consent | None) -> str:
    if consent is not None:
        if consent.kind == Consent.Kind.CRIMINAL_JUSTICE:
            words = _("Criminal-justice consent #%(id)s (42 CFR §2.35) signed %(date)s: %(scope)s")
        else:
            words = _("Consent #%(id)s signed %(date)s: %(scope)s")
        return words % {
            "id": consent.pk,
            "date": consent.signed_on.isoformat(),
            "scope": consent.get_scope_display(),
        }
    if event.role in _AGENCY_ROLES and event.agency_id == referral.agency_id:
        return _("No consent: the referring agency saw only that it was received and whether it is open")
    if event.role == User.Role.PROGRAM_ADMIN or event.user.is_superuser:
        return _("No consent: program administration")
    return _("No consent on record")
